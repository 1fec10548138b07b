"""Benchmark: pacing of a full-Hub crawl against the local Hub's fixed-window rate limit.

One snapshot date of `--models` items (default 2.5M: the size of the real Hub) is served by the local Hub in a
child process (as in a real run), with a fixed-window rate limit of `--limit` requests per `--window` seconds:
by default the Hub's anonymous policy (500 API calls per 5-minute window, ../shared/HUB_API.md) with the window
ten times shorter (30 s), so that the benchmark takes minutes, not half an hour, while the policy, not the
client's speed, still decides the pace (2,500 pages: five windows). `HubClient.fetch_snapshot` crawls the
whole listing (`Scope(full=True)`, `--page-size` items a page, the expand fields of a real crawl) as the asset
does, pacing itself by the `RateLimit` headers. Printed: wall time, pages, 429 answers, seconds spent waiting,
and the ratio to the minimum the policy allows:

    minimum = max(P * r, (ceil(P / L) - 1) * W + (P - (ceil(P / L) - 1) * L) * r)

with P pages, L requests per window, W the window, and r the client's own time per request, measured in the
same crawl (wall time minus time spent waiting, over requests). The first term is a crawl the policy does not
slow down; the second waits out every full window and then makes the last window's requests. Targets: ratio
<= 1.1, zero failed pages (every page fetched, no `HubFetchError`).

Items are compact (id, author, counts, dates): the pacing does not depend on their size, and 2.5M full items
would take the server minutes and gigabytes to load. The date is loaded by one warm-up request, then the
benchmark waits a whole window so that the crawl starts with a fresh one.

The Hub sends the seconds to the reset (`t`) as whole seconds, rounded up; a client pacing by them waits up to
a second more than needed at each window, which a shorter window turns into a larger share (BENCHMARKS.md).

    .venv/bin/python bench/crawl.py [--models 2500000] [--page-size 1000] [--limit 500] [--window 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAY = dt.date(2025, 6, 1)
TARGET_RATIO = 1.1


def write_archive(folder: Path, models: int) -> Path:
    """One plain `.jsonl` snapshot of `models` compact items, sorted by id as the Hub lists them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{DAY.isoformat()}.jsonl"
    width = len(str(models))
    with open(path, "w", encoding="utf-8") as fh:
        chunk = []
        for i in range(models):
            org = f"org{i % 997:03d}"
            repo = f"{org}/model-{i:0{width}d}"
            chunk.append(
                f'{{"_id":"{i:024x}","id":"{repo}","modelId":"{repo}","author":"{org}",'
                f'"createdAt":"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:00.000Z",'
                f'"downloads":{(i * 7919) % 100_000},"downloadsAllTime":{(i * 104_729) % 10_000_000},'
                f'"likes":{i % 500},"private":false,"tags":["transformers"]}}\n'
            )
            if len(chunk) == 100_000:
                fh.write("".join(chunk))
                chunk = []
        fh.write("".join(chunk))
    return folder


