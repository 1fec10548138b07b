"""Great Expectations glue: run a list of expectations on one pandas batch and return plain results.

Everything here is independent of Dagster. Expectations are described by `Expect` (the GX class name and its
arguments), so building a suite never imports great_expectations; `run_suite` imports it (about 5 s, once per
process) inside the call, validates the frame with an in-memory context whose progress bars and usage
statistics are off, optionally renders the validation into Data Docs on disk, and converts every GX
result to an `ExpectationResult` (success, observed value, threshold, unexpected count, first failing
values, and the partitions the failing rows belong to when the frame spans several).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported where a suite runs: the code location loads without it
    import pandas as pd

DOCS_SITE_NAME = "hubpulse"
# Data Docs layout under $HUBPULSE_HOME/quality: the site people open, and the validation results it renders.
DATA_DOCS_DIR = "data_docs"
VALIDATIONS_DIR = "validations"
_POSITION = "hubpulse_position"


@dataclass(frozen=True)
class Expect:
    """One expectation of a suite: the Dagster check it belongs to, the GX class and its keyword arguments.

    `label` says in words what must hold (it opens the failure message); `threshold` is what the observed
    value is compared with, as shown in the UI; `columns` are the frame columns the expectation needs.
    """

    check: str
    gx_class: str
    kwargs: Mapping[str, Any]
    label: str
    threshold: Any = None
    columns: tuple[str, ...] = ()
    expected: str | None = None  # the threshold in words, for the message (default: the threshold itself)


@dataclass
class ExpectationResult:
    """The outcome of one expectation, in plain JSON-ready values."""

    check: str
    expectation: str
    label: str
    success: bool
    observed: Any = None
    threshold: Any = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_share: float | None = None
    examples: list = field(default_factory=list)
    # Partition keys of the failing rows (frames spanning several days); None when not attributable.
    failing_keys: list[str] | None = None
    error: str | None = None
    expected: str | None = None

    def message(self) -> str:
        """One line saying what is wrong (or that it holds)."""
        if self.error:
            return f"{self.label}: {self.error}"
        if self.success:
            return f"{self.label}: ok"
        parts = []
        if self.unexpected_count is not None:
            of = f" of {self.element_count}" if self.element_count is not None else ""
            share = f" ({self.unexpected_share:.2%})" if self.unexpected_share is not None else ""
            parts.append(f"{self.unexpected_count}{of} rows fail{share}")
        elif self.observed is not None:
            parts.append(f"observed {_short(self.observed)}")
        if self.expected is not None or self.threshold is not None:
            parts.append(f"expected {self.expected or _short(self.threshold)}")
        if self.examples:
            parts.append(f"e.g. {_short(self.examples[:3])}")
        return f"{self.label}: " + ", ".join(parts)

    def as_dict(self) -> dict:
        return {
            "expectation": self.expectation,
            "label": self.label,
            "success": self.success,
            "observed": self.observed,
            "threshold": self.threshold,
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
            "unexpected_share": self.unexpected_share,
            "first_failing_values": self.examples,
            **({"error": self.error} if self.error else {}),
        }


@dataclass
class SuiteRun:
    """The results of one suite on one batch, with the Data Docs page of the validation (if written)."""

    results: list[ExpectationResult]
    docs_page: Path | None = None
    docs_index: Path | None = None

    def for_check(self, check: str) -> list[ExpectationResult]:
        return [r for r in self.results if r.check == check]


@dataclass(frozen=True)
class DocsSite:
    """Where Data Docs go: `<root>/data_docs` (the site) and `<root>/validations` (the results it renders).

    `index` False renders each validation's page only; call `build_docs_index` once after a series of
    validations (a backfill), since every index build reads up to `index_limit` stored results.
    """

    root: Path
    index_limit: int = 500
    index: bool = True

    @property
    def site_dir(self) -> Path:
        return Path(self.root) / DATA_DOCS_DIR

    @property
    def index_page(self) -> Path:
        return self.site_dir / "index.html"


def _short(value: Any, limit: int = 160) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def jsonable(value: Any) -> Any:
    """A GX/pandas/numpy value as plain JSON (dates as ISO text, NaN/NA as None)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, float):  # numpy's float64 included
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (dt.datetime, dt.date)):  # pandas' Timestamp (and NaT) included
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    import pandas as pd

    if value is pd.NA or value is pd.NaT:
        return None
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            pass
    return str(value)


_gx_lock = threading.Lock()
_gx_module = None


