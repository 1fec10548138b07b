"""Smoke tests of the benchmark scripts (`make bench`), at tiny sizes, so the scripts cannot rot.

Each runs one script as `make bench` does and checks that it completes and prints its verdict lines; the
numbers themselves are not checked (timings are for `make bench` on a quiet machine, never for tests). One
verdict is checked because it is correctness, not speed: the SQL floor's marts must equal the dbt warehouse's.
(`bench/demo.py` has a file of its own, tests/test_bench_demo.py, so that the runner can overlap it with
these: even a three-day demo costs a minute or two of fixed start-up. Batched raw checks are held to
one-by-one outcomes by `bench/quality.py --range-days N` and, through the asset check, by
tests/test_quality.py.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
MARTS = Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "marts"


def run_bench(script: str, *args: str, timeout: int = 300) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def test_warehouse_bench_runs_and_the_marts_equal_the_sql_floor(tmp_path):
    out = run_bench("warehouse.py", "--days", "6", "--models", "300", "--early-day", "3", "--repeat", "1",
                    "--skip-late", "--skip-whole", "--keep", str(tmp_path / "bench"))
    assert "history: 6 days" in out
    assert "SQL floor, days 1..6" in out and "dbt build, full refresh, days 1..6" in out
    assert "marts of dbt and of the floor: all equal" in out
    # Every mart of the dbt project is compared.
    assert out.count(" equal (") == len(list(MARTS.glob("*.sql"))), out
    # The early leg is the history's last three days by default (the last day's scope), or its first three.
    assert "day 3 of days 4..6 (2024-12-06): daily_partitioned, run 1" in out
    assert "peak RSS of any dbt run" in out


def test_crawl_bench_paces_a_rate_limited_crawl():
    out = run_bench("crawl.py", "--models", "12000", "--page-size", "1000", "--limit", "5", "--window", "1")
    assert "crawl: 12,000 items in 12 pages" in out
    assert "ratio crawl / minimum:" in out
    assert "failed pages: 0" in out


def test_scope_bench_counts_requests_and_captures_every_tracked_child():
    out = run_bench("scope.py", "--days", "2", "--top-n", "100")
    assert "DIFFERENT" not in out and "consistent" in out
    assert "children " in out and "anonymous budget" in out
    assert "= 100.00% (target 100%)" in out  # correctness, not speed: every child of a tracked base


def test_ingest_bench_runs_at_a_tiny_size():
    out = run_bench("ingest.py", "--models", "2000", "--repeat", "1")
    assert "ratio hubpulse / bare" in out


def test_quality_bench_checks_the_largest_partition(tmp_path):
    out = run_bench("quality.py", "--models", "3000", "--range-days", "0", "--keep", str(tmp_path / "quality"))
    assert "rows checked:           3,000" in out
    assert "largest partition target" in out


def test_load_bench_times_a_fresh_import():
    out = run_bench("load.py", "--repeat", "1")
    assert "import orchestration.definitions in a fresh process" in out
    assert "target < 6s" in out


def test_object_store_bench_writes_and_lists_through_moto(tmp_path):
    # Writes and listings only: the dbt part (six dbt runs, about 90 s even at this size) is left to `make bench`;
    # a dbt build over the bucket equal to the local one is tests/test_object_store.py's.
    out = run_bench("object_store.py", "--models", "300", "--days", "3", "--list-at", "", "--list-repeat", "1",
                    "--skip-dbt", "--keep", str(tmp_path / "object_store"))
    assert "moto's S3 server is a Python server" in out and "not a real S3's throughput or latency" in out
    assert "write ratio bucket / local:" in out
    # Every write into the bucket stages, publishes by a server-side copy and deletes the temporary.
    bucket = next(line for line in out.splitlines() if line.startswith("bucket "))
    assert "PUT 1" in bucket and "COPY 1" in bucket, bucket
    assert "list partitions (rawstore.list_partitions)" in out
