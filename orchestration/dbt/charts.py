"""One PNG chart per question of the SPEC, drawn from the marts and shown in the Dagster UI.

Each chart belongs to the mart that answers its question; `render_mart_chart` draws it from an open DuckDB
connection (the warehouse, after dbt has finished writing, or the published copy) and returns the PNG bytes.
A mart with nothing to draw (empty, or every value unknown: a trimmed archive, a single day) gives a PNG that
says so and why, never an exception. `chart_markdown` embeds the PNG in a Markdown metadata value, which the
asset's materialization shows inline.

The velocity chart marks the lasting overtakes of `marts.fct_velocity_overtakes` (the one place they are
computed); it draws both velocity measures, the exact 28-day velocity and the Hub's reported 30-day downloads,
so a history whose 28-day windows are still filling, or whose snapshots carry no `downloadsAllTime`, still
shows who leads.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

from orchestration import settings

# The regions in a fixed order and colour, so every chart reads the same way.
REGION_COLOURS = {
    "china": "#d62728",
    "us": "#1f77b4",
    "eu": "#2ca02c",
    "other": "#9467bd",
    "unknown": "#bcbd22",
    "unclassified": "#7f7f7f",
}
FALLBACK_COLOURS = ("#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#17becf")
DPI = 110
R1_DATE = dt.date.fromisoformat(settings.R1_RELEASE_DATE)


def _pyplot():
    """matplotlib with the file-only backend, imported when a chart is drawn (not when the code location loads)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _colour(name: str, index: int) -> str:
    return REGION_COLOURS.get(name, FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)])


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


def _mark_r1(ax) -> None:
    ax.axvline(R1_DATE, color="black", linestyle="--", linewidth=1)
    ax.annotate("DeepSeek-R1", (R1_DATE, 1), xycoords=("data", "axes fraction"), xytext=(3, -12),
                textcoords="offset points", fontsize=8)


def _date_axis(ax, days=None) -> None:
    """Concise date ticks; a single day (a history of one snapshot) gets a day either side."""
    import matplotlib.dates as mdates

    if days is not None and len(set(days)) == 1:
        only = next(iter(days))
        ax.set_xlim(only - dt.timedelta(days=1), only + dt.timedelta(days=1))

    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _series(rows) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for name, day, value in rows:
        out.setdefault(name, []).append((day, value))
    return out


def release_cadence_chart(con) -> bytes:
    """Weekly releases by region, DeepSeek-R1 marked."""
    rows = con.execute(
        "select entity_id, week_start, releases from marts.fct_release_cadence "
        "where entity_type = 'region' order by entity_id, week_start"
    ).fetchall()
    if not rows:
        return message_chart("Releases per week by region", "no release in this history yet")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    for index, (region, points) in enumerate(sorted(_series(rows).items())):
        ax.plot([d for d, _ in points], [v for _, v in points], label=region, color=_colour(region, index),
                linewidth=1.5)
    _mark_r1(ax)
    _date_axis(ax, [r[1] for r in rows])
    ax.set_title("Releases per week by region")
    ax.set_ylabel("new model repos")
    ax.legend(fontsize=8, ncols=3)
    ax.grid(alpha=0.3)
    return _png(fig)


VELOCITY_MEASURES = {
    "velocity_28d": ("28-day download velocity by region (exact, from downloadsAllTime)",
                     "downloads in 28 days (millions)"),
    "downloads_30d": ("Reported 30-day downloads by region (the Hub's own count)",
                      "downloads in 30 days (millions)"),
}
NOT_REGIONS = settings.UNATTRIBUTED_REGIONS


