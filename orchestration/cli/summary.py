"""Printed summaries of what a run left behind (used by `hubpulse demo`).

Every section reads its mart and prints a clear line instead of a number when there is nothing to show: an
empty mart (no release, no derivative, no benchmark), measures that are unknown (an archive without
`downloadsAllTime`, the first day of a history) or windows still filling. A mart a warehouse lacks (built by
an older version) costs its section a line, never the summary.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

from orchestration import settings

# The two velocity measures of fct_download_velocity and fct_velocity_overtakes: what the summary calls them,
# the share column of each, and what the share is a share of.
MEASURES = {
    "velocity_28d": ("28-day velocity", "share_of_total", "the tracked 28-day velocity"),
    "downloads_30d": ("reported 30-day downloads", "share_of_total_downloads_30d", "the reported 30-day downloads"),
}
# Not regions: `unclassified` (neither the region seed nor the override file knows the organisation) and
# `unknown` (the seed cannot tell). They are never compared with a region; they are the unattributed line.
NOT_REGIONS = settings.UNATTRIBUTED_REGIONS
UNATTRIBUTED = "unattributed"


def region_overrides_path(home: Path) -> Path:
    """The region override file dbt reads (dbt_project/macros/region_overrides.sql): `namespace,region,source`."""
    return Path(home) / "reference" / "organization_region_overrides.csv"
NO_DOWNLOADS = "no known downloads yet"
DEMO_FULL_HINT = "`make demo-full` runs sixteen months"


def raw_summary(home: Path) -> str:
    """The raw layer in one line: dates, rows, models, authors (read in place with DuckDB)."""
    import duckdb

    from orchestration.hub import rawstore

    raw = settings.raw_models_dir(home)
    if not rawstore.list_partitions(raw):
        return f"raw partitions: none under {raw}"
    con = duckdb.connect()
    rawstore.register(con, raw)
    row = con.execute(
        """
        select count(distinct snapshot_date), min(snapshot_date), max(snapshot_date), count(*),
               count(distinct id), count(distinct author)
        from read_parquet(?, union_by_name = true)
        """,
        [str(rawstore.join(raw, "snapshot_date=*", "*.parquet"))],
    ).fetchone()
    days, first, last, rows, models, authors = row
    return (f"raw partitions: {days} snapshot dates {first} .. {last} ({rows:,} model rows, {models:,} distinct "
            f"models, {authors:,} authors) under {raw}")


def print_raw_summary(home: Path) -> None:
    """Print the raw layer's line (`raw_summary`)."""
    print(raw_summary(home))


def _print_table(title: str, headers: list[str], rows: list[tuple], empty: str = "no rows") -> None:
    print(f"\n{title}")
    _print_rows(headers, rows, empty)


def _print_rows(headers: list[str], rows: list[tuple], empty: str = "no rows") -> None:
    print("\n".join(_table_lines(headers, rows) if rows else [f"  ({empty})"]))


def _table_lines(headers: list[str], rows: list[tuple]) -> list[str]:
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
             "  " + "  ".join("-" * w for w in widths)]
    lines.extend("  " + "  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(row, widths, strict=True))
                 for row in cells)
    return lines


