"""Benchmark: the raw quality checks on the largest partition, and on a ranged backfill of many partitions.

1. Largest partition: two raw partitions of N models (default 1,000,000; the previous day with 2 % fewer models,
   so the row-count band has something to compare with) written straight as Parquet in RAW_SCHEMA, then every
   raw check on the second one in a fresh child process, exactly as the asset check does: read the checked
   columns, run the Great Expectations suite, write the Data Docs page. Prints the child's wall time (with and
   without importing great_expectations) and its peak RSS. Target: under 20 s and under 2 GB on 2 cores.
2. Ranged backfill (`--range-days` partitions of `--range-models` models, the shape of the demo's history): the
   raw checks of a single-run backfill, validated in batches (`validate_raw_partitions`, what the asset check
   does for a range) beside one Great Expectations run per partition (what it did before), in the same child
   process; the outcomes of every partition must be equal. No target of its own: it is most of the demo's
   ingestion step.

    .venv/bin/python bench/quality.py [--models 1000000] [--range-days 120] [--range-models 3000]
                                      [--no-data-docs] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAY = dt.date(2025, 6, 1)
TARGET_SECONDS = 20.0
TARGET_BYTES = 2 * 1024**3


def synthetic_partition(models: int, day: dt.date, seed: int = 0):
    """A raw partition of `models` rows in RAW_SCHEMA: seeded organisations plus many community authors."""
    import numpy as np
    import pyarrow as pa

    from orchestration.hub.snapshots import RAW_SCHEMA
    from orchestration.quality.raw import resolvable_organisations

    rng = np.random.default_rng(seed)
    orgs = np.array(sorted(resolvable_organisations()), dtype=object)
    community = np.array([f"user-{i:06d}" for i in range(max(models // 20, 1))], dtype=object)
    is_org = rng.random(models) < 0.3
    authors = np.where(
        is_org, orgs[rng.integers(0, len(orgs), models)], community[rng.integers(0, len(community), models)]
    )
    ids = np.char.add(np.char.add(authors.astype(str), "/model-"), np.arange(models).astype(str))
    order = np.argsort(ids)  # partitions are sorted by id
    ids, authors, is_org = ids[order], authors[order], is_org[order]
    all_time = (rng.lognormal(6, 3, models) * np.where(is_org, 20, 1)).astype(np.int64)
    downloads = all_time // 7
    missing = rng.random(models) < 0.002
    created = (np.datetime64("2022-03-03") + rng.integers(0, 1200, models).astype("timedelta64[D]")).astype(
        "datetime64[ms]"
    )
    created = np.minimum(created, np.datetime64(day.isoformat(), "ms"))
    n = models
    from orchestration.hub.snapshots import fetch_instant

    columns = {
        "snapshot_date": pa.array([day] * n, pa.date32()),
        "fetched_at": pa.array([fetch_instant(day)] * n, pa.timestamp("ms", tz="UTC")),
        "id": pa.array(ids.astype(object), pa.string()),
        "object_id": pa.array([f"{i:024x}" for i in range(n)], pa.string()),
        "author": pa.array(authors, pa.string()),
        "created_at": pa.array(created, pa.timestamp("ms")).cast(pa.timestamp("ms", tz="UTC")),
        "last_modified": pa.array(created, pa.timestamp("ms")).cast(pa.timestamp("ms", tz="UTC")),
        "downloads": pa.array(downloads, pa.int64()),
        "downloads_all_time": pa.array(np.where(missing, 0, all_time), pa.int64(), mask=missing),
        "likes": pa.array(rng.integers(0, 500, n), pa.int64()),
        "trending_score": pa.array(rng.random(n), pa.float64()),
        "pipeline_tag": pa.array(np.full(n, "text-generation", dtype=object), pa.string()),
        "library_name": pa.array(np.full(n, "transformers", dtype=object), pa.string()),
        "gated": pa.array(np.full(n, "false", dtype=object), pa.string()),
        "private": pa.array(np.zeros(n, dtype=bool)),
        "disabled": pa.array(np.zeros(n, dtype=bool)),
        "sha": pa.array(np.full(n, "0" * 40, dtype=object), pa.string()),
        "tags": pa.array([["transformers", "text-generation"]] * n, pa.list_(pa.string())),
        "safetensors_total": pa.array(rng.integers(10**6, 10**10, n), pa.int64()),
        "base_models_json": pa.nulls(n, pa.string()),
        "eval_results_json": pa.nulls(n, pa.string()),
        "model_index_json": pa.nulls(n, pa.string()),
        # The checks never read the item JSON; a short stand-in keeps the file quick to write.
        "item_json": pa.array(np.char.add(np.char.add('{"id":"', ids), '"}').astype(object), pa.string()),
    }
    return pa.Table.from_pydict(columns, schema=RAW_SCHEMA)


def write_partitions(home: Path, models: int) -> None:
    import pyarrow.parquet as pq

    from orchestration.hub.snapshots import PARTITION_FILE, partition_dir
    from orchestration.resources import HubpulsePaths

    raw = HubpulsePaths(home=str(home)).raw_models
    for day, rows, seed in ((DAY - dt.timedelta(days=1), int(models * 0.98), 1), (DAY, models, 2)):
        target = partition_dir(raw, day) / PARTITION_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            synthetic_partition(rows, day, seed), target, compression="zstd", row_group_size=122_880
        )


def run_checks(home: Path, data_docs: bool) -> dict:
    """Child process: all raw checks on DAY, timed, as the asset check runs them."""
    started = time.monotonic()
    from orchestration.quality.validation import import_gx

    import_gx()
    imported = time.monotonic()
    from orchestration.quality.checks import docs_site
    from orchestration.quality.config import QualityConfig
    from orchestration.quality.raw import validate_raw_partition
    from orchestration.resources import HubpulsePaths

    paths = HubpulsePaths(home=str(home))
    quality = QualityConfig(data_docs=data_docs)
    validation = validate_raw_partition(
        paths.raw_models, DAY, config=quality, docs=docs_site(paths, quality), run_name="bench"
    )
    done = time.monotonic()
    return {
        "rows": validation.rows,
        "gx_import_seconds": round(imported - started, 2),
        "checks_seconds": round(done - imported, 2),
        "total_seconds": round(done - started, 2),
        "failing": [name for name, o in validation.outcomes.items() if not o.passed],
        "docs_page": str(validation.docs_page) if validation.docs_page else None,
    }


def write_range(home: Path, days: int, models: int) -> list[dt.date]:
    """`days` consecutive raw partitions of about `models` models each (2 % growth a day, the band holds)."""
    import pyarrow.parquet as pq

    from orchestration.hub.snapshots import PARTITION_FILE, partition_dir
    from orchestration.resources import HubpulsePaths

    raw = HubpulsePaths(home=str(home)).raw_models
    out = []
    for i in range(days):
        day = DAY + dt.timedelta(days=i)
        target = partition_dir(raw, day) / PARTITION_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(synthetic_partition(int(models * (1 + 0.002 * i)), day, seed=100 + i), target,
                       compression="zstd")
        out.append(day)
    return out


def run_range(home: Path, days: list[dt.date], data_docs: bool) -> dict:
    """Child process: a ranged run's raw checks, batched and one by one; whether every outcome is equal."""
    from orchestration.quality.validation import import_gx

    import_gx()
    from orchestration.quality.checks import docs_site
    from orchestration.quality.config import QualityConfig
    from orchestration.quality.raw import (
        resolvable_organisations,
        validate_raw_partition,
        validate_raw_partitions,
    )
    from orchestration.resources import HubpulsePaths

    paths = HubpulsePaths(home=str(home))
    quality = QualityConfig(data_docs=data_docs)
    organisations = resolvable_organisations()
    docs = docs_site(paths, quality, index=False)
    validate_raw_partition(paths.raw_models, days[0], config=quality, organisations=organisations, docs=docs,
                           run_name="warm-up")  # GX's first validation sets up what every later one reuses
    t0 = time.monotonic()
    batched = validate_raw_partitions(paths.raw_models, days, config=quality, organisations=organisations,
                                      docs=docs, run_name="batched")
    t1 = time.monotonic()
    alone = {day: validate_raw_partition(paths.raw_models, day, config=quality, organisations=organisations,
                                         docs=docs, run_name=f"alone-{day}") for day in days}
    t2 = time.monotonic()

    def shape(validation):
        return {name: ([r.as_dict() for r in o.results], o.notes, o.extra, o.passed)
                for name, o in validation.outcomes.items()}

    different = [day.isoformat() for day in days if shape(batched[day]) != shape(alone[day])]
    return {"batched_seconds": round(t1 - t0, 2), "alone_seconds": round(t2 - t1, 2), "different": different,
            "failing": sorted({n for v in batched.values() for n, o in v.outcomes.items() if not o.passed})}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--models", type=int, default=1_000_000, help="models in the partition (default 1,000,000)"
    )
    parser.add_argument("--no-data-docs", action="store_true", help="skip writing the Data Docs page")
    parser.add_argument(
        "--keep", type=Path, help="work in this folder and keep it (default: a temporary one)"
    )
    parser.add_argument("--range-days", type=int, default=120, help="partitions of the ranged run (0: skip it)")
    parser.add_argument("--range-models", type=int, default=3000, help="models per partition of the ranged run")
    parser.add_argument("--skip-largest", action="store_true", help="only the ranged run")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-range", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_checks(args.child, not args.no_data_docs)))
        return
    if args.child_range:
        days = sorted(dt.date.fromisoformat(p.name.split("=")[1])
                      for p in (args.child_range / "raw" / "hub_models").glob("snapshot_date=*"))
        print(json.dumps(run_range(args.child_range, days, not args.no_data_docs)))
        return

    home = args.keep or Path(tempfile.mkdtemp(prefix="hubpulse-bench-quality-"))
    try:
        if not args.skip_largest:
            largest(home / "largest", args)
        if args.range_days:
            ranged(home / "range", args)
    finally:
        if args.keep is None:
            shutil.rmtree(home, ignore_errors=True)


