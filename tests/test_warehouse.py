"""The dbt warehouse, built for real (dbt CLI, DuckDB file under tmp_path) from a small simulated history.

Every mart is compared with an independent Python recomputation of the SPEC definitions
(`tests/warehouse_reference.py`) and, where it applies, with the simulator's ground truth. Daily windowed
incremental runs must end equal to a full refresh. The history is simulated and built once per module.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import warehouse_reference as reference

from orchestration.hub.archive import write_snapshot
from orchestration.hub.transfer import import_archive
from orchestration.localhub.simulator import SimulationConfig, simulate
from tests.conftest import make_item

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")

START, END = dt.date(2025, 1, 6), dt.date(2025, 2, 9)  # spans R1 (2025-01-20) and a month boundary
MISSING_DATES = (dt.date(2025, 1, 19), dt.date(2025, 2, 5))
DAILY_FROM = dt.date(2025, 2, 5)  # day-by-day runs from here to END: a missing date, then both scope moves
# A model absent 2025-01-22 .. 2025-02-04 that is back on 2025-02-06 (2025-02-05 has no file): its previous
# snapshot is older than any fixed look-back. A long-existing model only enters the scope on 2025-02-07.
ABSENT_FROM, ABSENT_TO = dt.date(2025, 1, 22), dt.date(2025, 2, 4)
BACK_ON = dt.date(2025, 2, 6)
ENTERS_ON = dt.date(2025, 2, 7)

# The compact daily copies the unpartitioned models aggregate instead of the raw history (issue 18): plumbing,
# compared with a full refresh of themselves; what is built from them is compared with the reference.
COMPACT_MODELS = {
    "int_model_snapshots_daily": ("intermediate", ["model_id", "snapshot_date"]),
    "int_model_listings": ("intermediate", ["listing_id"]),
    "int_models_monthly_downloads": ("intermediate", ["model_id", "month_start", "is_post_r1", "organization", "region"]),
}
# The daily-partitioned incrementals (tag daily_partitioned): any sequence of windows equals a full refresh.
INCREMENTAL_MODELS = {
    **COMPACT_MODELS,
    "int_models_daily_downloads": ("intermediate", ["model_id", "download_date"]),
    "fct_model_daily": ("marts", ["model_id", "snapshot_date"]),
    "fct_download_velocity": ("marts", ["entity_type", "entity_id", "metric_date"]),
}
# The state of each model's names the daily run merges its new days into (int_model_names_seen) and the two models
# built from it: any sequence of windows, then a build without a window (as Dagster's marts run), equals a full refresh.
STATE_MODELS = {
    "int_model_names_seen": ("intermediate", ["model_id", "repo_id"]),
    "int_models_profiled": ("intermediate", ["model_id"]),
    "int_repo_ids_resolved": ("intermediate", ["canonical_repo_id"]),
}
# The daily-partitioned incrementals the reference (tests/warehouse_reference.py) recomputes.
DAILY_RELATIONS = {name: grain for name, grain in INCREMENTAL_MODELS.items() if name not in COMPACT_MODELS}
RELATIONS = {
    **DAILY_RELATIONS,
    "int_model_lineage": ("intermediate", ["child_model_id", "parent_key"]),
    "int_releases": ("intermediate", ["model_id"]),
    "dim_models": ("marts", ["model_id"]),
    "dim_organizations": ("marts", ["organization"]),
    "fct_release_cadence": ("marts", ["entity_type", "entity_id", "week_start"]),
    "fct_derivatives": ("marts", ["base_model_id"]),
    "fct_supply_chain": ("marts", ["month_start", "child_region", "base_region", "relation"]),
    "fct_ecosystem_vs_benchmark": ("marts", ["organization", "month_start"]),
    "fct_benchmark_adoption_correlation": ("marts", ["month_start"]),
    "fct_velocity_overtakes": ("marts", ["measure", "region", "overtaken_region"]),
    "int_organization_regions_overridden": ("intermediate", ["hf_org"]),
    "fct_attribution_coverage": ("marts", ["period_type", "period_start"]),
    "fct_unattributed_organizations": ("marts", ["organization"]),
    "fct_organization_trajectories": ("marts", ["organization", "month_start"]),
    "fct_organization_milestones": ("marts", ["organization"]),
}


# ------------------------------------------------------------------------------------------ helpers


def run_dbt(home: Path, *args: str, window: tuple[dt.date, dt.date] | None = None,
            env_extra: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the dbt CLI against `home` (its warehouse and raw partitions); target and logs stay in `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_WINDOW_")}
    env["HUBPULSE_HOME"] = str(home)
    if window is not None:
        env["HUBPULSE_WINDOW_START"], env["HUBPULSE_WINDOW_END"] = window[0].isoformat(), window[1].isoformat()
    env.update(env_extra or {})
    cmd = [str(DBT), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
           "--target-path", str(home / "dbt_target"), "--log-path", str(home / "dbt_logs")]
    result = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    return result


def read_relations(home: Path, names) -> dict[str, list[dict]]:
    """Rows of each relation as Python values (dates, tz-aware datetimes, floats, lists)."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        out = {}
        for name in names:
            schema = {**INCREMENTAL_MODELS, **STATE_MODELS, **RELATIONS}[name][0]
            cursor = con.execute(f"select * from {schema}.{name}")
            columns = [d[0] for d in cursor.description]
            out[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        return out
    finally:
        con.close()


_value = reference.comparable
_same = reference.same_value


def assert_same_rows(actual: list[dict], expected: pd.DataFrame | list[dict], keys: list[str], name: str) -> None:
    """Same key set, same columns, equal values (floats within a tight tolerance, nulls equal)."""
    expected_rows = expected.to_dict("records") if isinstance(expected, pd.DataFrame) else expected
    assert actual, f"{name}: the warehouse relation is empty"
    assert set(actual[0]) == set(expected_rows[0]), (
        f"{name}: columns differ: only in dbt {set(actual[0]) - set(expected_rows[0])}, "
        f"only in reference {set(expected_rows[0]) - set(actual[0])}")

    def keyed(rows):
        out = {}
        for row in rows:
            key = tuple(_value(row[k]) for k in keys)
            assert key not in out, f"{name}: duplicate key {key}"
            out[key] = row
        return out

    a, e = keyed(actual), keyed(expected_rows)
    assert set(a) == set(e), (f"{name}: keys only in dbt {sorted(set(a) - set(e), key=str)[:5]}, "
                              f"only in reference {sorted(set(e) - set(a), key=str)[:5]}")
    mismatches = [
        (key, column, a[key][column], e[key][column])
        for key in a for column in a[key] if not _same(a[key][column], e[key][column])
    ]
    assert not mismatches, f"{name}: {len(mismatches)} values differ, e.g. {mismatches[:5]}"


# ------------------------------------------------------------------------------------------ fixtures


@dataclass
class History:
    archive: Path
    raw_root: Path
    absent_model: str  # object id of the model removed from the raw partitions ABSENT_FROM..ABSENT_TO
    late_model: str  # object id of the model removed before ENTERS_ON

    def truth(self, name: str) -> pd.DataFrame:
        path = self.archive / "ground_truth" / name
        with (gzip.open(path, "rt") if path.suffix == ".gz" else open(path)) as fh:
            return pd.read_csv(fh, keep_default_na=False, na_values=[""], dtype=str)


def _edit_partitions(raw_root: Path, object_id: str, first: dt.date | None, last: dt.date) -> None:
    """Drop a model from the raw partitions of [first, last]: it leaves the scope, then comes back."""
    for path in sorted(raw_root.glob("snapshot_date=*/part-0.parquet")):
        day = dt.date.fromisoformat(path.parent.name.split("=", 1)[1])
        if (first is None or day >= first) and day <= last:
            table = pq.read_table(path)
            pq.write_table(table.filter(pc.not_equal(table["object_id"], object_id)), path)


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> History:
    """A 35-day simulated Hub imported into raw partitions, with two models moved out of scope a while."""
    root = tmp_path_factory.mktemp("warehouse_history")
    archive = root / "archive"
    simulate(SimulationConfig(start=START, end=END, seed=15, community_authors=30, catalogue_fraction=0.08,
                              missing_dates=MISSING_DATES, rename_at=0.85, deleted_share=0.03,
                              recount_share=0.03, missing_downloads_all_time=0.01), archive, log=lambda _: None)
    raw_root = root / "raw" / "hub_models"
    import_archive(archive, raw_root, root / "raw" / "hub_models_rejects", log=lambda _: None)
    models = pd.read_csv(archive / "ground_truth" / "models.csv", dtype=str, keep_default_na=False)
    stable = models[(models["first_date"] == START.isoformat()) & (models["last_date"] == END.isoformat())
                    & (models["is_placeholder_created_at"] == "false") & (models["renamed_from"] == "")
                    & (models["created_at"] < START.isoformat())].sort_values("object_id")
    absent, late = stable["object_id"].iloc[0], stable["object_id"].iloc[1]
    _edit_partitions(raw_root, absent, ABSENT_FROM, ABSENT_TO)
    _edit_partitions(raw_root, late, None, ENTERS_ON - dt.timedelta(days=1))
    return History(archive=archive, raw_root=raw_root, absent_model=absent, late_model=late)


def _home_with_raw(root: Path, history: History, days=None) -> Path:
    """A home whose raw layer holds the history's partitions (only `days` of them when given)."""
    home = root / "home"
    (home / "raw" / "hub_models").mkdir(parents=True)
    _arrive(history, home, days)
    return home


def _arrive(history: History, home: Path, days=None) -> None:
    """Copy raw partitions into `home` as the ingestion would write them: `days` only, or every one."""
    for folder in sorted(history.raw_root.glob("snapshot_date=*")):
        day = dt.date.fromisoformat(folder.name.split("=", 1)[1])
        if days is None or day in days:
            target = home / "raw" / "hub_models" / folder.name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(folder, target)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _build_day_by_day(history: History, home: Path) -> Path:
    """Build the incrementals as the daily schedule would: each raw day arrives, then its window runs.

    One window up to DAILY_FROM - 1 first (the days before it arrived at once, as an import would), then one
    day at a time: so the windows always end on the newest raw day, the ordinary path with no late day.
    """
    # cautious: only the tests whose parents are all selected (the dimensions' key tests over the facts wait
    # for the run that builds the dimensions), as the Dagster side runs the partitioned models.
    run_dbt(home, "build", "--select", "+tag:daily_partitioned", "--indirect-selection", "cautious",
            "--exclude-resource-type", "unit_test", window=(START, DAILY_FROM - dt.timedelta(days=1)))
    for day in _days(DAILY_FROM, END):
        _arrive(history, home, {day})
        run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(day, day))
    return home


