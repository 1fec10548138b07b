"""The seed's trajectory claim ("Baidu scaled from zero to 100+ releases"): per organisation, cumulative
releases and derivatives built on its models month by month, the months it crossed 10 and 100 releases, and
the organisations that grew fastest since DeepSeek-R1 (fct_organization_trajectories, fct_organization_milestones)."""

from __future__ import annotations

import streamlit as st

from orchestration.dashboard import charts, data, layout, metrics

release = layout.page_start(
    "Trajectories",
    "Which organisations went from zero to 10 and 100 releases, and which grew fastest since DeepSeek-R1 — "
    "in their own releases and in the derivatives others built on their models?",
)
try:
    milestones = data.organization_milestones(release)
except data.ServingDataError as error:
    layout.show_error(error)
if not (milestones["releases"] > 0).any():
    st.info("No organisation in the published `fct_organization_milestones` has a release yet.")
    st.stop()

st.sidebar.header("Filters")
regions = layout.region_filter(metrics.ordered_regions(milestones["region"].unique()), key="trajectories_regions")
limit = st.sidebar.slider("Organisations in the charts", 3, 20, 8, key="trajectories_limit")
measure = st.sidebar.segmented_control(
    "Cumulative", ["releases", "derivatives"], default="releases", key="trajectories_measure",
    help="Releases: the organisation's own model repos (real createdAt). Derivatives: models others (or it) built "
         "on its models, once per child and base, in the month the child was created.") or "releases"

chosen = metrics.milestones_in(milestones, regions)
headline = metrics.trajectory_headline(chosen)

# ------------------------------------------------------------------------------------------ headline
c1, c2, c3, c4 = st.columns(4)
c1.metric("Fastest-growing since R1", headline["fastest"] or "—", border=True,
          delta=None if headline["fastest"] is None else f"{headline['fastest_since_r1']:,} releases since R1",
          delta_arrow="off", delta_color="off",
          help="The organisation with the most releases since DeepSeek-R1's release date (growth_rank_since_r1).")
c2.metric("Releases since R1", headline["releases_since_r1"], format="%,d", border=True,
          delta=f"of {headline['releases']:,} in all", delta_arrow="off", delta_color="off",
          help="Releases (model repos with a real createdAt) of the chosen organisations on or after R1.")
c3.metric("Crossed 100 releases", headline["crossed_100"], format="%,d", border=True,
          delta=(f"{headline['crossed_10']:,} crossed 10" if headline["first_100"] is None else
                 f"first: {headline['first_100'][0]} in {headline['first_100'][1]:%Y-%m}"),
          delta_arrow="off", delta_color="off",
          help="Organisations whose 100th release is in the history, and the first of them (10 when none did).")
c4.metric("Derivatives since R1", headline["derivatives_since_r1"], format="%,d", border=True,
          delta=f"of {headline['derivatives']:,} in all", delta_arrow="off", delta_color="off",
          help="Derivatives built on the chosen organisations' models whose child was created on or after R1.")

# --------------------------------------------------------------------------------------------- charts
top = metrics.fastest_growing(chosen, limit)
if top.empty:
    st.info("No organisation of the chosen regions released a model since R1.")
else:
    trajectories = data.organization_trajectories(release, tuple(top["organization"]))
    column, title = (("cumulative_releases", "releases, cumulative") if measure == "releases"
                     else ("cumulative_derivatives", "derivatives built on its models, cumulative"))
    st.subheader(f"Cumulative {measure} of the fastest-growing organisations since R1")
    st.altair_chart(charts.cumulative_lines(trajectories, column, title, list(top["organization"])),
                    width="stretch")
    st.caption(f"Month by month from each organisation's first release or derivative. {layout.r1_note()}")
    st.subheader("Releases before and since R1")
    st.altair_chart(charts.growth_bars(top), width="stretch")
    st.caption("Ranked by releases since R1 (the mart's growth rank). Community accounts without a region "
               "(`unclassified`) are ranked like any other organisation.")

# ---------------------------------------------------------------------------------------------- table
st.subheader("The table behind it")
layout.table(
    chosen[["growth_rank_since_r1", "organization", "region", "first_release_date", "releases",
            "releases_before_r1", "releases_since_r1", "month_crossed_10_releases", "month_crossed_100_releases",
            "derivatives", "derivatives_since_r1", "first_derivative_date"]],
    column_config={
        "growth_rank_since_r1": st.column_config.NumberColumn("growth rank", format="%g"),
        "organization": "organisation",
        "first_release_date": st.column_config.DateColumn("first release"),
        "releases": st.column_config.NumberColumn("releases", format="%d"),
        "releases_before_r1": st.column_config.NumberColumn("before R1", format="%d"),
        "releases_since_r1": st.column_config.NumberColumn("since R1", format="%d"),
        "month_crossed_10_releases": st.column_config.DateColumn("crossed 10", format="YYYY-MM"),
        "month_crossed_100_releases": st.column_config.DateColumn("crossed 100", format="YYYY-MM"),
        "derivatives": st.column_config.NumberColumn("derivatives", format="%d"),
        "derivatives_since_r1": st.column_config.NumberColumn("derivatives since R1", format="%d"),
        "first_derivative_date": st.column_config.DateColumn("first derivative"),
    },
)
st.caption(f"{len(chosen):,} organisations of the chosen regions, "
           f"{int(chosen['growth_rank_since_r1'].notna().sum()):,} of them with a release since R1.")
