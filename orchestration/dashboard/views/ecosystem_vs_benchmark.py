"""Question 3, ecosystem vs benchmark: per month and organisation, benchmark rank beside ecosystem rank, the gap,
and whether benchmark scores still predict adoption (fct_ecosystem_vs_benchmark,
fct_benchmark_adoption_correlation)."""

from __future__ import annotations

import streamlit as st

from orchestration.dashboard import charts, data, layout, metrics

release = layout.page_start(
    "Ecosystem vs benchmark",
    "Does benchmark standing still predict adoption? Each organisation's best benchmark score against its "
    "share of downloads, ranked month by month.",
)
try:
    ecosystem = data.ecosystem_vs_benchmark(release)
    correlation = data.benchmark_correlation(release)
except data.ServingDataError as error:
    layout.show_error(error)
months = metrics.ranked_months(ecosystem)
if not months:
    st.info("No month of the published `fct_ecosystem_vs_benchmark` ranks an organisation on both scores yet "
            "(it needs models with benchmark results and known downloads).")
    st.stop()

st.sidebar.header("Filters")
month = st.sidebar.selectbox("Month", list(reversed(months)), index=0, key="ecosystem_month",
                             format_func=lambda m: f"{m:%Y-%m}")
regions = layout.region_filter(metrics.ordered_regions(ecosystem["region"].unique()), key="ecosystem_regions")
month_rows = metrics.month_ranks(ecosystem, month, regions)
highlight = st.sidebar.multiselect("Label organisations", sorted(month_rows["organization"]), default=[],
                                   key=f"ecosystem_highlight_{month:%Y%m}",
                                   help="Name these organisations on the scatter (the largest gaps are named "
                                        "anyway).")
label_count = st.sidebar.slider("Name the largest gaps", 0, 20, 6, key="ecosystem_label_count")

spearman, ranked, previous = metrics.correlation_in(correlation, month)

# ------------------------------------------------------------------------------------------ headline
c1, c2 = st.columns(2)
c1.metric(f"Spearman rank correlation, {month:%Y-%m}", spearman, format="%.2f", border=True,
          delta=None if spearman is None or previous is None else f"{spearman - previous:+.2f}",
          delta_description="vs the month before",
          help="Across the organisations ranked on both scores (all regions): 1 = benchmark rank predicts "
               "ecosystem rank perfectly, 0 = not at all. Unknown with fewer than 3 organisations.")
c2.metric("Organisations ranked", ranked, format="%d", border=True,
          help="Organisations with both a benchmark score and a share of the month's downloads.")
c3, c4 = st.columns(2)
if len(month_rows):
    beyond = month_rows.sort_values(["rank_gap", "organization"], ascending=[False, True]).iloc[0]
    below = month_rows.sort_values(["rank_gap", "organization"], ascending=[True, True]).iloc[0]
    c3.metric("Adopted most beyond its benchmarks", beyond["organization"], border=True,
              delta=f"{beyond['rank_gap']:+.1f} ranks", delta_arrow="off", delta_color="off",
              help="Largest rank gap (benchmark rank - ecosystem rank) in the chosen regions: far more "
                   "downloaded than its benchmark standing suggests.")
    c4.metric("Most overlooked for its benchmarks", below["organization"], border=True,
              delta=f"{below['rank_gap']:+.1f} ranks", delta_arrow="off", delta_color="off",
              help="Smallest (most negative) rank gap in the chosen regions: strong benchmarks, few downloads.")
else:
    c3.metric("Adopted most beyond its benchmarks", "—", border=True)
    c4.metric("Most overlooked for its benchmarks", "—", border=True)

# --------------------------------------------------------------------------------------------- charts
left, right = st.columns([1.15, 1])
with left:
    st.subheader(f"Benchmark rank vs ecosystem rank, {month:%Y-%m}")
    if month_rows.empty:
        st.info("No ranked organisation in the chosen regions this month.")
    else:
        labelled = list(dict.fromkeys([*month_rows["organization"].head(label_count), *highlight]))
        st.altair_chart(charts.rank_scatter(month_rows, labelled), width="stretch")
        st.caption("Rank 1 = best, at the top right. Above the diagonal: more downloaded than its benchmark rank "
                   "predicts (positive gap); below: the reverse. Ties share the average rank.")
with right:
    st.subheader("Do benchmark scores still predict adoption?")
    st.altair_chart(charts.correlation_line(correlation, month), width="stretch")
    st.caption("Spearman rank correlation between benchmark rank and ecosystem rank, per month. "
               + layout.r1_note())

# ---------------------------------------------------------------------------------------------- table
st.subheader("The table behind it")
layout.table(
    month_rows.drop(columns=["month_start"]),
    hide_index=True,
    column_config={
        "organization": "organisation",
        "benchmark_score": st.column_config.NumberColumn("best benchmark score", format="%.1f"),
        "benchmark_rank": st.column_config.NumberColumn("benchmark rank", format="%.1f"),
        "downloads": st.column_config.NumberColumn("downloads in the month", format="localized"),
        "ecosystem_score": st.column_config.NumberColumn("share of downloads", format="percent"),
        "ecosystem_rank": st.column_config.NumberColumn("ecosystem rank", format="%.1f"),
        "rank_gap": st.column_config.NumberColumn("rank gap", format="%+.1f"),
        "likes": st.column_config.NumberColumn("likes", format="localized"),
        "likes_share": st.column_config.NumberColumn("share of likes", format="percent"),
        "new_derivatives": st.column_config.NumberColumn("new derivatives on its models", format="%d"),
        "derivative_share": st.column_config.NumberColumn("share of new derivatives", format="percent"),
        "releases": st.column_config.NumberColumn("releases", format="%d"),
        "release_pipeline_tags": st.column_config.NumberColumn("tasks released (breadth)", format="%d"),
    },
)
with st.expander("Monthly correlation rows (fct_benchmark_adoption_correlation)"):
    layout.table(correlation.sort_values("month_start", ascending=False), hide_index=True,
                 column_config={"month_start": st.column_config.DateColumn("month_start", format="YYYY-MM")})