def import_gx():
    """Import great_expectations once (slow: seconds) with its usage statistics off.

    GX is used as published: no patch of its internals. The costs that were patched away before (the fingerprint
    it hashes of every pandas batch under 1 GB, a new Jinja environment and a copy of the static assets for every
    Data Docs build) measure within noise on the raw checks, a few hundredths of a second a page at most
    (BENCHMARKS.md, section 5): a step renders few pages (one per partition run, one per batch of a ranged run).
    """
    global _gx_module
    with _gx_lock:
        if _gx_module is None:
            # No network from a check: GX would otherwise try to send usage statistics.
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            import great_expectations as gx

            _gx_module = gx
    return _gx_module


def _context(gx, docs: DocsSite | None):
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites={},
    )
    if docs is not None:
        config.data_docs_sites = {
            DOCS_SITE_NAME: {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs.site_dir),
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    # The index reads every listed result: bound it, the history only grows.
                    "validation_results_limit": docs.index_limit,
                },
            }
        }
        # Results on disk, so the index lists earlier runs (other processes) too, not only this one.
        config.stores[config.validation_results_store_name] = {
            "class_name": "ValidationResultsStore",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(Path(docs.root) / VALIDATIONS_DIR),
            },
        }
    return gx.get_context(mode="ephemeral", project_config=config)


def gx_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The batch as GX's pandas engine handles fast: numpy-backed numbers and timestamps, dates as ISO text.

    On Arrow-backed columns GX falls back to per-value Python (`Series.map`) for range checks and hashes
    the whole frame through Python objects for its batch fingerprint: five times slower on a million rows.
    Dates become `YYYY-MM-DD` text so failing rows name their partition key as is.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_date(column.type):
            column = pc.cast(column, pa.string())
        columns[name] = column
    return pa.table(columns).to_pandas()


def _file_url_to_path(url: str | None) -> Path | None:
    if not url:
        return None
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "file":
        return None
    return Path(urllib.request.url2pathname(parsed.path))


def _failing_keys(entries: Iterable[Mapping], key_column: str) -> list[str]:
    import pandas as pd

    keys = set()
    for entry in entries:
        value = entry.get(key_column)
        if value is not None and value is not pd.NA:
            keys.add(str(jsonable(value)))
    return sorted(keys)


def _convert(gx_result, expect: Expect, examples: int, key_column: str | None) -> ExpectationResult:
    result = dict(gx_result.result or {})
    info = gx_result.exception_info or {}
    # GX reports a raised exception either flat or keyed by metric; keep the first message.
    error = None
    if info.get("raised_exception"):
        error = info.get("exception_message") or "raised an exception"
    else:
        for value in info.values():
            if isinstance(value, Mapping) and value.get("raised_exception"):
                error = value.get("exception_message") or "raised an exception"
                break
    out = ExpectationResult(
        check=expect.check,
        expectation=gx_result.expectation_config.type,
        label=expect.label,
        success=bool(gx_result.success) and error is None,
        observed=jsonable(result.get("observed_value")),
        threshold=jsonable(expect.threshold),
        element_count=result.get("element_count"),
        unexpected_count=result.get("unexpected_count"),
        error=error,
        expected=expect.expected,
    )
    # Count the rows the expectation looked at: map expectations skip nulls (except the null checks).
    if out.element_count is not None and result.get("missing_count"):
        out.element_count -= result["missing_count"]
    if out.unexpected_count is not None and out.element_count:
        out.unexpected_share = out.unexpected_count / out.element_count
    if not out.success:
        indexed = result.get("partial_unexpected_index_list")
        values = indexed if indexed else result.get("partial_unexpected_list") or []
        out.examples = jsonable(list(values)[:examples])
        if key_column is not None and "unexpected_index_list" in result:
            out.failing_keys = _failing_keys(result["unexpected_index_list"] or [], key_column)
    return out


