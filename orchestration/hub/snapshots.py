"""Raw snapshot partitions: Hub API items -> typed Arrow rows -> one Parquet file per snapshot date.

Pure functions (no Dagster, no network). A raw partition keeps every item exactly as the Hub returned it
(`item_json`) beside typed columns for the fields the warehouse models. A typed column is null when the
field is absent or of an unexpected type: the raw JSON still has it, so nothing is lost.
Items that cannot be used at all (no `id`, or an id that is not `org/name`) go to a rejects partition
with the reason, never silently dropped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.hub.archive import parse_snapshot_date

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

_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9._-]+$")

RAW_SCHEMA = pa.schema(
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
    ]
)

REJECTS_SCHEMA = pa.schema(
    [
        pa.field("snapshot_date", pa.date32(), nullable=False),
        pa.field("position", pa.int64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("item_json", pa.string(), nullable=False),
    ]
)

PARTITION_FILE = "part-0.parquet"


@dataclass
class SnapshotRows:
    """One snapshot date's items split into usable rows and rejects, with counts for the UI."""

    snapshot_date: dt.date
    table: pa.Table
    rejects: pa.Table
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
        }


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _int(value) -> int | None:
    # `type(...) is int` on purpose: bool is an int subclass, and a boolean download count is a wrong type.
    kind = type(value)
    if kind is int:
        return value if _INT64_MIN <= value <= _INT64_MAX else None
    if kind is float and math.isfinite(value) and value.is_integer():
        return int(value)
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
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


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
    if not _MODEL_ID.match(model_id):
        return f"id {model_id[:200]!r} is not of the form org/name"
    return None


def item_json(item) -> str:
    """Compact JSON text of an item, key order kept, non-ASCII kept."""
    try:
        return orjson.dumps(item).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        # orjson refuses integers beyond 64 bits; the standard library does not.
        return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


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
    target = RAW_SCHEMA.field("created_at").type
    try:
        return pa.array(values, pa.string()).cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([_timestamp(value) for value in values], target)


def build_snapshot_rows(items: Iterable, snapshot_date: dt.date | str) -> SnapshotRows:
    """Turn one date's Hub items into raw rows (sorted by id, deduplicated) and rejects.

    An id seen twice (the same model found by two scope queries) is kept once; the first copy wins and a
    copy that differs is counted as a conflict (the live Hub moved between two requests).
    """
    day = parse_snapshot_date(snapshot_date) if isinstance(snapshot_date, str) else snapshot_date
    kept: dict[str, dict] = {}
    rejects: list[dict] = []
    duplicates = conflicts = 0
    missing: Counter[str] = Counter()
    for position, item in enumerate(items):
        reason = reject_reason(item)
        if reason is not None:
            rejects.append({"snapshot_date": day, "position": position, "reason": reason, "item_json": item_json(item)})
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
    table = pa.Table.from_arrays(
        [pa.array(columns[f.name], f.type) if not isinstance(columns[f.name], pa.Array) else columns[f.name]
         for f in RAW_SCHEMA],
        schema=RAW_SCHEMA,
    )
    rejects_table = pa.Table.from_pylist(rejects, schema=REJECTS_SCHEMA)
    return SnapshotRows(
        snapshot_date=day,
        table=table,
        rejects=rejects_table,
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


def partition_dir(root: Path, day: dt.date) -> Path:
    """`root/snapshot_date=YYYY-MM-DD`: the Hive-style folder of one date."""
    return Path(root) / f"snapshot_date={day.isoformat()}"


def _write_table_atomically(table: pa.Table, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        # Row groups sized for DuckDB's parallel scan; no timestamps in the file, so equal rows give equal bytes.
        pq.write_table(table, tmp, compression="zstd", row_group_size=122_880, write_statistics=True)
        with open(tmp, "rb") as fh:
            os.fchmod(fh.fileno(), 0o644)  # mkstemp makes 0600; BI tools and other users read raw files
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_snapshot_partition(raw_root: Path, rejects_root: Path, rows: SnapshotRows) -> Path:
    """Write (or replace whole) one date's raw partition and its rejects; return the data file.

    Each file is written to a hidden temporary name and renamed over the old one, so a reader sees the old
    partition or the new one, never a mix or a half-written file. A date with no rejects has no rejects file.
    """
    target = partition_dir(raw_root, rows.snapshot_date) / PARTITION_FILE
    _write_table_atomically(rows.table, target)
    rejects_target = partition_dir(rejects_root, rows.snapshot_date) / PARTITION_FILE
    if rows.rejects.num_rows:
        _write_table_atomically(rows.rejects, rejects_target)
    else:
        rejects_target.unlink(missing_ok=True)
    return target


def read_partition_items(raw_root: Path, day: dt.date) -> list[dict]:
    """The items of one raw partition exactly as received (for export back to the archive format)."""
    path = partition_dir(raw_root, day) / PARTITION_FILE
    if not path.exists():
        raise FileNotFoundError(f"no raw partition for {day}: {path}")
    column = pq.read_table(path, columns=["item_json"]).column("item_json")
    return [orjson.loads(text) for text in column.to_pylist()]


def list_partitions(raw_root: Path) -> list[dt.date]:
    """Dates that have a raw partition, sorted."""
    root = Path(raw_root)
    if not root.is_dir():
        return []
    days = []
    for child in root.iterdir():
        if child.name.startswith("snapshot_date=") and (child / PARTITION_FILE).exists():
            days.append(parse_snapshot_date(child.name.split("=", 1)[1]))
    return sorted(days)
