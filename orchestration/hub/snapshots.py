"""Raw snapshot partitions: Hub API items -> typed Arrow rows -> one Parquet file per snapshot date.

Pure functions (no Dagster, no network). A raw partition keeps every item exactly as the Hub returned it
(`item_json`) beside typed columns for the fields the warehouse models. A typed column is null when the
field is absent or of an unexpected type: the raw JSON still has it, so nothing is lost.
Items that cannot be used at all (no `id`, or an id that is not `org/name`) go to a rejects partition
with the reason, never silently dropped.

Every row also records `fetched_at`, the instant the partition describes the Hub at: live, the instant the
day's listing started; from an archive (import, or the local Hub), the instant the archive says the snapshot was
taken (`archive.snapshot_taken_at`: its sidecar, or the end of the date by default). The warehouse decides "new
since the previous snapshot" on it. Partitions written before the column existed lack it; readers take the
documented default for them (`archive.default_taken_at`: the end of the date).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson

from orchestration.hub import rawstore
from orchestration.hub.archive import check_taken_at, default_taken_at, parse_snapshot_date
from orchestration.hub.rawstore import RawRoot

if TYPE_CHECKING:  # pyarrow is imported where rows are built, written or read: the code location loads without it
    import pyarrow as pa

# The `expand` fields the warehouse needs from `/api/models`. `cardData` is asked for although the typed
# `base_model:` tags already carry the lineage: it holds `base_model_relation`, licence and languages as the
# author wrote them, and raw partitions should keep what a later model may want.
EXPAND_FIELDS: tuple[str, ...] = (
    "author",
    "baseModels",
    "cardData",
    "createdAt",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "evalResults",
    "gated",
    "lastModified",
    "library_name",
    "likes",
    "model-index",
    "pipeline_tag",
    "private",
    "safetensors",
    "sha",
    "tags",
    "trendingScore",
)

# Fields whose absence is counted per partition (metadata in the UI, and a quality check).
TRACKED_OPTIONAL_FIELDS: tuple[str, ...] = (
    "createdAt",
    "downloads",
    "downloadsAllTime",
    "likes",
    "library_name",
    "pipeline_tag",
    "safetensors",
    "tags",
)

# A Hub repo id as the Hub allows it (and `huggingface_hub.utils.validate_repo_id` checks it): `namespace/name`,
# ASCII letters, digits, `_`, `-` and `.`, neither part starting or ending with `-` or `.`, no `--` or `..`,
# the name at most 96 characters and not ending in `.git`. Anything else cannot be a model of the Hub, and
# refusing it also means no id can ever look like a path (`..`, `/`, a leading `.`).
_MODEL_ID = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?/[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$")
_SURROGATE = re.compile("[\ud800-\udfff]")


@functools.cache
def raw_schema() -> pa.Schema:
    """The schema of a raw partition (also `RAW_SCHEMA`)."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("object_id", pa.string()),
            pa.field("author", pa.string()),
            pa.field("created_at", pa.timestamp("ms", tz="UTC")),
            pa.field("last_modified", pa.timestamp("ms", tz="UTC")),
            pa.field("downloads", pa.int64()),
            pa.field("downloads_all_time", pa.int64()),
            pa.field("likes", pa.int64()),
            pa.field("trending_score", pa.float64()),
            pa.field("pipeline_tag", pa.string()),
            pa.field("library_name", pa.string()),
            pa.field("gated", pa.string()),
            pa.field("private", pa.bool_()),
            pa.field("disabled", pa.bool_()),
            pa.field("sha", pa.string()),
            pa.field("tags", pa.list_(pa.string())),
            pa.field("safetensors_total", pa.int64()),
            pa.field("base_models_json", pa.string()),
            pa.field("eval_results_json", pa.string()),
            pa.field("model_index_json", pa.string()),
            pa.field("item_json", pa.string(), nullable=False),
            # Last, so the columns before it keep their positions: the instant the partition describes.
            pa.field("fetched_at", pa.timestamp("ms", tz="UTC")),
        ]
    )


