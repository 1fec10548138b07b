"""Benchmark: the dbt warehouse on a long simulated history - full refresh, and one incremental day early and late.

Prints the wall time and the peak RSS of the dbt process (`os.wait4` rusage of that one child) for:

* a full-refresh `dbt build` of the whole history (all models, no window);
* one incremental day at day `--early-day` (30) and at the last day (`--days`, 400): a home whose raw partitions
  hold days 1..D, fully refreshed while only days 1..D-1 were there, then day D added and built as
  `dbt build --select tag:daily_partitioned` with HUBPULSE_WINDOW_START = END = day D (the Dagster daily run),
  and separately a whole `dbt build` with that window (the non-partitioned marts are rebuilt in full, so that
  one is expected to grow with the history);

and the last-day / early-day ratios. Targets: daily-set ratio <= 1.2, peak RSS <= 3 GB.

Every full refresh is a plain `dbt build` (no window) in a fresh home, where no table exists yet, so every
model builds its whole history: the same work as `--full-refresh`.

The history is built quickly, with clones. The simulator writes ~30k items/s and a 20k-model x 400-day
history is 8M items, so only a base history is simulated (the simulator's realistic default Hub, about 2-3k
models, `missing_dates=0`, no rename), imported into raw partitions with `import_archive`, and then every raw
partition is amplified to about `--models` rows with DuckDB: the partition's rows plus k clones of each, whose
`id`, `object_id` and the ids inside `item_json` get a `-cN` suffix. Clones keep their author (organisations
and regions stay real) and their tags / `base_models_json` (they point at the original parents, so lineage
fans in as on the real Hub), and their download series (per-model behaviour stays realistic). The clone
factor is fixed for the whole history (from the last day's base size), so the Hub still grows over time, and
a model's clones are chosen by a hash of its id, so they exist on every day the original does. Below the
base size, the simulator is scaled down instead (fewer catalogue models and community accounts).

    .venv/bin/python bench/warehouse.py [--models 20000] [--days 400] [--early-day 30] [--skip-late] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROJECT_DIR = ROOT / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
START = dt.date(2024, 12, 1)
BASE_MODELS = 2500  # about what the simulator's default Hub holds over a long window
TARGET_RATIO = 1.2
TARGET_RSS_MB = 3 * 1024


# ------------------------------------------------------------------------------------------ history


def simulate_base(work: Path, days: int, models: int, seed: int) -> Path:
    """Simulate the base archive (default-size Hub, scaled down only for tiny runs); return its folder."""
    from orchestration.hub.simulator import SimulationConfig, simulate

    scale = min(1.0, models / BASE_MODELS)
    config = SimulationConfig(
        start=START, end=START + dt.timedelta(days=days - 1), seed=seed, missing_dates=0, rename_at=None,
        catalogue_fraction=max(scale, 0.05), community_authors=max(int(300 * scale), 10),
    )
    out = work / "archive"
    simulate(config, out, log=lambda _m: None)
    return out


def amplify(raw_root: Path, models: int) -> tuple[int, int, float]:
    """Clone every raw partition's rows up to about `models` on the last day; return (first, last, factor)."""
    import duckdb
    import pyarrow.parquet as pq

    from orchestration.hub.snapshots import PARTITION_FILE, RAW_SCHEMA

    files = sorted(raw_root.glob(f"snapshot_date=*/{PARTITION_FILE}"))
    last_rows = pq.ParquetFile(files[-1]).metadata.num_rows
    factor = max(1.0, models / last_rows)  # copies per model, original included
    clones = math.ceil(factor) - 1
    whole = math.floor(factor) - 1  # clones 1..whole always exist; clone `clones` only for a hashed share
    share = round((factor - math.floor(factor)) * 10_000)
    if clones == 0:
        return pq.ParquetFile(files[0]).metadata.num_rows, last_rows, 1.0
    con = duckdb.connect()
    con.execute("set threads = 2")
    columns = [f.name for f in RAW_SCHEMA]
    renamed = {
        "id": "id || sfx",
        "object_id": "object_id || sfx",
        "item_json": (
            "replace(replace(replace(item_json,"
            " '\"id\":' || cast(to_json(id) as varchar), '\"id\":' || cast(to_json(id || sfx) as varchar)),"
            " '\"modelId\":' || cast(to_json(id) as varchar), '\"modelId\":' || cast(to_json(id || sfx) as varchar)),"
            " '\"_id\":' || cast(to_json(object_id) as varchar),"
            " '\"_id\":' || cast(to_json(object_id || sfx) as varchar))"
        ),
    }
    clone_select = ", ".join(f"{renamed.get(c, c)} as {c}" for c in columns)
    plain_select = ", ".join(columns)
    counts = []
    for path in files:
        src = str(path).replace("'", "''")
        table = con.sql(f"""
            with src as (select * from read_parquet('{src}', hive_partitioning = false)),
            copies as (select c, '-c' || c as sfx from range(1, {clones + 1}) as t(c))
            select {plain_select} from src
            union all
            select {clone_select}
            from src cross join copies
            where copies.c <= {whole} or hash(coalesce(object_id, id)) % 10000 < {share}
            order by id
        """).to_arrow_table().cast(RAW_SCHEMA)
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table, tmp, compression="zstd", row_group_size=122_880, write_statistics=True)
        os.replace(tmp, path)
        counts.append(table.num_rows)
    con.close()
    return counts[0], counts[-1], factor