def _fmt(value) -> str:
    """A table cell: numbers with thousands separators, dates as ISO dates, unknown values empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):  # unknown
            return ""
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _percent(share) -> str:
    """0.54 -> '54.0%'; an unknown share says so."""
    return "unknown" if share is None or math.isnan(share) else f"{100 * share:.1f}%"


def _rounded_percent(value) -> str:
    """A share already in percent: 74.0 -> '74.0%'; unknown (no downloads known, nothing to share) says so."""
    return "unknown" if value is None or math.isnan(value) else f"{value:.1f}%"


def _month(value) -> str:
    return "no month" if value is None else f"{value:%Y-%m}"


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("-", "").isdigit()


def _section(title: str, body: Callable[[], None]) -> None:
    """Run one section; a mart the warehouse does not have (or not in this shape) costs a line, not the summary."""
    import duckdb

    try:
        body()
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"\n{title}\n  (cannot read it from this warehouse: {first_line}; rebuild it with `make demo`)")


# ------------------------------------------------------------------------------------------ 2. velocity


def velocity_lines(con) -> list[str]:
    """Question 2 in lines: the lasting overtakes of marts.fct_velocity_overtakes (both measures), and per
    measure, a clear line when it has none (why), then each measure's shares of the tracked total on the
    last day. Nothing is recomputed here: the overtakes are the mart's rows."""
    lines: list[str] = []
    overtakes = con.execute(
        """
        select measure, region, overtaken_region, overtook_on, region_value, overtaken_value, comparable_days
        from marts.fct_velocity_overtakes
        order by case measure when 'velocity_28d' then 0 else 1 end, overtook_on, region, overtaken_region
        """
    ).fetchall()
    rows = [(MEASURES.get(m, (m,))[0], *rest) for m, *rest in overtakes]
    if rows:
        lines.extend(_table_lines(["measure", "region", "overtook", "on", "its value", "the other's", "days compared"],
                                  rows))
    found = {m for m, *_ in overtakes}
    # The measures without a lasting overtake share a line (the demo's output stays under 60 lines), the hint
    # to run longer once at its end.
    reasons = [f"{name}: {_no_overtake_reason(con, measure)}" for measure, (name, _share, _of) in MEASURES.items()
               if measure not in found]
    if reasons:
        hinted = any(reason.endswith(f"; {DEMO_FULL_HINT}") for reason in reasons)
        reasons = [reason.removesuffix(f"; {DEMO_FULL_HINT}") for reason in reasons]
        lines.append("  " + "; ".join(reasons) + (f"; {DEMO_FULL_HINT}" if hinted else ""))
    lines.extend(_share_lines(con))
    return lines


def _no_overtake_reason(con, measure: str) -> str:
    """Why a measure has no lasting overtake: no known value, no complete window yet, or no lead changed."""
    regions = ", ".join(f"'{r}'" for r in NOT_REGIONS)
    complete = "and is_window_complete" if measure == "velocity_28d" else ""
    known, days, first, last = con.execute(
        f"""
        select count({measure}), count(distinct metric_date) filter (where {measure} is not null {complete}),
               min(metric_date) filter (where {measure} is not null {complete}),
               max(metric_date) filter (where {measure} is not null {complete})
        from marts.fct_download_velocity where entity_type = 'region' and entity_id not in ({regions})
        """
    ).fetchone()
    if not known:
        why = ("velocities need two snapshots with downloadsAllTime" if measure == "velocity_28d"
               else "no snapshot reported downloads")
        return f"{NO_DOWNLOADS} ({why})"
    if not days:
        start = con.execute("select min(snapshot_date) from marts.fct_model_daily").fetchone()[0]
        until = f"; the first is on {start + dt.timedelta(days=28)}" if start is not None else ""
        return f"no complete 28-day window yet (windows still filling{until})"
    span = f"{first}" if first == last else f"{first} .. {last}"
    window = "a complete 28-day window" if measure == "velocity_28d" else "a snapshot"
    return (f"no region's lead changed for good on the {days:,} day{'s' if days != 1 else ''} with {window} "
            f"({span}); {DEMO_FULL_HINT}")


def _share_lines(con) -> list[str]:
    """One line per measure: each region's share of the tracked total on the last day of the history."""
    last = con.execute("select max(metric_date) from marts.fct_download_velocity").fetchone()[0]
    if last is None:
        return ["  shares of the tracked total: no velocity rows yet (fct_download_velocity is empty)"]
    out = []
    for measure, (_name, share, of) in MEASURES.items():
        rows = con.execute(
            f"""
            select entity_id, {share}, is_window_complete from marts.fct_download_velocity
            where entity_type = 'region' and metric_date = ?
            order by {share} desc nulls last, entity_id
            """,
            [last],
        ).fetchall()
        known = [(region, value) for region, value, _complete in rows if value is not None]
        if not known:
            out.append(f"  share of {of} on {last}: {NO_DOWNLOADS}")
            continue
        filling = measure == "velocity_28d" and not all(complete for _r, _v, complete in rows)
        note = " (28-day window still filling)" if filling else ""
        out.append(f"  share of {of} on {last}{note}: " + _regions_then_unattributed(known))
    return out


