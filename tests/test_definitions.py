"""The code location loads and names what must exist, without touching the network or parsing dbt."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import dagster as dg

from orchestration.definitions import defs


def test_definitions_name_the_assets_jobs_and_resources():
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey("hub_model_snapshots") in graph.get_all_asset_keys()
    snapshots = defs.resolve_assets_def("hub_model_snapshots")
    partitions = snapshots.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    assert partitions.timezone == "UTC"
    assert snapshots.backfill_policy == dg.BackfillPolicy.single_run()
    for job in ("ingest_hub_snapshots", "daily_pipeline", "build_warehouse"):
        assert defs.resolve_job_def(job) is not None
    assert {"hub", "scope", "paths", "dbt", "quality"} <= set(defs.resources)


def test_great_expectations_checks_guard_the_raw_partitions_and_the_marts():
    graph = defs.resolve_asset_graph()
    raw_checks = {key.name for key in graph.asset_check_keys if key.asset_key == dg.AssetKey("hub_model_snapshots")}
    assert {"schema_and_types", "ids_unique_and_not_null", "counts_non_negative", "created_at_not_after_snapshot",
            "row_count_within_band", "downloads_all_time_mostly_present", "authors_mapped_to_organisations"} <= raw_checks
    velocity = {key.name for key in graph.asset_check_keys
                if key.asset_key == dg.AssetKey(["marts", "fct_download_velocity"])}
    assert {"grain_unique", "region_shares_sum_to_one"} <= velocity
    # The ingest job carries the raw checks, so they run in the same run as the materialization.
    ingest = defs.resolve_job_def("ingest_hub_snapshots")
    assert dg.AssetCheckKey(dg.AssetKey("hub_model_snapshots"), "ids_unique_and_not_null") in (
        ingest.asset_layer.asset_graph.asset_check_keys)


def test_dbt_models_are_assets_grouped_by_layer_with_the_raw_source_mapped():
    graph = defs.resolve_asset_graph()
    marts = {"dim_organizations", "dim_models", "fct_model_daily", "fct_release_cadence", "fct_download_velocity",
             "fct_derivatives", "fct_supply_chain", "fct_ecosystem_vs_benchmark",
             "fct_benchmark_adoption_correlation"}
    for name in marts:
        node = graph.get(dg.AssetKey(["marts", name]))
        assert node.group_name == "marts"
    daily = {k.path[-1] for k in graph.get_all_asset_keys() if graph.get(k).partitions_def is not None}
    assert daily == {"hub_model_snapshots", "int_models_daily_downloads", "fct_model_daily", "fct_download_velocity"}
    staging = graph.get(dg.AssetKey(["staging", "stg_hub__model_snapshots"]))
    assert dg.AssetKey("hub_model_snapshots") in staging.parent_keys
    checks = {key.name for key in graph.asset_check_keys}
    assert any(name.startswith("unique_combination_of_columns_fct_model_daily") for name in checks)


# ------------------------------------------------------------------------ loading without dagster-dbt


def test_loading_the_code_location_imports_neither_dagster_dbt_nor_dbt():
    """The dbt sets come from the specs cached beside the manifest: no dagster-dbt, dbt-core or heavy data
    libraries when the code location loads (every `dagster dev` reload, run worker and step pays the load)."""
    heavy = ["dagster_dbt", "dbt", "sqlglot", "agate", "mashumaro", "networkx", "pandas", "matplotlib",
             "great_expectations", "streamlit"]
    code = (
        "import json, sys\n"
        "import orchestration.definitions\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("DAGSTER_IS_DEV_CLI", None)
    # Twice: the first load may build the cache (a stale or missing one is rebuilt, with dagster-dbt).
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def _without_live_metadata(metadata):
    from orchestration.dbt.specs import LIVE_METADATA_KEYS

    return {k: v for k, v in (metadata or {}).items() if k not in LIVE_METADATA_KEYS}


def _comparable_spec(spec: dg.AssetSpec) -> dict:
    return {
        **{f: getattr(spec, f) for f in ("key", "description", "group_name", "skippable", "code_version",
                                           "automation_condition", "owners", "tags", "kinds", "partitions_def",
                                           "is_virtual", "freshness_policy", "legacy_freshness_policy")},
        # dagster-dbt lists a node's parents from a set: their order varies from one process to the next.
        "deps": sorted(((d.asset_key, d.partition_mapping, d.metadata) for d in spec.deps), key=str),
        "metadata": _without_live_metadata(spec.metadata),
    }


def _comparable_check(spec: dg.AssetCheckSpec) -> dict:
    return {
        **{f: getattr(spec, f) for f in ("key", "description", "blocking", "automation_condition",
                                           "partitions_def")},
        "additional_deps": sorted(((d.asset_key, d.partition_mapping, d.metadata) for d in spec.additional_deps),
                                  key=str),
        "metadata": _without_live_metadata(spec.metadata),
    }


def test_cached_dbt_sets_equal_what_dbt_assets_builds_from_the_manifest_now():
    """The graph-equality check: each set, built from the cache, is the multi-asset `@dbt_assets` builds from
    the manifest with the translator, attribute by attribute (only dagster-dbt's live metadata objects, which
    Dagster shows as "(unserializable)", are not carried), and so is the snapshot the UI and daemon see."""
    from dagster._core.remote_representation.external_data import RepositorySnap

    from orchestration.dbt import assets as dbt_assets_module
    from orchestration.dbt.project import manifest_path
    from orchestration.dbt.specs import LIVE_METADATA_KEYS, SETS, reference_dbt_assets

    manifest = manifest_path()
    reference = reference_dbt_assets(json.loads(manifest.read_bytes()), manifest.parent)
    for dbt_set in SETS:
        ours, theirs = getattr(dbt_assets_module, dbt_set.name), reference[dbt_set.name]
        assert ours.op.name == theirs.op.name == dbt_set.name
        assert dict(ours.op.tags) == dict(theirs.op.tags)
        assert ours.op.pool == theirs.op.pool
        assert ours.op.required_resource_keys == theirs.op.required_resource_keys == {"dbt", "paths"}
        assert ours.partitions_def == theirs.partitions_def
        assert ours.backfill_policy == theirs.backfill_policy
        assert ours.can_subset and theirs.can_subset
        assert dict(ours.keys_by_output_name) == dict(theirs.keys_by_output_name)
        assert {n: s.key for n, s in ours.check_specs_by_output_name.items()} == {
            n: s.key for n, s in theirs.check_specs_by_output_name.items()}
        assert sorted(map(_comparable_spec, ours.specs), key=str) == sorted(map(_comparable_spec, theirs.specs), key=str)
        assert sorted(map(_comparable_check, ours.check_specs), key=str) == sorted(
            map(_comparable_check, theirs.check_specs), key=str)
        assert {o: d.dagster_type.key for o, d in ours.op.output_dict.items()} == {
            o: d.dagster_type.key for o, d in theirs.op.output_dict.items()}

    # The whole repository as the webserver and the daemon receive it, with the @dbt_assets sets instead.
    from dagster._serdes import serialize_value

    from orchestration.hub.assets import hub_model_snapshots
    from orchestration.serving.assets import published_marts

    bodies = {name: getattr(dbt_assets_module, name).op.compute_fn.decorated_fn for name in reference}
    reference = reference_dbt_assets(json.loads(manifest.read_bytes()), manifest.parent, bodies=bodies)
    reference_defs = dg.Definitions(
        assets=[hub_model_snapshots, *reference.values(), published_marts],
        asset_checks=defs.asset_checks, jobs=defs.jobs, schedules=defs.schedules, sensors=defs.sensors,
        resources=defs.resources,
    )

    def snapshot(definitions: dg.Definitions) -> dict:
        snap = json.loads(serialize_value(RepositorySnap.from_def(definitions.get_repository_def())))
        for node in snap["external_asset_graph_data"]:
            node["metadata_entries"] = [e for e in node["metadata_entries"] if e["label"] not in LIVE_METADATA_KEYS]
        snap.pop("external_resource_data")  # the `dbt` resource is not dagster-dbt's DbtCliResource any more
        return snap

    ours_snap, theirs_snap = snapshot(defs), snapshot(reference_defs)
    for part in ours_snap:
        assert ours_snap[part] == theirs_snap[part], part


def test_a_missing_or_stale_spec_cache_is_rebuilt(tmp_path):
    from orchestration.dbt.project import manifest_path
    from orchestration.dbt.specs import cache_path, load_sets, loaded_sets

    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(manifest_path().read_bytes())
    cache = cache_path(manifest)
    built = load_sets(manifest)  # no cache yet: built with dagster-dbt, and written
    document = json.loads(cache.read_text())
    assert document["key"]["manifest_sha256"] == hashlib.sha256(manifest.read_bytes()).hexdigest()

    def keys(sets):
        return {name: ({s.key for s in v.specs}, {c.key for c in v.check_specs}) for name, v in sets.items()}

    assert keys(built) == keys(loaded_sets())
    # A cache of other code (or another manifest, Dagster or dagster-dbt version) is not used: it is rebuilt.
    document["key"]["code_sha256"] = "older"
    document["sets"]["dbt_marts"]["specs"] = []
    cache.write_text(json.dumps(document))
    assert keys(load_sets(manifest)) == keys(built)
    assert json.loads(cache.read_text())["key"]["code_sha256"] != "older"
    # An unreadable one too.
    cache.write_text("{")
    assert keys(load_sets(manifest)) == keys(built)


def test_the_dbt_resource_gives_the_steps_the_dbt_cli_resource_it_replaces():
    from dagster_dbt import DbtCliResource

    from orchestration.cli.prepare import dbt_executable
    from orchestration.dbt.project import hubpulse_dbt_project
    from orchestration.dbt.runtime import cli_resource

    before = DbtCliResource(project_dir=hubpulse_dbt_project, dbt_executable=dbt_executable())
    assert cli_resource(defs.resources["dbt"]) == before
    assert cli_resource(before) is before  # a DbtCliResource given as the resource is used as it is
    # The steps of a process share one object, so dagster-dbt's `dbt --version` (cached on it) runs once, and
    # not at all for this environment's dbt, whose version is the installed dbt-core's.
    assert cli_resource(defs.resources["dbt"]) is cli_resource(defs.resources["dbt"])
    assert "_cli_version" in vars(cli_resource(defs.resources["dbt"]))
    assert cli_resource(defs.resources["dbt"])._cli_version == DbtCliResource(
        project_dir=hubpulse_dbt_project, dbt_executable=dbt_executable()
    )._cli_version  # what `dbt --version` answers
    other = cli_resource(defs.resources["dbt"].model_copy(update={"target": "other"}))
    assert other.target == "other" and other is not cli_resource(defs.resources["dbt"])
