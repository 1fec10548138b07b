"""Printed summaries of what a run left behind (used by `hubpulse demo`)."""

from __future__ import annotations

from pathlib import Path

from orchestration import settings


def print_raw_summary(home: Path) -> None:
    """Print the raw layer: dates, models per day, organisations, rejects (read in place with DuckDB)."""
    import duckdb

    raw = settings.raw_models_dir(home)
    con = duckdb.connect()
    row = con.execute(
        """
        select count(distinct snapshot_date), min(snapshot_date), max(snapshot_date), count(*),
               count(distinct id), count(distinct author)
        from read_parquet(?)
        """,
        [str(raw / "*" / "*.parquet")],
    ).fetchone()
    days, first, last, rows, models, authors = row
    print(f"raw partitions: {days} snapshot dates {first} .. {last} under {raw}")
    print(f"  {rows:,} model rows, {models:,} distinct models, {authors:,} authors")
    per_day = con.execute(
        """
        select snapshot_date, count(*) as models, sum(downloads_all_time) as downloads_all_time
        from read_parquet(?) group by all order by snapshot_date
        """,
        [str(raw / "*" / "*.parquet")],
    ).fetchall()
    for day, n, total in [per_day[0], per_day[len(per_day) // 2], per_day[-1]]:
        print(f"  {day}: {n:,} models in scope, {int(total or 0):,} cumulative downloads")


def _print_table(title: str, headers: list[str], rows: list[tuple], empty: str = "no rows") -> None:
    print(f"\n{title}")
    if not rows:
        print(f"  ({empty})")
        return
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells:
        print("  " + "  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("-", "").isdigit()


def overtakes(series: dict[str, list[tuple]]) -> list[tuple]:
    """For each pair of entities, the last day the leader moved ahead for good.

    `series` maps an entity to its (day, value) points, sorted by day. A pair is reported when the entity
    ahead on the last common day was behind or level at some earlier day: the day after its last such day.
    """
    found = []
    names = sorted(series)
    for a in names:
        for b in names:
            if a == b:
                continue
            b_by_day = dict(series[b])
            common = [(d, v, b_by_day[d]) for d, v in series[a] if d in b_by_day and v is not None and b_by_day[d] is not None]
            if not common or common[-1][1] <= common[-1][2]:
                continue
            behind = [i for i, (_d, va, vb) in enumerate(common) if va <= vb]
            if behind and behind[-1] + 1 < len(common):
                day, va, vb = common[behind[-1] + 1]
                found.append((a, b, day, va, vb))
    return found


def print_warehouse_summary(home: Path) -> None:
    """Answer the five questions of the SPEC from the marts, one small table each."""
    import duckdb

    path = settings.warehouse_path(home)
    con = duckdb.connect(str(path), read_only=True)
    try:
        q = con.execute
        r1 = "date '2025-01-20'"
        rows = q(f"""
            select entity_id as region,
                   count(*) filter (where week_start < {r1}) as weeks_before,
                   round(avg(releases) filter (where week_start < {r1}), 2) as per_week_before,
                   count(*) filter (where week_start >= {r1}) as weeks_after,
                   round(avg(releases) filter (where week_start >= {r1}), 2) as per_week_after
            from marts.fct_release_cadence
            where entity_type = 'region'
              and week_start >= (select min(snapshot_date) from marts.fct_model_daily)
            group by all order by per_week_after desc nulls last
        """).fetchall()
        _print_table("1. Release cadence: releases per week by region, before and after DeepSeek-R1 (2025-01-20)",
                     ["region", "weeks before", "per week before", "weeks after", "per week after"], rows)

        # From the 28th day of the history on: before it a 28-day velocity covers fewer days than its name says.
        points = q("""
            select entity_id, metric_date, velocity_28d from marts.fct_download_velocity
            where entity_type = 'region' and entity_id in ('china', 'us', 'eu')
              and metric_date >= (select min(snapshot_date) from marts.fct_model_daily) + interval 27 day
            order by entity_id, metric_date
        """).fetchall()
        series: dict[str, list[tuple]] = {}
        for region, day, value in points:
            series.setdefault(region, []).append((day, value))
        _print_table("2. Download velocity: the day one region's 28-day velocity overtook another's for good "
                     "(from the 28th day on)",
                     ["region", "overtook", "on", "its velocity_28d", "the other's"], overtakes(series),
                     empty="no region's lead changed for good in this window; `make demo-full` runs sixteen months")
        shares = q("""
            select entity_id, round(100 * share_of_total, 1) from marts.fct_download_velocity
            where entity_type = 'region' and metric_date = (select max(metric_date) from marts.fct_download_velocity)
            order by 2 desc
        """).fetchall()
        print("  share of the tracked 28-day velocity on the last day: "
              + ", ".join(f"{region} {share}%" for region, share in shares))

        rows = q("""
            select base_repo_id, region, release_date, days_to_first_derivative, derivatives_within_42_days,
                   derivatives, round(100 * share_by_other_organizations, 1)
            from marts.fct_derivatives
            where release_date >= (select min(snapshot_date) from marts.fct_model_daily)
            order by derivatives_within_42_days desc, days_to_first_derivative asc nulls last, base_repo_id
            limit 8
        """).fetchall()
        _print_table("4. Derivatives: fastest-adopted base models released in the window",
                     ["base model", "region", "released", "days to 1st", "within 42 days", "all", "% by others"], rows)

        month = q("select max(month_start) from marts.fct_supply_chain where month_start < "
                  "date_trunc('month', (select max(snapshot_date) from marts.fct_model_daily))").fetchone()[0]
        rows = q("""
            select child_region,
                   sum(new_derivatives) filter (where base_region = 'china') as on_china,
                   sum(new_derivatives) filter (where base_region = 'us') as on_us,
                   sum(new_derivatives) filter (where base_region = 'eu') as on_eu,
                   sum(new_derivatives) filter (where base_region not in ('china', 'us', 'eu')) as on_other,
                   sum(new_derivatives) as total
            from marts.fct_supply_chain where month_start = ?
            group by all order by total desc
        """, [month]).fetchall()
        _print_table(f"5. Supply chain: new derivatives in {month:%Y-%m} by builder region (rows) and base region",
                     ["builder region", "on china", "on us", "on eu", "on other", "total"], rows)

        month = q("select max(month_start) from marts.fct_ecosystem_vs_benchmark where benchmark_rank is not null"
                  ).fetchone()[0]
        rows = q("""
            select organization, benchmark_rank::int, ecosystem_rank::int, rank_gap::int, round(benchmark_score, 1),
                   round(100 * ecosystem_score, 2)
            from marts.fct_ecosystem_vs_benchmark
            where month_start = ? and rank_gap is not null
            order by abs(rank_gap) desc, organization limit 8
        """, [month]).fetchall()
        _print_table(f"3. Ecosystem vs benchmark, {month:%Y-%m}: largest gaps (benchmark rank - ecosystem rank)",
                     ["organisation", "benchmark rank", "ecosystem rank", "gap", "best score", "% downloads"], rows)
        rows = q("""
            select strftime(month_start, '%Y-%m'), organizations_ranked, round(spearman_rank_correlation, 2)
            from marts.fct_benchmark_adoption_correlation order by month_start desc limit 6
        """).fetchall()
        _print_table("   Do benchmark scores still predict adoption? Spearman rank correlation per month",
                     ["month", "organisations", "spearman"], rows)
    finally:
        con.close()
    print(f"\nwarehouse: {path} (schemas staging, intermediate, marts)")
