"""The production configuration end to end: `dagster dev` (webserver and daemon) with the default executor and the
automation sensor running, fed by `hubpulse import-archive`, with one day arriving late.

A home prepared as `make dev` prepares one (`hubpulse prepare --home DIR --no-manifest`: the instance's
dagster.yaml with its pools and event log), `dagster dev -w workspace.yaml` started on it exactly as `make dev`
starts it (no executor forced: each step of a run is a process of its own; the automation sensor running, the
schedules stopped as they are by default with the local archive). Seven days of a small simulated history are
imported, then, once the sensor's runs have built and published the warehouse, the eighth day (in the middle)
arrives late. The sensor requests only that day; the daily-partitioned models must then equal a full
refresh of the same eight raw days, row for row.

The instance is read with Dagster's public API (`DagsterInstance`), the sensor's state over GraphQL.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster_dev import graphql, running_dagster_dev
from test_warehouse import INCREMENTAL_MODELS, assert_same_rows, read_relations, run_dbt

from orchestration.localhub.simulator import SimulationConfig, simulate

PROJECT = Path(__file__).resolve().parent.parent
START = dt.date(2025, 1, 16)
DAYS = [START + dt.timedelta(days=i) for i in range(8)]  # spans R1 (2025-01-20)
LATE_DAY = DAYS[3]  # later raw days exist when it arrives
SENSOR = "hubpulse_automation"
SERVING_KEY = dg.AssetKey(["serving", "published_marts"])
DAILY_KEYS = [dg.AssetKey([schema, name]) for name, (schema, _keys) in INCREMENTAL_MODELS.items()]
FIRST_TICK_SECONDS = 240
SETTLE_SECONDS = 900  # per arrival: several sensor intervals (10 s here) and the runs they request; a bound on a
# hang, not a speed target (two suites at once on 2 cores slow every run several times over)

SENSOR_STATE = """
query Sensor($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status ticks(limit: 20) { status timestamp error { message } } } }
    ... on PythonError { message }
  }
}"""


def _sensor_ticks(url: str) -> tuple[str, list[dict]]:
    selector = {"repositoryLocationName": "hubpulse", "repositoryName": "__repository__", "sensorName": SENSOR}
    sensor = graphql(url, SENSOR_STATE, {"selector": selector})["sensorOrError"]
    assert sensor["__typename"] == "Sensor", sensor
    return sensor["sensorState"]["status"], sensor["sensorState"]["ticks"]


def _hubpulse(*args: str, env: dict[str, str]) -> str:
    # The `hubpulse` entry point, run as a module of this tree (the same `main`).
    result = subprocess.run([sys.executable, "-m", "orchestration.cli.main", *args], cwd=PROJECT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"hubpulse {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


class Production:
    """A running `dagster dev` over a prepared home, and what the test reads of it."""

    def __init__(self, root: Path, url: str, env: dict[str, str], log: Path):
        self.root, self.url, self.env, self.log = root, url, env, log
        self.home = root / "home"
        self.instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])

    def import_days(self, first: dt.date, last: dt.date) -> None:
        _hubpulse("import-archive", str(self.root / "archive"), "--home", str(self.home),
                  "--start", first.isoformat(), "--end", last.isoformat(), env=self.env)

    def runs_since(self, since: float) -> list[dg.DagsterRun]:
        return [r.dagster_run for r in self.instance.get_run_records() if r.create_timestamp.timestamp() > since]

    def materialized_since(self, key: dg.AssetKey, since: float) -> list[dg.EventLogRecord]:
        records = self.instance.fetch_materializations(key, limit=1000).records
        return [r for r in records if r.timestamp > since and r.run_id]

    def failures(self, runs: list[dg.DagsterRun]) -> str:
        lines = []
        for run in runs:
            lines.append(f"run {run.run_id} ({run.tags.get('dagster/backfill', 'no backfill')}) ended {run.status}")
            for record in self.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
                event = record.dagster_event
                error = event.step_failure_data.error if event.step_failure_data else None
                lines.append(f"  step {event.step_key}: {error.message.strip()[:1500] if error else record.message}")
            for record in self.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE):
                lines.append(f"  run failure: {(record.message or '')[:1500]}")
        return "\n".join(lines)

    def settle(self, since: float, partitions: set[str], what: str) -> list[dg.DagsterRun]:
        """Wait until the sensor's runs after `since` have built `partitions` of every daily model and published,
        with no run or backfill left; return the runs. Fail at once, naming the failed steps, when one of those
        runs fails: no asset is requested before its parents exist, so no run fails on an empty warehouse."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            runs = self.runs_since(since)
            failed = [r for r in runs if r.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)]
            if failed:
                pytest.fail(f"{what}: a run of the sensor failed\n{self.failures(failed)}\n"
                            f"{self.log.read_text()[-3000:]}")
            active = [r for r in runs if not r.is_finished]
            backfills = [b for b in self.instance.get_backfills() if b.status.value in ("REQUESTED", "CANCELING")]
            built = {key: {r.partition_key for r in self.materialized_since(key, since)} for key in DAILY_KEYS}
            published = self.materialized_since(SERVING_KEY, since)
            done = all(partitions <= parts for parts in built.values()) and published
            if done and runs and not active and not backfills:
                return runs
            if time.monotonic() > deadline:
                status, ticks = _sensor_ticks(self.url)
                pytest.fail(
                    f"{what}: not settled within {SETTLE_SECONDS}s: runs {[(r.run_id[:8], r.status) for r in runs]}, "
                    f"backfills {[b.backfill_id for b in backfills]}, daily partitions built "
                    f"{ {k.to_user_string(): sorted(v) for k, v in built.items()} }, published {len(published)}, "
                    f"sensor {status} ticks {ticks[:5]}\n{self.log.read_text()[-3000:]}")
            time.sleep(2)