@pytest.fixture(scope="module")
def day_by_day(history, tmp_path_factory):
    """The day-by-day build of a second warehouse, started in the background beside the full build."""
    home = _home_with_raw(tmp_path_factory.mktemp("warehouse_incremental"), history,
                          set(_days(START, DAILY_FROM - dt.timedelta(days=1))))
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(_build_day_by_day, history, home)


@pytest.fixture(scope="module")
def full_home(history, day_by_day, tmp_path_factory) -> Path:
    """`dbt build` (seeds, models, unit tests, data tests) of the whole history, then `dbt docs generate`."""
    home = _home_with_raw(tmp_path_factory.mktemp("warehouse_full"), history)
    run_dbt(home, "build")
    run_dbt(home, "docs", "generate")
    return home


@pytest.fixture(scope="module")
def built(full_home) -> dict[str, list[dict]]:
    return read_relations(full_home, {**RELATIONS, **COMPACT_MODELS})


@pytest.fixture(scope="module")
def expected(history) -> dict[str, pd.DataFrame]:
    return reference.compute(history.raw_root, PROJECT_DIR)


# ---------------------------------------------------------------------------- marts vs the reference


@pytest.mark.parametrize("name", list(RELATIONS))
def test_relation_equals_python_recomputation(name, built, expected):
    assert_same_rows(built[name], expected[name], RELATIONS[name][1], name)


def test_history_exercises_every_daily_download_rule(expected, history):
    daily = expected["int_models_daily_downloads"]
    assert daily["is_interpolated"].sum() > 0
    assert daily["is_recount"].sum() > 0
    assert daily["is_new_model"].sum() > 0
    assert daily["is_entered_scope"].sum() > 0
    missing_all_time = daily[~daily["is_entered_scope"] & daily["daily_downloads"].isna()]
    assert len(missing_all_time) > 0
    late = daily[(daily["model_id"] == history.late_model) & (daily["snapshot_date"] == ENTERS_ON)]
    assert late["is_entered_scope"].all() and late["daily_downloads"].isna().all()
    back = daily[(daily["model_id"] == history.absent_model) & (daily["snapshot_date"] == BACK_ON)]
    assert len(back) == (BACK_ON - ABSENT_FROM).days + 1 and back["is_interpolated"].all()


