"""Crash recovery: `kill -9` during a raw partition write, during `dbt build`, and during publishing the serving
copy; then a rerun. No partial partition is ever visible, the warehouse opens, the serving copy is the previous
good version, and the rerun's results equal a run that never crashed.

Each crash is a real SIGKILL of a real process (`hubpulse import-archive`, the `dbt` CLI, a publishing process),
sent at a moment the test observes (a partition staged and not yet published, which the import process
announces and waits at; a line dbt prints), never simulated.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.hub.archive import write_snapshot
from orchestration.hub.snapshots import PARTITION_FILE, list_partitions, partition_dir
from tests.conftest import tiny_hub_items
from tests.reliability import (
    PROJECT_ROOT,
    dbt_worker,
    kill_dbt_midway,
    marts_differences,
    raw_partitions,
    read_marts,
    shared_reference,
    temporary_leftovers,
)

DAY1, DAY2 = dt.date(2025, 3, 1), dt.date(2025, 3, 2)
BIG = 6_000  # models a day: DAY1 re-crawled much bigger than before


# ------------------------------------------------------------------------------------------------ raw partitions


def _import(archive: Path, home: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "orchestration.cli.main", "import-archive", str(archive), "--home", str(home),
               "--no-dagster"]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "DAGSTER_HOME": ""})


def _import_here(archive: Path, home: Path) -> None:
    """The same import, in this process (for the runs nobody kills)."""
    from orchestration.hub.transfer import import_archive

    import_archive(archive, home / "raw" / "hub_models", home / "raw" / "hub_models_rejects", log=lambda _m: None)


# `python -c PAUSED_IMPORT DAY MARKER import-archive ...`: `hubpulse import-archive`, with our own `rawstore.stage`
# wrapped in this child process so that once DAY's data file is staged whole (its temporary written and fsynced)
# and before it is published (renamed), the process writes the temporary's path to MARKER and waits there. The
# test then sends SIGKILL: the kill lands mid-write whatever the machine's load (a 1 ms poll for the temporary
# raced the write, which takes a few ms, and lost under load). No library code is touched.
PAUSED_IMPORT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from orchestration.cli.main import main
    from orchestration.hub import rawstore

    day, marker = sys.argv[1], Path(sys.argv[2])
    stage = rawstore.stage

    def stage_then_wait(table, root, when):
        staged = stage(table, root, when)
        if when.isoformat() == day and Path(root).name == "hub_models":
            marker.with_suffix(".tmp").write_text(str(staged.temporary))
            marker.with_suffix(".tmp").replace(marker)
            time.sleep(3600)  # until killed
        return staged

    rawstore.stage = stage_then_wait
    sys.exit(main(sys.argv[3:]))
""")


