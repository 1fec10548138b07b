"""The demo summary over every shape of warehouse: empty marts, unknown velocities, a single day, no complete
window, a mart the warehouse lacks; the lasting overtake printed is marts.fct_velocity_overtakes' row.

The warehouses are built here directly with the marts' columns (`build_warehouse`, also used by
test_dashboard.py to publish the same shapes): a unit test of the consumers, not of dbt.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import summary

FIRST = dt.date(2025, 1, 6)

# Every mart the consumers read, with the columns and types dbt builds them with.
MART_COLUMNS = {
    "dim_organizations": (
        "organization varchar, region varchar, is_region_classified boolean, is_region_attributed boolean, "
        "region_source varchar, region_notes varchar, "
        "legacy_namespaces varchar[], models bigint, live_models bigint, releases bigint, first_release_date date, "
        "last_release_date date, first_seen_date date, last_seen_date date, is_observed boolean"),
    "dim_models": (
        "model_id varchar, repo_id varchar, first_repo_id varchar, repo_ids_seen varchar[], author varchar, "
        "organization varchar, region varchar, created_at timestamp, created_date date, "
        "is_placeholder_created_at boolean, is_release boolean, relation varchar, origin varchar, "
        "base_models varchar[], pipeline_tag varchar, library_name varchar, license varchar, languages varchar[], "
        "parameter_count bigint, is_gated boolean, gated_mode varchar, downloads_all_time bigint, "
        "downloads_30d bigint, likes bigint, trending_score double, leaderboard_score double, carried_score double, "
        "benchmark_score double, first_seen_date date, last_seen_date date, snapshots_seen bigint, "
        "is_deleted boolean"),
    "fct_model_daily": (
        "model_id varchar, snapshot_date date, repo_id varchar, organization varchar, region varchar, "
        "downloads_30d bigint, downloads_all_time bigint, daily_downloads double, is_interpolated boolean, "
        "is_recount boolean, is_new_model boolean, is_entered_scope boolean, likes bigint, trending_score double, "
        "is_gated boolean, is_private boolean, is_disabled boolean"),
    "fct_download_velocity": (
        "entity_type varchar, entity_id varchar, entity_name varchar, metric_date date, daily_downloads double, "
        "velocity_7d double, velocity_28d double, acceleration double, share_of_total double, "
        "downloads_30d bigint, share_of_total_downloads_30d double, is_in_scope boolean, "
        "is_window_complete boolean"),
    "fct_velocity_overtakes": (
        "measure varchar, region varchar, overtaken_region varchar, overtook_on date, region_value double, "
        "overtaken_value double, last_date date, last_region_value double, last_overtaken_value double, "
        "comparable_days integer"),
    "fct_release_cadence": (
        "entity_type varchar, entity_id varchar, week_start date, iso_year integer, iso_week integer, "
        "releases bigint, releases_original bigint, releases_finetune bigint, releases_quantized bigint, "
        "releases_adapter bigint, releases_merge bigint, releases_same_org bigint, releases_cross_org bigint, "
        "is_active_week boolean, active_week_streak bigint, median_days_between_releases double, "
        "is_post_r1 boolean"),
    "fct_derivatives": (
        "base_model_id varchar, base_repo_id varchar, organization varchar, region varchar, release_date date, "
        "is_placeholder_created_at boolean, derivatives bigint, derivatives_finetune bigint, "
        "derivatives_quantized bigint, derivatives_adapter bigint, derivatives_merge bigint, "
        "derivatives_same_org bigint, derivatives_cross_org bigint, share_by_other_organizations double, "
        "derivatives_classified_pair bigint, derivatives_cross_region bigint, derivatives_unattributed bigint, "
        "share_cross_region double, first_derivative_date date, days_to_first_derivative integer, derivatives_within_42_days bigint"),
    "fct_supply_chain": (
        "month_start date, child_region varchar, base_region varchar, relation varchar, is_classified_pair boolean, "
        "is_cross_region boolean, is_month_fully_observed boolean, new_derivatives bigint, "
        "new_derivative_models bigint, derivative_downloads double"),
    "fct_attribution_coverage": (
        "period_type varchar, period_start date, period_end date, is_period_fully_observed boolean, "
        "downloads double, unattributed_downloads double, unattributed_download_share double, releases bigint, "
        "unattributed_releases bigint, unattributed_release_share double, derivatives bigint, "
        "unattributed_derivatives bigint, unattributed_derivative_share double, unattributed_pairs bigint, "
        "unattributed_pair_share double, unattributed_velocity_28d_share double"),
    "fct_unattributed_organizations": (
        "organization varchar, region varchar, models bigint, releases bigint, downloads double, "
        "download_share double, derivatives_built bigint, derivatives_on_its_bases bigint, "
        "unattributed_derivatives bigint, derivative_share double, attribution_rank bigint"),
    "fct_ecosystem_vs_benchmark": (
        "organization varchar, month_start date, month_end date, benchmark_score double, benchmark_rank double, "
        "downloads bigint, ecosystem_score double, ecosystem_rank double, rank_gap double, likes bigint, "
        "likes_share double, new_derivatives bigint, derivative_share double, releases bigint, "
        "release_pipeline_tags varchar[]"),
    "fct_benchmark_adoption_correlation": (
        "month_start date, organizations_ranked bigint, spearman_rank_correlation double"),
    "fct_organization_trajectories": (
        "organization varchar, region varchar, month_start date, month_end date, releases bigint, "
        "cumulative_releases integer, cumulative_releases_since_r1 integer, new_derivatives bigint, "
        "cumulative_derivatives integer, cumulative_derivatives_since_r1 integer"),
    "fct_organization_milestones": (
        "organization varchar, region varchar, is_region_attributed boolean, first_release_date date, "
        "last_release_date date, releases bigint, releases_before_r1 bigint, releases_since_r1 bigint, "
        "month_crossed_10_releases date, month_crossed_100_releases date, first_derivative_date date, "
        "derivatives bigint, derivatives_before_r1 bigint, derivatives_since_r1 bigint, derivatives_undated bigint, "
        "growth_rank_since_r1 double"),
    "fct_rankings": (
        "period_type varchar, period_start date, ranking_measure varchar, top_n integer, region varchar, "
        "is_post_r1 boolean, period_models bigint, region_models bigint, models_in_top bigint, share_of_top double, "
        "best_rank bigint"),
    "fct_release_licences": (
        "region varchar, month_start date, license_family varchar, is_post_r1 boolean, releases bigint, "
        "releases_before_r1 bigint, releases_since_r1 bigint, release_share double, downloads double, "
        "downloads_before_r1 double, downloads_since_r1 double, download_share double"),
    "fct_release_languages": (
        "region varchar, month_start date, is_post_r1 boolean, releases bigint, releases_before_r1 bigint, "
        "releases_since_r1 bigint, releases_declaring_languages bigint, releases_beyond_english bigint, "
        "releases_beyond_english_before_r1 bigint, releases_beyond_english_since_r1 bigint, "
        "share_beyond_english double, mean_languages_declared double, max_languages_declared bigint"),
    "fct_language_family_downloads": (
        "region varchar, month_start date, language_family varchar, is_post_r1 boolean, models bigint, "
        "downloads double, download_share double"),
}

# Per region: (28-day velocity, reported 30-day downloads) on day i of the history.
CURVES = {
    "china": (lambda i: 1000.0 + 100 * i, lambda i: 2000 + 50 * i),
    "us": (lambda i: 3000.0 - 20 * i, lambda i: 2500 - 10 * i),
    "eu": (lambda i: 100.0, lambda i: 100),
    "unclassified": (lambda i: 50.0, lambda i: 40),
}
# What fct_velocity_overtakes holds for these curves. china passes the US's velocity on day 17, before the
# first complete 28-day window (day 28): from complete windows on it led throughout, so there is no
# velocity_28d row. Its reported 30-day downloads pass the US's on day 9 and stay ahead.
DOWNLOADS_30D_OVERTAKE = "china", "us", 9


def day(i: int) -> dt.date:
    return FIRST + dt.timedelta(days=i)


def expected_overtakes(days: int, velocity: bool = True) -> list[tuple]:
    """The mart's rows for CURVES over `days` days (what dbt's fct_velocity_overtakes gives for them)."""
    region, other, on = DOWNLOADS_30D_OVERTAKE
    if days <= on:
        return []
    last = days - 1
    value = CURVES[region][1]
    value_other = CURVES[other][1]
    return [("downloads_30d", region, other, day(on), float(value(on)), float(value_other(on)), day(last),
             float(value(last)), float(value_other(last)), days)]


def build_warehouse(
    path: Path,
    *,
    days: int = 40,
    velocity: bool = True,
    downloads_30d: bool = True,
    overtakes: list[tuple] | None = None,
    activity: bool = True,
    without: tuple[str, ...] = (),
) -> Path:
    """A warehouse file with every mart of MART_COLUMNS (except `without`) over `days` days from FIRST.

    velocity=False: every exact velocity null (a trimmed archive without downloadsAllTime); days=0: every
    mart empty; activity=False: no release, derivative, supply-chain or benchmark row; `overtakes` replaces
    the overtake mart's rows (default: what dbt computes for CURVES)."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        for name, columns in MART_COLUMNS.items():
            if name not in without:
                con.execute(f"create table marts.{name} ({columns})")
        if days:
            _fill(con, days, velocity, downloads_30d, activity, without)
        if "fct_velocity_overtakes" not in without:
            rows = expected_overtakes(days, velocity) if overtakes is None else overtakes
            if not downloads_30d:
                rows = [r for r in rows if r[0] != "downloads_30d"]
            if rows:
                con.executemany("insert into marts.fct_velocity_overtakes values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                rows)
    finally:
        con.close()
    return path


def _fill(con, days: int, velocity: bool, downloads_30d: bool, activity: bool, without: tuple[str, ...]) -> None:
    rows = []
    for i in range(days):
        complete = i >= 28
        v28 = {r: (c[0](i) if velocity else None) for r, c in CURVES.items()}
        d30 = {r: (c[1](i) if downloads_30d else None) for r, c in CURVES.items()}
        total_v = sum(v28.values()) if velocity else None
        total_d = sum(d30.values()) if downloads_30d else None
        for region in CURVES:
            rows.append(("region", region, region, day(i), v28[region] and v28[region] / 28, v28[region] and v28[region] / 4,
                         v28[region], 0.0 if velocity and i >= 7 else None,
                         v28[region] / total_v if velocity else None, d30[region],
                         d30[region] / total_d if downloads_30d else None, True, complete))
        rows.append(("total", "total", "total", day(i), total_v and total_v / 28, total_v and total_v / 4, total_v,
                     None, 1.0 if velocity else None, total_d, 1.0 if downloads_30d else None, True, complete))
        for region in CURVES:
            rows.append(("organization", f"{region}-lab", f"{region}-lab", day(i), None, v28[region] and v28[region] / 4,
                         v28[region], (10.0 if region == "china" else -5.0) if velocity and i >= 14 else None,
                         v28[region] / total_v if velocity else None, d30[region],
                         d30[region] / total_d if downloads_30d else None, True, complete))
            rows.append(("model", f"m-{region}", f"{region}-lab/model", day(i), None,
                         v28[region] and v28[region] / 4, v28[region],
                         (10.0 if region == "china" else -5.0) if velocity and i >= 14 else None,
                         v28[region] / total_v if velocity else None, d30[region],
                         d30[region] / total_d if downloads_30d else None, True, complete))
    if "fct_download_velocity" not in without:
        con.executemany(f"insert into marts.fct_download_velocity values ({', '.join(['?'] * 13)})", rows)
    con.execute(f"""
        insert into marts.fct_model_daily (model_id, snapshot_date, repo_id, organization, region, downloads_30d)
        select 'm-' || r, date '{FIRST}' + i::int, r || '-lab/model', r || '-lab', r, 10
        from range({days}) t(i), (values ('china'), ('us'), ('eu'), ('unclassified')) v(r)""")
    con.execute("""
        insert into marts.dim_organizations (organization, region, is_region_classified, is_region_attributed,
            region_source)
        values ('china-lab', 'china', true, true, 'seed'), ('us-lab', 'us', true, true, 'seed'),
               ('eu-lab', 'eu', true, true, 'seed'), ('unclassified-lab', 'unclassified', false, false, null)""")
    # Coverage: every day the unclassified lab holds 50 of the 4,150 + 80 i daily downloads (its velocity share).
    con.execute(f"""
        insert into marts.fct_attribution_coverage (period_type, period_start, period_end, is_period_fully_observed,
            downloads, unattributed_downloads, unattributed_download_share, releases, unattributed_releases,
            unattributed_release_share, derivatives, unattributed_derivatives, unattributed_derivative_share,
            unattributed_pairs, unattributed_pair_share, unattributed_velocity_28d_share)
        select 'day', d, d, true, 100.0, 2.0, 0.02, 0, 0, null, 0, 0, null, 0, null, 0.012
        from (select date '{FIRST}' + i::int as d from range({days}) t(i))
        union all
        select 'month', date_trunc('month', d)::date, last_day(d), false, 100.0 * count(*), 2.0 * count(*), 0.02,
            4, 1, 0.25, 8, 6, 0.75, 7, 0.875, null
        from (select date '{FIRST}' + i::int as d from range({days}) t(i)) group by all""")
    con.execute("""
        insert into marts.fct_unattributed_organizations values
        ('unclassified-lab', 'unclassified', 1, 0, 2000.0, 0.012, 6, 0, 6, 0.6, 1),
        ('mystery-base', 'unclassified', 0, 0, null, 0.0, 0, 1, 1, 0.1, 2)""")
    con.execute("""
        insert into marts.dim_models (model_id, repo_id, organization, region)
        select 'm-' || r, r || '-lab/model', r || '-lab', r
        from (values ('china'), ('us'), ('eu'), ('unclassified')) v(r)""")
    if not activity:
        return
    con.execute(f"""
        insert into marts.fct_release_cadence (entity_type, entity_id, week_start, releases, releases_original,
            releases_finetune, releases_quantized, releases_adapter, releases_merge, is_active_week)
        select t, e, date '{FIRST}' + 7 * w::int, 2, 1, 1, 0, 0, 0, true
        from range({max(1, days // 7)}) s(w), (values ('region', 'china'), ('organization', 'china-lab')) v(t, e)""")
    con.execute(f"""
        insert into marts.fct_derivatives values
        ('m-china', 'china-lab/model', 'china-lab', 'china', date '{FIRST}', false, 3, 2, 1, 0, 0, 1, 2, 0.6667,
         2, 1, 1, 0.5, date '{day(1)}', 1, 3)""")
    if "fct_organization_milestones" not in without:
        # china-lab crossed 100 releases in 2025-01 (100 of its 120 since R1); the unclassified lab is ranked
        # like any other; eu-lab has no release and no rank.
        con.execute("""
            insert into marts.fct_organization_milestones values
            ('china-lab', 'china', true, date '2024-06-03', date '2025-02-10', 120, 20, 100, date '2024-09-01',
             date '2025-01-01', date '2024-07-01', 50, 10, 40, 0, 1.0),
            ('unclassified-lab', 'unclassified', false, date '2024-12-02', date '2025-02-03', 12, 0, 12,
             date '2025-01-01', null, null, 3, 0, 3, 0, 2.0),
            ('us-lab', 'us', true, date '2023-01-02', date '2025-01-27', 30, 28, 2, date '2023-06-01', null,
             date '2023-02-01', 9, 9, 0, 0, 3.0),
            ('eu-lab', 'eu', true, null, null, 0, 0, 0, null, null, null, 0, 0, 0, 0, null)""")
    if "fct_organization_trajectories" not in without:
        # Cumulative releases per month: china-lab 20 before R1, then 40, 60 and 40 more a month.
        con.execute("""
            insert into marts.fct_organization_trajectories
            select organization, region, month_start, last_day(month_start), releases,
                   sum(releases) over w, sum(since) over w, derivatives, sum(derivatives) over w,
                   sum(derivatives) over w
            from (values
                ('china-lab', 'china', date '2024-12-01', 20, 0, 10),
                ('china-lab', 'china', date '2025-01-01', 40, 40, 10),
                ('china-lab', 'china', date '2025-02-01', 60, 60, 30),
                ('unclassified-lab', 'unclassified', date '2024-12-01', 0, 0, 0),
                ('unclassified-lab', 'unclassified', date '2025-01-01', 12, 12, 3),
                ('unclassified-lab', 'unclassified', date '2025-02-01', 0, 0, 0),
                ('us-lab', 'us', date '2025-01-01', 30, 2, 9),
                ('us-lab', 'us', date '2025-02-01', 0, 0, 0)
            ) v(organization, region, month_start, releases, since, derivatives)
            window w as (partition by organization order by month_start)""")
    if "fct_rankings" not in without:
        # Release months ranked by likes: us led both months before R1, china both since (the second with 5
        # models ranked, so 5 places); eu ranked but never in the top; by 30-day downloads one month since R1.
        # The top 50, the weekly cohorts and the live months are other rankings.
        con.execute("""
            insert into marts.fct_rankings
            select period_type, period_start, measure, top_n, region, period_start >= date '2025-01-20',
                   period_models, region_models, in_top, in_top / least(top_n, period_models), best
            from (values
                ('release_month', date '2024-11-01', 'likes', 10, 'china', 30, 12, 3, 2),
                ('release_month', date '2024-11-01', 'likes', 10, 'us', 30, 18, 7, 1),
                ('release_month', date '2024-12-01', 'likes', 10, 'us', 12, 10, 10, 1),
                ('release_month', date '2024-12-01', 'likes', 10, 'china', 12, 2, 0, 11),
                ('release_month', date '2025-02-01', 'likes', 10, 'china', 40, 20, 6, 1),
                ('release_month', date '2025-02-01', 'likes', 10, 'us', 40, 10, 2, 3),
                ('release_month', date '2025-02-01', 'likes', 10, 'unclassified', 40, 5, 2, 2),
                ('release_month', date '2025-02-01', 'likes', 10, 'eu', 40, 5, 0, 25),
                ('release_month', date '2025-03-01', 'likes', 10, 'china', 5, 4, 4, 1),
                ('release_month', date '2025-03-01', 'likes', 10, 'unknown', 5, 1, 1, 5),
                ('release_month', date '2025-02-01', 'downloads_30d', 10, 'china', 40, 40, 10, 1),
                ('release_month', date '2025-02-01', 'likes', 50, 'us', 60, 30, 30, 1),
                ('release_week', date '2025-02-03', 'likes', 10, 'eu', 10, 10, 10, 1),
                ('live_month', date '2025-02-01', 'likes', 10, 'other', 100, 10, 10, 1)
            ) v(period_type, period_start, measure, top_n, region, period_models, region_models, in_top, best)""")
    if "fct_release_licences" not in without:
        # china: 6 of 12 releases permissive before R1, 8 of 10 since; us: all 3 before, none of 5 since, no
        # download known before; the unattributed part released nothing before R1 and has no known download.
        con.execute("""
            insert into marts.fct_release_licences
            select region, month_start, family, month_start >= date '2025-01-20', releases, before, since,
                   releases / sum(releases) over m, downloads, downloads_before, downloads_since,
                   downloads / sum(downloads) over m
            from (values
                ('china', date '2024-12-01', 'permissive', 4, 4, 0, 100.0, 100.0, null),
                ('china', date '2024-12-01', 'restricted', 6, 6, 0, 300.0, 300.0, null),
                ('china', date '2025-01-01', 'permissive', 10, 2, 8, 1000.0, 200.0, 800.0),
                ('china', date '2025-01-01', 'unknown', 2, 0, 2, null, null, null),
                ('us', date '2025-01-01', 'permissive', 3, 3, 0, null, null, null),
                ('us', date '2025-02-01', 'copyleft', 5, 0, 5, 50.0, null, 50.0),
                ('unclassified', date '2025-02-01', 'permissive', 1, 0, 1, null, null, null),
                ('unknown', date '2025-02-01', 'unknown', 1, 0, 1, null, null, null)
            ) v(region, month_start, family, releases, before, since, downloads, downloads_before,
                downloads_since)
            window m as (partition by region, month_start)""")
    if "fct_release_languages" not in without:
        con.execute("""
            insert into marts.fct_release_languages values
            ('china', date '2024-12-01', false, 10, 10, 0, 8, 4, 4, 0, 0.4, 2.0, 3),
            ('china', date '2025-02-01', true, 10, 0, 10, 10, 8, 0, 8, 0.8, 5.0, 12),
            ('us', date '2025-01-01', false, 5, 2, 3, 5, 1, 0, 1, 0.2, 1.2, 2),
            ('unclassified', date '2025-02-01', true, 2, 0, 2, 0, 0, 0, 0, 0.0, null, 0)""")
    if "fct_language_family_downloads" not in without:
        # The latest month (2025-02): each region's two largest families; a family without known downloads last.
        con.execute("""
            insert into marts.fct_language_family_downloads values
            ('china', date '2025-01-01', 'Sino-Tibetan', false, 2, 700.0, 0.7),
            ('china', date '2025-02-01', 'Sino-Tibetan', true, 2, 600.0, 0.6),
            ('china', date '2025-02-01', 'Indo-European', true, 3, 900.0, 0.9),
            ('china', date '2025-02-01', 'Japonic', true, 1, 100.0, 0.1),
            ('us', date '2025-02-01', 'Indo-European', true, 4, 1000.0, 1.0),
            ('us', date '2025-02-01', 'none', true, 1, null, null),
            ('unclassified', date '2025-02-01', 'Indo-European', true, 1, 5.0, 0.5)""")
    con.execute(f"""
        insert into marts.fct_supply_chain values
        (date '{FIRST.replace(day=1)}', 'us', 'china', 'finetune', true, true, false, 2, 2, 20),
        (date '{FIRST.replace(day=1)}', 'china', 'china', 'quantized', true, false, false, 1, 1, 10),
        (date '{FIRST.replace(day=1)}', 'unclassified', 'china', 'finetune', false, null, false, 5, 5, 50),
        (date '{FIRST.replace(day=1)}', 'us', 'unknown', 'merge', false, null, false, 1, 1, null)""")


def summary_of(tmp_path: Path, capsys, **shape) -> str:
    build_warehouse(tmp_path / "warehouse.duckdb", **shape)
    summary.print_warehouse_summary(tmp_path)
    return capsys.readouterr().out


# ------------------------------------------------------------------------------------------ the shapes


def test_empty_marts_print_a_line_per_question(tmp_path, capsys):
    out = summary_of(tmp_path, capsys, days=0)
    assert "(no release in this window)" in out
    assert "28-day velocity: no known downloads yet" in out
    assert "reported 30-day downloads: no known downloads yet" in out
    assert "shares of the tracked total: no velocity rows yet" in out
    assert "(no derivative in this window)" in out
    assert "(no derivative in a complete month of this window)" in out
    assert "(no organisation ranked on both a benchmark and its downloads in this window)" in out
    assert "(no month with organisations ranked on both)" in out
    assert "cannot read" not in out and "None" not in out


def test_all_null_velocities_show_the_reported_30_day_downloads(tmp_path, capsys):
    """A trimmed archive: no downloadsAllTime, every exact velocity and share null; the Hub's own 30-day
    downloads are known, with their lasting overtake and shares."""
    out = summary_of(tmp_path, capsys, velocity=False)
    assert "28-day velocity: no known downloads yet (velocities need two snapshots with downloadsAllTime)" in out
    assert f"share of the tracked 28-day velocity on {day(39)}: no known downloads yet" in out
    assert _row(out, "reported 30-day downloads") == ["china", "us", str(day(9)), "2,450", "2,410", "40"]
    shares = next(line for line in out.splitlines() if "share of the reported 30-day downloads" in line)
    assert shares.startswith(f"  share of the reported 30-day downloads on {day(39)}: china ")
    assert "None" not in out and "nan" not in out


def test_a_single_day_has_no_overtake_and_no_complete_window(tmp_path, capsys):
    out = summary_of(tmp_path, capsys, days=1)
    assert "reported 30-day downloads: no region's lead changed for good on the 1 day with a snapshot" in out
    assert f"28-day velocity: no complete 28-day window yet (windows still filling; the first is on {day(28)})" in out
    assert f"share of the tracked 28-day velocity on {day(0)} (28-day window still filling): us 72.3%, china 24.1%" in out
    assert "measure  " not in out  # no overtake table


def test_no_complete_window_yet(tmp_path, capsys):
    out = summary_of(tmp_path, capsys, days=20)
    assert "28-day velocity: no complete 28-day window yet" in out
    assert _row(out, "reported 30-day downloads")[:3] == ["china", "us", str(day(9))]


def test_the_overtake_printed_is_the_marts_row_not_a_recomputation(tmp_path, capsys):
    # china's velocity passed the US's on day 17 (windows still filling) and led on every complete window:
    # the mart has no velocity_28d row, and the summary must not find one in the series itself.
    out = summary_of(tmp_path, capsys)
    assert "28-day velocity: no region's lead changed for good on the 12 days with a complete 28-day window " \
           f"({day(28)} .. {day(39)})" in out
    assert str(day(17)) not in out
    # A mart row no recomputation from the series would give: printed as it is.
    planted = [("velocity_28d", "eu", "us", day(33), 1.5, 1.25, day(39), 2.5, 2.25, 12)]
    (tmp_path / "planted").mkdir()
    out = summary_of(tmp_path / "planted", capsys, overtakes=planted)
    assert _row(out, "28-day velocity") == ["eu", "us", str(day(33)), "1.50", "1.25", "12"]
    assert "28-day velocity: no region" not in out
    assert "reported 30-day downloads: no region's lead changed for good on the 40 days with a snapshot" in out


def test_a_warehouse_without_the_overtake_mart_costs_one_section(tmp_path, capsys):
    out = summary_of(tmp_path, capsys, without=("fct_velocity_overtakes",))
    velocity = out.split("2. Download velocity")[1].split("\n4. ")[0]
    assert "cannot read it from this warehouse" in velocity and "fct_velocity_overtakes" in velocity
    assert "make demo" in velocity
    assert "4. Derivatives" in out and "china-lab/model" in out and "3. Ecosystem vs benchmark" in out


@pytest.mark.parametrize("shape", [{"days": 0}, {"days": 1, "velocity": False},
                                   {"days": 3, "velocity": False, "downloads_30d": False}])
def test_the_raw_and_warehouse_summaries_never_raise(tmp_path, capsys, shape):
    summary.print_raw_summary(tmp_path)  # no raw layer at all
    assert "raw partitions: none" in capsys.readouterr().out
    out = summary_of(tmp_path, capsys, activity=False, **shape)
    assert "None" not in out and "nan" not in out
    assert "Attribution coverage" in out  # the last section was reached


def _row(out: str, measure: str) -> list[str]:
    """The cells after `measure` in the overtake table's row for it."""
    line = next(line for line in out.splitlines() if line.startswith(f"  {measure}  "))
    return line[len(measure) + 2:].split()


# ------------------------------------------------------------------------------------------ attribution


def test_supply_chain_share_is_over_classified_pairs_with_the_unattributed_part_beside_it(tmp_path, capsys):
    """Five derivatives by an unclassified builder on Chinese bases are not cross-region: the share counts the
    3 classified pairs (2 cross-region), and the 6 unattributed ones are reported beside it."""
    out = summary_of(tmp_path, capsys, days=40)
    section = out.split("5. Supply chain")[1].split("\n3. ")[0]
    assert "2025-01 by builder region" in section
    assert "built on another region's base: 2 of 3 new derivatives whose builder and base both have a region " \
           "(66.7%)" in section
    assert "unattributed: 6 of 9 (66.7%) have a builder or base without a region" in section
    unclassified = next(line for line in section.splitlines() if line.startswith("  unclassified (no region)"))
    assert unclassified.split()[-2:] == ["5", "5"]  # on china, total: its own row, after the regions
    assert section.index("  us ") < section.index("  unclassified (no region)")
    us = next(line for line in section.splitlines() if line.startswith("  us "))
    assert us.split()[1:] == ["2", "1", "3"]  # on china, on no region (the unknown base), total


def test_velocity_shares_put_the_unattributed_part_on_its_own(tmp_path, capsys):
    out = summary_of(tmp_path, capsys, days=40)
    line = next(line for line in out.splitlines() if "share of the tracked 28-day velocity" in line)
    assert line.endswith("; unattributed 0.7% (unclassified 0.7%)"), line
    assert "unclassified" not in line.split(";")[0]


def test_the_summary_prints_coverage_and_whom_to_attribute_first(tmp_path, capsys):
    out = summary_of(tmp_path, capsys, days=40)
    section = out.split("Attribution coverage")[1]
    months = next(line for line in section.splitlines() if line.startswith("  2025-02 part"))
    assert months == ("  2025-02 part: 2.0% of downloads, 25.0% of releases, 75.0% of derivatives built, "
                      "87.5% of builder-base pairs; 2025-01 part: 2.0% of downloads, 25.0% of releases, 75.0% of "
                      "derivatives built, 87.5% of builder-base pairs")  # the latest months share a line
    assert section.index("unclassified-lab") < section.index("mystery-base")
    assert str(tmp_path / "reference" / "organization_region_overrides.csv") in section
    (tmp_path / "empty").mkdir()
    assert "(no snapshot day in this warehouse yet)" in summary_of(tmp_path / "empty", capsys, days=0)


# ------------------------------------------------------------------------------------------ trajectories


def test_the_summary_prints_the_fastest_growing_organisations_since_r1(tmp_path, capsys):
    out = summary_of(tmp_path, capsys, days=40)
    line = next(line for line in out.splitlines() if line.startswith("6. Trajectories"))
    assert line == (
        f"{summary.TRAJECTORIES}: china-lab (china; 100 releases since R1, 120 in all, crossed 100 in 2025-01, "
        "40 derivatives on its models since R1), unclassified-lab (unclassified; 12 releases since R1, 12 in all, "
        "crossed 10 in 2025-01, 3 derivatives on its models since R1), us-lab (us; 2 releases since R1, 30 in all, "
        "crossed 10 in 2023-06, 0 derivatives on its models since R1)")
    assert "eu-lab" not in line  # no release since R1: no rank
    assert out.index("3. Ecosystem vs benchmark") < out.index("6. Trajectories") < out.index("Attribution coverage")


def test_trajectories_of_an_empty_mart_and_of_a_warehouse_without_it(tmp_path, capsys):
    out = summary_of(tmp_path, capsys, days=0)
    assert f"\n{summary.TRAJECTORIES}: (no organisation released a model since R1)\n" in out
    (tmp_path / "older").mkdir()
    out = summary_of(tmp_path / "older", capsys, without=("fct_organization_milestones",))
    section = out.split("6. Trajectories")[1].split("\nAttribution coverage")[0]
    assert "cannot read it from this warehouse" in section and "fct_organization_milestones" in section
    assert "Attribution coverage" in out and "china-lab/model" in out


# ------------------------------------------------------------------------------ rankings, licences, languages


def _claim_lines(out: str) -> list[str]:
    """The lines from the trajectory line to the next blank line: the claims of issue 17, one line each."""
    return out.split("\n6. Trajectories")[1].split("\n\n")[0].splitlines()[1:]


def test_the_summary_prints_a_line_per_claim_from_the_marts(tmp_path, capsys):
    out = summary_of(tmp_path, capsys, days=40)
    rankings, licences, languages = _claim_lines(out)
    assert rankings == (
        f"{summary.RANKINGS}: by likes (top 10; 2 release months before R1, 2 since): "
        "china 0 -> 2 (15.0% -> 66.7%), us 2 -> 0 (85.0% -> 13.3%), unattributed 0 -> 0 (0.0% -> 20.0%); "
        "by 30-day downloads (top 10; 0 release months before R1, 1 since): china 0 -> 1 (no month -> 100.0%)")
    assert "eu" not in rankings and "other" not in rankings  # never in a top 10 of a release month
    assert licences == (
        f"{summary.LICENCES}: china 50.0% -> 80.0% (downloads 50.0% -> 100.0%), "
        "us 100.0% -> 0.0% (downloads unknown -> 0.0%), unattributed no release -> 50.0% (downloads unknown -> "
        "unknown); licence unknown (none, or not in the seed): 3 of 32 releases (9.4%)")
    assert languages == (
        f"{summary.LANGUAGES}: china 40.0% -> 80.0% (up to 12 languages), us 0.0% -> 33.3% (up to 2 languages), "
        "unattributed no release -> 0.0%; download shares in 2025-02 by declared language family (a model counts "
        "in each it declares): "
        "china Indo-European 90.0%, Sino-Tibetan 60.0%; us Indo-European 100.0%, none unknown")
    assert out.index("6. Trajectories") < out.index("7. Rankings") < out.index("8. Licences") \
        < out.index("9. Languages") < out.index("Attribution coverage")


def test_the_claim_lines_of_empty_marts_and_of_a_warehouse_without_one(tmp_path, capsys):
    out = summary_of(tmp_path, capsys, days=0)
    assert _claim_lines(out) == [
        f"{summary.RANKINGS}: (no release ranked yet)",
        f"{summary.LICENCES}: (no release or download with a licence yet)",
        f"{summary.LANGUAGES}: (no release yet); (no download by language family yet)"]
    (tmp_path / "older").mkdir()
    out = summary_of(tmp_path / "older", capsys, without=("fct_rankings", "fct_language_family_downloads"))
    rankings = out.split("\n7. Rankings")[1].split("\n8. Licences")[0]
    assert "cannot read it from this warehouse" in rankings and "fct_rankings" in rankings
    languages = out.split("\n9. Languages")[1].split("\nAttribution coverage")[0]
    assert "cannot read it from this warehouse" in languages and "fct_language_family_downloads" in languages
    assert f"{summary.LICENCES}: china 50.0% -> 80.0%" in out and "Attribution coverage" in out


def test_coverage_with_unknown_shares_says_unknown(tmp_path):
    """A trimmed archive: no downloads known, so no download share; the month's line says so instead of failing."""
    import duckdb

    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("""create table marts.fct_attribution_coverage as select 'month' as period_type,
                   date '2025-01-01' as period_start, false as is_period_fully_observed,
                   cast(null as double) as unattributed_download_share, 0.25 as unattributed_release_share,
                   cast(null as double) as unattributed_derivative_share, cast(null as double) as unattributed_pair_share""")
    con.execute("""create table marts.fct_unattributed_organizations (organization varchar, region varchar,
                   download_share double, unattributed_derivatives bigint, attribution_rank bigint)""")
    assert summary.coverage_lines(con, tmp_path) == [
        ("  2025-01 part: unknown of downloads, 25.0% of releases, unknown of derivatives built, unknown of "
         "builder-base pairs")]
