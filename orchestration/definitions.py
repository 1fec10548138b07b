"""The single merge point of the hubpulse code location."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts
from orchestration.dbt.project import hubpulse_dbt_project
from orchestration.hub.assets import hub_model_snapshots
from orchestration.prepare import dbt_executable
from orchestration.quality import mart_asset_checks, quality_config_from_env, raw_asset_checks
from orchestration.resources import hub_client_from_env, paths_from_env, scope_from_env

ingest_job = dg.define_asset_job(
    name="ingest_hub_snapshots",
    selection=dg.AssetSelection.assets(hub_model_snapshots),
    description="Fetch the day's Hub snapshot of the scope into its raw partition.",
)

daily_pipeline_job = dg.define_asset_job(
    name="daily_pipeline",
    selection=dg.AssetSelection.assets(hub_model_snapshots, dbt_inputs, dbt_daily_models, dbt_marts),
    description="A window of days end to end: raw snapshots, the daily dbt incrementals, then every other model.",
)

warehouse_job = dg.define_asset_job(
    name="build_warehouse",
    selection=dg.AssetSelection.assets(dbt_inputs, dbt_daily_models, dbt_marts),
    description="Rebuild the warehouse for a window of days from raw partitions already on disk.",
)

defs = dg.Definitions(
    assets=[hub_model_snapshots, dbt_inputs, dbt_daily_models, dbt_marts],
    # Great Expectations suites as asset checks: they run in the same run as their asset (the jobs' asset
    # selections include them), and the blocking ones stop downstream assets on bad data.
    asset_checks=[*raw_asset_checks, *mart_asset_checks],
    jobs=[ingest_job, daily_pipeline_job, warehouse_job],
    resources={
        "hub": hub_client_from_env(),
        "scope": scope_from_env(),
        "paths": paths_from_env(),
        "dbt": DbtCliResource(project_dir=hubpulse_dbt_project, dbt_executable=dbt_executable()),
        "quality": quality_config_from_env(),
    },
)