def _regions_then_unattributed(shares: list[tuple[str, float]]) -> str:
    """'us 54.0%, china 39.6%; unattributed 0.7% (unknown 0.4%, unclassified 0.3%)': the regions' shares, then
    the part held by organisations without a region as its own line, never ranked among the regions."""
    regions = [(r, v) for r, v in shares if r not in NOT_REGIONS]
    others = [(r, v) for r, v in shares if r in NOT_REGIONS]
    text = ", ".join(f"{region} {_percent(value)}" for region, value in regions) or "no region"
    if others:
        parts = ", ".join(f"{region} {_percent(value)}" for region, value in others)
        text += f"; {UNATTRIBUTED} {_percent(sum(v for _r, v in others))} ({parts})"
    return text


# ------------------------------------------------------------------------------------ 5. supply chain


def supply_chain_lines(con, month) -> list[str]:
    """Question 5 for `month`: builder region x base region (the unattributed builders and bases in their own
    row and column), then the cross-region share over classified pairs with the unattributed part beside it."""
    regions = ", ".join(f"'{r}'" for r in NOT_REGIONS)
    rows = con.execute(f"""
        select case when child_region in ({regions}) then child_region || ' (no region)' else child_region end,
               on_china, on_us, on_eu, on_other, on_unattributed, total
        from (
            select child_region,
                   sum(new_derivatives) filter (where base_region = 'china') as on_china,
                   sum(new_derivatives) filter (where base_region = 'us') as on_us,
                   sum(new_derivatives) filter (where base_region = 'eu') as on_eu,
                   sum(new_derivatives) filter (where base_region = 'other') as on_other,
                   sum(new_derivatives) filter (where base_region in ({regions})) as on_unattributed,
                   sum(new_derivatives) as total
            from marts.fct_supply_chain where month_start = ?
            group by child_region
        )
        order by child_region in ({regions}), total desc, child_region
    """, [month]).fetchall()
    if not rows:
        return ["  (no derivative in a complete month of this window)"]
    lines = _table_lines(["builder region", "on china", "on us", "on eu", "on other", "on no region", "total"], rows)
    cross, classified, everything = con.execute(f"""
        select coalesce(sum(new_derivatives) filter (where child_region not in ({regions})
                   and base_region not in ({regions}) and child_region != base_region), 0),
               coalesce(sum(new_derivatives) filter (where child_region not in ({regions})
                   and base_region not in ({regions})), 0),
               coalesce(sum(new_derivatives), 0)
        from marts.fct_supply_chain where month_start = ?
    """, [month]).fetchone()
    unattributed = everything - classified
    share = f"{_percent(cross / classified)}" if classified else "no classified pair"
    # One line for the share and the part left out of it: the demo's output stays under 60 lines.
    lines.append(f"  built on another region's base: {cross:,} of {classified:,} new derivatives whose builder and "
                 f"base both have a region ({share}); {UNATTRIBUTED}: {unattributed:,} of {everything:,} "
                 f"({_percent(unattributed / everything)}) have a builder or base without a region (unclassified or "
                 "unknown), left out of that share")
    return lines


# ------------------------------------------------------------------------------------ attribution coverage


def coverage_lines(con, home: Path, months: int = 2, organizations: int = 3) -> list[str]:
    """How much of every answer rests on attribution: per month, the share of downloads, releases and new
    derivatives held by organisations without a region (marts.fct_attribution_coverage), then the organisations
    to attribute first (marts.fct_unattributed_organizations) and where to add them."""
    rows = con.execute("""
        select strftime(period_start, '%Y-%m') || case when is_period_fully_observed then ' whole' else ' part' end,
               round(100 * unattributed_download_share, 1), round(100 * unattributed_release_share, 1),
               round(100 * unattributed_derivative_share, 1), round(100 * unattributed_pair_share, 1)
        from marts.fct_attribution_coverage where period_type = 'month'
        order by period_start desc limit ?
    """, [months]).fetchall()
    if not rows:
        return ["  (no snapshot day in this warehouse yet)"]
    # The months share a line: the demo's output stays under 60 lines.
    lines = ["  " + "; ".join(
        f"{month}: {_rounded_percent(downloads)} of downloads, {_rounded_percent(releases)} of releases, "
        f"{_rounded_percent(derivatives)} of derivatives built, {_rounded_percent(pairs)} of builder-base pairs"
        for month, downloads, releases, derivatives, pairs in rows)]
    top = con.execute("""
        select organization, region, round(100 * download_share, 2), unattributed_derivatives
        from marts.fct_unattributed_organizations order by attribution_rank limit ?
    """, [organizations]).fetchall()
    if top:
        # One line with where to add them: the demo's output stays under 60 lines.
        lines.append("  attribute first: " + ", ".join(
            f"{organization} ({region}; {share}% of downloads, {derivatives:,} derivatives)"
            for organization, region, share, derivatives in top)
            + f"; in {region_overrides_path(home)} (rows `namespace,region,source`); the next build uses "
            "them (marts.fct_attribution_coverage and fct_unattributed_organizations hold every month and "
            "organisation)")
    return lines


