"""dbt models as Dagster assets: three `@dbt_assets` sets, each a `dbt build` of its selection.

Three sets, so that no set sits both upstream and downstream of another (Dagster would then split it into two
steps, and dbt's test selection would run a test before one of its models exists):
  dbt_inputs       - every ancestor of the daily incrementals (seeds, staging, lookups), unpartitioned;
  dbt_daily_models - the snapshot-grain incrementals, built one window of days at a time;
  dbt_marts        - everything else (dimensions, cadence, derivatives, supply chain, ecosystem vs benchmark).
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at definition time.
import contextlib
import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.cli.prepare import keep_partial_parse, partial_parse_file, seed_partial_parse
from orchestration.dbt.conditions import RAW_ASSET_KEY
from orchestration.dbt.metadata import with_warehouse_metadata
from orchestration.dbt.project import hubpulse_dbt_project, manifest_path
from orchestration.dbt.translator import HubpulseDbtTranslator
from orchestration.hub.partitions import daily_snapshot_partitions
from orchestration.pools import WAREHOUSE_POOL
from orchestration.quality import GX_CHECKED_MODELS
from orchestration.resources import HubpulsePaths
from orchestration.settings import get_settings

DAILY_SELECT = "tag:daily_partitioned"
INPUTS_SELECT = "+tag:daily_partitioned"
WINDOW_ENV = ("HUBPULSE_WINDOW_START", "HUBPULSE_WINDOW_END")

# The asset sets below: the names of their ops, which begin the names of their dbt commands' target folders.
DBT_ASSET_OPS = INPUTS_OP, DAILY_OP, MARTS_OP = ("dbt_inputs", "dbt_daily_models", "dbt_marts")
# The newest dbt command folders kept in a target folder (each holds the command's manifest, run results,
# compiled SQL and logs, about 6 MB here); older ones go after each build. Dagster keeps the runs' own records.
TARGET_FOLDERS_KEPT = 30

TRANSLATOR = HubpulseDbtTranslator(gx_checked_models=GX_CHECKED_MODELS, docs_home=get_settings().home)
MANIFEST = manifest_path()


def external_source_specs(manifest_file: Path = MANIFEST) -> list[dg.AssetSpec]:
    """The dbt sources that no Dagster asset writes (reference files dbt reads in place, the leaderboard) as
    external assets: in the raw group with their dbt description, columns and docs link, instead of the bare
    stubs Dagster would create for them."""
    manifest = json.loads(Path(manifest_file).read_text())
    specs = []
    for unique_id in sorted(manifest.get("sources", {})):
        spec = TRANSLATOR.get_asset_spec(manifest, unique_id, hubpulse_dbt_project)
        if spec.key != RAW_ASSET_KEY:
            specs.append(spec.replace_attributes(automation_condition=None))
    return specs


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
    dbt: DbtCliResource,
    paths: HubpulsePaths,
    env: dict[str, str],
    window: tuple[dt.date, dt.date] | None = None,
):
    """`dbt build` of the set's selection (dbt started with `env` added), its outputs carrying row counts,
    previews and charts."""
    if paths.raw_uri is not None:  # the raw layer as the resource resolved it (a relative folder made absolute)
        env = {**env, "HUBPULSE_RAW_URI": str(paths.raw_root)}
    target = invocation_target_path(context, paths.root)
    seeded = seed_partial_parse(target, paths.root)  # the home's parse: dbt parses only what changed since
    try:
        with patched_environ(env):  # `cli` starts dbt with a copy of this process's environment
            invocation = dbt.cli(["build"], context=context, target_path=target)
        yield from with_warehouse_metadata(
            invocation.stream(),
            invocation.manifest,
            paths.warehouse,
            context.log,
            window=window,
            charts_dir=paths.root / "charts",
        )
    finally:  # a failed build parsed all the same
        try:
            kept = keep_partial_parse(target, paths.root, seeded)
        except OSError as error:  # only a cache: the build's own outcome (or error) stands
            context.log.warning(f"dbt's parse not kept for the home ({partial_parse_file(paths.root)}): {error}")
        else:
            if kept:
                context.log.info(f"dbt parsed the project: its parse is now the home's ({partial_parse_file(paths.root)})")
        try:
            prune_target_folders(target.parent)
        except OSError as error:
            context.log.warning(f"old dbt target folders not deleted from {target.parent}: {error}")


def target_folders_root(home: Path) -> Path:
    """Where the dbt commands' target folders go: DBT_TARGET_PATH when set (relative to the dbt project, as
    dbt reads it), else the home's `dbt/target` (not the project's: one checkout may serve several homes, and the
    folders of a home's daily runs belong with its warehouse)."""
    configured = os.environ.get("DBT_TARGET_PATH", "").strip()
    if not configured:
        return Path(home) / "dbt" / "target"
    base = Path(configured)
    return base if base.is_absolute() else Path(hubpulse_dbt_project.project_dir) / base