def message_chart(title: str, message: str) -> bytes:
    """A small PNG that says why there is no chart (an empty mart, unknown values)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 1.6))
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.45, message, ha="center", va="center", fontsize=10, color="#444444", wrap=True,
            transform=ax.transAxes)
    return _png(fig)


def _has_relation(con, schema: str, name: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
    ).fetchone()[0])


def _columns(con, schema: str, name: str) -> set[str]:
    return {row[0] for row in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?", [schema, name]
    ).fetchall()}


def velocity_overtakes(con, measure: str, last_day) -> tuple[list[tuple], str | None]:
    """The lasting overtakes of `measure` from marts.fct_velocity_overtakes, as (region, overtaken_region,
    overtook_on, region_value) rows, and a note when they cannot be shown: the mart is missing, or it was
    built for another history than the velocity rows drawn (its last day is not `last_day`)."""
    if not _has_relation(con, "marts", "fct_velocity_overtakes"):
        return [], "overtakes not marked: marts.fct_velocity_overtakes is not built yet"
    rows = con.execute(
        "select region, overtaken_region, overtook_on, region_value, last_date from marts.fct_velocity_overtakes "
        "where measure = ? order by overtook_on, region, overtaken_region",
        [measure],
    ).fetchall()
    if rows and last_day is not None and max(r[4] for r in rows) != last_day:
        return [], "overtakes not marked: marts.fct_velocity_overtakes is older than these velocity rows"
    return [r[:4] for r in rows], None


def download_velocity_chart(con) -> bytes:
    """Both velocity measures by region, one panel each: the exact 28-day velocity (the days whose window is
    still filling shaded) and the Hub's reported 30-day downloads, each with its lasting overtakes among the
    three largest regions marked from marts.fct_velocity_overtakes."""
    title = "Download velocity by region"
    if not _has_relation(con, "marts", "fct_download_velocity"):
        return message_chart(title, "marts.fct_download_velocity is not built yet")
    columns = _columns(con, "marts", "fct_download_velocity")
    measures = [m for m in VELOCITY_MEASURES if m in columns]
    complete = "is_window_complete" if "is_window_complete" in columns else "true"
    rows = con.execute(
        f"select entity_id, metric_date, {', '.join(measures)}, {complete} from marts.fct_download_velocity "
        "where entity_type = 'region' order by entity_id, metric_date"
    ).fetchall()
    if not rows:
        return message_chart(title, "fct_download_velocity has no region rows yet: nothing is ingested and built")
    plt = _pyplot()
    fig, axes = plt.subplots(len(measures), 1, figsize=(9, 3.6 * len(measures)), sharex=True, squeeze=False)
    first_day = min(r[1] for r in rows)
    filling = [r[1] for r in rows if not r[-1]]
    regions = sorted({r[0] for r in rows})
    for ax, (index, measure) in zip(axes[:, 0], enumerate(measures), strict=True):
        heading, unit = VELOCITY_MEASURES[measure]
        column = 2 + index
        known = [r for r in rows if r[column] is not None]
        ax.set_title(heading, fontsize=10)
        ax.grid(alpha=0.3)
        if not known:
            why = ("no known 28-day velocity: it needs two snapshots with downloadsAllTime\n(this history has "
                   "none, or a single day); the reported 30-day downloads stand in for it" if measure == "velocity_28d" else "no snapshot reported downloads")
            ax.text(0.5, 0.5, why, ha="center", va="center", fontsize=9, color="#444444", transform=ax.transAxes)
            ax.set_yticks([])
            continue
        series = _series([(r[0], r[1], r[column]) for r in known])
        for region in regions:
            points = series.get(region)
            if points:
                ax.plot([d for d, _ in points], [v / 1e6 for _, v in points], label=region,
                        color=_colour(region, regions.index(region)), linewidth=1.5)
        if measure == "velocity_28d" and filling:
            ax.axvspan(first_day, max(filling), color="#888888", alpha=0.12, lw=0)
            ax.annotate("28-day window still filling", (first_day, 0), xycoords=("data", "axes fraction"),
                        xytext=(3, 4), textcoords="offset points", fontsize=7, color="#555555")
        last_day = max(r[1] for r in known if r[0] not in NOT_REGIONS) if any(
            r[0] not in NOT_REGIONS for r in known) else None
        last_values = {region: points[-1][1] for region, points in series.items() if region not in NOT_REGIONS}
        largest = set(sorted(last_values, key=lambda r: (-last_values[r], r))[:3])
        marked, note = velocity_overtakes(con, measure, last_day)
        for leader, behind, day, value in marked:
            if leader in largest and behind in largest:
                ax.scatter([day], [value / 1e6], color="black", zorder=5, s=25)
                ax.annotate(f"{leader} overtakes {behind}\n{day}", (day, value / 1e6), xytext=(6, 6),
                            textcoords="offset points", fontsize=8)
        if note:
            ax.annotate(note, (1, 0), xycoords="axes fraction", xytext=(-3, 4), textcoords="offset points",
                        fontsize=7, color="#aa0000", ha="right")
        if first_day <= R1_DATE <= max(r[1] for r in rows):
            _mark_r1(ax)
        ax.set_ylabel(unit, fontsize=8)
        ax.legend(fontsize=8, ncols=3, loc="upper left")
    _date_axis(axes[-1, 0], [r[1] for r in rows])
    fig.suptitle(title)
    return _png(fig)


def ecosystem_vs_benchmark_chart(con) -> bytes:
    """Benchmark rank against ecosystem rank per organisation in the latest ranked month, and the monthly
    rank correlation over time."""
    latest = con.execute(
        "select max(month_start) from marts.fct_ecosystem_vs_benchmark "
        "where benchmark_rank is not null and ecosystem_rank is not null"
    ).fetchone()[0]
    if latest is None:
        return message_chart("Benchmark vs ecosystem rank",
                             "no month with an organisation ranked on both a benchmark and its downloads yet")
    points = con.execute(
        "select e.organization, e.benchmark_rank, e.ecosystem_rank, coalesce(o.region, 'unclassified') "
        "from marts.fct_ecosystem_vs_benchmark e left join marts.dim_organizations o using (organization) "
        "where e.month_start = ? and e.benchmark_rank is not null and e.ecosystem_rank is not null",
        [latest],
    ).fetchall()
    correlation = con.execute(
        "select month_start, spearman_rank_correlation from marts.fct_benchmark_adoption_correlation "
        "where spearman_rank_correlation is not null order by month_start"
    ).fetchall()
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1.2, 1]})
    regions = sorted({p[3] for p in points})
    for index, region in enumerate(regions):
        mine = [p for p in points if p[3] == region]
        left.scatter([p[1] for p in mine], [p[2] for p in mine], label=region, color=_colour(region, index), s=30)
    for organization, benchmark_rank, ecosystem_rank, _region in points:
        left.annotate(organization, (benchmark_rank, ecosystem_rank), fontsize=7, xytext=(3, 2),
                      textcoords="offset points")
    top = max(max(p[1] for p in points), max(p[2] for p in points))
    left.plot([1, top], [1, top], color="grey", linestyle=":", linewidth=1)
    left.invert_xaxis()
    left.invert_yaxis()
    left.set_xlabel("benchmark rank (1 = best)")
    left.set_ylabel("ecosystem rank (1 = most adopted)")
    left.set_title(f"Benchmark vs ecosystem rank, {latest:%Y-%m}")
    left.legend(fontsize=8)
    left.grid(alpha=0.3)
    if correlation:
        right.plot([c[0] for c in correlation], [c[1] for c in correlation], marker="o", color="#444444")
        right.axhline(0, color="grey", linewidth=0.8)
        _mark_r1(right)
        _date_axis(right, [c[0] for c in correlation])
    right.set_ylim(-1.05, 1.05)
    right.set_title("Do benchmark ranks predict adoption? (Spearman, monthly)")
    right.grid(alpha=0.3)
    return _png(fig)


def derivatives_chart(con, limit: int = 15) -> bytes:
    """The base models with the most derivatives within 6 weeks of release, coloured by the base's region."""
    rows = con.execute(
        "select coalesce(base_repo_id, base_model_id), coalesce(region, 'unclassified'), derivatives_within_42_days, "
        "days_to_first_derivative from marts.fct_derivatives "
        "where derivatives_within_42_days > 0 "
        "order by derivatives_within_42_days desc, base_repo_id, base_model_id limit ?",
        [limit],
    ).fetchall()
    if not rows:
        return message_chart("Fastest-adopted base models", "no derivative within 6 weeks of a release yet")
    rows = rows[::-1]
    regions = sorted({r[1] for r in rows})
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(rows) + 1.5))
    ax.barh([r[0] for r in rows], [r[2] for r in rows],
            color=[_colour(r[1], regions.index(r[1])) for r in rows])
    for index, row in enumerate(rows):
        first = "no derivative yet" if row[3] is None else f"first after {row[3]} d"
        ax.annotate(first, (row[2], index), xytext=(3, -3), textcoords="offset points", fontsize=7)
    handles = [plt.Rectangle((0, 0), 1, 1, color=_colour(r, i)) for i, r in enumerate(regions)]
    ax.legend(handles, regions, fontsize=8, loc="lower right")
    ax.set_xlabel("derivatives within 6 weeks of release")
    ax.set_title("Fastest-adopted base models")
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


