"""The same marts on Spark (issue 18 section 3): the demo-sized history built on DuckDB and on Spark (dbt-spark's
session method, HUBPULSE_DBT_TARGET=spark) gives the same marts, every dbt data and unit test passes on both, and
day-by-day windows on Spark equal a full refresh, a window day left without raw rows included.

Opt-in and slow (about 6.5 minutes on a quiet 2-core machine, most of it Spark): marked `spark`, skipped without
the `spark` extra or a Java runtime. Run it alone: `make test-spark`.

The Spark tables are Parquet folders under `$HUBPULSE_HOME/spark/warehouse/<schema>.db/<table>`: DuckDB reads
them beside the DuckDB warehouse and compares the two with `EXCEPT ALL` in both directions, each value
normalised to text (doubles rounded to 9 decimals, instants in UTC), so no Spark session runs in this process.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from orchestration.cli.prepare import dbt_executable
from orchestration.localhub.simulator import SimulationConfig, simulate
from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None,
        reason="the Spark engine needs the `spark` extra: pip install -c constraints.txt -e '.[spark]'",
    ),
    pytest.mark.skipif(shutil.which("java") is None, reason="the Spark engine needs a Java 17 runtime (java on PATH)"),
]

# The demo's window and seed (`make demo`): 96 snapshot dates, about 2,500 models.
START, END, SEED = dt.date(2024, 12, 9), dt.date(2025, 3, 16), 7
# Tables the windowed runs write (tag daily_partitioned) and the column each is partitioned by on Spark.
DAILY_TABLES = {
    "intermediate.int_model_snapshots_daily": "snapshot_date",
    "intermediate.int_models_daily_downloads": "snapshot_date",
    "intermediate.int_models_monthly_downloads": "month_start",
    "marts.fct_model_daily": "snapshot_date",
    "marts.fct_download_velocity": "metric_date",
}
# Every table the windowed runs write: the daily ones and the listings (rebuilt whole on Spark).
WINDOWED_TABLES = [*DAILY_TABLES, "intermediate.int_model_listings"]
DBT_TIMEOUT = 1800


def dbt(home: Path, engine: str, *args: str, window: tuple[dt.date, dt.date] | None = None) -> dict:
    """`dbt <args>` on `home` with the engine `engine`; returns run_results.json (fails the test on a dbt error,
    with the failing nodes)."""
    target = home / "dbt_target"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_WINDOW_")}
    env.update(HUBPULSE_HOME=str(home), HUBPULSE_DBT_TARGET=engine, DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               DO_NOT_TRACK="1")
    if window is not None:
        env.update(HUBPULSE_WINDOW_START=window[0].isoformat(), HUBPULSE_WINDOW_END=window[1].isoformat())
    command = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(target), "--log-path", str(target / "logs")]
    result = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=DBT_TIMEOUT, check=False)
    results_file = target / "run_results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {"results": []}
    failed = [f"{r['unique_id']}: {r['status']}: {' '.join((r.get('message') or '').split())[:300]}"
              for r in results["results"] if r["status"] not in ("success", "pass")]
    assert result.returncode == 0 and not failed, (
        f"dbt {' '.join(args)} on {engine} failed:\n" + "\n".join(failed) + "\n" + result.stdout[-3000:])
    return results


def add_day(home: Path, day: Path) -> None:
    """Publish a raw partition (a snapshot_date= folder of the history) in `home`, its files hard-linked."""
    shutil.copytree(day, home / "raw" / "hub_models" / day.name, copy_function=os.link)


def new_home(root: Path, name: str, raw_days: list[Path]) -> Path:
    """A home whose raw folder holds `raw_days`."""
    home = root / name
    (home / "raw" / "hub_models").mkdir(parents=True)
    for day in raw_days:
        add_day(home, day)
    return home


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> list[Path]:
    """The demo's simulated history imported as raw partitions: the snapshot_date= folders, oldest first."""
    root = tmp_path_factory.mktemp("spark-history")
    simulate(SimulationConfig(start=START, end=END, seed=SEED), root / "archive")
    subprocess.run([str(Path(dbt_executable()).parent / "hubpulse"), "import-archive", "--home", str(root / "home"),
                    "--no-dagster", str(root / "archive")], check=True, capture_output=True, timeout=600)
    days = sorted((root / "home" / "raw" / "hub_models").glob("snapshot_date=*"))
    assert len(days) > 90
    return days


