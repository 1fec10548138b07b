"""The archive format: one file of Hub API model items per snapshot date.

`DIR/YYYY-MM-DD.jsonl` or `DIR/YYYY-MM-DD.jsonl.gz`, one JSON object per line, each exactly as
`GET /api/models?expand=...` returned it. The simulator writes it, the local Hub serves it,
`hubpulse import-archive` loads it and ingestion can export it. Anything else in the folder
(a `ground_truth/` subfolder, a README) is ignored; a `.jsonl` file whose name is not a date is an error.

The instant a snapshot was taken: a snapshot describes the Hub as it stood at one instant (a repo created at or
before it is listed, one created after it is not). An archive states that instant in a sidecar beside the date's
file, `DIR/YYYY-MM-DD.meta.json`:

    {"snapshot_date": "2025-01-20", "taken_at": "2025-01-20T02:00:00.000Z"}

`taken_at` is ISO 8601 with an explicit offset (UTC advised), not before the start of the date and before the end
of the day after it (a crawl of date d started late, after midnight, is still d's). Without a sidecar the instant
is the end of the date, `YYYY-MM-DDT23:59:59.999Z` (`default_taken_at`): the last instant the Hub's millisecond
timestamps can express on that date, so the snapshot holds every repo created on or before it. That is what the
simulator writes by default (and all it wrote before sidecars existed); the simulator's `fetch_at` option and
`hubpulse export-archive` of partitions that recorded their fetch instant write sidecars. A sidecar that cannot be
used is an error naming the file, never silently the default.
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


META_SUFFIX = ".meta.json"
_META_FILE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\.meta\.json")


def meta_filename(day: dt.date) -> str:
    """File name of the sidecar stating when the snapshot of `day` was taken."""
    return f"{day.isoformat()}{META_SUFFIX}"


def is_meta_filename(name: str) -> bool:
    """Whether `name` is a snapshot sidecar's name (`YYYY-MM-DD.meta.json`)."""
    return _META_FILE.fullmatch(name) is not None


def default_taken_at(day: dt.date) -> dt.datetime:
    """The instant a snapshot without a stated one describes: the end of its date, 23:59:59.999 UTC."""
    return dt.datetime.combine(day, dt.time(23, 59, 59, 999_000), tzinfo=dt.UTC)


def format_instant(instant: dt.datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC, milliseconds, like the Hub's `createdAt`)."""
    utc = instant.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_instant(value) -> dt.datetime:
    """An ISO 8601 instant with an explicit offset (`Z` or `+HH:MM`), as an aware UTC datetime; else ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"not an ISO 8601 instant: {value!r}")  # noqa: TRY004 (callers catch ValueError)
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no offset (write Z for UTC)")
    return parsed.astimezone(dt.UTC)


def check_taken_at(day: dt.date, instant: dt.datetime) -> dt.datetime:
    """`instant` (aware) in UTC, after checking a snapshot of `day` can have been taken then: not before the start
    of `day` and before the end of the next day (a crawl started after midnight is still the day's)."""
    if instant.tzinfo is None:
        raise ValueError(f"the instant {instant} of the snapshot {day} has no time zone")
    utc = instant.astimezone(dt.UTC)
    first = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    if not first <= utc < first + dt.timedelta(days=2):
        raise ValueError(f"a snapshot of {day} cannot have been taken at {format_instant(utc)} "
                         f"(allowed: {day} 00:00 UTC up to the end of the next day)")
    return utc


def snapshot_taken_at(archive_dir: Path, day: dt.date) -> dt.datetime:
    """The instant the archive says its snapshot of `day` was taken, or `default_taken_at(day)` without a sidecar.

    Raises `ArchiveError` naming the sidecar when it is not a JSON object with a usable `taken_at`, names another
    date, or states an instant the date cannot have been taken at (`check_taken_at`).
    """
    path = Path(archive_dir) / meta_filename(day)
    if not path.is_file():
        return default_taken_at(day)
    try:
        meta = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(meta, dict) or "taken_at" not in meta:
        raise ArchiveError(f"{path}: expected a JSON object with taken_at (ISO 8601 instant)")
    if "snapshot_date" in meta and meta["snapshot_date"] != day.isoformat():
        raise ArchiveError(f"{path}: names the snapshot date {meta['snapshot_date']!r}, not {day}")
    try:
        return check_taken_at(day, parse_instant(meta["taken_at"]))
    except ValueError as exc:
        raise ArchiveError(f"{path}: taken_at: {exc}") from None


def write_snapshot_taken_at(archive_dir: Path, day: dt.date, instant: dt.datetime) -> Path:
    """Write (atomically) the sidecar stating that the snapshot of `day` was taken at `instant`; return it."""
    utc = check_taken_at(day, instant)
    archive_dir = Path(archive_dir)
    archive_dir.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"snapshot_date": day.isoformat(), "taken_at": format_instant(utc)}) + "\n"
    target = archive_dir / meta_filename(day)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=archive_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload.encode("utf-8"))
            os.fchmod(fh.fileno(), 0o644)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


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
