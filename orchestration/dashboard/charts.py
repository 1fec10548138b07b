"""Altair charts of the dashboard: pure builders from frames to `alt.Chart`, one per view.

Every time axis is UTC (the marts' dates are UTC dates), regions keep one colour everywhere, and time charts
mark DeepSeek-R1's release (`settings.R1_RELEASE_DATE`) when it falls inside the plotted range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import altair as alt
import pandas as pd

from orchestration.dashboard.metrics import R1_DATE, ordered_regions

# The regions keep the colours of the Dagster UI's PNG charts, so every chart reads the same way.
from orchestration.dbt.charts import REGION_COLOURS

RELATION_COLOURS = {
    "original": "#4c78a8",
    "finetune": "#f58518",
    "quantized": "#54a24b",
    "adapter": "#b279a2",
    "merge": "#e45756",
}
_UTC = alt.Scale(type="utc")
_DAY = "utcyearmonthdate"
_MONTH = "utcyearmonth"


def region_scale(regions: Sequence[str]) -> alt.Scale:
    """A colour scale with each region's house colour (other names in a categorical palette)."""
    domain = ordered_regions(regions)
    palette = ["#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#aec7e8"]
    colours = [REGION_COLOURS.get(r) or palette[i % len(palette)] for i, r in enumerate(domain)]
    return alt.Scale(domain=domain, range=colours)


def relation_scale(relations: Sequence[str]) -> alt.Scale:
    """A colour scale with each relation type's colour."""
    domain = [r for r in RELATION_COLOURS if r in set(relations)]
    return alt.Scale(domain=domain, range=[RELATION_COLOURS[r] for r in domain])


def _within(day: dt.date, first, last) -> bool:
    if first is None or last is None or pd.isna(first) or pd.isna(last):
        return False
    return pd.Timestamp(first).date() <= day <= pd.Timestamp(last).date()


def date_marker(day: dt.date, label: str, *, colour: str = "#444444", dash: Sequence[int] = (5, 4),
                align: str = "left") -> alt.LayerChart:
    """A vertical rule at `day` with a label at the top of the plot."""
    frame = pd.DataFrame({"day": [pd.Timestamp(day)], "label": [label]})
    base = alt.Chart(frame)
    rule = base.mark_rule(color=colour, strokeDash=list(dash), strokeWidth=1.5).encode(
        x=alt.X("day:T", scale=_UTC), tooltip=[alt.Tooltip(f"{_DAY}(day):T", title=label)]
    )
    text = base.mark_text(align=align, dx=4 if align == "left" else -4, dy=0, baseline="top", color=colour,
                          fontSize=11).encode(x=alt.X("day:T", scale=_UTC), y=alt.value(2), text="label:N")
    return rule + text


def r1_marker(first, last) -> list[alt.LayerChart]:
    """DeepSeek-R1's rule when its date lies in [first, last] (a list to splat into a layer)."""
    return [date_marker(R1_DATE, "DeepSeek-R1")] if _within(R1_DATE, first, last) else []