def supply_chain_chart(con) -> bytes:
    """Child region x base region: new derivatives in the latest month, and the cross-region share by month."""
    latest = con.execute("select max(month_start) from marts.fct_supply_chain").fetchone()[0]
    if latest is None:
        return message_chart("New derivatives by builder region and base region", "no derivative in this history yet")
    cells = con.execute(
        "select child_region, base_region, sum(new_derivatives) from marts.fct_supply_chain "
        "where month_start = ? group by all",
        [latest],
    ).fetchall()
    # Over classified pairs only (is_cross_region is null when the builder or the base has no region); the
    # unattributed part is its own line, never folded into the share.
    shares = con.execute(
        "select month_start, sum(new_derivatives) filter (where is_cross_region) "
        "/ nullif(sum(new_derivatives) filter (where is_cross_region is not null), 0), "
        "sum(new_derivatives) filter (where is_cross_region is null) / nullif(sum(new_derivatives), 0) "
        "from marts.fct_supply_chain group by month_start order by month_start"
    ).fetchall()
    children = sorted({c[0] for c in cells})
    bases = sorted({c[1] for c in cells})
    grid = [[0] * len(bases) for _ in children]
    for child, base, value in cells:
        grid[children.index(child)][bases.index(base)] = int(value or 0)
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1, 1]})
    image = left.imshow(grid, cmap="Blues")
    left.set_xticks(range(len(bases)), bases, rotation=30, ha="right", fontsize=8)
    left.set_yticks(range(len(children)), children, fontsize=8)
    left.set_xlabel("region of the base model")
    left.set_ylabel("region of the derivative's organisation")
    peak = max((max(row) for row in grid), default=0)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            left.text(j, i, f"{value:,}", ha="center", va="center", fontsize=8,
                      color="white" if peak and value > peak / 2 else "black")
    left.set_title(f"New derivatives, {latest:%Y-%m}")
    fig.colorbar(image, ax=left, shrink=0.8)
    points = [(m, s) for m, s, _u in shares if s is not None]
    unattributed = [(m, u) for m, _s, u in shares if u is not None]
    if points:
        right.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#444444",
                   label="built on another region's base (of classified pairs)")
    if unattributed:
        right.plot([p[0] for p in unattributed], [p[1] for p in unattributed], marker=".", linestyle=":",
                   color=REGION_COLOURS["unclassified"], label="unattributed: builder or base without a region")
    if points or unattributed:
        _mark_r1(right)
        _date_axis(right, [m for m, *_ in shares])
        right.legend(fontsize=7, loc="upper left")
    right.set_ylim(0, 1)
    right.set_title("Cross-region share over classified pairs", fontsize=10)
    right.grid(alpha=0.3)
    return _png(fig)


