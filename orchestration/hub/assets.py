"""The raw layer: `hub_model_snapshots`, one immutable Parquet partition per snapshot date."""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at definition time.
import datetime as dt
import time
import warnings
from pathlib import Path

import dagster as dg

from orchestration.hub import rawstore
from orchestration.hub.archive import ArchiveError, default_taken_at, parse_snapshot_date, snapshot_taken_at
from orchestration.hub.client import HubClient, InsecureEndpointError, LiveHistoryError, MissingSnapshotError
from orchestration.hub.partitions import daily_snapshot_partitions
from orchestration.hub.scope import Scope
from orchestration.hub.snapshots import build_snapshot_rows, gc_paused, write_snapshot_partition
from orchestration.pools import HUB_API_POOL
from orchestration.resources import HubpulsePaths
from orchestration.settings import get_settings

# BackfillPolicy is marked beta, but single-run backfills are what the issue asks for: silence the notice.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

PREVIEW_COLUMNS = ("snapshot_date", "id", "author", "created_at", "downloads", "downloads_all_time", "likes",
                   "pipeline_tag", "library_name", "gated", "fetched_at")
PREVIEW_ROWS = 10
PROGRESS_SECONDS = 10.0


def partition_preview(path) -> dg.MetadataValue:
    """The most downloaded models of a written partition, as a table for the UI."""
    import pyarrow.compute as pc

    table = rawstore.read_table(path, list(PREVIEW_COLUMNS))
    if table.num_rows:
        order = pc.sort_indices(table, sort_keys=[("downloads", "descending"), ("id", "ascending")])
        table = table.take(order[:PREVIEW_ROWS])
    records = [
        dg.TableRecord({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()})
        for row in table.to_pylist()
    ]
    schema = dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in table.schema])
    return dg.MetadataValue.table(records=records, schema=schema)


# Retrying cannot help these: a missing or future date, a broken archive, a token that would travel in clear text.
PERMANENT_ERRORS = (LiveHistoryError, MissingSnapshotError, ArchiveError, InsecureEndpointError)


def ingest_retry_policy() -> dg.RetryPolicy:
    """Retries of the whole step after the client's own per-request retries gave up (the Hub down for a while).

    `HUBPULSE_INGEST_RETRIES` (default 3) and `HUBPULSE_INGEST_RETRY_DELAY_SECONDS` (default 120, doubled each
    time, with jitter). Permanent errors (see PERMANENT_ERRORS) fail at once.
    """
    settings = get_settings()
    return dg.RetryPolicy(
        max_retries=settings.ingest_retries, delay=settings.ingest_retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS,
    )


@dg.asset(
    partitions_def=daily_snapshot_partitions,
    # A backfill of many days is one run (one process, one local Hub), not one run per day.
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"huggingface", "parquet", "great_expectations"},
    group_name="raw",
    # One crawl at a time across runs (a schedule tick and a backfill), so together they respect the rate limit.
    pool=HUB_API_POOL,
    retry_policy=ingest_retry_policy(),
    owners=["team:hubpulse"],
    tags={"layer": "raw"},
)
def hub_model_snapshots(
    context: dg.AssetExecutionContext, hub: HubClient, scope: Scope, paths: HubpulsePaths
):
    """Daily snapshot of the tracked models on the Hugging Face Hub, exactly as the Hub API returned them."""
    try:
        yield from _ingest(context, hub, scope, paths)
    except PERMANENT_ERRORS as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error


def snapshot_instant(hub: HubClient, day: dt.date) -> dt.datetime:
    """The instant partition `day` describes, taken just before its listings start.

    Live: now (UTC), the instant the day's listing starts: the Hub as it is then (normally the schedule's
    HUBPULSE_DAILY_AT, 02:00 UTC, of day `day`); a repo created later that day is first listed in the next
    partition. Local: the instant the archive says its snapshot was taken (`archive.snapshot_taken_at`: the
    date's sidecar, or the end of the date), since the local Hub serves that snapshot; the end of the date when
    the archive folder is not known (a `serve-hub` endpoint without HUBPULSE_ARCHIVE).
    """
    if hub.source == "live":
        return dt.datetime.now(dt.UTC)
    if hub.archive_dir:
        return snapshot_taken_at(Path(hub.archive_dir), day)
    return default_taken_at(day)


def _ingest(context: dg.AssetExecutionContext, hub: HubClient, scope: Scope, paths: HubpulsePaths):
    keys = context.partition_keys
    days = [parse_snapshot_date(key) for key in keys]
    hub.check_dates(days)  # fail before any request when a date cannot be served
    totals = {"rows": 0, "pages": 0, "retries": 0}
    started = last_progress = time.monotonic()
    with hub.serving() as endpoint_for:
        for done, (key, day) in enumerate(zip(keys, days, strict=True), start=1):
            day_started = time.monotonic()
            fetched_at = snapshot_instant(hub, day)
            with gc_paused():
                items, stats = hub.fetch_snapshot(day, scope, endpoint_for(day), log=context.log.info)
                rows = build_snapshot_rows(items, day, fetched_at)
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
                    # a folder path or an s3:// URI (never credentials: those stay in botocore's environment)
                    "path": dg.MetadataValue.path(str(path)),
                    "dagster/row_count": rows.rows,
                    "preview": partition_preview(path),
                },
                partition_key=key,
            )
            # Progress of a range every PROGRESS_SECONDS (each log line is a stored event; the per-partition
            # figures are in each partition's materialization metadata).
            if len(days) > 1 and (
                done in (1, len(days)) or time.monotonic() - last_progress >= PROGRESS_SECONDS
            ):
                last_progress = time.monotonic()
                context.log.info(
                    f"partition {done}/{len(days)} {key}: {rows.rows} models, {stats.pages} pages, "
                    f"{stats.retries} retries ({time.monotonic() - started:.0f}s so far)"
                )
    yield dg.MaterializeResult(
        metadata={
            "partitions_in_run": len(days),
            "date_range": f"{keys[0]} .. {keys[-1]}",
            "rows_in_run": totals["rows"],
            "pages_in_run": totals["pages"],
            "retries_in_run": totals["retries"],
            "run_seconds": round(time.monotonic() - started, 3),
        }
    )
