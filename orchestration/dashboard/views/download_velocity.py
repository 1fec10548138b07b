"""Question 2, download velocity: 7- and 28-day velocity by region, the day one region overtook another for
good, shares of the tracked total, and the top movers by acceleration (fct_download_velocity)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from orchestration.dashboard import charts, data, layout, metrics

release = layout.page_start(
    "Download velocity",
    "How fast are downloads moving per region, when did one region overtake another for good, and which models "
    "and organisations are accelerating?",
)
try:
    velocity = data.region_velocity(release)
except data.ServingDataError as error:
    layout.show_error(error)
regions_all = metrics.ordered_regions(velocity.loc[velocity["entity_type"] == "region", "region"].unique())
if velocity.empty or not regions_all:
    st.info("The published `fct_download_velocity` has no region rows yet.")
    st.stop()

days = velocity["metric_date"].map(metrics.as_date)
first_day, last_day = days.min(), days.max()

st.sidebar.header("Filters")
start, end = layout.date_range("Days", first_day, last_day, (first_day, last_day), key="velocity_days")
regions = layout.region_filter(regions_all, key="velocity_regions")
measure = st.sidebar.segmented_control(
    "Measure", list(charts.MEASURE_TITLES), default="velocity_28d", key="velocity_measure",
    format_func=lambda m: {"velocity_28d": "28-day", "velocity_7d": "7-day", "share_of_total": "share",
                           "daily_downloads": "daily"}[m],
    help="28-day / 7-day velocity: downloads over the 28 / 7 days ending on the day; share: a region's 28-day "
         "velocity over the tracked total's; daily: the day's downloads.",
) or "velocity_28d"

series = metrics.region_series(velocity, regions, start, end)
headline = metrics.lead(series, "velocity_28d")
shown_end = metrics.as_date(series["metric_date"].max()) if len(series) else end

# ------------------------------------------------------------------------------------------ headline
c1, c2, c3 = st.columns(3)
if headline is None:
    c1.metric("Lasting overtake", "—", border=True, help="Needs at least two regions with a 28-day velocity.")
    c2.metric("Leader's share of tracked velocity", None, border=True)
else:
    leader, runner = headline["leader"], headline["runner_up"]
    when = headline["overtook_on"]
    c1.metric(
        f"{leader} overtook {runner} for good on", when.isoformat() if when else "—", border=True,
        delta=None if when else f"{leader} led throughout", delta_arrow="off", delta_color="off",
        help="The region with the highest 28-day velocity on the last day of the range, and the first day of "
             "its lasting lead over the runner-up: the day after the last day it was behind or level "
             "(within the range).",
    )
    back = shown_end - dt.timedelta(days=28)
    share_then = series[(series["region"] == leader) & (series["metric_date"].dt.date == back)]["share_of_total"]
    share_delta = None
    if headline["leader_share"] is not None and len(share_then) and share_then.notna().all():
        share_delta = layout.points(headline["leader_share"] - float(share_then.iloc[0]))
    c2.metric(f"{leader}'s share of tracked 28-day velocity", headline["leader_share"], format="percent",
              border=True, delta=share_delta, delta_description="vs 28 days earlier" if share_delta else None,
              help=f"{leader}'s 28-day velocity over the tracked total's on {shown_end:%Y-%m-%d}.")
total = metrics.total_velocity(velocity, shown_end)
total_before = metrics.total_velocity(velocity, shown_end - dt.timedelta(days=28))
c3.metric(f"Tracked 28-day velocity on {shown_end:%Y-%m-%d}", total, format="compact", border=True,
          delta=None if metrics.change(total, total_before) is None
          else layout.percent(metrics.change(total, total_before), signed=True),
          delta_description="vs 28 days earlier",
          help="Downloads of every tracked model over the 28 days ending on the day (all regions).")

# --------------------------------------------------------------------------------------------- charts
st.subheader(f"{charts.MEASURE_TITLES[measure].capitalize()} by region")
if series.empty:
    st.info("No rows match the filters.")
else:
    marker = None
    if headline is not None and headline["overtook_on"] is not None:
        marker = (headline["overtook_on"], f"{headline['leader']} overtakes {headline['runner_up']}")
    window = {"velocity_28d": 28, "share_of_total": 28, "velocity_7d": 7}.get(measure)
    filling = first_day + dt.timedelta(days=window - 1) if window else None
    st.altair_chart(charts.velocity_lines(series, measure, crossover=marker, filling_until=filling),
                    width="stretch")
    note = (f" Shaded: the first {window} days of tracking, whose {window}-day windows are not full yet."
            if window else "")
    st.caption(layout.r1_note() + " The red dotted line marks the headline overtake." + note)
    pairs = metrics.lasting_overtakes(series, "velocity_28d")
    with st.expander(f"Every lasting overtake in the range ({len(pairs)})", expanded=False):
        layout.table(pairs, hide_index=True, column_config={
            "on": st.column_config.DateColumn("on"),
            "its_value": st.column_config.NumberColumn("its 28-day velocity", format="localized"),
            "other_value": st.column_config.NumberColumn("the other's", format="localized"),
        })

# ------------------------------------------------------------------------------------------ top movers
st.subheader("Top movers")
m1, m2, m3, m4 = st.columns([1.2, 1, 1.2, 1])
entity_type = m1.segmented_control("Of", ["model", "organization"], default="model", key="movers_entity",
                                   format_func=lambda e: {"model": "models", "organization": "organisations"}[e]
                                   ) or "model"
direction = m2.segmented_control("Direction", ["rising", "falling"], default="rising", key="movers_direction") or "rising"
on = m3.date_input("On", value=shown_end, min_value=first_day, max_value=last_day, key="movers_day")
limit = m4.number_input("How many", min_value=5, max_value=50, value=15, step=5, key="movers_limit")
try:
    rows = data.velocity_on(release, on, entity_type)
except data.ServingDataError as error:
    layout.show_error(error)
organization_options = sorted(rows["organization"].dropna().unique())
organizations = st.multiselect("Organisations", organization_options, default=[], key="movers_organizations",
                               help="Only movers of these organisations (empty: all in the chosen regions).")
movers = metrics.top_movers(rows, regions=regions, organizations=organizations, limit=int(limit),
                            rising=direction == "rising")
if movers.empty:
    st.info(f"No {entity_type} has an acceleration on {on:%Y-%m-%d} in the chosen regions "
            "(it needs a 7-day velocity a week earlier).")
else:
    top_name = movers["name"].iloc[0]
    st.metric(f"Top {'accelerating' if direction == 'rising' else 'decelerating'} {entity_type} on {on:%Y-%m-%d}",
              top_name, delta=f"{movers['acceleration'].iloc[0]:+,.0f} downloads / 7 days",
              help="Acceleration = 7-day velocity on the day minus the 7-day velocity a week earlier.")
    st.altair_chart(charts.movers_bars(movers), width="stretch")
    try:
        curves = data.entity_velocity(release, entity_type, tuple(movers["entity_id"]))
    except data.ServingDataError as error:
        layout.show_error(error)
    trend = metrics.recent_values(curves, "velocity_7d", on, days=56)
    movers["trend"] = movers["entity_id"].map(trend)
    layout.table(
        movers[["name", "organization", "region", "velocity_7d", "previous_velocity_7d", "acceleration", "growth",
                "trend", "velocity_28d", "share_of_total"]],
        column_config={
            "name": entity_type,
            "organization": "organisation",
            "velocity_7d": st.column_config.NumberColumn("7-day velocity", format="localized"),
            "previous_velocity_7d": st.column_config.NumberColumn("a week earlier", format="localized"),
            "acceleration": st.column_config.NumberColumn("acceleration", format="localized"),
            "growth": st.column_config.NumberColumn("growth", format="percent"),
            "trend": st.column_config.LineChartColumn("7-day velocity, last 8 weeks", y_min=0),
            "velocity_28d": st.column_config.NumberColumn("28-day velocity", format="localized"),
            "share_of_total": st.column_config.NumberColumn("share of tracked total", format="percent"),
        },
    )

st.subheader("The table behind the chart")
with st.expander(f"Region rows of fct_download_velocity ({len(series):,})"):
    layout.table(series.drop(columns=["entity_type"]).sort_values(["metric_date", "region"]), hide_index=True,
                 column_config={"metric_date": st.column_config.DateColumn("metric_date"),
                                "share_of_total": st.column_config.NumberColumn("share_of_total", format="percent")})
