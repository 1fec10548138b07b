"""How hubpulse runs itself: the daily schedule, automation after backfills, freshness, retries and pools."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli.prepare import ensure_instance
from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts
from orchestration.definitions import defs
from orchestration.hub.archive import write_snapshot
from orchestration.hub.jobs import daily_cron, daily_hub_snapshot, daily_run_request
from orchestration.quality.freshness import freshness_result
from orchestration.serving.assets import SERVING_KEY
from tests.conftest import tiny_hub_items

RAW = dg.AssetKey("hub_model_snapshots")
FRESHNESS = dg.AssetCheckKey(RAW, "raw_freshness")


# ------------------------------------------------------------------------------------------------ schedule


def test_schedule_tick_requests_that_days_partition_of_the_daily_pipeline():
    schedule = defs.resolve_schedule_def("daily_hub_snapshot")
    assert schedule.job_name == "daily_pipeline"
    assert schedule.execution_timezone == "UTC"
    assert schedule.cron_schedule == "0 2 * * *"
    tick = dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC)
    with dg.build_schedule_context(scheduled_execution_time=tick) as context:
        request = daily_hub_snapshot(context)
    assert request.partition_key == "2026-03-05"
    assert request.run_key == "daily-2026-03-05"
    # The job runs raw, every dbt set and the published copy, with the checks, in that one run.
    job = defs.resolve_job_def("daily_pipeline")
    keys = job.asset_layer.asset_graph.get_all_asset_keys()
    assert {RAW, dg.AssetKey(["marts", "fct_download_velocity"]), dg.AssetKey(["marts", "dim_models"]),
            SERVING_KEY} <= set(keys)
    assert dg.AssetCheckKey(RAW, "ids_unique_and_not_null") in job.asset_layer.asset_graph.asset_check_keys
    with dg.partition_loading_context(effective_dt=tick):
        assert job.partitions_def.get_last_partition_key() == request.partition_key  # today's partition exists


def test_a_tick_late_in_another_timezone_still_names_the_utc_date():
    tick = dt.datetime(2026, 3, 5, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # 04:30 UTC on the 6th
    assert daily_run_request(tick).partition_key == "2026-03-06"


def test_schedule_time_is_configurable_and_validated():
    assert daily_cron("07:05") == "5 7 * * *"
    assert daily_cron("0:00") == "0 0 * * *"
    for bad in ("25:00", "7", "07:60", "seven"):
        with pytest.raises(ValueError, match="HUBPULSE_DAILY_AT"):
            daily_cron(bad)


# ------------------------------------------------------------------------------------------------ automation


def _settle(instance: dg.DagsterInstance, cursor, ticks: int = 8):
    """Evaluate the automation conditions tick after tick, each request materialized before the next tick (as
    the sensor's runs would), until a tick requests nothing. Returns the requests of every tick and the cursor."""
    graph = defs.resolve_asset_graph()
    requested: list[dict[dg.AssetKey, set[str] | None]] = []
    for _ in range(ticks):
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        cursor = result.cursor
        if result.total_requested == 0:
            return requested, cursor
        tick: dict[dg.AssetKey, set[str] | None] = {}
        requested_now = {evaluation.key for evaluation in result.results if evaluation.true_subset.size}
        for evaluation in result.results:
            if not evaluation.true_subset.size:
                continue
            key = evaluation.key
            _assert_parents_exist(instance, graph, key, requested_now)
            if graph.get(key).partitions_def is not None:
                tick[key] = set(result.get_requested_partitions(key))
                for partition in tick[key]:
                    instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))
            else:
                tick[key] = None
                instance.report_runless_asset_event(dg.AssetMaterialization(key))
        requested.append(tick)
    raise AssertionError(f"the automation did not settle in {ticks} ticks: {requested[-1]}")


def _assert_parents_exist(instance, graph, key, requested_now) -> None:
    """An unpartitioned asset is requested only when each materializable parent has been materialized at least
    once, or is unpartitioned and requested on the same tick (then the same run builds it first): a daily parent
    requested on the same tick runs in a run of its own, and the child's run would read relations that do not
    exist yet (the race test_daemon saw on an empty warehouse)."""
    node = graph.get(key)
    if node.partitions_def is not None:
        return
    for parent in node.parent_keys:
        parent_node = graph.get(parent)
        if not parent_node.is_materializable:
            continue
        if parent_node.partitions_def is None and parent in requested_now:
            continue
        materialized = instance.get_latest_materialization_event(parent) is not None
        assert materialized, f"{key.to_user_string()} requested before its parent {parent.to_user_string()} exists"
    # The marts set builds together the first time, after the daily models' first days: a run of part of the
    # set would run (dbt's eager test selection) the tests of the set's models that do not exist yet.
    if key in dbt_marts.keys:
        for daily in dbt_daily_models.keys:
            assert instance.get_latest_materialization_event(daily) is not None, (
                f"{key.to_user_string()} requested before the daily {daily.to_user_string()} was built")


