"""How dbt resources appear in Dagster: keys, groups per layer, kinds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

# The raw Parquet partitions dbt reads in place are the Dagster asset that writes them.
RAW_SOURCE_TO_ASSET = {("hub", "hub_model_snapshots"): dg.AssetKey("hub_model_snapshots")}

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


class HubpulseDbtTranslator(DagsterDbtTranslator):
    """Maps the raw source to `hub_model_snapshots`, groups models by layer, turns dbt tests into checks."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") == "source":
            key = (dbt_resource_props.get("source_name"), dbt_resource_props.get("name"))
            if key in RAW_SOURCE_TO_ASSET:
                return RAW_SOURCE_TO_ASSET[key]
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props) or super().get_group_name(dbt_resource_props)
