"""The whole pipeline through Dagster: local Hub -> raw partitions -> the three dbt asset sets, checks included.

This is the wiring test: partition windows reach dbt through the environment, dbt tests come back as asset
checks, the sets run in dependency order, and a later day's run updates the incremental marts in place. Each
run ends by publishing the serving copy; while the second run builds and publishes, reader processes loop over
the published DuckDB file and Parquet files and must never fail nor see a mix of versions.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts, window_env
from orchestration.dbt.charts import CHARTS
from orchestration.dbt.project import dbt_cli_from_env
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient
from orchestration.hub.scope import Scope
from orchestration.localhub.simulator import SimulationConfig, simulate
from orchestration.resources import HubpulsePaths
from orchestration.serving.assets import SERVING_KEY, published_marts
from orchestration.serving.publish import list_versions, publish, read_manifest

START, END = dt.date(2025, 1, 10), dt.date(2025, 1, 24)
ASSETS = [hub_model_snapshots, dbt_inputs, dbt_daily_models, dbt_marts, published_marts]
CHARTED = ("fct_release_cadence", "fct_download_velocity", "fct_ecosystem_vs_benchmark", "fct_derivatives",
           "fct_supply_chain")

# A BI reader in a process of its own. `duckdb`: opens serving/hubpulse.duckdb read-only and checks every table
# against the row counts the same file records. `parquet`: resolves `current` once, then checks every Parquet
# file's version and row count against that folder's manifest. `stable`: reads serving/parquet/<mart>.parquet
# through the stable link, each file opened once, whole and of one version. Runs until the stop file appears.
READER = r"""
import json, os, sys, time
import duckdb, pyarrow.parquet as pq
serving, mode, stop, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
reads, errors, versions = 0, [], set()
while not os.path.exists(stop):
    try:
        if mode == "duckdb":
            con = duckdb.connect(os.path.join(serving, "hubpulse.duckdb"), read_only=True)
            version = con.execute("select version from meta.publication").fetchone()[0]
            for table, rows in con.execute("select table_name, row_count from meta.tables").fetchall():
                actual = con.execute(f'select count(*) from marts."{table}"').fetchone()[0]
                if actual != rows:
                    errors.append(f"{version} {table}: {actual} rows, recorded {rows}")
            con.close()
        elif mode == "parquet":
            folder = os.path.realpath(os.path.join(serving, "current"))
            manifest = json.load(open(os.path.join(folder, "manifest.json")))
            version = manifest["version"]
            for table, entry in manifest["tables"].items():
                meta = pq.read_metadata(os.path.join(folder, entry["parquet"]))
                if meta.metadata[b"hubpulse_version"].decode() != version or meta.num_rows != entry["rows"]:
                    errors.append(f"{version} {table}: a file of another version or size")
        else:
            folder = os.path.join(serving, "parquet")
            for name in sorted(os.listdir(folder)):
                # One open file: a path through the switching link may resolve to two versions if the reader
                # opens it twice (pyarrow's read_table by path reads the footer and the pages separately).
                with open(os.path.join(folder, name), "rb") as fh:
                    table = pq.read_table(fh)
                version = table.schema.metadata[b"hubpulse_version"].decode()
                versions.add(version)
        versions.add(version)
        reads += 1
    except Exception as error:
        errors.append(f"{type(error).__name__}: {error}")
    time.sleep(0.01)