@pytest.fixture
def production(tmp_path):
    """`dagster dev -w workspace.yaml` over a home prepared by `hubpulse prepare`, stopped by the test."""
    simulate(SimulationConfig(start=DAYS[0], end=DAYS[-1], seed=31, community_authors=5, catalogue_fraction=0.03,
                              missing_dates=0, rename_at=None, deleted_share=0.05, recount_share=0.05,
                              missing_downloads_all_time=0.02), tmp_path / "archive", log=lambda _m: None)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HUBPULSE_", "DAGSTER_")) or k == "HUBPULSE_DBT_MANIFEST_DIR"}
    env.update({
        "HUBPULSE_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "HUBPULSE_SOURCE": "local",
        "HUBPULSE_ARCHIVE": str(tmp_path / "archive"),
        "DBT_TARGET_PATH": str(tmp_path / "dbt-target"),
        # Production evaluates every 60 s; each stage of a build waits one interval, so the test shortens it.
        "HUBPULSE_AUTOMATION_INTERVAL_SECONDS": "10",
    })
    # As `make dev`: the manifest is prepared once for the tree (`make test` does it, or tests/conftest.py),
    # the home and its instance by `hubpulse prepare --no-manifest`.
    _hubpulse("prepare", "--home", str(home), "--no-manifest", env=env)
    assert "pools" in (home / "dagster" / "dagster.yaml").read_text()
    with running_dagster_dev(env, tmp_path / "dagster-dev.log") as url:
        yield Production(tmp_path, url, env, tmp_path / "dagster-dev.log")


def _wait_for_first_tick(production: Production) -> None:
    """The sensor's first evaluation only sets its baseline (nothing before it counts as an update)."""
    deadline = time.monotonic() + FIRST_TICK_SECONDS
    while time.monotonic() < deadline:
        status, ticks = _sensor_ticks(production.url)
        assert status == "RUNNING", f"the automation sensor is {status}"
        if any(t["status"] in ("SUCCESS", "SKIPPED") for t in ticks):
            return
        errors = [t["error"]["message"] for t in ticks if t["status"] == "FAILURE" and t["error"]]
        assert not errors, f"the automation sensor's tick failed: {errors[0][:3000]}"
        time.sleep(2)
    pytest.fail(f"no tick of {SENSOR} within {FIRST_TICK_SECONDS}s:\n{production.log.read_text()[-3000:]}")


def test_sensor_runs_with_the_default_executor_make_a_late_day_equal_a_full_refresh(production, tmp_path):
    started = time.monotonic()
    _wait_for_first_tick(production)

    # A fresh home: the seeds and the views over them are built by the sensor because they are missing.
    # The archive arrives with a hole: every day but LATE_DAY.
    arrived = time.time()
    production.import_days(DAYS[0], LATE_DAY - dt.timedelta(days=1))
    production.import_days(LATE_DAY + dt.timedelta(days=1), DAYS[-1])
    # On an empty warehouse the marts wait for the daily days' first materialization (they run apart from them).
    first = production.settle(arrived, {d.isoformat() for d in DAYS if d != LATE_DAY}, "the imported days")
    # The runs were the default executor's: one process per step, not the webserver test's in-process runs.
    for run in first:
        assert "execution" not in (run.run_config or {}), run.run_config
    engine = [record.message for run in first
              for record in production.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)]
    assert any("multiprocess" in message for message in engine), engine[:10]

    # The late day arrives; the sensor requests that day, whose window reaches the newest raw day.
    late = time.time()
    production.import_days(LATE_DAY, LATE_DAY)
    second = production.settle(late, {LATE_DAY.isoformat()}, "the late day")
    requested = sorted(r.tags.get("dagster/partition") or "{}..{}".format(
        r.tags.get("dagster/asset_partition_range_start"), r.tags.get("dagster/asset_partition_range_end"))
        for r in second if r.tags.get("dagster/partition") or r.tags.get("dagster/asset_partition_range_start"))
    settled = time.monotonic() - started

    # A full refresh of the same raw days, in a home of its own.
    full = tmp_path / "full"
    shutil.copytree(production.home / "raw", full / "raw")
    run_dbt(full, "build", "--select", "+tag:daily_partitioned", "--exclude-resource-type", "unit_test",
            "--exclude-resource-type", "test")
    expected = read_relations(full, INCREMENTAL_MODELS)
    actual = read_relations(production.home, INCREMENTAL_MODELS)
    for name, (_schema, keys) in INCREMENTAL_MODELS.items():
        assert_same_rows(actual[name], expected[name], keys, name)
    print(f"settled after {settled:.0f}s; first build: {len(first)} runs; "
          f"after the late day: {len(second)} runs, daily partitions {requested}")