# ----------------------------------------------------------------------------- vs the simulator truth


def _raw_observations(raw_root: Path) -> dict[str, list[tuple[dt.date, int | None]]]:
    """Each model's raw snapshots, oldest first: (date, the reported downloadsAllTime or None), from the input."""
    con = duckdb.connect()
    try:
        rows = con.execute(f"""
            select distinct coalesce(object_id, id) as model_id, snapshot_date, downloads_all_time
            from read_parquet('{raw_root}/snapshot_date=*/*.parquet', hive_partitioning = true,
                hive_types = {{'snapshot_date': 'date'}})
            order by model_id, snapshot_date""").fetchall()
    finally:
        con.close()
    out: dict[str, list[tuple[dt.date, int | None]]] = {}
    for model_id, day, downloads_all_time in rows:
        snapshots = out.setdefault(model_id, [])
        assert not snapshots or snapshots[-1][0] != day, f"{model_id} {day}: two counts in one crawl"
        snapshots.append((day, downloads_all_time))
    return out


def _raw_models(history: History) -> set[str]:
    """The models (Hub object ids) the raw partitions hold on at least one date: the input's, not dbt's."""
    return set(_raw_observations(history.raw_root))


def test_daily_downloads_equal_simulator_truth(built, history):
    """Every day after a model's first raw snapshot, from the input and the truth alone: which days each model was
    in a raw partition and what it reported (the raw layer), its true downloads and recount days (the simulator).

    A one-day interval counts the true downloads of its day (a zero among them: a zero delta is no recount) or, on
    a recount day, 0 flagged `is_recount`; a longer interval (a missing date, a model out of scope a while) spreads
    the true downloads of its days evenly, flagged `is_interpolated`; an unknown count on either side leaves every
    day of the interval unknown. A first appearance (new model or entered scope) depends on the creation rule and
    is left to the reference comparison and the unit tests.
    """
    truth = history.truth("daily_downloads.csv.gz")
    true_daily = {(r.object_id, dt.date.fromisoformat(r.snapshot_date)): int(r.true_daily_downloads)
                  for r in truth.itertuples()}
    recount_days = {(r.object_id, dt.date.fromisoformat(r.snapshot_date)) for r in truth.itertuples()
                    if r.is_recount_day == "true"}
    observed = _raw_observations(history.raw_root)
    first_snapshot = {model_id: snapshots[0][0] for model_id, snapshots in observed.items()}
    # (model, day) -> (kind, expected daily downloads, is_interpolated, is_recount)
    expected: dict[tuple[str, dt.date], tuple[str, float | None, bool, bool]] = {}
    for model_id, snapshots in observed.items():
        for (previous, before), (day, after) in pairwise(snapshots):
            days = _days(previous + dt.timedelta(days=1), day)
            recounted = any((model_id, d) in recount_days for d in days)
            if before is None or after is None:
                kind, value, recount = "unknown", None, False
            elif recounted and len(days) == 1:
                kind, value, recount = "recount", 0.0, True
            elif recounted:  # the drop may or may not outweigh the other days' downloads: the raw delta decides
                delta = after - before
                kind, value, recount = "spread recount", (0.0 if delta < 0 else delta / len(days)), delta < 0
            else:
                kind = "clean" if len(days) == 1 else "spread"
                value, recount = sum(true_daily[(model_id, d)] for d in days) / len(days), False
            for d in days:
                expected[(model_id, d)] = (kind, value, len(days) > 1, recount)
    kinds = [kind for kind, *_ in expected.values()]
    clean_zero = [key for key, (kind, value, *_) in expected.items() if kind == "clean" and value == 0]
    assert kinds.count("clean") > 1000 and len(clean_zero) > 10, "the history has too few clean (or zero) days"
    assert kinds.count("recount") > 0 and kinds.count("spread") > 20 and kinds.count("unknown") > 0

    rows = {(r["model_id"], r["download_date"]): r for r in built["int_models_daily_downloads"]
            if r["snapshot_date"] != first_snapshot.get(r["model_id"])}
    assert set(rows) == set(expected), (
        f"days only in dbt {sorted(set(rows) - set(expected), key=str)[:5]}, "
        f"missing from dbt {sorted(set(expected) - set(rows), key=str)[:5]}")
    wrong = [(key, kind, (r["daily_downloads"], r["is_interpolated"], r["is_recount"]), (value, spread, recount))
             for key, (kind, value, spread, recount) in expected.items() for r in [rows[key]]
             if not (_same(r["daily_downloads"], value) and r["is_interpolated"] == spread
                     and r["is_recount"] == recount)]
    assert not wrong, f"{len(wrong)} days differ from the truth, e.g. {wrong[:5]}"


def test_model_daily_carries_the_reported_counters(built, history):
    truth = history.truth("daily_downloads.csv.gz")
    reported = {(r.object_id, dt.date.fromisoformat(r.snapshot_date)): r for r in truth.itertuples()}
    # One row per model and raw snapshot, every one of them (the raw layer decides, not what dbt kept).
    observed = {(model_id, day) for model_id, snapshots in _raw_observations(history.raw_root).items()
                for day, _ in snapshots}
    rows = {(row["model_id"], row["snapshot_date"]): row for row in built["fct_model_daily"]}
    assert len(rows) == len(built["fct_model_daily"]) and set(rows) == observed, (
        sorted(set(rows) ^ observed, key=str)[:5])
    for key in observed:
        row, t = rows[key], reported[key]
        assert row["downloads_30d"] == int(t.downloads_30d)
        assert row["likes"] == int(t.likes)
        assert row["downloads_all_time"] == (None if pd.isna(t.reported_downloads_all_time)
                                             else int(t.reported_downloads_all_time))


def test_releases_equal_simulator_truth(built, history):
    truth = history.truth("releases.csv")
    truth = truth[truth["object_id"].isin(_raw_models(history))]  # the repos the input holds, released or not
    assert len(truth) > 100
    releases = {r["model_id"]: r for r in built["int_releases"]}
    assert set(releases) == set(truth["object_id"])
    for t in truth.itertuples():
        r = releases[t.object_id]
        assert (r["release_date"].isoformat(), r["relation"], r["origin"] or "", r["organization"], r["region"]) == (
            t.created_date, t.relation, "" if pd.isna(t.origin) else t.origin, t.author, t.region), t


