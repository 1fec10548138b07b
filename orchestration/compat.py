"""The project's only uses of library internals, each where no public API does the job.

Each section names what it needs, why no public API does it (measured), and the version it was verified
with; `tests/test_compat.py` fails on any other installed version, so an upgrade is checked here first
instead of misbehaving somewhere else.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

# ------------------------------------------------------------------------------------------------------
# Dagster: the per-partition evaluations of a ranged asset-check step, tied to their materializations
# (orchestration/quality/checks.py).
#
# A single-run backfill of the raw partitions validates every partition in one check step. Dagster records
# the step's `AssetCheckResult` without a partition, so the check logs one `dg.AssetCheckEvaluation` per
# partition (public: exported by `dagster`, logged with `log_event`). Its `target_materialization_data`, which
# ties the evaluation to the partition's latest materialization, only takes
# `AssetCheckEvaluationTargetMaterializationData`, which `dagster` does not export, and no public call fills
# it for an evaluation logged by hand (`AssetCheckResult` fills it only for the step's own partition).
# Without it, measured with Dagster 1.13.27: each partition's latest evaluation is stored with no target, so
# `get_asset_check_partition_info(...).is_current` is False for every partition of a ranged run, and the UI
# shows every check of a backfilled day as outdated against its materialization
# (tests/test_quality.py::test_clean_range_passes_every_check_per_partition_and_builds_downstream fails).
# One materialization query serves all the partitions of a step: a ranged run logs one evaluation per check
# and partition, and a query per evaluation would cost more than the validations themselves.

DAGSTER_VERIFIED = "1.13.27"


def target_materializations(instance: dg.DagsterInstance, asset_key: dg.AssetKey, partitions: Sequence[str]) -> dict:
    """Per partition, its latest materialization as `dg.AssetCheckEvaluation(target_materialization_data=...)`
    takes it; a partition never materialized is left out (its evaluation is then recorded untied)."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData,
    )

    found: dict[str, object] = {}
    records = instance.fetch_materializations(
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
                found.update(target_materializations(instance, asset_key, [partition]))
    return found