def invocation_target_path(context: dg.AssetExecutionContext, home: Path) -> Path:
    """A new target folder for one dbt command, named as dagster-dbt names its own (op, run id, a random suffix):
    given explicitly so the home's parse is in it first."""
    name = f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    return target_folders_root(home) / name


def prune_target_folders(root: Path, keep: int = TARGET_FOLDERS_KEPT) -> list[Path]:
    """Delete all but the `keep` newest dbt command folders in `root` (those named `<asset op>-<run>-<suffix>`
    by invocation_target_path; anything else there is left alone). Returns the deleted folders."""
    ours = [
        folder for folder in root.iterdir()
        if folder.is_dir() and len(parts := folder.name.split("-")) == 3 and parts[0] in DBT_ASSET_OPS
    ] if root.is_dir() else []
    ours.sort(key=lambda folder: folder.stat().st_mtime_ns, reverse=True)
    for folder in ours[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
    return ours[keep:]


@dbt_assets(
    manifest=MANIFEST,
    project=hubpulse_dbt_project,
    select=INPUTS_SELECT,
    exclude=DAILY_SELECT,
    dagster_dbt_translator=TRANSLATOR,
    name=INPUTS_OP,
    pool=WAREHOUSE_POOL,
)
def dbt_inputs(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: HubpulsePaths):
    """Seeds, staging views and lookups the daily incrementals read."""
    # `buildable`: only tests whose models are all here or upstream; a mart's test on a staging model runs
    # with the mart.
    yield from build(context, dbt, paths, {"DBT_INDIRECT_SELECTION": "buildable"})


@dbt_assets(
    manifest=MANIFEST,
    project=hubpulse_dbt_project,
    select=DAILY_SELECT,
    partitions_def=daily_snapshot_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=TRANSLATOR,
    name=DAILY_OP,
    pool=WAREHOUSE_POOL,
)
def dbt_daily_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: HubpulsePaths):
    """Snapshot-grain staging, daily downloads and velocity, rebuilt for the run's window of days."""
    start, end = partition_window(context)
    context.log.info(f"dbt window {start} .. {end}")
    # The window reaches dbt as environment variables, not `--vars`: a change of `--vars` makes dbt re-parse
    # the whole project, every run. `cautious`: the facts' key tests live on the dimensions
    # (`contains_keys_of`), which this set does not build; eager selection would pull them in here, before the
    # dimensions know the window's new models.
    env = {**window_env(start, end), "DBT_INDIRECT_SELECTION": "cautious"}
    yield from build(context, dbt, paths, env, window=(start, end))


@dbt_assets(
    manifest=MANIFEST,
    project=hubpulse_dbt_project,
    exclude=INPUTS_SELECT,
    dagster_dbt_translator=TRANSLATOR,
    name=MARTS_OP,
    pool=WAREHOUSE_POOL,
)
def dbt_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: HubpulsePaths):
    """Dimensions and the cadence, derivatives, supply-chain and ecosystem-vs-benchmark marts."""
    yield from build(context, dbt, paths, {})

