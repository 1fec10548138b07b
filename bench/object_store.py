"""Benchmark: raw partitions on an object store (HUBPULSE_RAW_URI=s3://bucket/prefix) beside a local folder.

The object store is **moto's S3 server**: a Python WSGI server keeping the objects in memory, started by this
script on loopback (127.0.0.1, a free port) in a child process of its own, so its CPU time and its request log
are its own and it does not share a GIL with the writer. botocore finds it through AWS_ENDPOINT_URL (fake
credentials; AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point nowhere; NO_PROXY=127.0.0.1), as
tests/test_object_store.py does. There is no network and no real S3 behind it: a request costs a loopback round
trip plus moto's Python handling. **So the numbers bound hubpulse's own overhead over fsspec/s3fs and its request
counts; they say nothing of a real S3's throughput or latency** (a real bucket adds a network round trip of
milliseconds to each request, and streams far faster than moto for large objects). Nothing is asserted.

On a history of `--models` x `--days` (bench/warehouse.py's `build_history`: simulated, imported, amplified with
clones; or `--history DIR` to reuse one kept by `bench/warehouse.py --keep DIR` or this script's `--keep DIR`),
it prints:

* **writes**: every partition written the way the raw writer writes it (`write_snapshot_partition`, which the
  ingestion asset and `import_archive` call: sweep the temporaries, stage the file whole, publish it; on the
  bucket, an upload under `_staging/` then a server-side copy and a delete), alternately into a local folder and
  into the bucket, day by day: seconds per partition (median and mean), the writer's CPU, moto's CPU, MB per
  partition, and the S3 requests per partition by kind, counted from moto's own request log (one line per
  request, whoever sends it);
* **listing**: `rawstore.list_partitions` of both roots at `--days` partitions, and at each of `--list-at`
  partition counts (placeholder keys / files of one byte: listing reads names only), median of
  `--list-repeat` calls, with its requests;
* **dbt**: a full `dbt build` of the whole history (a fresh home, every model and data test) over the bucket and
  over the local folder, their marts then compared row by row on their grain (bench/floor.py's `compare_marts`:
  they must be equal), and then the last day's one-day window built `--repeat` times alternately, both as
  the Dagster daily run's set (`tag:daily_partitioned`) and as a whole `dbt build` (the non-partitioned marts
  read the whole history). The window day is re-built over the full build (re-running a window gives the same
  rows; the work is the day's). Wall, CPU and peak RSS of the dbt process (bench/warehouse.py's `run_dbt`), moto's
  CPU and the requests of the run, and the bucket / local ratios (best of each side).

    .venv/bin/python bench/object_store.py [--models 20000] [--days 30] [--repeat 2] [--list-at 100,365]
                                           [--list-repeat 3] [--skip-dbt] [--quick] [--keep DIR] [--history DIR]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from warehouse import DAILY, bench_history, clear, run_dbt  # bench/ is not a package: found through sys.path

BUCKET = "hubpulse-bench"
PREFIX = f"s3://{BUCKET}/raw"  # HUBPULSE_RAW_URI of the bucket side
CAVEAT = ("moto's S3 server is a Python server (objects in memory) on loopback 127.0.0.1: these numbers bound "
          "hubpulse's own overhead and request counts, not a real S3's throughput or latency")
REQUEST = re.compile(r'"(GET|PUT|HEAD|DELETE|POST) (\S+) HTTP/[\d.]+" (\d{3})')
KINDS = ("LIST", "GET", "HEAD", "PUT", "COPY", "DELETE", "POST")


# ------------------------------------------------------------------------------------------ the server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Requests:
    """S3 requests seen by the server between two marks, by kind."""

    kinds: collections.Counter = field(default_factory=collections.Counter)
    errors: int = 0  # 4xx/5xx answers (a HEAD of a missing key is a 404 and counted here too)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    def per(self, n: int) -> str:
        """`12.0 (LIST 1.0, PUT 1.0, ...)`: requests per unit of work, by kind."""
        if not self.total:
            return "0"
        parts = ", ".join(f"{k} {self.kinds[k] / n:g}" for k in KINDS if self.kinds[k])
        errors = f"; {self.errors / n:g} answered 4xx/5xx" if self.errors else ""
        return f"{self.total / n:g} ({parts}{errors})"


class MotoServer:
    """moto's S3 server in a child process on 127.0.0.1, its request log in a file, its CPU from /proc."""

    def __init__(self, work: Path):
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "moto-requests.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115  (held for the server's lifetime)
        code = "import sys; from moto.server import main; main(sys.argv[1:])"
        self.proc = subprocess.Popen([sys.executable, "-c", code, "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=self._log)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"moto server did not start: {self.log_path.read_text(errors='replace')}")
                time.sleep(0.2)

    def mark(self) -> int:
        """The request log's current length (the start of a measured step)."""
        time.sleep(0.3)  # werkzeug logs a request after answering it
        return self.log_path.stat().st_size

    def requests_since(self, mark: int) -> Requests:
        time.sleep(0.3)
        with open(self.log_path, "rb") as fh:
            fh.seek(mark)
            text = fh.read().decode(errors="replace")
        out = Requests()
        for method, target, status in REQUEST.findall(text):
            path, _, query = target.partition("?")
            if (method == "GET" and path.strip("/") == BUCKET) or "list-type" in query:
                kind = "LIST"
            elif method == "PUT" and "/snapshot_date=" in path:
                kind = "COPY"  # the writer only ever reaches a final key by a server-side copy (rawstore.publish)
            else:
                kind = method
            out.kinds[kind] += 1
            out.errors += status[0] in "45"
        return out

    def cpu(self) -> float:
        """User + system seconds of the server process so far (all its threads)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def point_botocore_at(server: MotoServer, work: Path) -> None:
    """The AWS environment of this process and its children (dbt): the moto endpoint, fake credentials."""
    nowhere = work / "no-aws-config"  # no ~/.aws file of the machine is read
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      AWS_ENDPOINT_URL=server.endpoint, AWS_CONFIG_FILE=str(nowhere),
                      AWS_SHARED_CREDENTIALS_FILE=str(nowhere), NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    os.environ.pop("HUBPULSE_RAW_URI", None)
    import boto3

    boto3.client("s3").create_bucket(Bucket=BUCKET)


# ------------------------------------------------------------------------------------------ measurements


@dataclass
class Step:
    """One measured step: wall and CPU seconds (of the measured process), moto's CPU, its requests."""

    name: str
    seconds: float
    cpu: float
    rss_mb: float
    server_cpu: float
    requests: Requests
    note: str = ""


def write_partitions(history: Path, roots: dict[str, tuple[object, object]], server: MotoServer,
                     days: list[dt.date]) -> dict[str, dict]:
    """Write every day of `history` into each root as the raw writer does, alternately; per-root measurements."""
    from orchestration.hub import rawstore
    from orchestration.hub.snapshots import REJECTS_SCHEMA, SnapshotRows, write_snapshot_partition

    out = {name: {"seconds": [], "cpu": 0.0, "server_cpu": 0.0, "bytes": 0, "requests": Requests()}
           for name in roots}
    for day in days:
        table = rawstore.read_table(rawstore.partition_file(history, day))
        rows = SnapshotRows(snapshot_date=day, table=table, rejects=REJECTS_SCHEMA.empty_table())
        for name, (raw, rejects) in roots.items():
            mark, server_cpu = server.mark(), server.cpu()
            cpu, t0 = time.process_time(), time.perf_counter()
            target = write_snapshot_partition(raw, rejects, rows)
            seconds = time.perf_counter() - t0
            stats = out[name]
            stats["seconds"].append(seconds)
            stats["cpu"] += time.process_time() - cpu
            stats["server_cpu"] += server.cpu() - server_cpu
            got = server.requests_since(mark)  # before the size's own HEAD below
            stats["requests"].kinds.update(got.kinds)
            stats["requests"].errors += got.errors
            stats["bytes"] += rawstore.size(target)
    return out


def placeholder_roots(work: Path, counts: list[int], server: MotoServer) -> dict[int, dict[str, object]]:
    """For each count N, a local folder and a bucket prefix holding N one-byte `part-0.parquet` placeholders."""
    import boto3

    client = boto3.client("s3")
    roots = {}
    for n in counts:
        days = [dt.date(2000, 1, 1) + dt.timedelta(days=i) for i in range(n)]
        local = work / f"listing-{n}" / "hub_models"
        for day in days:
            folder = local / f"snapshot_date={day.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "part-0.parquet").write_bytes(b"x")
        prefix = f"listing-{n}/hub_models"
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda d, p=prefix: client.put_object(
                Bucket=BUCKET, Key=f"{p}/snapshot_date={d.isoformat()}/part-0.parquet", Body=b"x"), days))
        roots[n] = {"local folder": local, "bucket": f"s3://{BUCKET}/{prefix}"}
    return roots


