"""The archive format: one file of Hub API model items per snapshot date.

`DIR/YYYY-MM-DD.jsonl` or `DIR/YYYY-MM-DD.jsonl.gz`, one JSON object per line, each exactly as
`GET /api/models?expand=...` returned it. The simulator writes it, the local Hub serves it,
`hubpulse import-archive` loads it and ingestion can export it. Anything else in the folder
(a `ground_truth/` subfolder, a README) is ignored; a `.jsonl` file whose name is not a date is an error.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

# DOTALL and fullmatch: a name with a newline in it is still looked at, and refused, rather than skipped.
_SNAPSHOT_FILE = re.compile(r"(?P<stem>.+?)\.jsonl(?P<gz>\.gz)?", re.DOTALL)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ArchiveError(ValueError):
    """An archive file or line that cannot be used, with the file (and line) named."""


def parse_snapshot_date(value: str) -> dt.date:
    """Parse a strict `YYYY-MM-DD` date (partition keys, file names); anything else is an error."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
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
        match = _SNAPSHOT_FILE.fullmatch(path.name)
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


class LenientJSONObject(dict):
    """A JSON object parsed by the lenient fallback of `loads`: it may hold what orjson cannot write back as it
    came (NaN, Infinity, 1e400, lone surrogates), so writers must serialise it with the standard library."""

    __slots__ = ()


def loads(payload: bytes | str):
    """Parse JSON: orjson for speed, the standard library for what orjson refuses (NaN, Infinity, 1e400, lone
    surrogate escapes, nesting deeper than 255); objects parsed that way are `LenientJSONObject`.

    One deliberate inexactness, orjson's: an integer literal beyond 64 bits is read as the nearest float. The Hub
    is a JavaScript service, whose numbers are doubles, so it cannot send one; checking every page for one
    would cost a fifth of the parse. Raises `ValueError` (a `json.JSONDecodeError` with `msg` and `pos`) for
    anything that is not JSON, including nesting too deep for the standard library (never `RecursionError`).
    """
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(payload, object_hook=LenientJSONObject)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None


def _decode_line(raw: bytes, lineno: int) -> str:
    text = raw.decode("utf-8")
    if lineno == 1 and text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark some editors write: not part of the first item
    return text


def iter_snapshot_lines(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, item) for one snapshot file; a line that cannot be used raises `ArchiveError` naming
    the file and the line (malformed JSON, not an object, not UTF-8, or a compressed stream cut short there)."""
    path = Path(path)
    lineno = 0
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    try:
                        item = orjson.loads(raw)  # the fast path: bytes straight in
                    except orjson.JSONDecodeError:
                        item = loads(_decode_line(raw, lineno))
                except UnicodeDecodeError as exc:
                    raise ArchiveError(f"{path}:{lineno}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
                except json.JSONDecodeError as exc:
                    raise ArchiveError(f"{path}:{lineno}: malformed JSON ({exc.msg})") from None
                if not isinstance(item, dict):
                    raise ArchiveError(f"{path}:{lineno}: expected a JSON object, got {type(item).__name__}")
                yield lineno, item
    except (OSError, EOFError, zlib.error) as exc:
        # The line being read when the file gave out (a cut or corrupt gzip stream), or just the file.
        where = f"{path}:{lineno + 1}" if lineno or isinstance(exc, (EOFError, zlib.error)) else str(path)
        raise ArchiveError(f"{where}: cannot be read ({type(exc).__name__}: {exc})") from None


def iter_snapshot_items(path: Path) -> Iterator[dict]:
    """Yield the items of one snapshot file (see `iter_snapshot_lines` for the errors)."""
    for _lineno, item in iter_snapshot_lines(path):
        yield item


def read_snapshot(path: Path) -> list[dict]:
    """All items of one snapshot file (see `iter_snapshot_items`)."""
    return list(iter_snapshot_items(path))


def dumps_item(item: dict) -> str:
    """One archive line: compact JSON, key order as given, non-ASCII kept (deterministic)."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def _dumps_item_ascii(item: dict) -> str:
    # For an item holding a string that is not valid Unicode (a lone surrogate, which JSON can carry as an
    # escape): it cannot be written as UTF-8, so every non-ASCII character is escaped; it reads back the same.
    return json.dumps(item, ensure_ascii=True, separators=(",", ":"))


def _encode_lines(items: Iterable[dict]) -> bytes:
    items = list(items)
    lines = [dumps_item(item) + "\n" for item in items]
    try:
        return "".join(lines).encode("utf-8")
    except UnicodeEncodeError:
        out = []
        for item, line in zip(items, lines, strict=True):
            try:
                out.append(line.encode("utf-8"))
            except UnicodeEncodeError:
                out.append((_dumps_item_ascii(item) + "\n").encode("ascii"))
        return b"".join(out)


def write_snapshot(archive_dir: Path, day: dt.date, items: Iterable[dict], *, gz: bool = True) -> Path:
    """Write one snapshot file atomically (temporary file, then rename) and return its path.

    Byte-deterministic: gzip is written without a timestamp or file name, so equal items give equal bytes.
    """
    return write_snapshot_lines(archive_dir, day, _encode_lines(items), gz=gz)


def write_snapshot_lines(archive_dir: Path, day: dt.date, payload: bytes, *, gz: bool = True) -> Path:
    """Write one snapshot file of already encoded lines (`dumps_item` of each item, newline-terminated)."""
    archive_dir = Path(archive_dir)
    archive_dir.mkdir(parents=True, exist_ok=True)
    target = archive_dir / snapshot_filename(day, gz=gz)
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
