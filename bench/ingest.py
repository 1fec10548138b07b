"""Benchmark: ingesting one large simulated day through the local Hub, beside a bare HTTP+JSON reader.

Both read the same pages from the same local Hub (a child process, as in a real run): the bare reader
follows the `Link` header with `http.client` and `json.loads`, nothing else; hubpulse fetches through
huggingface_hub's HTTP layer, converts to raw rows and writes the Parquet partition. Target: hubpulse at
least half the bare reader's rate.

    .venv/bin/python bench/ingest.py [--models 100000] [--page-size 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orchestration.hub.archive import read_snapshot, write_snapshot
from orchestration.hub.client import HubClient
from orchestration.hub.scope import Scope
from orchestration.hub.snapshots import (
    EXPAND_FIELDS,
    build_snapshot_rows,
    gc_paused,
    write_snapshot_partition,
)
from orchestration.localhub.simulator import SimulationConfig, simulate

DAY = dt.date(2025, 6, 1)


def large_day(workdir: Path, models: int) -> Path:
    """An archive with one day of `models` items: a simulated Hub day, its items repeated under new ids."""
    seed_dir = workdir / "seed"
    simulate(SimulationConfig(start=DAY, end=DAY, seed=11, missing_dates=0, rename_at=None), seed_dir,
             log=lambda _m: None)
    base = read_snapshot(seed_dir / f"{DAY}.jsonl.gz")
    items = []
    copy = 0
    while len(items) < models:
        for item in base:
            if len(items) == models:
                break
            clone = dict(item)
            if copy:
                org, name = item["id"].split("/", 1)
                clone["id"] = clone["modelId"] = f"{org}/{name}-copy{copy}"
                clone["_id"] = f"{copy:06x}{item['_id'][6:]}"
            items.append(clone)
        copy += 1
    archive = workdir / "archive"
    write_snapshot(archive, DAY, items)
    return archive


def bare_reader(base_url: str) -> int:
    """Read every page of the full listing with keep-alive `http.client` and `json.loads`; return items."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    query = urlencode([("expand", field) for field in EXPAND_FIELDS])
    path: str | None = f"{parts.path}/api/models?{query}"
    count = 0
    while path:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        count += len(json.loads(body))
        link = response.getheader("Link")
        path = None
        if link and 'rel="next"' in link:
            url = link.split(";")[0].strip().strip("<>")
            split = urlsplit(url)
            path = f"{split.path}?{split.query}"
    conn.close()
    return count


def hubpulse_ingest(client: HubClient, endpoint: str, out: Path) -> int:
    """Fetch, convert and write the partition as the asset does; return rows written."""
    with gc_paused():
        items, _stats = client.fetch_snapshot(DAY, Scope(organisations=(), full=True), endpoint)
        rows = build_snapshot_rows(items, DAY)
        del items
    write_snapshot_partition(out / "raw", out / "rejects", rows)
    return rows.rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each reader; the best is reported")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hubpulse-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        archive = large_day(work, args.models)
        print(f"built a {args.models:,}-model day in {time.perf_counter() - t0:.1f}s")
        client = HubClient(source="local", archive_dir=str(archive), local_page_size=args.page_size)
        with client.local_hub() as hub:
            endpoint = hub.endpoint(DAY)
            bare_reader(endpoint)  # warm-up: the server parses the day once
            bare, ours = [], []
            for run in range(args.repeat):
                t = time.perf_counter()
                n_bare = bare_reader(endpoint)
                bare.append(time.perf_counter() - t)
                t = time.perf_counter()
                n_ours = hubpulse_ingest(client, endpoint, work / f"out{run}")
                ours.append(time.perf_counter() - t)
        if n_bare != args.models or n_ours != args.models:
            raise SystemExit(f"item counts differ: bare {n_bare}, hubpulse {n_ours}, expected {args.models}")
        bare_rate, our_rate = args.models / min(bare), args.models / min(ours)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"bare HTTP+JSON reader : {bare_rate:10,.0f} models/s  (best of {args.repeat}: {min(bare):.2f}s)")
        print(f"hubpulse ingestion    : {our_rate:10,.0f} models/s  (best of {args.repeat}: {min(ours):.2f}s, "
              "fetch + rows + Parquet)")
        print(f"ratio hubpulse / bare : {our_rate / bare_rate:.2f}  (target >= 0.50)")
        print(f"peak RSS of this process: {peak_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
