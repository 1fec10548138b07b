"""The code location loads and names what must exist, without touching the network or parsing dbt."""

from __future__ import annotations

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
