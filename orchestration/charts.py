"""One PNG chart per question of the SPEC, drawn from the marts and shown in the Dagster UI.

Each chart belongs to the mart that answers its question; `render_mart_chart` draws it from an open DuckDB
connection (the warehouse, after dbt has finished writing, or the published copy) and returns the PNG bytes,
or None when the mart holds nothing to draw yet. `chart_markdown` embeds the PNG in a Markdown metadata value,
which the asset's materialization shows inline.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

from orchestration import settings
from orchestration.summary import overtakes

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


def _date_axis(ax) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _series(rows) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for name, day, value in rows:
        out.setdefault(name, []).append((day, value))
    return out


def release_cadence_chart(con) -> bytes | None:
    """Weekly releases by region, DeepSeek-R1 marked."""
    rows = con.execute(
        "select entity_id, week_start, releases from marts.fct_release_cadence "
        "where entity_type = 'region' order by entity_id, week_start"
    ).fetchall()
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    for index, (region, points) in enumerate(sorted(_series(rows).items())):
        ax.plot([d for d, _ in points], [v for _, v in points], label=region, color=_colour(region, index),
                linewidth=1.5)
    _mark_r1(ax)
    _date_axis(ax)
    ax.set_title("Releases per week by region")
    ax.set_ylabel("new model repos")
    ax.legend(fontsize=8, ncols=3)
    ax.grid(alpha=0.3)
    return _png(fig)


def download_velocity_chart(con) -> bytes | None:
    """28-day download velocity by region, with the day one region overtook another marked."""
    rows = con.execute(
        "select entity_id, metric_date, velocity_28d from marts.fct_download_velocity "
        "where entity_type = 'region' and velocity_28d is not null order by entity_id, metric_date"
    ).fetchall()
    if not rows:
        return None
    series = _series(rows)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    for index, (region, points) in enumerate(sorted(series.items())):
        ax.plot([d for d, _ in points], [v / 1e6 for _, v in points], label=region,
                color=_colour(region, index), linewidth=1.5)
    # Mark crossovers among the three largest regions only (small ones cross each other all the time).
    peaks = sorted(series, key=lambda region: max(v for _, v in series[region]), reverse=True)[:3]
    major = {region: series[region] for region in peaks}
    for leader, behind, day, value, _other in overtakes(major):
        ax.scatter([day], [value / 1e6], color="black", zorder=5, s=25)
        ax.annotate(f"{leader} overtakes {behind}\n{day}", (day, value / 1e6), xytext=(6, 6),
                    textcoords="offset points", fontsize=8)
    _mark_r1(ax)
    _date_axis(ax)
    ax.set_title("28-day download velocity by region")
    ax.set_ylabel("downloads in 28 days (millions)")
    ax.legend(fontsize=8, ncols=3, loc="upper left")
    ax.grid(alpha=0.3)
    return _png(fig)


def ecosystem_vs_benchmark_chart(con) -> bytes | None:
    """Benchmark rank against ecosystem rank per organisation in the latest ranked month, and the monthly
    rank correlation over time."""
    latest = con.execute(
        "select max(month_start) from marts.fct_ecosystem_vs_benchmark "
        "where benchmark_rank is not null and ecosystem_rank is not null"
    ).fetchone()[0]
    if latest is None:
        return None
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
        _date_axis(right)
    right.set_ylim(-1.05, 1.05)
    right.set_title("Do benchmark ranks predict adoption? (Spearman, monthly)")
    right.grid(alpha=0.3)
    return _png(fig)


def derivatives_chart(con, limit: int = 15) -> bytes | None:
    """The base models with the most derivatives within 6 weeks of release, coloured by the base's region."""
    rows = con.execute(
        "select coalesce(base_repo_id, base_model_id), coalesce(region, 'unclassified'), derivatives_within_42_days, "
        "days_to_first_derivative from marts.fct_derivatives "
        "where derivatives_within_42_days > 0 "
        "order by derivatives_within_42_days desc, base_repo_id, base_model_id limit ?",
        [limit],
    ).fetchall()
    if not rows:
        return None
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


def supply_chain_chart(con) -> bytes | None:
    """Child region x base region: new derivatives in the latest month, and the cross-region share by month."""
    latest = con.execute("select max(month_start) from marts.fct_supply_chain").fetchone()[0]
    if latest is None:
        return None
    cells = con.execute(
        "select child_region, base_region, sum(new_derivatives) from marts.fct_supply_chain "
        "where month_start = ? group by all",
        [latest],
    ).fetchall()
    shares = con.execute(
        "select month_start, sum(new_derivatives) filter (where is_cross_region) / nullif(sum(new_derivatives), 0) "
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
    points = [(m, s) for m, s in shares if s is not None]
    if points:
        right.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#444444")
        _mark_r1(right)
        _date_axis(right)
    right.set_ylim(0, 1)
    right.set_title("Share of new derivatives built on another region's base")
    right.grid(alpha=0.3)
    return _png(fig)


# mart -> (question, chart)
CHARTS: dict[str, tuple[str, Callable]] = {
    "fct_release_cadence": ("release cadence", release_cadence_chart),
    "fct_download_velocity": ("download velocity", download_velocity_chart),
    "fct_ecosystem_vs_benchmark": ("ecosystem vs benchmark", ecosystem_vs_benchmark_chart),
    "fct_derivatives": ("derivatives", derivatives_chart),
    "fct_supply_chain": ("supply chain", supply_chain_chart),
}


def render_mart_chart(con, mart: str, out_dir: Path | None = None) -> tuple[bytes, Path | None] | None:
    """Draw the chart of `mart` (None if it has no chart or nothing to draw); write it to out_dir if given."""
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
