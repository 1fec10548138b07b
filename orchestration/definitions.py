"""The single merge point of the hubpulse code location."""

from __future__ import annotations

import dagster as dg

from orchestration.hub.assets import hub_model_snapshots
from orchestration.resources import hub_client_from_env, paths_from_env, scope_from_env

ingest_job = dg.define_asset_job(
    name="ingest_hub_snapshots",
    selection=dg.AssetSelection.assets(hub_model_snapshots),
    description="Fetch the day's Hub snapshot of the scope into its raw partition.",
)

defs = dg.Definitions(
    assets=[hub_model_snapshots],
    jobs=[ingest_job],
    resources={
        "hub": hub_client_from_env(),
        "scope": scope_from_env(),
        "paths": paths_from_env(),
    },
)