def test_derivative_edges_equal_simulator_truth(built, history):
    truth = history.truth("derivative_edges.csv")
    seen = _raw_models(history)  # a parent the input never holds is known by its name only
    truth = truth[truth["child_object_id"].isin(seen)]
    assert len(truth) > 50
    edges = {(r["child_model_id"], r["parent_model_id"] or r["parent_repo_id"]): r for r in built["int_model_lineage"]}
    expected_keys = {
        (t.child_object_id, t.parent_object_id if t.parent_object_id in seen else t.parent_id)
        for t in truth.itertuples()
    }
    assert set(edges) == expected_keys
    for t in truth.itertuples():
        e = edges[(t.child_object_id, t.parent_object_id if t.parent_object_id in seen else t.parent_id)]
        assert (e["relation"], "same_org" if e["is_same_org"] else "cross_org") == (t.relation, t.origin)
        assert e["child_region"] == t.child_region and e["parent_region"] == t.parent_region


def test_models_equal_simulator_truth(built, history):
    truth = history.truth("models.csv").set_index("object_id")
    edited = {history.absent_model, history.late_model}
    observations = _raw_observations(history.raw_root)
    models = {m["model_id"]: m for m in built["dim_models"]}
    assert len(models) == len(built["dim_models"]) and set(models) == set(observations), (
        sorted(set(models) ^ set(observations))[:5])
    for model_id, snapshots in observations.items():
        m, t = models[model_id], truth.loc[model_id]
        assert m["repo_id"] == t.model_id
        assert m["is_placeholder_created_at"] == (t.is_placeholder_created_at == "true")
        # The two models this module took out of some partitions are seen where the raw layer holds them.
        seen = ((snapshots[0][0], snapshots[-1][0]) if model_id in edited
                else (dt.date.fromisoformat(t.first_date), dt.date.fromisoformat(t.last_date)))
        assert (m["first_seen_date"], m["last_seen_date"]) == seen, m["repo_id"]
        assert m["is_deleted"] == (not pd.isna(t.deleted_on)), m["repo_id"]
    assert any(m["is_deleted"] for m in built["dim_models"])
    assert any(m["is_placeholder_created_at"] for m in built["dim_models"])


def test_carried_benchmark_results_equal_simulator_truth(built, history):
    truth = history.truth("eval_results.csv")
    means = truth.assign(value=truth["value"].astype(float)).groupby("object_id")["value"].mean()
    carried = {m["model_id"]: m["carried_score"] for m in built["dim_models"] if m["carried_score"] is not None}
    assert carried, "the simulated history carries no benchmark results"
    assert set(carried) == set(means.index) & _raw_models(history)
    for model_id, score in carried.items():
        assert math.isclose(score, means[model_id], abs_tol=1e-9)


# ------------------------------------------------------------------- rules on a hand-made little Hub