def attribution_coverage_chart(con) -> bytes:
    """The share held by organisations without a region: downloads and 28-day velocity by day, releases and
    new derivatives by month."""
    title = "Attribution coverage: the share held by organisations without a region"
    if not _has_relation(con, "marts", "fct_attribution_coverage"):
        return message_chart(title, "marts.fct_attribution_coverage is not built yet")
    days = con.execute(
        "select period_start, unattributed_download_share, unattributed_velocity_28d_share "
        "from marts.fct_attribution_coverage where period_type = 'day' order by period_start").fetchall()
    months = con.execute(
        "select period_start, unattributed_release_share, unattributed_derivative_share, unattributed_pair_share "
        "from marts.fct_attribution_coverage where period_type = 'month' order by period_start").fetchall()
    if not days:
        return message_chart(title, "no snapshot day in this warehouse yet")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    for column, label, style in ((1, "daily downloads", "-"), (2, "28-day velocity", "--")):
        known = [(r[0], r[column]) for r in days if r[column] is not None]
        if known:
            ax.plot([k[0] for k in known], [k[1] for k in known], linestyle=style, label=label, linewidth=1.5)
    for column, label, marker in ((1, "releases (month)", "s"), (2, "derivatives built (month)", "o"),
                                  (3, "derivative pairs (month)", "^")):
        known = [(r[0], r[column]) for r in months if r[column] is not None]
        if known:
            ax.scatter([k[0] for k in known], [k[1] for k in known], marker=marker, label=label, s=30)
    if days[0][0] <= R1_DATE <= days[-1][0]:
        _mark_r1(ax)
    _date_axis(ax, [r[0] for r in days])
    ax.set_ylim(0, 1)
    ax.set_ylabel("share without a region")
    ax.set_title(title, fontsize=10)
    if ax.get_legend_handles_labels()[0]:  # a single day draws no line
        ax.legend(fontsize=7, ncols=2, loc="upper left")
    ax.grid(alpha=0.3)
    return _png(fig)


