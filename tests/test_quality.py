"""Quality checks: each rule catches exactly its defect, blocking checks stop downstream assets.

Raw partitions are built from `tiny_hub_items` (the clean reference) with one defect each, validated
through the real Great Expectations suite; the Dagster tests materialize the real `hub_model_snapshots`
from a local Hub with the checks and a tiny downstream asset. The marts' rules are dbt tests: compiled by dbt
and run on small DuckDB tables written under tmp_path with the columns of
`dbt_project/models/marts/_marts__models.yml`, and once through `dbt test` itself.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import dagster_dbt
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.cli.prepare import dbt_executable
from orchestration.hub.archive import write_snapshot
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient
from orchestration.hub.partitions import daily_snapshot_partitions
from orchestration.hub.snapshots import PARTITION_FILE, build_snapshot_rows, partition_dir
from orchestration.quality import QualityConfig, quality_config_from_env, raw_asset_checks
from orchestration.quality.raw import RAW_CHECKS, row_band, validate_raw_frame
from orchestration.quality.validation import DocsSite
from orchestration.resources import HubpulsePaths, SnapshotScope
from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import DAY1, DAY2, make_item, tiny_hub_items

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

RAW_NAMES = {check.name for check in RAW_CHECKS}
CONFIG = QualityConfig(data_docs=False)
RANGE_TAGS = {
    "dagster/asset_partition_range_start": "2025-03-01",
    "dagster/asset_partition_range_end": "2025-03-02",
}


# ------------------------------------------------------------------------------------------ raw, pure


def raw_frame(items: list[dict], day: dt.date = DAY2) -> pd.DataFrame:
    """A partition's rows as the checks read them: Arrow-backed columns straight from the raw table."""
    return build_snapshot_rows(items, day).table.to_pandas(types_mapper=pd.ArrowDtype)


def validate(frame: pd.DataFrame, *, day: dt.date = DAY2, previous=(DAY1, 40), config=CONFIG, schema=None):
    return validate_raw_frame(frame, snapshot_date=day, config=config, previous=previous, schema=schema)


def failing(validation) -> set[str]:
    return {name for name, outcome in validation.outcomes.items() if not outcome.passed}


def test_clean_partition_passes_every_raw_check():
    validation = validate(raw_frame(tiny_hub_items(1)))
    assert failing(validation) == set()
    assert set(validation.outcomes) == RAW_NAMES
    # The clean Hub has 24 community models out of 40: counted, under the download-share threshold.
    authors = validation.outcomes["authors_mapped_to_organisations"].extra
    assert authors["unclassified_models"] == 24 and authors["unclassified_authors"] == 24
    assert 0 < authors["unclassified_download_share"] < CONFIG.max_unclassified_download_share


def test_first_partition_passes_the_row_band_with_a_note():
    validation = validate(raw_frame(tiny_hub_items(0), DAY1), day=DAY1, previous=None)
    assert failing(validation) == set()
    assert "first partition" in validation.outcomes["row_count_within_band"].message()


def test_duplicate_and_null_ids_fail_only_the_id_check():
    frame = raw_frame(tiny_hub_items(1))
    frame.loc[5, "id"] = frame.loc[4, "id"]
    frame.loc[9, "id"] = None
    validation = validate(frame)
    assert failing(validation) == {"ids_unique_and_not_null"}
    message = validation.outcomes["ids_unique_and_not_null"].message()
    assert "ids are unique: 2 of 39 rows fail" in message and frame.loc[4, "id"] in message
    assert "every row has an id: 1 of 40 rows fail" in message


def test_negative_downloads_fail_only_the_counts_check():
    items = tiny_hub_items(1)
    items[3]["downloads"] = -5
    items[7]["likes"] = -1
    validation = validate(raw_frame(items))
    assert failing(validation) == {"counts_non_negative"}
    outcome = validation.outcomes["counts_non_negative"]
    assert "downloads is not negative: 1 of 40 rows fail" in outcome.message()
    assert "likes is not negative: 1 of 40 rows fail" in outcome.message()
    first = {r.label: r.examples for r in outcome.failures}
    assert first["downloads is not negative"] == [{"downloads": -5, "id": items[3]["id"]}]


def test_created_at_after_the_snapshot_date_fails_only_that_check():
    items = tiny_hub_items(1)
    items[2]["createdAt"] = "2025-03-02T23:59:59.999Z"  # the last instant of the snapshot date: fine
    assert failing(validate(raw_frame(items))) == set()
    items[6]["createdAt"] = "2025-03-03T00:00:00.000Z"
    validation = validate(raw_frame(items))
    assert failing(validation) == {"created_at_not_after_snapshot"}
    message = validation.outcomes["created_at_not_after_snapshot"].message()
    assert "1 of 40 rows fail" in message and items[6]["id"] in message and "2025-03-03T00:00:00" in message