# The true daily downloads of four models, created long before the first snapshot (so each enters the scope with
# unknown downloads on the first day), over ten days of which the third has no file. `drop`'s cumulative count
# is recounted on day 2: it shows 50 fewer than the day before and counts on from there.
HAND_DAYS = _days(dt.date(2025, 3, 1), dt.date(2025, 3, 10))
HAND_MISSING = dt.date(2025, 3, 3)
HAND_DAILY = {
    "meta-llama/steady": [70] * 10,  # us
    "meta-llama/flat": [0] * 10,  # us: a zero delta every day
    "Qwen/burst": [0, 700] + [0] * 8,  # china: all of its downloads early, then zero deltas
    "Qwen/drop": [0, 0, 10, 10] + [0] * 6,  # china
}
HAND_RECOUNT = ("Qwen/drop", dt.date(2025, 3, 2), 50)


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory) -> dict[str, list[dict]]:
    """The little Hub's archive imported into raw partitions, then the models up to the velocity mart built."""
    root = tmp_path_factory.mktemp("hand_made")
    cumulative = {repo_id: 1000 for repo_id in HAND_DAILY}
    for index, day in enumerate(HAND_DAYS):
        for repo_id, daily in HAND_DAILY.items():
            cumulative[repo_id] += daily[index]
            if (repo_id, day) == HAND_RECOUNT[:2]:
                cumulative[repo_id] -= daily[index] + HAND_RECOUNT[2]
        if day != HAND_MISSING:
            write_snapshot(root / "archive", day, [
                make_item(repo_id, downloads_all_time=count, created_at="2024-06-01T10:00:00.000Z")
                for repo_id, count in cumulative.items()])
    home = root / "home"
    import_archive(root / "archive", home / "raw" / "hub_models", home / "raw" / "hub_models_rejects",
                   log=lambda _: None)
    run_dbt(home, "build", "--select", "+fct_download_velocity", "--resource-type", "seed", "--resource-type", "model")
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        out = {}
        for name, query in {
            "daily": "select * from intermediate.int_models_daily_downloads",
            "velocity": "select * from marts.fct_download_velocity",
        }.items():
            cursor = con.execute(query)
            columns = [d[0] for d in cursor.description]
            out[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        return out
    finally:
        con.close()


def _hand_known(repo_id: str) -> dict[dt.date, float | None]:
    """A little-Hub model's daily downloads as SPEC says the warehouse knows them, from HAND_DAILY alone."""
    daily = dict(zip(HAND_DAYS, HAND_DAILY[repo_id], strict=True))
    after_gap = HAND_MISSING + dt.timedelta(days=1)
    known: dict[dt.date, float | None] = {HAND_DAYS[0]: None}  # entered the scope: unknown
    for day in HAND_DAYS[1:]:
        if day in (HAND_MISSING, after_gap):  # the next file's delta spread evenly over both days
            known[day] = (daily[HAND_MISSING] + daily[after_gap]) / 2
        else:
            known[day] = 0.0 if (repo_id, day) == HAND_RECOUNT[:2] else float(daily[day])
    return known


def test_a_recount_is_a_drop_of_the_count_and_a_zero_delta_is_not(hand_made):
    """SPEC: a negative delta (a Hub recount) counts 0 and is flagged `is_recount`; an unchanged count is a day
    without downloads, not a recount (`interval_downloads < 0`, never `<= 0`)."""
    got = {(r["repo_id"], r["download_date"]): (r["daily_downloads"], r["is_recount"]) for r in hand_made["daily"]}
    expected = {(repo_id, day): (value, (repo_id, day) == HAND_RECOUNT[:2])
                for repo_id in HAND_DAILY for day, value in _hand_known(repo_id).items()}
    zero_deltas = [key for key, (value, recount) in expected.items() if value == 0 and not recount]
    assert len(zero_deltas) > 20  # on one day and spread over the missing day
    assert got == expected


def test_velocity_shares_are_of_the_28_day_velocity(hand_made):
    """SPEC: a region's share of the tracked total is its velocity_28d over the total's velocity_28d on that day,
    never the ratio of 7-day velocities (on the last day here the two differ: 0.47 against 0.98 for us)."""
    region_of = {"meta-llama": "us", "Qwen": "china"}
    known: dict[tuple[str, dt.date], float] = {}  # (region, day) -> the region's known downloads that day
    for repo_id in HAND_DAILY:
        for day, value in _hand_known(repo_id).items():
            if value is not None:
                region = region_of[repo_id.split("/", 1)[0]]
                known[(region, day)] = known.get((region, day), 0.0) + value

    def velocity(region: str, day: dt.date, days: int) -> float:
        return sum(v for (r, d), v in known.items() if r == region and day - dt.timedelta(days=days - 1) <= d <= day)

    rows = {(r["entity_id"], r["metric_date"]): r for r in hand_made["velocity"] if r["entity_type"] == "region"}
    assert set(rows) == {(region, day) for region in ("us", "china") for day in HAND_DAYS}
    for region in ("us", "china"):
        assert rows[(region, HAND_DAYS[0])]["share_of_total"] is None  # nothing known yet
        for day in HAND_DAYS[1:]:
            total = velocity("us", day, 28) + velocity("china", day, 28)
            assert math.isclose(rows[(region, day)]["velocity_28d"], velocity(region, day, 28)), (region, day)
            assert math.isclose(rows[(region, day)]["share_of_total"], velocity(region, day, 28) / total), (
                region, day, rows[(region, day)]["share_of_total"], velocity(region, day, 28) / total)
    last = HAND_DAYS[-1]
    assert [velocity(region, last, 28) for region in ("us", "china")] == [630, 720]
    assert [velocity(region, last, 7) for region in ("us", "china")] == [490, 10]


# ------------------------------------------------------------------------- joins and organisations


def test_leaderboard_joins_models_by_hub_id(built):
    board = pd.read_csv(PROJECT_DIR / reference.LEADERBOARD_CSV)
    board = board[~board["features_is_flagged"]]
    best = board.groupby("model_name")["model_average_score"].max()
    aliases = reference.load_seeds(PROJECT_DIR).aliases
    scored = [m for m in built["dim_models"] if m["leaderboard_score"] is not None]
    assert len(scored) >= 3
    assert any(m["first_repo_id"] != m["repo_id"] for m in scored), "no renamed model joined the leaderboard"
    for m in built["dim_models"]:
        names = {m["repo_id"], m["first_repo_id"]}
        # The leaderboard may name a model under its namespace's former name (THUDM/x for zai-org/x).
        names |= {f"{old}/{n.split('/', 1)[1]}" for n in set(names) for old, new in aliases.items()
                  if n.split("/", 1)[0] == new}
        matches = [best[n] for n in names if n in best.index]
        assert m["leaderboard_score"] == (max(matches) if matches else None), m["repo_id"]
    assert all(m["benchmark_score"] >= m["leaderboard_score"] for m in scored)


def test_renamed_namespace_is_one_organisation(built):
    renamed = [m for m in built["dim_models"] if m["first_repo_id"].startswith("THUDM/")]
    assert renamed, "the simulated history has no THUDM -> zai-org rename"
    assert any(m["repo_id"].startswith("zai-org/") for m in renamed)
    assert {m["organization"] for m in renamed} == {"zai-org"}
    organizations = {o["organization"]: o for o in built["dim_organizations"]}
    assert "THUDM" not in organizations and "CohereForAI" not in organizations
    assert organizations["zai-org"]["legacy_namespaces"] == "THUDM"
    assert organizations["zai-org"]["region"] == "china"
    daily_orgs = {r["organization"] for r in built["fct_model_daily"] if r["model_id"] in {m["model_id"] for m in renamed}}
    assert daily_orgs == {"zai-org"}
    assert not [r for r in built["fct_download_velocity"] if r["entity_type"] == "organization"
                and r["entity_id"] == "THUDM"]


def test_unknown_authors_are_unclassified_and_counted(built):
    organizations = {o["organization"]: o for o in built["dim_organizations"]}
    unclassified = [o for o in organizations.values() if o["region"] == "unclassified"]
    assert unclassified and all(not o["is_region_classified"] for o in unclassified)
    assert sum(o["models"] for o in unclassified) > 0
    models = built["dim_models"]
    assert all(m["organization"] in organizations for m in models)
    assert sum(o["models"] for o in organizations.values()) == len(models)
    # Their downloads stay in the totals: the regions' shares of the tracked total sum to 1.
    regions = [r for r in built["fct_download_velocity"] if r["entity_type"] == "region"]
    assert any(r["entity_id"] == "unclassified" and r["velocity_28d"] for r in regions)
    by_day: dict[dt.date, float] = {}
    for r in regions:
        if r["share_of_total"] is not None:  # null only while nothing is known yet (the first date)
            by_day[r["metric_date"]] = by_day.get(r["metric_date"], 0.0) + r["share_of_total"]
    assert set(by_day) == set(_days(START + dt.timedelta(days=1), END))  # every day after the first
    assert all(math.isclose(total, 1.0, abs_tol=1e-9) for total in by_day.values())


# ------------------------------------------------------------------------------------ incrementals


@pytest.fixture(scope="module")
def incremental_home(day_by_day) -> Path:
    return day_by_day.result()


def test_daily_incremental_runs_equal_full_refresh(incremental_home, built):
    incremental = read_relations(incremental_home, INCREMENTAL_MODELS)
    for name, (_, keys) in INCREMENTAL_MODELS.items():
        assert_same_rows(incremental[name], built[name], keys, name)


def test_rerunning_a_window_gives_the_same_rows(incremental_home, built):
    # The window holds the day after the missing date, the model back from its absence and the late one.
    window = (BACK_ON, ENTERS_ON)
    run_dbt(incremental_home, "run", "--select", "tag:daily_partitioned", window=window)
    incremental = read_relations(incremental_home, INCREMENTAL_MODELS)
    for name, (_, keys) in INCREMENTAL_MODELS.items():
        assert_same_rows(incremental[name], built[name], keys, name)


LATE_DAY = dt.date(2025, 1, 25)


def test_a_day_that_arrives_late_rebuilds_every_row_it_influences(history, built, tmp_path):
    """The Hub was down one morning and the day is backfilled later: only that day's window is run (what the
    automation sensor requests after an import or a backfill), and the warehouse must equal a full refresh:
    the next snapshot's intervals and flags and the velocities 27 days beyond change with it."""
    home = _home_with_raw(tmp_path, history, set(_days(START, END)) - {LATE_DAY})
    run_dbt(home, "build", "--select", "+tag:daily_partitioned", "--indirect-selection", "cautious",
            "--exclude-resource-type", "unit_test", window=(START, END))
    before = read_relations(home, INCREMENTAL_MODELS)
    # The missing day really changes every daily model (but the listings: the late day's are all seen on the days
    # around it; a day re-ingested with other listings is tests/test_warehouse.py's re-ingestion test).
    for name, (_, keys) in INCREMENTAL_MODELS.items():
        if name == "int_model_listings":
            continue
        with pytest.raises(AssertionError):
            assert_same_rows(before[name], built[name], keys, name)
    _arrive(history, home, {LATE_DAY})
    run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(LATE_DAY, LATE_DAY))
    after = read_relations(home, INCREMENTAL_MODELS)
    for name, (_, keys) in INCREMENTAL_MODELS.items():
        assert_same_rows(after[name], built[name], keys, name)