# ------------------------------------------------------------------------------------------ 6. trajectories


def trajectory_line(con, organizations: int = 3) -> str:
    """Claim 6 (issue 17) in one line: the organisations that grew fastest since DeepSeek-R1, by their releases
    since R1 (marts.fct_organization_milestones.growth_rank_since_r1), each with its region, those releases, all
    its releases and the last milestone it reached (the month it crossed 100, else 10, releases)."""
    rows = con.execute("""
        select organization, region, releases_since_r1, releases, month_crossed_10_releases,
               month_crossed_100_releases, derivatives_since_r1
        from marts.fct_organization_milestones
        where growth_rank_since_r1 is not null
        order by growth_rank_since_r1, organization limit ?
    """, [organizations]).fetchall()
    if not rows:
        return f"{TRAJECTORIES}: (no organisation released a model since R1)"
    parts = []
    for organization, region, since, releases, crossed_10, crossed_100, derivatives in rows:
        crossed = (f", crossed 100 in {_month(crossed_100)}" if crossed_100 is not None
                   else f", crossed 10 in {_month(crossed_10)}" if crossed_10 is not None else "")
        parts.append(f"{organization} ({region}; {since:,} releases since R1, {releases:,} in all{crossed}, "
                     f"{derivatives:,} derivatives on its models since R1)")
    return f"{TRAJECTORIES}: " + ", ".join(parts)


# ---------------------------------------------------------------------- 7-9. rankings, licences, languages
# One line each, under the trajectory line: every number is a mart column or a sum of mart columns (before and
# since R1 from the marts' `_before_r1` / `_since_r1` columns or their `is_post_r1`); the organisations without
# a region are summed into one `unattributed` part, after the regions.


def _region_sql(column: str = "region") -> str:
    """The region, with the regions that are not regions (unclassified, unknown) as one unattributed part."""
    regions = ", ".join(f"'{r}'" for r in NOT_REGIONS)
    return f"case when {column} in ({regions}) then '{UNATTRIBUTED}' else {column} end"


def _before_since(before, since, counts: tuple[int, int] | None = None, empty: str = "") -> str:
    """'12.0% -> 40.0%': a share before R1, then since R1. A share of nothing says `empty` when `counts` (what
    each share is of) shows there was nothing, else unknown (e.g. no download known)."""
    def one(share, count) -> str:
        return empty if counts is not None and not count else _percent(share)

    before_count, since_count = counts if counts is not None else (None, None)
    return f"{one(before, before_count)} -> {one(since, since_count)}"