def test_a_crawl_that_lost_half_its_rows_fails_only_the_row_band():
    validation = validate(raw_frame(tiny_hub_items(1)[:20]))
    assert failing(validation) == {"row_count_within_band"}
    outcome = validation.outcomes["row_count_within_band"]
    assert "observed 20, expected 32..60 rows" in outcome.message()
    assert outcome.extra["row_ratio"] == 0.5 and outcome.extra["previous_rows"] == 40
    # Twice as many rows as yesterday is out of the band too; the band's edges are in.
    assert failing(validate(raw_frame(tiny_hub_items(1, n_models=40)), previous=(DAY1, 20))) == {
        "row_count_within_band"
    }
    assert row_band(40, CONFIG) == (32, 60)
    assert failing(validate(raw_frame(tiny_hub_items(1)[:32]))) == set()


def test_too_many_missing_downloads_all_time_fail_only_that_check():
    items = tiny_hub_items(1)
    for item in items[:2]:
        del item["downloadsAllTime"]
    assert failing(validate(raw_frame(items))) == set()  # 2 of 40 = 5 %: at the threshold
    del items[2]["downloadsAllTime"]
    validation = validate(raw_frame(items))
    assert failing(validation) == {"downloads_all_time_mostly_present"}
    outcome = validation.outcomes["downloads_all_time_mostly_present"]
    assert "3 of 40 rows fail (7.50%)" in outcome.message() and "<= 5.00% missing" in outcome.message()
    assert outcome.extra["missing_downloads_all_time"] == 3


def test_an_unmapped_author_with_most_downloads_warns_only_the_author_check():
    items = [*tiny_hub_items(1), make_item("newlab/giant-1", downloads_all_time=10**11)]
    validation = validate(raw_frame(items), previous=(DAY1, 41))
    assert failing(validation) == {"authors_mapped_to_organisations"}
    outcome = validation.outcomes["authors_mapped_to_organisations"]
    assert outcome.check.severity == "WARN" and not outcome.check.blocking
    assert outcome.extra["unclassified_models"] == 25
    assert outcome.extra["top_unclassified_authors"][0]["author"] == "newlab"
    assert "newlab" in outcome.message() and "expected <= 0.5" in outcome.message()


def test_renamed_namespaces_resolve_through_the_alias_seed():
    items = [make_item("THUDM/glm-x", downloads_all_time=10**11), *tiny_hub_items(1)]
    validation = validate(raw_frame(items), previous=(DAY1, 41))
    assert failing(validation) == set()


def test_schema_drift_fails_only_the_schema_check():
    table = build_snapshot_rows(tiny_hub_items(1), DAY2).table
    table = table.drop_columns(["sha"]).set_column(
        table.schema.get_field_index("trending_score"),
        "trending_score",
        table.column("trending_score").cast(pa.string()),
    )
    validation = validate(table.to_pandas(types_mapper=pd.ArrowDtype), schema=table.schema)
    assert failing(validation) == {"schema_and_types"}
    outcome = validation.outcomes["schema_and_types"]
    assert {"column": "sha", "expected": "string", "observed": "missing"} in outcome.failures[0].examples
    assert {"column": "trending_score", "expected": "double", "observed": "string"} in outcome.failures[
        0
    ].examples


def test_a_partition_filed_under_the_wrong_date_fails_the_schema_check():
    validation = validate(raw_frame(tiny_hub_items(1), DAY1), day=DAY2)
    assert failing(validation) == {"schema_and_types"}
    assert "every row's snapshot_date is 2025-03-02: 40 of 40 rows fail" in (
        validation.outcomes["schema_and_types"].message()
    )


def test_data_docs_are_written_under_the_quality_folder(tmp_path: Path):
    validation = validate_raw_frame(
        raw_frame(tiny_hub_items(1)),
        snapshot_date=DAY2,
        config=QualityConfig(),
        previous=(DAY1, 40),
        docs=DocsSite(tmp_path / "quality"),
        run_name="t",
    )
    assert validation.docs_page.is_file() and validation.docs_page.is_relative_to(tmp_path / "quality")
    assert validation.docs_index == tmp_path / "quality" / "data_docs" / "index.html"
    assert "hub_model_snapshots" in validation.docs_index.read_text()


def test_quality_config_reads_the_environment():
    config = quality_config_from_env(
        {
            "HUBPULSE_QUALITY_MIN_ROW_RATIO": "0.6",
            "HUBPULSE_QUALITY_DATA_DOCS": "off",
            "HUBPULSE_QUALITY_MAX_UNCLASSIFIED_DOWNLOAD_SHARE": "0.9",
        }
    )
    assert (config.min_row_ratio, config.data_docs, config.max_unclassified_download_share) == (
        0.6,
        False,
        0.9,
    )
    assert quality_config_from_env({}) == QualityConfig()
    with pytest.raises(ValueError, match="HUBPULSE_QUALITY_MIN_ROWS='many' is not a valid int"):
        quality_config_from_env({"HUBPULSE_QUALITY_MIN_ROWS": "many"})
    with pytest.raises(ValueError, match="unknown quality setting"):
        quality_config_from_env({"HUBPULSE_QUALITY_MAX_RATIO": "2"})
    with pytest.raises(ValueError):
        quality_config_from_env({"HUBPULSE_QUALITY_MIN_ROW_RATIO": "1.2"})


# ----------------------------------------------------------------------------------------- raw, Dagster


