"""Expectations on one raw `hub_model_snapshots` partition (pure: no Dagster).

`validate_raw_frame` takes the partition as a pandas DataFrame plus the previous partition's row count and
the thresholds, runs the Great Expectations suite and returns one `CheckOutcome` per asset check.
`validate_raw_partition` reads the partition's Parquet file first: only the columns the checks need (the
JSON text columns would be most of the memory), the exact Arrow schema from the file footer.

The schema check compares Arrow types from the footer in Python rather than with GX: GX's pandas type
expectations compare numpy/pandas dtypes and cannot say `timestamp[ms, tz=UTC]` or `list<string>`.
Every other rule is a GX expectation.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.hub import rawstore
from orchestration.hub.rawstore import RawRoot
from orchestration.hub.snapshots import list_partitions, raw_schema
from orchestration.quality.config import QualityConfig
from orchestration.quality.validation import (
    CheckDef,
    CheckOutcome,
    DocsSite,
    Expect,
    ExpectationResult,
    _snake,
    jsonable,
    run_suite,
)
from orchestration.settings import SEEDS_DIR

if TYPE_CHECKING:  # pandas and pyarrow are imported where a check runs: the code location loads without them
    import pandas as pd
    import pyarrow as pa

RAW_ASSET = "hub_model_snapshots"
RAW_SUITE = "hub_model_snapshots"

SCHEMA = "schema_and_types"
IDS = "ids_unique_and_not_null"
COUNTS = "counts_non_negative"
CREATED_AT = "created_at_not_after_snapshot"
ROW_COUNT = "row_count_within_band"
MISSING_DOWNLOADS = "downloads_all_time_mostly_present"
AUTHORS = "authors_mapped_to_organisations"

RAW_CHECKS: tuple[CheckDef, ...] = (
    CheckDef(
        SCHEMA,
        "Every column of the raw schema is present with a compatible Arrow type, and every row carries "
        "the partition's snapshot date.",
    ),
    CheckDef(IDS, "Model ids are unique and never null."),
    CheckDef(COUNTS, "downloads, downloads_all_time and likes are never negative."),
    CheckDef(CREATED_AT, "No createdAt is after the end of the snapshot date (UTC)."),
    CheckDef(
        ROW_COUNT,
        "The row count is within the configured band of the previous existing partition's "
        "(a crawl that lost pages fails); the first partition only needs the minimum row count.",
    ),
    CheckDef(
        MISSING_DOWNLOADS, "The share of models without downloadsAllTime is under the configured maximum."
    ),
    CheckDef(
        AUTHORS,
        "Every author resolves to a seeded organisation or is counted as unclassified; warns when "
        "unclassified authors hold more than the configured share of the partition's downloads.",
        severity="WARN",
        blocking=False,
    ),
)
RAW_CHECKS_BY_NAME = {check.name: check for check in RAW_CHECKS}

# The columns the checks read; the JSON text columns (most of a partition's bytes) are left on disk.
CHECKED_COLUMNS = ("snapshot_date", "id", "author", "created_at", "downloads", "downloads_all_time", "likes")
COUNT_COLUMNS = ("downloads", "downloads_all_time", "likes")
UNCLASSIFIED_SHARE_COLUMN = "unclassified_download_share"


@dataclass
class RawValidation:
    """All raw checks of one partition."""

    snapshot_date: dt.date
    rows: int | None
    outcomes: dict[str, CheckOutcome]
    docs_page: Path | None = None
    docs_index: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(outcome.passed for outcome in self.outcomes.values())


def resolvable_organisations(seeds_dir: Path = SEEDS_DIR) -> frozenset[str]:
    """Namespaces that resolve to an organisation: the region seed's, and renamed ones (alias seed)."""
    names: set[str] = set()
    with open(Path(seeds_dir) / "organization_regions.csv", newline="", encoding="utf-8") as fh:
        names.update(row["hf_org"].strip() for row in csv.DictReader(fh) if row.get("hf_org"))
    aliases = Path(seeds_dir) / "organization_aliases.csv"
    if aliases.exists():
        with open(aliases, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                names.update(v.strip() for v in (row.get("legacy_namespace"), row.get("organization")) if v)
    return frozenset(names)


# ------------------------------------------------------------------------------------------------ schema


def types_compatible(expected: pa.DataType, observed: pa.DataType) -> bool:
    """Whether a column stored as `observed` reads as `expected` without changing meaning."""
    import pyarrow as pa

    if observed.equals(expected):
        return True
    if pa.types.is_integer(expected):
        return pa.types.is_integer(observed)
    if pa.types.is_floating(expected):
        return pa.types.is_floating(observed) or pa.types.is_integer(observed)
    if pa.types.is_string(expected) or pa.types.is_large_string(expected):
        return (
            pa.types.is_string(observed)
            or pa.types.is_large_string(observed)
            or pa.types.is_string_view(observed)
        )
    if pa.types.is_timestamp(expected):
        return pa.types.is_timestamp(observed) and observed.tz in ("UTC", "+00:00", "Etc/UTC")
    if pa.types.is_date(expected):
        return pa.types.is_date(observed)
    if pa.types.is_list(expected) or pa.types.is_large_list(expected):
        return (pa.types.is_list(observed) or pa.types.is_large_list(observed)) and types_compatible(
            expected.value_type, observed.value_type
        )
    return False


def schema_of(frame: pd.DataFrame) -> pa.Schema:
    """The Arrow schema of a frame: exact for Arrow-backed columns, inferred for the others."""
    import pandas as pd
    import pyarrow as pa

    fields = []
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.ArrowDtype):
            fields.append(pa.field(str(name), dtype.pyarrow_dtype))
        else:
            fields.append(pa.Schema.from_pandas(frame[[name]], preserve_index=False).field(str(name)))
    return pa.schema(fields)