def test_a_day_recrawled_with_other_listings_and_fewer_models_leaves_nothing_stale(full_home, built, tmp_path):
    """A day's partition is replaced by a crawl with a tenth of its models gone and other tags on some of the rest,
    its window run; then the first crawl comes back and its window runs again. The compact daily copies must follow
    both times: the gone models' rows leave, the new listings come and, once no day references them, go (the
    post-hook of int_model_listings), so every daily model ends equal to the full refresh of the first crawl."""
    home = _home_beside(full_home, tmp_path)  # the full build's raw days and warehouse, copied
    run_dbt(home, "run", "--select", "+int_model_snapshots_attributed")  # the views name the home's raw folder
    partition = home / "raw" / "hub_models" / f"snapshot_date={LATE_DAY}" / "part-0.parquet"
    first_crawl = pq.read_table(partition)
    ids = first_crawl.column("id").to_pylist()
    gone, retagged = set(ids[::10]), set(ids[1::10])
    recrawl = first_crawl.filter(pa.array([i not in gone for i in ids]))
    tags = [(t or []) + ["hubpulse-test:recrawled"] if i in retagged else t
            for i, t in zip(recrawl.column("id").to_pylist(), recrawl.column("tags").to_pylist(), strict=True)]
    recrawl = recrawl.set_column(recrawl.schema.get_field_index("tags"), "tags",
                                 pa.array(tags, type=recrawl.schema.field("tags").type))
    pq.write_table(recrawl, partition)
    run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(LATE_DAY, LATE_DAY))
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        on_the_day = con.execute("select count(*) from intermediate.int_model_snapshots_daily where snapshot_date = ?",
                                 [LATE_DAY]).fetchone()[0]
        recrawled = con.execute("select count(*) from intermediate.int_model_listings "
                                "where list_contains(tags, 'hubpulse-test:recrawled')").fetchone()[0]
    finally:
        con.close()
    assert (on_the_day, recrawled) == (len(ids) - len(gone), len(retagged))
    pq.write_table(first_crawl, partition)
    # The window replaced the day's rows: the listings only the re-crawl showed are deleted (the post-hook runs).
    assert LISTINGS_CLEANED in run_dbt(home, "run", "--select", "tag:daily_partitioned",
                                       window=(LATE_DAY, LATE_DAY)).stdout
    after = read_relations(home, INCREMENTAL_MODELS)
    for name, (_, keys) in INCREMENTAL_MODELS.items():
        assert_same_rows(after[name], built[name], keys, name)


def _crawl_without(home: Path, day: dt.date, model_id: str) -> None:
    """Replace `day`'s raw partition in `home` by a crawl of the same models but `model_id`."""
    partition = home / "raw" / "hub_models" / f"snapshot_date={day}" / "part-0.parquet"
    crawl = pq.read_table(partition)
    pq.write_table(crawl.filter(pc.not_equal(crawl.column("id"), model_id)), partition)


def test_a_recrawl_without_a_model_whose_gap_reached_back_rebuilds_the_velocities_it_fed(full_home, tmp_path):
    """A model left out of the day before END's crawl: END's snapshot spreads its downloads over both days. Then
    END is re-crawled without it too, and only END's window runs: the model's daily rows of both days go, and
    nothing takes their place. The velocities of the day before END (before the window) counted those downloads:
    the window's deleted rows are logged and the velocities recompute from their first date
    (macros/downloads_recompute_from.sql), so every daily model equals a full refresh of the same raw days."""
    home = _home_beside(full_home, tmp_path / "windows")
    run_dbt(home, "run", "--select", "+int_model_snapshots_attributed")  # the views name the home's raw folder
    day_before = END - dt.timedelta(days=1)
    counts = {}
    for day in (END - dt.timedelta(days=2), day_before, END):
        crawl = pq.read_table(home / "raw" / "hub_models" / f"snapshot_date={day}" / "part-0.parquet")
        counts[day] = dict(zip(crawl.column("id").to_pylist(), crawl.column("downloads_all_time").to_pylist(),
                               strict=True))
    # A model listed on all three days whose count grew from the first to the last: known daily downloads.
    model_id = next(m for m, last in sorted(counts[END].items()) if m in counts[day_before]
                    and counts[END - dt.timedelta(days=2)].get(m) is not None and last is not None
                    and last > counts[END - dt.timedelta(days=2)][m])
    end_crawl = pq.read_table(home / "raw" / "hub_models" / f"snapshot_date={END}" / "part-0.parquet").to_pylist()
    hub_id = next(row["object_id"] or row["id"] for row in end_crawl if row["id"] == model_id)
    _crawl_without(home, day_before, model_id)
    run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(day_before, day_before))
    _crawl_without(home, END, model_id)
    run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(END, END))

    full = _home_beside(home, tmp_path / "full_refresh")
    run_dbt(full, "run", "--select", "+int_model_snapshots_attributed")
    run_dbt(full, "run", "--full-refresh", "--select", "tag:daily_partitioned")
    expected = read_relations(full, INCREMENTAL_MODELS)
    # The model's rows of both days are gone from the full refresh (its last snapshot is two days before END).
    assert [r for r in expected["int_models_daily_downloads"] if r["model_id"] == hub_id][-1:] and not [
        r for r in expected["int_models_daily_downloads"] if r["model_id"] == hub_id and r["download_date"] >= day_before]
    after = read_relations(home, INCREMENTAL_MODELS)
    for name, (_, keys) in INCREMENTAL_MODELS.items():
        assert_same_rows(after[name], expected[name], keys, name)


