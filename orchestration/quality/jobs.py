"""The raw freshness check on its own: a job and the hourly schedule that runs it between daily runs."""

import dagster as dg

from orchestration.quality.freshness import raw_freshness
from orchestration.settings import schedules_status

freshness_job = dg.define_asset_job(
    name="check_raw_freshness",
    selection=dg.AssetSelection.checks(raw_freshness),
    description="Evaluate the raw freshness check alone.",
)


raw_freshness_hourly = dg.ScheduleDefinition(
    name="raw_freshness_hourly",
    job=freshness_job,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    default_status=schedules_status(),
    description="Warn between daily runs when the newest raw partition grows older than the limit.",
)
