"""The single merge point of the hubpulse code location."""

from __future__ import annotations

import dagster as dg

from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts, external_source_specs
from orchestration.dbt.jobs import automation_sensor, warehouse_job
from orchestration.dbt.project import dbt_cli_from_env
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.jobs import daily_hub_snapshot, daily_pipeline_job, ingest_job
from orchestration.quality import quality_config_from_env, raw_asset_checks
from orchestration.quality.freshness import raw_freshness
from orchestration.quality.jobs import freshness_job, raw_freshness_hourly
from orchestration.resources import hub_client_from_env, paths_from_env, scope_from_env
from orchestration.serving.assets import published_marts
from orchestration.serving.jobs import publish_job

defs = dg.Definitions(
    assets=[hub_model_snapshots, *external_source_specs(), dbt_inputs, dbt_daily_models, dbt_marts, published_marts],
    # Great Expectations suites as asset checks: they run in the same run as their asset (the jobs' asset
    # selections include them), and the blocking ones stop downstream assets on bad data.
    asset_checks=[*raw_asset_checks, raw_freshness],
    jobs=[ingest_job, daily_pipeline_job, warehouse_job, publish_job, freshness_job],
    schedules=[daily_hub_snapshot, raw_freshness_hourly],
    sensors=[automation_sensor],
    resources={
        "hub": hub_client_from_env(),
        "scope": scope_from_env(),
        "paths": paths_from_env(),
        "dbt": dbt_cli_from_env(),
        "quality": quality_config_from_env(),
    },
)