def build_history(work: Path, days: int, models: int, seed: int) -> Path:
    """Simulate, import and amplify; return the raw root (`.../raw/hub_models`) of the full history."""
    from orchestration.hub.transfer import import_archive

    t0 = time.perf_counter()
    archive = simulate_base(work, days, models, seed)
    t1 = time.perf_counter()
    raw_root = work / "history" / "raw" / "hub_models"
    import_archive(archive, raw_root, work / "history" / "rejects", log=lambda _m: None)
    shutil.rmtree(archive)
    t2 = time.perf_counter()
    base_first, base_last = _rows(raw_root, 0), _rows(raw_root, -1)
    first, last, factor = amplify(raw_root, models)
    t3 = time.perf_counter()
    total = sum(_rows_of(p) for p in sorted(raw_root.glob("snapshot_date=*/part-0.parquet")))
    size_mb = sum(p.stat().st_size for p in raw_root.rglob("*.parquet")) / 2**20
    print(f"history: {days} days from {START}, base {base_first:,} -> {base_last:,} models/day (simulated "
          f"{t1 - t0:.0f}s, imported {t2 - t1:.0f}s); x{factor:.2f} with clones -> {first:,} -> {last:,} models/day, "
          f"{total:,} rows, {size_mb:,.0f} MB of Parquet (amplified {t3 - t2:.0f}s)")
    return raw_root