def ranking_line(con) -> str:
    """The rankings claim of issue 17 in one line: per ranking measure, how many of the release months before and since R1
    each region led (the best rank of the month's releases, each on its last snapshot: marts.fct_rankings' release_month
    rows at its smallest ranking size) and the share of those months' top places its models hold."""
    rows = con.execute(f"""
        with top as (
            select ranking_measure, period_start, is_post_r1, {_region_sql()} as region, best_rank, models_in_top,
                   least(top_n, period_models) as places, top_n
            from marts.fct_rankings
            where period_type = 'release_month' and top_n = (select min(top_n) from marts.fct_rankings)
        ),
        periods as (
            select ranking_measure, any_value(top_n) as top_n,
                   count(*) filter (where not is_post_r1) as months_before,
                   count(*) filter (where is_post_r1) as months_since,
                   sum(places) filter (where not is_post_r1) as places_before,
                   sum(places) filter (where is_post_r1) as places_since
            from (select distinct ranking_measure, period_start, is_post_r1, places, top_n from top)
            group by ranking_measure
        ),
        regions as (
            select ranking_measure, region,
                   count(*) filter (where best_rank = 1 and not is_post_r1) as led_before,
                   count(*) filter (where best_rank = 1 and is_post_r1) as led_since,
                   sum(models_in_top) filter (where not is_post_r1) as held_before,
                   sum(models_in_top) filter (where is_post_r1) as held_since
            from top group by ranking_measure, region
        )
        select ranking_measure, top_n, months_before, months_since, region, led_before, led_since,
               coalesce(held_before, 0) / places_before, coalesce(held_since, 0) / places_since
        from regions join periods using (ranking_measure)
        where coalesce(held_before, 0) + coalesce(held_since, 0) > 0
        order by ranking_measure != 'likes', region = '{UNATTRIBUTED}', led_since desc, held_since desc nulls last,
                 region
    """).fetchall()
    if not rows:
        return f"{RANKINGS}: (no release ranked yet)"
    measures: dict[str, list[str]] = {}
    heads: dict[str, str] = {}
    for measure, top_n, before, since, region, led_before, led_since, share_before, share_since in rows:
        heads[measure] = (f"{RANKING_MEASURES.get(measure, measure)} (top {top_n}; {before:,} release months "
                          f"before R1, {since:,} since)")
        measures.setdefault(measure, []).append(
            f"{region} {led_before:,} -> {led_since:,} "
            f"({_before_since(share_before, share_since, (before, since), 'no month')})")
    return f"{RANKINGS}: " + "; ".join(f"{heads[m]}: " + ", ".join(parts) for m, parts in measures.items())


def licence_line(con) -> str:
    """The licence claim of issue 17 in one line: per region, the permissive share of its releases before R1, then since,
    and of its downloads (marts.fct_release_licences' `_before_r1` / `_since_r1` columns), and how many releases
    have a licence the seed cannot place (`unknown`)."""
    rows = con.execute(f"""
        select part,
               coalesce(sum(releases_before_r1) filter (where license_family = 'permissive'), 0)
                   / nullif(sum(releases_before_r1), 0),
               coalesce(sum(releases_since_r1) filter (where license_family = 'permissive'), 0)
                   / nullif(sum(releases_since_r1), 0),
               coalesce(sum(downloads_before_r1) filter (where license_family = 'permissive'), 0)
                   / nullif(sum(downloads_before_r1), 0),
               coalesce(sum(downloads_since_r1) filter (where license_family = 'permissive'), 0)
                   / nullif(sum(downloads_since_r1), 0),
               sum(releases_before_r1), sum(releases_since_r1), sum(releases) as releases,
               sum(sum(releases) filter (where license_family = 'unknown')) over () as unknown,
               sum(sum(releases)) over () as all_releases
        from (select *, {_region_sql()} as part from marts.fct_release_licences)
        group by part
        order by part = '{UNATTRIBUTED}', releases desc, part
    """).fetchall()
    if not rows:
        return f"{LICENCES}: (no release or download with a licence yet)"
    parts = [f"{region} {_before_since(releases_before, releases_since, (before, since), 'no release')} "
             f"(downloads {_before_since(downloads_before, downloads_since)})"
             for region, releases_before, releases_since, downloads_before, downloads_since, before, since, *_ in rows]
    unknown, releases = rows[0][-2] or 0, rows[0][-1]
    share = _percent(unknown / releases) if releases else "no release"
    return (f"{LICENCES}: " + ", ".join(parts)
            + f"; licence unknown (none, or not in the seed): {unknown:,} of {releases:,} releases ({share})")