def largest(home: Path, args) -> None:
    """Workload 1: every raw check on one partition of `--models` rows, in a fresh child process."""
    t0 = time.monotonic()
    write_partitions(home, args.models)
    print(f"wrote 2 synthetic partitions of ~{args.models:,} models in {time.monotonic() - t0:.1f}s ({home})")
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(home)]
    if args.no_data_docs:
        command.append("--no-data-docs")
    t1 = time.monotonic()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True)
        _pid, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        wall = time.monotonic() - t1
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"checks failed:\n{text[-4000:]}")
    report = json.loads(text.strip().splitlines()[-1])
    peak = usage.ru_maxrss * 1024  # Linux reports KiB
    cpu = usage.ru_utime + usage.ru_stime
    print(f"rows checked:           {report['rows']:,}")
    print(f"import GX:              {report['gx_import_seconds']:.1f} s")
    print(f"all raw checks:         {report['checks_seconds']:.1f} s (read, suite, Data Docs)")
    print(f"child process wall:     {wall:.1f} s (interpreter start and imports included)")
    print(f"child process CPU:      {cpu:.1f} s (user + system)")
    print(f"load average (1 min):   {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"peak RSS:               {peak / 1024**2:,.0f} MiB")
    print(f"failing checks:         {', '.join(report['failing']) or 'none'}")
    ok = wall < TARGET_SECONDS and peak < TARGET_BYTES
    print(f"largest partition target (< {TARGET_SECONDS:.0f} s, < 2 GiB): {'met' if ok else 'MISSED'}")


def ranged(home: Path, args) -> None:
    """Workload 2: a ranged run's raw checks, batched beside one GX run per partition."""
    t0 = time.monotonic()
    days = write_range(home, args.range_days, args.range_models)
    print(f"\nwrote {len(days)} partitions of ~{args.range_models:,} models in {time.monotonic() - t0:.1f}s")
    command = [sys.executable, str(Path(__file__).resolve()), "--child-range", str(home)]
    if args.no_data_docs:
        command.append("--no-data-docs")
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    if child.returncode:
        sys.exit(f"ranged checks failed:\n{child.stdout[-2000:]}\n{child.stderr[-4000:]}")
    report = json.loads(child.stdout.strip().splitlines()[-1])
    batched, alone = report["batched_seconds"], report["alone_seconds"]
    print(f"ranged run, {len(days)} partitions: batched {batched:.1f} s, one GX run per partition {alone:.1f} s "
          f"({alone / len(days):.2f} s a partition): ratio {batched / alone:.3f}")
    print(f"failing checks:         {', '.join(report['failing']) or 'none'}")
    same = not report["different"]
    print(f"outcomes of the batched run equal to one run per partition: "
          f"{'all equal' if same else 'DIFFERENT for ' + ', '.join(report['different'][:5])}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