# mart -> (question, chart). The velocity chart is drawn for both velocity marts: fct_download_velocity's is
# drawn when the daily models are built, before fct_velocity_overtakes is rebuilt for them (its overtakes are
# then marked only if the mart already covers the same last day); fct_velocity_overtakes' is drawn after it.

def trajectories_chart(con, limit: int = 6) -> bytes:
    """Cumulative releases per month of the organisations that grew fastest since DeepSeek-R1
    (fct_organization_milestones.growth_rank_since_r1), coloured in rank order, R1 marked."""
    title = "Cumulative releases of the fastest-growing organisations since DeepSeek-R1"
    if not _has_relation(con, "marts", "fct_organization_milestones"):
        return message_chart(title, "marts.fct_organization_milestones is not built yet")
    rows = con.execute(
        """
        select trajectories.organization, milestones.region, milestones.releases_since_r1,
               trajectories.month_end, trajectories.cumulative_releases
        from marts.fct_organization_trajectories as trajectories
        inner join (
            select organization, region, releases_since_r1, growth_rank_since_r1
            from marts.fct_organization_milestones
            where growth_rank_since_r1 is not null
            order by growth_rank_since_r1, organization limit ?
        ) as milestones on trajectories.organization = milestones.organization
        order by milestones.growth_rank_since_r1, trajectories.organization, trajectories.month_start
        """,
        [limit],
    ).fetchall()
    if not rows:
        return message_chart(title, "no organisation released a model since R1 in this history")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    series: dict[tuple, list[tuple]] = {}
    for organization, region, since, month_end, cumulative in rows:
        series.setdefault((organization, region, since), []).append((month_end, cumulative))
    for index, ((organization, region, since), points) in enumerate(series.items()):
        ax.step([d for d, _ in points], [v for _, v in points], where="post", linewidth=1.5,
                label=f"{index + 1}. {organization} ({region}; +{since:,} since R1)")
    for threshold in (10, 100):
        ax.axhline(threshold, color="#999999", linewidth=0.8, linestyle=":")
    _mark_r1(ax)
    _date_axis(ax, [r[3] for r in rows])
    ax.set_title(title)
    ax.set_ylabel("releases, cumulative (month end)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


# ------------------------------------------------------------------------------------------ the claims
# Each draws its mart's own columns (shares and counts computed once, in dbt): selected and pivoted, never
# recomputed here.

LICENSE_FAMILIES = ("permissive", "copyleft", "restricted", "unknown")
LICENSE_COLOURS = {"permissive": "#2ca02c", "copyleft": "#1f77b4", "restricted": "#d62728", "unknown": "#bbbbbb"}
RANKING_MEASURES = {"likes": "likes", "downloads_30d": "30-day downloads"}


def _month_bars(ax, stacks: dict[str, dict], colours: dict[str, str]) -> None:
    """Stacked monthly bars: stacks = {series: {month_start: value}}, in the order given."""
    months = sorted({m for values in stacks.values() for m in values})
    bottom = dict.fromkeys(months, 0.0)
    for name, values in stacks.items():
        heights = [values.get(m) or 0.0 for m in months]
        ax.bar(months, heights, bottom=[bottom[m] for m in months], width=24, align="edge", label=name,
               color=colours[name], linewidth=0)
        for month, height in zip(months, heights, strict=True):
            bottom[month] += height


def _ordered(names) -> list[str]:
    order = list(REGION_COLOURS)
    return sorted(set(names), key=lambda n: (order.index(n) if n in order else len(order), n))


def rankings_chart(con, top_n: int = 10) -> bytes:
    """Each region's share of the top-`top_n` places of each release month's cohort (fct_rankings.share_of_top,
    period_type release_month), ranked by likes and by 30-day downloads, one panel each, R1 marked."""
    title = f"Share of the top-{top_n} places by region, models ranked within their release month"
    if not _has_relation(con, "marts", "fct_rankings"):
        return message_chart(title, "marts.fct_rankings is not built yet")
    rows = con.execute(
        "select ranking_measure, region, period_start, share_of_top from marts.fct_rankings "
        "where period_type = 'release_month' and top_n = ? order by ranking_measure, region, period_start",
        [top_n],
    ).fetchall()
    if not rows:
        return message_chart(title, "no ranked release in this history yet")
    plt = _pyplot()
    measures = [m for m in RANKING_MEASURES if any(r[0] == m for r in rows)]
    fig, axes = plt.subplots(len(measures), 1, figsize=(9, 3.2 * len(measures)), sharex=True, squeeze=False)
    regions = _ordered(r[1] for r in rows)
    colours = {region: _colour(region, index) for index, region in enumerate(regions)}
    for ax, measure in zip(axes[:, 0], measures, strict=True):
        stacks: dict[str, dict] = {region: {} for region in regions}
        for _measure, region, month, share in (r for r in rows if r[0] == measure):
            stacks[region][month] = share
        _month_bars(ax, {r: v for r, v in stacks.items() if v}, colours)
        ax.set_ylim(0, 1)
        ax.set_ylabel("share of the top places", fontsize=8)
        ax.set_title(f"ranked by {RANKING_MEASURES[measure]} (latest snapshot)", fontsize=10)
        ax.grid(alpha=0.3, axis="y")
        _mark_r1(ax)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), fontsize=8, ncols=len(regions), loc="upper center",
               bbox_to_anchor=(0.5, 0.955), frameon=False)
    _date_axis(axes[-1, 0], [r[2] for r in rows])
    fig.suptitle(title)
    return _png(fig)