def language_line(con, families: int = 2) -> str:
    """The language claim of issue 17 in one line: per region, the share of its releases declaring a language beyond
    English before R1, then since (marts.fct_release_languages' `_before_r1` / `_since_r1` columns) and the
    most languages one of them declares; then, in the latest month, each region's top language families by
    download share (marts.fct_language_family_downloads)."""
    rows = con.execute(f"""
        select part,
               sum(releases_beyond_english_before_r1) / nullif(sum(releases_before_r1), 0),
               sum(releases_beyond_english_since_r1) / nullif(sum(releases_since_r1), 0),
               max(max_languages_declared), sum(releases) as releases, sum(releases_before_r1),
               sum(releases_since_r1)
        from (select *, {_region_sql()} as part from marts.fct_release_languages)
        group by part
        order by part = '{UNATTRIBUTED}', releases desc, part
    """).fetchall()
    if rows:
        text = ", ".join(f"{region} {_before_since(before, since, counts, 'no release')}"
                         + (f" (up to {most:,} languages)" if most else "")
                         for region, before, since, most, _releases, *counts in rows)
    else:
        text = "(no release yet)"
    regions = ", ".join(f"'{r}'" for r in NOT_REGIONS)
    downloads = con.execute(f"""
        select month_start, region, language_family, download_share
        from marts.fct_language_family_downloads
        where month_start = (select max(month_start) from marts.fct_language_family_downloads)
          and region not in ({regions})
        qualify row_number() over (partition by region order by download_share desc nulls last,
                                   language_family) <= ?
        order by region, download_share desc nulls last, language_family
    """, [families]).fetchall()
    if downloads:
        by_region: dict[str, list[str]] = {}
        for _month_start, region, family, share in downloads:
            by_region.setdefault(region, []).append(f"{family} {_percent(share)}")
        text += (f"; download shares in {_month(downloads[0][0])} by declared language family (a model counts "
                 "in each it declares): "
                 + "; ".join(f"{region} " + ", ".join(parts) for region, parts in by_region.items()))
    else:
        text += "; (no download by language family yet)"
    return f"{LANGUAGES}: {text}"


# ------------------------------------------------------------------------------------------ the summary