def time_listing(root: object, expected: int, server: MotoServer, repeat: int) -> tuple[float, Requests]:
    """Median seconds of `rawstore.list_partitions(root)` over `repeat` calls, and its requests per call."""
    from orchestration.hub import rawstore

    seconds = []
    mark = server.mark()
    for _ in range(repeat):
        t0 = time.perf_counter()
        found = rawstore.list_partitions(root)
        seconds.append(time.perf_counter() - t0)
        if len(found) != expected:
            raise SystemExit(f"list_partitions({root}) found {len(found)} partitions, expected {expected}")
    got = server.requests_since(mark)
    got.kinds = collections.Counter({k: v / repeat for k, v in got.kinds.items()})
    got.errors = got.errors / repeat
    return statistics.median(seconds), got


def dbt_step(name: str, home: Path, server: MotoServer, raw_uri: str | None, *args: str,
             window: dt.date | None = None) -> Step:
    """One dbt run (bench/warehouse.py's `run_dbt`) with HUBPULSE_RAW_URI set for the bucket side only."""
    home.mkdir(parents=True, exist_ok=True)
    if raw_uri:
        os.environ["HUBPULSE_RAW_URI"] = raw_uri
    try:
        mark, server_cpu = server.mark(), server.cpu()
        seconds, cpu, rss = run_dbt(home, *args, window=window)
        return Step(name, seconds, cpu, rss, server.cpu() - server_cpu, server.requests_since(mark))
    finally:
        os.environ.pop("HUBPULSE_RAW_URI", None)


