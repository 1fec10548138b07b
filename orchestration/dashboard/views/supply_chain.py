"""Question 5, supply chain: which regions build on which regions' base models, month by month
(fct_supply_chain)."""

from __future__ import annotations

import streamlit as st

from orchestration.dashboard import charts, data, layout, metrics

MEASURES = {
    "new_derivatives": "new derivatives",
    "new_derivative_models": "new derivative models",
    "derivative_downloads": "downloads of the new derivatives",
}

release = layout.page_start(
    "Supply chain",
    "Which regions build on which regions' base models — e.g. a US organisation fine-tuning a Chinese base — "
    "month by month?",
)
try:
    supply = data.supply_chain(release)
except data.ServingDataError as error:
    layout.show_error(error)
months = metrics.supply_months(supply)
if not months:
    st.info("The published `fct_supply_chain` has no derivatives yet.")
    st.stop()

default_month = metrics.last_complete_month(months, release.newest_snapshot_date)
st.sidebar.header("Filters")
month = st.sidebar.selectbox("Month", list(reversed(months)), index=list(reversed(months)).index(default_month),
                             key="supply_month", format_func=lambda m: f"{m:%Y-%m}",
                             help="Default: the latest month the snapshots cover completely.")
earlier = [m for m in months if m < month]
# Keyed by the month: choosing another month compares it with its own previous month again.
compare = st.sidebar.selectbox("Compare with", list(reversed(earlier)) or [None], index=0,
                               key=f"supply_compare_{month:%Y%m}",
                               format_func=lambda m: "—" if m is None else f"{m:%Y-%m}")
measure = st.sidebar.radio("Measure", list(MEASURES), index=0, key="supply_measure", format_func=MEASURES.get,
                           help="New derivatives: base-model edges whose child was created in the month (once per "
                                "child and base). Models: distinct children per cell (a merge of two regions' "
                                "bases counts in both). Downloads: those children's downloads in the month.")
relations = st.sidebar.multiselect("Derivative types", list(metrics.DERIVATIVE_RELATIONS),
                                   default=list(metrics.DERIVATIVE_RELATIONS), key="supply_relations"
                                   ) or list(metrics.DERIVATIVE_RELATIONS)
builders = layout.region_filter(metrics.ordered_regions(supply["child_region"].unique()), key="supply_builders",
                                label="Builder regions")
oldest = release.oldest_snapshot_date
tracked = [m for m in months if oldest is None or m >= oldest.replace(day=1)]
span_default = (tracked[0] if tracked else months[0], months[-1])
span = st.sidebar.select_slider("Months over time", options=months, value=span_default, key="supply_span",
                                format_func=lambda m: f"{m:%Y-%m}")

rows = metrics.supply_rows(supply, relations=relations, builders=builders)
now = metrics.supply_headline(rows, month, measure)
then = metrics.supply_headline(rows, compare, measure) if compare else None
label = MEASURES[measure]

# ------------------------------------------------------------------------------------------ headline
c1, c2, c_unattributed, c3 = st.columns(4)
c1.metric(f"{label.capitalize()}, {month:%Y-%m}", now["total"], format="localized", border=True,
          delta=None if then is None or not then["total"] else layout.percent(
              metrics.change(now["total"], then["total"]), signed=True),
          delta_description=f"vs {compare:%Y-%m}" if compare else None,
          help="Summed over the chosen derivative types and builder regions.")
c2.metric("Crossing regions", now["cross_region_share"], format="percent", border=True,
          delta=None if then is None or now["cross_region_share"] is None or then["cross_region_share"] is None
          else layout.points(now["cross_region_share"] - then["cross_region_share"]),
          delta_description=f"vs {compare:%Y-%m}" if compare else None,
          help="Over classified pairs only (builder and base both us, china, eu or other): the share where "
               "the builder's region differs from the base model's region. A builder or base without a region "
               "says nothing about regions; it is counted beside, under 'Without a region'.")
