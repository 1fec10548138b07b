"""Running dbt in a step of one of the sets: what `dbt.cli([...], context=context)` does, with dagster-dbt.

Imported only by the op bodies (the step process), never when the code location loads.

dagster-dbt's context-aware `cli` reads the manifest, the translator and the DbtProject from live objects in
the metadata of the `@dbt_assets` definition. The sets are built from cached specs without them (see
`orchestration.dbt.specs`), so this module hands dagster-dbt the same manifest and translator explicitly and
uses its own functions for the rest: `get_subset_selection_for_context` picks the dbt selection and the
`DBT_INDIRECT_SELECTION` the run's asset and check selection needs (the set's select/exclude when all of it is
selected), the invocation's target folder is named after the op and the run as before, and the invocation gets
the step's context, so its event stream yields `Output`s and `AssetCheckResult`s for this multi-asset exactly
as under `@dbt_assets`.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

import dagster as dg

from orchestration.dbt.project import dbt_project, manifest_path
from orchestration.dbt.specs import translator


@cache
def _manifest(path: str) -> dict[str, Any]:
    with open(path, "rb") as handle:
        return json.load(handle)


def manifest() -> dict[str, Any]:
    """The manifest the sets were built from."""
    return _manifest(str(manifest_path()))


def cli_resource(dbt: Any):
    """A dagster-dbt `DbtCliResource` from the `dbt` resource (a `DbtCli`, or a `DbtCliResource` already)."""
    from dagster_dbt import DbtCliResource

    return dbt if isinstance(dbt, DbtCliResource) else dbt.cli_resource()


def dbt_cli(context: dg.AssetExecutionContext, dbt: Any, args: list[str]):
    """Start `dbt <args>` on the selection of this step; the invocation streams this multi-asset's events."""
    from dagster_dbt.asset_utils import (
        DAGSTER_DBT_EXCLUDE_METADATA_KEY,
        DAGSTER_DBT_SELECT_METADATA_KEY,
        DAGSTER_DBT_SELECTOR_METADATA_KEY,
        DBT_INDIRECT_SELECTION_ENV,
        get_subset_selection_for_context,
    )

    from orchestration.dbt.assets import patched_environ

    resource = cli_resource(dbt)
    dbt_manifest = manifest()
    dbt_translator = translator()
    selection_args, indirect_selection = get_subset_selection_for_context(
        context=context,
        manifest=dbt_manifest,
        select=context.op_execution_context.op.tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=context.op_execution_context.op.tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=context.op_execution_context.op.tags.get(DAGSTER_DBT_SELECTOR_METADATA_KEY),
        dagster_dbt_translator=dbt_translator,
        current_dbt_indirect_selection_env=os.getenv(DBT_INDIRECT_SELECTION_ENV),
    )
    with patched_environ({DBT_INDIRECT_SELECTION_ENV: indirect_selection} if indirect_selection else {}):
        # Without a context `cli` takes the selection from the arguments and starts dbt at once, with this
        # environment; the target folder is the one it names after the op and the run when given a context.
        invocation = resource.cli(
            [*args, *selection_args],
            manifest=dbt_manifest,
            dagster_dbt_translator=dbt_translator,
            target_path=resource._get_unique_target_path(context=context),
        )
    # With the step's context the events become Outputs of this multi-asset and AssetCheckResults of its
    # selected checks (AssetObservations for tests dbt ran by indirect selection only), as under @dbt_assets.
    invocation.context = context
    invocation.project = dbt_project()
    return invocation