json.dump({"reads": reads, "errors": errors[:20], "versions": sorted(versions)}, open(out, "w"))
"""


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
        "scope": Scope(organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True),
        "paths": HubpulsePaths(home=str(home)),
        "dbt": dbt_cli_from_env(),
    }
    instance = dg.DagsterInstance.ephemeral()
    serving = home / "serving"
    stop = pipeline_home / "stop-readers"
    readers = []
    try:
        first = dg.materialize(ASSETS, resources=resources, instance=instance,
                               tags=_range_tags(START, END - dt.timedelta(days=1)), raise_on_error=False)
        assert read_manifest(serving) is not None, "the first run published nothing"
        for mode in ("duckdb", "parquet", "stable"):
            out = pipeline_home / f"reader-{mode}.json"
            readers.append((out, subprocess.Popen([sys.executable, "-c", READER, str(serving), mode, str(stop), str(out)])))
        time.sleep(1.0)
        second = dg.materialize(ASSETS, resources=resources, instance=instance, partition_key=END.isoformat(),
                                raise_on_error=False)
        for _ in range(3):  # more switches while the readers loop
            publish(home / "warehouse.duckdb", serving)
            time.sleep(0.3)
    finally:
        stop.touch()
        for _out, process in readers:
            process.wait(timeout=60)
        mp.undo()
    reads = {out.stem: json.loads(out.read_text()) for out, _process in readers}
    return home, first, second, reads


def test_both_runs_succeed_and_every_dbt_test_passes(pipeline_run):
    _home, first, second, _reads = pipeline_run
    for result in (first, second):
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        assert len(evaluations) > 30  # dbt tests surface as asset checks
        assert all(ev.passed for ev in evaluations), [ev.check_name for ev in evaluations if not ev.passed]


def test_incremental_marts_cover_every_day_and_match_raw(pipeline_run):
    home, _first, _second, _reads = pipeline_run
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        days = con.execute("select min(snapshot_date), max(snapshot_date), count(distinct snapshot_date) "
                           "from marts.fct_model_daily").fetchone()
        assert days == (START, END, (END - START).days + 1)
        # Row for row: every raw item is one model-day with the counters it reported, and nothing else is.
        # (`except all` both ways: a dropped, duplicated, invented or altered row fails; no rename in this history,
        # so no model shows up twice in one crawl.)
        raw = f"""
            select coalesce(object_id, id) as model_id, snapshot_date, id as repo_id, downloads_all_time,
                downloads as downloads_30d, likes, trending_score
            from read_parquet('{home / "raw" / "hub_models" / "*" / "*.parquet"}', hive_partitioning = true,
                hive_types = {{'snapshot_date': 'date'}})"""
        daily = """
            select model_id, snapshot_date, repo_id, downloads_all_time, downloads_30d, likes, trending_score
            from marts.fct_model_daily"""
        assert con.execute(f"select count(*) from ({raw})").fetchone()[0] > 0
        only_raw = con.execute(f"{raw} except all {daily}").fetchall()
        only_daily = con.execute(f"{daily} except all {raw}").fetchall()
        assert not only_raw and not only_daily, (only_raw[:5], only_daily[:5])
        # The second run (END alone) extended the velocity mart to END without duplicating earlier days.
        dup = con.execute("""
            select count(*) from (select entity_type, entity_id, metric_date, count(*) n
            from marts.fct_download_velocity group by all having n > 1)""").fetchone()[0]
        assert dup == 0
        assert con.execute("select max(metric_date) from marts.fct_download_velocity").fetchone()[0] == END
    finally:
        con.close()


def test_materializations_are_recorded_per_partition(pipeline_run):
    _home, first, second, _reads = pipeline_run
    daily_key = dg.AssetKey(["marts", "fct_model_daily"])
    partitions = {m.partition for m in first.asset_materializations_for_node("dbt_daily_models")
                  if m.asset_key == daily_key}
    assert partitions == {(START + dt.timedelta(days=i)).isoformat() for i in range((END - START).days)}
    assert {m.partition for m in second.asset_materializations_for_node("hub_model_snapshots")} == {END.isoformat()}


def test_only_the_first_dbt_command_of_a_home_parses_the_project(pipeline_run, pipeline_home):
    """Every dbt command runs in a target folder of its own; each starts from the home's parse, which the
    first one (a home without a parse yet) leaves there, so none of the others parses the project again."""
    home = pipeline_run[0]
    logs = sorted((pipeline_home / "dbt-target").glob("*/dbt.log"), key=lambda log: log.stat().st_mtime_ns)
    parsed = [log.parent.name for log in logs if "Unable to do partial parsing" in log.read_text()]
    assert len(logs) >= 6, [log.parent.name for log in logs]  # three sets in each of the two runs, and more
    assert parsed == [logs[0].parent.name], parsed
    assert (home / "dbt" / "parse" / "partial_parse.msgpack").is_file()


def test_window_env_is_inclusive_and_ordered():
    assert window_env(START, END) == {"HUBPULSE_WINDOW_START": "2025-01-10", "HUBPULSE_WINDOW_END": "2025-01-24"}
    with pytest.raises(ValueError, match="before its start"):
        window_env(END, START)


def test_marts_carry_row_counts_previews_and_a_chart_per_question(pipeline_run):
    home, first, second, _reads = pipeline_run
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        # The second run is the last to write the warehouse: its metadata describes what is there now.
        by_key = {m.asset_key: m.metadata for m in second.get_asset_materialization_events()
                  for m in [m.event_specific_data.materialization]}
        for name in CHARTED:
            metadata = by_key[dg.AssetKey(["marts", name])]
            assert metadata["dagster/row_count"].value == con.execute(f"select count(*) from marts.{name}").fetchone()[0]
            assert metadata["chart"].value.startswith(f"![{CHARTS[name][0]}](data:image/png;base64,")
            assert (home / "charts" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert metadata["preview"].value.records
        daily = by_key[dg.AssetKey(["marts", "fct_model_daily"])]
        assert daily["date_range"].value == f"{START} .. {END}"
        assert daily["rows_in_window"].value == con.execute(
            "select count(*) from marts.fct_model_daily where snapshot_date = ?", [END]).fetchone()[0]
        raw = list(first.asset_materializations_for_node("hub_model_snapshots"))
        assert all(m.metadata["dagster/row_count"].value > 0 and m.metadata["preview"].value.records for m in raw)
    finally:
        con.close()


def test_each_run_publishes_the_serving_copy_equal_to_the_marts(pipeline_run):
    home, first, second, _reads = pipeline_run
    published = [m for r in (first, second) for m in r.get_asset_materialization_events()
                 if m.event_specific_data.materialization.asset_key == SERVING_KEY]
    assert len(published) == 2
    manifest = read_manifest(home / "serving")
    assert manifest["newest_snapshot_date"] == END.isoformat()
    assert len(list_versions(home / "serving")) == 3  # five publishes, the last three kept
    # Row for row, each published table in both forms against the warehouse's (`except all` both ways: a
    # dropped, duplicated or altered row fails, not only a different count).
    con = duckdb.connect()
    try:
        con.execute(f"attach '{home / 'warehouse.duckdb'}' as warehouse (read_only)")
        con.execute(f"attach '{Path(manifest['directory']) / 'hubpulse.duckdb'}' as copy (read_only)")
        assert set(manifest["tables"]) >= set(CHARTED) | {"fct_model_daily", "dim_models"}
        for name, entry in manifest["tables"].items():
            parquet = Path(manifest["directory"]) / entry["parquet"]
            marts = f'select * from warehouse.marts."{name}"'
            assert con.execute(f"select count(*) from ({marts})").fetchone()[0] == entry["rows"], name
            for published in (f"select * from '{parquet}'", f'select * from copy.marts."{name}"'):
                only_published = con.execute(f"select count(*) from ({published} except all {marts})").fetchone()[0]
                only_marts = con.execute(f"select count(*) from ({marts} except all {published})").fetchone()[0]
                assert (only_published, only_marts) == (0, 0), (name, published)
    finally:
        con.close()


def test_readers_never_fail_nor_see_a_mix_while_a_build_publishes(pipeline_run):
    _home, _first, _second, reads = pipeline_run
    for mode, outcome in reads.items():
        assert outcome["errors"] == [], (mode, outcome["errors"])
        assert outcome["reads"] > 5, mode
    # The readers saw the switches happen: more than one version each.
    assert all(len(outcome["versions"]) >= 2 for outcome in reads.values()), reads


def _readme_queries() -> list[str]:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Query it from a BI tool", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0].strip() for block in section.split("```sql\n")[1:]]


def test_readme_bi_queries_answer_the_same_from_duckdb_and_from_parquet(pipeline_run):
    home, _first, _second, _reads = pipeline_run
    queries = _readme_queries()
    # the five questions, the overtakes, coverage, attribution, trajectories, rankings, licences, languages
    assert len(queries) == 12
    manifest = read_manifest(home / "serving")
    copy = duckdb.connect(str(home / "serving" / "hubpulse.duckdb"), read_only=True)
    parquet = duckdb.connect()
    parquet.execute("create schema marts")
    for name in manifest["tables"]:
        parquet.execute(f"create view marts.{name} as select * from '{home / 'serving' / 'parquet' / name}.parquet'")
    answered = 0
    for query in queries:
        from_copy = copy.execute(query).fetchall()
        assert from_copy == parquet.execute(query).fetchall(), query
        answered += bool(from_copy)
    assert answered >= 4  # a 15-day history has no cross-region derivative in some month at most
    copy.close()


def test_a_subset_runs_only_the_selected_models_and_tests(pipeline_run, pipeline_home, monkeypatch):
    """One mart alone, then one dbt test alone: dbt is given just those (dagster-dbt's subset selection)."""
    home, _first, _second, _reads = pipeline_run
    monkeypatch.setenv("HUBPULSE_HOME", str(home))
    monkeypatch.setenv("DBT_TARGET_PATH", str(pipeline_home / "dbt-target"))
    resources = {"paths": HubpulsePaths(home=str(home)), "dbt": dbt_cli_from_env()}
    dbt_sets = [dbt_inputs, dbt_daily_models, dbt_marts]

    def evaluations(result):
        return [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]

    cadence = dg.AssetKey(["marts", "fct_release_cadence"])
    result = dg.materialize(dbt_sets, selection=[cadence], resources=resources, raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    assert {e.event_specific_data.materialization.asset_key for e in result.get_asset_materialization_events()} == {
        cadence}
    assert sorted(ev.check_name for ev in evaluations(result)) == sorted(
        key.name for key in dbt_marts.check_keys if key.asset_key == cadence)
    assert all(ev.passed for ev in evaluations(result))

    check = min((k for k in dbt_marts.check_keys if k.asset_key == dg.AssetKey(["marts", "dim_models"])), key=str)
    result = dg.materialize(dbt_sets, selection=dg.AssetSelection.checks(check), resources=resources,
                            raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    assert result.get_asset_materialization_events() == []
    assert [(ev.asset_key, ev.check_name) for ev in evaluations(result)] == [(check.asset_key, check.name)]
