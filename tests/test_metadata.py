"""Warehouse metadata on dbt outputs: added after dbt exits, never lost when dbt fails part-way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.charts import CHARTS, render_mart_chart
from orchestration.dbt.metadata import with_warehouse_metadata

MANIFEST = {
    "nodes": {
        "model.hubpulse.fct_supply_chain": {"resource_type": "model", "schema": "marts", "name": "fct_supply_chain",
                                            "alias": "fct_supply_chain", "config": {"materialized": "table"}},
        "model.hubpulse.stg_view": {"resource_type": "model", "schema": "staging", "name": "stg_view",
                                    "alias": "stg_view", "config": {"materialized": "view"}},
    }
}


class _Log:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def info(self, _message: str) -> None:
        pass

    def warning(self, message: str) -> None:
        self.warnings.append(message)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema staging")
    con.execute("""
        create table marts.fct_supply_chain as
        select (date '2025-01-01' + interval (i % 3) month)::date as month_start,
               ['china', 'us', 'eu'][1 + i % 3] as child_region, ['us', 'china'][1 + i % 2] as base_region,
               'finetune' as relation, (i % 3) != (i % 2) as is_cross_region, i as new_derivatives,
               i as new_derivative_models, i * 100 as derivative_downloads
        from range(12) t(i)""")
    con.execute("create view staging.stg_view as select 1 as x")
    con.close()
    return path


def _output(unique_id: str) -> dg.Output:
    return dg.Output(None, output_name=unique_id.split(".")[-1], metadata={"unique_id": unique_id})


def test_outputs_get_counts_range_preview_and_chart(warehouse: Path, tmp_path: Path):
    def events():
        yield _output("model.hubpulse.fct_supply_chain")
        yield dg.AssetCheckResult(asset_key=dg.AssetKey(["marts", "fct_supply_chain"]), check_name="x", passed=True)
        yield _output("model.hubpulse.stg_view")

    out = list(with_warehouse_metadata(events(), MANIFEST, warehouse, _Log(), charts_dir=tmp_path / "charts",
                                       window=(dt.date(2025, 2, 1), dt.date(2025, 2, 28))))
    assert isinstance(out[0], dg.AssetCheckResult)  # not held back
    mart, view = out[1].metadata, out[2].metadata
    assert mart["dagster/row_count"].value == 12
    assert mart["date_range"].value == "2025-01-01 .. 2025-03-01"
    assert mart["rows_in_window"].value == 4
    assert len(mart["preview"].value.records) == 10
    assert mart["chart"].value.startswith("![supply chain](data:image/png;base64,")
    assert (tmp_path / "charts" / "fct_supply_chain.png").exists()
    assert {k: v.value for k, v in view.items()} == {"unique_id": "model.hubpulse.stg_view", "materialized": "view"}


def test_outputs_built_before_a_dbt_failure_still_go_out(warehouse: Path):
    def events():
        yield _output("model.hubpulse.fct_supply_chain")
        raise RuntimeError("dbt failed on a later model")

    produced: list = []
    with pytest.raises(RuntimeError, match="later model"):
        produced.extend(with_warehouse_metadata(events(), MANIFEST, warehouse, _Log()))
    assert len(produced) == 1 and produced[0].metadata["dagster/row_count"].value == 12


def test_an_unreadable_warehouse_costs_the_metadata_not_the_step(tmp_path: Path):
    log = _Log()
    out = list(with_warehouse_metadata(iter([_output("model.hubpulse.fct_supply_chain")]), MANIFEST,
                                       tmp_path / "missing.duckdb", log))
    assert len(out) == 1 and "dagster/row_count" not in out[0].metadata
    assert log.warnings and "cannot open" in log.warnings[0]


def test_every_chart_draws_nothing_on_empty_marts(tmp_path: Path):
    con = duckdb.connect()
    con.execute("create schema marts")
    for ddl in (
        "fct_release_cadence (entity_type varchar, entity_id varchar, week_start date, releases int)",
        "fct_download_velocity (entity_type varchar, entity_id varchar, metric_date date, velocity_28d bigint)",
        "fct_ecosystem_vs_benchmark (organization varchar, month_start date, benchmark_rank int, ecosystem_rank int)",
        "fct_benchmark_adoption_correlation (month_start date, spearman_rank_correlation double)",
        "dim_organizations (organization varchar, region varchar)",
        ("fct_derivatives (base_model_id varchar, base_repo_id varchar, region varchar, "
         "derivatives_within_42_days int, days_to_first_derivative int)"),
        ("fct_supply_chain (month_start date, child_region varchar, base_region varchar, is_cross_region boolean, "
         "new_derivatives int)"),
    ):
        con.execute(f"create table marts.{ddl}")
    for mart in CHARTS:
        assert render_mart_chart(con, mart, tmp_path) is None, mart
    assert render_mart_chart(con, "dim_models") is None
