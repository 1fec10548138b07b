"""The dashboard's numbers, as pure functions of mart rows (pandas in, pandas or plain values out).

Nothing here reads files or draws: the pages load rows with `data`, filter and summarise them here, and
draw them with `charts`. Each headline's definition is in its function's docstring (and in the page's help).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import pandas as pd

from orchestration import settings

R1_DATE = dt.date.fromisoformat(settings.R1_RELEASE_DATE)
# The house order: China first (the question the project asks), then the others as dbt_project.yml lists them.
REGIONS = ("china", *(r for r in settings.ATTRIBUTED_REGIONS if r != "china"), *settings.UNATTRIBUTED_REGIONS)
RELEASE_RELATIONS = ("original", "finetune", "quantized", "adapter", "merge")
DERIVATIVE_RELATIONS = ("finetune", "quantized", "adapter", "merge")


def ordered_regions(values: Iterable[str]) -> list[str]:
    """Regions in the house order (china, us, eu, other, unknown, unclassified), unknown names last."""
    present = {v for v in values if isinstance(v, str)}
    return [r for r in REGIONS if r in present] + sorted(present - set(REGIONS))


def as_date(value) -> dt.date | None:
    """A date from a date, datetime, pandas Timestamp or ISO string (None for missing values)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def monday(day: dt.date) -> dt.date:
    """The Monday of the ISO week holding `day`."""
    return day - dt.timedelta(days=day.weekday())


def change(after: float | None, before: float | None) -> float | None:
    """Relative change after / before - 1 (None when either is unknown or before is 0)."""
    if after is None or before is None or before == 0:
        return None
    return after / before - 1


# ------------------------------------------------------------------------------------------ 1. cadence


def weekly_releases(
    cadence: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    regions: Sequence[str],
    relations: Sequence[str],
    organizations: Sequence[str] = (),
) -> pd.DataFrame:
    """Organisation weeks of [week of start, end] in the regions (and organisations, when any are given),
    with `selected_releases` = releases of the chosen relation types."""
    weeks = pd.to_datetime(cadence["week_start"]).dt.date
    keep = (weeks >= monday(start)) & (weeks <= end) & cadence["region"].isin(list(regions))
    if organizations:
        keep &= cadence["organization"].isin(list(organizations))
    out = cadence.loc[keep].copy()
    out["week_start"] = pd.to_datetime(out["week_start"])
    out["selected_releases"] = out[[f"releases_{r}" for r in relations]].sum(axis=1).astype("int64") if relations else 0
    return out


def calendar_weeks(cadence: pd.DataFrame, start: dt.date, end: dt.date) -> list[dt.date]:
    """Mondays from the week of `start` to `end`, within the weeks the mart covers."""
    if cadence.empty:
        return []
    weeks = pd.to_datetime(cadence["week_start"]).dt.date
    first = max(monday(start), weeks.min())
    last = min(end, weeks.max())
    out, day = [], first
    while day <= last:
        out.append(day)
        day += dt.timedelta(days=7)
    return out


def release_rates(weekly: pd.DataFrame, weeks: Sequence[dt.date]) -> dict:
    """Releases per calendar week before and from DeepSeek-R1's week, over `weeks` (weeks without a release
    count as zero): {weeks_before, per_week_before, weeks_after, per_week_after, releases, change}."""
    week_of = pd.to_datetime(weekly["week_start"]).dt.date
    before_weeks = [w for w in weeks if w < R1_DATE]
    after_weeks = [w for w in weeks if w >= R1_DATE]
    before = int(weekly.loc[week_of < R1_DATE, "selected_releases"].sum())
    after = int(weekly.loc[week_of >= R1_DATE, "selected_releases"].sum())
    per_before = before / len(before_weeks) if before_weeks else None
    per_after = after / len(after_weeks) if after_weeks else None
    return {
        "weeks_before": len(before_weeks),
        "per_week_before": per_before,
        "weeks_after": len(after_weeks),
        "per_week_after": per_after,
        "releases": before + after,
        "change": change(per_after, per_before),
    }


