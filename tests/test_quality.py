"""Quality checks: each expectation catches exactly its defect, blocking checks stop downstream assets.

Raw partitions are built from `tiny_hub_items` (the clean reference) with one defect each, validated
through the real Great Expectations suite; the Dagster tests materialize the real `hub_model_snapshots`
from a local Hub with the checks and a tiny downstream asset. Marts are small DuckDB tables written under
tmp_path with the columns of `dbt_project/models/marts/_marts__models.yml`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from orchestration.hub.archive import write_snapshot
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient
from orchestration.hub.partitions import daily_snapshot_partitions
from orchestration.hub.snapshots import PARTITION_FILE, build_snapshot_rows, partition_dir
from orchestration.quality import (
    QualityConfig,
    mart_asset_checks,
    mart_asset_key,
    quality_config_from_env,
    raw_asset_checks,
)
from orchestration.quality.marts import (
    ALL_MART_SPECS,
    DAILY_MART_SPECS,
    MART_SPECS,
    plan_batches,
    rank_problems,
    validate_marts,
)
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
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists marts")
        for name, frame in marts.items():
            con.register("frame", frame)
            con.execute(f"create or replace table marts.{name} as select * from frame")
            con.unregister("frame")
    finally:
        con.close()
    return path


def validate_warehouse(tmp_path: Path, marts: dict[str, pd.DataFrame], window=(DAYS[0], DAYS[-1])):
    """Each mart validated in one batch (the little window fits)."""
    warehouse = write_warehouse(tmp_path / "warehouse.duckdb", marts)
    batches = {
        **validate_marts(warehouse, DAILY_MART_SPECS, config=CONFIG, window=window),
        **validate_marts(warehouse, MART_SPECS, config=CONFIG),
    }
    assert all(len(b) == 1 for b in batches.values())
    return {model: b[0] for model, b in batches.items()}


def mart_failures(validations) -> set[tuple[str, str]]:
    return {
        (model, name) for model, v in validations.items() for name, o in v.outcomes.items() if not o.passed
    }


def test_clean_marts_pass_every_check(tmp_path: Path):
    validations = validate_warehouse(tmp_path, clean_marts())
    assert mart_failures(validations) == set()
    assert set(validations) == set(ALL_MART_SPECS)
    mapped = validations["dim_models"].outcomes["models_mapped_to_organisation_and_region"].extra
    assert mapped["unclassified_models"] == 1 and mapped["models_by_region"] == {"us": 2, "unclassified": 1}


def test_a_duplicated_grain_fails_only_that_marts_grain_check(tmp_path: Path):
    marts = clean_marts()
    daily = marts["fct_model_daily"]
    marts["fct_model_daily"] = pd.concat([daily, daily.iloc[[4]]], ignore_index=True)  # m2 on 2025-03-02
    orgs = marts["dim_organizations"]
    marts["dim_organizations"] = pd.concat([orgs, orgs.iloc[[0]]], ignore_index=True)
    validations = validate_warehouse(tmp_path, marts)
    assert mart_failures(validations) == {
        ("fct_model_daily", "grain_unique"),
        ("dim_organizations", "grain_unique"),
    }
    outcome = validations["fct_model_daily"].outcomes["grain_unique"]
    assert "one row per (model_id, snapshot_date): 2 of 10 rows fail" in outcome.message()
    assert outcome.failing_keys() == {"2025-03-02"}
    assert {"model_id": "m2", "snapshot_date": "2025-03-02"} in outcome.failures[0].examples


def test_marts_read_only_the_window_just_built(tmp_path: Path):
    marts = clean_marts()
    daily = marts["fct_model_daily"]
    marts["fct_model_daily"] = pd.concat([daily, daily.iloc[[0]]], ignore_index=True)  # a duplicate on 03-01
    validations = validate_warehouse(tmp_path, marts, window=(DAYS[1], DAYS[2]))
    assert mart_failures(validations) == set()
    assert validations["fct_model_daily"].rows == 6


def test_negative_velocities_fail_only_the_non_negative_check(tmp_path: Path):
    marts = clean_marts()
    marts["fct_download_velocity"].loc[0, "velocity_7d"] = -3.0
    marts["fct_model_daily"].loc[2, "daily_downloads"] = -1.0
    validations = validate_warehouse(tmp_path, marts)
    assert mart_failures(validations) == {
        ("fct_download_velocity", "downloads_and_velocities_non_negative"),
        ("fct_model_daily", "daily_downloads_non_negative"),
    }
    message = validations["fct_download_velocity"].outcomes["downloads_and_velocities_non_negative"].message()
    assert "velocity_7d is not negative: 1 of 24 rows fail" in message and "'entity_id': 'm1'" in message


def test_region_shares_not_summing_to_one_fail_only_that_check(tmp_path: Path):
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
    validations = validate_warehouse(tmp_path, marts)
    assert mart_failures(validations) == {("fct_download_velocity", "region_shares_sum_to_one")}
    outcome = validations["fct_download_velocity"].outcomes["region_shares_sum_to_one"]
    assert outcome.failing_keys() == {"2025-03-03"}
    assert ("region shares of velocity_28d sum to 1 on every day with a positive total: 1 of 2 rows fail"
            in outcome.message())
    assert "'region_share_sum': 0.8999" in outcome.message() and "expected 1 +/- 1e-09" in outcome.message()


def test_reported_30_day_shares_are_checked_too_and_a_day_without_a_known_total_is_not_a_failure(tmp_path: Path):
    marts = clean_marts()
    velocity = marts["fct_download_velocity"]
    # The first day of a history: no delta known, so no exact velocity and no share at all (only the 30-day
    # measure is known): not a failure.
    first_day = velocity.metric_date == DAYS[0]
    velocity.loc[first_day, ["daily_downloads", "velocity_7d", "velocity_28d", "share_of_total"]] = None
    validations = validate_warehouse(tmp_path, marts)
    assert mart_failures(validations) == set()
    # A region row of the reported measure lost on the last day: its shares no longer sum to 1.
    row = velocity.index[
        (velocity.entity_type == "region") & (velocity.entity_id == "unclassified") & (velocity.metric_date == DAYS[2])
    ][0]
    velocity.loc[row, "share_of_total_downloads_30d"] = None
    validations = validate_warehouse(tmp_path, marts)
    assert mart_failures(validations) == {("fct_download_velocity", "region_shares_sum_to_one")}
    outcome = validations["fct_download_velocity"].outcomes["region_shares_sum_to_one"]
    assert outcome.failing_keys() == {"2025-03-03"}
    assert "region shares of downloads_30d sum to 1" in outcome.message()


def test_a_release_on_the_placeholder_date_fails_only_that_check(tmp_path: Path):
    marts = clean_marts()
    models = marts["dim_models"]
    models.loc[1, ["is_release", "created_date"]] = [True, dt.date(2022, 3, 2)]
    validations = validate_warehouse(tmp_path, marts)
    assert mart_failures(validations) == {("dim_models", "releases_on_real_creation_dates")}
    message = validations["dim_models"].outcomes["releases_on_real_creation_dates"].message()
    assert (
        "release on the placeholder createdAt 2022-03-02T23:29:04.000Z" in message
        and "'model_id': 'm2'" in message
    )

    marts = clean_marts()
    marts["fct_derivatives"].loc[1, "release_date"] = dt.date(2022, 3, 2)
    validations = validate_warehouse(tmp_path, marts)
    assert mart_failures(validations) == {("fct_derivatives", "releases_on_real_creation_dates")}
    assert "placeholder base given a release_date" in (
        validations["fct_derivatives"].outcomes["releases_on_real_creation_dates"].message()
    )


def test_non_dense_ranks_fail_only_the_rank_check(tmp_path: Path):
    marts = clean_marts()
    marts["fct_ecosystem_vs_benchmark"].loc[0, "ecosystem_rank"] = 4.0  # 1, 2, 4 among three ranked
    validations = validate_warehouse(tmp_path, marts)
    assert mart_failures(validations) == {("fct_ecosystem_vs_benchmark", "ranks_dense_within_range")}
    message = validations["fct_ecosystem_vs_benchmark"].outcomes["ranks_dense_within_range"].message()
    assert "ecosystem_rank 4 outside 1..3 (expected 3" in message and "'organization': 'a'" in message


def test_daily_marts_are_validated_in_batches_of_whole_days():
    days = [(dt.date(2025, 3, d), n) for d, n in [(3, 5), (1, 5), (2, 4), (4, 20), (5, 1)]]
    assert plan_batches(days, 10) == [
        (dt.date(2025, 3, 1), dt.date(2025, 3, 2)),
        (dt.date(2025, 3, 3), dt.date(2025, 3, 3)),
        (dt.date(2025, 3, 4), dt.date(2025, 3, 4)),  # a day bigger than a batch stands alone
        (dt.date(2025, 3, 5), dt.date(2025, 3, 5)),
    ]
    assert plan_batches(days, 100) == [(dt.date(2025, 3, 1), dt.date(2025, 3, 5))]
    assert plan_batches([], 10) == []


@pytest.mark.parametrize(
    ("ranks", "ok"),
    [
        ([1, 2, 3], True),
        ([1.5, 1.5, 3], True),
        ([2, 2, 2], True),
        ([1, 2.5, 2.5], True),
        ([1, 1, 3], False),
        ([1, 1, 2], False),
        ([1, 2, 4], False),
        ([0, 1, 2], False),
        ([2, 3, 4], False),
    ],
)
def test_rank_problems_accept_exactly_average_ranks(ranks, ok):
    frame = pd.DataFrame({"month_start": ["m"] * 3, "r": ranks, "o": [1.0, 2.0, 3.0]})
    assert rank_problems(frame, "r", "o").isna().all() == ok


def test_a_missing_mart_fails_its_checks_with_a_clear_message(tmp_path: Path):
    marts = clean_marts()
    del marts["fct_supply_chain"]
    validations = validate_warehouse(tmp_path, marts)
    assert mart_failures(validations) == {("fct_supply_chain", "grain_unique")}
    assert "table marts.fct_supply_chain does not exist in the warehouse" in (
        validations["fct_supply_chain"].outcomes["grain_unique"].message()
    )
    nothing = validate_marts(tmp_path / "absent.duckdb", MART_SPECS, config=CONFIG)
    assert all(
        "does not exist: run the dbt assets first" in o.message()
        for batches in nothing.values()
        for v in batches
        for o in v.outcomes.values()
    )


def test_mart_specs_read_documented_columns():
    documented = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "_marts__models.yml").read_text())
    columns = {m["name"]: {c["name"] for c in m.get("columns", [])} for m in documented["models"]}
    for spec in ALL_MART_SPECS.values():
        assert spec.model in columns, spec.model
        assert set(spec.columns) <= columns[spec.model], (spec.model, set(spec.columns) - columns[spec.model])
    assert mart_asset_key("fct_model_daily") == dg.AssetKey(["marts", "fct_model_daily"])


# ----------------------------------------------------------------------------------------- marts, Dagster


@dg.multi_asset(
    specs=[dg.AssetSpec(mart_asset_key(s.model)) for s in DAILY_MART_SPECS],
    partitions_def=daily_snapshot_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def daily_marts_stub():
    """Stands for dbt_daily_models: the warehouse is already written by the test."""
    for spec in DAILY_MART_SPECS:
        yield dg.MaterializeResult(asset_key=mart_asset_key(spec.model))


@dg.multi_asset(specs=[dg.AssetSpec(mart_asset_key(s.model)) for s in MART_SPECS])
def marts_stub():
    """Stands for dbt_models."""
    for spec in MART_SPECS:
        yield dg.MaterializeResult(asset_key=mart_asset_key(spec.model))


@dg.asset(
    deps=[mart_asset_key("fct_model_daily")],
    partitions_def=daily_snapshot_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def downstream_of_marts() -> None:
    """Stands for a publish step that must not ship a broken mart."""


def test_daily_mart_checks_in_a_ranged_run_report_per_day_and_block(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    marts = clean_marts()
    daily = marts["fct_model_daily"]
    marts["fct_model_daily"] = pd.concat([daily, daily.iloc[[4]]], ignore_index=True)  # duplicate on 03-02
    write_warehouse(HubpulsePaths(home=str(home)).warehouse, marts)
    # Batches of at most 8 rows: fct_model_daily (3 rows a day) in [03-01, 03-02] and [03-03],
    # fct_download_velocity (8 rows a day) one day at a time.
    quality = QualityConfig(mart_batch_rows=8, data_docs=False)
    resources = {"paths": HubpulsePaths(home=str(home)), "quality": quality}
    tags = {
        "dagster/asset_partition_range_start": "2025-03-01",
        "dagster/asset_partition_range_end": "2025-03-03",
    }
    result = dg.materialize(
        [daily_marts_stub, downstream_of_marts, *mart_asset_checks],
        resources=resources,
        selection=[daily_marts_stub, downstream_of_marts],
        tags=tags,
        raise_on_error=False,
    )
    evaluations = {
        (e.asset_key.path[-1], e.check_name, e.partition): e for e in result.get_asset_check_evaluations()
    }
    grain = [("fct_model_daily", "grain_unique", day) for day in ("2025-03-01", "2025-03-02", "2025-03-03")]
    assert [evaluations[key].passed for key in grain] == [True, False, True]
    assert not evaluations[("fct_model_daily", "grain_unique", None)].passed
    assert all(e.passed for (model, name, _), e in evaluations.items() if (model, name) != grain[0][:2])
    assert ("dim_models", "grain_unique", None) not in evaluations  # unselected marts are not checked
    assert _materialized(result, "downstream_of_marts") == set()


def test_mart_checks_on_a_missing_table_fail_without_a_traceback(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    marts = clean_marts()
    del marts["fct_ecosystem_vs_benchmark"]
    write_warehouse(HubpulsePaths(home=str(home)).warehouse, marts)
    resources = {"paths": HubpulsePaths(home=str(home)), "quality": QualityConfig()}
    result = dg.materialize(
        [marts_stub, *mart_asset_checks], resources=resources, selection=[marts_stub], raise_on_error=False
    )
    # The failures are check results (blocking ones fail the run), not errors raised from the check.
    assert [e.event_specific_data.error.cls_name for e in result.get_step_failure_events()] == [
        "DagsterAssetCheckFailedError"
    ]
    evaluations = {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}
    failed = {key for key, e in evaluations.items() if not e.passed}
    assert failed == {
        ("fct_ecosystem_vs_benchmark", "grain_unique"),
        ("fct_ecosystem_vs_benchmark", "ranks_dense_within_range"),
    }
    assert "marts.fct_ecosystem_vs_benchmark does not exist" in (
        evaluations[("fct_ecosystem_vs_benchmark", "grain_unique")].description
    )
    assert Path(evaluations[("dim_models", "grain_unique")].metadata["data_docs"].path).is_file()
