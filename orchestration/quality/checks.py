"""The quality suites as Dagster asset checks: thin shells over `raw.py` and `marts.py`.

Each group of checks is one `@dg.multi_asset_check` (one step: one partition read, one Great Expectations
import, one suite run serving all the checks of the group), subsettable so a single check can be re-run
alone from the UI. Checks on a partitioned asset are partitioned like it:

* a run of one partition validates that partition; the result is recorded against it;
* a single-run backfill of a range validates every partition of the range (raw: the partitions in batches
  of one Great Expectations run, each partition judged on its own and a failing one validated again alone, see
  `validate_raw_partitions`; daily marts: the window in one batch, failures attributed to their day). Dagster records the
  step's own result without a partition in that case, so the check also logs one evaluation per partition
  (the per-partition status in the UI) and returns the aggregate (all partitions must pass), which is what
  blocks the downstream steps of the run.

Severity: checks whose failure makes downstream numbers wrong are ERROR and blocking; the author
classification check only warns.
"""

# No `from __future__ import annotations` here: Dagster inspects the annotations of the check functions.
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.hub.archive import parse_snapshot_date
from orchestration.hub.partitions import daily_snapshot_partitions
from orchestration.hub.snapshots import list_partitions
from orchestration.pools import WAREHOUSE_POOL
from orchestration.quality.config import QualityConfig
from orchestration.quality.marts import (
    DAILY_MART_SPECS,
    MART_SPECS,
    MartSpec,
    examples_for_key,
    validate_marts,
)
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


def mart_asset_key(model: str) -> dg.AssetKey:
    """The Dagster key of a mart, as the project's dbt translator names it (`marts/<model>` today)."""
    from orchestration.dbt.specs import asset_key_of

    unique_id = f"model.hubpulse.{model}"
    # The dbt sets' cached specs (no dagster-dbt import); the translator itself for a model they do not have.
    key = asset_key_of(unique_id)
    if key is not None:
        return key
    from orchestration.dbt.translator import HubpulseDbtTranslator

    props = {
        "resource_type": "model",
        "name": model,
        "unique_id": unique_id,
        "fqn": ["hubpulse", "marts", model],
        "config": {"schema": "marts", "meta": {}},
        "meta": {},
    }
    return HubpulseDbtTranslator().get_asset_key(props)


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


def _target_materializations(context, asset_key: dg.AssetKey, partitions: Sequence[str]) -> dict:
    """Each partition's latest materialization, so the UI ties the evaluation to it (as Dagster does).

    One query for all the partitions of a check step: a ranged run logs one evaluation per check and
    partition, and a query per evaluation would cost more than the validations themselves.
    """
    try:
        from dagster._core.definitions.asset_checks.asset_check_evaluation import (
            AssetCheckEvaluationTargetMaterializationData,
        )
    except ImportError:  # a future Dagster moved it: the evaluation is still recorded, only not tied
        return {}
    found: dict[str, object] = {}
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=list(partitions)),
        limit=4 * len(partitions) + 10,
    ).records
    for record in records:  # newest first
        if record.partition_key not in found:
            found[record.partition_key] = AssetCheckEvaluationTargetMaterializationData(
                storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
            )
    if len(partitions) > 1:  # a partition past the limit (re-materialized many times): looked up alone
        for partition in partitions:
            if partition not in found:
                found.update(_target_materializations(context, asset_key, [partition]))
    return found


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
    targets = _target_materializations(context, RAW_ASSET_KEY, keys) if len(keys) > 1 else {}
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


# -------------------------------------------------------------------------------------------- marts


def _mart_specs(specs: Sequence[MartSpec], partitioned: bool) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            check.name,
            asset=mart_asset_key(spec.model),
            description=check.description,
            blocking=check.blocking,
            partitions_def=daily_snapshot_partitions if partitioned else None,
        )
        for spec in specs
        for check in spec.checks
    ]


def _scope(window) -> str:
    if window is None:
        return "all rows"
    return f"partition {window[0]}" if window[0] == window[1] else f"window {window[0]}..{window[1]}"