@functools.cache
def rejects_schema() -> pa.Schema:
    """The schema of a partition's rejected items (also `REJECTS_SCHEMA`)."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("position", pa.int64(), nullable=False),
            pa.field("reason", pa.string(), nullable=False),
            pa.field("item_json", pa.string(), nullable=False),
        ]
    )


def __getattr__(name: str):
    # RAW_SCHEMA and REJECTS_SCHEMA, the module constants they always were, built when first asked for.
    if name == "RAW_SCHEMA":
        return raw_schema()
    if name == "REJECTS_SCHEMA":
        return rejects_schema()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")




@dataclass
class SnapshotRows:
    """One snapshot date's items split into usable rows and rejects, with counts for the UI."""

    snapshot_date: dt.date
    table: pa.Table
    rejects: pa.Table
    fetched_at: dt.datetime | None = None
    duplicates: int = 0
    conflicting_duplicates: int = 0
    missing_fields: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.table.num_rows

    def summary(self) -> dict:
        """Plain-number summary of the partition (metadata, logs, CLI output)."""
        authors = self.table.column("author").drop_null().unique()
        return {
            "rows": self.rows,
            "organisations": len(authors),
            "rejected": self.rejects.num_rows,
            "duplicates_merged": self.duplicates,
            "conflicting_duplicates": self.conflicting_duplicates,
            "missing_fields": dict(self.missing_fields),
            "fetched_at": _instant_text(self.fetched_at),
        }


def _instant_text(instant: dt.datetime | None) -> str | None:
    from orchestration.hub.archive import format_instant

    return None if instant is None else format_instant(instant)


def fetch_instant(snapshot_date: dt.date, fetched_at: dt.datetime | None = None) -> dt.datetime:
    """The `fetched_at` of a partition of `snapshot_date`: `fetched_at` in UTC truncated to the millisecond (the
    column's precision; checked against the date by `archive.check_taken_at`), or the end of the date by default."""
    if fetched_at is None:
        return default_taken_at(snapshot_date)
    utc = check_taken_at(snapshot_date, fetched_at)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _int(value) -> int | None:
    # `type(...) is int` on purpose: bool is an int subclass, and a boolean download count is a wrong type.
    kind = type(value)
    if kind is int:
        return value if _INT64_MIN <= value <= _INT64_MAX else None
    if kind is float and math.isfinite(value) and value.is_integer() and -(2.0**63) <= value < 2.0**63:
        return int(value)  # 1.2e3 is a whole number; 9.3e18 is one too, but beyond int64
    return None


def _float(value) -> float | None:
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is int:
        return float(value) if _INT64_MIN <= value <= _INT64_MAX else None
    return None


def _str(value) -> str | None:
    return value if type(value) is str else None


def _bool(value) -> bool | None:
    return value if type(value) is bool else None


def _timestamp(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _gated(value) -> str | None:
    # The Hub sends `false`, `"auto"` or `"manual"` (and `true` in old data): keep one text form.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return None


def _json_or_none(value) -> str | None:
    """A field as JSON text DuckDB's JSON functions accept (the typed `*_json` columns dbt reads).

    Lone surrogates become U+FFFD here (DuckDB refuses them): the raw `item_json` keeps them as received.
    """
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return _SURROGATE.sub("\ufffd", text)


def _tags(value) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [tag for tag in value if isinstance(tag, str)]


def _safetensors_total(value) -> int | None:
    if isinstance(value, dict):
        return _int(value.get("total"))
    return None


def reject_reason(item) -> str | None:
    """Why an item cannot be a raw row (None when it can)."""
    if not isinstance(item, dict):
        return f"item is a {type(item).__name__}, not a JSON object"
    model_id = item.get("id", item.get("modelId"))
    if model_id is None:
        return "no id"
    if not isinstance(model_id, str):
        return f"id is a {type(model_id).__name__}, not a string"
    if not _MODEL_ID.match(model_id) or "--" in model_id or ".." in model_id or model_id.endswith(".git"):
        return f"id {model_id[:200]!r} is not of the form org/name"
    return None


def _faithful_json(value) -> str:
    # The standard library writes what orjson cannot, or cannot faithfully: NaN and Infinity (orjson writes
    # null), integers beyond 64 bits, lone surrogates (escaped, since they are not UTF-8).
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if _SURROGATE.search(text):
            return json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    except RecursionError:
        raise ValueError("a Hub item is nested too deeply to be stored as JSON") from None
    return text


def item_json(item) -> str:
    """Compact JSON text of an item, key order kept, non-ASCII kept: `json.loads` of it gives the item back."""
    if type(item) is dict:  # parsed strictly (orjson), so orjson writes it back exactly
        try:
            return orjson.dumps(item).decode("utf-8")
        except (orjson.JSONEncodeError, TypeError):
            pass
    return _faithful_json(item)


# The typed columns, in the order `_typed_values` returns them. One function per item (not one per column)
# because per-call overhead dominates: this is the hot loop of ingestion.
_TYPED_COLUMNS = (
    "object_id", "created_at", "last_modified", "downloads", "downloads_all_time", "likes", "trending_score",
    "pipeline_tag", "library_name", "gated", "private", "disabled", "sha", "tags", "safetensors_total",
    "base_models_json", "eval_results_json", "model_index_json",
)
_TIMESTAMP_COLUMNS = ("created_at", "last_modified")


def _typed_values(item: dict) -> tuple:
    get = item.get
    created, modified = get("createdAt"), get("lastModified")
    return (
        _str(get("_id")),
        created if type(created) is str else None,  # parsed column-wise in `_timestamp_column`
        modified if type(modified) is str else None,
        _int(get("downloads")),
        _int(get("downloadsAllTime")),
        _int(get("likes")),
        _float(get("trendingScore")),
        _str(get("pipeline_tag")),
        _str(get("library_name")),
        _gated(get("gated")),
        _bool(get("private")),
        _bool(get("disabled")),
        _str(get("sha")),
        _tags(get("tags")),
        _safetensors_total(get("safetensors")),
        _json_or_none(get("baseModels")),
        _json_or_none(get("evalResults")),
        _json_or_none(get("model-index")),
    )


def _timestamp_column(values: list[str | None]) -> pa.Array:
    """ISO strings -> timestamp[ms, UTC]: Arrow's vectorised parse, per value only when some are odd."""
    import pyarrow as pa

    target = raw_schema().field("created_at").type
    try:
        return pa.array(values, pa.string()).cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeEncodeError):
        return pa.array([_timestamp(value) for value in values], target)


