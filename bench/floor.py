"""The SQL floor (`bench/floor.sql`): run it on raw partitions, and compare its marts with the dbt warehouse's.

    .venv/bin/python bench/floor.py RAW_ROOT OUT.duckdb [--threads 2] [--memory-limit 2GB] [--compare WAREHOUSE]

`run_floor` runs the script in a child process (so its peak RSS is its own) and returns wall seconds, peak RSS
and the seconds of each statement; `compare_marts` joins each mart of two DuckDB files on its grain and counts
the rows whose columns differ (doubles within a relative 1e-9: the two sum in different orders).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().with_name("floor.sql")
SEEDS = ROOT / "dbt_project" / "seeds"

# Every mart and its grain (dbt_project/models/marts/_marts__models.yml).
MART_GRAINS: dict[str, tuple[str, ...]] = {
    "dim_models": ("model_id",),
    "dim_organizations": ("organization",),
    "fct_model_daily": ("model_id", "snapshot_date"),
    "fct_download_velocity": ("entity_type", "entity_id", "metric_date"),
    "fct_velocity_overtakes": ("measure", "region", "overtaken_region"),
    "fct_release_cadence": ("entity_type", "entity_id", "week_start"),
    "fct_derivatives": ("base_model_id",),
    "fct_supply_chain": ("month_start", "child_region", "base_region", "relation"),
    "fct_attribution_coverage": ("period_type", "period_start"),
    "fct_unattributed_organizations": ("organization",),
    "fct_ecosystem_vs_benchmark": ("organization", "month_start"),
    "fct_benchmark_adoption_correlation": ("month_start",),
    "fct_organization_trajectories": ("organization", "month_start"),
    "fct_organization_milestones": ("organization",),
    "fct_release_licences": ("region", "month_start", "license_family"),
    "fct_release_languages": ("region", "month_start"),
    "fct_language_family_downloads": ("region", "month_start", "language_family"),
    "fct_rankings": ("period_type", "period_start", "ranking_measure", "top_n", "region"),
}


def statements(raw_root: Path) -> list[str]:
    """The script's statements with the raw glob and the seed folder filled in."""
    text = SCRIPT.read_text()
    glob = str(Path(raw_root) / "snapshot_date=*" / "*.parquet").replace("'", "''")
    text = text.replace("__RAW__", glob).replace("__SEEDS__", str(SEEDS).replace("'", "''"))
    parts = [part.strip() for part in text.split("\n;\n")]
    return [p for p in parts if p and not all(line.startswith("--") for line in p.splitlines())]


def _child(raw_root: Path, out: Path, threads: int, memory_limit: str) -> None:
    import duckdb

    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    con.execute(f"set threads = {threads}")
    con.execute(f"set memory_limit = '{memory_limit}'")
    con.execute(f"set temp_directory = '{out.parent / (out.name + '.tmp')}'")
    con.execute("set preserve_insertion_order = false")
    con.execute("set enable_progress_bar = false")
    timings = []
    for sql in statements(raw_root):
        t0 = time.perf_counter()
        con.execute(sql)
        name = next((line for line in sql.splitlines() if line.strip() and not line.startswith("--")), "")[:70]
        timings.append((name, round(time.perf_counter() - t0, 3)))
    con.close()
    print(json.dumps(timings))


def run_floor(raw_root: Path, out: Path, threads: int = 2, memory_limit: str = "2GB") -> dict:
    """Run the floor in a child process; return seconds, peak RSS (MB) and per-statement seconds."""
    cmd = [sys.executable, str(Path(__file__).resolve()), str(raw_root), str(out), "--threads", str(threads),
           "--memory-limit", memory_limit, "--child"]
    with tempfile.TemporaryFile("w+") as log, tempfile.TemporaryFile("w+") as err:  # files: no pipe to fill up
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        log.seek(0)
        err.seek(0)
        stdout, stderr = log.read(), err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the SQL floor failed:\n{stderr[-4000:]}")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "statements": json.loads(stdout.strip().splitlines()[-1])}


