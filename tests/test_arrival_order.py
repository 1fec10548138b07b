"""Incremental equals full refresh whatever the order in which raw days arrive (property test, real dbt).

A daily pipeline's days do not arrive in order: the Hub is down one morning and the day is backfilled later, an
archive is imported after the schedule started, a day is re-ingested. Each arrival here writes one raw
partition and runs only that day's window of the daily-partitioned models (what the schedule, a backfill or
the automation sensor runs), then the names' state without a window (Dagster's marts set); after the last
arrival the daily-partitioned incrementals and the state must equal a full refresh of the same raw days, row for
row. Hypothesis draws the order and the re-runs over a small simulated history.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_warehouse import INCREMENTAL_MODELS, PROJECT_DIR, assert_same_rows, read_relations, run_dbt

from orchestration.hub.transfer import import_archive
from orchestration.localhub.simulator import SimulationConfig, simulate

START = dt.date(2025, 1, 17)
DAYS = [START + dt.timedelta(days=i) for i in range(6)]  # spans R1 (2025-01-20)

# The names' state alone (the two models over it also read the tags, which no arrival here rebuilds).
STATE_MODELS = {"int_model_names_seen": ("intermediate", ["model_id", "repo_id"])}


@pytest.fixture(scope="module")
def arrival_world(tmp_path_factory):
    """The raw days of a small simulated history, the full refresh over them, and a home to replay arrivals in."""
    root = tmp_path_factory.mktemp("arrival")
    simulate(SimulationConfig(start=DAYS[0], end=DAYS[-1], seed=23, community_authors=6, catalogue_fraction=0.03,
                              missing_dates=0, rename_at=None, deleted_share=0.05, recount_share=0.05,
                              missing_downloads_all_time=0.02), root / "archive", log=lambda _m: None)
    raw = root / "raw"
    import_archive(root / "archive", raw / "hub_models", raw / "hub_models_rejects", log=lambda _m: None)
    full = root / "full"
    shutil.copytree(raw, full / "raw")
    run_dbt(full, "build", "--select", "+tag:daily_partitioned", *STATE_MODELS, "--exclude-resource-type", "unit_test",
            "--exclude-resource-type", "test")
    expected = read_relations(full, {**INCREMENTAL_MODELS, **STATE_MODELS})
    # The replay home keeps its path across examples (the staging views name it); its seeds and views are
    # built once and the warehouse file is restored from this copy before each example.
    home = root / "replay"
    shutil.copytree(raw, home / "raw")
    run_dbt(home, "build", "--select", "+int_model_snapshots_attributed", "--exclude-resource-type", "unit_test",
            "--exclude-resource-type", "test")
    shutil.copy(home / "warehouse.duckdb", root / "inputs.duckdb")
    return raw, home, root / "inputs.duckdb", expected


# One process replays every arrival of an example: copy the day's raw partition, then run its window with dbt
# in-process (dbt's start-up, paid once instead of once a day, is most of a small window's cost).
REPLAY = r"""
import json, os, shutil, sys
from dbt.cli.main import dbtRunner
raw, home, project, days, STATE = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5:]
os.environ["HUBPULSE_HOME"] = home
runner = dbtRunner()
for day in days:
    partition = "snapshot_date=" + day
    shutil.rmtree(os.path.join(home, "raw", "hub_models", partition), ignore_errors=True)
    shutil.copytree(os.path.join(raw, "hub_models", partition), os.path.join(home, "raw", "hub_models", partition))
    os.environ["HUBPULSE_WINDOW_START"] = os.environ["HUBPULSE_WINDOW_END"] = day
    result = runner.invoke(["run", "--select", "tag:daily_partitioned", "--project-dir", project, "--profiles-dir",
                            project, "--target-path", os.path.join(home, "dbt_target"), "--log-path",
                            os.path.join(home, "dbt_logs"), "--quiet"])
    if not result.success:
        sys.exit(f"dbt run of the window {day} failed: {result.exception}")
    # Then the names' state, without a window, as Dagster's marts set runs it: a merge or a recompute each time.
    del os.environ["HUBPULSE_WINDOW_START"], os.environ["HUBPULSE_WINDOW_END"]
    result = runner.invoke(["run", "--select", *STATE, "--project-dir", project, "--profiles-dir", project,
                            "--target-path", os.path.join(home, "dbt_target"), "--log-path",
                            os.path.join(home, "dbt_logs"), "--quiet"])
    if not result.success:
        sys.exit(f"dbt run of the state after the window {day} failed: {result.exception}")
"""


def _arrivals(order: list[int], reruns: list[tuple[int, int]]) -> list[dt.date]:
    """The days in `order`, with a re-run of an already arrived day after some of them: (after, which)."""
    days: list[dt.date] = []
    for position, index in enumerate(order):
        days.append(DAYS[index])
        for after, which in reruns:
            if after == position:
                days.append(DAYS[order[which % (position + 1)]])
    return days


@settings(max_examples=3, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(DAYS))),
       reruns=st.lists(st.tuples(st.integers(0, len(DAYS) - 1), st.integers(0, len(DAYS) - 1)), max_size=2))
@example(order=list(range(len(DAYS))), reruns=[])  # in order: the daily schedule
@example(order=[0, 1, 3, 4, 5, 2], reruns=[(5, 1)])  # one day late, then a day re-ingested
def test_any_order_of_arrival_gives_the_full_refresh(arrival_world, order, reruns):
    raw, home, inputs, expected = arrival_world
    shutil.rmtree(home / "raw" / "hub_models")
    (home / "raw" / "hub_models").mkdir()
    shutil.copy(inputs, home / "warehouse.duckdb")
    days = [day.isoformat() for day in _arrivals(order, reruns)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_WINDOW_")}
    replay = subprocess.run([sys.executable, "-c", REPLAY, str(raw), str(home), str(PROJECT_DIR), json.dumps(days),
                             *STATE_MODELS],
                            env=env, capture_output=True, text=True, timeout=600, check=False)
    assert replay.returncode == 0, f"{replay.stdout[-4000:]}\n{replay.stderr[-4000:]}"
    built = read_relations(home, {**INCREMENTAL_MODELS, **STATE_MODELS})
    for name, (_, keys) in {**INCREMENTAL_MODELS, **STATE_MODELS}.items():
        assert_same_rows(built[name], expected[name], keys, name)


def test_the_arrivals_replay_what_they_say():
    assert _arrivals([2, 0, 1], []) == [DAYS[2], DAYS[0], DAYS[1]]
    assert _arrivals([2, 0, 1], [(1, 0)]) == [DAYS[2], DAYS[0], DAYS[2], DAYS[1]]
    assert _arrivals([2, 0, 1], [(1, 1), (2, 2)]) == [DAYS[2], DAYS[0], DAYS[0], DAYS[1], DAYS[1]]