def _valid_text(value: str) -> bool:
    return value.isascii() or not _SURROGATE.search(value)


def _text_or_none(value):
    """A typed column's value without strings Arrow cannot store (lone surrogates): those become null, or are
    left out of a list, as a value of the wrong type is; `item_json` keeps them."""
    if type(value) is str:
        return value if _valid_text(value) else None
    if type(value) is list:
        return [v for v in value if type(v) is not str or _valid_text(v)]
    return value


def _array(name: str, values: list, type_: pa.DataType, ids: list[str]) -> pa.Array:
    import pyarrow as pa

    try:
        return pa.array(values, type_)
    except UnicodeEncodeError:
        # Rare (the Hub sent a lone surrogate escape): clean this column only, value by value.
        cleaned = [_text_or_none(v) for v in values]
        if name == "author":
            cleaned = [v if v is not None else i.split("/", 1)[0] for v, i in zip(cleaned, ids, strict=True)]
        return pa.array(cleaned, type_)


def build_snapshot_rows(items: Iterable, snapshot_date: dt.date | str,
                        fetched_at: dt.datetime | None = None) -> SnapshotRows:
    """Turn one date's Hub items into raw rows (sorted by id, deduplicated) and rejects.

    `fetched_at` is the instant the items describe the Hub at (see the module docstring); None: the end of the
    date (`archive.default_taken_at`), what a snapshot without a stated instant means.

    An id seen twice (the same model found by two scope queries) is kept once; the first copy wins and a
    copy that differs is counted as a conflict (the live Hub moved between two requests). An unusable item seen
    twice, byte for byte, is one reject. rows + rejects + duplicates is always the number of items.
    """
    import pyarrow as pa

    day = parse_snapshot_date(snapshot_date) if isinstance(snapshot_date, str) else snapshot_date
    instant = fetch_instant(day, fetched_at)
    kept: dict[str, dict] = {}
    rejects: list[dict] = []
    duplicates = conflicts = 0
    missing: Counter[str] = Counter()
    seen_rejects: set[str] = set()
    for position, item in enumerate(items):
        reason = reject_reason(item)
        if reason is not None:
            text = item_json(item)
            if text in seen_rejects:  # the same unusable item twice (a repeated page): kept once, like a row
                duplicates += 1
                continue
            seen_rejects.add(text)
            rejects.append({"snapshot_date": day, "position": position, "reason": reason, "item_json": text})
            continue
        model_id = item.get("id", item.get("modelId"))
        first = kept.get(model_id)
        if first is not None:
            duplicates += 1
            conflicts += first != item
            continue
        kept[model_id] = item
        for name in TRACKED_OPTIONAL_FIELDS:
            if item.get(name) is None:
                missing[name] += 1
    ids = sorted(kept)
    ordered = [kept[model_id] for model_id in ids]
    typed = list(zip(*(_typed_values(item) for item in ordered), strict=True)) or [()] * len(_TYPED_COLUMNS)
    columns: dict[str, pa.Array | list] = dict(zip(_TYPED_COLUMNS, typed, strict=True))
    for name in _TIMESTAMP_COLUMNS:
        columns[name] = _timestamp_column(list(columns[name]))
    columns["snapshot_date"] = [day] * len(ids)
    columns["id"] = ids
    columns["author"] = [_str(item.get("author")) or model_id.split("/", 1)[0] for model_id, item in zip(ids, ordered)]
    columns["item_json"] = [item_json(item) for item in ordered]
    columns["fetched_at"] = pa.array([instant] * len(ids), raw_schema().field("fetched_at").type)
    table = pa.Table.from_arrays(
        [_array(f.name, columns[f.name], f.type, ids) if not isinstance(columns[f.name], pa.Array) else columns[f.name]
         for f in raw_schema()],
        schema=raw_schema(),
    )
    rejects_table = pa.Table.from_pylist(rejects, schema=rejects_schema())
    return SnapshotRows(
        snapshot_date=day,
        table=table,
        rejects=rejects_table,
        fetched_at=instant,
        duplicates=duplicates,
        conflicting_duplicates=conflicts,
        missing_fields={name: missing.get(name, 0) for name in TRACKED_OPTIONAL_FIELDS},
    )


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a snapshot's items are parsed and converted.

    Tens of thousands of fresh JSON dicts trigger collections that walk everything the process holds (a
    Dagster run holds a lot): measured, half the time of a day's ingestion. JSON data has no cycles, so
    nothing is lost by collecting once afterwards instead.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


