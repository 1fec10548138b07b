"""The raw layer: `hub_model_snapshots`, one immutable Parquet partition per snapshot date."""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at definition time.
import time
import warnings

import dagster as dg

from orchestration.hub.archive import parse_snapshot_date
from orchestration.hub.client import HubClient
from orchestration.hub.partitions import daily_snapshot_partitions
from orchestration.hub.snapshots import build_snapshot_rows, gc_paused, write_snapshot_partition
from orchestration.resources import HubpulsePaths, SnapshotScope

# BackfillPolicy is marked beta, but single-run backfills are what the issue asks for: silence the notice.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")


@dg.asset(
    partitions_def=daily_snapshot_partitions,
    # A backfill of many days is one run (one process, one local Hub), not one run per day.
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"huggingface", "parquet"},
    group_name="raw",
    owners=["team:hubpulse"],
    tags={"layer": "raw"},
)
def hub_model_snapshots(
    context: dg.AssetExecutionContext, hub: HubClient, scope: SnapshotScope, paths: HubpulsePaths
) -> dg.MaterializeResult:
    """Daily snapshot of the tracked models on the Hugging Face Hub, exactly as the Hub API returned them."""
    keys = context.partition_keys
    days = [parse_snapshot_date(key) for key in keys]
    hub.check_dates(days)  # fail before any request when a date cannot be served
    snapshot_scope = scope.scope()
    totals = {"rows": 0, "pages": 0, "retries": 0}
    started = time.monotonic()
    with hub.serving() as endpoint_for:
        for done, (key, day) in enumerate(zip(keys, days, strict=True), start=1):
            day_started = time.monotonic()
            with gc_paused():
                items, stats = hub.fetch_snapshot(day, snapshot_scope, endpoint_for(day), log=context.log.info)
                rows = build_snapshot_rows(items, day)
                del items
            path = write_snapshot_partition(paths.raw_models, paths.raw_rejects, rows)
            summary = rows.summary()
            totals["rows"] += rows.rows
            totals["pages"] += stats.pages
            totals["retries"] += stats.retries
            context.add_asset_metadata(
                {
                    **{k: v for k, v in summary.items() if k != "missing_fields"},
                    **stats.as_metadata(),
                    "seconds": round(time.monotonic() - day_started, 3),
                    "fields_missing": dg.MetadataValue.json(summary["missing_fields"]),
                    "path": dg.MetadataValue.path(str(path)),
                },
                partition_key=key,
            )
            if len(days) > 1:
                context.log.info(
                    f"partition {done}/{len(days)} {key}: {rows.rows} models, {stats.pages} pages, "
                    f"{stats.retries} retries ({time.monotonic() - started:.0f}s so far)"
                )
    return dg.MaterializeResult(
        metadata={
            "partitions_in_run": len(days),
            "date_range": f"{keys[0]} .. {keys[-1]}",
            "rows_in_run": totals["rows"],
            "pages_in_run": totals["pages"],
            "retries_in_run": totals["retries"],
            "run_seconds": round(time.monotonic() - started, 3),
        }
    )
