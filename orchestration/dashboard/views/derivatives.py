"""Question 4, derivatives and distillation: how fast the ecosystem adapts a release (days to the first
derivative, derivatives within 6 weeks, share built by other organisations) and whose bases new derivatives
build on (fct_derivatives)."""

from __future__ import annotations

import streamlit as st

from orchestration.dashboard import charts, data, layout, metrics

release = layout.page_start(
    "Derivatives",
    "How fast does the ecosystem build on a new release — fine-tunes, quantizations, adapters, merges — and "
    "whose base models does it build on?",
)
try:
    derivatives = data.derivatives(release)
except data.ServingDataError as error:
    layout.show_error(error)
released = derivatives["release_date"].dropna().map(metrics.as_date)
if released.empty:
    st.info("No base model in the published `fct_derivatives` has a real release date yet.")
    st.stop()

first, last = released.min(), released.max()
tracked_from = max(first, min(last, release.oldest_snapshot_date or first))

st.sidebar.header("Filters")
start, end = layout.date_range(
    "Base released", first, last, (tracked_from, last), key="derivatives_released",
    help="Base models released in this range (by their real createdAt; the Hub's 2022-03-02 placeholder has no "
         "timing). Default: from the first snapshot.")
regions = layout.region_filter(metrics.ordered_regions(derivatives["region"].unique()), key="derivatives_regions",
                               label="Base model's region")
in_range = metrics.bases_released(derivatives, start=start, end=end, regions=regions)
organization_options = (in_range.groupby("organization")["derivatives"].sum().sort_values(ascending=False)
                        .index.tolist())
organizations = st.sidebar.multiselect("Base model's organisation", organization_options, default=[],
                                       key="derivatives_organizations", help="Empty: every organisation.")
relations = st.sidebar.multiselect(
    "Derivative types", list(metrics.DERIVATIVE_RELATIONS), default=list(metrics.DERIVATIVE_RELATIONS),
    key="derivatives_relations",
    help="Counts derivatives of these relation types in 'Derivatives of the chosen types' and the organisation "
         "chart. Days to the first derivative and the 6-week counts cover every type.",
) or list(metrics.DERIVATIVE_RELATIONS)
limit = st.sidebar.slider("Base models in the ranking", 5, 40, 15, key="derivatives_limit")

bases = metrics.bases_released(derivatives, start=start, end=end, regions=regions, organizations=organizations,
                               relations=relations)
headline = metrics.adoption_headline(bases)

# ------------------------------------------------------------------------------------------ headline
c1, c2, c3 = st.columns(3)
c1.metric("Bases released", headline["bases"], format="%,d", border=True,
          help="Tracked models with a real release date in the range (every one is a potential base).")
c2.metric("Built on in 6 weeks", headline["adopted_within_42_days"], format="%,d", border=True,
          delta=None if headline["adopted_share"] is None else f"{layout.percent(headline['adopted_share'])} of them",
          delta_arrow="off", delta_color="off",
          help="Base models with at least one derivative created 0-42 days after their release.")
c3.metric("Median days to 1st derivative", headline["median_days_to_first"], format="%.1f", border=True,
          help="Median over the base models that have a derivative with a real creation date: the earliest "
               "derivative's creation date minus the base's release date.")
c4, c5, c6 = st.columns(3)
c4.metric("Derivatives in 6 weeks", headline["derivatives_within_42_days"], format="%,d", border=True,
          help="Derivatives (one per child and base) created 0-42 days after their base's release, summed.")
c5.metric("Built by other organisations", headline["share_by_others"], format="percent", border=True,
          help="Share of all derivatives of these bases published by another organisation than the base's.")
c6.metric("Derivatives of the chosen types", headline["selected_derivatives"], format="%,d", border=True,
          delta=f"of {headline['derivatives']:,} in all", delta_arrow="off", delta_color="off",
          help="All-time derivatives of these bases whose relation is one of the chosen types.")

# --------------------------------------------------------------------------------------------- charts
st.subheader("Fastest-adopted base models")
top = metrics.fastest_adopted(bases, limit)
if top.empty:
    st.info("No base model released in the range has a derivative yet.")
else:
    st.altair_chart(charts.adoption_bars(top), width="stretch")
    st.caption("Ranked by derivatives created within 6 weeks of the release, then by days to the first one.")

left, right = st.columns(2)
with left:
    st.subheader("Days to the first derivative")
    if bases["days_to_first_derivative"].notna().any():
        st.altair_chart(charts.days_histogram(bases), width="stretch")
        st.caption("Base models by how many days after release their first derivative appeared.")
    else:
        st.info("No base model in the range has a derivative with a real creation date.")
with right:
    st.subheader("Whose bases get built on")
    by_organization = metrics.derivatives_by_base_organization(bases, relations, limit=12)
    if by_organization.empty:
        st.info("No derivative of the chosen types.")
    else:
        st.altair_chart(charts.base_organization_bars(by_organization), width="stretch")
        st.caption("Derivatives of the chosen types on each organisation's base models released in the range.")

# ---------------------------------------------------------------------------------------------- table
st.subheader("The table behind it")
table = metrics.fastest_adopted(bases, len(bases))
layout.table(
    table[["base_repo_id", "organization", "region", "release_date", "days_to_first_derivative",
           "derivatives_within_42_days", "derivatives", "selected_derivatives", "derivatives_finetune",
           "derivatives_quantized", "derivatives_adapter", "derivatives_merge", "share_by_other_organizations",
           "first_derivative_date"]],
    hide_index=True,
    column_config={
        "base_repo_id": "base model",
        "organization": "organisation",
        "release_date": st.column_config.DateColumn("released"),
        "days_to_first_derivative": st.column_config.NumberColumn("days to first", format="%d"),
        "derivatives_within_42_days": st.column_config.NumberColumn("within 6 weeks", format="%d"),
        "derivatives": st.column_config.NumberColumn("all derivatives", format="%d"),
        "selected_derivatives": st.column_config.NumberColumn("of the chosen types", format="%d"),
        "derivatives_finetune": st.column_config.NumberColumn("finetune", format="%d"),
        "derivatives_quantized": st.column_config.NumberColumn("quantized", format="%d"),
        "derivatives_adapter": st.column_config.NumberColumn("adapter", format="%d"),
        "derivatives_merge": st.column_config.NumberColumn("merge", format="%d"),
        "share_by_other_organizations": st.column_config.NumberColumn("built by others", format="percent"),
        "first_derivative_date": st.column_config.DateColumn("first derivative"),
    },
)
st.caption(f"{len(table):,} base models with a derivative, of {len(bases):,} released in the range.")
