"""The raw quality suite as Dagster asset checks: a thin shell over `raw.py`.

The marts have no Great Expectations checks: their rules are dbt tests (`dbt_project/models/marts/
_marts__models.yml`), which dagster-dbt turns into asset checks on each mart.

The raw checks are one `@dg.multi_asset_check` (one step: one partition read, one Great Expectations import,
one suite run serving all the checks), subsettable so a single check can be re-run alone from the UI. They are
partitioned like `hub_model_snapshots`:

* a run of one partition validates that partition; the result is recorded against it;
* a single-run backfill of a range validates every partition of the range, in batches of one Great
  Expectations run, each partition judged on its own and a failing one validated again alone (see
  `validate_raw_partitions`). Dagster records the step's own result without a partition in that case, so the
  check also logs one evaluation per partition (the per-partition status in the UI) and returns the aggregate
  (all partitions must pass), which is what blocks the downstream steps of the run.

Severity: checks whose failure makes downstream numbers wrong are ERROR and blocking; the author
classification check only warns.
"""

# No `from __future__ import annotations` here: Dagster inspects the annotations of the check functions.
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.compat import target_materializations
from orchestration.hub.archive import parse_snapshot_date
from orchestration.hub.partitions import daily_snapshot_partitions
from orchestration.hub.snapshots import list_partitions
from orchestration.quality.config import QualityConfig
from orchestration.quality.raw import (
    RAW_ASSET,
    RAW_CHECKS,
    resolvable_organisations,
    validate_raw_partition,
    validate_raw_partitions,
)
from orchestration.quality.validation import CheckDef, CheckOutcome, DocsSite, build_docs_index
from orchestration.resources import HubpulsePaths

# Partitioned asset checks are a preview feature in Dagster 1.13; they give the per-partition results.
warnings.filterwarnings("ignore", category=dg.PreviewWarning, message=".*partitions_def.*")

RAW_ASSET_KEY = dg.AssetKey(RAW_ASSET)
QUALITY_DIR = "quality"


def docs_site(paths: HubpulsePaths, quality: QualityConfig, index: bool = True) -> DocsSite | None:
    """Data Docs under `<HUBPULSE_HOME>/quality` (None when turned off); `index` False: pages only."""
    if not quality.data_docs:
        return None
    return DocsSite(paths.root / QUALITY_DIR, quality.data_docs_index_limit, index=index)


# --------------------------------------------------------------------------------------- result shaping


@dataclass
class Evaluated:
    """One check's outcome on one batch (a partition or a window) with its Data Docs pages."""

    outcome: CheckOutcome
    docs_page: Path | None
    docs_index: Path | None
    scope: str  # "partition 2025-03-01", "window 2025-03-01..2025-03-07", "all rows"


def _json(value) -> dg.MetadataValue:
    return dg.MetadataValue.json(value if isinstance(value, (dict, list)) else {"value": value})


def metadata_for(ev: Evaluated) -> dict:
    """What the UI shows for one evaluation: verdict, counts, thresholds, first failing values, Data Docs."""
    outcome = ev.outcome
    failures = outcome.failures
    metadata: dict = {
        "scope": ev.scope,
        "summary": outcome.message(),
        "failed_expectations": len(failures),
        "unexpected_count": sum(r.unexpected_count or 0 for r in failures),
        "threshold": _json({r.label: r.threshold for r in outcome.results}),
        "first_failing_values": _json({r.label: (r.examples or r.error or r.observed) for r in failures}),
        "expectations": _json([r.as_dict() for r in outcome.results]),
    }
    for key, value in outcome.extra.items():
        metadata[key] = _json(value) if isinstance(value, (dict, list)) else value
    if ev.docs_page is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(ev.docs_page))
        metadata["data_docs_url"] = dg.MetadataValue.url(ev.docs_page.as_uri())
    if ev.docs_index is not None:
        metadata["data_docs_index"] = dg.MetadataValue.path(str(ev.docs_index))
    return metadata


def _severity(check: CheckDef) -> dg.AssetCheckSeverity:
    return getattr(dg.AssetCheckSeverity, check.severity)


def _description(outcome: CheckOutcome) -> str:
    return outcome.message()[:2000]


def _log_partition(
    context,
    asset_key: dg.AssetKey,
    check: CheckDef,
    partition: str,
    passed: bool,
    metadata: dict,
    description: str,
    targets: dict,
) -> None:
    """Record one partition's evaluation of a ranged run (the UI's per-partition status of the check), tied to
    the partition's materialization (`targets`, see `orchestration.compat.target_materializations`)."""
    context.op_execution_context.log_event(
        dg.AssetCheckEvaluation(
            asset_key=asset_key,
            check_name=check.name,
            passed=passed,
            metadata=metadata,
            target_materialization_data=targets.get(partition),
            severity=_severity(check),
            description=description,
            blocking=check.blocking,
            partition=partition,
        )
    )


