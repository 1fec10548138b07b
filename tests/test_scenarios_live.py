"""The scenario matrix, live half: histories ingested through the local Hub with the real client, via Dagster.

(a) a full crawl (today's shape); (b) the live default scope (a few tracked organisations + top N by downloads,
likes and trending) with daily top-N churn; (e) a history of a single day; (g) an organisation that gates all
its models for a week. On the Hub, gating keeps a repo in `GET /api/models` (listed with `gated` set; the local
server does the same), so a crawl sees a gated organisation unchanged apart from `gated` and fewer downloads;
(g) takes the hard case instead (`gate_org_hidden`): the organisation's models vanish from the listings for the
week, as if switched to private, and come back. Each scenario is built end to end (ingestion runs, then every
dbt model, every check and the published copy), must be green, equal the reference recomputation row for row,
agree with the simulator's truth, and every consumer (summary, charts, dashboard pages) must render it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import duckdb
import pandas as pd
import pytest
import scenarios as sc
import warehouse_reference as reference
from scenarios import (  # noqa: F401 - the tests every scenario runs, collected here for this file's scenarios
    test_charts_render,
    test_dashboard_pages_render,
    test_demo_summary_prints,
    test_every_run_succeeds_and_every_check_passes,
    test_marts_equal_the_reference,
    test_reported_counters_equal_the_truth,
    test_serving_copy_is_published,
)
from test_warehouse import assert_same_rows

from orchestration.hub.scope import Scope

TRACKED = ["Qwen", "deepseek-ai", "meta-llama", "google", "mistralai"]  # all in organization_regions.csv
TOP_N = 20
GATED_ORG, GATED_FROM, GATED_DAYS = "deepseek-ai", dt.date(2025, 1, 22), 7


def _full_crawl(root):
    archive = sc.simulate_archive(root, start=dt.date(2025, 1, 13), end=dt.date(2025, 1, 23), seed=21,
                                  community_authors=10, catalogue_fraction=0.03, missing_dates=0, rename_at=0.5)
    return sc.build_live("a_full_crawl", root, archive, sc.FULL_CRAWL)


def _live_scope(root):
    archive = sc.simulate_archive(root, start=dt.date(2025, 1, 14), end=dt.date(2025, 1, 27), seed=22,
                                  community_authors=15, catalogue_fraction=0.04, missing_dates=0, rename_at=None)
    scope = Scope(organisations=TRACKED, top_n_downloads=TOP_N, top_n_likes=TOP_N, top_n_trending=TOP_N)
    return sc.build_live("b_live_scope", root, archive, scope)


def _single_day(root):
    archive = sc.simulate_archive(root, start=dt.date(2025, 2, 3), end=dt.date(2025, 2, 3), seed=23,
                                  community_authors=8, catalogue_fraction=0.03, missing_dates=0, rename_at=None)
    return sc.build_live("e_single_day", root, archive, sc.FULL_CRAWL)


def _gated_org(root):
    archive = sc.simulate_archive(root, start=dt.date(2025, 1, 15), end=dt.date(2025, 1, 31), seed=24,
                                  community_authors=10, catalogue_fraction=0.03, missing_dates=0, rename_at=None,
                                  gate_org=GATED_ORG, gate_org_on=GATED_FROM, gate_org_days=GATED_DAYS,
                                  gate_org_hidden=True)
    return sc.build_live("g_gated_org", root, archive, sc.FULL_CRAWL)


BUILDERS = {"a_full_crawl": _full_crawl, "b_live_scope": _live_scope, "e_single_day": _single_day,
            "g_gated_org": _gated_org}


@pytest.fixture(scope="module", params=list(BUILDERS))
def scenario(request, tmp_path_factory) -> sc.Scenario:
    return BUILDERS[request.param](tmp_path_factory.mktemp(request.param))


# ------------------------------------------------------------------------------- scenario by scenario


def test_scenario_specific_truth(scenario):
    CHECKS[scenario.name](scenario)


def _check_full_crawl(s: sc.Scenario) -> None:
    checked, wrong = sc.clean_daily_download_differences(s)
    assert checked > 200 and not wrong, wrong[:5]
    raw = s.query(f"select count(*) n from read_parquet('{s.raw_root}/*/*.parquet')")["n"][0]
    assert raw == len(s.truth("daily_downloads.csv.gz"))  # a full crawl lists every existing model every day


def _check_live_scope(s: sc.Scenario) -> None:
    raw = s.query(f"select object_id, author, snapshot_date from read_parquet('{s.raw_root}/*/*.parquet')")
    days = raw["snapshot_date"].nunique()
    assert days == (s.last - s.first).days + 1
    per_model = raw.groupby("object_id").agg(days=("snapshot_date", "nunique"), author=("author", "first"))
    truth = s.truth("models.csv").set_index("object_id")
    existed = {oid: (t.first_date, t.last_date) for oid, t in truth.iterrows() if isinstance(t.first_date, str)}
    # Churn: a model listed on some days only although it existed on every day of the window.
    always = {oid for oid, (f, last) in existed.items() if f == s.first.isoformat() and last == s.last.isoformat()}
    churned = per_model[(per_model["days"] < days) & per_model.index.isin(always)]
    assert len(churned) > 0, "no model entered or left the top-N lists"
    community = churned[~churned["author"].isin(TRACKED)]
    assert len(community) > 0, "no community model entered or left the top-N lists"
    assert set(TRACKED) & set(raw["author"])  # the tracked organisations are listed whole
    regions = s.query("select count(distinct metric_date) n from marts.fct_download_velocity "
                      "where entity_type = 'region' and entity_id = 'unclassified'")["n"][0]
    assert regions > 0
    _check_release_cohorts_keep_models_that_left_the_scope(s, truth)


def _check_release_cohorts_keep_models_that_left_the_scope(s: sc.Scenario, truth: pd.DataFrame) -> None:
    """fct_rankings' release cohorts hold every release listed on any day, each on its own last snapshot: under
    the churning scope a release that dropped out of the top-N lists is not deleted and keeps its place."""
    listed = s.query(f"select object_id, max(snapshot_date) as last_listed, arg_max(likes, snapshot_date) as likes "
                     f"from read_parquet('{s.raw_root}/*/*.parquet') group by object_id")
    cohort: dict[dt.date, int] = defaultdict(int)
    left = []
    for r in listed.itertuples():
        t = truth.loc[r.object_id]
        if t.is_placeholder_created_at == "true":
            continue  # no real creation date: not a release
        cohort[dt.date.fromisoformat(t.created_at[:8] + "01")] += 1
        if r.last_listed.date() < s.last and t.last_date == s.last.isoformat():
            left.append(r.object_id)
    assert left, "no release left the scope before the last day while it still existed"
    sizes = s.query("select period_start, period_models from marts.fct_rankings where period_type = 'release_month' "
                    "and ranking_measure = 'likes' and top_n = 10 group by all")
    assert {r.period_start.date(): r.period_models for r in sizes.itertuples()} == dict(cohort)
    con = duckdb.connect(str(s.warehouse), read_only=True)
    try:
        cursor = con.execute("select * from marts.fct_rankings")
        rows = [dict(zip([d[0] for d in cursor.description], row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    expected = reference.claims(s.raw_root, sc.PROJECT_DIR)["fct_rankings"]
    assert_same_rows(rows, expected, ["period_type", "period_start", "ranking_measure", "top_n", "region"],
                     "fct_rankings")


def _check_single_day(s: sc.Scenario) -> None:
    assert s.first == s.last
    rows = s.query("select count(*) n, count(daily_downloads) known from marts.fct_model_daily")
    assert rows["n"][0] == len(s.truth("daily_downloads.csv.gz"))


def _check_gated_org(s: sc.Scenario) -> None:
    gate = s.manifest()["gate_org"]
    assert gate["hidden_from_listings"] and gate["models"]
    raw = s.query(f"select author, snapshot_date from read_parquet('{s.raw_root}/*/*.parquet') "
                  f"where author = '{GATED_ORG}'")
    seen = {d.date() if hasattr(d, "date") else d for d in raw["snapshot_date"]}
    hidden = {GATED_FROM + dt.timedelta(days=i) for i in range(GATED_DAYS)}
    assert not seen & hidden and seen, "the organisation was listed while hidden, or never"
    assert max(seen) > max(hidden), "the organisation never came back"
    # Back after the week: its downloads over the hidden days are spread (interpolated) and sum to the truth.
    truth = s.truth("daily_downloads.csv.gz")
    true_daily = {(r.object_id, r.snapshot_date): int(r.true_daily_downloads) for r in truth.itertuples()}
    spread = s.query("select model_id, snapshot_date, download_date, daily_downloads from "
                     "intermediate.int_models_daily_downloads where organization = ? and is_interpolated "
                     "and daily_downloads is not null and not is_recount", [GATED_ORG])
    assert len(spread) > 0
    for (_model, _snap), days in spread.groupby(["model_id", "snapshot_date"]):
        assert abs(days["daily_downloads"].sum() - sum(
            true_daily[(r.model_id, r.download_date.date().isoformat())] for r in days.itertuples())) < 1e-6


CHECKS = {"a_full_crawl": _check_full_crawl, "b_live_scope": _check_live_scope, "e_single_day": _check_single_day,
          "g_gated_org": _check_gated_org}