def schema_result(schema: pa.Schema, examples: int = 10) -> ExpectationResult:
    """Columns of RAW_SCHEMA missing from `schema` or stored with an incompatible type."""
    problems = []
    for expected in raw_schema():
        index = schema.get_field_index(expected.name)
        if index < 0:
            problems.append({"column": expected.name, "expected": str(expected.type), "observed": "missing"})
            continue
        observed = schema.field(index).type
        if not types_compatible(expected.type, observed):
            problems.append(
                {"column": expected.name, "expected": str(expected.type), "observed": str(observed)}
            )
    return ExpectationResult(
        check=SCHEMA,
        expectation="arrow_schema_compatible_with_raw_schema",
        label="columns of the raw schema present with compatible types",
        success=not problems,
        observed=[f"{f.name}: {f.type}" for f in schema] if problems else len(schema),
        threshold={f.name: str(f.type) for f in raw_schema()},
        element_count=len(raw_schema()),
        unexpected_count=len(problems),
        unexpected_share=len(problems) / len(raw_schema()),
        examples=problems[:examples],
    )


# ------------------------------------------------------------------------------------------ expectations


def row_band(previous_rows: int, config: QualityConfig) -> tuple[int, int]:
    """Fewest and most rows allowed after a partition of `previous_rows` (rounded inward)."""
    low = math.ceil(round(previous_rows * config.min_row_ratio, 6))
    high = math.floor(round(previous_rows * config.max_row_ratio, 6))
    return max(low, config.min_rows), high