@dg.asset(
    deps=[hub_model_snapshots],
    partitions_def=daily_snapshot_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def downstream_of_raw() -> None:
    """Stands for the staging/marts a blocking raw check must protect."""


def _archive(tmp_path: Path, day2_items: list[dict]) -> Path:
    archive = tmp_path / "archive"
    write_snapshot(archive, DAY1, tiny_hub_items(0))
    write_snapshot(archive, DAY2, day2_items)
    return archive


def _resources(home: Path, archive: Path | None, data_docs: bool = False) -> dict:
    return {
        "hub": HubClient(source="local", archive_dir=str(archive), local_page_size=16) if archive else None,
        "scope": SnapshotScope(
            organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True
        ),
        "paths": HubpulsePaths(home=str(home)),
        "quality": QualityConfig(data_docs=data_docs),
    }


def _evaluations(result) -> dict[tuple[str, str | None], dg.AssetCheckEvaluation]:
    return {(e.check_name, e.partition): e for e in result.get_asset_check_evaluations()}


def _materialized(result, node: str) -> set[str | None]:
    return {m.partition for m in result.asset_materializations_for_node(node)}


def test_clean_range_passes_every_check_per_partition_and_builds_downstream(tmp_path: Path):
    home = tmp_path / "home"
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [hub_model_snapshots, downstream_of_raw, *raw_asset_checks],
        resources=_resources(home, _archive(tmp_path, tiny_hub_items(1)), data_docs=True),
        instance=instance,
        tags=RANGE_TAGS,
    )
    assert result.success
    evaluations = _evaluations(result)
    for name in RAW_NAMES:
        for partition in ("2025-03-01", "2025-03-02", None):  # one per partition, and the run's aggregate
            assert evaluations[(name, partition)].passed, (name, partition)
    assert _materialized(result, "downstream_of_raw") == {"2025-03-01", "2025-03-02"}
    # The per-partition status the UI reads: each partition's latest evaluation, tied to its materialization.
    infos = instance.event_log_storage.get_asset_check_partition_info(
        [dg.AssetCheckKey(hub_model_snapshots.key, "row_count_within_band")]
    )
    statuses = {info.partition_key: info.latest_execution_status.value for info in infos}
    assert statuses["2025-03-01"] == statuses["2025-03-02"] == "SUCCEEDED"
    assert all(info.is_current for info in infos if info.partition_key)
    metadata = evaluations[("row_count_within_band", "2025-03-02")].metadata
    assert metadata["previous_rows"].value == 40 and metadata["rows"].value == 40
    docs_page = Path(metadata["data_docs"].path)
    assert docs_page.is_file() and docs_page.is_relative_to(home / "quality")


def test_a_blocking_check_failure_skips_downstream_in_the_same_run(tmp_path: Path):
    items = tiny_hub_items(1)
    items[3]["downloads"] = -5
    home = tmp_path / "home"
    result = dg.materialize(
        [hub_model_snapshots, downstream_of_raw, *raw_asset_checks],
        resources=_resources(home, _archive(tmp_path, items)),
        partition_key="2025-03-02",
        raise_on_error=False,
    )
    assert not result.success
    evaluation = _evaluations(result)[("counts_non_negative", "2025-03-02")]
    assert (
        not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR and evaluation.blocking
    )
    assert "downloads is not negative: 1 of 40 rows fail" in evaluation.description
    assert evaluation.metadata["first_failing_values"].value == {
        "downloads is not negative": [{"downloads": -5, "id": items[3]["id"]}]
    }
    failed_others = {name for (name, _), e in _evaluations(result).items() if not e.passed}
    assert failed_others == {"counts_non_negative"}
    assert _materialized(result, "hub_model_snapshots") == {"2025-03-02"}
    assert _materialized(result, "downstream_of_raw") == set()


def test_a_range_attributes_the_failure_to_its_partition_and_blocks_the_run(tmp_path: Path):
    # Day 2's crawl lost half its pages: day 2 fails the band, day 1 passes, the run's downstream is held.
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [hub_model_snapshots, downstream_of_raw, *raw_asset_checks],
        resources=_resources(tmp_path / "home", _archive(tmp_path, tiny_hub_items(1)[:20])),
        instance=instance,
        tags=RANGE_TAGS,
        raise_on_error=False,
    )
    evaluations = _evaluations(result)
    assert evaluations[("row_count_within_band", "2025-03-01")].passed
    assert not evaluations[("row_count_within_band", "2025-03-02")].passed
    aggregate = evaluations[("row_count_within_band", None)]
    assert not aggregate.passed and aggregate.metadata["failing_partitions"].value == ["2025-03-02"]
    assert "1 of 2 partitions fail (first 2025-03-02)" in aggregate.description
    assert "observed 20, expected 32..60 rows" in aggregate.description
    assert _materialized(result, "downstream_of_raw") == set()
    # The step's log: a line for the failing partition and one for the range, none for each passing partition.
    lines = [
        entry.user_message for entry in instance.all_logs(result.run_id)
        if entry.step_key == "hub_model_snapshots_quality" and entry.dagster_event is None
    ]
    assert lines == [
        "2025-03-02: 20 rows; failing: row_count_within_band",
        "2 partitions 2025-03-01 .. 2025-03-02: 60 rows; 1 pass every check, 1 fail one or more",
    ], lines