def licences_chart(con, limit: int = 4) -> bytes:
    """The monthly share of releases by licence family (fct_release_licences.release_share), one panel per
    region (the first `limit` classified regions in the house order; the unattributed ones only when no region
    is classified), R1 marked: the months before and since R1 side by side."""
    title = "Share of releases by licence family, per region and release month"
    if not _has_relation(con, "marts", "fct_release_licences"):
        return message_chart(title, "marts.fct_release_licences is not built yet")
    rows = con.execute(
        "select region, month_start, license_family, release_share from marts.fct_release_licences "
        "where release_share is not null order by region, month_start, license_family"
    ).fetchall()
    if not rows:
        return message_chart(title, "no release in this history yet")
    present = _ordered(r[0] for r in rows)
    regions = [r for r in present if r not in NOT_REGIONS][:limit] or present[:limit]
    plt = _pyplot()
    fig, axes = plt.subplots(len(regions), 1, figsize=(9, 2.4 * len(regions) + 0.6), sharex=True, squeeze=False)
    for ax, region in zip(axes[:, 0], regions, strict=True):
        stacks: dict[str, dict] = {family: {} for family in LICENSE_FAMILIES}
        for _region, month, family, share in (r for r in rows if r[0] == region):
            stacks.setdefault(family, {})[month] = share
        colours = {f: LICENSE_COLOURS.get(f, FALLBACK_COLOURS[i % len(FALLBACK_COLOURS)])
                   for i, f in enumerate(stacks)}
        _month_bars(ax, stacks, colours)
        ax.set_ylim(0, 1)
        ax.set_ylabel(region, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
        _mark_r1(ax)
    handles = [plt.Rectangle((0, 0), 1, 1, color=LICENSE_COLOURS[f]) for f in LICENSE_FAMILIES]
    fig.legend(handles, LICENSE_FAMILIES, fontsize=8, ncols=4, loc="upper center", bbox_to_anchor=(0.5, 0.955),
               frameon=False)
    _date_axis(axes[-1, 0], [r[1] for r in rows])
    fig.suptitle(title)
    return _png(fig)


def languages_chart(con) -> bytes:
    """The monthly share of releases declaring a language beyond English, per region
    (fct_release_languages.share_beyond_english), R1 marked."""
    title = "Share of releases declaring languages beyond English, per region and release month"
    if not _has_relation(con, "marts", "fct_release_languages"):
        return message_chart(title, "marts.fct_release_languages is not built yet")
    rows = con.execute(
        "select region, month_start, share_beyond_english from marts.fct_release_languages "
        "where share_beyond_english is not null order by region, month_start"
    ).fetchall()
    if not rows:
        return message_chart(title, "no release in this history yet")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    series = _series(rows)
    for index, region in enumerate(_ordered(series)):
        points = series[region]
        ax.plot([d for d, _ in points], [v for _, v in points], label=region, color=_colour(region, index),
                marker="o", markersize=3, linewidth=1.5)
    _mark_r1(ax)
    _date_axis(ax, [r[1] for r in rows])
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("share of the month's releases")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, ncols=3)
    ax.grid(alpha=0.3)
    return _png(fig)


