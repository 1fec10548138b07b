"""Smoke test of `bench/warehouse.py` at a tiny size, so the benchmark script cannot rot.

Only the early incremental leg runs (`--skip-full --skip-late`): three dbt invocations, well under a minute.
The numbers themselves are not checked, only that the script builds the history and prints its table.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "warehouse.py"


def test_warehouse_bench_runs_at_a_tiny_size(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--days", "8", "--models", "600", "--early-day", "4",
         "--skip-full", "--skip-late", "--keep", str(tmp_path / "bench")],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    out = result.stdout
    assert "history: 8 days" in out
    assert "day 4 (2024-12-04): daily_partitioned" in out
    assert "day 4 (2024-12-04): whole build, window" in out
    assert "peak RSS of any dbt run" in out