def weekly_by(weekly: pd.DataFrame, column: str, weeks: Sequence[dt.date]) -> pd.DataFrame:
    """Selected releases per week and `column` value, every calendar week present (zeros included)."""
    if weekly.empty or not weeks:
        return pd.DataFrame(columns=["week_start", column, "releases"])
    sums = weekly.groupby(["week_start", column], as_index=False)["selected_releases"].sum()
    grid = pd.MultiIndex.from_product(
        [pd.to_datetime(pd.Series(weeks)), sorted(weekly[column].unique())], names=["week_start", column]
    )
    out = sums.set_index(["week_start", column]).reindex(grid, fill_value=0).reset_index()
    return out.rename(columns={"selected_releases": "releases"})


def organization_summary(weekly: pd.DataFrame, weeks: Sequence[dt.date]) -> pd.DataFrame:
    """Per organisation over `weeks` (chosen release types): releases, releases per calendar week before and
    since R1, active weeks (with a release) in all and since R1, and the longest run of consecutive active
    weeks."""
    columns = ["organization", "region", "releases", "per_week_before_r1", "per_week_since_r1", "change",
               "active_weeks", "active_weeks_since_r1", "longest_streak"]
    before_n = sum(1 for w in weeks if w < R1_DATE)
    after_n = sum(1 for w in weeks if w >= R1_DATE)
    if weekly.empty:
        return pd.DataFrame(columns=columns)
    frame = weekly.assign(
        is_post=weekly["week_start"].dt.date >= R1_DATE,
        active=weekly["selected_releases"] > 0,
    )
    rows = []
    for (organization, region), group in frame.groupby(["organization", "region"], sort=False):
        group = group.sort_values("week_start")
        before = group.loc[~group["is_post"], "selected_releases"].sum()
        after = group.loc[group["is_post"], "selected_releases"].sum()
        per_before = before / before_n if before_n else None
        per_after = after / after_n if after_n else None
        rows.append({
            "organization": organization,
            "region": region,
            "releases": int(before + after),
            "per_week_before_r1": per_before,
            "per_week_since_r1": per_after,
            "change": change(per_after, per_before),
            "active_weeks": int(group["active"].sum()),
            "active_weeks_since_r1": int((group["active"] & group["is_post"]).sum()),
            "longest_streak": longest_run(group["week_start"].dt.date.tolist(), group["active"].tolist()),
        })
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["releases", "organization"], ascending=[False, True], ignore_index=True)


def longest_run(weeks: Sequence[dt.date], active: Sequence[bool]) -> int:
    """The longest run of consecutive calendar weeks that are all active (weeks sorted ascending)."""
    best = run = 0
    previous = None
    for week, is_active in zip(weeks, active, strict=True):
        if not is_active:
            run = 0
        elif previous is not None and run and (week - previous).days == 7:
            run += 1
        else:
            run = 1
        best = max(best, run)
        previous = week
    return best


# ----------------------------------------------------------------------------------------- 2. velocity


def region_series(velocity: pd.DataFrame, regions: Sequence[str], start: dt.date, end: dt.date) -> pd.DataFrame:
    """Region rows of [start, end] for the chosen regions."""
    days = pd.to_datetime(velocity["metric_date"]).dt.date
    keep = (velocity["entity_type"] == "region") & velocity["region"].isin(list(regions)) & (days >= start) & (days <= end)
    out = velocity.loc[keep].copy()
    out["metric_date"] = pd.to_datetime(out["metric_date"])
    return out


# The measures of the velocity page: the exact all-time-delta family and the Hub's reported 30-day downloads.
# Each lasting overtake in fct_velocity_overtakes belongs to one of the two ranking measures.
REPORTED_MEASURES = ("downloads_30d", "share_of_total_downloads_30d")
NOT_REGIONS = settings.UNATTRIBUTED_REGIONS