def time_axis(first, last, *, mondays: bool = False, **kwargs) -> alt.Axis:
    """A UTC date axis: days for a span of up to four months (each Monday when `mondays`), else months."""
    span = (pd.Timestamp(last) - pd.Timestamp(first)).days if first is not None and last is not None else 0
    if span > 120:
        return alt.Axis(format="%Y-%m", tickCount="month", labelOverlap=True, **kwargs)
    if mondays:
        ticks = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="W-MON")
        values = [int(t.value // 1_000_000) for t in ticks]  # epoch milliseconds, what a UTC scale takes
        return alt.Axis(format="%b %d", values=values, labelOverlap=True, **kwargs)
    return alt.Axis(format="%b %d", labelOverlap=True, **kwargs)


def _finish(chart, height: int | alt.Step):
    """Set the height (pixels, or a step per band of a discrete axis) and the shared look."""
    return chart.properties(height=height).configure_legend(orient="bottom", title=None).configure_view(
        strokeWidth=0)


# ------------------------------------------------------------------------------------------ 1. cadence


def weekly_bars(frame: pd.DataFrame, colour_field: str, scale: alt.Scale | None = None, *, height: int = 320):
    """Stacked weekly release bars, one colour per `colour_field` value (regions in their house colours)."""
    if scale is None and colour_field == "region":
        scale = region_scale(frame["region"].unique())
    frame = frame.assign(week_end=frame["week_start"] + pd.Timedelta(days=7))
    first, last = frame["week_start"].min(), frame["week_end"].max()
    bars = alt.Chart(frame).mark_bar(stroke="white", strokeWidth=0.6).encode(
        x=alt.X("week_start:T", scale=_UTC, title="week (Monday)", axis=time_axis(first, last, mondays=True)),
        x2="week_end:T",
        y=alt.Y("sum(releases):Q", title="releases per week"),
        color=alt.Color(f"{colour_field}:N", scale=scale if scale is not None else alt.Undefined),
        order=alt.Order(f"{colour_field}:N"),
        tooltip=[
            alt.Tooltip(f"{_DAY}(week_start):T", title="week of"),
            alt.Tooltip(f"{colour_field}:N"),
            alt.Tooltip("releases:Q", format=","),
        ],
    )
    return _finish(alt.layer(bars, *r1_marker(first, last)), height)


def cadence_heatmap(frame: pd.DataFrame, order: Sequence[str], *, height: int | None = None):
    """Organisation x week heat map of releases (a contribution graph per organisation)."""
    frame = frame.assign(week_end=frame["week_start"] + pd.Timedelta(days=7))
    first, last = frame["week_start"].min(), frame["week_end"].max()
    cells = alt.Chart(frame).mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("week_start:T", scale=_UTC, title="week (Monday)", axis=time_axis(first, last, mondays=True)),
        x2="week_end:T",
        y=alt.Y("organization:N", sort=list(order), title=None, axis=alt.Axis(labelLimit=220)),
        color=alt.condition(
            "datum.releases > 0",
            alt.Color("releases:Q", scale=alt.Scale(scheme="blues", domainMin=0), title="releases"),
            alt.value("#eeeeee"),
        ),
        tooltip=[
            alt.Tooltip("organization:N"),
            alt.Tooltip(f"{_DAY}(week_start):T", title="week of"),
            alt.Tooltip("releases:Q"),
        ],
    )
    return _finish(alt.layer(cells, *r1_marker(first, last)), height or alt.Step(20))


# ----------------------------------------------------------------------------------------- 2. velocity


MEASURE_TITLES = {
    "velocity_28d": "28-day velocity (downloads over 28 days)",
    "velocity_7d": "7-day velocity (downloads over 7 days)",
    "share_of_total": "share of the tracked 28-day velocity",
    "daily_downloads": "daily downloads",
    "downloads_30d": "reported 30-day downloads (the Hub's own count)",
    "share_of_total_downloads_30d": "share of the reported 30-day downloads",
}
SHARES = ("share_of_total", "share_of_total_downloads_30d")


def shaded_span(first: dt.date, last: dt.date, label: str) -> alt.LayerChart:
    """A light band over [first, last] with a label at its top left."""
    frame = pd.DataFrame({"first": [pd.Timestamp(first)], "last": [pd.Timestamp(last)], "label": [label]})
    base = alt.Chart(frame)
    band = base.mark_rect(color="#888888", opacity=0.12).encode(
        x=alt.X("first:T", scale=_UTC), x2="last:T", tooltip=[alt.Tooltip("label:N", title="note")])
    text = base.mark_text(align="left", baseline="bottom", dx=4, color="#666666", fontSize=10).encode(
        x=alt.X("first:T", scale=_UTC), y=alt.value(-4), text="label:N")
    return band + text


def velocity_lines(series: pd.DataFrame, measure: str, *, crossover: tuple[dt.date, str] | None = None,
                   filling_until: dt.date | None = None, height: int = 360):
    """One line per region of the chosen measure, R1 and the headline crossover marked; the days whose
    window is not yet full (`filling_until`, from the first snapshot) shaded."""
    percent = measure in SHARES
    share = "share_of_total_downloads_30d" if measure in ("downloads_30d", "share_of_total_downloads_30d") \
        else "share_of_total"
    first, last = series["metric_date"].min(), series["metric_date"].max()
    lines = alt.Chart(series).mark_line(strokeWidth=2).encode(
        x=alt.X("metric_date:T", scale=_UTC, title=None, axis=time_axis(first, last)),
        y=alt.Y(f"{measure}:Q", title=MEASURE_TITLES[measure],
                axis=alt.Axis(format=".0%" if percent else "~s")),
        color=alt.Color("region:N", scale=region_scale(series["region"].unique())),
        tooltip=[
            alt.Tooltip(f"{_DAY}(metric_date):T", title="day"),
            alt.Tooltip("region:N"),
            alt.Tooltip(f"{measure}:Q", format=".1%" if percent else ",.0f"),
            alt.Tooltip(f"{share}:Q", format=".1%", title="share of total"),
        ],
    )
    layers = [lines, *r1_marker(first, last)]
    if filling_until is not None and pd.Timestamp(first).date() < filling_until:
        until = min(filling_until, pd.Timestamp(last).date())
        layers.insert(0, shaded_span(pd.Timestamp(first).date(), until, "window still filling"))
    if crossover is not None and _within(crossover[0], first, last):
        layers.append(date_marker(crossover[0], crossover[1], colour="#d62728", dash=(2, 2), align="right"))
    return _finish(alt.layer(*layers), height)


def movers_bars(movers: pd.DataFrame, *, height: int | None = None):
    """Horizontal bars of the top movers' acceleration, coloured by region."""
    order = list(movers["name"])
    bars = alt.Chart(movers).mark_bar().encode(
        x=alt.X("acceleration:Q", title="acceleration: 7-day velocity minus a week earlier",
                axis=alt.Axis(format="~s")),
        y=alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=300, labelOverlap=False)),
        color=alt.Color("region:N", scale=region_scale(movers["region"].dropna().unique())),
        tooltip=[
            alt.Tooltip("name:N"),
            alt.Tooltip("organization:N"),
            alt.Tooltip("region:N"),
            alt.Tooltip("velocity_7d:Q", format=",.0f", title="7-day velocity"),
            alt.Tooltip("previous_velocity_7d:Q", format=",.0f", title="a week earlier"),
            alt.Tooltip("acceleration:Q", format="+,.0f"),
            alt.Tooltip("growth:Q", format="+.0%"),
        ],
    )
    return _finish(bars, height or alt.Step(22))


