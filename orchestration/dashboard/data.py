"""Reading the published marts: one resolved serving version per page run, cached reads keyed by it.

A page resolves `serving/current` once (`current_release`) and hands the `Release` to every loader, so all of
its tables come from one version even when a publish swaps `current` halfway through the page. The loaders are
cached on the Parquet paths, which contain the version folder: a new publish is a new folder, so it shows on
the next reload, and entries of old versions age out. Reads go through an in-memory DuckDB over the Parquet
files (filters pushed down, no lock on anything a run writes).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from orchestration import settings
from orchestration.serving import publish as serving

_CACHE = {"max_entries": 48, "ttl": dt.timedelta(hours=12), "show_spinner": False}
MARTS = (
    "dim_organizations",
    "dim_models",
    "fct_release_cadence",
    "fct_download_velocity",
    "fct_velocity_overtakes",
    "fct_derivatives",
    "fct_supply_chain",
    "fct_ecosystem_vs_benchmark",
    "fct_benchmark_adoption_correlation",
    "fct_organization_trajectories",
    "fct_organization_milestones",
    "fct_rankings",
    "fct_release_licences",
    "fct_release_languages",
    "fct_language_family_downloads",
)


class ServingDataError(RuntimeError):
    """The published data cannot be read the way the dashboard needs (shown to the user as a message)."""


@dataclass(frozen=True)
class Release:
    """One published serving version, resolved once: its folder, manifest fields and mart files."""

    directory: Path
    version: str
    published_at: dt.datetime | None
    oldest_snapshot_date: dt.date | None
    newest_snapshot_date: dt.date | None
    run_id: str | None
    parquet_files: dict[str, Path] = field(default_factory=dict)

    def parquet(self, mart: str) -> str:
        """Path of a mart's Parquet file in this version (ServingDataError when the version lacks it)."""
        path = self.parquet_files.get(mart)
        if path is None or not path.is_file():
            raise ServingDataError(
                f"The published version {self.version} has no `{mart}` mart. Publish a current build again "
                "(`make demo`, or materialize `serving/published_marts` in Dagster)."
            )
        return str(path)


def serving_root(home: Path | None = None) -> Path:
    """`<HUBPULSE_HOME>/serving`, the folder a publish writes and the dashboard reads."""
    return serving.serving_dir(home or settings.hubpulse_home())


