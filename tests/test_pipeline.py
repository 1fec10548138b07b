"""The whole pipeline through Dagster: local Hub -> raw partitions -> the three dbt asset sets, checks included.

This is the wiring test: partition windows reach dbt through the environment, dbt tests come back as asset
checks, the sets run in dependency order, and a later day's run updates the incremental marts in place.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource

from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts, window_env
from orchestration.dbt.project import hubpulse_dbt_project
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient
from orchestration.hub.simulator import SimulationConfig, simulate
from orchestration.prepare import dbt_executable
from orchestration.resources import HubpulsePaths, SnapshotScope

START, END = dt.date(2025, 1, 10), dt.date(2025, 1, 24)
ASSETS = [hub_model_snapshots, dbt_inputs, dbt_daily_models, dbt_marts]


def _range_tags(first: dt.date, last: dt.date) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat()}


@pytest.fixture(scope="module")
def pipeline_home(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pipeline")
    simulate(SimulationConfig(start=START, end=END, seed=5, community_authors=15, catalogue_fraction=0.05,
                              missing_dates=0, rename_at=None), root / "archive", log=lambda _m: None)
    return root


@pytest.fixture(scope="module")
def pipeline_run(pipeline_home: Path):
    """Materialize everything for START .. END - 1 in one run, then END alone in a second run."""
    mp = pytest.MonkeyPatch()
    home = pipeline_home / "home"
    mp.setenv("HUBPULSE_HOME", str(home))
    mp.setenv("DBT_TARGET_PATH", str(pipeline_home / "dbt-target"))  # keep dbt's artifacts out of the tree
    resources = {
        "hub": HubClient(source="local", archive_dir=str(pipeline_home / "archive")),
        "scope": SnapshotScope(organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True),
        "paths": HubpulsePaths(home=str(home)),
        "dbt": DbtCliResource(project_dir=hubpulse_dbt_project, dbt_executable=dbt_executable()),
    }
    instance = dg.DagsterInstance.ephemeral()
    try:
        first = dg.materialize(ASSETS, resources=resources, instance=instance,
                               tags=_range_tags(START, END - dt.timedelta(days=1)), raise_on_error=False)
        second = dg.materialize(ASSETS, resources=resources, instance=instance, partition_key=END.isoformat(),
                                raise_on_error=False)
    finally:
        mp.undo()
    return home, first, second


def test_both_runs_succeed_and_every_dbt_test_passes(pipeline_run):
    _home, first, second = pipeline_run
    for result in (first, second):
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        assert len(evaluations) > 30  # dbt tests surface as asset checks
        assert all(ev.passed for ev in evaluations), [ev.check_name for ev in evaluations if not ev.passed]


def test_incremental_marts_cover_every_day_and_match_raw(pipeline_run):
    home, _first, _second = pipeline_run
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        days = con.execute("select min(snapshot_date), max(snapshot_date), count(distinct snapshot_date) "
                           "from marts.fct_model_daily").fetchone()
        assert days == (START, END, (END - START).days + 1)
        raw_rows = con.execute(
            "select count(*) from read_parquet(?)", [str(home / "raw" / "hub_models" / "*" / "*.parquet")]
        ).fetchone()[0]
        assert con.execute("select count(*) from marts.fct_model_daily").fetchone()[0] == raw_rows
        # The second run (END alone) extended the velocity mart to END without duplicating earlier days.
        dup = con.execute("""
            select count(*) from (select entity_type, entity_id, metric_date, count(*) n
            from marts.fct_download_velocity group by all having n > 1)""").fetchone()[0]
        assert dup == 0
        assert con.execute("select max(metric_date) from marts.fct_download_velocity").fetchone()[0] == END
    finally:
        con.close()


def test_materializations_are_recorded_per_partition(pipeline_run):
    _home, first, second = pipeline_run
    daily_key = dg.AssetKey(["marts", "fct_model_daily"])
    partitions = {m.partition for m in first.asset_materializations_for_node("dbt_daily_models")
                  if m.asset_key == daily_key}
    assert partitions == {(START + dt.timedelta(days=i)).isoformat() for i in range((END - START).days)}
    assert {m.partition for m in second.asset_materializations_for_node("hub_model_snapshots")} == {END.isoformat()}


def test_window_env_is_inclusive_and_ordered():
    assert window_env(START, END) == {"HUBPULSE_WINDOW_START": "2025-01-10", "HUBPULSE_WINDOW_END": "2025-01-24"}
    with pytest.raises(ValueError, match="before its start"):
        window_env(END, START)