DAILY_KEYS = [dg.AssetKey(["intermediate", "int_models_daily_downloads"]), dg.AssetKey(["marts", "fct_model_daily"]),
              dg.AssetKey(["marts", "fct_download_velocity"])]


def test_raw_days_request_exactly_those_days_downstream_then_the_marts():
    """Raw days far from the latest partition (an archive import, a backfill, a late day) request exactly those
    days of the daily models, never every day (the staging view they read is rebuilt on each arrival but is
    not a trigger), and the marts and the published copy again after those days are built."""
    instance = dg.DagsterInstance.ephemeral()
    graph = defs.resolve_asset_graph()
    # The staging view over the raw files: it has nothing to read until the first raw day, which requests it.
    reads_raw = {key for key in dbt_inputs.keys if RAW in graph.get(key).parent_keys}
    assert reads_raw == {dg.AssetKey(["staging", "stg_hub__model_snapshots"])}
    # A fresh home: the seeds and the models over them are requested because they are missing (nothing else
    # would ever request them), but no daily day, and nothing below the raw files that do not exist yet (the
    # view over them and the views over that view: `_settle` asserts no asset is requested before its parents).
    waiting = set(reads_raw)
    while below := {key for key in dbt_inputs.keys if waiting & set(graph.get(key).parent_keys)} - waiting:
        waiting |= below
    assert len(waiting) > 1  # int_model_snapshots_attributed, the view over the staging view, waits too
    fresh, cursor = _settle(instance, None)
    built = set().union(*fresh) if fresh else set()
    assert set(dbt_inputs.keys) - waiting <= built
    assert not built & set(DAILY_KEYS) and RAW not in built and not built & waiting

    days = {"2025-01-10", "2025-01-11", "2025-01-12"}
    for day in sorted(days):
        instance.report_runless_asset_event(dg.AssetMaterialization(RAW, partition=day))
    ticks, cursor = _settle(instance, cursor)
    for key in DAILY_KEYS:
        assert set().union(*(tick[key] for tick in ticks if key in tick)) == days, key
    first_daily = min(i for i, tick in enumerate(ticks) if DAILY_KEYS[0] in tick)
    last_daily = max(i for i, tick in enumerate(ticks) for key in DAILY_KEYS if key in tick)
    # The marts that read the days, and the published copy, are rebuilt after the last day was built.
    for key in (dg.AssetKey(["marts", "fct_velocity_overtakes"]), dg.AssetKey(["marts", "fct_supply_chain"]),
                SERVING_KEY):
        assert any(key in tick for tick in ticks[last_daily + 1:]), key
    # The first raw days create the views over them (one run), then the days are built on them.
    assert waiting <= set(ticks[0]) and first_daily == 1
    assert all(RAW not in tick for tick in ticks)  # raw data comes only from the schedule or a launched run

    # A day that arrives late: that day alone downstream (dbt's window runs through the newest raw day).
    instance.report_runless_asset_event(dg.AssetMaterialization(RAW, partition="2025-01-08"))
    ticks, cursor = _settle(instance, cursor)
    for key in DAILY_KEYS:
        assert set().union(*(tick[key] for tick in ticks if key in tick)) == {"2025-01-08"}, key
    assert any(SERVING_KEY in tick for tick in ticks)

    # Nothing new: nothing more is requested.
    again = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert again.total_requested == 0


def test_automation_sensor_targets_every_asset_and_runs_by_default():
    sensor = defs.resolve_sensor_def("hubpulse_automation")
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


# ------------------------------------------------------------------------------------------------ freshness


def test_freshness_passes_within_36_hours_and_warns_beyond():
    now = dt.datetime(2026, 3, 6, 11, 0, tzinfo=dt.UTC)
    fresh = freshness_result("2026-03-05", now, 36)  # 35 hours since the start of the 5th
    assert fresh.passed and fresh.metadata["age_hours"].value == 35.0
    stale = freshness_result("2026-03-04", now, 36)  # 59 hours
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN
    assert "2026-03-04 is 59.0 hours old, more than the 36-hour limit" in stale.description
    assert not freshness_result(None, now, 36).passed


def test_freshness_check_fires_on_stale_data_through_its_job():
    instance = dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def("check_raw_freshness")
    stale_day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).date().isoformat()
    instance.report_runless_asset_event(dg.AssetMaterialization(RAW, partition=stale_day))
    evaluation = _freshness_evaluation(job.execute_in_process(instance=instance))
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["newest_partition"].value == stale_day

    today = dt.datetime.now(dt.UTC).date().isoformat()
    instance.report_runless_asset_event(dg.AssetMaterialization(RAW, partition=today))
    evaluation = _freshness_evaluation(job.execute_in_process(instance=instance))
    assert evaluation.passed and evaluation.metadata["newest_partition"].value == today


def _freshness_evaluation(result) -> dg.AssetCheckEvaluation:
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert [e.asset_check_key for e in evaluations] == [FRESHNESS]
    return evaluations[0]


# ------------------------------------------------------------------------------------------------ retries and pools


