"""Printed summaries of what a run left behind (used by `hubpulse demo`)."""

from __future__ import annotations

from pathlib import Path

from orchestration import settings


def print_raw_summary(home: Path) -> None:
    """Print the raw layer: dates, models per day, organisations, rejects (read in place with DuckDB)."""
    import duckdb

    raw = settings.raw_models_dir(home)
    con = duckdb.connect()
    row = con.execute(
        """
        select count(distinct snapshot_date), min(snapshot_date), max(snapshot_date), count(*),
               count(distinct id), count(distinct author)
        from read_parquet(?)
        """,
        [str(raw / "*" / "*.parquet")],
    ).fetchone()
    days, first, last, rows, models, authors = row
    print(f"raw partitions: {days} snapshot dates {first} .. {last} under {raw}")
    print(f"  {rows:,} model rows, {models:,} distinct models, {authors:,} authors")
    per_day = con.execute(
        """
        select snapshot_date, count(*) as models, sum(downloads_all_time) as downloads_all_time
        from read_parquet(?) group by all order by snapshot_date
        """,
        [str(raw / "*" / "*.parquet")],
    ).fetchall()
    for day, n, total in [per_day[0], per_day[len(per_day) // 2], per_day[-1]]:
        print(f"  {day}: {n:,} models in scope, {int(total or 0):,} cumulative downloads")