def _run_mart_checks(
    context: dg.AssetCheckExecutionContext,
    specs: Sequence[MartSpec],
    paths: HubpulsePaths,
    quality: QualityConfig,
    keys: list[str] | None,
) -> Iterator[dg.AssetCheckResult]:
    selected = {spec.model: _selected(context, mart_asset_key(spec.model), spec.checks) for spec in specs}
    specs = [spec for spec in specs if selected[spec.model]]
    window = (parse_snapshot_date(keys[0]), parse_snapshot_date(keys[-1])) if keys else None
    docs = docs_site(paths, quality, index=False)
    run_id = context.run.run_id[:8]
    validations = validate_marts(
        paths.warehouse,
        specs,
        config=quality,
        window=window,
        docs=docs,
        run_name=f"{keys[0]}..{keys[-1]}_run-{run_id}" if keys else f"run-{run_id}",
    )
    if docs is not None:
        build_docs_index(docs)
    for spec in specs:
        batches = validations[spec.model]
        asset_key = mart_asset_key(spec.model)
        targets = _target_materializations(context, asset_key, keys) if spec.date_column and keys and len(keys) > 1 else {}
        for check in selected[spec.model]:
            evs = [
                Evaluated(v.outcomes[check.name], v.docs_page, v.docs_index, _scope(v.window))
                for v in batches
            ]
            if not spec.date_column or not keys or len(keys) == 1:
                yield _single(asset_key, check, _merge(evs))
                continue
            verdicts: dict[str, bool] = {}
            for ev, validation in zip(evs, batches, strict=True):
                batch_keys = _keys_in(keys, validation.window)
                for key in batch_keys:
                    verdicts[key] = _log_mart_partition(context, asset_key, check, spec, ev, key, targets)
            for key in keys:  # days no batch covered (window without rows): judged by the whole outcome
                if key not in verdicts:
                    verdicts[key] = _log_mart_partition(context, asset_key, check, spec, _merge(evs), key, targets)
            detail = next((ev for ev in evs if not ev.outcome.passed), evs[-1])
            yield _aggregate(asset_key, check, keys, verdicts, detail)


def _keys_in(keys: Sequence[str], window) -> list[str]:
    if window is None:
        return list(keys)
    return [key for key in keys if window[0].isoformat() <= key <= window[1].isoformat()]


def _merge(evs: Sequence[Evaluated]) -> Evaluated:
    """One evaluation from a mart's batches: every batch's results, the first failing batch's pages."""
    if len(evs) == 1:
        return evs[0]
    first = next((ev for ev in evs if not ev.outcome.passed), evs[-1])
    outcome = CheckOutcome(
        first.outcome.check,
        [r for ev in evs for r in ev.outcome.results],
        notes=[note for ev in evs for note in ev.outcome.notes],
        extra=dict(first.outcome.extra),
    )
    return Evaluated(outcome, first.docs_page, first.docs_index, f"{len(evs)} batches")


def _log_mart_partition(
    context, asset_key: dg.AssetKey, check: CheckDef, spec: MartSpec, ev: Evaluated, key: str, targets: dict
) -> bool:
    """Log one day's evaluation of a daily mart validated in a batch of days; return whether it passed."""
    failing_keys = ev.outcome.failing_keys()
    passed = ev.outcome.passed or (failing_keys is not None and key not in failing_keys)
    metadata = metadata_for(ev)
    metadata["scope"] = f"partition {key} (validated in {ev.scope})"
    if passed:
        description = f"passed for {key}"
        if not ev.outcome.passed:
            description += f" (other days fail: {_description(ev.outcome)})"
    else:
        description = _description(ev.outcome)
        metadata["first_failing_values"] = _json(
            {
                r.label: examples_for_key(r, spec.date_column, key) or r.error or r.examples
                for r in ev.outcome.failures
            }
        )
    metadata["summary"] = description[:2000]
    _log_partition(context, asset_key, check, key, passed, metadata, description[:2000], targets)
    return passed


@dg.multi_asset_check(
    specs=_mart_specs(DAILY_MART_SPECS, partitioned=True),
    name="daily_marts_quality",
    description="Great Expectations suites on the days just built of the daily-partitioned marts.",
    can_subset=True,
    compute_kind="great_expectations",
    # Reads warehouse.duckdb, which no process may open while a dbt step of another run writes it.
    pool=WAREHOUSE_POOL,
)
def daily_marts_quality(
    context: dg.AssetCheckExecutionContext, paths: HubpulsePaths, quality: QualityConfig
) -> Iterator[dg.AssetCheckResult]:
    """Grain, non-negative downloads and velocities, and region shares summing to 1, over the run's days."""
    yield from _run_mart_checks(context, DAILY_MART_SPECS, paths, quality, _partition_keys(context))


@dg.multi_asset_check(
    specs=_mart_specs(MART_SPECS, partitioned=False),
    name="marts_quality",
    description="Great Expectations suites on the rebuilt (unpartitioned) marts.",
    can_subset=True,
    compute_kind="great_expectations",
    # Reads warehouse.duckdb, which no process may open while a dbt step of another run writes it.
    pool=WAREHOUSE_POOL,
)
def marts_quality(
    context: dg.AssetCheckExecutionContext, paths: HubpulsePaths, quality: QualityConfig
) -> Iterator[dg.AssetCheckResult]:
    """Grain, organisation and region mapping, real release dates and dense ranks of the marts."""
    yield from _run_mart_checks(context, MART_SPECS, paths, quality, None)


raw_asset_checks: list = [hub_model_snapshots_quality]
mart_asset_checks: list = [daily_marts_quality, marts_quality]
