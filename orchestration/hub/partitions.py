"""The daily snapshot partitions (UTC)."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import get_settings


def snapshot_start_date() -> str:
    """First snapshot date (`HUBPULSE_START_DATE`, default the demo history's start), as YYYY-MM-DD."""
    return get_settings().start_date.isoformat()


# end_offset=1: today's partition exists, so the daily run can take today's snapshot from the live Hub.
daily_snapshot_partitions = dg.DailyPartitionsDefinition(
    start_date=snapshot_start_date(), timezone="UTC", end_offset=1
)