# ------------------------------------------------------------------------------- 3. ecosystem vs benchmark


def rank_scatter(month_rows: pd.DataFrame, labelled: Sequence[str], *, height: int = 460):
    """Benchmark rank (x) against ecosystem rank (y), 1 = best at the top right; the diagonal is 'adopted
    as its benchmarks predict', points above it are adopted beyond their benchmarks (positive gap)."""
    n = max(2.0, float(month_rows[["benchmark_rank", "ecosystem_rank"]].max().max()))
    scale = alt.Scale(domain=[n + 0.5, 0.5], nice=False)
    diagonal = alt.Chart(pd.DataFrame({"a": [0.5, n + 0.5]})).mark_line(
        color="#999999", strokeDash=[4, 4]).encode(x=alt.X("a:Q", scale=scale), y=alt.Y("a:Q", scale=scale))
    base = alt.Chart(month_rows)
    points = base.mark_circle(size=90, opacity=0.85, stroke="white", strokeWidth=0.5).encode(
        x=alt.X("benchmark_rank:Q", scale=scale, title="benchmark rank (1 = best score)"),
        y=alt.Y("ecosystem_rank:Q", scale=scale, title="ecosystem rank (1 = most downloaded)"),
        color=alt.Color("region:N", scale=region_scale(month_rows["region"].unique())),
        tooltip=[
            alt.Tooltip("organization:N"),
            alt.Tooltip("region:N"),
            alt.Tooltip("benchmark_score:Q", format=".1f", title="best benchmark score"),
            alt.Tooltip("benchmark_rank:Q", format=".1f"),
            alt.Tooltip("ecosystem_score:Q", format=".2%", title="share of downloads"),
            alt.Tooltip("ecosystem_rank:Q", format=".1f"),
            alt.Tooltip("rank_gap:Q", format="+.1f", title="gap (benchmark - ecosystem rank)"),
        ],
    )
    labels = base.transform_filter(alt.FieldOneOfPredicate(field="organization", oneOf=list(labelled))).mark_text(
        align="left", dx=7, dy=-6, fontSize=11, color="#333333").encode(
        x=alt.X("benchmark_rank:Q", scale=scale), y=alt.Y("ecosystem_rank:Q", scale=scale), text="organization:N")
    return _finish(alt.layer(diagonal, points, labels), height)