PARTITION_FILE = rawstore.PARTITION_FILE  # named here too: readers of the layout have always imported it from here


def partition_dir(root: RawRoot, day: dt.date) -> RawRoot:
    """`root/snapshot_date=YYYY-MM-DD`: the Hive-style folder (or key prefix) of one date."""
    return rawstore.partition_dir(root, day)


def remove_stale_temporaries(root: RawRoot) -> list[RawRoot]:
    """Delete what writers killed mid-write left under a partition root; return what was removed
    (`rawstore.remove_stale_temporaries`)."""
    return rawstore.remove_stale_temporaries(root)


def write_snapshot_partition(raw_root: RawRoot, rejects_root: RawRoot, rows: SnapshotRows) -> RawRoot:
    """Write (or replace whole) one date's raw partition and its rejects; return the data file.

    Both files are written in full under temporary names that no reader's glob matches and only then
    published under their final names, the data file last (`orchestration/hub/rawstore.py` says how, on a folder
    and on an object store): a reader sees the old partition or the new one, never a half-written file, and a
    writer killed before publishing leaves the old partition byte for byte. What a killed writer leaves behind is
    removed by the next write into the root. A date with no rejects has no rejects file.
    """
    day = rows.snapshot_date
    rawstore.sweep_once(raw_root)
    rawstore.sweep_once(rejects_root)
    staged: list[rawstore.Staged] = []
    try:
        data = rawstore.stage(rows.table, raw_root, day)
        staged.append(data)
        if rows.rejects.num_rows:
            rejects = rawstore.stage(rows.rejects, rejects_root, day)
            staged.append(rejects)
            rejects.publish()
        else:
            rawstore.remove(rejects_root, day)
        data.publish()
    except BaseException:
        for item in staged:
            item.discard()
        raise
    rawstore.sync(raw_root, day)
    rawstore.sync(rejects_root, day)
    return data.target


def read_partition_fetched_at(raw_root: RawRoot, day: dt.date) -> dt.datetime | None:
    """The instant one raw partition recorded (`fetched_at`), or None when it predates the column."""
    path = rawstore.partition_file(raw_root, day)
    if "fetched_at" not in rawstore.read_schema(path).names:
        return None
    values = rawstore.read_table(path, ["fetched_at"]).column("fetched_at").drop_null().unique().to_pylist()
    return max(values) if values else None


def read_partition_items(raw_root: RawRoot, day: dt.date) -> list[dict]:
    """The items of one raw partition exactly as received (for export back to the archive format)."""
    path = rawstore.partition_file(raw_root, day)
    if not rawstore.exists(path):
        raise FileNotFoundError(f"no raw partition for {day}: {path}")
    column = rawstore.read_table(path, ["item_json"]).column("item_json")
    return [orjson.loads(text) for text in column.to_pylist()]


def list_partitions(raw_root: RawRoot) -> list[dt.date]:
    """Dates that have a raw partition, sorted."""
    return rawstore.list_partitions(raw_root)