def start_hub(archive: Path, page_size: int, limit: int, window: float) -> tuple[subprocess.Popen, str]:
    """`hubpulse serve-hub` as a child process with the rate limit; returns it and its URL."""
    command = [
        sys.executable, "-m", "orchestration.cli.main", "serve-hub", "--archive", str(archive), "--port", "0",
        "--page-size", str(page_size), "--cache-dates", "1", "--exit-with-stdin",
        "--rate-limit", str(limit), "--rate-window", str(window),
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise SystemExit(f"the local Hub did not start (exit code {process.poll()})")
    return process, url


def stop_hub(process: subprocess.Popen) -> int:
    """Stop the child; return its peak RSS in MB."""
    process.stdin.close()
    _pid, _status, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_maxrss // 1024


def minimum_seconds(pages: int, limit: int, window: float, per_request: float) -> float:
    """The shortest crawl the fixed-window policy allows a client that needs `per_request` s a request."""
    full_windows = math.ceil(pages / limit) - 1
    paced = full_windows * window + (pages - full_windows * limit) * per_request
    return max(pages * per_request, paced)


def crawl(url: str, page_size: int) -> tuple[int, object, float]:
    """Fetch the whole listing as the asset does; return (items, FetchStats, seconds)."""
    from orchestration.hub.client import HubClient
    from orchestration.hub.scope import Scope
    from orchestration.hub.snapshots import gc_paused

    client = HubClient(source="local", endpoint=url, local_page_size=page_size)
    with client.serving() as endpoint_for:
        base = endpoint_for(DAY)
        t0 = time.perf_counter()
        with gc_paused():
            items, stats = client.fetch_snapshot(DAY, Scope(organisations=(), full=True), base)
            count = len(items)
            del items
        seconds = time.perf_counter() - t0
    return count, stats, seconds


def run(models: int, page_size: int, limit: int, window: float, work: Path) -> dict:
    """Build the archive, serve it rate-limited, crawl it; return the measurements."""
    t0 = time.perf_counter()
    archive = write_archive(work / "archive", models)
    built = time.perf_counter() - t0
    process, url = start_hub(archive, page_size, limit, window)
    try:
        t1 = time.perf_counter()
        # Warm-up: the server parses the date on its first request; then let that request's window expire.
        with urllib.request.urlopen(f"{url}/as-of/{DAY.isoformat()}/api/models?limit=1", timeout=600) as r:
            r.read()
        loaded = time.perf_counter() - t1
        time.sleep(window + 0.2)
        count, stats, seconds = crawl(url, page_size)
    finally:
        server_mb = stop_hub(process)
    pages = math.ceil(models / page_size)
    per_request = max(seconds - stats.seconds_waited, 0.0) / max(stats.requests, 1)
    minimum = minimum_seconds(pages, limit, window, per_request)
    return {
        "models": models, "items": count, "pages": stats.pages, "expected_pages": pages,
        "requests": stats.requests, "rate_limited": stats.rate_limited, "retries": stats.retries,
        "waited": stats.seconds_waited, "seconds": seconds, "per_request": per_request, "minimum": minimum,
        "policy_only": (math.ceil(pages / limit) - 1) * window, "archive_seconds": built,
        "load_seconds": loaded, "server_mb": server_mb,
        "client_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=2_500_000, help="models on the Hub (default 2.5M)")
    parser.add_argument("--page-size", type=int, default=1000, help="items per page (the Hub's maximum)")
    parser.add_argument("--limit", type=int, default=500, help="requests allowed per window (anonymous: 500)")
    parser.add_argument("--window", type=float, default=30.0, help="window in seconds (the Hub's is 300)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hubpulse-bench-crawl-") as tmp:
        work = args.keep or Path(tmp)
        r = run(args.models, args.page_size, args.limit, args.window, work)
    failed = r["items"] != r["models"] or r["pages"] != r["expected_pages"]
    ratio = r["seconds"] / r["minimum"]
    print(f"archive: {r['models']:,} models in one date ({r['archive_seconds']:.0f}s to write, "
          f"{r['load_seconds']:.0f}s for the server to load; server peak RSS {r['server_mb']:,} MB)")
    print(f"policy: {args.limit} requests per {args.window:g}s fixed window, {args.page_size} items a page")
    print(f"crawl: {r['items']:,} items in {r['pages']:,} pages ({r['requests']:,} requests, "
          f"{r['rate_limited']} answered 429, {r['retries']} retries), {r['seconds']:.1f}s wall, "
          f"{r['waited']:.1f}s waiting, {1000 * r['per_request']:.1f} ms per request otherwise")
    print(f"minimum the policy allows: {r['minimum']:.1f}s (windows alone: {r['policy_only']:.0f}s)")
    print(f"ratio crawl / minimum: {ratio:.3f}  (target <= {TARGET_RATIO}: "
          f"{'ok' if ratio <= TARGET_RATIO else 'ABOVE TARGET'})")
    print(f"failed pages: {'SOME (items or pages missing)' if failed else 0}; "
          f"client peak RSS {r['client_mb']:,.0f} MB; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
