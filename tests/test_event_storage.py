"""The instance's event log (orchestration/event_storage.py): Dagster's SQLite files, connections reused.

It must stay interchangeable with Dagster's own `SqliteEventLogStorage` (same files, either reads what the other
wrote), keep the UI's live view of a run working (a watched run sees each event as it is stored), survive a fork,
and `hubpulse prepare` must configure it on new and older instances and follow a moved one.
"""

import json
import multiprocessing
import queue
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry

from orchestration.event_storage import HubpulseSqliteEventLogStorage
from orchestration.prepare import ensure_instance

PARTITIONS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-01-08")


@dg.asset(partitions_def=PARTITIONS)
def numbers(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"day": context.partition_key})


@dg.asset_check(asset=numbers, partitions_def=PARTITIONS)
def numbers_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=not context.partition_key.endswith("03"))


def _stock_instance_dir(path: Path, event_logs: Path) -> Path:
    """An instance whose event log is Dagster's own class over the given folder."""
    path.mkdir(parents=True)
    (path / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "event_log_storage:\n"
        "  module: dagster._core.storage.event_log\n"
        "  class: SqliteEventLogStorage\n"
        f"  config:\n    base_dir: {json.dumps(str(event_logs))}\n"
    )
    return path


def _materialize(instance: dg.DagsterInstance, partition: str) -> str:
    result = dg.materialize([numbers, numbers_check], instance=instance, partition_key=partition,
                            raise_on_error=False)
    return result.run_id


def _summary(instance: dg.DagsterInstance, run_ids: list[str]) -> dict:
    """What the UI reads: materializations, check executions and every run's event log."""
    mats = instance.fetch_materializations(dg.AssetKey("numbers"), limit=100).records
    checks = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey("numbers"), "numbers_check"), limit=100
    )
    return {
        "materializations": sorted((r.partition_key, r.run_id) for r in mats),
        "checks": sorted((c.run_id, c.partition, c.status.value) for c in checks),
        "logs": {run_id: [(e.dagster_event_type, e.user_message) for e in instance.all_logs(run_id)]
                 for run_id in run_ids},
    }


