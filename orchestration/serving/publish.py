"""The published, read-only copy of the marts that BI tools and the dashboard read.

A run writes `<HUBPULSE_HOME>/warehouse.duckdb`; DuckDB lets no other process open a file while one writes it
(not even read-only), and DuckDB 2.0 files cannot be read by the DuckDB 1.x many BI drivers bundle. So after a
successful build the marts are published to `<HUBPULSE_HOME>/serving/`:

    serving/
      versions/<version>/hubpulse.duckdb        every mart as a table in schema `marts`, plus `meta.publication`
                                                and `meta.tables`; written in DuckDB's v1.0 storage format
      versions/<version>/parquet/<mart>.parquet one file per mart (zstd; the version in its key-value metadata)
      versions/<version>/manifest.json          version, publish time, snapshot date range, run id, row counts
      current -> versions/<version>             swapped atomically (rename of a symlink) on each publish
      hubpulse.duckdb -> current/hubpulse.duckdb
      parquet -> current/parquet
      manifest.json -> current/manifest.json

A version folder is complete (files written, fsynced, read-only) before `current` points at it, and is never
modified afterwards, so a reader sees either the old or the new version, never a mix, and no reader ever holds
a lock a run needs. To read several tables of one version, resolve `current` once (`current_version_dir`) and
read from that folder. The last `keep` versions are kept, so a reader that resolved `current` just before a
publish can finish.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a publication runs: the code location loads without DuckDB
    import duckdb

SERVING_DIRNAME = "serving"
VERSIONS_DIRNAME = "versions"
CURRENT_LINK = "current"
DUCKDB_NAME = "hubpulse.duckdb"
PARQUET_DIRNAME = "parquet"
MANIFEST_NAME = "manifest.json"
STABLE_LINKS = (DUCKDB_NAME, PARQUET_DIRNAME, MANIFEST_NAME)
MARTS_SCHEMA = "marts"
# The oldest DuckDB storage format the copy is written in: readable by DuckDB 1.0 and newer (and so by BI
# drivers that bundle DuckDB 1.x), not only by the DuckDB 2.0 that writes the warehouse.
STORAGE_VERSION = "v1.0.0"
# Where the snapshot date range of a publication is read from.
DATE_RANGE_SOURCE = ("fct_model_daily", "snapshot_date")
TMP_PREFIX = ".tmp-"
DEFAULT_KEEP = 3

Log = Callable[[str], None]


class PublishError(RuntimeError):
    """The warehouse could not be published; the previous serving version is untouched."""


@dataclass(frozen=True)
class Publication:
    """What one publish produced."""

    version: str
    directory: Path
    published_at: str
    newest_snapshot_date: str | None
    oldest_snapshot_date: str | None
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    removed_versions: tuple[str, ...] = ()

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())


def serving_dir(home: Path) -> Path:
    """`<HUBPULSE_HOME>/serving`."""
    return Path(home) / SERVING_DIRNAME


def current_version_dir(serving: Path) -> Path | None:
    """The folder of the current version, resolved once (None when nothing has been published)."""
    link = Path(serving) / CURRENT_LINK
    if not link.is_symlink():
        return None
    target = Path(os.path.realpath(link))
    return target if target.is_dir() else None


def read_manifest(serving: Path) -> dict | None:
    """The current version's manifest (with its folder under `directory`), or None when nothing is published."""
    directory = current_version_dir(serving)
    if directory is None:
        return None
    manifest = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest["directory"] = str(directory)
    return manifest


def list_versions(serving: Path) -> list[str]:
    """Published versions, oldest first (leftovers of interrupted publishes excluded)."""
    root = Path(serving) / VERSIONS_DIRNAME
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(TMP_PREFIX))


