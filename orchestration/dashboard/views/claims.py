"""The seed's claims on rankings, licences and languages: do newly released Chinese models top the most-liked and
most-downloaded rankings (fct_rankings), under which licence families they are released (fct_release_licences),
and in which languages (fct_release_languages, fct_language_family_downloads) — before and since DeepSeek-R1.

Every share shown is the mart's own column; the page selects and pivots, never recomputes one."""

from __future__ import annotations

import streamlit as st

from orchestration.dashboard import charts, data, layout, metrics

release = layout.page_start(
    "Claims",
    "Do newly released Chinese models top the most-liked and most-downloaded rankings, under which licences are "
    "they released and in which languages — before and since DeepSeek-R1?",
)
MEASURES = {"likes": "likes", "downloads_30d": "30-day downloads"}
PERIODS = {"release_month": "release month", "release_week": "release week", "live_month": "live month"}


def load(mart: str, loader, *args):
    """A mart's rows; None (and a note saying so) when the published version predates the mart."""
    if mart not in release.parquet_files:
        st.info(f"The published version {release.version} has no `{mart}` mart yet: publish a current build "
                "again (`make demo`, or materialize `serving/published_marts` in Dagster).")
        return None
    try:
        return loader(release, *args)
    except data.ServingDataError as error:
        layout.show_error(error)


st.sidebar.header("Filters")
focus = st.sidebar.selectbox("Region in focus", metrics.REGIONS, index=0, key="claims_focus",
                             help="The region of the headline numbers and of the licence and language-family charts.")
regions = layout.region_filter(metrics.REGIONS, key="claims_regions")
period_type = st.sidebar.segmented_control(
    "Ranked within", list(PERIODS), default="release_month", format_func=PERIODS.get, key="claims_period",
    help="Release month / week: the models released in the period, each ranked on its last snapshot (how each "
         "cohort stands as last seen). Live month: every model of the month's last snapshot, ranked on it."
    ) or "release_month"
measure = st.sidebar.segmented_control(
    "Ranked by", list(MEASURES), default="likes", format_func=MEASURES.get, key="claims_measure") or "likes"

# ------------------------------------------------------------------------------------------- rankings
st.header("Rankings", divider="gray")
sizes = load("fct_rankings", data.ranking_sizes)
if sizes is not None and not sizes:
    st.info("No model is ranked in the published `fct_rankings` yet.")
elif sizes:
    n = st.sidebar.selectbox("Top N", sizes, index=0, key="claims_top_n")
    rankings = data.rankings(release, period_type, measure, n)
    headline = metrics.ranking_headline(rankings, focus)
    if headline["period"] is None:
        st.info(f"No model is ranked by {MEASURES[measure]} within a {PERIODS[period_type]} yet.")
    else:
        when = (f"the week of {headline['period']:%Y-%m-%d}" if period_type == "release_week"
                else f"{headline['period']:%Y-%m}")
        c1, c2, c3 = st.columns(3)
        c1.metric(f"Share of the top {n}", layout.percent(headline["share"]), border=True,
                  delta=(f"{focus}: no ranked model in {when}" if headline["share"] is None else
                         f"{focus}: {headline['in_top']} of the top {n} in {when}"), delta_arrow="off",
                  delta_color="off",
                  help=f"The region's share of the top-{n} places of the latest {PERIODS[period_type]} "
                       "(share_of_top: of the places the period fills).")
        c2.metric("Periods led since R1", headline["led_since_r1"], format="%,d", border=True,
                  delta=(f"of {headline['periods_since_r1']:,}; {headline['led_before_r1']:,} of "
                         f"{headline['periods_before_r1']:,} before R1"), delta_arrow="off", delta_color="off",
                  help="Periods in which the region's best model ranked first (best_rank 1), as the demo summary "
                       "counts the release months each region led.")
        c3.metric("Best rank, latest period", "—" if headline["best_rank"] is None else headline["best_rank"],
                  border=True, delta=f"of {headline['period_models']:,} models ranked in {when}",
                  delta_arrow="off", delta_color="off", help="The rank of the region's best model (1 = first).")
        chosen = metrics.in_regions(rankings, regions)
        chosen = chosen.assign(period_end=[metrics.period_end(period_type, p) for p in chosen["period_start"]])
        st.subheader(f"Share of the top-{n} places by {MEASURES[measure]}, per {PERIODS[period_type]}")
        if chosen.empty:
            st.info("No model of the chosen regions is ranked.")
        else:
            st.altair_chart(charts.share_of_top_bars(chosen, n), width="stretch")
        st.caption(f"Each bar is a {PERIODS[period_type]}: the regions' shares of its top {n} (fewer places when "
                   f"fewer models are ranked). {layout.r1_note()}")
        with st.expander("The rankings table"):
            layout.table(
                chosen[["period_start", "region", "period_models", "region_models", "models_in_top", "share_of_top",
                        "best_rank"]],
                column_config={
                    "period_start": st.column_config.DateColumn("period from"),
                    "period_models": st.column_config.NumberColumn("models ranked", format="%d"),
                    "region_models": st.column_config.NumberColumn("of the region", format="%d"),
                    "models_in_top": st.column_config.NumberColumn(f"in the top {n}", format="%d"),
                    "share_of_top": st.column_config.NumberColumn("share of the top", format="percent"),
                    "best_rank": st.column_config.NumberColumn("best rank", format="%d"),
                },
            )

# ------------------------------------------------------------------------------------------- licences
st.header("Licences", divider="gray")
licences = load("fct_release_licences", data.release_licences)
if licences is not None and licences.empty:
    st.info("No release or download is in the published `fct_release_licences` yet.")