def missing_column_result(expect: Expect, missing: Sequence[str]) -> ExpectationResult:
    """A failed result for an expectation whose columns are not in the batch (never handed to GX)."""
    return ExpectationResult(
        check=expect.check,
        expectation=_snake(expect.gx_class),
        label=expect.label,
        success=False,
        threshold=jsonable(expect.threshold),
        error=f"column(s) {', '.join(missing)} missing",
        expected=expect.expected,
    )


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def run_suite(
    frame: pd.DataFrame,
    expects: Sequence[Expect],
    *,
    suite_name: str,
    asset_name: str,
    run_name: str,
    docs: DocsSite | None = None,
    examples: int = 10,
    index_columns: Sequence[str] = (),
    key_column: str | None = None,
) -> SuiteRun:
    """Validate `frame` against `expects` with Great Expectations; one result per expectation, in order.

    `index_columns` identify failing rows in the examples (e.g. the grain); when `key_column` (one of them) is
    given, every failing row is attributed to its value (the partition it belongs to), which needs GX's
    COMPLETE result format, so use it only for frames of moderate size. Expectations on absent columns fail
    without reaching GX.
    """
    present = set(frame.columns)
    runnable: list[tuple[int, Expect]] = []
    results: list[ExpectationResult | None] = [None] * len(expects)
    for position, expect in enumerate(expects):
        missing = [c for c in expect.columns if c not in present]
        if missing:
            results[position] = missing_column_result(expect, missing)
        else:
            runnable.append((position, expect))

    docs_page = docs_index = None
    if runnable:
        gx = import_gx()
        from great_expectations.core.run_identifier import RunIdentifier

        context = _context(gx, docs)
        batch_definition = (
            context.data_sources.add_pandas(asset_name)
            .add_dataframe_asset(asset_name)
            .add_batch_definition_whole_dataframe("batch")
        )
        # The position rides in `meta`: GX returns results in its own order.
        expectations = [
            getattr(gx.expectations, expect.gx_class)(**expect.kwargs, meta={_POSITION: position})
            for position, expect in runnable
        ]
        suite = context.suites.add(gx.ExpectationSuite(name=suite_name, expectations=expectations))
        index_columns = [c for c in index_columns if c in present]
        result_format: dict[str, Any] = {
            "result_format": "COMPLETE" if key_column else "SUMMARY",
            "partial_unexpected_count": examples,
        }
        if index_columns:
            result_format["unexpected_index_column_names"] = list(index_columns)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(data=batch_definition, suite=suite, name=suite_name)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(name=suite_name, validation_definitions=[definition], result_format=result_format)
        )
        run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
        outcome = checkpoint.run(batch_parameters={"dataframe": gx_frame(frame)}, run_id=run_id)
        ((result_id, validation),) = outcome.run_results.items()
        for gx_result in validation.results:
            position = int(gx_result.expectation_config.meta[_POSITION])
            results[position] = _convert(gx_result, expects[position], examples, key_column)
        if docs is not None:
            from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

            # The run stored the result in the site's results folder; render its page (and the suite's).
            context.build_data_docs(
                site_names=[DOCS_SITE_NAME],
                resource_identifiers=[result_id, ExpectationSuiteIdentifier(name=suite_name)],
                build_index=docs.index,
            )
            urls = context.get_docs_sites_urls(resource_identifier=result_id, site_name=DOCS_SITE_NAME)
            docs_page = _file_url_to_path(urls[0]["site_url"]) if urls else None
            docs_index = docs.index_page
    return SuiteRun(results=[r for r in results if r is not None], docs_page=docs_page, docs_index=docs_index)


def build_docs_index(docs: DocsSite) -> Path:
    """Rebuild only the Data Docs index page (the newest `index_limit` validations), not the pages."""
    gx = import_gx()
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    context = _context(gx, docs)
    # A resource list that matches no stored result: GX then renders no page, only the index.
    context.build_data_docs(
        site_names=[DOCS_SITE_NAME],
        resource_identifiers=[ExpectationSuiteIdentifier(name="hubpulse-index-only")],
        build_index=True,
    )
    return docs.index_page


@dataclass(frozen=True)
class CheckDef:
    """A Dagster asset check backed by expectations: its name, what it asserts, severity and blocking."""

    name: str
    description: str
    severity: str = "ERROR"  # "ERROR" or "WARN" (dg.AssetCheckSeverity member names)
    blocking: bool = True


@dataclass
class CheckOutcome:
    """The expectations of one check on one batch, plus notes and check-specific numbers for the UI."""

    check: CheckDef
    results: list[ExpectationResult]
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success]

    def message(self) -> str:
        """What is wrong, one clause per failing expectation; or that everything holds."""
        if self.passed:
            text = "passed: " + "; ".join(r.label for r in self.results)
        else:
            text = "; ".join(r.message() for r in self.failures)
        if self.notes:
            text += " (" + "; ".join(self.notes) + ")"
        return text

    def failing_keys(self) -> set[str] | None:
        """Partition keys the failures belong to; None when a failure is not attributable to partitions."""
        keys: set[str] = set()
        for r in self.failures:
            if r.failing_keys is None:
                return None
            keys.update(r.failing_keys)
        return keys
