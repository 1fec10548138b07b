"""Moving history in and out of raw partitions: `hubpulse import-archive` and `hubpulse export-archive`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from orchestration.hub.archive import (
    default_taken_at,
    iter_snapshot_items,
    list_snapshots,
    meta_filename,
    snapshot_taken_at,
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


def import_archive(
    archive_dir: Path,
    raw_root: Path,
    rejects_root: Path,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    log: Callable[[str], None] = print,
) -> list[dict]:
    """Load every snapshot file of an archive (optionally within [start, end]) into raw partitions.

    Each file is read and validated whole before its partition is written (atomically), so a malformed
    line fails that date with the file and line named and leaves its previous partition untouched.
    Each partition's `fetched_at` is the instant the archive says the snapshot was taken (its
    `YYYY-MM-DD.meta.json` sidecar; the end of the date without one, see `archive.snapshot_taken_at`).
    Returns one summary per imported date.
    """
    snapshots = list_snapshots(archive_dir)
    chosen = {d: p for d, p in snapshots.items() if (start is None or d >= start) and (end is None or d <= end)}
    if not chosen:
        raise ValueError(f"no snapshot files in {archive_dir} between {start or 'the start'} and {end or 'the end'}")
    summaries = []
    for index, (day, path) in enumerate(chosen.items(), start=1):
        taken_at = snapshot_taken_at(archive_dir, day)
        with gc_paused():
            rows = build_snapshot_rows(iter_snapshot_items(path), day, taken_at)
        write_snapshot_partition(raw_root, rejects_root, rows)
        summary = {"snapshot_date": day.isoformat(), "file": path.name, **rows.summary()}
        summaries.append(summary)
        if index % 50 == 0 or index == len(chosen):
            log(f"imported {index}/{len(chosen)} dates (last {day}: {rows.rows} models, {rows.rejects.num_rows} rejected)")
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