def publish(
    warehouse: Path,
    serving: Path,
    *,
    run_id: str | None = None,
    keep: int = DEFAULT_KEEP,
    lock_timeout_seconds: float = 120.0,
    log: Log | None = None,
) -> Publication:
    """Copy every relation of the warehouse's `marts` schema into a new serving version and switch to it."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1 (the current version), got {keep}")
    say = log or (lambda _message: None)
    warehouse = Path(warehouse)
    serving = Path(serving)
    if not warehouse.is_file():
        raise PublishError(f"no warehouse at {warehouse}: build it first (`make demo`, or the build_warehouse job)")
    versions = serving / VERSIONS_DIRNAME
    versions.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with _publish_lock(serving, lock_timeout_seconds):
        _check_links(serving)
        for leftover in versions.glob(f"{TMP_PREFIX}*"):
            say(f"removing {leftover.name}, left by an interrupted publish")
            _make_writable(leftover)  # a publish killed after sealing leaves it read-only
            shutil.rmtree(leftover)
        version = _new_version(versions)
        staging = versions / f"{TMP_PREFIX}{version}"
        staging.mkdir()
        try:
            manifest = _write_version(warehouse, staging, version, run_id, say)
            _seal(staging)
            final = versions / version
            os.rename(staging, final)
            _fsync_dir(versions)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _switch_current(serving, version)
        removed = _prune(serving, keep, say)
    publication = Publication(
        version=version,
        directory=final,
        published_at=manifest["published_at"],
        newest_snapshot_date=manifest["newest_snapshot_date"],
        oldest_snapshot_date=manifest["oldest_snapshot_date"],
        tables={name: entry["rows"] for name, entry in manifest["tables"].items()},
        seconds=round(time.monotonic() - started, 3),
        removed_versions=tuple(removed),
    )
    say(
        f"published version {version}: {len(publication.tables)} marts, {publication.total_rows:,} rows, "
        f"snapshots {publication.oldest_snapshot_date} .. {publication.newest_snapshot_date}, "
        f"{publication.seconds:.1f} s"
    )
    return publication


# ------------------------------------------------------------------------------------------------ internals


@contextlib.contextmanager
def _publish_lock(serving: Path, timeout_seconds: float) -> Iterator[None]:
    """One publisher at a time per serving folder (leftover clean-up must not delete a live staging folder)."""
    serving.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_seconds
    with open(serving / ".publish.lock", "a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PublishError(
                        f"another publish into {serving} has held its lock for over {timeout_seconds:.0f} s"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _new_version(versions: Path) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    existing = set(list_versions(versions.parent))
    version = stamp
    while version in existing or (versions / version).exists():
        version = f"{stamp}-{uuid.uuid4().hex[:6]}"
    return version


def _open_warehouse(warehouse: Path, timeout_seconds: float = 60.0) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only, waiting while another process (a dbt build) holds its write lock."""
    import duckdb

    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            con = duckdb.connect()
            con.execute(f"attach {_literal(warehouse)} as wh (read_only)")
            con.execute("use wh")
            return con
        except duckdb.IOException as error:
            con.close()
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise PublishError(f"cannot open {warehouse} to publish it: {error}") from error
            time.sleep(0.5)


