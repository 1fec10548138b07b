"""Question 2, download velocity: 7- and 28-day velocity by region, the day one region overtook another for
good, shares of the tracked total, and the top movers by acceleration (fct_download_velocity)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
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
    st.info("The published `fct_download_velocity` has no region rows yet: no snapshot is ingested and built.")
    st.stop()
overtakes_known = True
try:
    overtakes = data.velocity_overtakes(release)
except data.ServingDataError as error:
    st.warning(f"{error} Until then no lasting overtake is shown.", icon=":material/warning:")
    overtakes_known = False
    overtakes = pd.DataFrame(columns=["measure", "region", "overtaken_region", "overtook_on", "region_value",
                                      "overtaken_value", "last_date", "last_region_value", "last_overtaken_value",
                                      "comparable_days"])

days = velocity["metric_date"].map(metrics.as_date)
first_day, last_day = days.min(), days.max()
complete = metrics.has_complete_velocity(velocity)

LABELS = {"velocity_28d": "28-day", "velocity_7d": "7-day", "share_of_total": "share",
          "daily_downloads": "daily", "downloads_30d": "reported 30-day downloads",
          "share_of_total_downloads_30d": "its share"}
st.sidebar.header("Filters")
start, end = layout.date_range("Days", first_day, last_day, (first_day, last_day), key="velocity_days")
regions = layout.region_filter(regions_all, key="velocity_regions")
measure = st.sidebar.segmented_control(
    "Measure", list(charts.MEASURE_TITLES), default="velocity_28d" if complete else "downloads_30d",
    key="velocity_measure", format_func=LABELS.get,
    help="28-day / 7-day velocity: downloads over the 28 / 7 days ending on the day, from the Hub's all-time "
         "counts (exact; known from the second snapshot on, and only for snapshots with downloadsAllTime); "
         "share: a region's 28-day velocity over the tracked total's; daily: the day's downloads. Reported "
         "30-day downloads: the Hub's own rolling 30-day count, summed per region (known from the first "
         "snapshot); its share: a region's over the tracked total's.",
) or ("velocity_28d" if complete else "downloads_30d")

# The headline ranks regions on velocity_28d from complete windows, or on the reported 30-day downloads when
# they are chosen or when no 28-day window is complete yet (a short history, an archive without
# downloadsAllTime).
ranking = metrics.ranking_measure(measure)
if ranking == "velocity_28d" and not complete:
    ranking = "downloads_30d"
    st.info("No 28-day window is complete yet (or no velocity is known: the snapshots carry no "
            "downloadsAllTime), so the headline ranks regions on the Hub's reported 30-day downloads.",
            icon=":material/hourglass_top:")
RANKED = {"velocity_28d": "28-day velocity", "downloads_30d": "reported 30-day downloads"}[ranking]
series = metrics.region_series(velocity, regions, start, end)
headline = metrics.lead(velocity, overtakes, regions, ranking)
shown_end = metrics.as_date(series["metric_date"].max()) if len(series) else end

# ------------------------------------------------------------------------------------------ headline
c1, c2, c3 = st.columns(3)
if headline is None:
    c1.metric("Lasting overtake", "—", border=True,
              help=f"Needs at least two classified regions with a {RANKED} on a day whose window is complete.")
    c2.metric(f"Leader's share of tracked {RANKED}", None, border=True)
else:
    leader, runner = headline["leader"], headline["runner_up"]
    when = headline["overtook_on"]
    if when is not None:
        delta = None
    elif overtakes_known:
        delta = f"{leader} led on every comparable day"
    else:
        delta = "unknown: fct_velocity_overtakes is not published"
    c1.metric(
        f"{leader} overtook {runner} for good on", when.isoformat() if when else "—", border=True,
        delta=delta, delta_arrow="off", delta_color="off",
        help=f"The classified region with the highest {RANKED} on the last comparable day of the history "
             f"({headline['day']:%Y-%m-%d}), and the first day from which it stayed ahead of the runner-up to the "
             "end of the history, looked for only on days whose window is complete (fct_velocity_overtakes).",
    )
    share_column = "share_of_total" if ranking == "velocity_28d" else "share_of_total_downloads_30d"
    back = headline["day"] - dt.timedelta(days=28)
    rows_then = velocity[(velocity["entity_type"] == "region") & (velocity["region"] == leader)
                         & (velocity["metric_date"].map(metrics.as_date) == back)][share_column]
    share_delta = None
    if headline["leader_share"] is not None and len(rows_then) and rows_then.notna().all():
        share_delta = layout.points(headline["leader_share"] - float(rows_then.iloc[0]))
    c2.metric(f"{leader}'s share of tracked {RANKED}", headline["leader_share"], format="percent",
              border=True, delta=share_delta, delta_description="vs 28 days earlier" if share_delta else None,
              help=f"{leader}'s {RANKED} over the tracked total's on {headline['day']:%Y-%m-%d}.")
total = metrics.total_velocity(velocity, shown_end, ranking)
total_before = metrics.total_velocity(velocity, shown_end - dt.timedelta(days=28), ranking)
c3.metric(f"Tracked {RANKED} on {shown_end:%Y-%m-%d}", total, format="compact", border=True,
          delta=None if metrics.change(total, total_before) is None
          else layout.percent(metrics.change(total, total_before), signed=True),
          delta_description="vs 28 days earlier",
          help=("Downloads of every tracked model over the 28 days ending on the day (all regions)."
                if ranking == "velocity_28d" else
                "The Hub's reported 30-day downloads of every tracked model on the day (all regions)."))

# --------------------------------------------------------------------------------------------- charts
st.subheader(f"{charts.MEASURE_TITLES[measure].capitalize()} by region")
if series.empty:
    st.info("No rows match the filters.")
elif series[measure].notna().sum() == 0:
    reason = ("no snapshot reported downloads" if measure in metrics.REPORTED_MEASURES else
              "it needs two snapshots with downloadsAllTime (an archive without them, or a single day, has none)")
    st.info(f"No known {charts.MEASURE_TITLES[measure]} in the range: {reason}. "
            "Choose **reported 30-day downloads** in the sidebar for the Hub's own count.")
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
    st.caption(layout.r1_note() + " The red dotted line marks the headline overtake." + note
               + " `unclassified` and `unknown` are not regions: their lines are the unattributed part (organisations"
               " without a region), never ranked or compared with the regions.")
pairs = metrics.overtakes_of(overtakes, ranking, regions)
with st.expander(f"Every lasting overtake of the {RANKED} ({len(pairs)})", expanded=False):
    if pairs.empty:
        st.caption(f"No classified region overtook another for good on the {RANKED} in this history.")
    # The table even when empty, so the page's tables keep their order.
    layout.table(pairs.drop(columns=["measure"]), hide_index=True, column_config={
        "overtaken_region": "overtook",
        "overtook_on": st.column_config.DateColumn("on"),
        "region_value": st.column_config.NumberColumn(f"its {RANKED}", format="localized"),
        "overtaken_value": st.column_config.NumberColumn("the other's", format="localized"),
        "last_date": st.column_config.DateColumn("last compared day"),
        "last_region_value": st.column_config.NumberColumn("its value then", format="localized"),
        "last_overtaken_value": st.column_config.NumberColumn("the other's then", format="localized"),
        "comparable_days": st.column_config.NumberColumn("days compared"),
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
