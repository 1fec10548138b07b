"""Question 1, release cadence: how often each organisation and region releases models, week by week,
before and after DeepSeek-R1 (fct_release_cadence)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from orchestration.dashboard import charts, data, layout, metrics

release = layout.page_start(
    "Release cadence",
    "How often does each organisation and region release models, week by week — and did it change after "
    "DeepSeek-R1?",
)
try:
    cadence = data.release_cadence(release)
except data.ServingDataError as error:
    layout.show_error(error)
if cadence.empty:
    st.info("The published `fct_release_cadence` has no releases yet.")
    st.stop()

weeks_all = cadence["week_start"].map(metrics.as_date)
first_week, last_week = weeks_all.min(), weeks_all.max()
tracked_from = max(first_week, min(last_week, release.oldest_snapshot_date or first_week))

st.sidebar.header("Filters")
start, end = layout.date_range(
    "Weeks", first_week, last_week + dt.timedelta(days=6), (metrics.monday(tracked_from), last_week + dt.timedelta(days=6)),
    key="cadence_weeks",
    help="Default: from the first snapshot. Releases are dated by their createdAt, so earlier weeks are known "
         "too, but only for models still on the Hub when tracking began.")
regions = layout.region_filter(metrics.ordered_regions(cadence["region"].unique()), key="cadence_regions")
relations = st.sidebar.multiselect(
    "Release types", list(metrics.RELEASE_RELATIONS), default=list(metrics.RELEASE_RELATIONS), key="cadence_relations",
    help="original: no base model; finetune / quantized / adapter / merge: by the base-model relation it declares.",
) or list(metrics.RELEASE_RELATIONS)
in_regions = cadence[cadence["region"].isin(regions)]
organization_options = (in_regions.groupby("organization")["releases"].sum().sort_values(ascending=False).index.tolist())
organizations = st.sidebar.multiselect(
    "Organisations", organization_options, default=[], key="cadence_organizations",
    help="Narrow every number and chart to these organisations (empty: all organisations of the regions).")

weekly = metrics.weekly_releases(cadence, start=start, end=end, regions=regions, relations=relations,
                                 organizations=organizations)
weeks = metrics.calendar_weeks(cadence, start, end)
rates = metrics.release_rates(weekly, weeks)
scope = ", ".join(organizations) if organizations else ", ".join(regions)

# ------------------------------------------------------------------------------------------ headline
c1, c2, c3 = st.columns(3)
c1.metric("Releases per week before R1", rates["per_week_before"], format="%.2f", border=True,
          help=f"Releases in the {rates['weeks_before']} calendar weeks of the range before "
               f"{metrics.R1_DATE:%Y-%m-%d}, divided by those weeks (weeks without a release count).")
c2.metric("Releases per week since R1", rates["per_week_after"], format="%.2f", border=True,
          delta=None if rates["change"] is None else layout.percent(rates["change"], signed=True),
          delta_description="vs before R1",
          help=f"Releases in the {rates['weeks_after']} calendar weeks of the range from {metrics.R1_DATE:%Y-%m-%d} "
               "on, divided by those weeks (the latest week may be partial).")
c3.metric("Releases in range", rates["releases"], format="%,d", border=True,
          help=f"Models created in the range with a real createdAt, counted once each: {scope}.")
summary = metrics.organization_summary(weekly, weeks)
active = summary[summary["releases"] > 0]
n1, n2 = st.columns(2)
fastest = active.sort_values(["per_week_since_r1", "organization"], ascending=[False, True]).head(1)
if len(fastest) and rates["weeks_after"] and fastest["per_week_since_r1"].iloc[0] > 0:
    n1.metric("Most releases per week since R1", fastest["organization"].iloc[0], border=True,
              delta=f"{fastest['per_week_since_r1'].iloc[0]:.2f} per week", delta_arrow="off", delta_color="off",
              help="The organisation with the highest weekly release rate from R1's week to the end of the range.")
else:
    n1.metric("Most releases per week since R1", "—", border=True)
steady = active.sort_values(["active_weeks_since_r1", "organization"], ascending=[False, True]).head(1)
if len(steady) and rates["weeks_after"] and steady["active_weeks_since_r1"].iloc[0] > 0:
    n2.metric("Releases in the most weeks since R1", steady["organization"].iloc[0], border=True,
              delta=f"{int(steady['active_weeks_since_r1'].iloc[0])} of {rates['weeks_after']} weeks",
              delta_arrow="off", delta_color="off",
              help="The organisation with a release (of the chosen types) in the most calendar weeks from R1's "
                   "week to the end of the range: who ships steadily, not in bursts.")
else:
    n2.metric("Releases in the most weeks since R1", "—", border=True)

st.caption(f"{len(weeks)} weeks, {start:%Y-%m-%d} → {end:%Y-%m-%d} · {scope} · types: {', '.join(relations)}")

# --------------------------------------------------------------------------------------------- charts
colour_by = "organization" if organizations and len(organizations) <= 10 else "region"
st.subheader(f"Weekly releases by {'organisation' if colour_by == 'organization' else 'region'}")
by = metrics.weekly_by(weekly, colour_by, weeks)
if by.empty:
    st.info("No releases match the filters.")
else:
    st.altair_chart(charts.weekly_bars(by, colour_by), width="stretch")
    st.caption(layout.r1_note())

st.subheader("Who releases every week")
show = st.slider("Organisations in the heat map", 5, 40, 15, key="cadence_heatmap_size") if not organizations else None
chosen = organizations or active["organization"].head(show).tolist()
heat = metrics.weekly_by(weekly[weekly["organization"].isin(chosen)], "organization", weeks)
if heat.empty:
    st.info("No organisation released a model of these types in the range.")
else:
    order = [o for o in summary["organization"] if o in set(chosen)]
    st.altair_chart(charts.cadence_heatmap(heat, order), width="stretch")
    st.caption("Each cell is one ISO week; darker = more releases. Organisations ordered by releases in the range.")

# ---------------------------------------------------------------------------------------------- table
st.subheader("The table behind it")
layout.table(
    summary,
    hide_index=True,
    column_config={
        "organization": "organisation",
        "releases": st.column_config.NumberColumn("releases", format="%d"),
        "per_week_before_r1": st.column_config.NumberColumn("per week before R1", format="%.2f"),
        "per_week_since_r1": st.column_config.NumberColumn("per week since R1", format="%.2f"),
        "change": st.column_config.NumberColumn("change", format="percent"),
        "active_weeks": st.column_config.NumberColumn("active weeks", format="%d",
                                                      help="Weeks of the range with a release."),
        "active_weeks_since_r1": st.column_config.NumberColumn("active weeks since R1", format="%d"),
        "longest_streak": st.column_config.NumberColumn("longest streak (weeks)", format="%d",
                                                        help="Most consecutive active weeks within the range."),
    },
)
with st.expander("Weekly rows (fct_release_cadence)"):
    layout.table(weekly.drop(columns=["is_active_week"]).sort_values(["week_start", "organization"]),
                 hide_index=True, column_config={"week_start": st.column_config.DateColumn("week_start")})