def ranking_measure(measure: str) -> str:
    """The measure fct_velocity_overtakes ranks regions on for a measure shown: downloads_30d for the
    reported 30-day downloads and their share, velocity_28d for the exact measures."""
    return "downloads_30d" if measure in REPORTED_MEASURES else "velocity_28d"


def has_complete_velocity(velocity: pd.DataFrame) -> bool:
    """Whether any region has a known 28-day velocity on a day whose 28-day window is complete."""
    regions = velocity[velocity["entity_type"] == "region"]
    return bool((regions["velocity_28d"].notna() & regions["is_window_complete"].fillna(False).astype(bool)).any())


def overtakes_of(overtakes: pd.DataFrame, measure: str, regions: Sequence[str]) -> pd.DataFrame:
    """The mart's lasting overtakes of one measure between chosen regions, oldest first (rows as they are)."""
    keep = (overtakes["measure"] == measure) & overtakes["region"].isin(list(regions)) & overtakes[
        "overtaken_region"].isin(list(regions))
    return overtakes.loc[keep].sort_values(["overtook_on", "region", "overtaken_region"], ignore_index=True)


def lead(velocity: pd.DataFrame, overtakes: pd.DataFrame, regions: Sequence[str], measure: str) -> dict | None:
    """The headline of a ranking measure (velocity_28d or downloads_30d) over the whole history: on its last
    comparable day (complete 28-day windows for velocity_28d), the leading classified region among `regions`,
    the runner-up, their values and the leader's share, and the day the leader overtook the runner-up for
    good as fct_velocity_overtakes holds it (None: it led on every comparable day). None when fewer than two
    classified regions have a value on that day."""
    rows = velocity[(velocity["entity_type"] == "region") & velocity["region"].isin(list(regions))
                    & ~velocity["region"].isin(NOT_REGIONS)].dropna(subset=[measure])
    if measure == "velocity_28d":
        rows = rows[rows["is_window_complete"].fillna(False).astype(bool)]
    if rows.empty:
        return None
    last_day = rows["metric_date"].max()
    last = rows[rows["metric_date"] == last_day].sort_values([measure, "region"], ascending=[False, True])
    if len(last) < 2:
        return None
    leader, runner = last.iloc[0], last.iloc[1]
    share = "share_of_total" if measure == "velocity_28d" else "share_of_total_downloads_30d"
    match = overtakes[(overtakes["measure"] == measure) & (overtakes["region"] == leader["region"])
                      & (overtakes["overtaken_region"] == runner["region"])]
    return {
        "measure": measure,
        "day": as_date(last_day),
        "leader": leader["region"],
        "runner_up": runner["region"],
        "leader_value": float(leader[measure]),
        "runner_up_value": float(runner[measure]),
        "leader_share": None if pd.isna(leader[share]) else float(leader[share]),
        "overtook_on": as_date(match["overtook_on"].iloc[0]) if len(match) else None,
        "comparable_days": int(match["comparable_days"].iloc[0]) if len(match) else None,
    }


def total_velocity(velocity: pd.DataFrame, day: dt.date, measure: str = "velocity_28d") -> float | None:
    """The tracked total's measure on a day (None when the day has no total row or no known value)."""
    days = pd.to_datetime(velocity["metric_date"]).dt.date
    rows = velocity[(velocity["entity_type"] == "total") & (days == day)]
    if rows.empty or pd.isna(rows[measure].iloc[0]):
        return None
    return float(rows[measure].iloc[0])


def top_movers(
    rows: pd.DataFrame,
    *,
    regions: Sequence[str],
    organizations: Sequence[str] = (),
    limit: int = 15,
    rising: bool = True,
) -> pd.DataFrame:
    """The entities of one day with the largest (rising) or smallest (falling) acceleration, i.e.
    velocity_7d minus the velocity_7d of a week earlier; ties broken by name."""
    keep = rows["region"].isin(list(regions)) & rows["acceleration"].notna()
    if organizations:
        keep &= rows["organization"].isin(list(organizations))
    out = rows.loc[keep].copy()
    out["previous_velocity_7d"] = out["velocity_7d"] - out["acceleration"]
    out["growth"] = [
        (a / p) if p and p > 0 else None
        for a, p in zip(out["acceleration"], out["previous_velocity_7d"], strict=True)
    ]
    out = out.sort_values(["acceleration", "name"], ascending=[not rising, True])
    return out.head(limit).reset_index(drop=True)