# The daily models and their parents, without tests: the windowed runs' selection.
MODELS_ONLY = ("build", "--select", "+tag:daily_partitioned", "--exclude-resource-type", "test",
               "--exclude-resource-type", "unit_test")
ARRIVING_DAYS = 2  # the history's last days, built one window each after the rest
# An arriving day's window: the daily models alone, as Dagster's daily run builds them (their parents, views and
# seeds, are already there).
WINDOW_RUN = ("run", "--select", "tag:daily_partitioned")


@pytest.fixture(scope="module")
def builds(history, tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """The three builds the tests start from, run at once (each in a home of its own, with a Spark session and a
    Derby metastore each: most of a Spark run is fixed latency per query, which overlaps): the whole history on
    DuckDB and on Spark, and on Spark the daily models of the history but its last days."""
    homes = {
        "duckdb": new_home(tmp_path_factory.mktemp("duckdb"), "home", history),
        "spark": new_home(tmp_path_factory.mktemp("spark"), "home", history),
        "spark_windowed": new_home(tmp_path_factory.mktemp("spark-windows"), "home", history[:-ARRIVING_DAYS]),
    }
    with ThreadPoolExecutor(max_workers=len(homes)) as pool:
        futures = {
            "duckdb": pool.submit(dbt, homes["duckdb"], "duckdb", "build"),
            "spark": pool.submit(dbt, homes["spark"], "spark", "build"),
            "spark_windowed": pool.submit(dbt, homes["spark_windowed"], "spark", *MODELS_ONLY),
        }
        return {name: (homes[name], future.result()) for name, future in futures.items()}


@pytest.fixture(scope="module")
def duckdb_home(builds) -> tuple[Path, dict]:
    return builds["duckdb"]


@pytest.fixture(scope="module")
def spark_home(builds) -> tuple[Path, dict]:
    return builds["spark"]


def spark_table(home: Path, table: str) -> str:
    """DuckDB's read of a Spark table's Parquet folder (a partitioned table's key from the folder names)."""
    schema, name = table.split(".")
    folder = home / "spark" / "warehouse" / f"{schema}.db" / name
    assert folder.is_dir(), f"no Spark table {table} in {folder}"
    return (f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true, hive_types_autocast = true, "
            "union_by_name = true)")


def normalised(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], floating: set[str]) -> str:
    """A select of `columns` of `relation` as text, the same on both engines: doubles rounded to 9 decimals
    (0 without a sign), instants as UTC wall-clock time to the microsecond, lists in DuckDB's text form."""
    types = dict(con.execute(f"select column_name, column_type from (describe select * from {relation})").fetchall())
    parts = []
    for column in columns:
        kind = types[column].upper()
        if column in floating:
            value = f"case when {column} = 0 then '0' else cast(round(cast({column} as double), 9) as varchar) end"
        elif kind.startswith("TIMESTAMP WITH TIME ZONE"):
            value = f"strftime(timezone('UTC', {column}), '%Y-%m-%d %H:%M:%S.%f')"
        elif kind.startswith("TIMESTAMP"):
            value = f"strftime({column}, '%Y-%m-%d %H:%M:%S.%f')"
        else:
            value = f"cast({column} as varchar)"
        parts.append(f"{value} as {column}")
    return f"select {', '.join(parts)} from {relation}"


