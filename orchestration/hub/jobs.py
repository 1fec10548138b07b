"""How the Hub is read on schedule: the ingestion job, and the daily run end to end.

- `ingest_hub_snapshots` (job): a window of raw partitions only.
- `daily_pipeline` (job) and `daily_hub_snapshot` (schedule, UTC, `HUBPULSE_DAILY_AT`, default 02:00): today's raw
  partition and, in the same run, the daily dbt models, the marts, their checks and the published copy.

Schedules start running by default with the live source (`HUBPULSE_SOURCE=live`), and stopped with the local
Hub, whose archive has no "today"; `HUBPULSE_SCHEDULES=running|stopped` decides either way.
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at definition time.
import datetime as dt

import dagster as dg

from orchestration import settings
from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts
from orchestration.hub.assets import hub_model_snapshots
from orchestration.serving.assets import published_marts
from orchestration.settings import get_settings, schedules_status

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


def daily_cron(value: str | None = None) -> str:
    """The cron expression of `value` or else `HUBPULSE_DAILY_AT` (HH:MM, UTC)."""
    return settings.daily_cron(value) if value is not None else get_settings().daily_cron


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
