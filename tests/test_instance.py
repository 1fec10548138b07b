"""The Dagster instance `hubpulse prepare` writes: Dagster's default storage, and older instances migrated to it.

Older versions named a subclass of Dagster's SQLite event log in dagster.yaml (`orchestration.event_storage`,
removed); its files were Dagster's own, in Dagster's default place, so an older home must load again with the
block taken out and show the history it had.
"""

import json
import os
import time
from pathlib import Path

import dagster as dg

from orchestration import settings
from orchestration.cli.prepare import (
    DAGSTER_YAML,
    ensure_instance,
    keep_partial_parse,
    manifest_outdated,
    partial_parse_file,
    seed_partial_parse,
)

PARTITIONS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-01-08")
NUMBERS = dg.AssetKey("numbers")


@dg.asset(partitions_def=PARTITIONS)
def numbers(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"day": context.partition_key})


@dg.asset_check(asset=numbers, partitions_def=PARTITIONS)
def numbers_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=not context.partition_key.endswith("03"))


def _materialize(instance: dg.DagsterInstance, partition: str) -> str:
    result = dg.materialize([numbers, numbers_check], instance=instance, partition_key=partition,
                            raise_on_error=False)
    return result.run_id


def _history(instance: dg.DagsterInstance, run_ids: list[str]) -> dict:
    """What the UI reads: the asset's materializations, and every run's check evaluations and log."""
    materializations = instance.fetch_materializations(NUMBERS, limit=100).records
    evaluations = [
        (run_id, evaluation.partition, evaluation.passed)
        for run_id in run_ids
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        for evaluation in [entry.dagster_event.asset_check_evaluation_data]
    ]
    return {
        "materializations": sorted((r.partition_key, r.run_id) for r in materializations),
        "evaluations": sorted(evaluations),
        "logs": {run_id: [(e.dagster_event_type, e.user_message) for e in instance.all_logs(run_id)]
                 for run_id in run_ids},
    }


def _older_yaml(event_log_dir: Path) -> str:
    """A dagster.yaml as the previous `hubpulse prepare` wrote it, word for word."""
    return (
        "# Written by `hubpulse prepare`; edit freely, it is not overwritten (a missing `concurrency` block is"
        " appended,\n# and the `event_log_storage` block when no storage is configured).\n"
        "telemetry:\n  enabled: false\n"
        "# Pools (issue 5): `hub_api` around Hub requests, so two runs never exceed the Hub's rate limit together,"
        " and\n# `warehouse` around every step that writes or reads warehouse.duckdb (DuckDB allows one process per"
        " file).\n# Both hold one slot; `dagster instance concurrency set <pool> <n>` overrides a pool.\n"
        "concurrency:\n  pools:\n    default_limit: 1\n"
        "# Dagster's SQLite event log (its default files, history/runs) with its connections reused: a stored event\n"
        "# costs a third to a half of what it does otherwise, most of a long backfill's bookkeeping (see\n"
        "# orchestration/event_storage.py).\n"
        "# `hubpulse prepare` points base_dir at this folder again when the instance was moved.\n"
        "event_log_storage:\n  module: orchestration.event_storage\n  class: HubpulseSqliteEventLogStorage\n"
        f"  config:\n    base_dir: {json.dumps(str(event_log_dir))}\n"
    )


def test_a_prepared_instance_is_dagsters_default_with_telemetry_off_and_one_slot_pools(tmp_path: Path):
    home = tmp_path / "dagster"
    config = ensure_instance(home)
    assert config.read_text() == DAGSTER_YAML
    assert "event_log_storage" not in DAGSTER_YAML and "storage:" not in DAGSTER_YAML
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage).__module__.startswith("dagster.")
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        runs = [_materialize(instance, "2025-01-02"), _materialize(instance, "2025-01-03")]
        history = _history(instance, runs)
    assert history["materializations"] == [("2025-01-02", runs[0]), ("2025-01-03", runs[1])]
    assert history["evaluations"] == sorted([(runs[0], "2025-01-02", True), (runs[1], "2025-01-03", False)])
    assert (home / "history" / "runs" / "index.db").is_file()  # the event log where older versions kept it too


