"""Jobs, schedules and the automation sensor: how hubpulse runs itself.

- `daily_hub_snapshot` (schedule, UTC, `HUBPULSE_DAILY_AT`, default 02:00): today's raw partition and, in the same
  run, the daily dbt models, the marts, their checks and the published copy.
- `hubpulse_automation` (automation condition sensor): every dbt model follows its parents declaratively, so a
  backfill, an archive import or a manual rematerialization of raw days rebuilds what depends on them.
- `raw_freshness_hourly` (schedule): the raw freshness check between daily runs.

Schedules start running by default with the live source (`HUBPULSE_SOURCE=live`), and stopped with the local
Hub, whose archive has no "today"; `HUBPULSE_SCHEDULES=running|stopped` decides either way. The automation
sensor runs by default; `HUBPULSE_AUTOMATION=stopped` turns it off.
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at definition time.
import datetime as dt
import os
import re

import dagster as dg

from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts
from orchestration.freshness import raw_freshness
from orchestration.hub.assets import hub_model_snapshots
from orchestration.serving_asset import published_marts

DEFAULT_DAILY_AT = "02:00"

ingest_job = dg.define_asset_job(
    name="ingest_hub_snapshots",
    selection=dg.AssetSelection.assets(hub_model_snapshots),
    description="Fetch the day's Hub snapshot of the scope into its raw partition.",
)

daily_pipeline_job = dg.define_asset_job(
    name="daily_pipeline",
    selection=dg.AssetSelection.assets(hub_model_snapshots, dbt_inputs, dbt_daily_models, dbt_marts, published_marts),
    description="A window of days end to end: raw snapshots, the daily dbt incrementals, every other model, "
    "their checks, then the published read-only copy.",
)

warehouse_job = dg.define_asset_job(
    name="build_warehouse",
    selection=dg.AssetSelection.assets(dbt_inputs, dbt_daily_models, dbt_marts, published_marts),
    description="Rebuild the warehouse for a window of days from raw partitions already on disk, then publish it.",
)

publish_job = dg.define_asset_job(
    name="publish_serving_copy",
    selection=dg.AssetSelection.assets(published_marts),
    description="Publish the warehouse's marts as they are to serving/ (DuckDB copy and Parquet).",
)

freshness_job = dg.define_asset_job(
    name="check_raw_freshness",
    selection=dg.AssetSelection.checks(raw_freshness),
    description="Evaluate the raw freshness check alone.",
)


def daily_cron(value: str | None = None) -> str:
    """The cron expression of `HUBPULSE_DAILY_AT` (HH:MM, UTC)."""
    value = value if value is not None else os.environ.get("HUBPULSE_DAILY_AT", DEFAULT_DAILY_AT)
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if not match:
        raise ValueError(f"HUBPULSE_DAILY_AT must be a UTC time of day as HH:MM, got {value!r}")
    return f"{int(match.group(2))} {int(match.group(1))} * * *"


def _status(variable: str, default_running: bool) -> dg.DefaultScheduleStatus:
    value = os.environ.get(variable, "").strip().lower()
    if value not in ("", "running", "stopped"):
        raise ValueError(f"{variable} must be `running` or `stopped`, got {value!r}")
    running = value == "running" if value else default_running
    return dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED


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


def schedules_status() -> dg.DefaultScheduleStatus:
    return _status("HUBPULSE_SCHEDULES", os.environ.get("HUBPULSE_SOURCE", "local").strip().lower() == "live")


def daily_run_request(scheduled_execution_time: dt.datetime) -> dg.RunRequest:
    """The run of one tick: the partition of the tick's UTC date (the Hub as it is that day)."""
    day = scheduled_execution_time.astimezone(dt.UTC).date().isoformat()
    return dg.RunRequest(run_key=f"daily-{day}", partition_key=day, tags={"hubpulse/trigger": "daily_schedule"})


@dg.schedule(
    name="daily_hub_snapshot",
    job=daily_pipeline_job,
    cron_schedule=daily_cron(),
    execution_timezone="UTC",
    default_status=schedules_status(),
    description="Every day: today's Hub snapshot, the warehouse built on it, its checks and the published copy.",
)
def daily_hub_snapshot(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return daily_run_request(context.scheduled_execution_time)


raw_freshness_hourly = dg.ScheduleDefinition(
    name="raw_freshness_hourly",
    job=freshness_job,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    default_status=schedules_status(),
    description="Warn between daily runs when the newest raw partition grows older than the limit.",
)

automation_sensor = dg.AutomationConditionSensorDefinition(
    name="hubpulse_automation",
    target=dg.AssetSelection.all(),
    default_status=(
        dg.DefaultSensorStatus.STOPPED
        if _status("HUBPULSE_AUTOMATION", True) == dg.DefaultScheduleStatus.STOPPED
        else dg.DefaultSensorStatus.RUNNING
    ),
    minimum_interval_seconds=automation_interval_seconds(),
    description="Keeps the dbt models and the published copy up to date with raw data (automation conditions).",
)
