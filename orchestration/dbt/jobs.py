"""How the warehouse keeps itself up to date: the rebuild job and the automation sensor.

- `build_warehouse` (job): the dbt models of a window of days from raw partitions already on disk, then the copy.
- `hubpulse_automation` (automation condition sensor): every dbt model follows its parents declaratively, so a
  backfill, an archive import or a manual rematerialization of raw days rebuilds what depends on them. It runs
  by default; `HUBPULSE_AUTOMATION=stopped` turns it off.
"""

import dagster as dg

from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts
from orchestration.serving.assets import published_marts
from orchestration.settings import get_settings

warehouse_job = dg.define_asset_job(
    name="build_warehouse",
    selection=dg.AssetSelection.assets(dbt_inputs, dbt_daily_models, dbt_marts, published_marts),
    description="Rebuild the warehouse for a window of days from raw partitions already on disk, then publish it.",
)


automation_sensor = dg.AutomationConditionSensorDefinition(
    name="hubpulse_automation",
    target=dg.AssetSelection.all(),
    default_status=(
        dg.DefaultSensorStatus.RUNNING if get_settings().automation == "running" else dg.DefaultSensorStatus.STOPPED
    ),
    # HUBPULSE_AUTOMATION_INTERVAL_SECONDS: each stage of a build (the raw days' models, then the marts that read
    # them, then the published copy) waits one interval.
    minimum_interval_seconds=get_settings().automation_interval_seconds,
    description="Keeps the dbt models and the published copy up to date with raw data (automation conditions).",
)
