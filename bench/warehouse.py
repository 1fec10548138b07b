"""Benchmark: the dbt warehouse on a long simulated history, beside its SQL floor; and one day early and late.

Prints the wall time, CPU time and peak RSS of each process (`os.wait4` rusage of that one child) for:

* the history build: a full-refresh `dbt build` of the whole history (every model and data test) beside the
  SQL floor (`bench/floor.sql`, run by `bench/floor.py`): a hand-written DuckDB script computing the same marts
  straight from the raw Parquet, with the same DuckDB settings (threads, memory limit). The marts of both are
  then compared row by row on their grain (they must be equal: the floor is an independent check). Targets:
  dbt within 2x the floor, peak RSS under 3 GB;
* one incremental day at day `--early-day` (30) and at the last day (`--days`, 400) of a history: a home whose
  raw partitions hold its days 1..D, fully refreshed while only days 1..D-1 were there, then day D added and built as
  `dbt build --select tag:daily_partitioned` with HUBPULSE_WINDOW_START = END = day D (the daily models of the
  Dagster daily run, their tests included), repeated `--repeat` times alternately early and late, and
  separately (as many times, alternately) a whole `dbt build` with that window (the daily models plus the unpartitioned ones, rebuilt in full
  from the compact daily tables: the dbt work of the Dagster daily run). Every measured run starts from the
  warehouse the preparation left (its file copied back first, outside the timing), so each one builds day D as
  a new day, as the daily run does; re-running a window already built is a re-crawl of the day, which costs more
  where a rule skips work for a new day (int_model_listings' clean-up).
  The early leg is, by default (`--early-at end`), the last `--early-day` days of the history: its day D is the
  late leg's own last day, the same raw partition (the same scope, the same models), after a history of 30 days
  instead of 365, which is what "the same cost on day 365 as on day 30 at the same scope" compares.
  `--early-at start` takes the history's first days instead (the earlier sessions' measure): the simulated Hub
  grows over the year (at 50k, about 22.7k models on day 30), so that ratio also counts the scope's growth.
  Targets: the best late / best early ratio of the daily set <= 1.2, of the whole build (wall and peak RSS)
  <= 1.3;
* per node, for the two whole builds with a window (not with `--skip-whole`): each run's `run_results.json`
  read right after it, the summed model and data test time of each day, and the `--per-node` (15) nodes with
  the largest last-day execution time, with their early and late seconds and the late / early ratio (which
  nodes grow with the history, and by how much).

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

    .venv/bin/python bench/warehouse.py [--models 20000] [--days 400] [--early-day 30] [--repeat 3]
                                        [--skip-full] [--skip-late] [--skip-whole] [--per-node 15]
                                        [--keep DIR] [--history DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PROJECT_DIR = ROOT / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
START = dt.date(2024, 12, 1)
BASE_MODELS = 2500  # about what the simulator's default Hub holds over a long window
TARGET_RATIO = 1.2
TARGET_WHOLE_RATIO = 1.3  # issue 18: the whole daily run at day 365 against day 30
TARGET_FLOOR_RATIO = 2.0
TARGET_RSS_MB = 3 * 1024


# ------------------------------------------------------------------------------------------ history


def simulate_base(work: Path, days: int, models: int, seed: int) -> Path:
    """Simulate the base archive (default-size Hub, scaled down only for tiny runs); return its folder."""
    from orchestration.localhub.simulator import SimulationConfig, simulate

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


def clear(work: Path, names) -> None:
    """Make the work folder, removing these outputs of an earlier run kept in it (files or folders)."""
    work.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = work / name
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)


def bench_history(parser: argparse.ArgumentParser, args: argparse.Namespace, work: Path) -> tuple[Path, list[dt.date]]:
    """The raw root of a bench's history and its snapshot dates: an earlier `--keep` folder's (`--history DIR`, its
    history/raw/hub_models) or one built in `work` (`--models` x `--days`, `--seed`)."""
    if args.history:
        raw_root = args.history / "history" / "raw" / "hub_models"
        if not any(raw_root.glob("snapshot_date=*")):
            parser.error(f"--history {args.history}: no raw partitions under {raw_root} (give the folder an "
                         f"earlier run kept with --keep)")
    else:
        if args.keep:
            shutil.rmtree(work / "history", ignore_errors=True)
        raw_root = build_history(work, args.days, args.models, args.seed)
    days = [dt.date.fromisoformat(p.name.split("=")[1]) for p in sorted(raw_root.glob("snapshot_date=*"))]
    if args.history:
        print(f"history: reusing {len(days)} days of {raw_root}")
    return raw_root, days


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


@dataclass
class Measured:
    """One timed process: wall and CPU seconds, peak RSS, and what to show beside it."""

    name: str
    seconds: float
    cpu: float
    rss_mb: float
    note: str = ""


def run_dbt(home: Path, *args: str, window: dt.date | None = None,
            project: Path = PROJECT_DIR) -> tuple[float, float, float]:
    """Run the dbt CLI against `home`; return (wall seconds, CPU seconds, peak RSS MB of the dbt process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_WINDOW_")}
    env["HUBPULSE_HOME"] = str(home)
    if window is not None:
        env["HUBPULSE_WINDOW_START"] = env["HUBPULSE_WINDOW_END"] = window.isoformat()
    cmd = [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project),
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
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def slowest_nodes(home: Path, n: int = 3) -> str:
    """Summed node times (models / data tests) and the `n` slowest nodes of the last run in `home`."""
    results = json.loads((home / "dbt_target" / "run_results.json").read_text())["results"]
    results = [r for r in results if not r["unique_id"].startswith("unit_test.")]  # tiny fixtures
    models = sum(r["execution_time"] for r in results if r["unique_id"].startswith("model."))
    tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
    top = sorted(results, key=lambda r: r["execution_time"], reverse=True)[:n]
    names = ", ".join(f"{r['unique_id'].split('.')[2][:48]} {r['execution_time']:.1f}s" for r in top)
    return f"models {models:.0f}s + tests {tests:.0f}s (summed over 2 threads); {names}"


def node_times(home: Path) -> dict[str, tuple[str, float]]:
    """Each node of the last run in `home`: its name -> (resource type, execution seconds); no unit tests."""
    results = json.loads((home / "dbt_target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".", 2)[2]: (r["unique_id"].split(".")[0], r["execution_time"])
            for r in results if not r["unique_id"].startswith("unit_test.")}


def per_node(early: dict[str, tuple[str, float]], late: dict[str, tuple[str, float]], n: int) -> list[str]:
    """Summed model / test time of each run and the `n` nodes with the largest late seconds, with late / early."""
    def total(times: dict[str, tuple[str, float]], kind: str) -> float:
        return sum(secs for rtype, secs in times.values() if rtype == kind)

    lines = [f"{'per node (summed over 2 threads)':<72} {'type':<6} {'early s':>8} {'late s':>8} {'late/early':>10}"]
    for kind in ("model", "test"):
        e, la = total(early, kind), total(late, kind)
        lines.append(f"{f'total, {kind}s':<72} {kind:<6} {e:8.1f} {la:8.1f} {la / e if e else math.inf:10.2f}")
    top = sorted(late.items(), key=lambda item: item[1][1], reverse=True)[:n]
    for name, (rtype, la) in top:
        e = early.get(name, (rtype, 0.0))[1]
        lines.append(f"{name:<72} {rtype:<6} {e:8.1f} {la:8.1f} {la / e if e else math.inf:10.2f}")
    return lines


DAILY = ("build", "--select", "tag:daily_partitioned", "--indirect-selection", "cautious")


def history_build(raw_root: Path, work: Path, all_days: list[dt.date], rows: list[Measured],
                  baseline: Path | None = None) -> dict:
    """The full refresh beside the SQL floor (and a baseline project's), and the comparison of their marts."""
    from floor import compare_marts, run_floor

    before = None
    if baseline is not None:
        home = work / "full-baseline"
        link_days(raw_root, home, all_days)
        secs, cpu, rss = run_dbt(home, "build", project=baseline)
        before = Measured(f"baseline {baseline.parent.name}: dbt build, full refresh", secs, cpu, rss,
                          slowest_nodes(home, 3))
        rows.append(before)
    home = work / "full"
    link_days(raw_root, home, all_days)
    floor = run_floor(raw_root, work / "floor.duckdb", threads=2, memory_limit=MEMORY_LIMIT)
    slowest = sorted(floor["statements"], key=lambda st: -st[1])[:3]
    rows.append(Measured(f"SQL floor, days 1..{len(all_days)}", floor["seconds"], floor["cpu"], floor["rss_mb"],
                         "; ".join(f"{name.split(' as')[0].split()[-1]} {sec:.1f}s" for name, sec in slowest)))
    secs, cpu, rss = run_dbt(home, "build")  # fresh home: a full refresh (see the docstring)
    rows.append(Measured(f"dbt build, full refresh, days 1..{len(all_days)}", secs, cpu, rss, slowest_nodes(home, 3)))
    # The comparison in a process of its own: in this one, DuckDB's memory for the marts (GBs at 50k x 365) would
    # stay this process's, and every later dbt child would report it as its own peak RSS (a child's ru_maxrss
    # starts from its parent's at fork and exec).
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        marts = pool.submit(compare_marts, home / "warehouse.duckdb", work / "floor.duckdb").result()
    return {"floor": rows[-2], "dbt": rows[-1], "before": before, "marts": marts}


PREPARED = "warehouse.prepared.duckdb"  # the warehouse as prepare_leg left it


def leg_days(all_days: list[dt.date], index: int, at_end: bool) -> tuple[list[dt.date], str]:
    """The history of a leg built to its day `index` (1-based) and the leg's label: the history's first `index`
    days, or (`at_end`) its last `index` days."""
    if not at_end or index == len(all_days):
        return all_days[:index], f"day {index} ({all_days[index - 1]})"
    first = len(all_days) - index + 1
    return all_days[first - 1:], f"day {index} of days {first}..{len(all_days)} ({all_days[-1]})"


def prepare_leg(raw_root: Path, home: Path, days: list[dt.date], label: str, rows: list[Measured]) -> dt.date:
    """A leg's history `days`: refresh all but the last (no tests: they change no state), then add the last."""
    day = days[-1]
    link_days(raw_root, home, days[:-1])
    secs, cpu, rss = run_dbt(home, "build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    rows.append(Measured(f"prep of {label}: full refresh of the {len(days) - 1} days before, no tests", secs, cpu,
                         rss, f"{_rows_of(raw_root / f'snapshot_date={day}' / 'part-0.parquet'):,} models on {day}"))
    link_days(raw_root, home, [day])
    shutil.copyfile(home / "warehouse.duckdb", home / PREPARED)
    return day


def restore_leg(home: Path) -> None:
    """Put back the warehouse prepare_leg left (days 1..D-1 built, day D not yet): the next run builds a new day."""
    (home / "warehouse.duckdb.wal").unlink(missing_ok=True)
    shutil.copyfile(home / PREPARED, home / "warehouse.duckdb")


# ------------------------------------------------------------------------------------------ main


MEMORY_LIMIT = "2GB"  # what dbt_project/profiles.yml gives DuckDB (HUBPULSE_DUCKDB_MEMORY_LIMIT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=20_000, help="models per day at the end of the history")
    parser.add_argument("--days", type=int, default=400, help="snapshot dates in the history")
    parser.add_argument("--early-day", type=int, default=30, help="the early incremental day (1-based)")
    parser.add_argument("--early-at", choices=("end", "start"), default="end",
                        help="the early leg's history: the last --early-day days (end: the late day's own scope) "
                             "or the first ones (start: the Hub as it was then)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each daily increment and whole build (the fastest counts)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-full", action="store_true", help="skip the history build and the floor")
    parser.add_argument("--skip-late", action="store_true", help="skip the last-day leg (quick smoke runs)")
    parser.add_argument("--skip-whole", action="store_true", help="skip the whole builds with a window")
    parser.add_argument("--per-node", type=int, default=15,
                        help="nodes in the per-node table of the whole builds with a window (largest last-day time)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--baseline-project", type=Path,
                        help="another dbt project folder (e.g. before a change) whose full refresh runs first")
    parser.add_argument("--history", type=Path,
                        help="reuse the raw history of an earlier --keep folder (its history/raw/hub_models)")
    args = parser.parse_args(argv)
    if not 2 <= args.early_day <= args.days:
        parser.error("--early-day must be between 2 and --days")

    with tempfile.TemporaryDirectory(prefix="hubpulse-bench-") as tmp:
        work = args.keep or Path(tmp)
        clear(work, ("full", "full-baseline", "early", "late", "floor.duckdb", "floor.duckdb.tmp"))
        t0 = time.perf_counter()
        raw_root, all_days = bench_history(parser, args, work)
        args.days = len(all_days)
        rows: list[Measured] = []

        full = None
        if not args.skip_full:
            full = history_build(raw_root, work, all_days, rows, args.baseline_project)

        legs = {"early": args.early_day}
        if not args.skip_late and args.days > args.early_day:
            legs["late"] = args.days
        labels, days = {}, {}
        for name, index in legs.items():
            history, labels[name] = leg_days(all_days, index, args.early_at == "end")
            days[name] = prepare_leg(raw_root, work / name, history, labels[name], rows)
        daily: dict[str, list[Measured]] = {name: [] for name in legs}
        for run in range(args.repeat):
            for name in legs:  # alternately, so that both see the same load
                restore_leg(work / name)
                secs, cpu, rss = run_dbt(work / name, *DAILY, window=days[name])
                daily[name].append(Measured(f"{labels[name]}: daily_partitioned, run {run + 1}",
                                            secs, cpu, rss, slowest_nodes(work / name, 3)))
        rows.extend(m for runs in zip(*daily.values(), strict=True) for m in runs)
        whole, whole_nodes = {}, {}
        for run in range(0 if args.skip_whole else args.repeat):
            for name in legs:  # alternately, as the daily set; the fastest run of each leg counts
                restore_leg(work / name)
                secs, cpu, rss = run_dbt(work / name, "build", window=days[name])
                measured = Measured(f"{labels[name]}: whole build, window, run {run + 1}", secs, cpu, rss,
                                    slowest_nodes(work / name, 3))
                rows.append(measured)
                if name not in whole or secs < whole[name].seconds:
                    whole[name] = measured
                    whole_nodes[name] = node_times(work / name)  # before the next run in this home replaces it

        width = max(50, *(len(m.name) for m in rows))
        print(f"\n{'workload':<{width}} {'wall s':>7} {'CPU s':>7} {'peak RSS MB':>12}   slowest nodes / statements")
        for m in rows:
            print(f"{m.name:<{width}} {m.seconds:7.1f} {m.cpu:7.1f} {m.rss_mb:12,.0f}   {m.note}")
        print()
        peak = max(m.rss_mb for m in rows if not m.name.startswith("SQL floor"))
        if full is not None:
            ratio = full["dbt"].seconds / full["floor"].seconds
            cpu_ratio = full["dbt"].cpu / full["floor"].cpu
            print(f"history build, dbt / SQL floor: {ratio:.2f} wall, {cpu_ratio:.2f} CPU  "
                  f"(target <= {TARGET_FLOOR_RATIO}: {'ok' if ratio <= TARGET_FLOOR_RATIO else 'ABOVE TARGET'})")
            if full["before"] is not None:
                b = full["before"]
                print(f"history build, before / after: {b.seconds / full['dbt'].seconds:.2f} wall, "
                      f"{b.cpu / full['dbt'].cpu:.2f} CPU; peak RSS {b.rss_mb:,.0f} -> {full['dbt'].rss_mb:,.0f} MB")
            equal = all(v.startswith("equal") for v in full["marts"].values())
            print(f"marts of dbt and of the floor: {'all equal' if equal else 'DIFFERENT'}")
            for mart, verdict in full["marts"].items():
                print(f"  {mart:<36} {verdict}")
        if "late" in legs:
            best = {name: min(runs, key=lambda m: m.seconds) for name, runs in daily.items()}
            daily_ratio = best["late"].seconds / best["early"].seconds
            cpu_ratio = min(m.cpu for m in daily["late"]) / min(m.cpu for m in daily["early"])
            ok = "ok" if daily_ratio <= TARGET_RATIO else "ABOVE TARGET"
            print(f"early leg: {labels['early']}; late leg: {labels['late']}")
            print(f"daily increment, day {legs['late']} / day {legs['early']} (best of {args.repeat}): "
                  f"{daily_ratio:.2f} wall, {cpu_ratio:.2f} CPU  (target <= {TARGET_RATIO}: {ok})")
            if whole:
                early, late = whole["early"], whole["late"]
                ratios = (late.seconds / early.seconds, late.rss_mb / early.rss_mb)
                ok = "ok" if max(ratios) <= TARGET_WHOLE_RATIO else "ABOVE TARGET"
                print(f"whole build with a window, day {legs['late']} / day {legs['early']} (best of {args.repeat}): "
                      f"{ratios[0]:.2f} wall, "
                      f"{late.cpu / early.cpu:.2f} CPU, {ratios[1]:.2f} peak RSS  (the Dagster daily run's dbt "
                      f"work; target wall and peak RSS <= {TARGET_WHOLE_RATIO}: {ok})")
                print(f"\nwhole build with a window (the fastest run of each), per node: day {legs['early']} (early) "
                      f"and day {legs['late']} "
                      f"(late), the {args.per_node} nodes with the largest late time")
                for line in per_node(whole_nodes["early"], whole_nodes["late"], args.per_node):
                    print(f"  {line}")
                print()
        print(f"peak RSS of any dbt run: {peak:,.0f} MB (target <= {TARGET_RSS_MB:,} MB: "
              f"{'ok' if peak <= TARGET_RSS_MB else 'ABOVE TARGET'})")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; total bench time "
              f"{time.perf_counter() - t0:.0f}s, {args.models:,} models x {args.days} days")
        if full is not None and not all(v.startswith("equal") for v in full["marts"].values()):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
