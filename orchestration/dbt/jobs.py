"""How the warehouse keeps itself up to date: the rebuild job and the automation sensor.

- `build_warehouse` (job): the dbt models of a window of days from raw partitions already on disk, then the copy.
- `hubpulse_automation` (automation condition sensor): every dbt model follows its parents declaratively, so a
  backfill, an archive import or a manual rematerialization of raw days rebuilds what depends on them. It runs
  by default; `HUBPULSE_AUTOMATION=stopped` turns it off.
"""

import os

import dagster as dg

from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts
from orchestration.serving.assets import published_marts
from orchestration.settings import schedule_status

warehouse_job = dg.define_asset_job(
    name="build_warehouse",
    selection=dg.AssetSelection.assets(dbt_inputs, dbt_daily_models, dbt_marts, published_marts),
    description="Rebuild the warehouse for a window of days from raw partitions already on disk, then publish it.",
)


def automation_interval_seconds() -> int:
    """`HUBPULSE_AUTOMATION_INTERVAL_SECONDS` (default 60): how often the automation sensor evaluates; each
    stage of a build (the raw days' models, then the marts that read them, then the published copy) waits one
    interval."""
    raw = os.environ.get("HUBPULSE_AUTOMATION_INTERVAL_SECONDS", "").strip()
    if not raw:
        return 60
    if not raw.isdigit() or not 5 <= int(raw) <= 86400:
        raise ValueError(f"HUBPULSE_AUTOMATION_INTERVAL_SECONDS must be whole seconds in 5..86400, got {raw!r}")
    return int(raw)


automation_sensor = dg.AutomationConditionSensorDefinition(
    name="hubpulse_automation",
    target=dg.AssetSelection.all(),
    default_status=(
        dg.DefaultSensorStatus.STOPPED
        if schedule_status("HUBPULSE_AUTOMATION", True) == dg.DefaultScheduleStatus.STOPPED
        else dg.DefaultSensorStatus.RUNNING
    ),
    minimum_interval_seconds=automation_interval_seconds(),
    description="Keeps the dbt models and the published copy up to date with raw data (automation conditions).",
)
