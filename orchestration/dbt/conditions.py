"""What the dbt translator decides, as plain Dagster: the raw asset key, layers and automation conditions.

Pure functions, kept apart from `translator.py` so they are read (and tested) without a manifest; the serving
asset that follows the marts uses `follow_parents_automation` too.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

# The raw Parquet partitions dbt reads in place are the Dagster asset that writes them.
RAW_ASSET_KEY = dg.AssetKey("hub_model_snapshots")
RAW_SOURCE_TO_ASSET = {("hub", "hub_model_snapshots"): RAW_ASSET_KEY}

LAYERS = ("staging", "intermediate", "marts")
RAW_GROUP = "raw"  # the asset group of what comes in as it is: raw snapshots, seeds, files read in place
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


def parents_exist() -> dg.AutomationCondition:
    """Every parent that a run materializes has been materialized at least once (any one day of a daily
    parent), or is requested on this tick in a run that can hold this asset too.

    An unpartitioned child never runs with its daily parents (different partitions: separate runs), so a
    daily parent requested on the same tick is not enough: on an empty warehouse that child's run would start
    beside the parents' backfill and fail on relations that do not exist yet. It waits for the parents' first
    materialization instead; the update it waited for still triggers it then (`since_last_handled`).
    """
    condition = dg.AutomationCondition
    return condition.all_deps_match(
        ~condition.missing() | condition.will_be_requested()
    ).allow(dg.AssetSelection.all().materializable()).with_label("every parent materialized once")


def built_and_idle(keys: Sequence[dg.AssetKey]) -> dg.AutomationCondition:
    """Each of `keys` (not necessarily parents) has been materialized at least once (any one day of a daily
    asset), and none of them is being materialized now (no day in a run or backfill in progress)."""
    condition = dg.AutomationCondition
    built = [condition.asset_matches(key, ~condition.missing()) & ~condition.asset_matches(key, condition.in_progress())
             for key in keys]
    return functools.reduce(operator.and_, built).with_label("the daily models built once, none in progress")


def follow_parents_automation(wait_for: Sequence[dg.AssetKey] = ()) -> dg.AutomationCondition:
    """`eager` for an unpartitioned asset below daily-partitioned ones: rebuilt when any parent updates; and
    built once when missing while its parents are there; never before every parent exists.

    Plain `eager` also waits until no parent partition is missing; for a child of the daily models that means
    every day since the partitions' start, which a warehouse whose history starts later never has. Missing
    itself while its parents are there (a fresh home: the seeds, and the views over them, that no raw day ever
    updates) it is requested, unless its latest run failed: a failure is shown, not retried every interval.
    Either way it waits until each parent has been materialized at least once (`parents_exist`), and each of
    `wait_for` too, none of them in progress: the assets whose runs would otherwise build part of a dbt set
    while the rest of the set waits for them (dbt's eager test selection then runs the tests of the set's other
    models too, and a test of a model that does not exist yet fails the run), see the translator.
    """
    condition = dg.AutomationCondition
    missing = (
        condition.missing()
        # Parents that no run materializes (the external leaderboard file dbt reads in place) never count.
        & ~condition.any_deps_missing().allow(dg.AssetSelection.all().materializable())
        & ~condition.execution_failed()
        & ~condition.in_progress()
    ).with_label("missing, parents there, latest run not failed")
    result = (condition.eager().without(~condition.any_deps_missing()) | missing) & parents_exist()
    if wait_for:
        result = result & built_and_idle(wait_for)
    return result.with_label("eager, missing days allowed, parents exist")