def recent_values(series: pd.DataFrame, measure: str, day: dt.date, days: int) -> dict[str, list[float]]:
    """Per entity, its measure on the `days` days ending on `day`, oldest first (missing days left out)."""
    dates = pd.to_datetime(series["metric_date"]).dt.date
    window = series[(dates > day - dt.timedelta(days=days)) & (dates <= day)].sort_values("metric_date")
    return {
        entity: [float(v) for v in group[measure] if not pd.isna(v)]
        for entity, group in window.groupby("entity_id", sort=False)
    }


# ------------------------------------------------------------------------------- 3. ecosystem vs benchmark


def ranked_months(ecosystem: pd.DataFrame) -> list[dt.date]:
    """Months with at least one organisation ranked on both scores, oldest first."""
    ranked = ecosystem[ecosystem["benchmark_rank"].notna() & ecosystem["ecosystem_rank"].notna()]
    return sorted({as_date(m) for m in ranked["month_start"]})


def month_ranks(ecosystem: pd.DataFrame, month: dt.date, regions: Sequence[str]) -> pd.DataFrame:
    """The month's organisations ranked on both scores, in the chosen regions, largest gaps first."""
    months = pd.to_datetime(ecosystem["month_start"]).dt.date
    keep = (months == month) & ecosystem["rank_gap"].notna() & ecosystem["region"].isin(list(regions))
    out = ecosystem.loc[keep].copy()
    out["abs_gap"] = out["rank_gap"].abs()
    out = out.sort_values(["abs_gap", "organization"], ascending=[False, True], ignore_index=True)
    return out.drop(columns="abs_gap")


def correlation_in(correlation: pd.DataFrame, month: dt.date) -> tuple[float | None, int, float | None]:
    """(Spearman of the month, organisations ranked, Spearman of the month before, when known)."""
    months = pd.to_datetime(correlation["month_start"]).dt.date
    row = correlation[months == month]
    previous = correlation[months < month].sort_values("month_start")
    value = None if row.empty or pd.isna(row["spearman_rank_correlation"].iloc[0]) else float(
        row["spearman_rank_correlation"].iloc[0])
    ranked = 0 if row.empty else int(row["organizations_ranked"].iloc[0])
    before = None
    if not previous.empty and not pd.isna(previous["spearman_rank_correlation"].iloc[-1]):
        before = float(previous["spearman_rank_correlation"].iloc[-1])
    return value, ranked, before


# ------------------------------------------------------------------------------------------ 4. derivatives


def bases_released(
    derivatives: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    regions: Sequence[str],
    organizations: Sequence[str] = (),
    relations: Sequence[str] = DERIVATIVE_RELATIONS,
) -> pd.DataFrame:
    """Base models with a real release date in [start, end], in the regions (and organisations, if given),
    with `selected_derivatives` = derivatives of the chosen relation types."""
    released = pd.to_datetime(derivatives["release_date"]).dt.date
    keep = released.notna() & derivatives["region"].isin(list(regions))
    keep &= released.map(lambda d: d is not None and not pd.isna(d) and start <= d <= end).astype(bool)
    if organizations:
        keep &= derivatives["organization"].isin(list(organizations))
    out = derivatives.loc[keep].copy()
    columns = [f"derivatives_{r}" for r in relations]
    out["selected_derivatives"] = out[columns].sum(axis=1).astype("int64") if columns else 0
    return out


