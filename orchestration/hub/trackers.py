"""What public trackers publish, read as dated Hub items for `hubpulse import-archive`.

Three archive formats, one per folder:

* `hub-jsonl`: the project's own archive (`YYYY-MM-DD.jsonl[.gz]`, one Hub API item per line; `archive.py`).
* `series`: per-model daily series, CSV (`.csv`, `.csv.gz`) or Parquet: one row per (date, model), columns
  `date, model_id, downloads, downloads_all_time, likes` by default (`DEFAULT_SERIES_COLUMNS`; each name can be
  mapped, `series_columns`). A file may hold many dates and a date may span many files. Each date becomes one
  snapshot whose items carry what the series gives, `{"id", "downloads", "downloadsAllTime", "likes"}`, every
  other field absent (the trimmed-item shape raw partitions already take); an empty cell is an absent field.
* `listing-parquet`: one `YYYY-MM-DD.parquet` per date, one row per model, the Hub's listing field names as
  columns (`id`/`modelId`, `author`, `createdAt`, `downloads`, `downloadsAllTime`, `likes`, `tags`,
  `baseModels`, `cardData`, `gguf`, ...). A structured field is a Parquet struct/list or its JSON text; a
  timestamp column is written back as the Hub writes instants; a null cell is an absent field (so is a null
  member of a struct: a struct column's members are the union of every row's keys).

The instant a snapshot was taken (the raw rows' `fetched_at`): a `fetched_at` (or `snapshot_taken_at`) column
when the file has one (every row of a date must state the same instant, checked by `archive.check_taken_at`),
else the date's sidecar or the end of the date, exactly as for the JSON-lines archive (`archive.snapshot_taken_at`).

Bad input is an `ArchiveError` naming the file and the line (CSV), the row (Parquet) or the column: a missing
required column, a date that is not `YYYY-MM-DD`, a count that is negative or not a whole number, the same
(date, model) twice with different values, an empty file. A series is read and checked whole, every file,
before any date is handed on; a listing file is read and checked whole before its date is handed on.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestration.hub.archive import (
    ArchiveError,
    check_taken_at,
    format_instant,
    is_meta_filename,
    iter_snapshot_items,
    list_snapshots,
    loads,
    meta_filename,
    parse_instant,
    parse_snapshot_date,
    snapshot_taken_at,
)

HUB_JSONL, SERIES, LISTING_PARQUET = "hub-jsonl", "series", "listing-parquet"
FORMATS: tuple[str, ...] = (HUB_JSONL, SERIES, LISTING_PARQUET)

# Series: mapping key -> the column name looked for by default. The keys are also the `--column KEY=NAME` keys.
DEFAULT_SERIES_COLUMNS: dict[str, str] = {
    "date": "date",
    "model_id": "model_id",
    "downloads": "downloads",
    "downloads_all_time": "downloads_all_time",
    "likes": "likes",
}
# The series' counts and the Hub item field each becomes.
SERIES_COUNTS: dict[str, str] = {"downloads": "downloads", "downloads_all_time": "downloadsAllTime", "likes": "likes"}
# The optional column stating when a date's snapshot was taken (mapping key, and the names looked for without one).
TAKEN_AT_KEY = "fetched_at"
TAKEN_AT_COLUMNS: tuple[str, ...] = ("fetched_at", "snapshot_taken_at")
SERIES_KEYS: tuple[str, ...] = (*DEFAULT_SERIES_COLUMNS, TAKEN_AT_KEY)

# Listing fields whose value is a JSON object or array (a text column holding them is parsed as JSON).
STRUCTURED_FIELDS = frozenset({
    "baseModels", "cardData", "childrenModelCount", "config", "evalResults", "gguf", "inferenceProviderMapping",
    "model-index", "resourceGroup", "safetensors", "siblings", "spaces", "tags", "transformersInfo", "widgetData",
})
LISTING_COUNTS: tuple[str, ...] = ("downloads", "downloadsAllTime", "likes")
LISTING_ID_COLUMNS: tuple[str, ...] = ("id", "modelId")

_DATE_PARQUET = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\.parquet")
_WHOLE = re.compile(r"[+]?[0-9]+")


@dataclass(frozen=True)
class DatedSnapshot:
    """One date of an archive, ready for `build_snapshot_rows`: `load()` gives its items and the instant it was
    taken, raising `ArchiveError` (file and line/row/column named) for anything unusable."""

    day: dt.date
    source: str  # the file (or files) it comes from, for summaries and the Dagster record
    load: Callable[[], tuple[Iterable[dict], dt.datetime]]


# ------------------------------------------------------------------------------------------ the format


def _file_format(name: str, explicit: str | None) -> str | None:
    """The format a file of the archive folder is in (None: not an archive file, ignored)."""
    if name.endswith((".jsonl", ".jsonl.gz")):
        return HUB_JSONL
    if name.endswith((".csv", ".csv.gz")):
        return SERIES
    if name.endswith(".parquet"):
        if explicit in (SERIES, LISTING_PARQUET):
            return explicit
        return LISTING_PARQUET if _DATE_PARQUET.fullmatch(name) else SERIES
    return None


def _archive_files(archive_dir: Path, explicit: str | None) -> dict[str, list[Path]]:
    archive_dir = Path(archive_dir)
    if not archive_dir.is_dir():
        raise ArchiveError(f"archive folder does not exist: {archive_dir}")
    found: dict[str, list[Path]] = {}
    for path in sorted(archive_dir.iterdir()):
        if path.name.startswith(".") or not path.is_file() or is_meta_filename(path.name):
            continue
        kind = _file_format(path.name, explicit)
        if kind is not None:
            found.setdefault(kind, []).append(path)
    return found


def detect_format(archive_dir: Path, explicit: str | None = None) -> str:
    """The one format of an archive folder: `explicit` when given (checked against the files), else from the file
    names (`.jsonl[.gz]` hub-jsonl, `.csv[.gz]` series, `YYYY-MM-DD.parquet` listing-parquet, other `.parquet`
    series). A folder holding files of two formats is refused (`ArchiveError`); so is one with none."""
    if explicit is not None and explicit not in FORMATS:
        raise ArchiveError(f"unknown archive format {explicit!r} (one of {', '.join(FORMATS)})")
    found = _archive_files(archive_dir, explicit)
    if len(found) > 1:
        parts = "; ".join(f"{kind}: {', '.join(p.name for p in paths[:3])}{' ...' if len(paths) > 3 else ''}"
                          for kind, paths in found.items())
        raise ArchiveError(f"{archive_dir}: holds files of more than one archive format ({parts}); "
                           "keep one format per folder")
    if not found:
        if explicit is not None:
            return explicit
        raise ArchiveError(f"no snapshot files in {archive_dir} (YYYY-MM-DD.jsonl[.gz], series .csv[.gz] or "
                           ".parquet, YYYY-MM-DD.parquet listings)")
    (kind,) = found
    if explicit is not None and kind != explicit:
        raise ArchiveError(f"{archive_dir}: --format {explicit} given, but the files are {kind} "
                           f"(e.g. {found[kind][0].name})")
    return kind


def series_columns(mapping: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> dict[str, str]:
    """The series' column names: `DEFAULT_SERIES_COLUMNS` with `mapping` (key -> column name) applied.

    A count mapped to `""` means the files have no such column (the items lack the field); `fetched_at` maps
    the optional instant column (default: `fetched_at`, else `snapshot_taken_at`, when present)."""
    columns = dict(DEFAULT_SERIES_COLUMNS)
    pairs = mapping.items() if isinstance(mapping, Mapping) else (mapping or ())
    seen: set[str] = set()
    for key, name in pairs:
        if key not in SERIES_KEYS:
            raise ArchiveError(f"unknown series column key {key!r} (one of {', '.join(SERIES_KEYS)})")
        if key in seen:
            raise ArchiveError(f"series column key {key!r} mapped twice")
        if not name and key in ("date", "model_id"):
            raise ArchiveError(f"series column {key!r} is required: it cannot be mapped to nothing")
        seen.add(key)
        columns[key] = name
    return columns


def open_archive(archive_dir: Path, fmt: str, *, start: dt.date | None = None, end: dt.date | None = None,
                 columns: Mapping[str, str] | None = None) -> list[DatedSnapshot]:
    """The dates of an archive folder in format `fmt` (see `detect_format`) within [start, end], sorted.

    A series is read and checked whole here (its dates are known only then); the other formats are read date
    by date, in `DatedSnapshot.load`.
    """
    if columns and fmt != SERIES:
        raise ArchiveError(f"column names can be mapped for the series format only, not {fmt}")

    def chosen(day: dt.date) -> bool:
        return (start is None or day >= start) and (end is None or day <= end)

    archive_dir = Path(archive_dir)
    if fmt == HUB_JSONL:
        return [DatedSnapshot(day, path.name, _jsonl_loader(archive_dir, day, path))
                for day, path in list_snapshots(archive_dir).items() if chosen(day)]
    files = _archive_files(archive_dir, fmt).get(fmt, [])
    if fmt == LISTING_PARQUET:
        out = []
        for path in files:
            try:
                day = parse_snapshot_date(path.name.removesuffix(".parquet"))
            except ArchiveError as exc:
                raise ArchiveError(f"{path}: a listing file's name must be YYYY-MM-DD.parquet ({exc})") from None
            if chosen(day):
                out.append(DatedSnapshot(day, path.name, _listing_loader(archive_dir, day, path)))
        return out
    if fmt == SERIES:
        return [s for s in _read_series(archive_dir, files, series_columns(columns)) if chosen(s.day)]
    raise ArchiveError(f"unknown archive format {fmt!r} (one of {', '.join(FORMATS)})")


def _jsonl_loader(archive_dir: Path, day: dt.date, path: Path):
    def load():
        return iter_snapshot_items(path), snapshot_taken_at(archive_dir, day)

    return load


def _taken_at(archive_dir: Path, day: dt.date, stated: tuple[dt.datetime, str] | None) -> dt.datetime:
    """A date's instant: the one its rows state (checked against a sidecar, if any), else the archive's."""
    archived = snapshot_taken_at(archive_dir, day)
    if stated is None:
        return archived
    instant, where = stated
    if archived != instant and (Path(archive_dir) / meta_filename(day)).is_file():
        raise ArchiveError(f"{where}: states {format_instant(instant)} for {day}, its sidecar "
                           f"{format_instant(archived)}")
    return instant


# ------------------------------------------------------------------------------------------ cell values


def _count(value, where: str) -> int | None:
    """A download or like count: a whole number, not negative; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _WHOLE.fullmatch(text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            raise ArchiveError(f"{where}: {value!r} is not a whole number") from None
    elif isinstance(value, bool):
        raise ArchiveError(f"{where}: {value!r} is not a whole number")
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if math.isnan(value):
            return None
        number = value
    else:  # a Parquet decimal
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ArchiveError(f"{where}: {value!r} is not a whole number") from None
    if isinstance(number, float) and not (math.isfinite(number) and number.is_integer()):
        raise ArchiveError(f"{where}: {value!r} is not a whole number")
    if number < 0:
        raise ArchiveError(f"{where}: {value!r} is negative")
    return int(number)


def _date(value, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time() or (value.tzinfo is not None and value.utcoffset()):
            raise ArchiveError(f"{where}: {value} is not a date (it has a time of day)")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ArchiveError(f"{where}: no date")
    try:
        return parse_snapshot_date(value.strip() if isinstance(value, str) else value)
    except ArchiveError as exc:
        raise ArchiveError(f"{where}: {exc}") from None


def _instant(value, day: dt.date, where: str) -> dt.datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        parsed = value if isinstance(value, dt.datetime) else parse_instant(value.strip() if isinstance(value, str)
                                                                            else value)
        return check_taken_at(day, parsed)
    except ValueError as exc:
        raise ArchiveError(f"{where}: {exc}") from None


# ------------------------------------------------------------------------------------------ series


@dataclass
class _Table:
    """A file's columns and rows, whatever it was (CSV or Parquet), with where each row is."""

    path: Path
    names: list[str]
    rows: Iterator[tuple[str, dict]]  # (where, column -> value)


def _open_csv(path: Path) -> _Table:
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb") as raw:
            payload = raw.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        raise ArchiveError(f"{path}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ArchiveError(f"{path}:{reader.line_num}: not CSV ({exc})") from None
    while header is not None and not any(cell.strip() for cell in header):
        header = next(reader, None)
    if header is None:
        raise ArchiveError(f"{path}: empty file (no header line, no rows)")
    names = [cell.strip() for cell in header]

    def rows():
        while True:
            try:
                cells = next(reader, None)
            except csv.Error as exc:
                raise ArchiveError(f"{path}:{reader.line_num}: not CSV ({exc})") from None
            if cells is None:
                return
            if not cells or not any(cell.strip() for cell in cells):
                continue
            where = f"{path}:{reader.line_num}"
            if len(cells) != len(names):
                raise ArchiveError(f"{where}: {len(cells)} fields, the header has {len(names)}")
            yield where, dict(zip(names, cells, strict=True))

    return _Table(path, names, rows())


def _read_parquet(path: Path, columns: list[str] | None = None):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise ArchiveError(f"{path}: cannot be read as Parquet ({type(exc).__name__}: {exc})") from None


def _parquet_names(path: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return [name for name in pq.read_schema(path).names if not name.startswith("__index_level_")]
    except (OSError, pa.ArrowException) as exc:
        raise ArchiveError(f"{path}: cannot be read as Parquet ({type(exc).__name__}: {exc})") from None


def _open_series_parquet(path: Path, wanted: list[str]) -> _Table:
    names = _parquet_names(path)
    table = _read_parquet(path, [n for n in wanted if n in names])

    def rows():
        values = {name: table.column(name).to_pylist() for name in table.column_names}
        for index in range(table.num_rows):
            yield f"{path}: row {index + 1}", {name: column[index] for name, column in values.items()}

    return _Table(path, names, rows())


def _is_csv(path: Path) -> bool:
    return path.name.endswith((".csv", ".csv.gz"))


def _series_header(table: _Table, columns: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """The columns used (key -> name) and the instant column, after checking the required ones exist."""
    duplicated = sorted({n for n in table.names if table.names.count(n) > 1 and n})
    if duplicated:
        raise ArchiveError(f"{table.path}: column {duplicated[0]!r} appears more than once in the header")
    used = {}
    for key, default in DEFAULT_SERIES_COLUMNS.items():
        name = columns[key]
        if not name:
            continue  # mapped to nothing: the files have no such column
        if name not in table.names:
            how = (f"the default name for {key}" if name == default else f"mapped with --column {key}={name}")
            hint = "" if key in ("date", "model_id") else f", or --column {key}= if the files have none"
            raise ArchiveError(f"{table.path}: missing required column {name!r} ({how}; the columns are "
                               f"{', '.join(repr(n) for n in table.names)}; map it with --column {key}=NAME{hint})")
        used[key] = name
    stated = columns.get(TAKEN_AT_KEY)
    if stated:
        if stated not in table.names:
            raise ArchiveError(f"{table.path}: missing column {stated!r} (mapped with --column {TAKEN_AT_KEY}="
                               f"{stated})")
        return used, stated
    return used, next((n for n in TAKEN_AT_COLUMNS if n in table.names), None)


def _read_series(archive_dir: Path, files: list[Path], columns: dict[str, str]) -> list[DatedSnapshot]:
    """Every series file read and checked; one snapshot per date, its items merged across the files."""
    by_day: dict[dt.date, dict[str, tuple[str, dict]]] = {}
    sources: dict[dt.date, list[str]] = {}
    stated: dict[dt.date, tuple[dt.datetime, str]] = {}
    for path in files:
        wanted = [name for name in columns.values() if name] + list(TAKEN_AT_COLUMNS)
        table = _open_csv(path) if _is_csv(path) else _open_series_parquet(path, wanted)
        used, instant_column = _series_header(table, columns)
        rows = 0
        for where, row in table.rows:
            rows += 1
            day = _date(row[used["date"]], f"{where}, column {used['date']!r}")
            model_id = row[used["model_id"]]
            if not isinstance(model_id, str):
                raise ArchiveError(f"{where}, column {used['model_id']!r}: {model_id!r} is not a model id (text)")
            if not model_id.strip():
                raise ArchiveError(f"{where}, column {used['model_id']!r}: no model id")
            item: dict = {"id": model_id}
            for key, field in SERIES_COUNTS.items():
                if key in used:
                    value = _count(row[used[key]], f"{where}, column {used[key]!r}")
                    if value is not None:
                        item[field] = value
            if instant_column is not None:
                instant = _instant(row[instant_column], day, f"{where}, column {instant_column!r}")
                if instant is not None:
                    first = stated.setdefault(day, (instant, where))
                    if first[0] != instant:
                        raise ArchiveError(f"{where}, column {instant_column!r}: {format_instant(instant)} for "
                                           f"{day}, but {first[1]} says {format_instant(first[0])}")
            seen = by_day.setdefault(day, {})
            earlier = seen.get(model_id)
            if earlier is not None:
                if earlier[1] != item:
                    raise ArchiveError(f"{where}: a second row for ({day}, {model_id}) with other values than "
                                       f"{earlier[0]} ({json.dumps(item)} vs {json.dumps(earlier[1])})")
                continue
            seen[model_id] = (where, item)
            names = sources.setdefault(day, [])
            if path.name not in names:
                names.append(path.name)
        if rows == 0:
            raise ArchiveError(f"{path}: empty file (a header, no rows)")

    def loader(day: dt.date):
        items = [item for _where, item in by_day[day].values()]
        return lambda: (items, _taken_at(archive_dir, day, stated.get(day)))

    def label(names: list[str]) -> str:
        return ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:3])} and {len(names) - 3} more"

    return [DatedSnapshot(day, label(sources[day]), loader(day)) for day in sorted(by_day)]


# ------------------------------------------------------------------------------------------ listing Parquet


def _from_arrow(value):
    """A Parquet cell as JSON-like Python: structs as objects without their null members (absent keys), maps as
    objects, lists element by element, instants as the Hub writes them."""
    if isinstance(value, dict):
        return {k: _from_arrow(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):  # a Parquet map
            return {k: _from_arrow(v) for k, v in value}
        return [_from_arrow(v) for v in value]
    if isinstance(value, dt.datetime):
        return format_instant(value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def read_listing_parquet(path: Path, day: dt.date) -> tuple[list[dict], tuple[dt.datetime, str] | None]:
    """The items of one daily full-listing Parquet file, checked whole, and the instant its rows state (if any)."""
    path = Path(path)
    table = _read_parquet(path)
    names = [n for n in table.column_names if not n.startswith("__index_level_")]
    if not any(n in names for n in LISTING_ID_COLUMNS):
        raise ArchiveError(f"{path}: missing required column 'id' (or 'modelId'), the Hub listing's model id; the "
                           f"columns are {', '.join(repr(n) for n in names)} (a series in a file named by date "
                           "needs --format series)")
    if table.num_rows == 0:
        raise ArchiveError(f"{path}: empty file (no rows)")
    instant_column = next((n for n in TAKEN_AT_COLUMNS if n in names), None)
    values: dict[str, list] = {}
    for name in names:
        if name == instant_column:
            continue
        column = table.column(name).to_pylist()
        if name in LISTING_COUNTS:
            column = [_count(v, f"{path}: row {i + 1}, column {name!r}") for i, v in enumerate(column)]
        elif name in STRUCTURED_FIELDS:
            column = [_json_cell(v, f"{path}: row {i + 1}, column {name!r}") for i, v in enumerate(column)]
        else:
            column = [_from_arrow(v) for v in column]
        values[name] = column
    stated = None
    if instant_column is not None:
        for index, value in enumerate(table.column(instant_column).to_pylist()):
            where = f"{path}: row {index + 1}, column {instant_column!r}"
            instant = _instant(value, day, where)
            if instant is None:
                continue
            if stated is None:
                stated = (instant, where)
            elif stated[0] != instant:
                raise ArchiveError(f"{where}: {format_instant(instant)}, but {stated[1]} says "
                                   f"{format_instant(stated[0])}")
    items = []
    first_row: dict[str, tuple[int, dict]] = {}
    for index in range(table.num_rows):
        item = {name: column[index] for name, column in values.items() if column[index] is not None}
        model_id = item.get("id", item.get("modelId"))
        if isinstance(model_id, str):
            earlier = first_row.setdefault(model_id, (index, item))
            if earlier[0] != index:
                if earlier[1] != item:
                    raise ArchiveError(f"{path}: row {index + 1}: a second row for {model_id} with other values "
                                       f"than row {earlier[0] + 1}")
                continue
        items.append(item)  # no usable id: the raw layer rejects it with the reason, as for any item
    return items, stated


def _json_cell(value, where: str):
    if isinstance(value, str):
        try:
            return loads(value)
        except ValueError as exc:
            raise ArchiveError(f"{where}: not JSON ({getattr(exc, 'msg', exc)})") from None
    return _from_arrow(value)


def _listing_loader(archive_dir: Path, day: dt.date, path: Path):
    def load():
        items, stated = read_listing_parquet(path, day)
        return items, _taken_at(archive_dir, day, stated)

    return load
