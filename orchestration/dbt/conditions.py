"""What the dbt translator decides, as plain Dagster: the raw asset key, layers and automation conditions.

Pure functions, kept apart from `translator.py` so they are read (and tested) without a manifest; the serving
asset that follows the marts uses `follow_parents_automation` too.
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


# What triggers a daily model: the raw days and the other daily models, not its unpartitioned inputs (the
# seeds, the staging views and the intermediate ones over them, int_model_snapshots_attributed and the region
# table). A daily model reads a raw day through them, but an update of one of them says nothing about which
# days changed (the snapshot views are rebuilt whenever raw days arrive), so it must not trigger every day of
# every daily model.
DAILY_TRIGGERS = dg.AssetSelection.assets(RAW_ASSET_KEY) | dg.AssetSelection.tag(DAILY_TAG, "")


def daily_partition_automation() -> dg.AutomationCondition:
    """`eager` for every day rather than only the latest one, triggered by the raw days and the other daily
    models, not by their unpartitioned inputs (the seeds, the staging and intermediate views and tables).

    - Every day: plain `eager` looks at the latest time partition only, so a backfill (or a rematerialization)
      of older raw days would leave their daily models stale; here each updated raw day is requested, and the
      single-run backfill policy turns the requested days into one ranged dbt run. The dbt models extend a
      window to the newest raw day when a day arrives late (dbt_project/macros/build_window.sql), so requesting
      the arrived days is enough.
    - Not triggered by the inputs: the views `stg_hub__model_snapshots` and `int_model_snapshots_attributed` are
      rebuilt when raw days arrive and feed every day; counting them as an update requested every day of every
      daily model on each arrival.
    """
    condition = dg.AutomationCondition
    trigger = (
        condition.missing().newly_true()
        | condition.any_deps_updated().allow(DAILY_TRIGGERS)
    ).since_last_handled()
    return (
        trigger
        & ~condition.any_deps_missing()
        & ~condition.any_deps_in_progress()
        & ~condition.in_progress()
    ).with_label("eager, every day, on raw days")


def follow_parents_automation() -> dg.AutomationCondition:
    """`eager` for an unpartitioned asset below daily-partitioned ones: rebuilt when any parent updates; and
    built once when missing while its parents are there.

    Plain `eager` also waits until no parent partition is missing; for a child of the daily models that means
    every day since the partitions' start, which a warehouse whose history starts later never has. Missing
    itself while its parents are there (a fresh home: the seeds, and the views over them, that no raw day ever
    updates) it is requested, unless its latest run failed: a failure is shown, not retried every interval.
    """
    condition = dg.AutomationCondition
    missing = (
        condition.missing()
        # Parents that no run materializes (the external leaderboard file dbt reads in place) never count.
        & ~condition.any_deps_missing().allow(dg.AssetSelection.all().materializable())
        & ~condition.execution_failed()
        & ~condition.in_progress()
    ).with_label("missing, parents there, latest run not failed")
    return (
        condition.eager().without(~condition.any_deps_missing()) | missing
    ).with_label("eager, missing days allowed")