def test_an_older_instance_loses_the_removed_storage_block_and_keeps_its_history(tmp_path: Path):
    home = tmp_path / "dagster"
    ensure_instance(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:  # the history an older version left
        runs = [_materialize(instance, "2025-01-02"), _materialize(instance, "2025-01-03")]
        before = _history(instance, runs)
    # The home as the previous version left it, then moved (its base_dir names the old place).
    (home / "dagster.yaml").write_text(_older_yaml(tmp_path / "old-place" / "history" / "runs"))
    moved = tmp_path / "moved"
    home.rename(moved)

    ensure_instance(moved)
    text = (moved / "dagster.yaml").read_text()
    assert text == DAGSTER_YAML  # the block and its comment gone, the header brought up to date
    ensure_instance(moved)
    assert (moved / "dagster.yaml").read_text() == text  # idempotent
    with dg.DagsterInstance.from_config(str(moved)) as instance:
        assert _history(instance, runs) == before
        runs.append(_materialize(instance, "2025-01-04"))
        assert ("2025-01-04", runs[2]) in _history(instance, runs)["materializations"]
    assert not (tmp_path / "old-place").exists()


def test_prepare_keeps_what_a_user_wrote_and_adds_only_missing_pools(tmp_path: Path):
    older = tmp_path / "older"
    older.mkdir()
    (older / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ensure_instance(older)
    text = (older / "dagster.yaml").read_text()
    assert text.startswith("telemetry:\n  enabled: false\n") and text.count("concurrency:") == 1
    ensure_instance(older)
    assert (older / "dagster.yaml").read_text() == text

    # Storage of a user's own (another event log among it) is left as it is.
    own = tmp_path / "own"
    own.mkdir()
    custom = (
        "storage:\n  sqlite:\n    base_dir: /somewhere/else\n"
        "# my event log\nevent_log_storage:\n  module: dagster._core.storage.event_log\n"
        "  class: SqliteEventLogStorage\n  config:\n    base_dir: /somewhere/else/runs\n"
    )
    (own / "dagster.yaml").write_text(custom)
    ensure_instance(own)
    text = (own / "dagster.yaml").read_text()
    assert text.startswith(custom) and text.count("concurrency:") == 1


def test_the_manifest_is_outdated_when_missing_or_older_than_a_dbt_file(tmp_path: Path):
    manifest = tmp_path / "manifest.json"
    assert manifest_outdated(manifest)
    manifest.write_text("{}")
    assert not manifest_outdated(manifest)  # written after every file of the project
    newest = max(p.stat().st_mtime_ns for p in settings.DBT_PROJECT_DIR.rglob("*.sql") if "target" not in p.parts)
    os.utime(manifest, ns=(newest - 1, newest - 1))
    assert manifest_outdated(manifest)


def test_a_dbt_command_leaves_its_parse_to_the_home_only_when_it_parsed(tmp_path: Path):
    home, target = tmp_path / "home", tmp_path / "target"
    partial_parse_file(home).parent.mkdir(parents=True)
    partial_parse_file(home).write_bytes(b"the home's parse")
    seeded = seed_partial_parse(target, home)
    assert (target / "partial_parse.msgpack").read_bytes() == b"the home's parse"
    assert not keep_partial_parse(target, home, seeded)  # dbt did not parse: the file it was given is untouched
    time.sleep(0.01)
    (target / "partial_parse.msgpack").write_bytes(b"a new parse")  # dbt parsed and wrote its own
    assert keep_partial_parse(target, home, seeded)
    assert partial_parse_file(home).read_bytes() == b"a new parse"
    assert [p.name for p in partial_parse_file(home).parent.iterdir()] == ["partial_parse.msgpack"]
    # A home without a parse starts from the prepared one (if any) and keeps whatever dbt wrote.
    other = tmp_path / "other"
    seeded = seed_partial_parse(tmp_path / "target2", other)
    assert not partial_parse_file(other).exists()
    (tmp_path / "target2").mkdir(exist_ok=True)
    time.sleep(0.01)
    (tmp_path / "target2" / "partial_parse.msgpack").write_bytes(b"parsed for the other home")
    assert keep_partial_parse(tmp_path / "target2", other, seeded)
    assert partial_parse_file(other).read_bytes() == b"parsed for the other home"


def test_dbt_command_folders_go_to_the_home_and_only_the_newest_are_kept(tmp_path: Path, monkeypatch):
    from orchestration.dbt.assets import (
        DBT_ASSET_OPS,
        TARGET_FOLDERS_KEPT,
        prune_target_folders,
        target_folders_root,
    )

    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    home = tmp_path / "home"
    assert target_folders_root(home) == home / "dbt" / "target"  # not the checkout's dbt_project/target
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "elsewhere"))
    assert target_folders_root(home) == tmp_path / "elsewhere"
    monkeypatch.setenv("DBT_TARGET_PATH", "relative")
    assert target_folders_root(home) == settings.DBT_PROJECT_DIR / "relative"  # as dbt reads it

    assert prune_target_folders(tmp_path / "missing") == []  # no folder yet: nothing to prune
    root = tmp_path / "targets"
    root.mkdir()
    now = time.time()
    commands = []
    for age in range(TARGET_FOLDERS_KEPT + 5):  # one folder a minute, the newest first
        folder = root / f"{DBT_ASSET_OPS[age % 3]}-{age:07x}-abcdef{age % 10}"
        (folder / "compiled").mkdir(parents=True)
        os.utime(folder, (now - 60 * age, now - 60 * age))
        commands.append(folder)
    others = [root / "logs", root / "my-notes-folder", root / "dbt_marts-kept"]
    for other in others:
        other.mkdir()
        os.utime(other, (now - 86400, now - 86400))
    deleted = prune_target_folders(root)
    assert sorted(deleted) == sorted(commands[TARGET_FOLDERS_KEPT:])
    assert sorted(p for p in root.iterdir()) == sorted(commands[:TARGET_FOLDERS_KEPT] + others)
