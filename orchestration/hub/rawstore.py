"""Raw partitions on a local folder or an S3-compatible object store: one code path over fsspec.

A raw root (`<HUBPULSE_RAW_URI>/hub_models`, by default `$HUBPULSE_HOME/raw/hub_models`; the rejects beside it)
holds one Hive-style partition per snapshot date, `<root>/snapshot_date=YYYY-MM-DD/part-0.parquet`. A root is a
`Path` (a folder) or an `s3://bucket/prefix/...` string; every reader and writer of the layout (the ingestion,
the importers, the raw quality checks, the doctor, `hubpulse build` and dbt-duckdb through the `filesystems:`
of `dbt_project/profiles.yml`) goes through the functions here, so both kinds of root share the code.

How a reader can tell a partition is complete: it exists exactly when its final key
`snapshot_date=YYYY-MM-DD/part-0.parquet` does, and a final key only ever holds a whole file. Every reader
finds partitions by the glob `snapshot_date=*/*.parquet` (dbt) or `snapshot_date=*/part-0.parquet` (here).
- Local folder: the file is written in full to a hidden temporary `.part-0.parquet.<pid>.<random>.tmp` beside
  the final name (no `*.parquet` glob matches it), fsynced, and renamed over the final name (atomic in POSIX).
- Object store: there is no rename. The file is uploaded in full to a temporary key under `<root>/_staging/`,
  outside the `snapshot_date=*/` glob, then published by a server-side copy to the final key (S3 has no partial
  objects: a PUT or COPY is seen whole or not at all) and the temporary is deleted. The upload, the long step and
  the likely place of a crash, touches no key a reader lists; publishing is one copy.
A writer killed at any point leaves the final key as it was (the previous partition, or none) and at worst a
temporary that no reader matches. The next write into the root deletes the temporaries whose writer is gone: on
this host, a temporary whose pid no longer runs; from another host (object store only), one older than
`STALE_AFTER`. (A folder is swept on a process's first write into it, an object store before every write.)

Credentials and the endpoint of an object store are botocore's own environment variables (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL): nothing here reads, stores or prints them.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import socket
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    import fsspec
    import pyarrow as pa

PARTITION_FILE = "part-0.parquet"
STAGING = "_staging"  # temporaries of an object-store root: outside every `snapshot_date=*` glob
STALE_AFTER = dt.timedelta(hours=6)  # another host's temporary older than this belongs to a dead writer
_TMP_SUFFIX = ".tmp"

RawRoot = Path | str


# ------------------------------------------------------------------------------------------------ locations


def is_remote(root: RawRoot) -> bool:
    """Whether `root` names an object store (`s3://...`) rather than a local folder."""
    return isinstance(root, str) and "://" in root


def join(root: RawRoot, *parts: str) -> RawRoot:
    """`root/part/...`: a `Path` for a folder, a `/`-joined URI for an object store."""
    if is_remote(root):
        return "/".join([str(root).rstrip("/"), *parts])
    return Path(root).joinpath(*parts)


def partition_dir(root: RawRoot, day: dt.date) -> RawRoot:
    """`root/snapshot_date=YYYY-MM-DD`: the Hive-style folder (or key prefix) of one date."""
    return join(root, f"snapshot_date={day.isoformat()}")


def partition_file(root: RawRoot, day: dt.date) -> RawRoot:
    """`root/snapshot_date=YYYY-MM-DD/part-0.parquet`: the final name of one date's file."""
    return join(root, f"snapshot_date={day.isoformat()}", PARTITION_FILE)


@functools.lru_cache(maxsize=8)
def _s3(endpoint: str | None, key_id: str | None, region: str | None) -> fsspec.AbstractFileSystem:
    import s3fs

    # botocore reads the credentials and endpoint itself; the arguments only key the cache, so a process whose
    # AWS environment changes (a test starting its own server) gets a filesystem for the new one. No listing
    # cache: another process (a Dagster run, dbt) writes the same root.
    return s3fs.S3FileSystem(use_listings_cache=False, skip_instance_cache=True)