# int_model_listings' post-hook: whether a window replaced daily rows since its last build (macros/listings.sql).
LISTINGS_CLEANED = "int_model_listings: daily rows were replaced, deleting the listings no day references"
LISTINGS_KEPT = "int_model_listings: no daily row replaced since its last build, no listing to delete"
MERGES = "int_model_names_seen: merging the days after its last snapshot date"
BUILDS_WHOLE = "int_model_names_seen: building whole"


def _build_state(home: Path) -> str:
    """The state and the two models over it, with what else they read outside the daily models (the tags), without
    a window (as Dagster's marts set builds them); dbt's output."""
    return run_dbt(home, "run", "--select", *(f"+{name}" for name in STATE_MODELS),
                   "--exclude", "+tag:daily_partitioned").stdout


def _state_of_full_refresh(home: Path, tmp_path: Path) -> dict[str, list[dict]]:
    """The state models fully refreshed in a copy of `home`: what its windows must have given."""
    copy = _home_beside(home, tmp_path / f"full_refresh_{len(list(tmp_path.glob('full_refresh_*')))}")
    run_dbt(copy, "run", "--full-refresh", "--select", *STATE_MODELS)
    return read_relations(copy, STATE_MODELS)


def _assert_state_equal(actual: dict[str, list[dict]], expected: dict[str, list[dict]]) -> None:
    for name, (_, keys) in STATE_MODELS.items():
        assert_same_rows(actual[name], expected[name], keys, name)


def test_the_names_state_merges_new_days_and_recomputes_after_a_rewritten_day(history, full_home, tmp_path):
    """int_model_names_seen merges only the days after its last snapshot date, unless a window logged since its
    last build rewrote a date it merged (macros/window_log.sql). (a) Days appended one by one are merged, and equal
    a full refresh; (b) a late day (a window in the middle) and (c) the latest day re-crawled with the same models
    but other counters (the same row count: nothing but the log tells) make it recompute, equal to a full refresh.
    Without the log's rule (b) and (c) keep the stale state."""
    merge_from = ENTERS_ON  # merged one by one from the day a long-existing model enters the scope
    home = _home_with_raw(tmp_path, history, set(_days(START, merge_from - dt.timedelta(days=1))) - {LATE_DAY})
    run_dbt(home, "build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
            window=(START, merge_from - dt.timedelta(days=1)))
    # (a) the daily schedule: each day's window, then the state without a window. A new day replaces no daily
    # row, so int_model_listings skips its cleanup's scan of every daily row (and still equals a full refresh:
    # test_daily_incremental_runs_equal_full_refresh).
    for day in _days(merge_from, END):
        _arrive(history, home, {day})
        window_run = run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(day, day)).stdout
        assert LISTINGS_KEPT in window_run and LISTINGS_CLEANED not in window_run, day
        assert MERGES in _build_state(home), day
    _assert_state_equal(read_relations(home, STATE_MODELS), _state_of_full_refresh(home, tmp_path))

    # (b) the late day: its window rewrites a date before the state's last one
    _arrive(history, home, {LATE_DAY})
    run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(LATE_DAY, LATE_DAY))
    assert BUILDS_WHOLE in _build_state(home)
    full = read_relations(full_home, STATE_MODELS)
    _assert_state_equal(read_relations(home, STATE_MODELS), full)

    # (c) the latest day re-crawled: the same models, other counters
    partition = home / "raw" / "hub_models" / f"snapshot_date={END}" / "part-0.parquet"
    first_crawl = pq.read_table(partition)
    recrawl = first_crawl
    for column, more in (("downloads_all_time", 7), ("likes", 1)):
        index = recrawl.schema.get_field_index(column)
        recrawl = recrawl.set_column(index, column, pc.add(recrawl.column(column), more).cast(
            recrawl.schema.field(column).type))
    pq.write_table(recrawl, partition)
    run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(END, END))
    assert BUILDS_WHOLE in _build_state(home)
    recrawled = read_relations(home, STATE_MODELS)
    _assert_state_equal(recrawled, _state_of_full_refresh(home, tmp_path))
    with pytest.raises(AssertionError):  # the re-crawl changed the latest counters
        _assert_state_equal(recrawled, full)
    # the first crawl back (a whole build again), then a run with no window since merges (nothing)
    pq.write_table(first_crawl, partition)
    run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(END, END))
    assert BUILDS_WHOLE in _build_state(home)
    assert MERGES in _build_state(home)
    _assert_state_equal(read_relations(home, STATE_MODELS), full)


def test_window_needs_both_bounds(incremental_home):
    result = run_dbt(incremental_home, "run", "--select", "fct_model_daily", check=False,
                     env_extra={"HUBPULSE_WINDOW_START": "2025-02-01"})
    assert result.returncode != 0
    assert "HUBPULSE_WINDOW_START and HUBPULSE_WINDOW_END" in result.stdout


# ------------------------------------------------------------------------------------ the project


def test_every_model_and_column_is_documented_and_tagged_right(full_home):
    manifest = json.loads((full_home / "dbt_target" / "manifest.json").read_text())
    catalog = json.loads((full_home / "dbt_target" / "catalog.json").read_text())
    models = {n["name"]: n for n in manifest["nodes"].values()
              if n["resource_type"] == "model" and n["package_name"] == "hubpulse"}
    assert set(RELATIONS) <= set(models)
    undocumented = [name for name, n in models.items() if not n["description"].strip()]
    assert not undocumented
    for name, node in models.items():
        built_columns = {c.lower() for c in catalog["nodes"][node["unique_id"]]["columns"]}
        described = {c for c, v in node["columns"].items() if v["description"].strip()}
        assert built_columns == described, f"{name}: undocumented {built_columns - described}, stale {described - built_columns}"
    tagged = {name for name, n in models.items() if "daily_partitioned" in n["tags"]}
    assert tagged == set(INCREMENTAL_MODELS)
    for name in INCREMENTAL_MODELS:
        assert models[name]["config"]["materialized"] == "incremental"
        assert models[name]["config"]["incremental_strategy"] == "delete+insert"
    unit_tests = [n for n in manifest["unit_tests"].values() if n["model"] == "int_models_daily_downloads"]
    assert len(unit_tests) >= 5
    sources = {n["source_name"] + "." + n["name"] for n in manifest["sources"].values()}
    assert {"hub.hub_model_snapshots", "benchmarks.open_llm_leaderboard_v2"} <= sources
    seeds = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "seed"}
    assert "open_llm_leaderboard_v2_2025-03-21" not in seeds


