"""What the dbt translator decides without dagster-dbt: the raw asset key, layers and automation conditions.

Kept apart from `translator.py` (which subclasses dagster-dbt's translator) so that the code location, and the
serving asset that follows the marts, use them without importing dagster-dbt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

# The raw Parquet partitions dbt reads in place are the Dagster asset that writes them.
RAW_ASSET_KEY = dg.AssetKey("hub_model_snapshots")
RAW_SOURCE_TO_ASSET = {("hub", "hub_model_snapshots"): RAW_ASSET_KEY}

LAYERS = ("staging", "intermediate", "marts")
DAILY_TAG = "daily_partitioned"


def layer_of(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """The layer folder a model lives in (`models/<layer>/...`), `seeds` for seeds, else None."""
    if dbt_resource_props.get("resource_type") == "seed":
        return "seeds"
    fqn = dbt_resource_props.get("fqn") or []
    for part in fqn[1:]:
        if part in LAYERS:
            return part
    return None


def daily_partition_automation() -> dg.AutomationCondition:
    """`eager`, for every day rather than only the latest one.

    Plain `eager` looks at the latest time partition only, so a backfill (or a rematerialization) of older raw
    days would leave their daily models stale; without that clause each updated raw day is requested, and the
    single-run backfill policy turns the requested days into one ranged dbt run.
    """
    return (
        dg.AutomationCondition.eager()
        .without(dg.AutomationCondition.in_latest_time_window())
        .with_label("eager, every day")
    )


def follow_parents_automation() -> dg.AutomationCondition:
    """`eager` for an unpartitioned asset below daily-partitioned ones: rebuilt when any parent updates.

    Plain `eager` also waits until no parent partition is missing; for a child of the daily models that means
    every day since the partitions' start, which a warehouse whose history starts later never has.
    """
    return (
        dg.AutomationCondition.eager()
        .without(~dg.AutomationCondition.any_deps_missing())
        .with_label("eager, missing days allowed")
    )