def _aggregate(
    asset_key: dg.AssetKey,
    check: CheckDef,
    keys: Sequence[str],
    verdicts: Mapping[str, bool],
    detail: Evaluated,
) -> dg.AssetCheckResult:
    """The step's result for a range: passes when every partition passes; details of the first failing one."""
    failing = [key for key in keys if not verdicts[key]]
    if failing:
        description = (
            f"{len(failing)} of {len(keys)} partitions fail (first {failing[0]}): "
            f"{_description(detail.outcome)}"
        )
    else:
        description = f"all {len(keys)} partitions pass ({keys[0]}..{keys[-1]})"
    metadata = {
        **metadata_for(detail),
        "partitions": f"{keys[0]}..{keys[-1]}",
        "partitions_checked": len(keys),
        "failing_partitions": _json(failing),
        "summary": description[:2000],
    }
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check.name,
        passed=not failing,
        severity=_severity(check),
        metadata=metadata,
        description=description[:2000],
    )


def _single(asset_key: dg.AssetKey, check: CheckDef, ev: Evaluated) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check.name,
        passed=ev.outcome.passed,
        severity=_severity(check),
        metadata=metadata_for(ev),
        description=_description(ev.outcome),
    )


def _selected(context: dg.AssetCheckExecutionContext, asset_key: dg.AssetKey, checks: Sequence[CheckDef]):
    chosen = {key.name for key in context.selected_asset_check_keys if key.asset_key == asset_key}
    return [check for check in checks if check.name in chosen]


def _partition_keys(context: dg.AssetCheckExecutionContext) -> list[str] | None:
    """The partitions of this run (one, or a backfill's range); None for a run without partitions."""
    if context.has_partition_key or context.has_partition_key_range:
        return list(context.partition_keys)
    return None


# ---------------------------------------------------------------------------------------------- raw


def _raw_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            check.name,
            asset=RAW_ASSET_KEY,
            description=check.description,
            blocking=check.blocking,
            partitions_def=daily_snapshot_partitions,
        )
        for check in RAW_CHECKS
    ]


@dg.multi_asset_check(
    specs=_raw_specs(),
    name="hub_model_snapshots_quality",
    description="Great Expectations suite on each raw snapshot partition of the run.",
    can_subset=True,
    compute_kind="great_expectations",
)
def hub_model_snapshots_quality(
    context: dg.AssetCheckExecutionContext, paths: HubpulsePaths, quality: QualityConfig
) -> Iterator[dg.AssetCheckResult]:
    """Schema, ids, counts, createdAt, row-count band, missing downloadsAllTime, authors: per partition."""
    checks = _selected(context, RAW_ASSET_KEY, RAW_CHECKS)
    keys = _partition_keys(context)
    if keys is None:  # a run without a partition: the latest partition on disk
        existing = list_partitions(paths.raw_models)
        keys = (
            [existing[-1].isoformat()] if existing else [daily_snapshot_partitions.get_last_partition_key()]
        )
    organisations = resolvable_organisations()
    docs = docs_site(paths, quality, index=False)  # the index once, after every partition's page
    evaluated: dict[str, dict[str, Evaluated]] = {}
    if len(keys) == 1:
        validations = {
            keys[0]: validate_raw_partition(
                paths.raw_models,
                parse_snapshot_date(keys[0]),
                config=quality,
                organisations=organisations,
                docs=docs,
                run_name=f"{keys[0]}_run-{context.run.run_id[:8]}",
            )
        }
    else:  # a range: validated in batches, each partition still judged (and reported) on its own
        by_day = validate_raw_partitions(
            paths.raw_models,
            [parse_snapshot_date(key) for key in keys],
            config=quality,
            organisations=organisations,
            docs=docs,
            run_name=f"{keys[0]}..{keys[-1]}_run-{context.run.run_id[:8]}",
        )
        validations = {day.isoformat(): validation for day, validation in by_day.items()}
    failing_partitions = 0
    for key in keys:
        validation = validations[key]
        failing = [name for name, outcome in validation.outcomes.items() if not outcome.passed]
        # A line per failing partition, and for a run of one partition; a range's passing ones share one line
        # (every log line is a stored event: a year of daily partitions would add hundreds).
        if failing or len(keys) == 1:
            failing_partitions += bool(failing)
            context.log.info(f"{key}: {validation.rows} rows; failing: {', '.join(failing) or 'none'}")
        evaluated[key] = {
            name: Evaluated(outcome, validation.docs_page, validation.docs_index, f"partition {key}")
            for name, outcome in validation.outcomes.items()
        }
    if len(keys) > 1:
        context.log.info(
            f"{len(keys)} partitions {keys[0]} .. {keys[-1]}: {sum(v.rows for v in validations.values())} rows; "
            f"{len(keys) - failing_partitions} pass every check, {failing_partitions} fail one or more"
        )
    if docs is not None:
        build_docs_index(docs)
    targets = target_materializations(context.instance, RAW_ASSET_KEY, keys) if len(keys) > 1 else {}
    for check in checks:
        if len(keys) == 1:
            yield _single(RAW_ASSET_KEY, check, evaluated[keys[0]][check.name])
            continue
        verdicts = {}
        for key in keys:
            ev = evaluated[key][check.name]
            verdicts[key] = ev.outcome.passed
            _log_partition(
                context,
                RAW_ASSET_KEY,
                check,
                key,
                ev.outcome.passed,
                metadata_for(ev),
                _description(ev.outcome),
                targets,
            )
        failing = [key for key in keys if not verdicts[key]]
        detail = evaluated[failing[0] if failing else keys[-1]][check.name]
        yield _aggregate(RAW_ASSET_KEY, check, keys, verdicts, detail)


raw_asset_checks: list = [hub_model_snapshots_quality]