def test_full_refresh_runs_the_unit_tests_and_rebuilds_the_same_rows(incremental_home, built):
    """`--full-refresh` must not disable the window a unit test sets (it once made the lookback test fail)."""
    names = list(INCREMENTAL_MODELS)
    run_dbt(incremental_home, "build", "--full-refresh", "--select", *names, "--exclude", "resource_type:test")
    rebuilt = read_relations(incremental_home, names)
    for name in names:
        assert_same_rows(rebuilt[name], built[name], INCREMENTAL_MODELS[name][1], name)


# ------------------------------------------------------------------------------------ attribution

ATTRIBUTED = ("us", "china", "eu", "other")


def test_a_community_builder_on_a_chinese_base_is_not_cross_region(built):
    """`unclassified` is not a region: a derivative by an author nobody attributed says nothing about regions."""
    community_on_china = [e for e in built["int_model_lineage"]
                          if e["child_region"] == "unclassified" and e["parent_region"] == "china"]
    assert community_on_china, "the history has no community derivative of a Chinese base"
    cells = {(r["child_region"], r["base_region"]): r for r in built["fct_supply_chain"]}
    for (child, base), row in cells.items():
        classified = child in ATTRIBUTED and base in ATTRIBUTED
        assert row["is_classified_pair"] == classified
        assert row["is_cross_region"] == (child != base if classified else None), (child, base)
    assert cells[("unclassified", "china")]["is_cross_region"] is None


def test_cross_region_shares_are_over_classified_pairs(built):
    """The share of derivatives built on another region's base counts classified pairs only; the unattributed
    children are beside it, never in its denominator."""
    lineage = built["int_model_lineage"]
    for base in built["fct_derivatives"]:
        children = [e for e in lineage if e["parent_model_id"] == base["base_model_id"]]
        pairs = [(e["child_region"], e["parent_region"]) for e in children]
        classified = [(c, b) for c, b in pairs if c in ATTRIBUTED and b in ATTRIBUTED]
        assert base["derivatives_classified_pair"] == len(classified)
        assert base["derivatives_unattributed"] == len(pairs) - len(classified)
        expected = sum(c != b for c, b in classified) / len(classified) if classified else None
        assert _same(base["share_cross_region"], expected), base["base_repo_id"]
    assert any(b["derivatives_unattributed"] for b in built["fct_derivatives"]), "no unattributed child to leave out"
    months = {r["month_start"] for r in built["fct_supply_chain"]}
    first_snapshot = min(r["snapshot_date"] for r in built["fct_model_daily"])
    assert min(months) == first_snapshot.replace(day=1), "supply-chain months start at the first snapshot's"


def test_coverage_is_the_unattributed_line_of_the_velocity_shares(built):
    """The coverage mart's daily velocity share is the velocity mart's unclassified + unknown shares."""
    shares: dict[dt.date, float] = {}
    for r in built["fct_download_velocity"]:
        if r["entity_type"] == "region" and r["share_of_total"] is not None and r["entity_id"] not in ATTRIBUTED:
            shares[r["metric_date"]] = shares.get(r["metric_date"], 0.0) + r["share_of_total"]
    days = {r["period_start"]: r for r in built["fct_attribution_coverage"] if r["period_type"] == "day"}
    assert shares and set(shares) <= set(days)
    for day, share in shares.items():
        assert math.isclose(days[day]["unattributed_velocity_28d_share"], share, abs_tol=1e-9), day
    months = [r for r in built["fct_attribution_coverage"] if r["period_type"] == "month"]
    assert any(r["unattributed_download_share"] and 0 < r["unattributed_download_share"] < 1 for r in months)


def _home_beside(full_home: Path, tmp_path: Path) -> Path:
    """A copy of the built warehouse and its raw layer, to build again with an override file."""
    home = tmp_path / "home"
    shutil.copytree(full_home / "raw", home / "raw")
    shutil.copy(full_home / "warehouse.duckdb", home / "warehouse.duckdb")
    (home / "reference").mkdir()
    return home


def test_an_override_row_changes_the_region_on_the_next_build(full_home, built, history, tmp_path):
    """A user adds the first unattributed organisation to the override file; the next build attributes it
    everywhere, and every relation still equals the recomputation with the same file."""
    first = min(built["fct_unattributed_organizations"], key=lambda r: r["attribution_rank"])
    home = _home_beside(full_home, tmp_path)
    overrides = home / "reference" / "organization_region_overrides.csv"
    overrides.write_text(f"namespace,region,source\n{first['organization']}, US ,https://example.org/about\n")
    run_dbt(home, "run")
    rebuilt = read_relations(home, RELATIONS)
    organization = next(o for o in rebuilt["dim_organizations"] if o["organization"] == first["organization"])
    assert (organization["region"], organization["region_source"], organization["is_region_attributed"]) == (
        "us", "override", True)
    assert first["organization"] not in {r["organization"] for r in rebuilt["fct_unattributed_organizations"]}
    expected = reference.compute(home / "raw" / "hub_models", PROJECT_DIR, overrides)
    for name, (_, keys) in RELATIONS.items():
        assert_same_rows(rebuilt[name], expected[name], keys, name)


@pytest.mark.parametrize(("rows", "message"), [
    ("sakadra,mars,https://example.org",
     "namespace 'sakadra' has region 'mars', which is not one of us, china, eu, other, unknown"),
    ("Qwen,china,a\nQwen,us,b", "namespace 'Qwen' is listed 2 times; keep one row per namespace"),
    (",us,https://example.org", "a row has no namespace"),
    ("sakadra,us,", "namespace 'sakadra' has no source"),
])
def test_a_bad_override_row_is_a_clear_error(full_home, tmp_path, rows, message):
    home = _home_beside(full_home, tmp_path)
    (home / "reference" / "organization_region_overrides.csv").write_text(f"namespace,region,source\n{rows}\n")
    result = run_dbt(home, "run", "--select", "+int_organization_regions_overridden", check=False)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-3000:]
    assert "organization_region_overrides.csv" in result.stdout
