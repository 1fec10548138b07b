"""dbt models as Dagster assets: the daily-partitioned incrementals, and everything else.

The partition window reaches dbt as the `HUBPULSE_WINDOW_START`/`HUBPULSE_WINDOW_END` environment
variables (inclusive dates), not as `--vars`, which would force dbt to re-parse the whole project each run.

The three sets are the multi-assets `@dbt_assets` builds, made here with `dg.multi_asset` from the specs it
built, which `orchestration.dbt.specs` caches beside the manifest: loading the code location does not import
dagster-dbt (seconds of dbt-core, sqlglot, mashumaro...). The steps do, to run dbt (`orchestration.dbt.runtime`).
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at definition time.
import contextlib
import datetime as dt
import os
import warnings
from collections.abc import Iterator

import dagster as dg
from dagster._utils.warnings import disable_dagster_warnings

from orchestration.dbt.metadata import with_warehouse_metadata
from orchestration.dbt.specs import DAILY_SELECT, INPUTS_SELECT, SETS_BY_NAME, loaded_sets
from orchestration.hub.partitions import daily_snapshot_partitions
from orchestration.pools import WAREHOUSE_POOL
from orchestration.resources import HubpulsePaths

warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

__all__ = ["DAILY_SELECT", "INPUTS_SELECT", "dbt_daily_models", "dbt_inputs", "dbt_marts", "window_env"]
WINDOW_ENV = ("HUBPULSE_WINDOW_START", "HUBPULSE_WINDOW_END")


def window_env(start: dt.date, end: dt.date) -> dict[str, str]:
    """The environment that tells the incremental models which days to (re)build, both ends inclusive."""
    if end < start:
        raise ValueError(f"window end {end} is before its start {start}")
    return {WINDOW_ENV[0]: start.isoformat(), WINDOW_ENV[1]: end.isoformat()}


def partition_window(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the partitions this run materializes."""
    window = context.partition_time_window
    return window.start.date(), (window.end - dt.timedelta(days=1)).date()


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the dbt subprocess started inside the block, then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def build(
    context: dg.AssetExecutionContext,
    dbt,
    paths: HubpulsePaths,
    window: tuple[dt.date, dt.date] | None = None,
):
    """`dbt build` of the set's selection, its outputs carrying row counts, previews and charts."""
    # dagster-dbt is imported here, in the step, not when the code location loads.
    from orchestration.dbt.runtime import dbt_cli

    invocation = dbt_cli(context, dbt, ["build"])
    yield from with_warehouse_metadata(
        invocation.stream(),
        invocation.manifest,
        paths.warehouse,
        context.log,
        window=window,
        charts_dir=paths.root / "charts",
    )


def dbt_set_assets(name: str):
    """`@dbt_assets` of one set (see `orchestration.dbt.specs.SETS`), from the cached specs."""
    set_specs = loaded_sets()[name]
    partitioned = SETS_BY_NAME[name].partitioned
    # As @dbt_assets: its warnings (preview parameters) silenced while the decorator is made.
    with disable_dagster_warnings():
        decorator = dg.multi_asset(
            name=name,
            specs=set_specs.specs,
            check_specs=set_specs.check_specs,
            can_subset=True,
            required_resource_keys={"dbt", "paths"},
            partitions_def=daily_snapshot_partitions if partitioned else None,
            op_tags=set_specs.op_tags,
            backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
            pool=WAREHOUSE_POOL,
            allow_arbitrary_check_specs=True,
        )
    return decorator


@dbt_set_assets("dbt_daily_models")
def dbt_daily_models(context: dg.AssetExecutionContext):
    """Snapshot-grain staging, daily downloads and velocity, rebuilt for the run's window of days."""
    start, end = partition_window(context)
    context.log.info(f"dbt window {start} .. {end}")
    # `cautious`: the facts' key tests live on the dimensions (`contains_keys_of`), which this set does not
    # build; eager selection would pull them in here, before the dimensions know the window's new models.
    with patched_environ({**window_env(start, end), "DBT_INDIRECT_SELECTION": "cautious"}):
        yield from build(context, context.resources.dbt, context.resources.paths, window=(start, end))


@dbt_set_assets("dbt_inputs")
def dbt_inputs(context: dg.AssetExecutionContext):
    """Seeds, staging views and lookups the daily incrementals read."""
    # `buildable`: only tests whose models are all here or upstream; a mart's test on a staging model runs
    # with the mart.
    with patched_environ({"DBT_INDIRECT_SELECTION": "buildable"}):
        yield from build(context, context.resources.dbt, context.resources.paths)


@dbt_set_assets("dbt_marts")
def dbt_marts(context: dg.AssetExecutionContext):
    """Dimensions and the cadence, derivatives, supply-chain and ecosystem-vs-benchmark marts."""
    yield from build(context, context.resources.dbt, context.resources.paths)