def test_a_warning_does_not_block_downstream(tmp_path: Path):
    items = [*tiny_hub_items(1)[:39], make_item("newlab/giant-1", downloads_all_time=10**11)]
    result = dg.materialize(
        [hub_model_snapshots, downstream_of_raw, *raw_asset_checks],
        resources=_resources(tmp_path / "home", _archive(tmp_path, items)),
        partition_key="2025-03-02",
    )
    assert result.success
    evaluation = _evaluations(result)[("authors_mapped_to_organisations", "2025-03-02")]
    assert (
        not evaluation.passed
        and evaluation.severity == dg.AssetCheckSeverity.WARN
        and not evaluation.blocking
    )
    assert evaluation.metadata["top_unclassified_authors"].value[0]["author"] == "newlab"
    assert _materialized(result, "downstream_of_raw") == {"2025-03-02"}


def run_checks_only(resources: dict, instance: dg.DagsterInstance, partition: str):
    """What "Execute checks" on a partition does in the UI: a run of the checks alone."""
    job = dg.define_asset_job(
        "recheck_raw", selection=dg.AssetSelection.checks_for_assets(hub_model_snapshots)
    )
    defs = dg.Definitions(
        assets=[hub_model_snapshots], asset_checks=raw_asset_checks, jobs=[job], resources=resources
    )
    # The partition goes in as the run tag the UI sets (`partition_key=` wants a selected asset).
    return defs.resolve_job_def("recheck_raw").execute_in_process(
        tags={"dagster/partition": partition}, instance=instance, raise_on_error=False
    )


def test_checks_rerun_alone_on_a_damaged_partition(tmp_path: Path):
    home = tmp_path / "home"
    resources = _resources(home, _archive(tmp_path, tiny_hub_items(1)))
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize(
        [hub_model_snapshots], resources=resources, instance=instance, tags=RANGE_TAGS
    ).success
    # Someone rewrites day 2 by hand with a duplicated id; the checks alone, from the UI, must see it.
    path = partition_dir(HubpulsePaths(home=str(home)).raw_models, DAY2) / PARTITION_FILE
    table = pq.read_table(path)
    ids = table.column("id").to_pylist()
    ids[1] = ids[0]
    pq.write_table(
        table.set_column(table.schema.get_field_index("id"), "id", pa.array(ids, pa.string())), path
    )
    result = run_checks_only(resources, instance, "2025-03-02")
    assert _materialized(result, "hub_model_snapshots") == set()  # nothing re-fetched
    evaluations = _evaluations(result)
    assert {name for (name, _), e in evaluations.items() if not e.passed} == {"ids_unique_and_not_null"}
    assert f"ids are unique: 2 of 40 rows fail (5.00%), expected unique, e.g. [{{'id': '{ids[0]}'}}" in (
        evaluations[("ids_unique_and_not_null", "2025-03-02")].description
    )


def test_a_missing_partition_fails_with_a_clear_message(tmp_path: Path):
    home = tmp_path / "home"
    result = run_checks_only(_resources(home, None), dg.DagsterInstance.ephemeral(), "2025-03-02")
    evaluation = _evaluations(result)[("schema_and_types", "2025-03-02")]
    assert not evaluation.passed and "no raw partition for 2025-03-02" in evaluation.description


# ---------------------------------------------------------------------------------------------- marts

DAYS = [dt.date(2025, 3, 1), dt.date(2025, 3, 2), dt.date(2025, 3, 3)]
PLACEHOLDER = pd.Timestamp("2022-03-02T23:29:04Z")


