"""How dbt resources appear in Dagster: keys, groups per layer, kinds, automation conditions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from orchestration.cli.docs import dbt_docs_url
from orchestration.dbt.conditions import (
    DAILY_TAG,
    RAW_ASSET_KEY,
    RAW_GROUP,
    RAW_SOURCE_TO_ASSET,
    daily_partition_automation,
    follow_parents_automation,
    layer_of,
)


class HubpulseDbtTranslator(DagsterDbtTranslator):
    """Maps the raw source to `hub_model_snapshots`, groups models by layer, turns dbt tests into checks,
    makes every model follow its parents declaratively, and adds the `great_expectations` kind to the models
    that carry Great Expectations checks."""

    def __init__(self, gx_checked_models: frozenset[str] = frozenset(), docs_home: Path | None = None) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self.gx_checked_models = gx_checked_models
        self.docs_home = docs_home  # whose static dbt docs (`hubpulse docs`) each asset links to

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest.get("nodes", {}).get(unique_id) or {}
        if DAILY_TAG in (node.get("tags") or []):
            # The daily models read raw days through unpartitioned views (staging, intermediate), which tell
            # Dagster nothing about which days changed. A direct day-to-day dependency on the raw partitions
            # does: it is what lets a backfill of raw days request exactly those days downstream.
            spec = spec.merge_attributes(deps=[dg.AssetDep(RAW_ASSET_KEY)])
        if node.get("resource_type") in ("model", "seed", "snapshot") and DAILY_TAG not in (node.get("tags") or []):
            daily = self.daily_model_keys(manifest)
            if daily and not self.feeds_daily_models(manifest, unique_id):
                # A model or seed of the marts set waits for the daily models (built once, none in progress),
                # so that the set builds together: see `follow_parents_automation`.
                spec = spec.replace_attributes(automation_condition=follow_parents_automation(wait_for=daily))
        resource = node or manifest.get("sources", {}).get(unique_id) or {}
        if self.docs_home is not None and resource.get("resource_type") in ("model", "seed", "snapshot", "source"):
            spec = spec.merge_attributes(metadata={"dbt_docs": dg.MetadataValue.url(
                dbt_docs_url(self.docs_home, unique_id, resource["resource_type"]))})
        if node.get("name") in self.gx_checked_models:
            spec = spec.merge_attributes(kinds={"great_expectations"})
        return spec

    def daily_model_keys(self, manifest: Mapping[str, Any]) -> tuple[dg.AssetKey, ...]:
        """The asset keys of the daily-partitioned models, in manifest order."""
        nodes = manifest.get("nodes", {})
        return tuple(self.get_asset_key(node) for node in nodes.values()
                     if node.get("resource_type") == "model" and DAILY_TAG in (node.get("tags") or []))

    @staticmethod
    def feeds_daily_models(manifest: Mapping[str, Any], unique_id: str) -> bool:
        """Whether a daily model reads this node, directly or through others (the inputs set, `+tag:...`)."""
        nodes, children = manifest.get("nodes", {}), manifest.get("child_map", {})
        seen, todo = set(), list(children.get(unique_id, ()))
        while todo:
            child = todo.pop()
            if child in seen:
                continue
            seen.add(child)
            node = nodes.get(child) or {}
            if node.get("resource_type") == "model" and DAILY_TAG in (node.get("tags") or []):
                return True
            todo.extend(children.get(child, ()))
        return False

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
        """The layer: `raw` for what comes in as it is (the seeds' reference tables, the files read in place),
        else the model's folder (staging, intermediate, marts)."""
        if dbt_resource_props.get("resource_type") in ("seed", "source"):
            return RAW_GROUP
        return layer_of(dbt_resource_props) or super().get_group_name(dbt_resource_props)