CHARTS: dict[str, tuple[str, Callable]] = {
    "fct_release_cadence": ("release cadence", release_cadence_chart),
    "fct_download_velocity": ("download velocity", download_velocity_chart),
    "fct_velocity_overtakes": ("download velocity", download_velocity_chart),
    "fct_ecosystem_vs_benchmark": ("ecosystem vs benchmark", ecosystem_vs_benchmark_chart),
    "fct_derivatives": ("derivatives", derivatives_chart),
    "fct_supply_chain": ("supply chain", supply_chain_chart),
    "fct_attribution_coverage": ("attribution coverage", attribution_coverage_chart),
    "fct_organization_trajectories": ("trajectories", trajectories_chart),
    "fct_rankings": ("rankings", rankings_chart),
    "fct_release_licences": ("licences", licences_chart),
    "fct_release_languages": ("languages", languages_chart),
}


def render_mart_chart(con, mart: str, out_dir: Path | None = None) -> tuple[bytes, Path | None] | None:
    """Draw the chart of `mart` (None if it has no chart; a PNG saying why when there is nothing to draw);
    write it to out_dir if given."""
    if mart not in CHARTS:
        return None
    png = CHARTS[mart][1](con)
    if png is None:
        return None
    path = None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{mart}.png"
        tmp = path.with_suffix(".png.tmp")
        tmp.write_bytes(png)
        tmp.replace(path)
    return png, path


def chart_markdown(png: bytes, title: str) -> str:
    """Markdown that shows the PNG inline (the Dagster UI renders data-URI images in Markdown metadata)."""
    return f"![{title}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