def adoption_headline(bases: pd.DataFrame) -> dict:
    """Over the bases: how many, how many built on within 6 weeks (42 days), the median days to the first
    derivative (bases with one), derivatives within 6 weeks, share built by other organisations."""
    n = len(bases)
    within = bases["derivatives_within_42_days"].fillna(0)
    adopted = int((within > 0).sum())
    days = bases["days_to_first_derivative"].dropna().astype(float)
    total = int(bases["derivatives"].sum())
    return {
        "bases": n,
        "adopted_within_42_days": adopted,
        "adopted_share": adopted / n if n else None,
        "median_days_to_first": float(days.median()) if len(days) else None,
        "derivatives_within_42_days": int(within.sum()),
        "derivatives": total,
        "selected_derivatives": int(bases["selected_derivatives"].sum()),
        "share_by_others": (int(bases["derivatives_cross_org"].sum()) / total) if total else None,
    }


def fastest_adopted(bases: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Bases with a derivative, by derivatives within 42 days (desc), days to the first (asc), repo id."""
    out = bases[bases["derivatives"] > 0].copy()
    out["_days"] = out["days_to_first_derivative"].astype("Float64").fillna(float("inf"))
    out["_within"] = out["derivatives_within_42_days"].astype("Float64").fillna(0)
    out = out.sort_values(["_within", "_days", "base_repo_id"], ascending=[False, True, True])
    return out.drop(columns=["_days", "_within"]).head(limit).reset_index(drop=True)


def derivatives_by_base_organization(bases: pd.DataFrame, relations: Sequence[str], limit: int) -> pd.DataFrame:
    """Long rows (organization, region, relation, derivatives) for the organisations whose bases carry the
    most derivatives of the chosen relation types."""
    if bases.empty or not relations:
        return pd.DataFrame(columns=["organization", "region", "relation", "derivatives"])
    columns = [f"derivatives_{r}" for r in relations]
    sums = bases.groupby(["organization", "region"], as_index=False)[columns].sum()
    sums["_total"] = sums[columns].sum(axis=1)
    sums = sums[sums["_total"] > 0].sort_values(["_total", "organization"], ascending=[False, True]).head(limit)
    long = sums.melt(id_vars=["organization", "region", "_total"], value_vars=columns,
                     var_name="relation", value_name="derivatives")
    long["relation"] = long["relation"].str.removeprefix("derivatives_")
    return long.rename(columns={"_total": "total"})


# ---------------------------------------------------------------------------------------- 5. supply chain


def supply_months(supply: pd.DataFrame) -> list[dt.date]:
    """Months with new derivatives, oldest first."""
    return sorted({as_date(m) for m in supply["month_start"]})


def last_complete_month(months: Sequence[dt.date], newest_snapshot: dt.date | None) -> dt.date | None:
    """The latest month that ends on or before the newest snapshot (else the latest month)."""
    if not months:
        return None
    if newest_snapshot is not None:
        complete = [m for m in months if _month_end(m) <= newest_snapshot]
        if complete:
            return complete[-1]
    return months[-1]


def _month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def supply_rows(supply: pd.DataFrame, *, relations: Sequence[str], builders: Sequence[str]) -> pd.DataFrame:
    """Supply-chain rows of the chosen relation types and builder (child) regions."""
    keep = supply["relation"].isin(list(relations)) & supply["child_region"].isin(list(builders))
    out = supply.loc[keep].copy()
    out["month_start"] = pd.to_datetime(out["month_start"])
    return out


def supply_matrix(rows: pd.DataFrame, month: dt.date, measure: str) -> pd.DataFrame:
    """Builder region (rows) x base region (columns) of one month, summed over relations (0 when none)."""
    month_rows = rows[rows["month_start"].dt.date == month]
    if month_rows.empty:
        return pd.DataFrame()
    table = month_rows.pivot_table(index="child_region", columns="base_region", values=measure,
                                   aggfunc="sum", fill_value=0)
    table = table.reindex(index=ordered_regions(table.index), columns=ordered_regions(table.columns))
    return table


def _cross_flags(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(classified pair, crosses regions) per row: is_cross_region is null when the builder or the base has no
    region (unclassified or unknown), so such a row is neither."""
    flag = frame["is_cross_region"].astype("boolean")
    return flag.notna().astype(bool), flag.fillna(False).astype(bool)


def supply_headline(rows: pd.DataFrame, month: dt.date | None, measure: str) -> dict:
    """For one month: total, the cross-region share over classified pairs (builder and base both with a
    region) with the unattributed part beside it, the share built on Chinese bases, the largest flow."""
    if month is None:
        return {"total": 0.0, "cross_region_share": None, "unattributed": 0.0, "unattributed_share": None,
                "china_base_share": None, "top_flow": None, "top_cross_flow": None}
    month_rows = rows[rows["month_start"].dt.date == month]
    values = month_rows[measure].fillna(0)
    total = float(values.sum())
    classified_rows, cross_rows = _cross_flags(month_rows)
    classified = float(values[classified_rows].sum())
    cross = float(values[cross_rows].sum())
    china = float(values[month_rows["base_region"] == "china"].sum())
    flows = (month_rows.assign(value=values).groupby(["child_region", "base_region"], as_index=False)["value"].sum()
             .sort_values(["value", "child_region", "base_region"], ascending=[False, True, True]))
    crossing = flows[(flows["child_region"] != flows["base_region"]) & ~flows["child_region"].isin(NOT_REGIONS)
                     & ~flows["base_region"].isin(NOT_REGIONS)]
    return {
        "total": total,
        "cross_region_share": cross / classified if classified else None,
        "unattributed": total - classified,
        "unattributed_share": (total - classified) / total if total else None,
        "china_base_share": china / total if total else None,
        "top_flow": _first_flow(flows),
        "top_cross_flow": _first_flow(crossing),
    }


def _first_flow(flows: pd.DataFrame) -> tuple[str, str, float] | None:
    if flows.empty or not flows["value"].iloc[0] > 0:
        return None
    return flows["child_region"].iloc[0], flows["base_region"].iloc[0], float(flows["value"].iloc[0])


def largest_change(rows: pd.DataFrame, month: dt.date, compare: dt.date, measure: str) -> tuple[str, str, float] | None:
    """The builder region <- base region pair whose measure changed most (in absolute terms) from `compare`
    to `month`: (builder, base, change); None when nothing changed."""
    def flows(m):
        month_rows = rows[rows["month_start"].dt.date == m]
        return month_rows.assign(value=month_rows[measure].fillna(0)).groupby(
            ["child_region", "base_region"])["value"].sum()

    change = flows(month).sub(flows(compare), fill_value=0).rename("change").reset_index()
    change = change.assign(size=change["change"].abs()).sort_values(
        ["size", "child_region", "base_region"], ascending=[False, True, True])
    if change.empty or change["size"].iloc[0] == 0:
        return None
    top = change.iloc[0]
    return top["child_region"], top["base_region"], float(top["change"])


def supply_over_time(rows: pd.DataFrame, measure: str, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Per month of [first, last] and base region: the measure; plus each month's cross-region share."""
    months = rows["month_start"].dt.date
    window = rows[(months >= first) & (months <= last)]
    by_base = window.groupby(["month_start", "base_region"], as_index=False)[measure].sum()
    by_base = by_base.rename(columns={measure: "value"})
    return by_base


def cross_region_share_by_month(rows: pd.DataFrame, measure: str, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Per month of [first, last]: the share of the classified pairs' measure where builder and base regions
    differ, and beside it the share of the whole measure with a builder or base without a region."""
    months = rows["month_start"].dt.date
    window = rows[(months >= first) & (months <= last)].assign(value=lambda f: f[measure].fillna(0))
    classified_rows, cross_rows = _cross_flags(window)
    window = window.assign(classified=window["value"].where(classified_rows, 0),
                           cross=window["value"].where(cross_rows, 0))
    sums = window.groupby("month_start", as_index=False)[["value", "classified", "cross"]].sum()
    sums["cross_region_share"] = [c / v if v else None
                                  for c, v in zip(sums["cross"], sums["classified"], strict=True)]
    sums["unattributed_share"] = [(v - c) / v if v else None
                                  for c, v in zip(sums["classified"], sums["value"], strict=True)]
    return sums[["month_start", "cross_region_share", "unattributed_share", "value"]]


def coverage_summary(coverage: pd.DataFrame | None) -> dict | None:
    """The latest day's and month's shares held by organisations without a region (fct_attribution_coverage):
    {'day', 'downloads', 'velocity', 'month', 'month_partial', 'releases', 'derivatives', 'pairs'}; None when
    the published version has no coverage mart or it is empty."""
    if coverage is None or coverage.empty:
        return None

    def latest(kind):
        rows = coverage[coverage["period_type"] == kind]
        return None if rows.empty else rows.sort_values("period_start").iloc[-1]

    def value(row, column):
        return None if row is None or pd.isna(row[column]) else float(row[column])

    day, month = latest("day"), latest("month")
    return {
        "day": None if day is None else pd.Timestamp(day["period_start"]).date(),
        "downloads": value(day, "unattributed_download_share"),
        "velocity": value(day, "unattributed_velocity_28d_share"),
        "month": None if month is None else pd.Timestamp(month["period_start"]).date(),
        "month_partial": month is not None and not bool(month["is_period_fully_observed"]),
        "releases": value(month, "unattributed_release_share"),
        "derivatives": value(month, "unattributed_derivative_share"),
        "pairs": value(month, "unattributed_pair_share"),
    }


# ------------------------------------------------------------------------------------------ 6. trajectories


def milestones_in(milestones: pd.DataFrame, regions: Sequence[str]) -> pd.DataFrame:
    """The organisations of `regions`, in the mart's growth order (growth_rank_since_r1, then name; the
    organisations without a release since R1 last)."""
    rows = milestones[milestones["region"].isin(regions)]
    return rows.sort_values(["growth_rank_since_r1", "organization"], na_position="last").reset_index(drop=True)


def fastest_growing(milestones: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The first `limit` organisations ranked by the mart's growth_rank_since_r1 (releases since R1)."""
    ranked = milestones[milestones["growth_rank_since_r1"].notna()]
    return ranked.sort_values(["growth_rank_since_r1", "organization"]).head(limit).reset_index(drop=True)


def trajectory_headline(milestones: pd.DataFrame) -> dict:
    """The page's headline over the chosen organisations: the fastest-growing since R1 (lowest growth rank, ties
    by name) and its releases since R1; releases and derivatives since R1 beside all of them; how many crossed
    10 and 100 releases, and the first to cross 100 (earliest month, ties by name)."""
    top = fastest_growing(milestones, 1)
    crossed = milestones[milestones["month_crossed_100_releases"].notna()].copy()
    crossed["month"] = crossed["month_crossed_100_releases"].map(as_date)
    crossed = crossed.sort_values(["month", "organization"])
    return {
        "fastest": None if top.empty else top["organization"].iloc[0],
        "fastest_since_r1": None if top.empty else int(top["releases_since_r1"].iloc[0]),
        "releases_since_r1": int(milestones["releases_since_r1"].sum()),
        "releases": int(milestones["releases"].sum()),
        "derivatives_since_r1": int(milestones["derivatives_since_r1"].sum()),
        "derivatives": int(milestones["derivatives"].sum()),
        "crossed_10": int(milestones["month_crossed_10_releases"].notna().sum()),
        "crossed_100": len(crossed),
        "first_100": None if crossed.empty else (crossed["organization"].iloc[0], crossed["month"].iloc[0]),
    }


# ------------------------------------------------------------------------------------------ 7. claims
# Rankings, licences and languages: every share is the mart's own column, selected here, never recomputed.

def period_end(period_type: str, start) -> pd.Timestamp:
    """The first day after a period of fct_rankings (a month, or an ISO week of `release_week`)."""
    start = pd.Timestamp(start)
    return start + pd.Timedelta(days=7) if period_type == "release_week" else start + pd.offsets.MonthBegin(1)


def in_regions(frame: pd.DataFrame, regions: Sequence[str]) -> pd.DataFrame:
    """The rows of `regions`, in the mart's order."""
    return frame[frame["region"].isin(list(regions))].reset_index(drop=True)


def ranking_headline(rankings: pd.DataFrame, region: str) -> dict:
    """The region in the latest period of `rankings` (one period type, measure and size, every region): its
    share_of_top, models_in_top and best_rank (None / 0 when it has no ranked model there); and the periods it
    led (it held the first place: best_rank 1, as the demo summary counts them) before and since R1."""
    if rankings.empty:
        return {"period": None, "share": None, "in_top": 0, "best_rank": None, "period_models": None,
                "led_since_r1": 0, "periods_since_r1": 0, "led_before_r1": 0, "periods_before_r1": 0}
    latest = rankings["period_start"].max()
    period = rankings[rankings["period_start"] == latest]
    mine = period[period["region"] == region]
    led = rankings[(rankings["region"] == region) & (rankings["best_rank"] == 1)]
    post = rankings.drop_duplicates("period_start")["is_post_r1"].astype(bool)
    return {
        "period": as_date(latest),
        "share": None if mine.empty else float(mine["share_of_top"].iloc[0]),
        "in_top": 0 if mine.empty else int(mine["models_in_top"].iloc[0]),
        "best_rank": None if mine.empty else int(mine["best_rank"].iloc[0]),
        "period_models": int(period["period_models"].iloc[0]),
        "led_since_r1": int(led["is_post_r1"].astype(bool).sum()),
        "periods_since_r1": int(post.sum()),
        "led_before_r1": int((~led["is_post_r1"].astype(bool)).sum()),
        "periods_before_r1": int((~post).sum()),
    }


def licence_headline(licences: pd.DataFrame, region: str) -> dict:
    """The region's latest month with a release: each licence family's release_share and releases (a family
    without a row there had none: 0), and the month's releases."""
    rows = licences[(licences["region"] == region) & licences["release_share"].notna()]
    if rows.empty:
        return {"month": None, "releases": 0, "families": {}}
    latest = rows["month_start"].max()
    month = rows[rows["month_start"] == latest]
    return {
        "month": as_date(latest),
        "releases": int(month["releases"].sum()),
        "families": {family: (float(share), int(releases)) for family, share, releases in
                     zip(month["license_family"], month["release_share"], month["releases"], strict=True)},
    }


def language_headline(languages: pd.DataFrame, region: str) -> dict:
    """The region's latest month with a release (share_beyond_english, its releases, the mean and most named
    languages declared), and its releases beyond English since R1 beside all its releases since R1."""
    rows = languages[languages["region"] == region]
    if rows.empty:
        return {"month": None, "share": None, "beyond": 0, "releases": 0, "mean_languages": None,
                "max_languages": None, "beyond_since_r1": 0, "releases_since_r1": 0}
    last = rows.loc[rows["month_start"] == rows["month_start"].max()].iloc[0]
    mean = last["mean_languages_declared"]
    return {
        "month": as_date(last["month_start"]),
        "share": float(last["share_beyond_english"]),
        "beyond": int(last["releases_beyond_english"]),
        "releases": int(last["releases"]),
        "mean_languages": None if pd.isna(mean) else float(mean),
        "max_languages": None if pd.isna(last["max_languages_declared"]) else int(last["max_languages_declared"]),
        "beyond_since_r1": int(rows["releases_beyond_english_since_r1"].sum()),
        "releases_since_r1": int(rows["releases_since_r1"].sum()),
    }


def latest_family_downloads(families: pd.DataFrame, region: str) -> pd.DataFrame:
    """The region's language families in its latest month with downloads, by download share (largest first)."""
    rows = families[(families["region"] == region) & families["download_share"].notna()]
    if rows.empty:
        return rows.reset_index(drop=True)
    rows = rows[rows["month_start"] == rows["month_start"].max()]
    return rows.sort_values(["download_share", "language_family"], ascending=[False, True]).reset_index(drop=True)
