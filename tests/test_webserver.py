"""The real UI backend: `dagster dev` on loopback from workspace.yaml, a run launched and read back over GraphQL."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from dagster_dev import graphql, running_dagster_dev

from orchestration.cli.prepare import ensure_instance
from orchestration.localhub.simulator import SimulationConfig, simulate

START, END = dt.date(2025, 1, 13), dt.date(2025, 1, 16)
STARTUP_SECONDS = 240
RUN_SECONDS = 900

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}"""

RUN_STATUS = """
query Run($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status } } }"""

FAILED_STEPS = """
query Logs($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection { events { __typename ... on ExecutionStepFailureEvent { stepKey error { message } } } }
  }
}"""

MATERIALIZATIONS = """
query Materializations($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    __typename
    ... on Asset {
      assetMaterializations(limit: 50) {
        runId
        partition
        metadataEntries {
          label
          __typename
          ... on IntMetadataEntry { intValue }
          ... on TextMetadataEntry { text }
          ... on MarkdownMetadataEntry { mdStr }
          ... on TableMetadataEntry { table { records } }
        }
      }
    }
  }
}"""

CHECKS = """
query Checks($path: [String!]!, $name: String!) {
  assetCheckExecutions(assetKey: {path: $path}, checkName: $name, limit: 10) {
    runId
    status
    partition
    evaluation { success severity description }
  }
}"""

@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    """`dagster dev` over a small simulated archive, with its own DAGSTER_HOME and HUBPULSE_HOME."""
    root = tmp_path_factory.mktemp("webserver")
    simulate(SimulationConfig(start=START, end=END, seed=11, community_authors=10, catalogue_fraction=0.04,
                              missing_dates=0, rename_at=None), root / "archive", log=lambda _m: None)
    ensure_instance(root / "dagster")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(root / "dagster"),
        "HUBPULSE_HOME": str(root / "home"),
        "HUBPULSE_ARCHIVE": str(root / "archive"),
        "HUBPULSE_FULL_CRAWL": "1",
        "HUBPULSE_AUTOMATION": "stopped",  # only the run this test launches
        "DBT_TARGET_PATH": str(root / "dbt-target"),
    }
    with running_dagster_dev(env, root / "dagster-dev.log") as url:
        yield url, root


@pytest.fixture(scope="module")
def launched_run(dagster_dev):
    """The daily pipeline for START .. END launched through GraphQL, waited for until it ends."""
    url, root = dagster_dev
    params = {
        "selector": {"repositoryLocationName": "hubpulse", "repositoryName": "__repository__",
                     "jobName": "daily_pipeline"},
        # One process for the whole run: each step of the default multiprocess executor would import the code
        # location again (seconds per step on 2 cores). The launch, run queue, daemon and storage are the same.
        "runConfigData": {"execution": {"config": {"in_process": {}}}},
        "executionMetadata": {"tags": [
            {"key": "dagster/asset_partition_range_start", "value": START.isoformat()},
            {"key": "dagster/asset_partition_range_end", "value": END.isoformat()},
        ]},
    }
    launched = graphql(url, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + RUN_SECONDS
    status = None
    while time.monotonic() < deadline:
        status = graphql(url, RUN_STATUS, {"runId": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    return url, root, run_id, status


def test_run_launched_through_graphql_succeeds(launched_run):
    url, root, run_id, status = launched_run
    if status != "SUCCESS":
        events = graphql(url, FAILED_STEPS, {"runId": run_id})["logsForRun"]["events"]
        failures = [e for e in events if e["__typename"] == "ExecutionStepFailureEvent"]
        pytest.fail(f"run {run_id} ended {status}: {failures}\n{(root / 'dagster-dev.log').read_text()[-3000:]}")


def _materializations(url: str, path: list[str]) -> list[dict]:
    asset = graphql(url, MATERIALIZATIONS, {"path": path})["assetOrError"]
    assert asset["__typename"] == "Asset", asset
    return asset["assetMaterializations"]


def _entries(materialization: dict) -> dict[str, dict]:
    return {entry["label"]: entry for entry in materialization["metadataEntries"]}


def test_materializations_and_their_metadata_read_back_over_graphql(launched_run):
    url, _root, run_id, _status = launched_run
    days = {(START + dt.timedelta(days=i)).isoformat() for i in range((END - START).days + 1)}
    raw = [m for m in _materializations(url, ["hub_model_snapshots"]) if m["runId"] == run_id]
    assert {m["partition"] for m in raw} == days
    assert all(_entries(m)["dagster/row_count"]["intValue"] > 0 for m in raw)

    daily = [m for m in _materializations(url, ["marts", "fct_download_velocity"]) if m["runId"] == run_id]
    assert {m["partition"] for m in daily} == days
    velocity = _entries(daily[0])
    assert velocity["dagster/row_count"]["intValue"] > 0
    assert velocity["chart"]["mdStr"].startswith("![download velocity](data:image/png;base64,")

    cadence = [m for m in _materializations(url, ["marts", "fct_release_cadence"]) if m["runId"] == run_id]
    assert len(cadence) == 1 and "chart" in _entries(cadence[0]) and _entries(cadence[0])["preview"]["table"]["records"]

    served = [m for m in _materializations(url, ["serving", "published_marts"]) if m["runId"] == run_id]
    assert len(served) == 1
    assert _entries(served[0])["newest_snapshot_date"]["text"] == END.isoformat()


def test_check_results_read_back_over_graphql(launched_run):
    url, _root, run_id, _status = launched_run
    # A Great Expectations check on every raw partition of the run, passed.
    raw = [e for e in graphql(url, CHECKS, {"path": ["hub_model_snapshots"], "name": "ids_unique_and_not_null"})
           ["assetCheckExecutions"] if e["runId"] == run_id]
    assert raw and all(e["status"] == "SUCCEEDED" and e["evaluation"]["success"] for e in raw)
    # A mart check, passed.
    shares = graphql(url, CHECKS, {"path": ["marts", "fct_download_velocity"], "name": "region_shares_sum_to_one"})
    assert any(e["runId"] == run_id and e["status"] == "SUCCEEDED" for e in shares["assetCheckExecutions"])
    # The simulated days are long past: the freshness check warns, without failing the run.
    fresh = [e for e in graphql(url, CHECKS, {"path": ["hub_model_snapshots"], "name": "raw_freshness"})
             ["assetCheckExecutions"] if e["runId"] == run_id]
    assert len(fresh) == 1 and fresh[0]["status"] == "FAILED"
    assert fresh[0]["evaluation"]["severity"] == "WARN" and "hours old" in fresh[0]["evaluation"]["description"]
