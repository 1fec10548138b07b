"""Moving history in and out of raw partitions: `hubpulse import-archive` (the Hub's JSON lines and the trackers'
formats of `trackers.py`) and `hubpulse export-archive`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

from orchestration.hub.archive import (
    default_taken_at,
    meta_filename,
    write_snapshot,
    write_snapshot_taken_at,
)
from orchestration.hub.snapshots import (
    build_snapshot_rows,
    gc_paused,
    list_partitions,
    read_partition_fetched_at,
    read_partition_items,
    write_snapshot_partition,
)
from orchestration.hub.trackers import detect_format, open_archive


def import_archive(
    archive_dir: Path,
    raw_root: Path,
    rejects_root: Path,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    log: Callable[[str], None] = print,
    format: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> list[dict]:
    """Load every snapshot date of an archive folder (optionally within [start, end]) into raw partitions.

    `format` is one of `trackers.FORMATS` (the Hub's JSON lines, a per-model daily series, daily full-listing
    Parquet files); None detects it from the file names, refusing a folder that mixes formats. `columns` maps a
    series' column names (`trackers.series_columns`).

    Each date is read and validated whole before its partition is written (atomically), so a bad line, row or
    column fails that date with the file and the line, row or column named and leaves its previous partition
    untouched; a series is validated whole, every file, before any date is written.
    Each partition's `fetched_at` is the instant the archive says the snapshot was taken (a `fetched_at` column,
    or its `YYYY-MM-DD.meta.json` sidecar; the end of the date without either, see `archive.snapshot_taken_at`).
    Returns one summary per imported date.
    """
    fmt = detect_format(archive_dir, format)
    chosen = open_archive(archive_dir, fmt, start=start, end=end, columns=columns)
    if not chosen:
        raise ValueError(f"no snapshot files in {archive_dir} between {start or 'the start'} and {end or 'the end'}")
    summaries = []
    for index, snapshot in enumerate(chosen, start=1):
        with gc_paused():
            items, taken_at = snapshot.load()
            rows = build_snapshot_rows(items, snapshot.day, taken_at)
        write_snapshot_partition(raw_root, rejects_root, rows)
        summary = {"snapshot_date": snapshot.day.isoformat(), "file": snapshot.source, "format": fmt, **rows.summary()}
        summaries.append(summary)
        if index % 50 == 0 or index == len(chosen):
            log(f"imported {index}/{len(chosen)} dates (last {snapshot.day}: {rows.rows} models, "
                f"{rows.rejects.num_rows} rejected)")
    return summaries


def export_archive(raw_root: Path, out_dir: Path, *, gz: bool = True) -> list[Path]:
    """Write every raw partition back out in the archive format, items exactly as received.

    A partition's recorded `fetched_at` goes to the date's sidecar (`YYYY-MM-DD.meta.json`) unless it is the
    default (the end of the date), which an archive states by having no sidecar; a stale sidecar is removed.
    Returns the snapshot files written.
    """
    written = []
    for day in list_partitions(raw_root):
        written.append(write_snapshot(out_dir, day, read_partition_items(raw_root, day), gz=gz))
        fetched_at = read_partition_fetched_at(raw_root, day)
        if fetched_at is not None and fetched_at != default_taken_at(day):
            write_snapshot_taken_at(out_dir, day, fetched_at)
        else:
            (Path(out_dir) / meta_filename(day)).unlink(missing_ok=True)
    return written