def test_prepared_instance_uses_it_and_dagsters_own_storage_reads_the_same_files(tmp_path: Path):
    home = tmp_path / "dagster"
    ensure_instance(home)
    event_logs = (home / "history" / "runs").resolve()
    with dg.DagsterInstance.from_config(str(home)) as ours:
        storage = ours.event_log_storage
        assert type(storage) is HubpulseSqliteEventLogStorage
        assert Path(storage._base_dir) == event_logs  # Dagster's default place: the UI history stays where it was
        runs = [_materialize(ours, "2025-01-02"), _materialize(ours, "2025-01-03")]
        written_by_ours = _summary(ours, runs)
    assert written_by_ours["materializations"] == [("2025-01-02", runs[0]), ("2025-01-03", runs[1])]
    assert sorted((c[1], c[2]) for c in written_by_ours["checks"]) == [
        ("2025-01-02", "SUCCEEDED"), ("2025-01-03", "FAILED")
    ]

    stock_dir = _stock_instance_dir(tmp_path / "stock", event_logs)
    with dg.DagsterInstance.from_config(str(stock_dir)) as stock:
        assert type(stock.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert _summary(stock, runs) == written_by_ours
        runs.append(_materialize(stock, "2025-01-04"))  # and the other way round
        written_by_stock = _summary(stock, runs)
    with dg.DagsterInstance.from_config(str(home)) as ours:
        assert _summary(ours, runs) == written_by_stock
        assert ("2025-01-04", runs[2]) in written_by_stock["materializations"]


def _log_entry(run_id: str, message: str, materialize: str | None = None) -> EventLogEntry:
    event = None
    if materialize is not None:
        event = DagsterEvent(
            DagsterEventType.ASSET_MATERIALIZATION.value, "job", step_key="step",
            event_specific_data=StepMaterializationData(dg.AssetMaterialization("numbers", partition=materialize)),
        )
    return EventLogEntry(error_info=None, level=20, user_message=message, run_id=run_id, timestamp=time.time(),
                         step_key="step", job_name="job", dagster_event=event)


def test_a_watched_run_sees_each_event_as_it_is_stored(tmp_path: Path):
    """The UI's live view: Dagster's watcher reacts to the run's file changing, so writes must still reach it."""
    storage = HubpulseSqliteEventLogStorage(str(tmp_path / "runs"))
    received: queue.Queue = queue.Queue()
    storage.store_event(_log_entry("run-a", "before watching"))
    storage.watch("run-a", None, lambda event, cursor: received.put(event.user_message))
    try:
        for i in range(3):
            storage.store_event(_log_entry("run-a", f"message {i}", materialize="2025-01-02"))
            seen = received.get(timeout=20)
            while seen == "before watching":
                seen = received.get(timeout=20)
            assert seen == f"message {i}"
    finally:
        storage.dispose()


def _child_writes(base_dir: str, storage: HubpulseSqliteEventLogStorage | None, done) -> None:
    try:
        target = storage or HubpulseSqliteEventLogStorage(base_dir)
        inherited = dict(target._engines)  # a forked child's copy of the parent's engines (and their connections)
        for i in range(5):
            target.store_event(_log_entry("run-child", f"child {i}", materialize=f"2025-01-0{i + 1}"))
        reused = [shard for shard, engine in target._engines.items() if inherited.get(shard) is engine]
        done.put(f"reused the parent's connections to {reused}" if reused else "ok")
    except Exception as error:  # noqa: BLE001 - reported to the parent, whose assertion names it
        done.put(repr(error))


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_processes_share_an_instance_and_a_forked_child_opens_its_own_connections(tmp_path: Path, start_method):
    storage = HubpulseSqliteEventLogStorage(str(tmp_path / "runs"))
    storage.store_event(_log_entry("run-parent", "parent 0", materialize="2025-01-01"))  # index connection open
    context = multiprocessing.get_context(start_method)
    done = context.Queue()
    # A forked child inherits the storage object with its open index connection; a spawned one builds its own.
    child = context.Process(target=_child_writes,
                            args=(str(tmp_path / "runs"), storage if start_method == "fork" else None, done))
    child.start()
    storage.store_event(_log_entry("run-parent", "parent 1", materialize="2025-01-02"))  # while the child writes
    assert done.get(timeout=60) == "ok"
    child.join(timeout=30)
    assert child.exitcode == 0
    storage.store_event(_log_entry("run-parent", "parent 2", materialize="2025-01-03"))
    assert [e.user_message for e in storage.get_logs_for_run("run-child")] == [f"child {i}" for i in range(5)]
    assert [e.user_message for e in storage.get_logs_for_run("run-parent")] == [f"parent {i}" for i in range(3)]
    records = storage.fetch_materializations(dg.AssetKey("numbers"), limit=100).records
    assert sorted(r.run_id for r in records) == ["run-child"] * 5 + ["run-parent"] * 3
    storage.dispose()


def test_prepare_adds_it_to_older_instances_follows_a_moved_one_and_leaves_other_storage_alone(tmp_path: Path):
    older = tmp_path / "older"
    older.mkdir()
    (older / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ensure_instance(older)
    text = (older / "dagster.yaml").read_text()
    assert text.startswith("telemetry:\n  enabled: false\n")
    assert "class: HubpulseSqliteEventLogStorage" in text and str(older.resolve() / "history" / "runs") in text
    ensure_instance(older)
    assert (older / "dagster.yaml").read_text() == text  # idempotent

    moved = tmp_path / "moved"
    older.rename(moved)
    ensure_instance(moved)
    text = (moved / "dagster.yaml").read_text()
    assert str(moved.resolve() / "history" / "runs") in text and str(older.resolve()) not in text
    assert text.count("event_log_storage:") == 1
    with dg.DagsterInstance.from_config(str(moved)) as instance:
        assert Path(instance.event_log_storage._base_dir) == moved.resolve() / "history" / "runs"

    own = tmp_path / "own"
    own.mkdir()
    custom = "storage:\n  sqlite:\n    base_dir: /somewhere/else\n"
    (own / "dagster.yaml").write_text(custom)
    ensure_instance(own)
    text = (own / "dagster.yaml").read_text()
    assert text.startswith(custom) and "event_log_storage" not in text and "concurrency:" in text
