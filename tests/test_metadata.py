"""Warehouse metadata on dbt outputs: added after dbt exits, never lost when dbt fails part-way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.dbt.charts import CHARTS, render_mart_chart
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
    con.execute("""
        create table marts.fct_attribution_coverage as
        select 'day' as period_type, d as period_start, 0.01 * i as unattributed_download_share,
               case when i > 0 then 0.5 end as unattributed_velocity_28d_share, null::double as unattributed_release_share,
               null::double as unattributed_derivative_share, null::double as unattributed_pair_share
        from (select date '2025-02-01' + i::int as d, i from range(3) t(i))
        union all
        select 'month', date '2025-01-01', null, null, 0.25, 0.8, null
        union all
        select 'month', date '2025-02-01', null, null, 0.3, 0.9, 0.95""")
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
    # How much of the answer rests on attribution: the latest day's and month's shares without a region.
    assert mart["coverage/unattributed_download_share"].value == pytest.approx(0.02)
    assert mart["coverage/unattributed_download_share_period"].value == "2025-02-03"
    assert mart["coverage/unattributed_velocity_28d_share"].value == pytest.approx(0.5)
    assert mart["coverage/unattributed_derivative_share"].value == pytest.approx(0.9)
    assert mart["coverage/unattributed_pair_share_period"].value == "2025-02"
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


PNG = b"\x89PNG\r\n\x1a\n"
# The claim marts' columns the charts read.
CLAIM_DDL = (
    ("fct_rankings (period_type varchar, period_start date, ranking_measure varchar, top_n integer, "
     "region varchar, share_of_top double)"),
    "fct_release_licences (region varchar, month_start date, license_family varchar, release_share double)",
    "fct_release_languages (region varchar, month_start date, share_beyond_english double)",
)


def test_every_chart_says_so_on_empty_marts(tmp_path: Path):
    """An empty mart gives a PNG with the reason (never an exception); the old, narrower shape of
    fct_download_velocity (no downloads_30d, no is_window_complete, no overtake mart) still draws."""
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
        ("fct_attribution_coverage (period_type varchar, period_start date, unattributed_download_share double, "
         "unattributed_velocity_28d_share double, unattributed_release_share double, "
         "unattributed_derivative_share double, unattributed_pair_share double)"),
        ("fct_organization_trajectories (organization varchar, month_start date, month_end date, "
         "cumulative_releases int)"),
        ("fct_organization_milestones (organization varchar, region varchar, releases_since_r1 bigint, "
         "growth_rank_since_r1 double)"),
        *CLAIM_DDL,
    ):
        con.execute(f"create table marts.{ddl}")
    for mart in CHARTS:
        png, path = render_mart_chart(con, mart, tmp_path)
        assert png.startswith(PNG) and path.read_bytes() == png, mart
    assert render_mart_chart(con, "dim_models") is None
    con.execute("insert into marts.fct_download_velocity values ('region', 'us', date '2025-01-01', 5)")
    assert render_mart_chart(con, "fct_download_velocity")[0].startswith(PNG)


@pytest.mark.parametrize("shape", [
    {"days": 0}, {"days": 1}, {"days": 1, "velocity": False}, {"days": 40, "velocity": False},
    {"days": 40, "velocity": False, "downloads_30d": False}, {"days": 20}, {"days": 40},
    {"days": 40, "without": ("fct_velocity_overtakes",)},
])
def test_every_chart_draws_every_shape_of_the_marts(tmp_path: Path, shape):
    from test_summary import build_warehouse

    path = build_warehouse(tmp_path / "warehouse.duckdb", **shape)
    con = duckdb.connect(str(path), read_only=True)
    try:
        for mart in CHARTS:
            if mart in shape.get("without", ()):
                continue
            png, _path = render_mart_chart(con, mart)
            assert png.startswith(PNG), mart
    finally:
        con.close()


def test_the_velocity_chart_marks_the_overtakes_of_the_mart(tmp_path: Path):
    from test_summary import build_warehouse, day

    from orchestration.dbt.charts import velocity_overtakes

    planted = [("velocity_28d", "eu", "us", day(33), 1.5, 1.25, day(39), 2.5, 2.25, 12)]
    con = duckdb.connect(str(build_warehouse(tmp_path / "w.duckdb", overtakes=planted)), read_only=True)
    try:
        assert velocity_overtakes(con, "velocity_28d", day(39)) == ([("eu", "us", day(33), 1.5)], None)
        assert velocity_overtakes(con, "downloads_30d", day(39)) == ([], None)
        # A mart left from another history (a run that rebuilt the velocity but not yet the overtakes).
        marked, note = velocity_overtakes(con, "velocity_28d", day(45))
        assert marked == [] and "older than these velocity rows" in note
    finally:
        con.close()
    con = duckdb.connect(str(build_warehouse(tmp_path / "v.duckdb", without=("fct_velocity_overtakes",))))
    marked, note = velocity_overtakes(con, "velocity_28d", day(39))
    assert marked == [] and note == "overtakes not marked: marts.fct_velocity_overtakes is not built yet"
    con.close()


def test_the_trajectory_chart_draws_the_fastest_growing_organisations(tmp_path: Path):
    """The organisations ranked by fct_organization_milestones, in rank order, each with its region and releases
    since R1; a warehouse without the milestones mart (yet) gets a PNG saying so."""
    from test_summary import build_warehouse

    from orchestration.dbt.charts import trajectories_chart

    con = duckdb.connect(str(build_warehouse(tmp_path / "w.duckdb", days=40)), read_only=True)
    try:
        png = trajectories_chart(con)
        assert png.startswith(PNG) and len(png) > 20_000  # a chart with three lines, not a one-line message
        assert trajectories_chart(con, limit=1) != png  # the limit picks the top of the ranking
    finally:
        con.close()
    con = duckdb.connect(str(build_warehouse(tmp_path / "o.duckdb", without=("fct_organization_milestones",))))
    try:
        assert trajectories_chart(con).startswith(PNG)
        assert len(trajectories_chart(con)) < len(png)
    finally:
        con.close()


def _claim_marts(con) -> None:
    """Claim marts over five months around R1: china's share of the top places and of releases beyond English
    rising since R1, its licences turning permissive."""
    con.execute("create schema if not exists marts")
    for ddl in CLAIM_DDL:
        con.execute(f"create table marts.{ddl}")
    months = [dt.date(2024, 11, 1), dt.date(2024, 12, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1),
              dt.date(2025, 3, 1)]
    for index, month in enumerate(months):
        china = 0.2 * index
        for measure in ("likes", "downloads_30d"):
            for top_n in (10, 50):
                con.executemany("insert into marts.fct_rankings values ('release_month', ?, ?, ?, ?, ?)",
                                [(month, measure, top_n, "china", china), (month, measure, top_n, "us", 1 - china)])
        con.executemany("insert into marts.fct_release_licences values (?, ?, ?, ?)",
                        [("china", month, "permissive", china), ("china", month, "restricted", 1 - china),
                         ("us", month, "permissive", 0.5), ("us", month, "unknown", 0.5),
                         ("unclassified", month, "permissive", None)])
        con.executemany("insert into marts.fct_release_languages values (?, ?, ?)",
                        [("china", month, china), ("us", month, 0.1), ("eu", month, 0.9)])


def test_the_claim_charts_draw_their_marts(tmp_path: Path):
    """Rankings, licences and languages: each chart draws its mart's shares (a change in the mart changes the
    PNG), the rankings chart the ranking size asked for; a warehouse without the mart gets a PNG saying so."""
    from orchestration.dbt.charts import languages_chart, licences_chart, message_chart, rankings_chart

    missing = duckdb.connect()
    message = len(message_chart("a title", "marts.fct_rankings is not built yet"))
    con = duckdb.connect(str(tmp_path / "claims.duckdb"))
    try:
        _claim_marts(con)
        for mart, chart in (("fct_rankings", rankings_chart), ("fct_release_licences", licences_chart),
                            ("fct_release_languages", languages_chart)):
            png = chart(con)
            assert png.startswith(PNG) and len(png) > 2 * message, mart  # a chart, not a one-line message
            assert render_mart_chart(con, mart)[0] == png
            empty = chart(missing)
            assert empty.startswith(PNG) and len(empty) < len(png), mart
        top_50 = rankings_chart(con, top_n=50)
        assert top_50.startswith(PNG) and top_50 != rankings_chart(con)  # its own title
        before = (rankings_chart(con), licences_chart(con), languages_chart(con))
        con.execute("update marts.fct_rankings set share_of_top = 1 - share_of_top where top_n = 10")
        con.execute("update marts.fct_release_licences set release_share = 1 - release_share")
        con.execute("update marts.fct_release_languages set share_beyond_english = 1 - share_beyond_english")
        after = (rankings_chart(con), licences_chart(con), languages_chart(con))
        assert all(b != a for b, a in zip(before, after, strict=True))
        assert rankings_chart(con, top_n=50) == top_50  # the top 50 was left as it was
        assert CHARTS["fct_rankings"][0] == "rankings" and CHARTS["fct_release_licences"][0] == "licences"
        assert CHARTS["fct_release_languages"][0] == "languages"
        # Rows the mart holds but the chart does not draw: no share (no release), other period types.
        con.execute("insert into marts.fct_rankings values ('live_month', date '2025-03-01', 'likes', 10, 'eu', 1)")
        assert rankings_chart(con) == after[0]
    finally:
        con.close()
        missing.close()