def filesystem(root: RawRoot) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem of `root` and the path of `root` within it."""
    if is_remote(root):
        scheme, _, rest = str(root).partition("://")
        if scheme not in ("s3", "s3a"):
            raise ValueError(f"unsupported raw location {scheme}://: use s3://bucket/prefix or a folder")
        env = os.environ
        return _s3(env.get("AWS_ENDPOINT_URL"), env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_DEFAULT_REGION")), rest
    from fsspec.implementations.local import LocalFileSystem

    return LocalFileSystem(), str(Path(root))


# --------------------------------------------------------------------------------------------------- reading


def exists(path: RawRoot) -> bool:
    fs, p = filesystem(path)
    return fs.exists(p)


def size(path: RawRoot) -> int:
    """Bytes of one file."""
    fs, p = filesystem(path)
    return int(fs.size(p))


def modified(path: RawRoot) -> dt.datetime:
    """When one file was last written (UTC)."""
    fs, p = filesystem(path)
    if not is_remote(path):
        return dt.datetime.fromtimestamp(Path(p).stat().st_mtime, dt.UTC)
    return fs.modified(p).astimezone(dt.UTC)


def read_table(path: RawRoot, columns: list[str] | None = None) -> pa.Table:
    """One Parquet file as an Arrow table (pyarrow reads a local file natively, an object through fsspec)."""
    import pyarrow.parquet as pq

    fs, p = filesystem(path)
    return pq.read_table(p, columns=columns, filesystem=fs)


def read_schema(path: RawRoot) -> pa.Schema:
    """The Arrow schema in one Parquet file's footer."""
    import pyarrow.parquet as pq

    fs, p = filesystem(path)
    with fs.open(p, "rb") as fh:
        return pq.read_schema(fh)


def num_rows(path: RawRoot) -> int:
    """Rows of one Parquet file, from its footer."""
    import pyarrow.parquet as pq

    fs, p = filesystem(path)
    with fs.open(p, "rb") as fh:
        return pq.ParquetFile(fh).metadata.num_rows


_PARTITION = re.compile(r"snapshot_date=(\d{4}-\d{2}-\d{2})$")


def list_partitions(root: RawRoot) -> list[dt.date]:
    """Dates that have a complete partition (a final `part-0.parquet`), sorted.

    In a bucket, one flat listing of the keys under `<root>/snapshot_date=` (a request per 1,000 keys): s3fs's
    `glob` walks the pattern one folder at a time, about 4 requests a partition (bench/object_store.py measured
    1,461 requests for 365 partitions)."""
    fs, p = filesystem(root)
    base = p.rstrip("/")
    if is_remote(root):
        found = fs.find(base, prefix="snapshot_date=")
    elif Path(p).is_dir():
        found = fs.glob(f"{base}/snapshot_date=*/{PARTITION_FILE}")
    else:
        return []
    days = []
    for path in found:
        folder, name = path.rstrip("/").rsplit("/", 2)[-2:]
        match = _PARTITION.search(folder)
        if match and name == PARTITION_FILE:
            days.append(dt.date.fromisoformat(match.group(1)))
    return sorted(days)


# --------------------------------------------------------------------------------------------------- writing


def _write_parquet(table: pa.Table, path: str) -> None:
    import pyarrow.parquet as pq

    # Row groups sized for DuckDB's parallel scan; no timestamps in the file, so equal rows give equal bytes.
    pq.write_table(table, path, compression="zstd", row_group_size=122_880, write_statistics=True)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "host"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _contained(path: Path, root: Path) -> Path:
    """`path`, after checking it resolves inside `root` (a planted symlink must not redirect a write)."""
    resolved_root = Path(root).resolve()
    if not path.resolve().is_relative_to(resolved_root):
        raise ValueError(f"refusing to write {path}: it resolves outside {resolved_root} (a symlink?)")
    return path


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Staged:
    """One file written in full under a temporary name, waiting to be published to its final name."""

    def __init__(self, root: RawRoot, day: dt.date, temporary: RawRoot):
        self.root, self.day, self.temporary = root, day, temporary
        self.target = partition_file(root, day)

    def publish(self) -> None:
        """Make the file visible under its final name, whole (a rename, or a server-side copy)."""
        if is_remote(self.root):
            fs, _ = filesystem(self.root)
            fs.copy(filesystem(self.temporary)[1], filesystem(self.target)[1])
            fs.rm_file(filesystem(self.temporary)[1])
        else:
            os.replace(self.temporary, self.target)

    def discard(self) -> None:
        """Remove the temporary (a failed write)."""
        if is_remote(self.root):
            fs, p = filesystem(self.temporary)
            try:
                fs.rm_file(p)
            except FileNotFoundError:
                pass
        else:
            Path(self.temporary).unlink(missing_ok=True)