def correlation_line(correlation: pd.DataFrame, month: dt.date, *, height: int = 300):
    """Spearman rank correlation per month, zero and R1 marked, the chosen month highlighted."""
    frame = correlation.assign(month_start=pd.to_datetime(correlation["month_start"]))
    frame = frame.assign(chosen=frame["month_start"].dt.date == month)
    base = alt.Chart(frame)
    x = alt.X("month_start:T", scale=_UTC, title=None,
              axis=alt.Axis(format="%Y-%m", tickCount="month", labelOverlap=True))
    y = alt.Y("spearman_rank_correlation:Q", scale=alt.Scale(domain=[-1, 1]), title="Spearman rank correlation")
    tooltip = [alt.Tooltip(f"{_MONTH}(month_start):T", title="month"),
               alt.Tooltip("spearman_rank_correlation:Q", format=".2f", title="Spearman"),
               alt.Tooltip("organizations_ranked:Q", title="organisations ranked")]
    line = base.mark_line(color="#4c78a8").encode(x=x, y=y)
    points = base.mark_point(filled=True).encode(
        x=x, y=y, tooltip=tooltip,
        size=alt.condition("datum.chosen", alt.value(160), alt.value(40)),
        color=alt.condition("datum.chosen", alt.value("#d62728"), alt.value("#4c78a8")),
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#999999").encode(y="y:Q")
    first, last = frame["month_start"].min(), frame["month_start"].max()
    return _finish(alt.layer(zero, line, points, *r1_marker(first, last)), height)


# ------------------------------------------------------------------------------------------ 4. derivatives


def adoption_bars(top: pd.DataFrame, *, height: int | None = None):
    """Derivatives within 6 weeks of release for the fastest-adopted bases, coloured by region."""
    order = list(top["base_repo_id"])
    bars = alt.Chart(top).mark_bar().encode(
        x=alt.X("derivatives_within_42_days:Q", title="derivatives created within 6 weeks (42 days) of release",
                axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("base_repo_id:N", sort=order, title=None, axis=alt.Axis(labelLimit=340, labelOverlap=False)),
        color=alt.Color("region:N", scale=region_scale(top["region"].unique())),
        tooltip=[
            alt.Tooltip("base_repo_id:N", title="base model"),
            alt.Tooltip("region:N"),
            alt.Tooltip(f"{_DAY}(release_date):T", title="released"),
            alt.Tooltip("days_to_first_derivative:Q", title="days to first derivative"),
            alt.Tooltip("derivatives_within_42_days:Q", title="within 6 weeks"),
            alt.Tooltip("derivatives:Q", title="all derivatives"),
            alt.Tooltip("share_by_other_organizations:Q", format=".0%", title="built by others"),
        ],
    )
    return _finish(bars, height or alt.Step(22))


def days_histogram(bases: pd.DataFrame, *, cap: int = 42, height: int = 280):
    """How many bases got their first derivative after 0, 1, 2, ... days (the last bar: `cap`+ days)."""
    frame = bases.dropna(subset=["days_to_first_derivative"]).copy()
    days = frame["days_to_first_derivative"].astype(int)
    frame["days"] = days.clip(lower=0, upper=cap)
    counts = frame.groupby(["days", "region"], as_index=False).size().rename(columns={"size": "bases"})
    bars = alt.Chart(counts).mark_bar().encode(
        x=alt.X("days:O", title=f"days from release to the first derivative ({cap} = {cap} or more)",
                scale=alt.Scale(domain=list(range(cap + 1)))),
        y=alt.Y("sum(bases):Q", title="base models", axis=alt.Axis(format="d", tickMinStep=1)),
        color=alt.Color("region:N", scale=region_scale(counts["region"].unique())),
        tooltip=[alt.Tooltip("days:O"), alt.Tooltip("region:N"), alt.Tooltip("bases:Q")],
    )
    return _finish(bars, height)


def base_organization_bars(long: pd.DataFrame, *, height: int | None = None):
    """Derivatives per base organisation, stacked by relation type."""
    order = list(dict.fromkeys(long.sort_values(["total", "organization"], ascending=[False, True])["organization"]))
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("sum(derivatives):Q", title="derivatives of their base models", axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("organization:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)),
        color=alt.Color("relation:N", scale=relation_scale(long["relation"].unique())),
        tooltip=[alt.Tooltip("organization:N"), alt.Tooltip("region:N"), alt.Tooltip("relation:N"),
                 alt.Tooltip("derivatives:Q")],
    )
    return _finish(bars, height or alt.Step(22))


# ---------------------------------------------------------------------------------------- 5. supply chain


def supply_heatmap(matrix: pd.DataFrame, measure_title: str, *, height: int | None = None):
    """Builder region (rows) x base region (columns), the value written in each cell."""
    long = matrix.reset_index().melt(id_vars="child_region", var_name="base_region", value_name="value")
    rows, columns = list(matrix.index), list(matrix.columns)
    base = alt.Chart(long)
    x = alt.X("base_region:N", sort=columns, title="base model's region", axis=alt.Axis(orient="top", labelAngle=0))
    y = alt.Y("child_region:N", sort=rows, title="builder's region")
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=y, color=alt.Color("value:Q", scale=alt.Scale(scheme="oranges", domainMin=0), title=measure_title),
        tooltip=[alt.Tooltip("child_region:N", title="builder region"), alt.Tooltip("base_region:N", title="base region"),
                 alt.Tooltip("value:Q", format=",.0f", title=measure_title)],
    )
    top = float(long["value"].max() or 0)
    text = base.mark_text(fontSize=13).encode(
        x=x, y=y, text=alt.Text("value:Q", format=",.0f"),
        color=alt.condition(f"datum.value > {top * 0.55}", alt.value("white"), alt.value("#222222")),
    )
    return _finish(alt.layer(cells, text), height or alt.Step(44))


def supply_bars(by_base: pd.DataFrame, measure_title: str, *, height: int = 300):
    """Per month, the measure stacked by base region."""
    bars = alt.Chart(by_base).mark_bar().encode(
        x=alt.X(f"{_MONTH}(month_start):T", scale=_UTC, title=None,
                axis=alt.Axis(format="%Y-%m", tickCount="month", labelOverlap=True)),
        y=alt.Y("sum(value):Q", title=measure_title, axis=alt.Axis(format="~s")),
        color=alt.Color("base_region:N", scale=region_scale(by_base["base_region"].unique()), title="base region"),
        order=alt.Order("base_region:N"),
        tooltip=[alt.Tooltip(f"{_MONTH}(month_start):T", title="month"), alt.Tooltip("base_region:N"),
                 alt.Tooltip("sum(value):Q", format=",.0f", title=measure_title)],
    )
    first = by_base["month_start"].min()
    last = by_base["month_start"].max() + pd.offsets.MonthEnd(0) if len(by_base) else None
    return _finish(alt.layer(bars, *r1_marker(first, last)), height)


def cross_share_line(shares: pd.DataFrame, *, height: int = 220):
    """Per month, the share of the classified pairs' measure that crosses regions, and (dotted, grey) the share
    of the whole measure with a builder or base without a region."""
    frame = shares.assign(month_start=pd.to_datetime(shares["month_start"]))
    x = alt.X(f"{_MONTH}(month_start):T", scale=_UTC, title=None,
              axis=alt.Axis(format="%Y-%m", tickCount="month", labelOverlap=True))
    line = alt.Chart(frame).mark_line(point=True, color="#e45756").encode(
        x=x,
        y=alt.Y("cross_region_share:Q", title="share", axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip(f"{_MONTH}(month_start):T", title="month"),
                 alt.Tooltip("cross_region_share:Q", format=".1%", title="cross-region share (classified pairs)")],
    )
    layers = [line]
    if "unattributed_share" in frame:
        layers.append(alt.Chart(frame).mark_line(point=True, color="#7f7f7f", strokeDash=[4, 3]).encode(
            x=x, y=alt.Y("unattributed_share:Q"),
            tooltip=[alt.Tooltip(f"{_MONTH}(month_start):T", title="month"),
                     alt.Tooltip("unattributed_share:Q", format=".1%", title="without a region")],
        ))
    first, last = frame["month_start"].min(), frame["month_start"].max()
    return _finish(alt.layer(*layers, *r1_marker(first, last)), height)


# ------------------------------------------------------------------------------------------ 6. trajectories


def cumulative_lines(trajectories: pd.DataFrame, measure: str, title: str, order: Sequence[str], *,
                     height: int = 380):
    """One step line per organisation: `measure` (a cumulative count) at each month's end, R1 marked."""
    frame = trajectories.assign(month_end=pd.to_datetime(trajectories["month_end"]))
    first, last = frame["month_end"].min(), frame["month_end"].max()
    lines = alt.Chart(frame).mark_line(interpolate="step-before", strokeWidth=2).encode(
        x=alt.X("month_end:T", scale=_UTC, title="month end", axis=time_axis(first, last)),
        y=alt.Y(f"{measure}:Q", title=title),
        color=alt.Color("organization:N", sort=list(order), title=None),
        tooltip=[
            alt.Tooltip("organization:N", title="organisation"),
            alt.Tooltip("region:N"),
            alt.Tooltip(f"{_MONTH}(month_start):T", title="month"),
            alt.Tooltip(f"{measure}:Q", format=",", title=title),
        ],
    )
    return _finish(alt.layer(lines, *r1_marker(first, last)), height)


def growth_bars(top: pd.DataFrame, *, height: int | None = None):
    """Releases before and since R1 of the fastest-growing organisations, stacked, in growth order."""
    order = list(top["organization"])
    long = top[["organization", "region", "releases_before_r1", "releases_since_r1"]].melt(
        id_vars=["organization", "region"], var_name="period", value_name="releases")
    long["period"] = long["period"].map({"releases_before_r1": "before R1", "releases_since_r1": "since R1"})
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("sum(releases):Q", title="releases", axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("organization:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)),
        color=alt.Color("period:N", scale=alt.Scale(domain=["before R1", "since R1"], range=["#9ecae1", "#d62728"])),
        order=alt.Order("period:N"),
        tooltip=[alt.Tooltip("organization:N", title="organisation"), alt.Tooltip("region:N"),
                 alt.Tooltip("period:N"), alt.Tooltip("releases:Q", format=",")],
    )
    return _finish(bars, height or alt.Step(22))


# ------------------------------------------------------------------------------------------ 7. claims

LICENSE_COLOURS = {"permissive": "#2ca02c", "copyleft": "#1f77b4", "restricted": "#d62728", "unknown": "#bbbbbb"}


def share_of_top_bars(rankings: pd.DataFrame, n: int, *, height: int = 320):
    """Each region's share of the top-n places per period (the mart's share_of_top), stacked, R1 marked."""
    frame = rankings.assign(period_start=pd.to_datetime(rankings["period_start"]),
                            period_end=pd.to_datetime(rankings["period_end"]))
    first, last = frame["period_start"].min(), frame["period_end"].max()
    bars = alt.Chart(frame).mark_bar(stroke="white", strokeWidth=0.6).encode(
        x=alt.X("period_start:T", scale=_UTC, title="period", axis=time_axis(first, last)),
        x2="period_end:T",
        y=alt.Y("share_of_top:Q", title=f"share of the top-{n} places", stack="zero",
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("region:N", scale=region_scale(frame["region"].unique())),
        order=alt.Order("region:N"),
        tooltip=[
            alt.Tooltip(f"{_DAY}(period_start):T", title="period from"),
            alt.Tooltip("region:N"),
            alt.Tooltip("share_of_top:Q", format=".1%", title=f"share of the top {n}"),
            alt.Tooltip("models_in_top:Q", title=f"models in the top {n}"),
            alt.Tooltip("best_rank:Q", title="best rank"),
            alt.Tooltip("period_models:Q", format=",", title="models ranked"),
        ],
    )
    return _finish(alt.layer(bars, *r1_marker(first, last)), height)


def licence_share_bars(licences: pd.DataFrame, share: str, title: str, *, height: int = 280):
    """One region's `share` (release_share or download_share) by licence family per month, stacked, R1 marked."""
    frame = licences[licences[share].notna()]
    frame = frame.assign(month_start=pd.to_datetime(frame["month_start"]))
    frame = frame.assign(month_end=frame["month_start"] + pd.offsets.MonthBegin(1))
    first, last = frame["month_start"].min(), frame["month_end"].max()
    domain = list(LICENSE_COLOURS)
    bars = alt.Chart(frame).mark_bar(stroke="white", strokeWidth=0.6).encode(
        x=alt.X("month_start:T", scale=_UTC, title="month", axis=time_axis(first, last)),
        x2="month_end:T",
        y=alt.Y(f"{share}:Q", title=title, stack="zero", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("license_family:N", scale=alt.Scale(domain=domain, range=[LICENSE_COLOURS[f] for f in domain]),
                        title="licence family"),
        order=alt.Order("license_family:N"),
        tooltip=[
            alt.Tooltip(f"{_MONTH}(month_start):T", title="month"),
            alt.Tooltip("license_family:N", title="licence family"),
            alt.Tooltip(f"{share}:Q", format=".1%", title=title),
            alt.Tooltip("releases:Q", format=","),
            alt.Tooltip("downloads:Q", format=","),
        ],
    )
    return _finish(alt.layer(bars, *r1_marker(first, last)), height)


def beyond_english_lines(languages: pd.DataFrame, *, height: int = 320):
    """The share of each region's releases declaring languages beyond English, per month, R1 marked."""
    frame = languages.assign(month_start=pd.to_datetime(languages["month_start"]))
    first, last = frame["month_start"].min(), frame["month_start"].max()
    lines = alt.Chart(frame).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X("month_start:T", scale=_UTC, title="release month", axis=time_axis(first, last)),
        y=alt.Y("share_beyond_english:Q", title="share beyond English", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("region:N", scale=region_scale(frame["region"].unique())),
        tooltip=[
            alt.Tooltip(f"{_MONTH}(month_start):T", title="month"),
            alt.Tooltip("region:N"),
            alt.Tooltip("share_beyond_english:Q", format=".1%", title="beyond English"),
            alt.Tooltip("releases_beyond_english:Q", format=",", title="releases beyond English"),
            alt.Tooltip("releases:Q", format=","),
            alt.Tooltip("mean_languages_declared:Q", format=".1f", title="mean languages declared"),
        ],
    )
    return _finish(alt.layer(lines, *r1_marker(first, last)), height)


def family_share_bars(families: pd.DataFrame, *, height: int | None = None):
    """Download share per language family (one region's month), largest first."""
    order = list(families["language_family"])
    bars = alt.Chart(families).mark_bar(color="#4c78a8").encode(
        x=alt.X("download_share:Q", title="share of the month's downloads", axis=alt.Axis(format="%")),
        y=alt.Y("language_family:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        tooltip=[
            alt.Tooltip("language_family:N", title="language family"),
            alt.Tooltip("download_share:Q", format=".1%", title="download share"),
            alt.Tooltip("downloads:Q", format=","),
            alt.Tooltip("models:Q", format=","),
        ],
    )
    return _finish(bars, height or alt.Step(20))