def compare_marts(warehouse: Path, floor: Path, examples: int = 3) -> dict[str, str]:
    """Per mart: "equal (N rows)" or what differs, joining the two on the mart's grain."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as dbt (read_only)")
    con.execute(f"attach '{floor}' as floor (read_only)")
    out = {}
    for mart, grain in MART_GRAINS.items():
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = 'dbt' "
            "and schema_name = 'marts' and table_name = ? order by column_index", [mart]
        ).fetchall()
        floor_columns = {
            name: kind for name, kind in con.execute(
                "select column_name, data_type from duckdb_columns() where database_name = 'floor' "
                "and schema_name = 'marts' and table_name = ?", [mart]
            ).fetchall()
        }
        if not columns or not floor_columns:
            out[mart] = "missing in " + ("dbt" if not columns else "the floor")
            continue
        missing = [name for name, _ in columns if name not in floor_columns]
        extra = sorted(set(floor_columns) - {name for name, _ in columns})
        if missing or extra:
            out[mart] = f"columns differ: only in dbt {missing}, only in the floor {extra}"
            continue
        on = " and ".join(f"d.{c} is not distinct from f.{c}" for c in grain)
        tests = []
        for name, kind in columns:
            if name in grain:
                continue
            if kind in ("DOUBLE", "FLOAT") or kind.startswith("DECIMAL"):
                tests.append(
                    f"case when d.{name} is null and f.{name} is null then false "
                    f"when d.{name} is null or f.{name} is null then true "
                    f"else abs(d.{name} - f.{name}) > 1e-9 * greatest(1, abs(d.{name})) end"
                )
            else:
                tests.append(f"d.{name} is distinct from f.{name}")
        differs = " or ".join(f"({t})" for t in tests) or "false"
        d_rows = con.execute(f"select count(*) from dbt.marts.{mart}").fetchone()[0]
        f_rows = con.execute(f"select count(*) from floor.marts.{mart}").fetchone()[0]
        keys = ", ".join(f"coalesce(d.{c}, f.{c}) as {c}" for c in grain)
        bad = con.execute(
            f"select count(*) from dbt.marts.{mart} d full outer join floor.marts.{mart} f on {on} where "
            f"({' or '.join(f'd.{c} is null and f.{c} is not null' for c in grain[:1])}) "
            f"or ({' or '.join(f'f.{c} is null and d.{c} is not null' for c in grain[:1])}) or ({differs})"
        ).fetchone()[0]
        if bad == 0 and d_rows == f_rows:
            out[mart] = f"equal ({d_rows:,} rows)"
            continue
        cols = [name for name, _ in columns if name not in grain]
        sample = con.execute(
            f"select {keys}, {', '.join(f'd.{c} as dbt_{c}, f.{c} as floor_{c}' for c in cols)} "
            f"from dbt.marts.{mart} d full outer join floor.marts.{mart} f on {on} where "
            f"({' or '.join(f'd.{c} is null and f.{c} is not null' for c in grain[:1])}) "
            f"or ({' or '.join(f'f.{c} is null and d.{c} is not null' for c in grain[:1])}) or ({differs}) "
            f"limit {examples}"
        ).fetchall()
        names = [*grain, *(f"{p}_{c}" for c in cols for p in ("dbt", "floor"))]
        shown = []
        for row in sample:
            record = dict(zip(names, row, strict=True))
            diff = {k: v for k, v in record.items() if k in grain}
            for c in cols:
                a, b = record[f"dbt_{c}"], record[f"floor_{c}"]
                close = isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 1e-9 * max(1, abs(a))
                if a != b and not close:
                    diff[c] = (record[f"dbt_{c}"], record[f"floor_{c}"])
            shown.append(diff)
        out[mart] = f"DIFFERENT: {d_rows:,} rows in dbt, {f_rows:,} in the floor, {bad:,} differ; e.g. {shown}"
    con.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_root", type=Path, help="folder of snapshot_date=YYYY-MM-DD partitions")
    parser.add_argument("out", type=Path, help="DuckDB file the floor writes its marts to")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--compare", type=Path, help="a dbt warehouse to compare the marts with")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.raw_root, args.out, args.threads, args.memory_limit)
        return 0
    result = run_floor(args.raw_root, args.out, args.threads, args.memory_limit)
    print(f"SQL floor: {result['seconds']:.1f}s wall, {result['cpu']:.1f}s CPU, peak RSS {result['rss_mb']:,.0f} MB")
    for name, seconds in result["statements"]:
        print(f"  {seconds:7.2f}s  {name}")
    if args.compare:
        differences = compare_marts(args.compare, args.out)
        for mart, verdict in differences.items():
            print(f"  {mart:<36} {verdict}")
        return 0 if all(v.startswith("equal") for v in differences.values()) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