def _kill_while_writing(archive: Path, home: Path, day: dt.date, timeout: float = 120) -> Path:
    """Run an import, SIGKILL it while `day`'s partition is staged but not yet published; return the temporary."""
    folder = partition_dir(home / "raw" / "hub_models", day)
    marker = home.parent / f"staged-{day}-{time.monotonic_ns()}"
    command = [sys.executable, "-c", PAUSED_IMPORT, day.isoformat(), str(marker), "import-archive", str(archive),
               "--home", str(home), "--no-dagster"]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "DAGSTER_HOME": ""})
    deadline = time.monotonic() + timeout
    try:
        while not marker.exists():  # the child waits once there: no race with the write
            if process.poll() is not None:
                raise AssertionError(f"the import ended before writing {day}: {process.stderr.read()[-2000:]!r}")
            if time.monotonic() > deadline:
                raise AssertionError("no partition write started in time")
            time.sleep(0.01)
        temporary = Path(marker.read_text())
        # the staged file is the writer's hidden temporary beside the final name, as a reader's glob skips it
        assert [p for p in folder.glob(f".{PARTITION_FILE}.{process.pid}.*.tmp")] == [temporary]
        process.send_signal(signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    return temporary


def _visible_rows(home: Path) -> dict[dt.date, int]:
    """What a reader (DuckDB over the partition glob, as dbt reads raw) sees: rows per snapshot date."""
    pattern = str(home / "raw" / "hub_models" / "snapshot_date=*" / "*.parquet")
    con = duckdb.connect()
    try:
        rows = con.execute("select snapshot_date, count(*) from read_parquet(?, hive_partitioning = true) "
                           "group by 1 order by 1", [pattern]).fetchall()
    finally:
        con.close()
    return dict(rows)


def test_kill_9_during_raw_partition_writes_leaves_old_or_nothing_and_a_rerun_is_exact(tmp_path: Path):
    archive_v1, archive_v2 = tmp_path / "archive-v1", tmp_path / "archive-v2"
    write_snapshot(archive_v1, DAY1, tiny_hub_items(0, n_models=100))
    write_snapshot(archive_v2, DAY1, tiny_hub_items(1, n_models=BIG))  # DAY1 re-crawled, much bigger
    write_snapshot(archive_v2, DAY2, tiny_hub_items(2, n_models=BIG))  # a date never written before
    home, never_crashed = tmp_path / "home", tmp_path / "never-crashed"
    _import_here(archive_v1, home)
    good = (partition_dir(home / "raw" / "hub_models", DAY1) / PARTITION_FILE).read_bytes()

    # 1. Killed while replacing DAY1: the old partition stays, byte for byte; a reader sees it alone.
    leftover = _kill_while_writing(archive_v2, home, DAY1)
    assert leftover.exists()  # killed between the temporary file's creation and its rename: mid-write
    assert (partition_dir(home / "raw" / "hub_models", DAY1) / PARTITION_FILE).read_bytes() == good
    assert _visible_rows(home) == {DAY1: 100}

    # 2. A rerun killed while writing DAY2, a new date (DAY1 was replaced whole before it): DAY2 is not there at
    #    all; the first run's leftover is gone (a later writer removes a dead writer's temporary files).
    second_leftover = _kill_while_writing(archive_v2, home, DAY2)
    assert not leftover.exists() and second_leftover.exists()
    assert list_partitions(home / "raw" / "hub_models") == [DAY1]
    assert _visible_rows(home) == {DAY1: BIG}

    # 3. A rerun to the end equals an import that never crashed, byte for byte, with nothing temporary left.
    assert _import(archive_v2, home).wait() == 0
    _import_here(archive_v2, never_crashed)
    assert raw_partitions(home) == raw_partitions(never_crashed)
    assert _visible_rows(home) == {DAY1: BIG, DAY2: BIG}
    assert temporary_leftovers(home) == []


def test_a_live_writers_temporary_file_is_left_alone(tmp_path: Path):
    """Cleaning up after dead writers must not break a live one (two runs writing the same root)."""
    from orchestration.hub.snapshots import remove_stale_temporaries

    folder = partition_dir(tmp_path, DAY1)
    folder.mkdir(parents=True)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = folder / f".{PARTITION_FILE}.{sleeper.pid}.abc123.tmp"
        dead = folder / f".{PARTITION_FILE}.999999999.def456.tmp"
        legacy = folder / f".{PARTITION_FILE}.k2j4h5g6.tmp"  # the name before writers put their pid in it
        for path in (live, dead, legacy):
            path.write_bytes(b"PAR1")
        assert sorted(p.name for p in remove_stale_temporaries(tmp_path)) == sorted([dead.name, legacy.name])
        assert live.exists() and not dead.exists() and not legacy.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


# ------------------------------------------------------------------------------------------------ dbt build


def test_kill_9_during_dbt_build_leaves_a_warehouse_that_opens_and_a_rerun_equal_to_no_crash(
    tmp_path_factory, tmp_path: Path
):
    history, reference = shared_reference(tmp_path_factory)
    home = tmp_path / "home"
    shutil.copytree(reference / "raw", home / "raw")
    shutil.copy(reference / "warehouse.duckdb", home / "warehouse.duckdb")
    expected = read_marts(reference / "warehouse.duckdb")
    window = (history.dates[-10], history.dates[-1])

    # Killed as it starts rebuilding the first incremental for the last ten days (its rows about to be deleted
    # by the pre-hook and inserted again: the worst moment for a windowed incremental), after the seeds, staging
    # and other models were written. dbt's partial parse is reused, as in a real second run.
    shutil.copytree(reference / "dbt_target", tmp_path / "killed-target",
                    ignore=shutil.ignore_patterns("logs", "run", "compiled"))
    status, lines = kill_dbt_midway(home, "START sql incremental model intermediate.int_models_daily_downloads",
                                    window=window, command="models", target=tmp_path / "killed-target")
    assert status == -signal.SIGKILL
    assert any("OK created" in line for line in lines)  # it had written to the warehouse before dying

    # The warehouse opens (DuckDB replays or discards what the dead process left in its write-ahead log) and
    # every relation reads whole; the raw partitions are untouched.
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        for schema, name in con.execute("select table_schema, table_name from information_schema.tables "
                                        "where table_schema in ('staging', 'intermediate', 'marts')").fetchall():
            con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()
    finally:
        con.close()
    assert raw_partitions(home) == raw_partitions(reference)

    # The rerun of the same window ends exactly where a build that never crashed ends.
    result = dbt_worker().build(home, "models", window=window)
    assert result.returncode == 0, result.stdout[-4000:]
    assert marts_differences(expected, read_marts(home / "warehouse.duckdb")) == []
    assert temporary_leftovers(home) == []


# ------------------------------------------------------------------------------------------------ serving copy


PUBLISH_SCRIPT = """
import sys
from pathlib import Path
from orchestration.serving.publish import publish
print("publishing", flush=True)
publish(Path(sys.argv[1]), Path(sys.argv[2]), run_id=sys.argv[3])
print("published", flush=True)
"""


def _publisher(warehouse: Path, serving: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", PUBLISH_SCRIPT, str(warehouse), str(serving), "killed"],
                               cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "publishing"
    return process


def _reap(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    process.stdout.close()
    process.stderr.close()


def _kill_mid_publish(warehouse: Path, serving: Path, timeout: float = 120) -> Path:
    """Publish in a child process and SIGKILL it the moment its new version folder holds a first Parquet file
    (mid-write: the other marts, the seal, the rename and the switch still to come); return that folder."""
    from orchestration.serving.publish import PARQUET_DIRNAME, TMP_PREFIX, VERSIONS_DIRNAME

    versions = serving / VERSIONS_DIRNAME
    before = set(versions.glob(f"{TMP_PREFIX}*"))
    process = _publisher(warehouse, serving)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            started = [p for p in versions.glob(f"{TMP_PREFIX}*")
                       if p not in before and any((p / PARQUET_DIRNAME).glob("*.parquet"))]
            if started:
                process.send_signal(signal.SIGKILL)
                break
            if process.poll() is not None:
                raise AssertionError(f"the publish ended before writing a mart: {process.stderr.read()[-2000:]!r}")
            time.sleep(0.001)
        else:
            raise AssertionError("no publish started writing in time")
    finally:
        _reap(process)
    assert process.returncode == -signal.SIGKILL
    return started[0]


def _serving_state(serving: Path) -> tuple[str, dict[str, list[tuple]]]:
    """The current version and its marts, read the way a BI tool does (through the stable links)."""
    from orchestration.serving.publish import read_manifest

    manifest = read_manifest(serving)
    assert manifest is not None
    directory = Path(manifest["directory"])
    assert (serving / "hubpulse.duckdb").resolve() == (directory / "hubpulse.duckdb").resolve()
    con = duckdb.connect(str(serving / "hubpulse.duckdb"), read_only=True)
    try:
        marts = {}
        for name, entry in manifest["tables"].items():
            rows = con.execute(f'select * from marts."{name}"').fetchall()
            assert len(rows) == entry["rows"], name
            assert (directory / entry["parquet"]).is_file(), name
            marts[name] = sorted(rows, key=repr)
    finally:
        con.close()
    return manifest["version"], marts


def test_kill_9_during_publishing_keeps_the_previous_version_and_a_rerun_publishes_cleanly(
    tmp_path_factory, tmp_path: Path
):
    from orchestration.serving.publish import list_versions, publish

    _history, reference = shared_reference(tmp_path_factory)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(reference / "warehouse.duckdb", warehouse)
    serving = tmp_path / "serving"
    started = time.monotonic()
    first = publish(warehouse, serving, run_id="good")
    seconds = time.monotonic() - started
    good_version, good_marts = _serving_state(serving)
    assert good_version == first.version

    # Kills spread over a whole publish: before it starts writing, while it copies, seals, switches, prunes.
    # Where each lands depends on the machine's speed, so only what must hold at any moment is asserted.
    delays = [0.0, 0.05, 0.15, 0.3, 0.5, 0.7, 0.9, 1.2]
    for fraction in delays:
        process = _publisher(warehouse, serving)
        time.sleep(fraction * seconds)
        process.send_signal(signal.SIGKILL)
        _reap(process)
        # Whatever the moment: the serving copy is a complete version, the previous one unless the switch
        # was already done, and it reads exactly as published.
        version, marts = _serving_state(serving)
        assert version == good_version or version in list_versions(serving)
        assert marts == good_marts

    # A kill that certainly lands mid-write, at a moment the test sees (the new version's first Parquet file
    # exists): a half-written version folder is left behind, and the serving copy is the version it was before.
    before, published = _serving_state(serving), list_versions(serving)
    half_written = _kill_mid_publish(warehouse, serving)
    assert half_written.is_dir() and not (half_written / "manifest.json").exists()
    assert _serving_state(serving) == before and list_versions(serving) == published

    rerun = publish(warehouse, serving, run_id="rerun")
    version, marts = _serving_state(serving)
    assert version == rerun.version and marts == good_marts
    assert not half_written.exists()
    leftovers = [str(p.relative_to(serving)) for p in serving.rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []
    manifest = json.loads((serving / "manifest.json").read_text())
    assert manifest["run_id"] == "rerun"


@pytest.mark.parametrize("sealed", [False, True])
def test_a_publish_killed_after_sealing_its_folder_is_cleaned_up_by_the_next(tmp_path_factory, tmp_path: Path,
                                                                             sealed: bool):
    """The state a kill leaves between sealing a version folder (read-only) and renaming it into place."""
    from orchestration.serving.publish import list_versions, publish

    _history, reference = shared_reference(tmp_path_factory)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(reference / "warehouse.duckdb", warehouse)
    serving = tmp_path / "serving"
    publish(warehouse, serving)
    leftover = serving / "versions" / ".tmp-20990101T000000000000Z"
    shutil.copytree(serving / "current", leftover, symlinks=True)
    if sealed:
        for path in sorted(leftover.rglob("*"), reverse=True):
            path.chmod(0o444 if path.is_file() else 0o555)
        leftover.chmod(0o555)
    try:
        publish(warehouse, serving)
        assert not leftover.exists()
        assert len(list_versions(serving)) == 2
    finally:
        if leftover.exists():
            for path in [leftover, *leftover.rglob("*")]:
                path.chmod(0o755)
