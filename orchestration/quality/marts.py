"""Expectations on the dbt marts in the DuckDB warehouse (pure: no Dagster).

Each mart is described by a `MartSpec`: its grain, the columns the checks read, the partition column of the
daily-partitioned marts, its checks, and a function turning the rows into a batch plus expectations (some
rules need a derived column, e.g. each day's sum of region shares). `read_mart` reads only the window just
built (the run's days for the daily marts, the whole table otherwise) through a read-only DuckDB connection;
`validate_mart_frame` runs the GX suite on it. Names follow `dbt_project/models/marts/_marts__models.yml`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.quality.config import QualityConfig
from orchestration.quality.validation import (
    CheckDef,
    CheckOutcome,
    DocsSite,
    Expect,
    ExpectationResult,
    jsonable,
    run_suite,
)
from orchestration.settings import PLACEHOLDER_CREATED_AT

if TYPE_CHECKING:  # pandas and numpy are imported where a check runs: the code location loads without them
    import numpy as np
    import pandas as pd

MART_SCHEMA = "marts"  # dbt_project.yml: +schema: marts (generate_schema_name keeps it as is)
REGIONS = ("us", "china", "eu", "other", "unknown", "unclassified")

GRAIN = "grain_unique"
NON_NEGATIVE_DAILY = "daily_downloads_non_negative"
NON_NEGATIVE_VELOCITY = "downloads_and_velocities_non_negative"
REGION_SHARES = "region_shares_sum_to_one"
REAL_RELEASE_DATES = "releases_on_real_creation_dates"
MAPPED = "models_mapped_to_organisation_and_region"
RANKS = "ranks_dense_within_range"

REGION_SHARE_SUM = "region_share_sum"
REGION_SHARE_SUM_30D = "region_share_sum_downloads_30d"


def _grain_check(grain: Sequence[str]) -> CheckDef:
    return CheckDef(GRAIN, f"One row per ({', '.join(grain)}) in the rows just built.")


def _grain_expect(grain: Sequence[str]) -> Expect:
    label = f"one row per ({', '.join(grain)})"
    if len(grain) == 1:
        return Expect(
            GRAIN, "ExpectColumnValuesToBeUnique", {"column": grain[0]}, label, "unique", tuple(grain)
        )
    return Expect(
        GRAIN, "ExpectCompoundColumnsToBeUnique", {"column_list": list(grain)}, label, "unique", tuple(grain)
    )


def _bool(series: pd.Series) -> np.ndarray:
    """A boolean column as numpy, nulls as False."""
    return series.to_numpy(dtype=bool, na_value=False)


def _problem_column(frame: pd.DataFrame, problems: Sequence[tuple[np.ndarray, str]]) -> pd.Series:
    """Per row the first problem whose mask is set (None when the row is fine)."""
    import numpy as np
    import pandas as pd

    out = np.full(len(frame), None, dtype=object)
    for mask, text in reversed(problems):
        out[mask] = text
    return pd.Series(out, index=frame.index, dtype=object)


# ------------------------------------------------------------------------------------------- batches


Batch = tuple["pd.DataFrame", list[Expect], dict]


def _fct_model_daily(frame: pd.DataFrame, config: QualityConfig) -> Batch:
    return (
        frame,
        [
            _grain_expect(("model_id", "snapshot_date")),
            Expect(
                NON_NEGATIVE_DAILY,
                "ExpectColumnValuesToBeBetween",
                {"column": "daily_downloads", "min_value": 0},
                "daily_downloads is not negative",
                ">= 0",
                ("daily_downloads",),
            ),
        ],
        {},
    )


def region_share_sums(frame: pd.DataFrame, share_column: str = "share_of_total",
                      total_column: str = "velocity_28d", name: str = REGION_SHARE_SUM) -> pd.Series:
    """On each day's `total` row with a positive `total_column`: the sum of that day's region `share_column`.

    NaN elsewhere: days whose total is zero or unknown (the first day of a history, an archive without
    downloadsAllTime) have no shares to sum and are left out, which is not a failure.
    """
    import numpy as np
    import pandas as pd

    entity = frame["entity_type"]
    is_region, is_total = _bool(entity == "region"), _bool(entity == "total")
    shares = pd.to_numeric(frame[share_column], errors="coerce").to_numpy(dtype="float64", na_value=0.0)
    sums = pd.Series(shares[is_region]).groupby(frame["metric_date"].to_numpy()[is_region]).sum()
    total = pd.to_numeric(frame[total_column], errors="coerce").to_numpy(dtype="float64", na_value=0.0)
    checked = is_total & (total > 0)
    out = np.full(len(frame), np.nan)
    days = frame["metric_date"].to_numpy()[checked]
    out[checked] = sums.reindex(days).fillna(0.0).to_numpy(dtype="float64")
    return pd.Series(out, index=frame.index, name=name)


def _fct_download_velocity(frame: pd.DataFrame, config: QualityConfig) -> Batch:
    batch = frame
    if all(c in frame.columns for c in ("entity_type", "metric_date", "share_of_total", "velocity_28d")):
        batch = batch.assign(**{REGION_SHARE_SUM: region_share_sums(frame)})
    if all(c in frame.columns for c in ("entity_type", "metric_date", "share_of_total_downloads_30d",
                                         "downloads_30d")):
        batch = batch.assign(**{REGION_SHARE_SUM_30D: region_share_sums(
            frame, "share_of_total_downloads_30d", "downloads_30d", REGION_SHARE_SUM_30D)})
    tol = config.share_tolerance
    return (
        batch,
        [
            _grain_expect(("entity_type", "entity_id", "metric_date")),
            *(
                Expect(
                    NON_NEGATIVE_VELOCITY,
                    "ExpectColumnValuesToBeBetween",
                    {"column": column, "min_value": 0},
                    f"{column} is not negative",
                    ">= 0",
                    (column,),
                )
                for column in ("daily_downloads", "velocity_7d", "velocity_28d", "downloads_30d")
            ),
            *(
                Expect(
                    REGION_SHARES,
                    "ExpectColumnValuesToBeBetween",
                    {"column": column, "min_value": 1.0 - tol, "max_value": 1.0 + tol},
                    f"region shares of {measure} sum to 1 on every day with a positive total",
                    {"sum": 1.0, "tolerance": tol, "measure": measure},
                    (column,),
                    expected=f"1 +/- {tol:g}",
                )
                for column, measure in ((REGION_SHARE_SUM, "velocity_28d"), (REGION_SHARE_SUM_30D, "downloads_30d"))
            ),
        ],
        {},
    )


def _dim_models(frame: pd.DataFrame, config: QualityConfig) -> Batch:
    expects = [
        _grain_expect(("model_id",)),
        Expect(
            MAPPED,
            "ExpectColumnValuesToNotBeNull",
            {"column": "organization"},
            "every model has an organisation",
            "not null",
            ("organization",),
        ),
        Expect(
            MAPPED,
            "ExpectColumnValuesToNotBeNull",
            {"column": "region"},
            "every model has a region",
            "not null",
            ("region",),
        ),
        Expect(
            MAPPED,
            "ExpectColumnValuesToBeInSet",
            {"column": "region", "value_set": list(REGIONS)},
            "regions are known (unclassified allowed)",
            list(REGIONS),
            ("region",),
        ),
    ]
    extra: dict = {}
    if "region" in frame.columns:
        unclassified = int(_bool(frame["region"] == "unclassified").sum())
        extra[MAPPED] = {
            "unclassified_models": unclassified,
            "unclassified_share": unclassified / len(frame) if len(frame) else 0.0,
            "models_by_region": {
                str(k): int(v) for k, v in frame["region"].value_counts(dropna=False).items()
            },
        }
    needed = ("is_release", "is_placeholder_created_at", "created_at", "created_date")
    batch = frame
    if all(c in frame.columns for c in needed):
        import pandas as pd

        release, flagged = _bool(frame["is_release"]), _bool(frame["is_placeholder_created_at"])
        at_placeholder = _bool(frame["created_at"] == pd.Timestamp(PLACEHOLDER_CREATED_AT))
        dated = frame["created_date"].notna().to_numpy(dtype=bool)
        batch = frame.assign(
            release_date_problem=_problem_column(
                frame,
                [
                    (
                        release & (flagged | at_placeholder),
                        f"release on the placeholder createdAt {PLACEHOLDER_CREATED_AT}",
                    ),
                    (release & ~dated, "release without a creation date"),
                    (at_placeholder & ~flagged, "placeholder createdAt not flagged"),
                    ((flagged | at_placeholder) & dated, "placeholder createdAt given a creation date"),
                ],
            )
        )
    expects.append(
        Expect(
            REAL_RELEASE_DATES,
            "ExpectColumnValuesToBeNull",
            {"column": "release_date_problem"},
            "releases only on real creation dates (never the 2022-03-02 placeholder)",
            "no problem",
            ("release_date_problem",),
            expected="no release on the placeholder",
        )
    )
    return batch, expects, extra


def _fct_derivatives(frame: pd.DataFrame, config: QualityConfig) -> Batch:
    needed = (
        "is_placeholder_created_at",
        "release_date",
        "days_to_first_derivative",
        "derivatives_within_42_days",
    )
    batch = frame
    if all(c in frame.columns for c in needed):
        flagged = _bool(frame["is_placeholder_created_at"])
        timed = (
            frame["days_to_first_derivative"].notna() | frame["derivatives_within_42_days"].notna()
        ).to_numpy(dtype=bool)
        batch = frame.assign(
            release_date_problem=_problem_column(
                frame,
                [
                    (
                        flagged & frame["release_date"].notna().to_numpy(dtype=bool),
                        "placeholder base given a release_date",
                    ),
                    (flagged & timed, "derivative timing computed from the placeholder createdAt"),
                ],
            )
        )
    return (
        batch,
        [
            _grain_expect(("base_model_id",)),
            Expect(
                REAL_RELEASE_DATES,
                "ExpectColumnValuesToBeNull",
                {"column": "release_date_problem"},
                "release dates and derivative timing only from real creation dates",
                "no problem",
                ("release_date_problem",),
                expected="no date from the placeholder",
            ),
        ],
        {},
    )


def rank_problems(frame: pd.DataFrame, rank: str, other: str, group: str = "month_start") -> pd.Series:
    """Per row what is wrong with `rank` within its `group`, or None.

    Ranks are fractional (ties get their average rank): among the n rows ranked in a month, sorted, a tie
    group of size c starting at position p must carry p + (c - 1) / 2, so a gap, a duplicate integer rank or
    a rank beyond n all show. A row ranked on one score but not on the other is wrong too.
    """
    import numpy as np
    import pandas as pd

    out = np.full(len(frame), None, dtype=object)
    values = pd.to_numeric(frame[rank], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    other_values = pd.to_numeric(frame[other], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    has, has_other = ~np.isnan(values), ~np.isnan(other_values)
    out[has != has_other] = f"{rank} set without {other} (or the reverse)"
    ranked = pd.DataFrame(
        {"group": frame[group].to_numpy()[has], "rank": values[has], "row": np.flatnonzero(has)}
    )
    if len(ranked):
        ranked = ranked.sort_values(["group", "rank"], kind="stable")
        ranked["position"] = ranked.groupby("group").cumcount() + 1
        ties = ranked.groupby(["group", "rank"])["position"]
        ranked["expected"] = ties.transform("min") + (ties.transform("size") - 1) / 2
        ranked["n"] = ranked.groupby("group")["rank"].transform("size")
        bad = ranked[(ranked["rank"] - ranked["expected"]).abs() > 1e-9]
        for row, value, expected, n in zip(bad["row"], bad["rank"], bad["expected"], bad["n"], strict=True):
            where = "outside" if value < 1 or value > n else "not dense in"
            out[row] = f"{rank} {value:g} {where} 1..{n} (expected {expected:g}: ties averaged, no gaps)"
    return pd.Series(out, index=frame.index, dtype=object)


def _fct_ecosystem_vs_benchmark(frame: pd.DataFrame, config: QualityConfig) -> Batch:
    batch = frame
    if all(c in frame.columns for c in ("benchmark_rank", "ecosystem_rank", "month_start")):
        batch = frame.assign(
            benchmark_rank_problem=rank_problems(frame, "benchmark_rank", "ecosystem_rank"),
            ecosystem_rank_problem=rank_problems(frame, "ecosystem_rank", "benchmark_rank"),
        )
    return (
        batch,
        [
            _grain_expect(("organization", "month_start")),
            *(
                Expect(
                    RANKS,
                    "ExpectColumnValuesToBeNull",
                    {"column": f"{rank}_problem"},
                    f"{rank} dense in 1..n per month (ties averaged)",
                    "1..n, no gaps",
                    (f"{rank}_problem",),
                    expected="ranks 1..n with no gaps",
                )
                for rank in ("benchmark_rank", "ecosystem_rank")
            ),
        ],
        {},
    )


def _grain_only(grain: Sequence[str]) -> Callable[[pd.DataFrame, QualityConfig], Batch]:
    def build(frame: pd.DataFrame, config: QualityConfig) -> Batch:
        return frame, [_grain_expect(grain)], {}

    return build


# ---------------------------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class MartSpec:
    """One mart: grain, the columns read, the partition column of a daily mart, its checks, its batch."""

    model: str
    grain: tuple[str, ...]
    columns: tuple[str, ...]
    checks: tuple[CheckDef, ...]
    build: Callable[[pd.DataFrame, QualityConfig], Batch] = field(repr=False)
    date_column: str | None = None

    @property
    def relation(self) -> str:
        return f"{MART_SCHEMA}.{self.model}"


def _spec(model, grain, extra_columns=(), extra_checks=(), build=None, date_column=None) -> MartSpec:
    columns = tuple(dict.fromkeys((*grain, *extra_columns)))
    return MartSpec(
        model,
        tuple(grain),
        columns,
        (_grain_check(grain), *extra_checks),
        build or _grain_only(grain),
        date_column,
    )


DAILY_MART_SPECS: tuple[MartSpec, ...] = (
    _spec(
        "fct_model_daily",
        ("model_id", "snapshot_date"),
        ("daily_downloads",),
        (CheckDef(NON_NEGATIVE_DAILY, "daily_downloads is never negative in the days just built."),),
        _fct_model_daily,
        date_column="snapshot_date",
    ),
    _spec(
        "fct_download_velocity",
        ("entity_type", "entity_id", "metric_date"),
        ("daily_downloads", "velocity_7d", "velocity_28d", "share_of_total", "downloads_30d",
         "share_of_total_downloads_30d"),
        (
            CheckDef(
                NON_NEGATIVE_VELOCITY,
                "daily_downloads, velocity_7d, velocity_28d and downloads_30d are never negative.",
            ),
            CheckDef(
                REGION_SHARES,
                "Region shares of both measures (share_of_total of velocity_28d, share_of_total_downloads_30d) "
                "sum to 1 on every day whose total is positive. Guards against corrupt velocities: a region "
                "row lost, duplicated or summed over another window than the total's. Scope churn never fails "
                "it (a region that left the scope keeps its rows while its 28-day window holds downloads), nor "
                "does a day without a known total (the first day of a history), which has no shares.",
            ),
        ),
        _fct_download_velocity,
        date_column="metric_date",
    ),
)

MART_SPECS: tuple[MartSpec, ...] = (
    _spec(
        "dim_models",
        ("model_id",),
        ("organization", "region", "created_at", "created_date", "is_placeholder_created_at", "is_release"),
        (
            CheckDef(
                MAPPED,
                "Every model has an organisation and a known region (`unclassified` allowed and counted).",
            ),
            CheckDef(
                REAL_RELEASE_DATES,
                "Releases only on real creation dates: never the 2022-03-02 placeholder "
                "createdAt, which is flagged and has no creation date.",
            ),
        ),
        _dim_models,
    ),
    _spec("dim_organizations", ("organization",)),
    _spec("fct_release_cadence", ("entity_type", "entity_id", "week_start")),
    _spec(
        "fct_derivatives",
        ("base_model_id",),
        (
            "release_date",
            "is_placeholder_created_at",
            "days_to_first_derivative",
            "derivatives_within_42_days",
        ),
        (
            CheckDef(
                REAL_RELEASE_DATES,
                "A base model with the placeholder createdAt has no release date and no derivative timing.",
            ),
        ),
        _fct_derivatives,
    ),
    _spec("fct_supply_chain", ("month_start", "child_region", "base_region", "relation")),
    _spec(
        "fct_ecosystem_vs_benchmark",
        ("organization", "month_start"),
        ("benchmark_rank", "ecosystem_rank"),
        (
            CheckDef(
                RANKS,
                "benchmark_rank and ecosystem_rank are dense within 1..n per month (n organisations "
                "ranked on both scores, ties averaged).",
            ),
        ),
        _fct_ecosystem_vs_benchmark,
    ),
    _spec("fct_benchmark_adoption_correlation", ("month_start",)),
)

ALL_MART_SPECS = {spec.model: spec for spec in (*DAILY_MART_SPECS, *MART_SPECS)}


# ----------------------------------------------------------------------------------------- validation


@dataclass
class MartValidation:
    """All checks of one mart over one window."""

    spec: MartSpec
    window: tuple[dt.date, dt.date] | None
    rows: int | None
    outcomes: dict[str, CheckOutcome]
    docs_page: Path | None = None
    docs_index: Path | None = None


class MartUnavailable(Exception):
    """The warehouse or the mart's table cannot be read (not built yet, locked, ...)."""