RETRY_SCRIPT = r"""
import json, sys
import dagster as dg
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient
from orchestration.localhub.server import FaultConfig, LocalHub
from orchestration.hub.scope import Scope
from orchestration.resources import HubpulsePaths

archive, home, day, fail_pages = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
with LocalHub(archive, page_size=10, faults=FaultConfig(fail_pages=frozenset(fail_pages))) as hub:
    # With faults, through this process's local Hub; without, the client's own (which checks dates first).
    client = (HubClient(source="local", endpoint=hub.url, max_attempts=2, backoff_base_seconds=0.01) if fail_pages
              else HubClient(source="local", archive_dir=archive))
    resources = {
        "hub": client,
        "scope": Scope(organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True),
        "paths": HubpulsePaths(home=home),
    }
    result = dg.materialize([hub_model_snapshots], resources=resources, partition_key=day, raise_on_error=False)
types = [e.event_type_value for e in result.all_events]
print(json.dumps({"success": result.success, "retries": types.count("STEP_UP_FOR_RETRY"),
                  "failures": [str(e.step_failure_data.error.cause.message if e.step_failure_data.error.cause
                                   else e.step_failure_data.error.message)
                               for e in result.get_step_failure_events()]}))
"""


def _run_with_retry_policy(archive: Path, home: Path, day: str, fail_pages: list[int]) -> dict:
    env = {**os.environ, "HUBPULSE_INGEST_RETRIES": "2", "HUBPULSE_INGEST_RETRY_DELAY_SECONDS": "0"}
    done = subprocess.run([sys.executable, "-c", RETRY_SCRIPT, str(archive), str(home), day, json.dumps(fail_pages)],
                          check=False, env=env, capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ingestion_step_is_retried_after_a_transient_outage_but_not_for_a_missing_date(tmp_path: Path):
    archive = tmp_path / "archive"
    day = dt.date(2025, 3, 1)
    write_snapshot(archive, day, tiny_hub_items(0))
    # The first two page requests fail: the client's two attempts give up, the step's retry succeeds.
    transient = _run_with_retry_policy(archive, tmp_path / "home", day.isoformat(), [1, 2])
    assert transient == {"success": True, "retries": 1, "failures": []}
    assert (tmp_path / "home" / "raw" / "hub_models" / "snapshot_date=2025-03-01" / "part-0.parquet").exists()
    # A date the archive does not hold fails at once: retrying cannot mend it.
    permanent = _run_with_retry_policy(archive, tmp_path / "home", "2025-03-09", [])
    assert permanent["success"] is False and permanent["retries"] == 0
    assert "has no snapshot for 2025-03-09" in permanent["failures"][0]


def test_policy_and_pools_are_declared_on_the_steps():
    raw = defs.resolve_assets_def("hub_model_snapshots")
    assert raw.op.pool == "hub_api"
    assert raw.op.retry_policy is not None
    for assets in (dbt_inputs, dbt_daily_models, dbt_marts):
        assert assets.op.pool == "warehouse"
    assert defs.resolve_assets_def(SERVING_KEY).op.pool == "warehouse"
    checks = {c.node_def.name: c.node_def.pool for c in defs.asset_checks if hasattr(c, "node_def")}
    # The marts' rules run as dbt tests inside the dbt steps (pool warehouse, above): no asset check of their own.
    assert checks and not {"daily_marts_quality", "marts_quality"} & set(checks)


def test_prepared_instance_limits_every_pool_to_one_slot(tmp_path: Path):
    config = ensure_instance(tmp_path / "dagster")
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    # An existing dagster.yaml without pools gets them appended, and is otherwise kept.
    older = tmp_path / "older"
    older.mkdir()
    (older / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ensure_instance(older)
    text = (older / "dagster.yaml").read_text()
    assert text.startswith("telemetry:\n  enabled: false\n") and "default_limit: 1" in text
    assert config.read_text().count("concurrency:") == 1


# ------------------------------------------------------------------------------------------------ the UI's view


def test_every_asset_has_a_description_kinds_and_a_layer_group():
    """The asset graph reads as the layers: raw (as received: snapshots, seeds, files read in place), staging,
    intermediate, marts, serving; the external files too (no bare stub in a default group)."""
    graph = defs.resolve_asset_graph()
    groups = set()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        assert node.group_name in {"raw", "staging", "intermediate", "marts", "serving"}, key
        assert node.kinds, key
        groups.add(node.group_name)
    assert groups == {"raw", "staging", "intermediate", "marts", "serving"}
    leaderboard = graph.get(dg.AssetKey(["benchmarks", "open_llm_leaderboard_v2"]))
    assert not leaderboard.is_materializable and "dagster/column_schema" in leaderboard.metadata
    assert graph.get(RAW).kinds >= {"huggingface", "great_expectations"}
    # The marts are checked by their dbt tests only (orchestration.quality.GX_CHECKED_MODELS is empty).
    velocity_kinds = graph.get(dg.AssetKey(["marts", "fct_download_velocity"])).kinds
    assert velocity_kinds >= {"dbt", "duckdb"} and "great_expectations" not in velocity_kinds
    assert graph.get(SERVING_KEY).kinds == {"duckdb", "parquet"}