def created_at_limit(snapshot_date: dt.date, config: QualityConfig) -> dt.datetime:
    """The first instant a createdAt may not reach: the end of the snapshot date (UTC) plus the grace."""
    end = dt.datetime.combine(snapshot_date + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return end + dt.timedelta(hours=config.created_at_grace_hours)


def raw_expectations(
    snapshot_date: dt.date,
    config: QualityConfig,
    previous: tuple[dt.date, int] | None,
) -> list[Expect]:
    """The GX expectations of one raw partition (the schema comparison is done apart, see `schema_result`)."""
    limit = created_at_limit(snapshot_date, config)
    expects = [
        # Dates reach GX as ISO text (see validation.gx_frame).
        Expect(
            SCHEMA,
            "ExpectColumnValuesToBeInSet",
            {"column": "snapshot_date", "value_set": [snapshot_date.isoformat()]},
            f"every row's snapshot_date is {snapshot_date}",
            snapshot_date.isoformat(),
            ("snapshot_date",),
        ),
        Expect(
            IDS, "ExpectColumnValuesToNotBeNull", {"column": "id"}, "every row has an id", "not null", ("id",)
        ),
        Expect(IDS, "ExpectColumnValuesToBeUnique", {"column": "id"}, "ids are unique", "unique", ("id",)),
        *(
            Expect(
                COUNTS,
                "ExpectColumnValuesToBeBetween",
                {"column": column, "min_value": 0},
                f"{column} is not negative",
                ">= 0",
                (column,),
            )
            for column in COUNT_COLUMNS
        ),
        Expect(
            CREATED_AT,
            "ExpectColumnValuesToBeBetween",
            {"column": "created_at", "max_value": limit, "strict_max": True},
            f"createdAt not after the end of {snapshot_date} (UTC)",
            f"< {limit.isoformat()}",
            ("created_at",),
        ),
        Expect(
            MISSING_DOWNLOADS,
            "ExpectColumnValuesToNotBeNull",
            {"column": "downloads_all_time", "mostly": 1.0 - config.max_missing_downloads_all_time_share},
            f"at most {config.max_missing_downloads_all_time_share:.2%} of models miss downloadsAllTime",
            {"max_missing_share": config.max_missing_downloads_all_time_share},
            ("downloads_all_time",),
            expected=f"<= {config.max_missing_downloads_all_time_share:.2%} missing",
        ),
        Expect(
            AUTHORS,
            "ExpectColumnSumToBeBetween",
            {
                "column": UNCLASSIFIED_SHARE_COLUMN,
                "min_value": 0.0,
                "max_value": config.max_unclassified_download_share,
            },
            f"authors no seed classifies hold at most "
            f"{config.max_unclassified_download_share:.0%} of downloads",
            {"max_unclassified_download_share": config.max_unclassified_download_share},
            (UNCLASSIFIED_SHARE_COLUMN,),
            expected=f"<= {config.max_unclassified_download_share:g}",
        ),
    ]
    if previous is None or previous[1] == 0:  # nothing to compare with: only the minimum applies
        expects.append(
            Expect(
                ROW_COUNT,
                "ExpectTableRowCountToBeBetween",
                {"min_value": config.min_rows},
                f"at least {config.min_rows} rows",
                {"min_rows": config.min_rows},
                expected=f">= {config.min_rows} rows",
            )
        )
    else:
        previous_date, previous_rows = previous
        low, high = row_band(previous_rows, config)
        expects.append(
            Expect(
                ROW_COUNT,
                "ExpectTableRowCountToBeBetween",
                {"min_value": low, "max_value": high},
                f"row count within {config.min_row_ratio:g}..{config.max_row_ratio:g} x "
                f"the {previous_rows} rows of {previous_date}",
                {
                    "min_rows": low,
                    "max_rows": high,
                    "previous_rows": previous_rows,
                    "previous_partition": previous_date.isoformat(),
                    "ratio_band": [config.min_row_ratio, config.max_row_ratio],
                },
                expected=f"{low}..{high} rows",
            )
        )
    return expects


def _unclassified(
    frame: pd.DataFrame, organisations: frozenset[str], examples: int
) -> tuple[pd.Series | None, dict]:
    """Each row's share of the partition's downloads when its author is unclassified (else 0), and the counts.

    Shares of the 30-day `downloads`; when a partition reports no downloads at all, shares of models instead.
    """
    import pandas as pd

    if "author" not in frame.columns or "downloads" not in frame.columns:
        return None, {}
    rows = len(frame)
    unclassified = ~frame["author"].isin(organisations).to_numpy(dtype=bool, na_value=False)
    downloads = pd.to_numeric(frame["downloads"], errors="coerce").to_numpy(dtype="float64", na_value=0.0)
    downloads = downloads.clip(min=0.0)  # negative counts are another check's failure
    total = float(downloads.sum())
    if total > 0:
        share = (downloads * unclassified) / total
    else:
        share = unclassified.astype("float64") / max(rows, 1)
    stats = {
        "unclassified_models": int(unclassified.sum()),
        "unclassified_model_share": float(unclassified.sum() / rows) if rows else 0.0,
        "unclassified_download_share": float(share.sum()),
    }
    if stats["unclassified_models"]:
        authors = frame.loc[unclassified, ["author"]].assign(downloads=downloads[unclassified])
        grouped = authors.groupby("author", observed=True, dropna=False)["downloads"].agg(["size", "sum"])
        stats["unclassified_authors"] = len(grouped)
        top = grouped.sort_values(["sum", "size"], ascending=False).head(examples)
        stats["top_unclassified_authors"] = [
            {
                "author": jsonable(author),
                "models": int(row["size"]),
                "download_share": round(float(row["sum"]) / total, 6) if total > 0 else None,
            }
            for author, row in top.iterrows()
        ]
    else:
        stats["unclassified_authors"] = 0
        stats["top_unclassified_authors"] = []
    return pd.Series(share, index=frame.index, name=UNCLASSIFIED_SHARE_COLUMN), stats


def validate_raw_frame(
    frame: pd.DataFrame,
    *,
    snapshot_date: dt.date,
    config: QualityConfig,
    previous: tuple[dt.date, int] | None = None,
    organisations: Iterable[str] | None = None,
    schema: pa.Schema | None = None,
    docs: DocsSite | None = None,
    run_name: str | None = None,
) -> RawValidation:
    """Run every raw expectation on one partition's rows.

    `previous` is the previous existing partition's (date, row count), None for the first partition;
    `schema` the partition file's Arrow schema (default: the frame's); `organisations` the resolvable
    namespaces (default: the seeds). Returns one outcome per check of RAW_CHECKS.
    """
    organisations = resolvable_organisations() if organisations is None else frozenset(organisations)
    schema = schema_of(frame) if schema is None else schema
    share, author_stats = _unclassified(frame, organisations, config.examples)
    batch = frame if share is None else frame.assign(**{UNCLASSIFIED_SHARE_COLUMN: share})
    suite = run_suite(
        batch,
        raw_expectations(snapshot_date, config, previous),
        suite_name=RAW_SUITE,
        asset_name=RAW_ASSET,
        run_name=run_name or snapshot_date.isoformat(),
        docs=docs,
        examples=config.examples,
        index_columns=("id",),
    )
    results = [schema_result(schema, config.examples), *suite.results]
    outcomes = {
        check.name: CheckOutcome(check, [r for r in results if r.check == check.name]) for check in RAW_CHECKS
    }
    rows = len(frame)
    outcomes[AUTHORS].extra.update(author_stats)
    for r in outcomes[AUTHORS].failures:
        r.examples = author_stats.get("top_unclassified_authors", [])[: config.examples]
    missing = int(frame["downloads_all_time"].isna().sum()) if "downloads_all_time" in frame.columns else None
    if missing is not None:
        outcomes[MISSING_DOWNLOADS].extra.update(
            {"missing_downloads_all_time": missing, "missing_share": missing / rows if rows else 0.0}
        )
    band = outcomes[ROW_COUNT]
    band.extra["rows"] = rows
    if previous is None:
        band.notes.append("first partition: no previous partition to compare with")
    elif previous[1] == 0:
        band.notes.append(f"the previous partition ({previous[0]}) is empty: nothing to compare with")
    else:
        band.extra.update(
            {
                "previous_partition": previous[0].isoformat(),
                "previous_rows": previous[1],
                "row_ratio": round(rows / previous[1], 6) if previous[1] else None,
            }
        )
    return RawValidation(snapshot_date, rows, outcomes, suite.docs_page, suite.docs_index)


# ------------------------------------------------------------------------------------------------- files


def partition_file(raw_root: RawRoot, day: dt.date) -> RawRoot:
    return rawstore.partition_file(raw_root, day)


def previous_partition(raw_root: RawRoot, day: dt.date) -> tuple[dt.date, int] | None:
    """The latest existing partition before `day` and its row count (from the Parquet footer)."""
    earlier = [d for d in list_partitions(raw_root) if d < day]
    if not earlier:
        return None
    return earlier[-1], rawstore.num_rows(partition_file(raw_root, earlier[-1]))


def read_raw_partition(raw_root: RawRoot, day: dt.date) -> tuple[pd.DataFrame, pa.Schema]:
    """The checked columns of one partition as an Arrow-backed DataFrame, and the file's full schema."""
    import pandas as pd

    path = partition_file(raw_root, day)
    schema = rawstore.read_schema(path)
    columns = [c for c in CHECKED_COLUMNS if schema.get_field_index(c) >= 0]
    table = rawstore.read_table(path, columns)
    return table.to_pandas(types_mapper=pd.ArrowDtype), schema


def missing_partition(day: dt.date, path: RawRoot) -> RawValidation:
    """Every check fails: there is no partition file to validate."""
    error = (
        f"no raw partition for {day}: {path} does not exist (materialize hub_model_snapshots for it first)"
    )
    outcomes = {
        check.name: CheckOutcome(
            check,
            [
                ExpectationResult(
                    check=check.name,
                    expectation="partition_exists",
                    label="raw partition exists",
                    success=False,
                    error=error,
                )
            ],
        )
        for check in RAW_CHECKS
    }
    return RawValidation(day, None, outcomes)


def validate_raw_partition(
    raw_root: RawRoot,
    day: dt.date,
    *,
    config: QualityConfig,
    organisations: Iterable[str] | None = None,
    docs: DocsSite | None = None,
    run_name: str | None = None,
) -> RawValidation:
    """Read one raw partition (checked columns only) and run every raw expectation on it."""
    path = partition_file(raw_root, day)
    if not rawstore.exists(path):
        return missing_partition(day, path)
    frame, schema = read_raw_partition(raw_root, day)
    return validate_raw_frame(
        frame,
        snapshot_date=day,
        config=config,
        previous=previous_partition(raw_root, day),
        organisations=organisations,
        schema=schema,
        docs=docs,
        run_name=run_name,
    )


# ---------------------------------------------------------------------------------------------- ranges

PARTITION_COLUMN = "_partition"  # the partition a row was read from, in a batch of several partitions
_BORDERLINE = 1e-9  # shares this close to their threshold are re-checked alone (the sums may round apart)


def validate_raw_partitions(
    raw_root: RawRoot,
    days: Iterable[dt.date],
    *,
    config: QualityConfig,
    organisations: Iterable[str] | None = None,
    docs: DocsSite | None = None,
    run_name: str | None = None,
) -> dict[dt.date, RawValidation]:
    """Every raw check of several partitions (a ranged backfill), each partition judged on its own.

    The same verdicts as `validate_raw_partition` day by day, with far fewer Great Expectations runs, whose
    fixed cost (about half a second each) would otherwise dominate a backfill of small partitions: the
    partitions are validated in batches of whole partitions (at most `config.raw_batch_rows` rows), one suite
    per batch over their rows side by side, every rule written so that a failing row names its partition
    (the partition-wide rules, on one row per partition). A partition the batch finds wrong (or a share within
    a rounding error of its threshold) is then validated again alone, so its outcome, examples and Data Docs
    page are exactly those of a single-partition run; a partition that passes gets the passing results of
    its own expectations, with its own counts, and the batch's Data Docs page.
    """
    organisations = resolvable_organisations() if organisations is None else frozenset(organisations)
    days = sorted(set(days))
    on_disk = list_partitions(raw_root)
    out: dict[dt.date, RawValidation] = {}
    loaded: list[tuple[dt.date, pd.DataFrame, pa.Schema]] = []
    for day in days:
        path = partition_file(raw_root, day)
        if not rawstore.exists(path):
            out[day] = missing_partition(day, path)
            continue
        frame, schema = read_raw_partition(raw_root, day)
        loaded.append((day, frame, schema))
    rows_of: dict[dt.date, int] = {day: len(frame) for day, frame, _ in loaded}

    def previous(day: dt.date) -> tuple[dt.date, int] | None:
        earlier = [d for d in on_disk if d < day]
        if not earlier:
            return None
        before = earlier[-1]
        if before not in rows_of:
            rows_of[before] = rawstore.num_rows(partition_file(raw_root, before))
        return before, rows_of[before]

    batch: list[tuple[dt.date, pd.DataFrame, pa.Schema]] = []
    batch_rows = 0
    batches = []
    for item in loaded:
        if batch and batch_rows + len(item[1]) > config.raw_batch_rows:
            batches.append(batch)
            batch, batch_rows = [], 0
        batch.append(item)
        batch_rows += len(item[1])
    if batch:
        batches.append(batch)
    for number, members in enumerate(batches, start=1):
        name = run_name if len(batches) == 1 else f"{run_name or 'batch'}_{number}"
        out.update(_validate_batch(members, previous, config, organisations, docs, name))
    return {day: out[day] for day in days}


def _validate_batch(members, previous, config, organisations, docs, run_name) -> dict[dt.date, RawValidation]:
    """One GX run over several partitions; a partition it finds wrong is validated again alone."""
    import pandas as pd

    frames, per_day = [], {}
    for day, frame, schema in members:
        key = day.isoformat()
        share, author_stats = _unclassified(frame, organisations, config.examples)
        before = previous(day)
        rows = len(frame)
        missing = int(frame["downloads_all_time"].isna().sum()) if "downloads_all_time" in frame.columns else None
        expects = raw_expectations(day, config, before)
        band = next(e for e in expects if e.check == ROW_COUNT).kwargs
        low, high = band.get("min_value"), band.get("max_value")
        row_problem = None
        if (low is not None and rows < low) or (high is not None and rows > high):
            row_problem = f"{rows} rows"
        limit = created_at_limit(day, config)
        part = frame.assign(**{
            PARTITION_COLUMN: key,
            UNCLASSIFIED_SHARE_COLUMN: share if share is not None else float("nan"),
            "_created_at_limit": pd.Series(pd.Timestamp(limit), index=frame.index),
        })
        first = pd.Series(False, index=frame.index)
        if rows:
            first.iloc[0] = True
        part["_row_count_problem"] = pd.Series([row_problem if f else None for f in first], index=frame.index, dtype=object)
        part["_missing_share"] = [(missing / rows if rows and missing is not None else 0.0) if f else float("nan") for f in first]
        part["_unclassified_share"] = [
            (float(share.sum()) if share is not None else 0.0) if f else float("nan") for f in first
        ]
        frames.append(part)
        per_day[day] = {
            "frame": frame, "schema": schema, "previous": before, "share": share, "author_stats": author_stats,
            "rows": rows, "missing": missing, "expects": expects, "row_problem": row_problem,
        }
    batch = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    batch_expects = _batch_expectations(config)
    suite = run_suite(
        batch,
        batch_expects,
        suite_name=f"{RAW_SUITE}_range",
        asset_name=RAW_ASSET,
        run_name=run_name or "range",
        docs=docs,
        examples=config.examples,
        index_columns=(PARTITION_COLUMN, "id"),
        key_column=PARTITION_COLUMN,
    )
    failing: set[str] = set()
    for result in suite.results:
        if result.success:
            continue
        if result.failing_keys is None:  # not attributable (an error): judge every partition alone
            failing.update(day.isoformat() for day in per_day)
        else:
            failing.update(result.failing_keys)
    out = {}
    for day, info in per_day.items():
        missing_share = info["missing"] / info["rows"] if info["rows"] and info["missing"] is not None else 0.0
        unclassified = float(info["share"].sum()) if info["share"] is not None else 0.0
        borderline = (
            abs(missing_share - config.max_missing_downloads_all_time_share) <= _BORDERLINE
            or abs(unclassified - config.max_unclassified_download_share) <= _BORDERLINE
        )
        alone = day.isoformat() in failing or borderline or not schema_result(info["schema"]).success
        if alone:
            out[day] = validate_raw_frame(
                info["frame"], snapshot_date=day, config=config, previous=info["previous"],
                organisations=organisations, schema=info["schema"], docs=docs,
                run_name=f"{day.isoformat()}_{run_name}" if run_name else None,
            )
            continue
        out[day] = _passing_validation(day, info, config, suite)
    return out


def _batch_expectations(config: QualityConfig) -> list[Expect]:
    """The raw rules over several partitions' rows, each failing row carrying its partition."""
    def expect(check, gx_class, kwargs, columns):
        return Expect(check, gx_class, kwargs, f"{check} ({gx_class})", None, columns)

    return [
        expect(SCHEMA, "ExpectColumnPairValuesToBeEqual",
               {"column_A": "snapshot_date", "column_B": PARTITION_COLUMN, "ignore_row_if": "either_value_is_missing"},
               ("snapshot_date",)),
        expect(IDS, "ExpectColumnValuesToNotBeNull", {"column": "id"}, ("id",)),
        expect(IDS, "ExpectCompoundColumnsToBeUnique",
               {"column_list": [PARTITION_COLUMN, "id"], "ignore_row_if": "any_value_is_missing"}, ("id",)),
        *(
            expect(COUNTS, "ExpectColumnValuesToBeBetween", {"column": column, "min_value": 0}, (column,))
            for column in COUNT_COLUMNS
        ),
        expect(CREATED_AT, "ExpectColumnPairValuesAToBeGreaterThanB",
               {"column_A": "_created_at_limit", "column_B": "created_at", "or_equal": False,
                "ignore_row_if": "either_value_is_missing"},
               ("created_at",)),
        expect(MISSING_DOWNLOADS, "ExpectColumnValuesToBeBetween",
               {"column": "_missing_share", "max_value": config.max_missing_downloads_all_time_share},
               ("downloads_all_time",)),
        expect(AUTHORS, "ExpectColumnValuesToBeBetween",
               {"column": "_unclassified_share", "min_value": 0.0, "max_value": config.max_unclassified_download_share},
               (UNCLASSIFIED_SHARE_COLUMN,)),
        expect(ROW_COUNT, "ExpectColumnValuesToBeNull", {"column": "_row_count_problem"}, ()),
    ]


def _passing_validation(day: dt.date, info: dict, config: QualityConfig, suite) -> RawValidation:
    """The outcome a single-partition run gives a partition that passes every rule, from its own counts."""
    frame, rows = info["frame"], info["rows"]
    results = [schema_result(info["schema"], config.examples)]
    for expect in info["expects"]:
        result = ExpectationResult(
            check=expect.check,
            expectation=_snake(expect.gx_class),
            label=expect.label,
            success=True,
            threshold=jsonable(expect.threshold),
            expected=expect.expected,
        )
        column = expect.kwargs.get("column")
        if expect.gx_class == "ExpectTableRowCountToBeBetween":
            result.observed = rows
        elif expect.gx_class == "ExpectColumnSumToBeBetween":
            share = info["share"]
            result.observed = jsonable(float(share.sum()) if share is not None else 0.0)
        elif column is not None:
            nulls = int(frame[column].isna().sum()) if column in frame.columns else 0
            result.element_count = rows if expect.gx_class == "ExpectColumnValuesToNotBeNull" else rows - nulls
            result.unexpected_count = nulls if expect.gx_class == "ExpectColumnValuesToNotBeNull" else 0
            if result.element_count:
                result.unexpected_share = result.unexpected_count / result.element_count
        results.append(result)
    outcomes = {
        check.name: CheckOutcome(check, [r for r in results if r.check == check.name]) for check in RAW_CHECKS
    }
    outcomes[AUTHORS].extra.update(info["author_stats"])
    if info["missing"] is not None:
        outcomes[MISSING_DOWNLOADS].extra.update(
            {"missing_downloads_all_time": info["missing"],
             "missing_share": info["missing"] / rows if rows else 0.0}
        )
    band = outcomes[ROW_COUNT]
    band.extra["rows"] = rows
    before = info["previous"]
    if before is None:
        band.notes.append("first partition: no previous partition to compare with")
    elif before[1] == 0:
        band.notes.append(f"the previous partition ({before[0]}) is empty: nothing to compare with")
    else:
        band.extra.update(
            {"previous_partition": before[0].isoformat(), "previous_rows": before[1],
             "row_ratio": round(rows / before[1], 6) if before[1] else None}
        )
    return RawValidation(day, rows, outcomes, suite.docs_page, suite.docs_index)