def unavailable(spec: MartSpec, window, reason: str) -> MartValidation:
    """Every check of the mart fails with `reason` (no traceback: the check result says it)."""
    outcomes = {
        check.name: CheckOutcome(
            check,
            [
                ExpectationResult(
                    check=check.name,
                    expectation="mart_readable",
                    label=f"{spec.relation} readable",
                    success=False,
                    error=reason,
                )
            ],
        )
        for check in spec.checks
    }
    return MartValidation(spec, window, None, outcomes)


def validate_mart_frame(
    spec: MartSpec,
    frame: pd.DataFrame,
    *,
    config: QualityConfig,
    window: tuple[dt.date, dt.date] | None = None,
    docs: DocsSite | None = None,
    run_name: str | None = None,
) -> MartValidation:
    """Run the mart's expectations on its rows (the window just built)."""
    batch, expects, extra = spec.build(frame, config)
    # Daily marts: failing rows are attributed to their day, so a ranged run can report per partition.
    key_column = spec.date_column if spec.date_column in frame.columns else None
    window_name = f"{window[0]}..{window[1]}" if window else "all rows"
    suite = run_suite(
        batch,
        expects,
        suite_name=spec.model,
        asset_name=spec.model,
        run_name=run_name or window_name,
        docs=docs,
        examples=config.examples,
        index_columns=spec.grain,
        key_column=key_column,
    )
    outcomes = {check.name: CheckOutcome(check, suite.for_check(check.name)) for check in spec.checks}
    for name, values in extra.items():
        outcomes[name].extra.update(values)
    for outcome in outcomes.values():
        outcome.extra["rows"] = len(frame)
        outcome.extra["window"] = window_name
        if not len(frame):
            outcome.notes.append(f"no rows in {window_name}")
    return MartValidation(spec, window, len(frame), outcomes, suite.docs_page, suite.docs_index)