def clean_marts() -> dict[str, pd.DataFrame]:
    """A consistent little warehouse: three models, two regions, three days, one month of ranks."""
    daily = pd.DataFrame(
        [
            {"model_id": m, "snapshot_date": d, "daily_downloads": float(10 * i + k)}
            for k, d in enumerate(DAYS)
            for i, m in enumerate(["m1", "m2", "m3"], start=1)
        ]
    )
    velocity = []
    for d in DAYS:
        for entity_type, entity_id, v in [
            ("model", "m1", 30.0),
            ("model", "m2", 50.0),
            ("model", "m3", 20.0),
            ("organization", "org-a", 80.0),
            ("organization", "user-x", 20.0),
            ("region", "us", 80.0),
            ("region", "unclassified", 20.0),
            ("total", "total", 100.0),
        ]:
            velocity.append(
                {
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "metric_date": d,
                    "daily_downloads": v / 10,
                    "velocity_7d": v / 2,
                    "velocity_28d": v,
                    "share_of_total": v / 100,
                    "downloads_30d": int(v * 3),
                    "share_of_total_downloads_30d": v / 100,
                }
            )
    models = pd.DataFrame(
        {
            "model_id": ["m1", "m2", "m3"],
            "organization": ["org-a", "org-a", "user-x"],
            "region": ["us", "us", "unclassified"],
            "created_at": [
                pd.Timestamp("2025-01-20T10:00:00Z"),
                PLACEHOLDER,
                pd.Timestamp("2025-02-01T08:00:00Z"),
            ],
            "created_date": [dt.date(2025, 1, 20), None, dt.date(2025, 2, 1)],
            "is_placeholder_created_at": [False, True, False],
            "is_release": [True, False, True],
        }
    )
    return {
        "fct_model_daily": daily,
        "fct_download_velocity": pd.DataFrame(velocity),
        "dim_models": models,
        "dim_organizations": pd.DataFrame(
            {"organization": ["org-a", "user-x"], "region": ["us", "unclassified"]}
        ),
        "fct_release_cadence": pd.DataFrame(
            {
                "entity_type": ["organization", "region"],
                "entity_id": ["org-a", "us"],
                "week_start": [dt.date(2025, 1, 20)] * 2,
            }
        ),
        "fct_derivatives": pd.DataFrame(
            {
                "base_model_id": ["m1", "m2"],
                "release_date": [dt.date(2025, 1, 20), None],
                "is_placeholder_created_at": [False, True],
                "days_to_first_derivative": [12, None],
                "derivatives_within_42_days": [1, None],
            }
        ),
        "fct_supply_chain": pd.DataFrame(
            {
                "month_start": [dt.date(2025, 2, 1)],
                "child_region": ["unclassified"],
                "base_region": ["us"],
                "relation": ["finetune"],
            }
        ),
        "fct_ecosystem_vs_benchmark": pd.DataFrame(
            {
                "organization": ["a", "b", "c", "d", "a", "b"],
                "month_start": [dt.date(2025, 3, 1)] * 4 + [dt.date(2025, 4, 1)] * 2,
                "benchmark_rank": [1.0, 2.5, 2.5, None, 2.0, 1.0],
                "ecosystem_rank": [3.0, 1.0, 2.0, None, 1.0, 2.0],
            }
        ),
        "fct_benchmark_adoption_correlation": pd.DataFrame({"month_start": [dt.date(2025, 3, 1)]}),
    }