def table_differences(con: duckdb.DuckDBPyConnection, left: str, right: str, label: str) -> list[str]:
    """`left EXCEPT ALL right` and the reverse, on normalised text; a column missing on one side is a difference."""
    left_types = dict(con.execute(f"select column_name, column_type from (describe select * from {left})").fetchall())
    right_types = dict(con.execute(f"select column_name, column_type from (describe select * from {right})").fetchall())
    if set(left_types) != set(right_types):
        only_left, only_right = sorted(set(left_types) - set(right_types)), sorted(set(right_types) - set(left_types))
        return [f"{label}: columns differ: only left {only_left}, only right {only_right}"]
    columns = sorted(left_types)
    floating = {c for c in columns
                if any(t.upper() in ("DOUBLE", "FLOAT", "REAL") or t.upper().startswith("DECIMAL")
                       for t in (left_types[c], right_types[c]))}
    a, b = normalised(con, left, columns, floating), normalised(con, right, columns, floating)
    problems = []
    for name, first, second in (("left", a, b), ("right", b, a)):
        extra = con.execute(f"select count(*) from ({first} except all {second})").fetchone()[0]
        if extra:
            sample = con.execute(f"select * from ({first} except all {second}) limit 3").fetchall()
            problems.append(f"{label}: {extra} row(s) only on the {name}: {sample}")
    return problems


def test_every_dbt_test_passes_on_both_engines(duckdb_home, spark_home):
    """The same nodes, data tests and unit tests ran and passed on both (dbt() fails on any other status)."""
    for _, results in (duckdb_home, spark_home):
        kinds = {r["unique_id"].split(".")[0] for r in results["results"]}
        assert {"model", "test", "unit_test", "seed"} <= kinds
    duck = {r["unique_id"] for r in duckdb_home[1]["results"]}
    spark = {r["unique_id"] for r in spark_home[1]["results"]}
    assert duck == spark


def test_every_mart_is_equal_on_spark(duckdb_home, spark_home):
    duck, spark = duckdb_home[0], spark_home[0]
    con = duckdb.connect()
    con.execute(f"attach '{duck / 'warehouse.duckdb'}' as warehouse (read_only)")
    marts = [row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_catalog = 'warehouse' "
        "and table_schema = 'marts' order by table_name").fetchall()]
    assert len(marts) >= 18
    problems = []
    for mart in marts:
        problems += table_differences(con, f"warehouse.marts.{mart}", spark_table(spark, f"marts.{mart}"), mart)
    assert problems == []
    # Equal because both hold rows: the demo's history leaves only fct_velocity_overtakes empty (no region's lead
    # changes for good in fourteen weeks).
    empty = [m for m in marts if con.execute(f"select count(*) from warehouse.marts.{m}").fetchone()[0] == 0]
    assert empty == ["fct_velocity_overtakes"]


def test_day_by_day_windows_on_spark_equal_a_full_refresh(history, builds):
    """The daily flow on Spark: the history but its last days built whole, then one window per arriving day; the
    daily tables then equal the full build's. Then the last day's raw partition is withdrawn and its window run
    again: its rows go (no stale partition is kept), leaving what the previous day's window left."""
    full = builds["spark"][0]
    home = builds["spark_windowed"][0]
    arriving = history[-ARRIVING_DAYS:]
    con = duckdb.connect()
    for day in arriving:
        date = dt.date.fromisoformat(day.name.split("=")[1])
        add_day(home, day)
        dbt(home, "spark", *WINDOW_RUN, window=(date, date))
        if day == arriving[-2]:
            # What the daily tables hold before the last day arrives (copied: Spark rewrites the folders).
            for table in WINDOWED_TABLES:
                con.execute(f"create table \"before {table}\" as select * from {spark_table(home, table)}")
    problems = []
    for table in WINDOWED_TABLES:
        problems += table_differences(con, spark_table(home, table), spark_table(full, table), f"windowed {table}")
    assert problems == []

    last = arriving[-1]
    last_date = dt.date.fromisoformat(last.name.split("=")[1])
    shutil.rmtree(home / "raw" / "hub_models" / last.name)
    dbt(home, "spark", *WINDOW_RUN, window=(last_date, last_date))
    for table, column in DAILY_TABLES.items():
        assert con.execute(
            f"select count(*) from {spark_table(home, table)} where {column} >= date '{last_date}'").fetchone()[0] == 0
    for table in WINDOWED_TABLES:
        problems += table_differences(con, spark_table(home, table), f'"before {table}"', f"withdrawn day {table}")
    assert problems == []