def connect_read_only(warehouse: Path, timeout_seconds: float):
    """A read-only DuckDB connection, waiting up to `timeout_seconds` while a writer (dbt) holds the file."""
    import duckdb

    warehouse = Path(warehouse)
    if not warehouse.exists():
        raise MartUnavailable(f"warehouse {warehouse} does not exist: run the dbt assets first")
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            return duckdb.connect(str(warehouse), read_only=True)
        except duckdb.IOException as exc:
            if time.monotonic() >= deadline:
                raise MartUnavailable(f"cannot open {warehouse} read-only: {exc}") from None
            time.sleep(0.5)


def read_mart(con, spec: MartSpec, window: tuple[dt.date, dt.date] | None) -> pd.DataFrame:
    """The mart's checked columns (those that exist) for the window (daily marts) or the whole table."""
    found = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [MART_SCHEMA, spec.model],
    ).fetchall()
    if not found:
        raise MartUnavailable(
            f"table {spec.relation} does not exist in the warehouse: has dbt built {spec.model}?"
        )
    available = {row[0] for row in found}
    columns = [c for c in spec.columns if c in available]
    select = ", ".join(f'"{c}"' for c in columns) or "1 as no_columns"
    sql = f"select {select} from {MART_SCHEMA}.{spec.model}"
    params: list = []
    if spec.date_column is not None and window is not None:
        if spec.date_column not in available:
            raise MartUnavailable(f"{spec.relation} has no column {spec.date_column} to select the window by")
        sql += f' where "{spec.date_column}" between ? and ?'
        params = [window[0], window[1]]
    import pandas as pd

    table = con.sql(sql, params=params or None).to_arrow_table()
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return frame.drop(columns=["no_columns"], errors="ignore")