def _rows_of(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def _rows(raw_root: Path, index: int) -> int:
    return _rows_of(sorted(raw_root.glob("snapshot_date=*/part-0.parquet"))[index])


def link_days(raw_root: Path, home: Path, days: list[dt.date]) -> None:
    """Hard-link the raw partitions of `days` into `home`'s raw folder (no copy, no write to the history)."""
    for day in days:
        name = f"snapshot_date={day.isoformat()}"
        target = home / "raw" / "hub_models" / name
        target.mkdir(parents=True, exist_ok=True)
        os.link(raw_root / name / "part-0.parquet", target / "part-0.parquet")


# ------------------------------------------------------------------------------------------ dbt runs


def run_dbt(home: Path, *args: str, window: dt.date | None = None) -> tuple[float, float]:
    """Run the dbt CLI against `home`; return (wall seconds, peak RSS MB of the dbt process and its children)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_WINDOW_")}
    env["HUBPULSE_HOME"] = str(home)
    if window is not None:
        env["HUBPULSE_WINDOW_START"] = env["HUBPULSE_WINDOW_END"] = window.isoformat()
    cmd = [str(DBT), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
           "--target-path", str(home / "dbt_target"), "--log-path", str(home / "dbt_logs")]
    log = home / "dbt_stdout.log"
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(args)} (window {window})\n".encode())
        out.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not the max over all children
        seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-5000:]
        raise SystemExit(f"dbt {' '.join(args)} failed ({proc.returncode}) in {home}:\n{tail}")
    return seconds, usage.ru_maxrss / 1024


def slowest_nodes(home: Path, n: int = 3) -> str:
    """Summed node times (models / data tests) and the `n` slowest nodes of the last run in `home`."""
    results = json.loads((home / "dbt_target" / "run_results.json").read_text())["results"]
    results = [r for r in results if not r["unique_id"].startswith("unit_test.")]  # tiny fixtures
    models = sum(r["execution_time"] for r in results if r["unique_id"].startswith("model."))
    tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
    top = sorted(results, key=lambda r: r["execution_time"], reverse=True)[:n]
    names = ", ".join(f"{r['unique_id'].split('.')[2][:60]} {r['execution_time']:.1f}s" for r in top)
    return f"models {models:.0f}s + tests {tests:.0f}s; {names}"


DAILY = ("build", "--select", "tag:daily_partitioned", "--indirect-selection", "cautious")


def incremental_leg(raw_root: Path, home: Path, all_days: list[dt.date], index: int, rows: list) -> dict:
    """Day `index` (1-based): refresh days 1..index-1, add day `index`, time the daily set and a whole build."""
    day = all_days[index - 1]
    link_days(raw_root, home, all_days[: index - 1])
    # Fresh home: a full refresh (see the docstring). Data tests skipped: they change no state.
    secs, rss = run_dbt(home, "build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    rows.append((f"prep: full refresh, days 1..{index - 1}, no tests", secs, rss, ""))
    link_days(raw_root, home, [day])
    secs, rss = run_dbt(home, *DAILY, window=day)
    daily = (f"day {index} ({day}): daily_partitioned", secs, rss, slowest_nodes(home, 3))
    secs, rss = run_dbt(home, "build", window=day)
    whole = (f"day {index} ({day}): whole build, window", secs, rss, slowest_nodes(home, 3))
    rows.extend([daily, whole])
    return {"daily": daily, "whole": whole}


# ------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=20_000, help="models per day at the end of the history")
    parser.add_argument("--days", type=int, default=400, help="snapshot dates in the history")
    parser.add_argument("--early-day", type=int, default=30, help="the early incremental day (1-based)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-full", action="store_true", help="skip the full refresh of the whole history")
    parser.add_argument("--skip-late", action="store_true", help="skip the last-day leg (quick smoke runs)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    if not 2 <= args.early_day <= args.days:
        parser.error("--early-day must be between 2 and --days")

    with tempfile.TemporaryDirectory(prefix="hubpulse-bench-") as tmp:
        work = args.keep or Path(tmp)
        if args.keep:
            work.mkdir(parents=True, exist_ok=True)
            for name in ("history", "full", "early", "late"):
                shutil.rmtree(work / name, ignore_errors=True)
        t0 = time.perf_counter()
        raw_root = build_history(work, args.days, args.models, args.seed)
        all_days = [START + dt.timedelta(days=i) for i in range(args.days)]
        rows: list[tuple[str, float, float, str]] = []

        if not args.skip_full:
            home = work / "full"
            link_days(raw_root, home, all_days)
            secs, rss = run_dbt(home, "build")  # fresh home: a full refresh (see the docstring)
            rows.append((f"full refresh, days 1..{args.days}", secs, rss, slowest_nodes(home, 4)))
        early = incremental_leg(raw_root, work / "early", all_days, args.early_day, rows)
        late = None
        if not args.skip_late and args.days > args.early_day:
            late = incremental_leg(raw_root, work / "late", all_days, args.days, rows)

        print(f"\n{'workload':<44} {'seconds':>8} {'peak RSS MB':>12}   slowest nodes")
        for name, secs, rss, nodes in rows:
            print(f"{name:<44} {secs:8.1f} {rss:12,.0f}   {nodes}")
        peak = max(r[2] for r in rows)
        if late is not None:
            daily_ratio = late["daily"][1] / early["daily"][1]
            whole_ratio = late["whole"][1] / early["whole"][1]
            ok = "ok" if daily_ratio <= TARGET_RATIO else "ABOVE TARGET"
            print(f"\nratio day {args.days} / day {args.early_day}, daily_partitioned : {daily_ratio:.2f}  "
                  f"(target <= {TARGET_RATIO}: {ok})")
            print(f"ratio day {args.days} / day {args.early_day}, whole build      : {whole_ratio:.2f}  "
                  "(non-partitioned marts rebuilt in full: expected to grow with the history)")
        print(f"peak RSS of any dbt run: {peak:,.0f} MB (target <= {TARGET_RSS_MB:,} MB: "
              f"{'ok' if peak <= TARGET_RSS_MB else 'ABOVE TARGET'})")
        print(f"total bench time {time.perf_counter() - t0:.0f}s, {args.models:,} models x {args.days} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
