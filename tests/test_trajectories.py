"""Organisation trajectories (issue 17, claim 4), built for real from a small simulated history.

`fct_organization_trajectories` (organisation x month) and `fct_organization_milestones` (organisation) are
checked against the simulator's ground truth (`releases.csv`, `derivative_edges.csv`, `models.csv`) and against
the independent recomputation of `tests/warehouse_reference.py`. The history is simulated, imported and built
(the two marts, their parents and every test on them) once for the module.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import warehouse_reference as reference
from test_warehouse import PROJECT_DIR, assert_same_rows, run_dbt

from orchestration.hub.transfer import import_archive
from orchestration.localhub.simulator import SimulationConfig, simulate

# After R1, so an organisation's history holds releases and derivatives on both sides of it; the community
# accounts of seed 21 release enough for one to cross 100 releases.
START, END = dt.date(2025, 6, 2), dt.date(2025, 6, 12)
R1 = dt.date(2025, 1, 20)
KEYS = {"fct_organization_trajectories": ["organization", "month_start"], "fct_organization_milestones": ["organization"]}


class Built:
    def __init__(self, root: Path):
        self.archive = root / "archive"
        self.home = root / "home"
        self.raw_root = self.home / "raw" / "hub_models"

    def truth(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.archive / "ground_truth" / name, dtype=str, keep_default_na=False, na_values=[""])

    def rows(self, name: str) -> list[dict]:
        con = duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True)
        try:
            cursor = con.execute(f"select * from marts.{name}")
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()

    def raw_objects(self) -> set[str]:
        return {o for path in self.raw_root.glob("snapshot_date=*/*.parquet")
                for o in pq.read_table(path, columns=["object_id"])["object_id"].to_pylist()}

    def last_snapshot(self) -> dt.date:
        return max(dt.date.fromisoformat(p.name.split("=", 1)[1]) for p in self.raw_root.glob("snapshot_date=*"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    b = Built(tmp_path_factory.mktemp("trajectories"))
    simulate(SimulationConfig(start=START, end=END, seed=21, community_authors=20, catalogue_fraction=0.5,
                              missing_dates=1, rename_at=0.5), b.archive, log=lambda _: None)
    b.raw_root.mkdir(parents=True)
    import_archive(b.archive, b.raw_root, b.home / "raw" / "hub_models_rejects", log=lambda _: None)
    # build: the two marts, their parents and every data test on them (severity error: a failure fails here)
    run_dbt(b.home, "build", "--select", "+fct_organization_trajectories", "+fct_organization_milestones",
            "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious")
    return b


@pytest.fixture(scope="module")
def expected(built) -> dict[str, pd.DataFrame]:
    return reference.compute(built.raw_root, PROJECT_DIR)


def _truth_events(built: Built) -> tuple[dict, dict, dict]:
    """From the ground truth only: per author its release dates, its derivatives' child creation dates (None for
    a child showing the placeholder createdAt) and its region, for the repos the input holds."""
    seen = built.raw_objects()
    releases = built.truth("releases.csv")
    releases = releases[releases["object_id"].isin(seen)]
    placeholder = set(built.truth("models.csv").query("is_placeholder_created_at == 'true'")["object_id"])
    edges = built.truth("derivative_edges.csv")
    edges = edges[edges["child_object_id"].isin(seen)]
    released: dict[str, list[dt.date]] = defaultdict(list)
    derived: dict[str, list[dt.date | None]] = defaultdict(list)
    regions: dict[str, str] = {}
    for r in releases.itertuples():
        released[r.author].append(dt.date.fromisoformat(r.created_date))
        regions[r.author] = r.region
    for e in edges.itertuples():
        derived[e.parent_author].append(
            None if e.child_object_id in placeholder else dt.date.fromisoformat(e.child_created_date))
        regions.setdefault(e.parent_author, e.parent_region)
    return released, derived, regions


def test_milestones_equal_the_ground_truth(built):
    released, derived, regions = _truth_events(built)
    assert max(len(v) for v in released.values()) >= 100, "the history must hold an organisation crossing 100"
    assert sum(len(v) >= 10 for v in released.values()) >= 5
    assert any(None in v for v in derived.values()), "the history must hold an undated derivative"
    rows = {r["organization"]: r for r in built.rows("fct_organization_milestones")}
    for org in set(released) | set(derived):
        dates = sorted(released.get(org, []))
        kids = derived.get(org, [])
        r = rows[org]
        assert (r["releases"], r["releases_before_r1"], r["releases_since_r1"]) == (
            len(dates), sum(d < R1 for d in dates), sum(d >= R1 for d in dates)), org
        assert r["first_release_date"] == (dates[0] if dates else None), org
        assert r["month_crossed_10_releases"] == (dates[9].replace(day=1) if len(dates) >= 10 else None), org
        assert r["month_crossed_100_releases"] == (dates[99].replace(day=1) if len(dates) >= 100 else None), org
        assert (r["derivatives"], r["derivatives_before_r1"], r["derivatives_since_r1"], r["derivatives_undated"]) == (
            len(kids), sum(d is not None and d < R1 for d in kids), sum(d is not None and d >= R1 for d in kids),
            sum(d is None for d in kids)), org
        if org in released:
            assert r["region"] == regions[org], org
    # Everyone else (seeded organisations without a release in the input) has zeros, and is still a row.
    for org, r in rows.items():
        if org not in released and org not in derived:
            assert (r["releases"], r["derivatives"], r["growth_rank_since_r1"]) == (0, 0, None), org
    # Unattributed builders are counted, never dropped.
    assert any(r["region"] == "unclassified" and r["releases"] > 0 for r in rows.values())
    # The fastest-growing since R1: the most releases since R1 (rank 1, or the average rank of a tie).
    since = {org: sum(d >= R1 for d in dates) for org, dates in released.items() if any(d >= R1 for d in dates)}
    ranked = {o: r["growth_rank_since_r1"] for o, r in rows.items() if r["growth_rank_since_r1"] is not None}
    assert set(ranked) == set(since)
    assert {o for o, rank in ranked.items() if rank == min(ranked.values())} == {
        o for o, n in since.items() if n == max(since.values())}


def test_trajectories_equal_the_ground_truth(built):
    released, derived, _regions = _truth_events(built)
    last_month = built.last_snapshot().replace(day=1)
    expected: dict[tuple, tuple] = {}
    for org in set(released) | {o for o, v in derived.items() if any(d is not None for d in v)}:
        dates = released.get(org, [])
        kids = [d for d in derived.get(org, []) if d is not None]
        month = min(d.replace(day=1) for d in dates + kids)
        while month <= last_month:
            end = reference._month_end(month)
            expected[(org, month)] = (
                sum(d.replace(day=1) == month for d in dates), sum(d <= end for d in dates),
                sum(R1 <= d <= end for d in dates),
                sum(d.replace(day=1) == month for d in kids), sum(d <= end for d in kids),
                sum(R1 <= d <= end for d in kids),
            )
            month = (end + dt.timedelta(days=1))
    actual = {
        (r["organization"], r["month_start"]): (
            r["releases"], r["cumulative_releases"], r["cumulative_releases_since_r1"], r["new_derivatives"],
            r["cumulative_derivatives"], r["cumulative_derivatives_since_r1"])
        for r in built.rows("fct_organization_trajectories")
    }
    assert len(expected) > 500
    assert set(actual) == set(expected)
    differing = [(k, actual[k], expected[k]) for k in expected if actual[k] != expected[k]]
    assert not differing, differing[:5]


@pytest.mark.parametrize("name", list(KEYS))
def test_mart_equals_python_recomputation(name, built, expected):
    assert_same_rows(built.rows(name), expected[name], KEYS[name], name)