def write_warehouse(path: Path, marts: dict[str, pd.DataFrame]) -> Path:
    """The marts as tables of `path`, and the (empty) daily downloads a windowed test of the velocities reads."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists marts")
        for name, frame in marts.items():
            con.register("frame", frame)
            con.execute(f"create or replace table marts.{name} as select * from frame")
            con.unregister("frame")
        con.execute("create schema if not exists intermediate")
        con.execute(
            "create or replace table intermediate.int_models_daily_downloads (snapshot_date date, download_date date)"
        )
    finally:
        con.close()
    return path


# The mart rules Great Expectations checked before, each under the check's former name, and the dbt tests of
# `_marts__models.yml` that hold them now: (generic test, column or None for a test of the whole model).
NON_NEGATIVE_VELOCITIES = ("daily_downloads", "velocity_7d", "velocity_28d", "downloads_30d")
MART_RULES: dict[tuple[str, str], set[tuple[str, str | None]]] = {
    ("fct_model_daily", "grain_unique"): {("unique_combination_of_columns", None)},
    ("fct_model_daily", "daily_downloads_non_negative"): {("accepted_range", "daily_downloads")},
    ("fct_download_velocity", "grain_unique"): {("unique_combination_of_columns", None)},
    ("fct_download_velocity", "downloads_and_velocities_non_negative"): {
        ("accepted_range", column) for column in NON_NEGATIVE_VELOCITIES
    },
    ("fct_download_velocity", "region_shares_sum_to_one"): {("shares_sum_to_one", None)},
    ("dim_models", "grain_unique"): {("unique", "model_id")},
    ("dim_models", "models_mapped_to_organisation_and_region"): {
        ("not_null", "organization"),
        ("not_null", "region"),
        ("accepted_values", "region"),
    },
    ("dim_models", "releases_on_real_creation_dates"): {("no_rows_where", None)},
    ("dim_organizations", "grain_unique"): {("unique", "organization")},
    ("fct_release_cadence", "grain_unique"): {("unique_combination_of_columns", None)},
    ("fct_derivatives", "grain_unique"): {("unique", "base_model_id")},
    ("fct_derivatives", "releases_on_real_creation_dates"): {("no_rows_where", None)},
    ("fct_supply_chain", "grain_unique"): {("unique_combination_of_columns", None)},
    ("fct_ecosystem_vs_benchmark", "grain_unique"): {("unique_combination_of_columns", None)},
    ("fct_ecosystem_vs_benchmark", "ranks_dense_within_range"): {("ranks_dense", None)},
    ("fct_benchmark_adoption_correlation", "grain_unique"): {("unique", "month_start")},
}
MARTS = {model for model, _ in MART_RULES}


@dataclass
class RuleTest:
    """One dbt test of a mart rule as dbt compiled it."""

    unique_id: str
    name: str
    severity: str
    sql: str


@dataclass
class RuleRun:
    """A dbt test run on the fixture warehouse: the failing rows (empty: passed), or the error it raised."""

    test: RuleTest
    rows: list[dict]
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.rows


def compile_rule_tests(
    tmp: Path, window: tuple[dt.date, dt.date] | None = None
) -> tuple[dict[tuple[str, str], list], Path]:
    """`dbt compile` of the marts' tests (with the build window of a Dagster daily run, if given): per rule its
    tests, found in dbt's manifest by the generic test and the column they apply; and the manifest."""
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    target = tmp / "target"
    prepared = os.environ.get("HUBPULSE_DBT_MANIFEST_DIR")
    if prepared and (Path(prepared) / "partial_parse.msgpack").is_file():  # start from the prepared parse
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(prepared) / "partial_parse.msgpack", target / "partial_parse.msgpack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_WINDOW_")}
    env.update(HUBPULSE_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    if window is not None:
        env.update(HUBPULSE_WINDOW_START=window[0].isoformat(), HUBPULSE_WINDOW_END=window[1].isoformat())
    command = [dbt_executable(), "compile", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
               str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path", str(tmp / "logs"),
               "--select", "path:models/marts,resource_type:test", "--quiet"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    compiled = {r["unique_id"]: r["compiled_code"] for r in json.loads((target / "run_results.json").read_text())["results"]}
    rules: dict[tuple[str, str], list] = {key: [] for key in MART_RULES}
    for unique_id, node in nodes.items():
        if node["resource_type"] != "test" or not node.get("test_metadata") or not node.get("attached_node"):
            continue
        model = node["attached_node"].split(".")[-1]
        applied = (node["test_metadata"]["name"], node.get("column_name"))
        for (rule_model, rule), tests in MART_RULES.items():
            if rule_model == model and applied in tests:
                rules[(model, rule)].append(
                    (applied, RuleTest(unique_id, node["name"], node["config"]["severity"], compiled[unique_id]))
                )
    return rules, target / "manifest.json"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> tuple[dict[tuple[str, str], list], Path]:
    """The marts' rule tests compiled by dbt once for the module, and dbt's manifest."""
    return compile_rule_tests(tmp_path_factory.mktemp("dbt-compile"))


@pytest.fixture
def rule_tests(compiled) -> dict[tuple[str, str], list]:
    return compiled[0]


def run_rule_tests(tmp_path: Path, marts: dict[str, pd.DataFrame], rules) -> dict[tuple[str, str], list[RuleRun]]:
    """Every rule's dbt tests, as dbt compiled them, run on a warehouse holding `marts`."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    warehouse = write_warehouse(tmp_path / "warehouse.duckdb", marts)
    out: dict[tuple[str, str], list[RuleRun]] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for key, tests in rules.items():
            out[key] = []
            for _, test in tests:
                try:
                    frame = con.sql(test.sql).df()
                except duckdb.Error as exc:
                    out[key].append(RuleRun(test, [], f"{type(exc).__name__}: {exc}"))
                    continue
                rows = [{k: comparable(v) for k, v in row.items()} for row in frame.to_dict("records")]
                out[key].append(RuleRun(test, rows))
    finally:
        con.close()
    return out


def comparable(value):
    """Failing values as plain Python: dates as ISO text, missing as None."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.date().isoformat() if isinstance(value, pd.Timestamp) else value.isoformat()
    return value.item() if hasattr(value, "item") else value


def mart_failures(runs) -> set[tuple[str, str]]:
    return {key for key, tests in runs.items() if not all(run.passed for run in tests)}


def failing_rows(runs, key: tuple[str, str]) -> list[dict]:
    return [row for run in runs[key] for row in run.rows]


def test_every_former_mart_check_is_one_blocking_dbt_test_per_rule_and_column(rule_tests):
    for key, expected in MART_RULES.items():
        found = [applied for applied, _ in rule_tests[key]]
        assert sorted(found, key=str) == sorted(expected, key=str), key
        # Severity error: dbt fails the test and dagster-dbt makes its asset check blocking, as the GX check was.
        assert {test.severity for _, test in rule_tests[key]} == {"ERROR"}, key


def test_the_mart_rules_reach_dagster_as_blocking_checks_on_each_mart(compiled):
    from orchestration.dbt.translator import HubpulseDbtTranslator

    rule_tests, manifest = compiled

    @dagster_dbt.dbt_assets(manifest=manifest, dagster_dbt_translator=HubpulseDbtTranslator(), select="marts")
    def marts(context):  # only its specs are read
        yield from ()

    specs = {(spec.asset_key, spec.name): spec for spec in marts.check_specs}
    for key, tests in rule_tests.items():
        for _, test in tests:
            spec = specs[(dg.AssetKey(["marts", key[0]]), test.name)]
            assert spec.blocking, (key, test.name)
    named = {name for (asset_key, name) in specs if asset_key == dg.AssetKey(["marts", "fct_download_velocity"])}
    assert "region_shares_sum_to_one" in named


def test_clean_marts_pass_every_check(rule_tests, tmp_path: Path):
    runs = run_rule_tests(tmp_path, clean_marts(), rule_tests)
    assert mart_failures(runs) == set()
    assert {model for model, _ in runs} == MARTS and all(runs.values())


def test_a_duplicated_grain_fails_only_that_marts_grain_check(rule_tests, tmp_path: Path):
    marts = clean_marts()
    daily = marts["fct_model_daily"]
    marts["fct_model_daily"] = pd.concat([daily, daily.iloc[[4]]], ignore_index=True)  # m2 on 2025-03-02
    orgs = marts["dim_organizations"]
    marts["dim_organizations"] = pd.concat([orgs, orgs.iloc[[0]]], ignore_index=True)
    runs = run_rule_tests(tmp_path, marts, rule_tests)
    assert mart_failures(runs) == {
        ("fct_model_daily", "grain_unique"),
        ("dim_organizations", "grain_unique"),
    }
    # one row per (model_id, snapshot_date): the two rows of m2 on 2025-03-02, and only that day
    assert failing_rows(runs, ("fct_model_daily", "grain_unique")) == [
        {"model_id": "m2", "snapshot_date": "2025-03-02", "duplicate_rows": 2}
    ]


def test_marts_read_only_the_window_just_built(tmp_path: Path, rule_tests):
    marts = clean_marts()
    daily = marts["fct_model_daily"]
    marts["fct_model_daily"] = pd.concat([daily, daily.iloc[[0]]], ignore_index=True)  # a duplicate on 03-01
    windowed, _ = compile_rule_tests(tmp_path / "window", window=(DAYS[1], DAYS[2]))
    assert mart_failures(run_rule_tests(tmp_path, marts, windowed)) == set()
    # The same tests without a window read every day, and find it.
    assert mart_failures(run_rule_tests(tmp_path, marts, rule_tests)) == {("fct_model_daily", "grain_unique")}


def test_negative_velocities_fail_only_the_non_negative_check(rule_tests, tmp_path: Path):
    marts = clean_marts()
    marts["fct_download_velocity"].loc[0, "velocity_7d"] = -3.0
    marts["fct_model_daily"].loc[2, "daily_downloads"] = -1.0
    runs = run_rule_tests(tmp_path, marts, rule_tests)
    assert mart_failures(runs) == {
        ("fct_download_velocity", "downloads_and_velocities_non_negative"),
        ("fct_model_daily", "daily_downloads_non_negative"),
    }
    # velocity_7d is not negative: 1 row of the velocities fails (and no other column)
    assert failing_rows(runs, ("fct_download_velocity", "downloads_and_velocities_non_negative")) == [
        {"velocity_7d": -3.0}
    ]
    assert failing_rows(runs, ("fct_model_daily", "daily_downloads_non_negative")) == [{"daily_downloads": -1.0}]


def test_region_shares_not_summing_to_one_fail_only_that_check(rule_tests, tmp_path: Path):
    marts = clean_marts()
    velocity = marts["fct_download_velocity"]
    row = velocity.index[
        (velocity.entity_type == "region") & (velocity.entity_id == "us") & (velocity.metric_date == DAYS[2])
    ][0]
    velocity.loc[row, "share_of_total"] = 0.7
    # A day whose total is zero has no shares to sum: left out, not failed.
    zero_day = velocity.metric_date == DAYS[0]
    velocity.loc[zero_day & (velocity.entity_type == "total"), "velocity_28d"] = 0.0
    velocity.loc[zero_day & (velocity.entity_type == "region"), "share_of_total"] = None
    runs = run_rule_tests(tmp_path, marts, rule_tests)
    assert mart_failures(runs) == {("fct_download_velocity", "region_shares_sum_to_one")}
    (failure,) = failing_rows(runs, ("fct_download_velocity", "region_shares_sum_to_one"))
    # region shares of velocity_28d sum to 1 on every day with a positive total: 1 of 2 days fails, 2025-03-03
    assert failure["metric_date"] == "2025-03-03" and failure["measure"] == "velocity_28d"
    assert failure["share_sum"] == pytest.approx(0.9, abs=1e-12) and abs(failure["share_sum"] - 1) > 1e-9
    assert "abs(share_sum - 1) > 1e-09" in rule_tests[("fct_download_velocity", "region_shares_sum_to_one")][0][1].sql


def test_reported_30_day_shares_are_checked_too_and_a_day_without_a_known_total_is_not_a_failure(
    rule_tests, tmp_path: Path
):
    marts = clean_marts()
    velocity = marts["fct_download_velocity"]
    # The first day of a history: no delta known, so no exact velocity and no share at all (only the 30-day
    # measure is known): not a failure.
    first_day = velocity.metric_date == DAYS[0]
    velocity.loc[first_day, ["daily_downloads", "velocity_7d", "velocity_28d", "share_of_total"]] = None
    assert mart_failures(run_rule_tests(tmp_path / "first", marts, rule_tests)) == set()
    # A region row of the reported measure lost on the last day: its shares no longer sum to 1.
    row = velocity.index[
        (velocity.entity_type == "region") & (velocity.entity_id == "unclassified") & (velocity.metric_date == DAYS[2])
    ][0]
    velocity.loc[row, "share_of_total_downloads_30d"] = None
    runs = run_rule_tests(tmp_path / "lost", marts, rule_tests)
    assert mart_failures(runs) == {("fct_download_velocity", "region_shares_sum_to_one")}
    (failure,) = failing_rows(runs, ("fct_download_velocity", "region_shares_sum_to_one"))
    assert (failure["metric_date"], failure["measure"]) == ("2025-03-03", "downloads_30d")


def test_a_release_on_the_placeholder_date_fails_only_that_check(rule_tests, tmp_path: Path):
    marts = clean_marts()
    models = marts["dim_models"]
    models.loc[1, ["is_release", "created_date"]] = [True, dt.date(2022, 3, 2)]
    runs = run_rule_tests(tmp_path / "models", marts, rule_tests)
    assert mart_failures(runs) == {("dim_models", "releases_on_real_creation_dates")}
    (failure,) = failing_rows(runs, ("dim_models", "releases_on_real_creation_dates"))
    assert failure["problem"] == "release on the placeholder createdAt 2022-03-02T23:29:04.000Z"
    assert failure["model_id"] == "m2"

    marts = clean_marts()
    marts["fct_derivatives"].loc[1, "release_date"] = dt.date(2022, 3, 2)
    runs = run_rule_tests(tmp_path / "derivatives", marts, rule_tests)
    assert mart_failures(runs) == {("fct_derivatives", "releases_on_real_creation_dates")}
    (failure,) = failing_rows(runs, ("fct_derivatives", "releases_on_real_creation_dates"))
    assert (failure["base_model_id"], failure["problem"]) == ("m2", "placeholder base given a release_date")


def test_non_dense_ranks_fail_only_the_rank_check(rule_tests, tmp_path: Path):
    marts = clean_marts()
    marts["fct_ecosystem_vs_benchmark"].loc[0, "ecosystem_rank"] = 4.0  # 1, 2, 4 among three ranked
    runs = run_rule_tests(tmp_path, marts, rule_tests)
    assert mart_failures(runs) == {("fct_ecosystem_vs_benchmark", "ranks_dense_within_range")}
    (failure,) = failing_rows(runs, ("fct_ecosystem_vs_benchmark", "ranks_dense_within_range"))
    assert failure["problem"].startswith("ecosystem_rank 4 outside 1..3 (expected 3")
    assert failure["organization"] == "a"


RANK_CASES = [
    ([1, 2, 3], True),
    ([1.5, 1.5, 3], True),
    ([2, 2, 2], True),
    ([1, 2.5, 2.5], True),
    ([1, 1, 3], False),
    ([1, 1, 2], False),
    ([1, 2, 4], False),
    ([0, 1, 2], False),
    ([2, 3, 4], False),
]


def test_ranks_pass_exactly_when_they_are_average_ranks(rule_tests, tmp_path: Path):
    # One month per case, so one run of the dbt test judges every case on its own.
    months = [dt.date(2024, month, 1) for month in range(1, len(RANK_CASES) + 1)]
    marts = clean_marts()
    marts["fct_ecosystem_vs_benchmark"] = pd.DataFrame(
        [
            {"organization": f"o{i}", "month_start": month, "benchmark_rank": float(rank), "ecosystem_rank": float(i + 1)}
            for month, (ranks, _) in zip(months, RANK_CASES, strict=True)
            for i, rank in enumerate(ranks)
        ]
    )
    runs = run_rule_tests(tmp_path, marts, rule_tests)
    failing_months = {row["month_start"] for row in failing_rows(runs, ("fct_ecosystem_vs_benchmark", "ranks_dense_within_range"))}
    assert failing_months == {month.isoformat() for month, (_, ok) in zip(months, RANK_CASES, strict=True) if not ok}


def test_a_missing_mart_fails_its_checks_with_a_clear_message(rule_tests, tmp_path: Path):
    marts = clean_marts()
    del marts["fct_supply_chain"]
    runs = run_rule_tests(tmp_path, marts, rule_tests)
    assert mart_failures(runs) == {("fct_supply_chain", "grain_unique")}
    (run,) = runs[("fct_supply_chain", "grain_unique")]
    assert "fct_supply_chain does not exist" in run.error


def test_dbt_test_fails_on_a_corrupt_mart_and_names_the_rule(tmp_path: Path):
    """The rules as `dbt test` runs them (what the dbt assets run in Dagster): a failing rule fails the run."""
    marts = clean_marts()
    velocity = marts["fct_download_velocity"]
    velocity.loc[(velocity.entity_type == "region") & (velocity.metric_date == DAYS[1]), "share_of_total"] = 0.25
    home = tmp_path / "home"
    home.mkdir()
    write_warehouse(home / "warehouse.duckdb", marts)
    target = tmp_path / "target"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_WINDOW_")}
    env.update(HUBPULSE_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    command = [dbt_executable(), "test", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(target), "--log-path", str(tmp_path / "logs"),
               "--select", "region_shares_sum_to_one", "ranks_dense_within_range"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 1, done.stdout[-3000:]
    statuses = {
        r["unique_id"].split(".")[2]: (r["status"], r["failures"])
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["unique_id"].startswith("test.")
    }
    assert statuses == {"region_shares_sum_to_one": ("fail", 1), "ranks_dense_within_range": ("pass", 0)}
