"""What every page shares: its header with the freshness line, the message when nothing is published, and
small widgets and formats used by several pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st

from orchestration.dashboard import data
from orchestration.dashboard.metrics import R1_DATE, coverage_summary

NOTHING_PUBLISHED = (
    "**Nothing is published yet.** The dashboard reads only the published, read-only copy of the marts "
    "under `{root}`, which every successful warehouse build publishes. Create it with **`make demo`** "
    "(simulates the Hub history, ingests it and builds the warehouse; about 6-9 minutes), or, when the "
    "warehouse is built already, materialize `serving/published_marts` in the Dagster UI (**`make dev`**, job "
    "`publish_serving_copy`). Then reload this page."
)


def page_start(title: str, question: str) -> data.Release:
    """Title, the question the page answers and the freshness line; the resolved release, read once.

    When nothing is published (or the published copy cannot be read) the page shows why and how to fix it,
    and stops there.
    """
    st.title(title)
    st.caption(question)
    try:
        release = data.current_release()
    except data.ServingDataError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
    if release is None:
        st.info(NOTHING_PUBLISHED.format(root=data.serving_root()), icon=":material/hourglass_empty:")
        st.stop()
    st.markdown(freshness_line(release))
    try:
        coverage = coverage_summary(data.attribution_coverage(release))
    except data.ServingDataError:
        coverage = None
    st.markdown(coverage_line(coverage))
    return release


def coverage_line(coverage: dict | None) -> str:
    """How much of every answer rests on attribution, beside the freshness line: the shares held by
    organisations without a region (unclassified or unknown) on the latest day and in the latest month."""
    if coverage is None:
        return (":small[:material/help: Attribution coverage: not in this published version "
                "(publish a current build to see how much has no region)]")
    parts = []
    if coverage["day"] is not None:
        parts.append(f"{percent(coverage['downloads'])} of downloads and {percent(coverage['velocity'])} of the "
                     f"28-day velocity on {coverage['day']:%Y-%m-%d}")
    if coverage["month"] is not None:
        partial = " (partial)" if coverage["month_partial"] else ""
        parts.append(f"{percent(coverage['releases'])} of releases, {percent(coverage['derivatives'])} of new "
                     f"derivatives built and {percent(coverage['pairs'])} of derivative pairs in "
                     f"{coverage['month']:%Y-%m}{partial}")
    return (":small[:material/help: Without a region (unclassified or unknown): " + "; ".join(parts)
            + ". Regions are compared without them.]")


def freshness_line(release: data.Release, now: dt.datetime | None = None) -> str:
    """'Snapshots A → B · published T UTC (x ago) · version V' as a small line of Markdown."""
    parts = []
    if release.newest_snapshot_date is not None:
        span = (f"{release.oldest_snapshot_date:%Y-%m-%d} → " if release.oldest_snapshot_date else "")
        parts.append(f"Snapshots {span}**{release.newest_snapshot_date:%Y-%m-%d}**")
    else:
        parts.append("No snapshot dates in this build")
    if release.published_at is not None:
        parts.append(f"published {release.published_at:%Y-%m-%d %H:%M} UTC ({ago(release.published_at, now)})")
    parts.append(f"version `{release.version}`")
    if release.run_id:
        parts.append(f"run `{release.run_id[:8]}`")
    return ":small[:material/update: " + " · ".join(parts) + "]"


def ago(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago'."""
    seconds = ((now or dt.datetime.now(dt.UTC)) - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"


def show_error(error: data.ServingDataError) -> None:
    """A published version that cannot be read as expected: a message, then stop the page."""
    st.error(str(error), icon=":material/error:")
    st.stop()


def region_filter(regions: Sequence[str], key: str, label: str = "Regions") -> list[str]:
    """A multiselect of regions, all chosen by default; an empty choice means all."""
    chosen = st.sidebar.multiselect(label, list(regions), default=list(regions), key=key,
                                    help="Region of the organisation (from the region seed; community accounts "
                                         "the seed does not know are `unclassified`). Empty = all.")
    return chosen or list(regions)


def date_range(label: str, first: dt.date, last: dt.date, default: tuple[dt.date, dt.date], key: str,
               help: str | None = None) -> tuple[dt.date, dt.date]:
    """A from-to date picker clamped to [first, last]; half-picked ranges run to `last`."""
    value = st.sidebar.date_input(label, value=default, min_value=first, max_value=last, key=key, help=help)
    if isinstance(value, dt.date):
        return value, last
    picked = tuple(value)
    if len(picked) == 0:
        return default
    if len(picked) == 1:
        return picked[0], last
    return picked[0], picked[1]


def r1_note() -> str:
    """The caption phrase used wherever R1 is marked."""
    return f"The dashed line marks DeepSeek-R1's release ({R1_DATE:%Y-%m-%d})."


def number(value: float | None, digits: int = 0) -> str:
    """1,234 / 1,234.5; an em dash for unknown."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def compact(value: float | None) -> str:
    """12.3M / 456K / 789; an em dash for unknown."""
    if value is None:
        return "—"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def percent(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """0.1234 -> 12.3% (+12.3% when signed); an em dash for unknown."""
    if value is None:
        return "—"
    return f"{value * 100:{'+' if signed else ''},.{digits}f}%"


def points(value: float | None, digits: int = 1) -> str:
    """A change of a share in percentage points: +1.2 pp."""
    if value is None:
        return "—"
    return f"{value * 100:+.{digits}f} pp"


def table(frame, *, hide_index: bool = True, **kwargs) -> None:
    """`st.dataframe` with the dashboard's defaults: no index, an em dash for missing values."""
    st.dataframe(frame, hide_index=hide_index, placeholder="—", **kwargs)
