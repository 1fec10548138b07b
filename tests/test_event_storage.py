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
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry

from orchestration.cli.prepare import ensure_instance
from orchestration.event_storage import HubpulseSqliteEventLogStorage

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


def _child_writes(base_dir: str, done) -> None:
    try:
        target = HubpulseSqliteEventLogStorage(base_dir)
        for i in range(5):
            target.store_event(_log_entry("run-child", f"child {i}", materialize=f"2025-01-0{i + 1}"))
        done.put("ok")
    except Exception as error:  # noqa: BLE001 - reported to the parent, whose assertion names it
        done.put(repr(error))


def test_two_processes_write_one_instance_at_the_same_time(tmp_path: Path):
    storage = HubpulseSqliteEventLogStorage(str(tmp_path / "runs"))
    storage.store_event(_log_entry("run-parent", "parent 0", materialize="2025-01-01"))  # index connection open
    context = multiprocessing.get_context("spawn")
    done = context.Queue()
    child = context.Process(target=_child_writes, args=(str(tmp_path / "runs"), done), daemon=True)
    child.start()
    try:
        storage.store_event(_log_entry("run-parent", "parent 1", materialize="2025-01-02"))  # while the child writes
        assert done.get(timeout=120) == "ok"
        child.join(timeout=60)
        assert child.exitcode == 0
    finally:
        if child.is_alive():  # never leave a process behind for the test runner to wait on
            child.kill()
            child.join()
    storage.store_event(_log_entry("run-parent", "parent 2", materialize="2025-01-03"))
    assert [e.user_message for e in storage.get_logs_for_run("run-child")] == [f"child {i}" for i in range(5)]
    assert [e.user_message for e in storage.get_logs_for_run("run-parent")] == [f"parent {i}" for i in range(3)]
    records = storage.fetch_materializations(dg.AssetKey("numbers"), limit=100).records
    assert sorted(r.run_id for r in records) == ["run-child"] * 5 + ["run-parent"] * 3
    storage.dispose()


def test_a_forked_process_opens_its_own_connections(tmp_path: Path, monkeypatch):
    """After a fork the child has the parent's engines and their open connections; it must not use them.

    Forking the test process itself could deadlock (the test runner has threads), so the fork is what the
    storage can see of one: another process id.
    """
    storage = HubpulseSqliteEventLogStorage(str(tmp_path / "runs"))
    storage.store_event(_log_entry("run-a", "in the parent", materialize="2025-01-01"))
    inherited = dict(storage._engines)
    assert set(inherited) == {"index", "run-a"}
    disposed = []
    for engine in inherited.values():
        monkeypatch.setattr(engine, "dispose", lambda close=True, engine=engine: disposed.append((engine, close)))
    monkeypatch.setattr("orchestration.event_storage.os.getpid", lambda: 1_000_000_007)
    storage.store_event(_log_entry("run-a", "in the child", materialize="2025-01-02"))
    assert all(storage._engines[shard] is not engine for shard, engine in inherited.items())
    # The parent's connections are left open for the parent (closing them from the child could disturb it).
    assert sorted(close for _, close in disposed) == [False, False]
    assert [e.user_message for e in storage.get_logs_for_run("run-a")] == ["in the parent", "in the child"]
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