def _write_version(warehouse: Path, staging: Path, version: str, run_id: str | None, say: Log) -> dict:
    parquet_dir = staging / PARQUET_DIRNAME
    parquet_dir.mkdir()
    target = staging / DUCKDB_NAME
    published_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    con = _open_warehouse(warehouse)
    try:
        relations = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'wh' "
                "and table_schema = ? order by table_name",
                [MARTS_SCHEMA],
            ).fetchall()
        ]
        if not relations:
            raise PublishError(f"{warehouse} has no relations in schema `{MARTS_SCHEMA}`: build the marts first")
        oldest, newest = _date_range(con, relations)
        con.execute(f"attach {_literal(target)} as pub (storage_version '{STORAGE_VERSION}')")
        con.execute(f"create schema pub.{MARTS_SCHEMA}")
        con.execute("create schema pub.meta")
        tables: dict[str, dict] = {}
        for name in relations:
            source = f"{MARTS_SCHEMA}.{_ident(name)}"
            con.execute(f"create table pub.{MARTS_SCHEMA}.{_ident(name)} as select * from {source}")
            rows = con.execute(f"select count(*) from pub.{MARTS_SCHEMA}.{_ident(name)}").fetchone()[0]
            parquet = parquet_dir / f"{name}.parquet"
            con.execute(
                f"copy (select * from pub.{MARTS_SCHEMA}.{_ident(name)}) to {_literal(parquet)} "
                f"(format parquet, compression zstd, kv_metadata {{hubpulse_version: {_literal(version)}}})"
            )
            tables[name] = {"rows": int(rows), "parquet": f"{PARQUET_DIRNAME}/{name}.parquet"}
            say(f"  {name}: {rows:,} rows")
        con.execute(
            "create table pub.meta.publication as select ?::varchar as version, ?::timestamptz as published_at, "
            "?::date as oldest_snapshot_date, ?::date as newest_snapshot_date, ?::varchar as run_id",
            [version, published_at, oldest, newest, run_id],
        )
        con.execute("create table pub.meta.tables (table_name varchar, row_count bigint)")
        con.executemany(
            "insert into pub.meta.tables values (?, ?)", [(n, e["rows"]) for n, e in tables.items()]
        )
        con.execute("detach pub")
    finally:
        con.close()
    manifest = {
        "version": version,
        "published_at": published_at,
        "oldest_snapshot_date": oldest,
        "newest_snapshot_date": newest,
        "run_id": run_id,
        "source": str(warehouse),
        "duckdb_storage_version": STORAGE_VERSION,
        "tables": tables,
    }
    (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _date_range(con: duckdb.DuckDBPyConnection, relations: list[str]) -> tuple[str | None, str | None]:
    table, column = DATE_RANGE_SOURCE
    if table not in relations:
        return None, None
    low, high = con.execute(
        f"select min({_ident(column)}), max({_ident(column)}) from {MARTS_SCHEMA}.{_ident(table)}"
    ).fetchone()
    return (low.isoformat() if low else None), (high.isoformat() if high else None)


def _seal(staging: Path) -> None:
    """fsync every file and folder of a finished version, then make it read-only."""
    for path in sorted(staging.rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
            path.chmod(0o444)
        elif path.is_dir():
            _fsync_dir(path)
            path.chmod(0o555)
    _fsync_dir(staging)
    staging.chmod(0o555)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_symlink(link: Path, target: str) -> None:
    """Point `link` at `target` atomically: a new symlink renamed over the old one."""
    tmp = link.with_name(f"{TMP_PREFIX}{link.name}-{uuid.uuid4().hex[:8]}")
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _check_links(serving: Path) -> None:
    for name in (*STABLE_LINKS, CURRENT_LINK):
        link = serving / name
        if link.exists() and not link.is_symlink():
            raise PublishError(f"{link} is a regular file or folder, not hubpulse's link into `current`: move it")


def _switch_current(serving: Path, version: str) -> None:
    _check_links(serving)
    for name in STABLE_LINKS:
        link = serving / name
        if not link.is_symlink():
            _replace_symlink(link, f"{CURRENT_LINK}/{name}")
    _replace_symlink(serving / CURRENT_LINK, f"{VERSIONS_DIRNAME}/{version}")
    _fsync_dir(serving)


def _prune(serving: Path, keep: int, say: Log) -> list[str]:
    current = current_version_dir(serving)
    removed = []
    for version in list_versions(serving)[:-keep]:
        path = serving / VERSIONS_DIRNAME / version
        if current is not None and path.resolve() == current:
            continue
        _make_writable(path)
        shutil.rmtree(path)
        removed.append(version)
        say(f"removed old version {version}")
    for stray in serving.glob(f"{TMP_PREFIX}*"):
        stray.unlink(missing_ok=True)
    return removed


def _make_writable(path: Path) -> None:
    path.chmod(0o755)
    for child in path.rglob("*"):
        child.chmod(0o755 if child.is_dir() else 0o644)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"