def latest_day(con, spec: MartSpec) -> dt.date | None:
    """The latest day of a daily mart (the window of a check run without a partition)."""
    row = con.execute(f'select max("{spec.date_column}") from {spec.relation}').fetchone()
    return row[0] if row and row[0] is not None else None


def plan_batches(day_rows: Sequence[tuple[dt.date, int]], max_rows: int) -> list[tuple[dt.date, dt.date]]:
    """Consecutive whole days grouped into batches of at most `max_rows` rows (a bigger day stands alone)."""
    batches: list[tuple[dt.date, dt.date]] = []
    start = end = None
    rows = 0
    for day, count in sorted(day_rows):
        if start is not None and rows + count > max_rows:
            batches.append((start, end))
            start, rows = None, 0
        if start is None:
            start = day
        end, rows = day, rows + count
    if start is not None:
        batches.append((start, end))
    return batches


def _batches(con, spec: MartSpec, window, max_rows: int) -> list[tuple[dt.date, dt.date] | None]:
    """The windows one mart is validated in: None (whole table) for an unpartitioned mart."""
    if spec.date_column is None:
        return [None]
    if window is None:  # a run without partitions: the latest day
        day = latest_day(con, spec)
        return [(day, day)] if day else [None]
    day_rows = con.execute(
        f'select "{spec.date_column}", count(*) from {spec.relation} '
        f'where "{spec.date_column}" between ? and ? group by 1',
        [window[0], window[1]],
    ).fetchall()
    return plan_batches(day_rows, max_rows) or [window]


