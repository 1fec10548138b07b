"""The daily snapshot partitions (UTC)."""

from __future__ import annotations

import os

import dagster as dg

DEFAULT_START_DATE = "2024-10-01"


def snapshot_start_date() -> str:
    """First snapshot date (`HUBPULSE_START_DATE`, default the demo history's start), a strict YYYY-MM-DD."""
    from orchestration.hub.archive import parse_snapshot_date

    value = (os.environ.get("HUBPULSE_START_DATE") or DEFAULT_START_DATE).strip()
    try:
        return parse_snapshot_date(value).isoformat()
    except ValueError as exc:
        raise ValueError(f"HUBPULSE_START_DATE: {exc}") from None


# end_offset=1: today's partition exists, so the daily run can take today's snapshot from the live Hub.
daily_snapshot_partitions = dg.DailyPartitionsDefinition(
    start_date=snapshot_start_date(), timezone="UTC", end_offset=1
)