def print_warehouse_summary(home: Path) -> None:
    """Answer the five questions of the SPEC from the marts, one small table each, and the claims of issue 17
    (trajectories, rankings, licences, languages) in a line each."""
    import duckdb

    path = settings.warehouse_path(home)
    con = duckdb.connect(str(path), read_only=True)
    try:
        q = con.execute
        r1 = f"date '{settings.R1_RELEASE_DATE}'"
        not_regions = ", ".join(f"'{r}'" for r in NOT_REGIONS)

        def cadence() -> None:
            rows = q(f"""
                select case when entity_id in ({not_regions}) then entity_id || ' (no region)'
                            else entity_id end,
                       weeks_before, per_week_before, weeks_after, per_week_after
                from (
                    select entity_id,
                           count(*) filter (where week_start < {r1}) as weeks_before,
                           round(avg(releases) filter (where week_start < {r1}), 2) as per_week_before,
                           count(*) filter (where week_start >= {r1}) as weeks_after,
                           round(avg(releases) filter (where week_start >= {r1}), 2) as per_week_after
                    from marts.fct_release_cadence
                    where entity_type = 'region'
                      and week_start >= (select min(snapshot_date) from marts.fct_model_daily)
                    group by entity_id
                )
                order by entity_id in ({not_regions}), per_week_after desc nulls last, entity_id
            """).fetchall()
            _print_table(CADENCE, ["region", "weeks before", "per week before", "weeks after", "per week after"],
                         rows, empty="no release in this window")

        def velocity() -> None:
            lines = velocity_lines(con)
            print(f"\n{VELOCITY}")
            print("\n".join(lines))

        def derivatives() -> None:
            rows = q("""
                select base_repo_id, region, release_date, days_to_first_derivative, derivatives_within_42_days,
                       derivatives, round(100 * share_by_other_organizations, 1)
                from marts.fct_derivatives
                where release_date >= (select min(snapshot_date) from marts.fct_model_daily)
                  and derivatives > 0
                order by derivatives_within_42_days desc, days_to_first_derivative asc nulls last, base_repo_id
                limit 5
            """).fetchall()
            _print_table(DERIVATIVES,
                         ["base model", "region", "released", "days to 1st", "within 42 days", "all", "% by others"],
                         rows, empty="no derivative in this window")

        def supply() -> None:
            month = q("select max(month_start) from marts.fct_supply_chain where month_start < "
                      "date_trunc('month', (select max(snapshot_date) from marts.fct_model_daily))").fetchone()[0]
            title = (SUPPLY if month is None else
                     f"5. Supply chain: new derivatives in {_month(month)} by builder region (rows) and base region")
            lines = ["  (no derivative in a complete month of this window)"] if month is None else \
                supply_chain_lines(con, month)
            print(f"\n{title}")
            print("\n".join(lines))

        def trajectories() -> None:
            print(f"\n{trajectory_line(con)}")

        # The claims' lines follow the trajectory line without a blank line: the demo stays under 60 lines.
        def claim(line: Callable) -> Callable[[], None]:
            return lambda: print(line(con))

        def coverage() -> None:
            print(f"\n{COVERAGE}")
            print("\n".join(coverage_lines(con, home)))

        def benchmark() -> None:
            month = q("select max(month_start) from marts.fct_ecosystem_vs_benchmark where benchmark_rank is not null"
                      ).fetchone()[0]
            rows = [] if month is None else q("""
                select organization, benchmark_rank::int, ecosystem_rank::int, rank_gap::int,
                       round(benchmark_score, 1), round(100 * ecosystem_score, 2)
                from marts.fct_ecosystem_vs_benchmark
                where month_start = ? and rank_gap is not null
                order by abs(rank_gap) desc, organization limit 5
            """, [month]).fetchall()
            title = (BENCHMARK if month is None else
                     f"3. Ecosystem vs benchmark, {_month(month)}: largest gaps (benchmark rank - ecosystem rank)")
            _print_table(title, ["organisation", "benchmark rank", "ecosystem rank", "gap", "best score",
                                 "% downloads"], rows,
                         empty="no organisation ranked on both a benchmark and its downloads in this window")
            rows = q("""
                select strftime(month_start, '%Y-%m'), organizations_ranked, round(spearman_rank_correlation, 2)
                from marts.fct_benchmark_adoption_correlation order by month_start desc limit 6
            """).fetchall()
            months = ", ".join(f"{month} {_fmt(rho) or 'unknown'}" for month, _n, rho in rows)
            print(f"{CORRELATION}: {months or '(no month with organisations ranked on both)'}")

        _section(CADENCE, cadence)
        _section(VELOCITY, velocity)
        _section(DERIVATIVES, derivatives)
        _section(SUPPLY, supply)
        _section(BENCHMARK, benchmark)
        _section(TRAJECTORIES, trajectories)
        _section(RANKINGS, claim(ranking_line))
        _section(LICENCES, claim(licence_line))
        _section(LANGUAGES, claim(language_line))
        _section(COVERAGE, coverage)
    finally:
        con.close()


CADENCE = "1. Release cadence: releases per week by region, before and after DeepSeek-R1 (2025-01-20)"
VELOCITY = ("2. Download velocity: the day one region overtook another for good "
            "(marts.fct_velocity_overtakes: days with a complete window only)")
DERIVATIVES = "4. Derivatives: fastest-adopted base models released in the window"
SUPPLY = "5. Supply chain: new derivatives in the last complete month by builder region (rows) and base region"
BENCHMARK = "3. Ecosystem vs benchmark: largest gaps (benchmark rank - ecosystem rank)"
COVERAGE = ("Attribution coverage: the share held by organisations without a region (unclassified or unknown), "
            "latest months")
TRAJECTORIES = "6. Trajectories: fastest-growing organisations since DeepSeek-R1 (by releases since 2025-01-20)"
RANKINGS = ("7. Rankings: release months led by each region, its releases ranked as last seen, and its share of the "
            "top places (before R1 -> since)")
RANKING_MEASURES = {"likes": "by likes", "downloads_30d": "by 30-day downloads"}
LICENCES = "8. Licences: permissive share of releases (and of downloads), before R1 -> since"
LANGUAGES = "9. Languages: share of releases declaring a language beyond English, before R1 -> since"
CORRELATION = "  Do benchmark scores still predict adoption? Spearman rank correlation per month"
