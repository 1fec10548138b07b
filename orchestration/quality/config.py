"""Every threshold of the quality checks, as one Dagster resource (key `quality`).

Each field can be set from the environment as `HUBPULSE_QUALITY_<FIELD NAME IN CAPITALS>`:

    MIN_ROW_RATIO                        0.8   a raw partition needs at least this share of the previous
                                               existing partition's rows (a crawl that lost pages fails)
    MAX_ROW_RATIO                        1.5   ... and at most this multiple of them (a scope gone wrong)
    MIN_ROWS                             1     fewest rows of any raw partition (the first one included)
    MAX_MISSING_DOWNLOADS_ALL_TIME_SHARE 0.05  largest share of a partition's models without downloadsAllTime
    CREATED_AT_GRACE_HOURS               0     how far past the end of the snapshot date a createdAt may be
    MAX_UNCLASSIFIED_DOWNLOAD_SHARE      0.5   largest share of a partition's 30-day downloads whose author
                                               no organisation seed knows (over it: a WARN, never a failure)
    SHARE_TOLERANCE                      1e-9  how far a day's region shares may sum from 1
    EXAMPLES                             10    failing values shown per expectation
    DATA_DOCS                            true  write Great Expectations Data Docs under $HUBPULSE_HOME/quality
    DATA_DOCS_INDEX_LIMIT                500   validations listed on the Data Docs index page (newest first)
    WAREHOUSE_OPEN_TIMEOUT_SECONDS       30    how long a mart check waits while a writer locks the warehouse
    MART_BATCH_ROWS                      2000000  a daily mart's window is validated in batches of whole days
                                               of at most this many rows (memory stays bounded in a backfill)
    RAW_BATCH_ROWS                       2000000  a ranged run's raw partitions are validated together, in
                                               batches of whole partitions of at most this many rows

(each name above with the `HUBPULSE_QUALITY_` prefix, e.g. `HUBPULSE_QUALITY_MIN_ROW_RATIO=0.7`).
Booleans accept true/false, 1/0, yes/no, on/off.
"""

from __future__ import annotations

import os
import types
import typing

import dagster as dg
from pydantic import Field

ENV_PREFIX = "HUBPULSE_QUALITY_"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class QualityConfig(dg.ConfigurableResource):
    """Thresholds of the Great Expectations suites behind the raw and mart asset checks."""

    min_row_ratio: float = Field(
        default=0.8, ge=0.0, le=1.0, description="rows / previous partition's rows, lower bound"
    )
    max_row_ratio: float = Field(
        default=1.5, ge=1.0, description="rows / previous partition's rows, upper bound"
    )
    min_rows: int = Field(default=1, ge=0, description="fewest rows of any raw partition")
    max_missing_downloads_all_time_share: float = Field(
        default=0.05, ge=0.0, le=1.0, description="largest share of models without downloadsAllTime"
    )
    created_at_grace_hours: float = Field(
        default=0.0, ge=0.0, description="tolerance for a createdAt after the end of the snapshot date"
    )
    max_unclassified_download_share: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="largest share of downloads by authors no seed classifies (warn)",
    )
    share_tolerance: float = Field(
        default=1e-9, ge=0.0, description="allowed distance of a day's region shares from 1"
    )
    examples: int = Field(default=10, ge=1, le=1000, description="failing values shown per expectation")
    data_docs: bool = Field(
        default=True, description="write Great Expectations Data Docs under HUBPULSE_HOME/quality"
    )
    data_docs_index_limit: int = Field(
        default=500, ge=1, description="validations listed on the Data Docs index"
    )
    warehouse_open_timeout_seconds: float = Field(
        default=30.0, ge=0.0, description="wait for a writer's lock on the DuckDB warehouse"
    )
    mart_batch_rows: int = Field(
        default=2_000_000, ge=1, description="most rows of a daily mart validated at once (whole days)"
    )
    raw_batch_rows: int = Field(
        default=2_000_000, ge=1, description="most rows of a ranged run's raw partitions validated at once"
    )


def _field_type(annotation) -> type:
    # An optional field (`X | None`) parses as X.
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    return annotation


def _parse(name: str, kind: type, text: str):
    env = ENV_PREFIX + name.upper()
    value = text.strip()
    try:
        if kind is bool:
            if value.lower() in _TRUE:
                return True
            if value.lower() in _FALSE:
                return False
            raise ValueError("expected true/false")
        if kind is int:
            return int(value)
        if kind is float:
            return float(value)
    except ValueError as exc:
        raise ValueError(f"{env}={text!r} is not a valid {kind.__name__}: {exc}") from None
    return value


def quality_config_from_env(environ: typing.Mapping[str, str] | None = None) -> QualityConfig:
    """The `quality` resource: defaults overridden by the `HUBPULSE_QUALITY_*` variables that are set."""
    environ = os.environ if environ is None else environ
    values = {}
    for name, info in QualityConfig.model_fields.items():
        text = environ.get(ENV_PREFIX + name.upper())
        if text is not None and text.strip():
            values[name] = _parse(name, _field_type(info.annotation), text)
    unknown = sorted(
        key
        for key in environ
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :].lower() not in QualityConfig.model_fields
    )
    if unknown:
        raise ValueError(
            f"unknown quality setting(s) {', '.join(unknown)}; known: "
            + ", ".join(ENV_PREFIX + n.upper() for n in QualityConfig.model_fields)
        )
    return QualityConfig(**values)
