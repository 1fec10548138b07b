"""Smoke test of `bench/demo.py` (the demo workload of `make bench`): `hubpulse demo` end to end over three days.

Its own file so that the test runner can overlap it with the other benchmark smoke tests: even a three-day
demo costs a minute or two of fixed start-up (simulated world, dbt parse, three Dagster runs, publishing).
The numbers are not checked, only that the script runs the real demo to its end and reports its phases.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "demo.py"


def test_demo_bench_runs_the_demo_end_to_end(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--start", "2025-01-19", "--end", "2025-01-21", "--keep", str(tmp_path)],
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    out = result.stdout
    assert "hubpulse demo 2025-01-19 .. 2025-01-21 in a fresh home:" in out
    assert "phases the demo reports: simulate" in out and "warehouse" in out
    assert "target < 180s:" in out
    log = (tmp_path / "home.log").read_text()
    for step in ("[1/4] simulated", "[2/4] ingested", "[3/4] warehouse 2025-01-19 .. 2025-01-21: built and published",
                 "[4/4] what the warehouse says", "timings: simulate"):
        assert step in log, step
    # A few lines and the answers (issue 16: a fresh clone's `make demo` under 60, with make's one install
    # line); Dagster's and dbt's logs are in the file it names.
    assert len(log.splitlines()) < 59, log
    assert log.splitlines()[0].startswith("hubpulse demo 2025-01-19 .. 2025-01-21"), log  # no warning before it
    full_log = Path(log.splitlines()[0].split("full log: ")[1])
    assert full_log.parent == tmp_path / "home" / "logs" and "STEP_START" in full_log.read_text()
    assert "DEBUG" not in log and "dbt" not in log.split("[4/4]")[0].replace("dbt nodes", "")
    # The demo's warehouse run publishes the serving copy the dashboard and BI tools read.
    assert (tmp_path / "home" / "serving" / "current").is_symlink()