def current_release(home: Path | None = None) -> Release | None:
    """Resolve `serving/current` once and read that version's manifest; None when nothing is published."""
    try:
        root = serving_root(home)
    except ValueError as error:  # an unusable HUBPULSE_HOME (settings.validate_home says why)
        raise ServingDataError(str(error)) from None
    directory = serving.current_version_dir(root)
    if directory is None:
        return None
    try:
        manifest = json.loads((directory / serving.MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ServingDataError(f"Cannot read the manifest of the published version {directory.name}: {error}") from None
    files = {
        name: directory / (entry.get("parquet") or f"{serving.PARQUET_DIRNAME}/{name}.parquet")
        for name, entry in (manifest.get("tables") or {}).items()
    }
    return Release(
        directory=directory,
        version=str(manifest.get("version") or directory.name),
        published_at=_timestamp(manifest.get("published_at")),
        oldest_snapshot_date=_date(manifest.get("oldest_snapshot_date")),
        newest_snapshot_date=_date(manifest.get("newest_snapshot_date")),
        run_id=manifest.get("run_id"),
        parquet_files=files,
    )


def _timestamp(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    stamp = dt.datetime.fromisoformat(value)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def _query(sql: str, params: list) -> pd.DataFrame:
    """Run one query over Parquet files in a private in-memory DuckDB (one per call: sessions run in threads)."""
    con = duckdb.connect(config={"threads": max(1, min(4, os.cpu_count() or 1))})
    try:
        return con.execute(sql, params).df()
    except duckdb.Error as error:
        raise ServingDataError(
            f"The published data does not have the shape this dashboard reads ({type(error).__name__}: "
            f"{str(error).splitlines()[0]}). Publish a current build again (`make demo`)."
        ) from None
    finally:
        con.close()


# ------------------------------------------------------------------------------------------- the loaders


def release_cadence(release: Release) -> pd.DataFrame:
    """fct_release_cadence's organisation weeks with each organisation's region."""
    return _release_cadence(release.parquet("fct_release_cadence"), release.parquet("dim_organizations"))


@st.cache_data(**_CACHE)
def _release_cadence(cadence: str, organizations: str) -> pd.DataFrame:
    return _query(
        """
        select c.entity_id as organization, coalesce(o.region, 'unclassified') as region, c.week_start,
               c.releases, c.releases_original, c.releases_finetune, c.releases_quantized, c.releases_adapter,
               c.releases_merge, c.releases_same_org, c.releases_cross_org, c.is_active_week,
               c.active_week_streak, c.median_days_between_releases
        from read_parquet(?) as c
        left join read_parquet(?) as o on c.entity_id = o.organization
        where c.entity_type = 'organization'
        order by c.week_start, c.entity_id
        """,
        [cadence, organizations],
    )


def region_velocity(release: Release) -> pd.DataFrame:
    """fct_download_velocity's region and total rows (entity_type, region, day, both measures and their shares,
    whether the 28-day window is complete). Columns an older published version lacks come back null."""
    return _region_velocity(release.parquet("fct_download_velocity"))


# Columns of fct_download_velocity added after its first publications, with their type when absent.
OPTIONAL_VELOCITY_COLUMNS = {
    "downloads_30d": "bigint",
    "share_of_total_downloads_30d": "double",
    "is_in_scope": "boolean",
    "is_window_complete": "boolean",
}


def _parquet_columns(path: str) -> set[str]:
    con = duckdb.connect()
    try:
        return {row[0] for row in con.execute("select name from parquet_schema(?)", [path]).fetchall()}
    except duckdb.Error:
        return set()
    finally:
        con.close()


@st.cache_data(**_CACHE)
def _region_velocity(velocity: str) -> pd.DataFrame:
    present = _parquet_columns(velocity)
    absent = {name: f"cast(null as {kind}) as {name}" for name, kind in OPTIONAL_VELOCITY_COLUMNS.items()}
    # Older publications: the window is complete from the 28th day after the first snapshot on (the mart's rule).
    absent["is_window_complete"] = "metric_date >= min(metric_date) over () + 28 as is_window_complete"
    optional = ", ".join(name if name in present else absent[name] for name in OPTIONAL_VELOCITY_COLUMNS)
    return _query(
        f"""
        select entity_type, entity_id as region, metric_date, daily_downloads, velocity_7d, velocity_28d,
               acceleration, share_of_total, {optional}
        from read_parquet(?)
        where entity_type in ('region', 'total')
        order by metric_date, entity_id
        """,
        [velocity],
    )


def velocity_overtakes(release: Release) -> pd.DataFrame:
    """fct_velocity_overtakes: every lasting overtake, per measure and pair of classified regions
    (ServingDataError when the published version predates the mart)."""
    return _velocity_overtakes(release.parquet("fct_velocity_overtakes"))


@st.cache_data(**_CACHE)
def _velocity_overtakes(path: str) -> pd.DataFrame:
    return _query(
        """
        select measure, region, overtaken_region, overtook_on, region_value, overtaken_value, last_date,
               last_region_value, last_overtaken_value, comparable_days
        from read_parquet(?)
        order by measure, overtook_on, region, overtaken_region
        """,
        [path],
    )


def velocity_on(release: Release, day: dt.date, entity_type: str) -> pd.DataFrame:
    """Every model (or organisation) on one day, with its organisation and region, for the top movers."""
    if entity_type not in ("model", "organization"):
        raise ValueError(f"entity_type must be model or organization, got {entity_type!r}")
    return _velocity_on(
        release.parquet("fct_download_velocity"),
        release.parquet("dim_models"),
        release.parquet("dim_organizations"),
        day,
        entity_type,
    )


@st.cache_data(**_CACHE)
def _velocity_on(velocity: str, models: str, organizations: str, day: dt.date, entity_type: str) -> pd.DataFrame:
    if entity_type == "model":
        sql = """
            select v.entity_id, coalesce(m.repo_id, v.entity_name) as name, m.organization, m.region,
                   v.metric_date, v.daily_downloads, v.velocity_7d, v.velocity_28d, v.acceleration, v.share_of_total
            from read_parquet(?) as v
            left join read_parquet(?) as m on v.entity_id = m.model_id
            where v.entity_type = 'model' and v.metric_date = ?
        """
        params = [velocity, models, day]
    else:
        sql = """
            select v.entity_id, v.entity_id as name, v.entity_id as organization, o.region,
                   v.metric_date, v.daily_downloads, v.velocity_7d, v.velocity_28d, v.acceleration, v.share_of_total
            from read_parquet(?) as v
            left join read_parquet(?) as o on v.entity_id = o.organization
            where v.entity_type = 'organization' and v.metric_date = ?
        """
        params = [velocity, organizations, day]
    return _query(sql, params)


def entity_velocity(release: Release, entity_type: str, entity_ids: tuple[str, ...]) -> pd.DataFrame:
    """Daily rows of a few models or organisations (the movers' own curves)."""
    if not entity_ids:
        return pd.DataFrame(columns=["entity_id", "metric_date", "velocity_7d", "velocity_28d"])
    return _entity_velocity(release.parquet("fct_download_velocity"), entity_type, tuple(entity_ids))


@st.cache_data(**_CACHE)
def _entity_velocity(velocity: str, entity_type: str, entity_ids: tuple[str, ...]) -> pd.DataFrame:
    return _query(
        """
        select entity_id, metric_date, velocity_7d, velocity_28d
        from read_parquet(?)
        where entity_type = ? and list_contains(?, entity_id)
        order by entity_id, metric_date
        """,
        [velocity, entity_type, list(entity_ids)],
    )


def ecosystem_vs_benchmark(release: Release) -> pd.DataFrame:
    """fct_ecosystem_vs_benchmark with each organisation's region."""
    return _ecosystem_vs_benchmark(release.parquet("fct_ecosystem_vs_benchmark"), release.parquet("dim_organizations"))


@st.cache_data(**_CACHE)
def _ecosystem_vs_benchmark(ecosystem: str, organizations: str) -> pd.DataFrame:
    return _query(
        """
        select e.organization, coalesce(o.region, 'unclassified') as region, e.month_start, e.benchmark_score,
               e.benchmark_rank, e.downloads, e.ecosystem_score, e.ecosystem_rank, e.rank_gap,
               cast(e.likes as double) as likes, e.likes_share, e.new_derivatives, e.derivative_share,
               e.releases, e.release_pipeline_tags
        from read_parquet(?) as e
        left join read_parquet(?) as o on e.organization = o.organization
        order by e.month_start, e.organization
        """,
        [ecosystem, organizations],
    )


def benchmark_correlation(release: Release) -> pd.DataFrame:
    """fct_benchmark_adoption_correlation: one row per month."""
    return _benchmark_correlation(release.parquet("fct_benchmark_adoption_correlation"))


@st.cache_data(**_CACHE)
def _benchmark_correlation(correlation: str) -> pd.DataFrame:
    return _query(
        """
        select month_start, organizations_ranked, spearman_rank_correlation
        from read_parquet(?) order by month_start
        """,
        [correlation],
    )


def derivatives(release: Release) -> pd.DataFrame:
    """fct_derivatives: one row per tracked model as a base."""
    return _derivatives(release.parquet("fct_derivatives"))


@st.cache_data(**_CACHE)
def _derivatives(path: str) -> pd.DataFrame:
    return _query(
        """
        select base_model_id, base_repo_id, organization, region, release_date, is_placeholder_created_at,
               derivatives, derivatives_finetune, derivatives_quantized, derivatives_adapter, derivatives_merge,
               derivatives_same_org, derivatives_cross_org, share_by_other_organizations, first_derivative_date,
               days_to_first_derivative, derivatives_within_42_days
        from read_parquet(?)
        """,
        [path],
    )


def supply_chain(release: Release) -> pd.DataFrame:
    """fct_supply_chain: month x builder region x base region x relation."""
    return _supply_chain(release.parquet("fct_supply_chain"))


@st.cache_data(**_CACHE)
def _supply_chain(path: str) -> pd.DataFrame:
    return _query(
        """
        select month_start, child_region, base_region, relation, is_cross_region, new_derivatives,
               new_derivative_models, derivative_downloads
        from read_parquet(?)
        order by month_start, child_region, base_region, relation
        """,
        [path],
    )


def attribution_coverage(release: Release) -> pd.DataFrame | None:
    """fct_attribution_coverage (day and month rows); None when the version predates it (an older publish)."""
    if "fct_attribution_coverage" not in release.parquet_files:
        return None
    return _attribution_coverage(release.parquet("fct_attribution_coverage"))


@st.cache_data(**_CACHE)
def _attribution_coverage(path: str) -> pd.DataFrame:
    return _query(
        """
        select period_type, period_start, is_period_fully_observed, unattributed_download_share,
               unattributed_velocity_28d_share, unattributed_release_share, unattributed_derivative_share,
               unattributed_pair_share
        from read_parquet(?)
        """,
        [path],
    )


def organization_milestones(release: Release) -> pd.DataFrame:
    """fct_organization_milestones: one row per organisation (first release, 10/100 crossings, growth rank)."""
    return _organization_milestones(release.parquet("fct_organization_milestones"))


@st.cache_data(**_CACHE)
def _organization_milestones(path: str) -> pd.DataFrame:
    return _query(
        """
        select organization, region, is_region_attributed, first_release_date, last_release_date, releases,
               releases_before_r1, releases_since_r1, month_crossed_10_releases, month_crossed_100_releases,
               first_derivative_date, derivatives, derivatives_before_r1, derivatives_since_r1,
               derivatives_undated, growth_rank_since_r1
        from read_parquet(?)
        order by growth_rank_since_r1 nulls last, organization
        """,
        [path],
    )


def organization_trajectories(release: Release, organizations: tuple[str, ...]) -> pd.DataFrame:
    """fct_organization_trajectories' months of `organizations` (organisation x month, cumulative counts)."""
    return _organization_trajectories(release.parquet("fct_organization_trajectories"), organizations)


@st.cache_data(**_CACHE)
def _organization_trajectories(path: str, organizations: tuple[str, ...]) -> pd.DataFrame:
    return _query(
        """
        select organization, region, month_start, month_end, releases, cumulative_releases,
               cumulative_releases_since_r1, new_derivatives, cumulative_derivatives,
               cumulative_derivatives_since_r1
        from read_parquet(?)
        where list_contains(?, organization)
        order by organization, month_start
        """,
        [path, list(organizations)],
    )


def rankings(release: Release, period_type: str, ranking_measure: str, top_n: int) -> pd.DataFrame:
    """fct_rankings' rows of one period type, ranking measure and ranking size (region x period)."""
    return _rankings(release.parquet("fct_rankings"), period_type, ranking_measure, top_n)


@st.cache_data(**_CACHE)
def _rankings(path: str, period_type: str, ranking_measure: str, top_n: int) -> pd.DataFrame:
    return _query(
        """
        select period_type, period_start, ranking_measure, top_n, region, is_post_r1, period_models,
               region_models, models_in_top, share_of_top, best_rank
        from read_parquet(?)
        where period_type = ? and ranking_measure = ? and top_n = ?
        order by period_start, region
        """,
        [path, period_type, ranking_measure, top_n],
    )


def ranking_sizes(release: Release) -> list[int]:
    """The ranking sizes (top_n) fct_rankings holds, smallest first."""
    return _ranking_sizes(release.parquet("fct_rankings"))


@st.cache_data(**_CACHE)
def _ranking_sizes(path: str) -> list[int]:
    return [int(n) for n in _query("select distinct top_n from read_parquet(?) order by top_n", [path])["top_n"]]


def release_licences(release: Release) -> pd.DataFrame:
    """fct_release_licences: region x month x licence family (releases, downloads and their shares)."""
    return _release_licences(release.parquet("fct_release_licences"))


@st.cache_data(**_CACHE)
def _release_licences(path: str) -> pd.DataFrame:
    return _query(
        """
        select region, month_start, license_family, is_post_r1, releases, releases_before_r1, releases_since_r1,
               release_share, downloads, downloads_before_r1, downloads_since_r1, download_share
        from read_parquet(?)
        order by month_start, region, license_family
        """,
        [path],
    )


def release_languages(release: Release) -> pd.DataFrame:
    """fct_release_languages: region x month (releases declaring languages beyond English, languages declared)."""
    return _release_languages(release.parquet("fct_release_languages"))


@st.cache_data(**_CACHE)
def _release_languages(path: str) -> pd.DataFrame:
    return _query(
        """
        select region, month_start, is_post_r1, releases, releases_before_r1, releases_since_r1,
               releases_declaring_languages, releases_beyond_english, releases_beyond_english_before_r1,
               releases_beyond_english_since_r1, share_beyond_english, mean_languages_declared,
               max_languages_declared
        from read_parquet(?)
        order by month_start, region
        """,
        [path],
    )


def language_family_downloads(release: Release) -> pd.DataFrame:
    """fct_language_family_downloads: region x month x language family (models, downloads, download share)."""
    return _language_family_downloads(release.parquet("fct_language_family_downloads"))


@st.cache_data(**_CACHE)
def _language_family_downloads(path: str) -> pd.DataFrame:
    return _query(
        """
        select region, month_start, language_family, is_post_r1, models, downloads, download_share
        from read_parquet(?)
        order by month_start, region, language_family
        """,
        [path],
    )