elif licences is not None:
    headline = metrics.licence_headline(licences, focus)
    columns = st.columns(3)
    for column, family in zip(columns, ("permissive", "restricted", "unknown"), strict=True):
        share, count = headline["families"].get(family, (0.0, 0))
        column.metric(f"{family.capitalize()} licence share", "—" if headline["month"] is None else
                      layout.percent(share), border=True,
                      delta=(f"{focus}: no release yet" if headline["month"] is None else
                             f"{focus}: {count:,} of {headline['releases']:,} releases in {headline['month']:%Y-%m}"),
                      delta_arrow="off", delta_color="off",
                      help=f"The share of the region's releases of its latest month under a {family} licence "
                           "(unknown: none declared, or one the licence seed does not list).")
    mine = licences[licences["region"] == focus]
    st.subheader(f"Releases of {focus} by licence family, per month")
    if mine["release_share"].notna().any():
        st.altair_chart(charts.licence_share_bars(mine, "release_share", "share of releases"), width="stretch")
    else:
        st.info(f"{focus} has no release in the published `fct_release_licences`.")
    st.subheader(f"Downloads of {focus}'s models by licence family, per month")
    if mine["download_share"].notna().any():
        st.altair_chart(charts.licence_share_bars(mine, "download_share", "share of downloads"), width="stretch")
    else:
        st.info(f"No download of {focus}'s models is known in the published `fct_release_licences`.")
    st.caption("Releases in the month of their release date; downloads of every model of the family in the month, "
               f"whenever it was released. {layout.r1_note()}")
    with st.expander("The licences table"):
        layout.table(
            mine[["month_start", "license_family", "releases", "releases_before_r1", "releases_since_r1",
                  "release_share", "downloads", "download_share"]],
            column_config={
                "month_start": st.column_config.DateColumn("month", format="YYYY-MM"),
                "license_family": "licence family",
                "releases": st.column_config.NumberColumn("releases", format="%d"),
                "releases_before_r1": st.column_config.NumberColumn("before R1", format="%d"),
                "releases_since_r1": st.column_config.NumberColumn("since R1", format="%d"),
                "release_share": st.column_config.NumberColumn("share of releases", format="percent"),
                "downloads": st.column_config.NumberColumn("downloads", format="localized"),
                "download_share": st.column_config.NumberColumn("share of downloads", format="percent"),
            },
        )

# ------------------------------------------------------------------------------------------ languages
st.header("Languages", divider="gray")
languages = load("fct_release_languages", data.release_languages)
if languages is not None and languages.empty:
    st.info("No release is in the published `fct_release_languages` yet.")
elif languages is not None:
    headline = metrics.language_headline(languages, focus)
    c1, c2, c3 = st.columns(3)
    c1.metric("Beyond English, latest month", layout.percent(headline["share"]), border=True,
              delta=(f"{focus}: no release yet" if headline["month"] is None else
                     f"{focus}: {headline['beyond']:,} of {headline['releases']:,} releases in "
                     f"{headline['month']:%Y-%m}"), delta_arrow="off", delta_color="off",
              help="The share of the region's releases of its latest month declaring a language other than "
                   "English (or `multilingual`).")
    c2.metric("Languages declared, latest month", layout.number(headline["mean_languages"], 1), border=True,
              delta=("—" if headline["max_languages"] is None else f"at most {headline['max_languages']:,}"),
              delta_arrow="off", delta_color="off",
              help="The mean number of named languages of the releases declaring at least one, and the most one "
                   "release declares.")
    c3.metric("Beyond English since R1", headline["beyond_since_r1"], format="%,d", border=True,
              delta=f"of {headline['releases_since_r1']:,} releases since R1", delta_arrow="off", delta_color="off",
              help="The region's releases since DeepSeek-R1 declaring languages beyond English.")
    chosen = metrics.in_regions(languages, regions)
    st.subheader("Share of releases declaring languages beyond English, per region and month")
    if chosen.empty:
        st.info("The chosen regions released nothing in the published `fct_release_languages`.")
    else:
        st.altair_chart(charts.beyond_english_lines(chosen), width="stretch")
    st.caption(f"Languages as each release's latest snapshot declares them. {layout.r1_note()}")
    families = load("fct_language_family_downloads", data.language_family_downloads)
    if families is not None:
        latest = metrics.latest_family_downloads(families, focus)
        if latest.empty:
            st.info(f"No download of {focus}'s models is known in the published `fct_language_family_downloads`.")
        else:
            month = metrics.as_date(latest["month_start"].iloc[0])
            st.subheader(f"Downloads of {focus}'s models by language family, {month:%Y-%m}")
            st.altair_chart(charts.family_share_bars(latest), width="stretch")
            st.caption("A model declaring languages of several families counts in each, so the shares add up to "
                       "1 or more; `none`: no language declared.")
    with st.expander("The languages table"):
        layout.table(
            chosen[["month_start", "region", "releases", "releases_declaring_languages", "releases_beyond_english",
                    "share_beyond_english", "releases_beyond_english_since_r1", "mean_languages_declared",
                    "max_languages_declared"]],
            column_config={
                "month_start": st.column_config.DateColumn("month", format="YYYY-MM"),
                "releases": st.column_config.NumberColumn("releases", format="%d"),
                "releases_declaring_languages": st.column_config.NumberColumn("declaring any", format="%d"),
                "releases_beyond_english": st.column_config.NumberColumn("beyond English", format="%d"),
                "share_beyond_english": st.column_config.NumberColumn("share beyond English", format="percent"),
                "releases_beyond_english_since_r1": st.column_config.NumberColumn("beyond English since R1",
                                                                                  format="%d"),
                "mean_languages_declared": st.column_config.NumberColumn("mean languages", format="%.1f"),
                "max_languages_declared": st.column_config.NumberColumn("most languages", format="%d"),
            },
        )