# ------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=20_000, help="models per day at the end of the history")
    parser.add_argument("--days", type=int, default=30, help="snapshot dates in the history")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each window build on each side (best counts)")
    parser.add_argument("--list-at", default="100,365",
                        help="more partition counts to time list_partitions at (placeholder files), comma-separated")
    parser.add_argument("--list-repeat", type=int, default=3, help="calls of list_partitions per root (median)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-dbt", action="store_true", help="writes and listings only")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 models x 10 days, listings at 100, one window run: a smoke run")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--history", type=Path,
                        help="reuse the raw history of an earlier --keep folder (its history/raw/hub_models; "
                             "bench/warehouse.py --keep makes the same layout)")
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.days, args.list_at, args.repeat = 2_000, 10, "100", 1
    list_at = [int(n) for n in args.list_at.split(",") if n.strip()]

    print(f"NOTE: {CAVEAT}.")
    with tempfile.TemporaryDirectory(prefix="hubpulse-bench-") as tmp:
        work = args.keep or Path(tmp)
        clear(work, ("local", "bucket", "moto-requests.log", *(f"listing-{n}" for n in list_at)))
        t_start = time.perf_counter()
        history, days = bench_history(parser, args, work)
        import pyarrow.parquet as pq

        last_rows = pq.ParquetFile(history / f"snapshot_date={days[-1].isoformat()}" / "part-0.parquet").metadata.num_rows

        server = MotoServer(work)
        try:
            import moto

            point_botocore_at(server, work)
            print(f"object store: moto {moto.__version__} S3 server at {server.endpoint} (child process, pid "
                  f"{server.proc.pid}); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            homes = {"local folder": work / "local", "bucket": work / "bucket"}
            roots = {"local folder": (homes["local folder"] / "raw" / "hub_models",
                                      homes["local folder"] / "raw" / "hub_models_rejects"),
                     "bucket": (f"{PREFIX}/hub_models", f"{PREFIX}/hub_models_rejects")}

            # ------------------------------------------------------------------ writes
            writes = write_partitions(history, roots, server, days)
            n = len(days)
            print(f"\nwrite one day's partition (write_snapshot_partition: sweep, stage whole, publish), "
                  f"{n} partitions of up to {last_rows:,} rows each, alternately local / bucket")
            print(f"{'raw root':<14} {'median s':>9} {'mean s':>8} {'writer CPU s':>13} {'moto CPU s':>11} "
                  f"{'MB/part.':>9} {'MB/s':>7}   S3 requests per partition (by kind)")
            for name, st in writes.items():
                mean = statistics.mean(st["seconds"])
                mb = st["bytes"] / n / 2**20
                print(f"{name:<14} {statistics.median(st['seconds']):9.3f} {mean:8.3f} {st['cpu'] / n:13.3f} "
                      f"{st['server_cpu'] / n:11.3f} {mb:9.2f} {mb / mean:7.1f}   {st['requests'].per(n)}")
            local_w, bucket_w = writes["local folder"], writes["bucket"]
            print(f"write ratio bucket / local: {statistics.median(bucket_w['seconds']) / statistics.median(local_w['seconds']):.2f} "
                  f"median wall, {bucket_w['cpu'] / local_w['cpu']:.2f} writer CPU "
                  f"(+ moto's {bucket_w['server_cpu'] / n:.3f} s a partition)")

            # ------------------------------------------------------------------ listings
            print(f"\nlist partitions (rawstore.list_partitions), median of {args.list_repeat} calls")
            print(f"{'partitions':>10} {'local s':>9} {'bucket s':>9} {'x local':>7}   S3 requests per call (by kind)")
            listing_roots = {n: {name: r[0] for name, r in roots.items()}}
            listing_roots.update(placeholder_roots(work, [c for c in list_at if c != n], server))
            for count, pair in sorted(listing_roots.items()):
                local_s, _ = time_listing(pair["local folder"], count, server, args.list_repeat)
                bucket_s, got = time_listing(pair["bucket"], count, server, args.list_repeat)
                kind = "" if count == n else " (placeholders)"
                print(f"{count:>10,} {local_s:9.4f} {bucket_s:9.4f} {bucket_s / local_s:7.1f}   {got.per(1)}{kind}")
            print(f"listing ratio bucket / local at {count:,} partitions: {bucket_s / local_s:.0f} "
                  f"({bucket_s:.2f} s vs {local_s:.4f} s, {got.total:g} requests a call)")

            # ------------------------------------------------------------------ dbt
            if not args.skip_dbt:
                from floor import compare_marts

                uri = {"local folder": None, "bucket": PREFIX}
                steps: list[Step] = []
                full = {}
                for name in ("local folder", "bucket"):  # fresh homes: a full refresh of the whole history
                    full[name] = dbt_step(f"dbt build, full, days 1..{n}, {name}", homes[name], server, uri[name],
                                          "build")
                    steps.append(full[name])
                marts = compare_marts(homes["bucket"] / "warehouse.duckdb", homes["local folder"] / "warehouse.duckdb")
                window: dict[tuple[str, str], list[Step]] = collections.defaultdict(list)
                for run in range(args.repeat):
                    for label, dbt_args in (("daily_partitioned", DAILY), ("whole build", ("build",))):
                        for name in ("local folder", "bucket"):  # alternately, so that both see the same load
                            step = dbt_step(f"day {n} window, {label}, {name}, run {run + 1}", homes[name], server,
                                            uri[name], *dbt_args, window=days[-1])
                            window[(label, name)].append(step)
                            steps.append(step)
                print(f"\n{'dbt run (wall, CPU, RSS: the dbt process)':<58} {'wall s':>7} {'CPU s':>7} "
                      f"{'peak RSS MB':>12} {'moto CPU s':>11}   S3 requests (by kind)")
                for s in steps:
                    print(f"{s.name:<58} {s.seconds:7.1f} {s.cpu:7.1f} {s.rss_mb:12,.0f} {s.server_cpu:11.1f}   "
                          f"{s.requests.per(1)}")
                print()

                def ratio(label: str, local: Step, bucket: Step) -> None:
                    print(f"{label} ratio bucket / local: {bucket.seconds / local.seconds:.2f} wall, "
                          f"{bucket.cpu / local.cpu:.2f} dbt CPU, {(bucket.cpu + bucket.server_cpu) / local.cpu:.2f} "
                          f"dbt + moto CPU; peak RSS {local.rss_mb:,.0f} -> {bucket.rss_mb:,.0f} MB")

                ratio(f"full build, days 1..{n},", full["local folder"], full["bucket"])
                for label in ("daily_partitioned", "whole build"):
                    best = {name: min(window[(label, name)], key=lambda s: s.seconds) for name in homes}
                    ratio(f"day {n} window, {label} (best of {args.repeat}),", best["local folder"], best["bucket"])
                equal = all(v.startswith("equal") for v in marts.values())
                print(f"marts of the bucket build and the local build: {'all equal' if equal else 'DIFFERENT'}")
                for mart, verdict in marts.items():
                    print(f"  {mart:<36} {verdict}")
                if not equal:
                    return 1
            print(f"\nmoto server: {server.cpu():.1f} s CPU in all, peak RSS {server.peak_rss_mb():,.0f} MB "
                  f"(it holds every object in memory)")
        finally:
            server.stop()
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; total bench time "
              f"{time.perf_counter() - t_start:.0f}s, {last_rows:,} models x {len(days)} days")
        print(f"NOTE: {CAVEAT}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
