"""The code location loads and names what must exist, without touching the network or parsing dbt."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg

from orchestration.dbt.conditions import DAILY_TRIGGERS
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


def test_checks_guard_the_raw_partitions_and_the_marts():
    graph = defs.resolve_asset_graph()
    raw_checks = {key.name for key in graph.asset_check_keys if key.asset_key == dg.AssetKey("hub_model_snapshots")}
    assert {"schema_and_types", "ids_unique_and_not_null", "counts_non_negative", "created_at_not_after_snapshot",
            "row_count_within_band", "downloads_all_time_mostly_present", "authors_mapped_to_organisations"} <= raw_checks
    velocity = {key.name for key in graph.asset_check_keys
                if key.asset_key == dg.AssetKey(["marts", "fct_download_velocity"])}
    # The marts' rules are dbt tests (one home per rule), asset checks on their mart through the translator.
    assert "region_shares_sum_to_one" in velocity
    assert any(name.startswith("unique_combination_of_columns_fct_download_velocity_") for name in velocity)
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
    assert daily == {"hub_model_snapshots", "int_model_snapshots_daily", "int_model_listings",
                     "int_models_daily_downloads", "int_models_monthly_downloads", "fct_model_daily",
                     "fct_download_velocity"}
    staging = graph.get(dg.AssetKey(["staging", "stg_hub__model_snapshots"]))
    assert dg.AssetKey("hub_model_snapshots") in staging.parent_keys
    attributed = graph.get(dg.AssetKey(["intermediate", "int_model_snapshots_attributed"]))
    assert staging.key in attributed.parent_keys
    # A daily model is triggered by the raw days and the other daily models only, never by its unpartitioned
    # inputs (the snapshot views, the region table, the seeds), which every arrival of a raw day updates.
    assert {k.path[-1] for k in DAILY_TRIGGERS.resolve(graph)} == daily
    checks = {key.name for key in graph.asset_check_keys}
    assert any(name.startswith("unique_combination_of_columns_fct_model_daily") for name in checks)


# ---------------------------------------------------------------------------------------- the dbt sets


def test_the_three_dbt_sets_select_their_models_and_share_the_warehouse_pool():
    from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts
    from orchestration.hub.partitions import daily_snapshot_partitions
    from orchestration.pools import WAREHOUSE_POOL

    selections = {
        "dbt_inputs": {"dagster_dbt/select": "+tag:daily_partitioned", "dagster_dbt/exclude": "tag:daily_partitioned"},
        "dbt_daily_models": {"dagster_dbt/select": "tag:daily_partitioned"},
        "dbt_marts": {"dagster_dbt/select": "fqn:*", "dagster_dbt/exclude": "+tag:daily_partitioned"},
    }
    sets = {a.op.name: a for a in (dbt_inputs, dbt_daily_models, dbt_marts)}
    assert set(sets) == set(selections)
    for name, assets_def in sets.items():
        assert {k: v for k, v in assets_def.op.tags.items() if k.startswith("dagster_dbt/")} == selections[name]
        assert assets_def.op.pool == WAREHOUSE_POOL
        assert assets_def.op.required_resource_keys == {"dbt", "paths"}
        assert assets_def.can_subset
        partitioned = name == "dbt_daily_models"
        assert assets_def.partitions_def == (daily_snapshot_partitions if partitioned else None)
        assert assets_def.backfill_policy == (dg.BackfillPolicy.single_run() if partitioned else None)
    # Each model belongs to exactly one set.
    keys = [key for assets_def in sets.values() for key in assets_def.keys]
    assert len(keys) == len(set(keys))
    # The names' state runs with the marts, without a window (macros/window_log.sql decides merge or recompute).
    state = dg.AssetKey(["intermediate", "int_model_names_seen"])
    assert state in sets["dbt_marts"].keys
    assert state in defs.resolve_asset_graph().get(dg.AssetKey(["intermediate", "int_models_profiled"])).parent_keys


def test_the_translator_gives_kinds_automation_and_the_raw_dependency():
    graph = defs.resolve_asset_graph()
    dbt_keys = [k for k in graph.get_all_asset_keys() if "dbt" in graph.get(k).kinds and graph.get(k).is_materializable]
    assert len(dbt_keys) > 20
    for key in dbt_keys:
        node = graph.get(key)
        assert node.kinds >= {"dbt", "duckdb"}
        assert node.group_name in {"raw", "staging", "intermediate", "marts"}
        assert node.group_name != "raw" or key.path[0] in ("seeds", "benchmarks")
        # Each dbt asset links to its page in the static dbt docs (`hubpulse docs`).
        assert node.metadata["dbt_docs"].url.endswith(node.metadata["dagster_dbt/unique_id"]), key
        label = node.automation_condition.get_label()
        if node.partitions_def is not None:
            # Every day requested by its raw days, not only the latest one.
            assert label == "eager, every day, on raw days"
            assert dg.AssetKey("hub_model_snapshots") in node.parent_keys
        else:
            assert label == "eager, missing days allowed, parents exist"
    # The `great_expectations` kind goes to the models Great Expectations checks, and only to them.
    from orchestration.quality import GX_CHECKED_MODELS

    gx_kind = {k.path[-1] for k in dbt_keys if "great_expectations" in graph.get(k).kinds}
    assert gx_kind == set(GX_CHECKED_MODELS)
    # (None today: the translator itself, given one.)
    from dagster_dbt import get_asset_key_for_model

    from orchestration.dbt.assets import MANIFEST, dbt_marts
    from orchestration.dbt.project import hubpulse_dbt_project
    from orchestration.dbt.translator import HubpulseDbtTranslator

    manifest = json.loads(MANIFEST.read_bytes())
    translator = HubpulseDbtTranslator(gx_checked_models=frozenset({"fct_release_cadence"}))
    spec = translator.get_asset_spec(manifest, "model.hubpulse.fct_release_cadence", hubpulse_dbt_project)
    assert spec.kinds >= {"dbt", "duckdb", "great_expectations"}
    assert spec.key == get_asset_key_for_model([dbt_marts], "fct_release_cadence")
    other = translator.get_asset_spec(manifest, "model.hubpulse.dim_models", hubpulse_dbt_project)
    assert "great_expectations" not in other.kinds


def test_loading_the_code_location_parses_no_dbt_outside_dagster_dev(tmp_path):
    """The manifest `hubpulse prepare` wrote is read as it is: loading runs no dbt and leaves it untouched."""
    from orchestration.dbt.project import hubpulse_dbt_project

    manifest = hubpulse_dbt_project.manifest_path
    before = manifest.stat().st_mtime_ns
    # No dbt on PATH: `prepare_if_dev()` would fail to parse if it tried.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "PATH": str(tmp_path)}
    env.pop("DAGSTER_IS_DEV_CLI", None)
    subprocess.run([sys.executable, "-c", "import orchestration.definitions"], env=env, check=True)
    assert manifest.stat().st_mtime_ns == before


def test_the_dbt_resource_is_dagster_dbts_cli_resource_for_the_project():
    from dagster_dbt import DbtCliResource

    from orchestration.cli.prepare import dbt_executable
    from orchestration.dbt.project import hubpulse_dbt_project

    assert defs.resources["dbt"] == DbtCliResource(project_dir=hubpulse_dbt_project, dbt_executable=dbt_executable())
