"""`raw_freshness`: warns when the newest raw partition is more than 36 hours old.

A partition's age is measured from the start (00:00 UTC) of the day it describes: with the daily run at
02:00 UTC, a healthy raw layer is 2 to 26 hours old, and one missed run crosses 36 hours by noon of the next
day. The threshold is `HUBPULSE_FRESHNESS_MAX_AGE_HOURS`. The check runs with every ingestion and hourly
on its own schedule, and never blocks anything (severity WARN).
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at definition time.
import datetime as dt

import dagster as dg

from orchestration.hub.assets import hub_model_snapshots
from orchestration.settings import get_settings


def freshness_result(newest_partition: str | None, now: dt.datetime, limit_hours: float) -> dg.AssetCheckResult:
    """The check's verdict for the newest materialized partition key (None: nothing materialized yet)."""
    if newest_partition is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="No raw partition has been materialized yet.",
            metadata={"max_age_hours": limit_hours},
        )
    start = dt.datetime.combine(dt.date.fromisoformat(newest_partition), dt.time(), tzinfo=dt.UTC)
    age_hours = (now - start).total_seconds() / 3600
    passed = age_hours <= limit_hours
    verdict = "within" if passed else "more than"
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"Newest raw partition {newest_partition} is {age_hours:.1f} hours old, "
            f"{verdict} the {limit_hours:g}-hour limit."
        ),
        metadata={
            "newest_partition": newest_partition,
            "age_hours": round(age_hours, 2),
            "max_age_hours": limit_hours,
            "evaluated_at": now.isoformat(timespec="seconds"),
        },
    )


@dg.asset_check(
    asset=hub_model_snapshots,
    name="raw_freshness",
    blocking=False,
    description="Warns when the newest raw partition is more than HUBPULSE_FRESHNESS_MAX_AGE_HOURS (36) old.",
)
def raw_freshness(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    materialized = context.instance.get_materialized_partitions(hub_model_snapshots.key)
    newest = max(materialized) if materialized else None
    result = freshness_result(newest, dt.datetime.now(dt.UTC), get_settings().freshness_max_age_hours)
    context.log.info(result.description)
    return result
