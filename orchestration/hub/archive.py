"""The archive format: one file of Hub API model items per snapshot date.

`DIR/YYYY-MM-DD.jsonl` or `DIR/YYYY-MM-DD.jsonl.gz`, one JSON object per line, each exactly as
`GET /api/models?expand=...` returned it. The simulator writes it, the local Hub serves it,
`hubpulse import-archive` loads it and ingestion can export it. Anything else in the folder
(a `ground_truth/` subfolder, a README) is ignored; a `.jsonl` file whose name is not a date is an error.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

_SNAPSHOT_FILE = re.compile(r"^(?P<stem>.+?)\.jsonl(?P<gz>\.gz)?$")


class ArchiveError(ValueError):
    """An archive file or line that cannot be used, with the file (and line) named."""


def parse_snapshot_date(value: str) -> dt.date:
    """Parse a strict `YYYY-MM-DD` date (partition keys, file names); anything else is an error."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ArchiveError(f"not a YYYY-MM-DD date: {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ArchiveError(f"not a valid calendar date: {value!r}") from exc


def snapshot_filename(day: dt.date, *, gz: bool = True) -> str:
    """File name of the snapshot of `day`."""
    return f"{day.isoformat()}.jsonl" + (".gz" if gz else "")


def list_snapshots(archive_dir: Path) -> dict[dt.date, Path]:
    """Map each snapshot date of an archive folder to its file, sorted by date.

    Raises `ArchiveError` for a missing folder, a snapshot file whose name is not a date, or a date
    present twice (`.jsonl` beside `.jsonl.gz`).
    """
    archive_dir = Path(archive_dir)
    if not archive_dir.is_dir():
        raise ArchiveError(f"archive folder does not exist: {archive_dir}")
    found: dict[dt.date, Path] = {}
    for path in sorted(archive_dir.iterdir()):
        match = _SNAPSHOT_FILE.match(path.name)
        if not match or not path.is_file() or path.name.startswith("."):
            continue
        try:
            day = parse_snapshot_date(match.group("stem"))
        except ArchiveError as exc:
            raise ArchiveError(f"{path}: snapshot file name must be YYYY-MM-DD.jsonl[.gz] ({exc})") from None
        if day in found:
            raise ArchiveError(f"{path}: duplicate snapshot for {day} (also {found[day].name})")
        found[day] = path
    return dict(sorted(found.items()))


def _loads(line: str):
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)  # NaN / Infinity, which orjson refuses and the standard library reads


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def iter_snapshot_items(path: Path) -> Iterator[dict]:
    """Yield the items of one snapshot file; a malformed line raises `ArchiveError` naming file and line."""
    path = Path(path)
    try:
        with _open_text(path) as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    item = _loads(line)
                except json.JSONDecodeError as exc:
                    raise ArchiveError(f"{path}:{lineno}: malformed JSON ({exc.msg})") from None
                if not isinstance(item, dict):
                    raise ArchiveError(f"{path}:{lineno}: expected a JSON object, got {type(item).__name__}")
                yield item
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{path}: cannot be read ({exc})") from None


def read_snapshot(path: Path) -> list[dict]:
    """All items of one snapshot file (see `iter_snapshot_items`)."""
    return list(iter_snapshot_items(path))


def dumps_item(item: dict) -> str:
    """One archive line: compact JSON, key order as given, non-ASCII kept (deterministic)."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def write_snapshot(archive_dir: Path, day: dt.date, items: Iterable[dict], *, gz: bool = True) -> Path:
    """Write one snapshot file atomically (temporary file, then rename) and return its path.

    Byte-deterministic: gzip is written without a timestamp or file name, so equal items give equal bytes.
    """
    archive_dir = Path(archive_dir)
    archive_dir.mkdir(parents=True, exist_ok=True)
    target = archive_dir / snapshot_filename(day, gz=gz)
    payload = "".join(dumps_item(item) + "\n" for item in items).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=archive_dir)
    try:
        with os.fdopen(fd, "wb") as raw:
            if gz:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as zf:
                    zf.write(payload)
            else:
                raw.write(payload)
            raw.flush()
            os.fchmod(raw.fileno(), 0o644)  # mkstemp makes 0600; an archive is meant to be shared
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