def stage(table: pa.Table, root: RawRoot, day: dt.date) -> Staged:
    """Write `table` in full under a temporary name no reader matches (see the module docstring)."""
    if is_remote(root):
        fs, p = filesystem(root)
        key = f"{p.rstrip('/')}/{STAGING}/{day.isoformat()}~{_host()}~{os.getpid()}~{uuid.uuid4().hex}{_TMP_SUFFIX}"
        fd, local = tempfile.mkstemp(prefix="hubpulse-raw-", suffix=".parquet")
        os.close(fd)
        try:
            _write_parquet(table, local)
            fs.put_file(local, key)
        finally:
            Path(local).unlink(missing_ok=True)
        return Staged(root, day, f"{str(root).split('://', 1)[0]}://{key}")
    target = _contained(Path(partition_file(root, day)), Path(root))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=_TMP_SUFFIX, dir=target.parent)
    os.close(fd)
    try:
        _write_parquet(table, tmp)
        with open(tmp, "rb") as fh:
            os.fchmod(fh.fileno(), 0o644)  # mkstemp makes 0600; BI tools and other users read raw files
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Staged(root, day, Path(tmp))


def remove(root: RawRoot, day: dt.date) -> None:
    """Delete one date's file, when there is one."""
    fs, p = filesystem(partition_file(root, day))
    if is_remote(root):
        try:
            fs.rm_file(p)
        except FileNotFoundError:
            pass
    else:
        _contained(Path(p), Path(root)).unlink(missing_ok=True)


def sync(root: RawRoot, day: dt.date) -> None:
    """Make a local partition's rename durable (fsync its folder); nothing to do on an object store."""
    folder = partition_dir(root, day)
    if not is_remote(root) and Path(folder).is_dir():
        _fsync_dir(Path(folder))


# ----------------------------------------------------------------------------------------- crash leftovers


def _is_stale_local(path: Path) -> bool:
    """`.part-0.parquet.<pid>.<random>.tmp` of a writer that no longer runs (killed mid-write)."""
    rest = path.name[len(f".{PARTITION_FILE}.") : -len(_TMP_SUFFIX)]
    pid = rest.split(".", 1)[0]
    return not (pid.isdigit() and _pid_alive(int(pid)))


def _is_stale_remote(name: str, written: dt.datetime | None, now: dt.datetime) -> bool:
    """`<date>~<host>~<pid>~<random>.tmp` of a writer that no longer runs (this host) or long gone (another)."""
    fields = name[: -len(_TMP_SUFFIX)].split("~")
    if len(fields) != 4 or not fields[2].isdigit():
        return written is None or now - written > STALE_AFTER
    if fields[1] == _host():
        return not _pid_alive(int(fields[2]))
    return written is None or now - written > STALE_AFTER


def remove_stale_temporaries(root: RawRoot) -> list[RawRoot]:
    """Delete what writers killed mid-write left under a root; return what was removed.

    A live writer's temporary (its pid, and on an object store its host, is in the name) is left alone, so two
    runs can share a root.
    """
    removed: list[RawRoot] = []
    if not is_remote(root):
        for path in Path(root).glob(f"snapshot_date=*/.{PARTITION_FILE}.*{_TMP_SUFFIX}"):
            if _is_stale_local(path):
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed
    fs, p = filesystem(root)
    scheme = str(root).split("://", 1)[0]
    now = dt.datetime.now(dt.UTC)
    try:
        entries = fs.ls(f"{p.rstrip('/')}/{STAGING}", detail=True)
    except FileNotFoundError:
        return removed
    for entry in entries:
        key = entry["name"]
        if entry.get("type") != "file" or not key.endswith(_TMP_SUFFIX):
            continue
        written = entry.get("LastModified")
        if _is_stale_remote(key.rsplit("/", 1)[-1], written, now):
            try:
                fs.rm_file(key)
            except FileNotFoundError:
                continue
            removed.append(f"{scheme}://{key}")
    return removed


_swept: set[str] = set()  # roots whose leftovers this process has already removed


def sweep_once(root: RawRoot) -> None:
    """`remove_stale_temporaries(root)` before a write: on a folder the first time this process writes into it
    (a walk of every partition folder), on an object store before every write (one listing of `_staging/`)."""
    if is_remote(root):
        remove_stale_temporaries(root)
        return
    key = str(Path(root).resolve())
    if key not in _swept:
        remove_stale_temporaries(root)
        _swept.add(key)


# ------------------------------------------------------------------------------------------------ DuckDB


def register(con: duckdb.DuckDBPyConnection, root: RawRoot) -> None:
    """Let DuckDB read `root` (`read_parquet('s3://...')`) through fsspec: DuckDB's own httpfs extension is not
    needed (nor installable offline). Nothing to do for a folder."""
    if is_remote(root):
        fs, _ = filesystem(root)
        con.register_filesystem(fs)