c_unattributed.metric("Without a region", now["unattributed_share"], format="percent", border=True,
                      delta=f"{now['unattributed']:,.0f} {label}", delta_arrow="off", delta_color="off",
                      help="Share (and amount) of the measure whose builder or base has no region (unclassified "
                           "or unknown): left out of the cross-region share. Attribute them in "
                           "<HUBPULSE_HOME>/reference/organization_region_overrides.csv.")
c3.metric("Built on Chinese bases", now["china_base_share"], format="percent", border=True,
          delta=None if then is None or now["china_base_share"] is None or then["china_base_share"] is None
          else layout.points(now["china_base_share"] - then["china_base_share"]),
          delta_description=f"vs {compare:%Y-%m}" if compare else None,
          help="Share whose base model belongs to a Chinese organisation.")
c4, c5 = st.columns(2)
if now["top_flow"] is not None:
    child, base, value = now["top_flow"]
    c4.metric("Largest flow (builders ← bases)", f"{child} ← {base}", border=True, delta=f"{value:,.0f} {label}",
              delta_arrow="off", delta_color="off",
              help="The builder region ← base region pair with the most of the measure this month.")
else:
    c4.metric("Largest flow (builders ← bases)", "—", border=True)
moved = metrics.largest_change(rows, month, compare, measure) if compare else None
if moved is not None:
    child, base, value = moved
    c5.metric(f"Largest change vs {compare:%Y-%m}", f"{child} ← {base}", border=True,
              delta=f"{value:+,.0f} {label}", delta_color="normal",
              help="The builder region ← base region pair whose measure changed most since the compared month.")
else:
    c5.metric("Largest change", "—", border=True, help="Nothing changed, or no earlier month to compare with.")

# --------------------------------------------------------------------------------------------- charts
left, right = st.columns([1, 1.2])
matrix = metrics.supply_matrix(rows, month, measure)
with left:
    st.subheader(f"Who builds on whom, {month:%Y-%m}")
    if matrix.empty:
        st.info("Nothing matches the filters this month.")
    else:
        tab_month, tab_change = st.tabs([f"{month:%Y-%m}", f"change vs {compare:%Y-%m}" if compare else "change"])
        with tab_month:
            st.altair_chart(charts.supply_heatmap(matrix, label), width="stretch")
            st.caption(f"Rows: the builder's region; columns: the base model's region. Cells: {label}.")
        with tab_change:
            if compare is None:
                st.info("No earlier month to compare with.")
            else:
                before = metrics.supply_matrix(rows, compare, measure)
                delta = matrix.sub(before, fill_value=0).fillna(0) if not before.empty else matrix
                delta = delta.reindex(index=metrics.ordered_regions(delta.index),
                                      columns=metrics.ordered_regions(delta.columns)).fillna(0)
                layout.table(delta, hide_index=False, column_config={"child_region": "builder region"})
                st.caption(f"{label.capitalize()} in {month:%Y-%m} minus {compare:%Y-%m}, per builder region "
                           "(rows) and base region (columns).")
with right:
    st.subheader("Over time, by base model's region")
    by_base = metrics.supply_over_time(rows, measure, span[0], span[1])
    if by_base.empty:
        st.info("Nothing matches the filters in these months.")
    else:
        st.altair_chart(charts.supply_bars(by_base, label), width="stretch")
        shares = metrics.cross_region_share_by_month(rows, measure, span[0], span[1])
        st.altair_chart(charts.cross_share_line(shares), width="stretch")
        st.caption("Top: the measure per month by base region. Bottom: the share crossing regions, over "
                   "classified pairs, and (dotted) the share with a builder or base without a region. "
                   "Months start at the first snapshot's: earlier derivatives are known only if they "
                   "survived until tracking began. " + layout.r1_note())

# ---------------------------------------------------------------------------------------------- table
st.subheader("The table behind it")
if not matrix.empty:
    shown = matrix.copy()
    shown["total"] = shown.sum(axis=1)
    layout.table(shown, hide_index=False, column_config={"child_region": "builder region"})
with st.expander(f"Rows of fct_supply_chain for {month:%Y-%m}"):
    layout.table(rows[rows["month_start"].dt.date == month], hide_index=True,
                 column_config={"month_start": st.column_config.DateColumn("month_start", format="YYYY-MM")})
