"""How dbt resources appear in Dagster: keys, groups per layer, kinds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

# The raw Parquet partitions dbt reads in place are the Dagster asset that writes them.
RAW_ASSET_KEY = dg.AssetKey("hub_model_snapshots")
RAW_SOURCE_TO_ASSET = {("hub", "hub_model_snapshots"): RAW_ASSET_KEY}

LAYERS = ("staging", "intermediate", "marts")


def layer_of(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """The layer folder a model lives in (`models/<layer>/...`), `seeds` for seeds, else None."""
    if dbt_resource_props.get("resource_type") == "seed":
        return "seeds"
    fqn = dbt_resource_props.get("fqn") or []
    for part in fqn[1:]:
        if part in LAYERS:
            return part
    return None


DAILY_TAG = "daily_partitioned"


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


class HubpulseDbtTranslator(DagsterDbtTranslator):
    """Maps the raw source to `hub_model_snapshots`, groups models by layer, turns dbt tests into checks,
    makes every model follow its parents declaratively, and adds the `great_expectations` kind to the models
    that carry Great Expectations checks."""

    def __init__(self, gx_checked_models: frozenset[str] = frozenset()) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self.gx_checked_models = gx_checked_models

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest.get("nodes", {}).get(unique_id) or {}
        if DAILY_TAG in (node.get("tags") or []):
            # The daily models read raw days through unpartitioned staging views, which tell Dagster nothing
            # about which days changed. A direct day-to-day dependency on the raw partitions does: it is what
            # lets a backfill of raw days request exactly those days downstream.
            spec = spec.merge_attributes(deps=[dg.AssetDep(RAW_ASSET_KEY)])
        if node.get("name") in self.gx_checked_models:
            spec = spec.merge_attributes(kinds={"great_expectations"})
        return spec

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        if dbt_resource_props.get("resource_type") not in ("model", "seed", "snapshot"):
            return None
        if DAILY_TAG in (dbt_resource_props.get("tags") or []):
            return daily_partition_automation()
        return follow_parents_automation()

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") == "source":
            key = (dbt_resource_props.get("source_name"), dbt_resource_props.get("name"))
            if key in RAW_SOURCE_TO_ASSET:
                return RAW_SOURCE_TO_ASSET[key]
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props) or super().get_group_name(dbt_resource_props)