def validate_marts(
    warehouse: Path,
    specs: Sequence[MartSpec],
    *,
    config: QualityConfig,
    window: tuple[dt.date, dt.date] | None = None,
    docs: DocsSite | None = None,
    run_name: str | None = None,
) -> dict[str, list[MartValidation]]:
    """Validate each mart over the window just built: one `MartValidation` per batch, in date order.

    Daily marts read only `window` (None: their latest day), in batches of whole days of at most
    `config.mart_batch_rows` rows; the other marts are read whole. Each batch is read through a short
    read-only connection, closed before GX runs. A mart that cannot be read fails all its checks with the
    reason instead of raising.
    """
    plans: dict[str, list | str] = {}
    # A mart read in one batch is read on the planning connection (one connect, ~50 ms, for all of them).
    frames: dict[str, pd.DataFrame] = {}
    try:
        con = connect_read_only(warehouse, config.warehouse_open_timeout_seconds)
    except MartUnavailable as exc:
        return {spec.model: [unavailable(spec, window, str(exc))] for spec in specs}
    try:
        for spec in specs:
            if not _table_exists(con, spec):
                plans[spec.model] = (
                    f"table {spec.relation} does not exist in the warehouse: has dbt built {spec.model}?"
                )
                continue
            try:
                plans[spec.model] = _batches(con, spec, window, config.mart_batch_rows)
                if len(plans[spec.model]) == 1:
                    frames[spec.model] = read_mart(con, spec, plans[spec.model][0])
            except MartUnavailable as exc:
                plans[spec.model] = str(exc)
            except Exception as exc:  # noqa: BLE001 - a broken table must fail its checks, not the run
                plans[spec.model] = f"cannot read {spec.relation}: {type(exc).__name__}: {exc}"
    finally:
        con.close()
    out: dict[str, list[MartValidation]] = {}
    for spec in specs:
        plan = plans[spec.model]
        if isinstance(plan, str):
            out[spec.model] = [unavailable(spec, window, plan)]
            continue
        out[spec.model] = []
        for batch in plan:
            try:
                frame = frames.pop(spec.model, None)
                if frame is None:
                    con = connect_read_only(warehouse, config.warehouse_open_timeout_seconds)
                    try:
                        frame = read_mart(con, spec, batch)
                    finally:
                        con.close()  # never hold the file while validating
            except MartUnavailable as exc:
                out[spec.model].append(unavailable(spec, batch, str(exc)))
                continue
            except Exception as exc:  # noqa: BLE001
                reason = f"cannot read {spec.relation}: {type(exc).__name__}: {exc}"
                out[spec.model].append(unavailable(spec, batch, reason))
                continue
            name = run_name if batch is None or len(plan) == 1 else f"{run_name or 'batch'}_{batch[0]}"
            out[spec.model].append(
                validate_mart_frame(spec, frame, config=config, window=batch, docs=docs, run_name=name)
            )
            del frame
    return out


def _table_exists(con, spec: MartSpec) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [MART_SCHEMA, spec.model],
        ).fetchone()[0]
    )


def examples_for_key(result: ExpectationResult, date_column: str, key: str) -> list:
    """The failing examples of one day (examples carry the date column of daily marts)."""
    return [e for e in result.examples if isinstance(e, dict) and str(jsonable(e.get(date_column))) == key]
