"""The live snapshot instant: partition d is the Hub as fetched at its instant, and "new" is decided on instants.

The daily schedule fetches partition d at 02:00 UTC of day d, so a model created on day d after 02:00 is first
listed in partition d + 1 with a createdAt on day d. Comparing creation *dates* with the previous snapshot date
classes it as having entered the scope (unknown downloads); the rule is on instants: new when created after the
previous snapshot's `fetched_at`, strictly. Here a history simulated with `fetch_at=02:00` goes through the real
path (the archive with its `YYYY-MM-DD.meta.json` sidecars, `import_archive`, dbt as tests/test_warehouse.py runs
it) and is checked against the simulator's ground truth, with the boundary built in: one model created exactly at
the previous snapshot's instant (not new: the Hub could already list it) and one a second later (new).
dbt's unit tests `daily_downloads_new_model_is_created_after_the_previous_snapshot_instant` and
`daily_downloads_new_model_instant_comes_from_the_built_rows` hold the same boundary on hand-written rows.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import warehouse_reference as reference
from test_warehouse import (
    DAILY_RELATIONS,
    INCREMENTAL_MODELS,
    PROJECT_DIR,
    assert_same_rows,
    read_relations,
    run_dbt,
)

from orchestration.hub import archive
from orchestration.hub.assets import snapshot_instant
from orchestration.hub.client import HubClient
from orchestration.hub.snapshots import PARTITION_FILE, build_snapshot_rows, write_snapshot_partition
from orchestration.hub.transfer import export_archive, import_archive
from orchestration.localhub.simulator import SimulationConfig, simulate

START, END = dt.date(2025, 1, 14), dt.date(2025, 1, 23)
MISSING = dt.date(2025, 1, 18)
FETCH_AT = dt.time(2, 0)
BOUNDARY_DAY = dt.date(2025, 1, 22)  # the two boundary models are first listed the day after
AT_INSTANT = "2025-01-22T02:00:00.000Z"  # exactly the instant of the snapshot of 2025-01-22
SECOND_AFTER = "2025-01-22T02:00:01.000Z"
# The seeds, the staging views and the daily models of a first window (no tests: the full build runs them).
FIRST_BUILD = ("build", "--select", "+tag:daily_partitioned", "--exclude-resource-type", "unit_test",
               "--exclude-resource-type", "test")


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def _truth(archive_dir: Path, name: str) -> pd.DataFrame:
    path = archive_dir / "ground_truth" / name
    with (gzip.open(path, "rt") if path.suffix == ".gz" else open(path)) as fh:
        return pd.read_csv(fh, keep_default_na=False, na_values=[""], dtype=str)


def _set_created_at(archive_dir: Path, object_id: str, created_at: str) -> None:
    """Rewrite a model's `createdAt` in every snapshot file that lists it (the archive as another tracker saw it)."""
    for day, path in archive.list_snapshots(archive_dir).items():
        items = archive.read_snapshot(path)
        if any(item.get("_id") == object_id for item in items):
            for item in items:
                if item.get("_id") == object_id:
                    item["createdAt"] = created_at
            archive.write_snapshot(archive_dir, day, items)


class History:
    def __init__(self, root: Path):
        self.archive = root / "archive"
        self.raw = root / "raw"
        self.manifest = json.loads((self.archive / "ground_truth" / "manifest.json").read_text())
        # Each snapshot's instant as the simulator's ground truth records it.
        self.taken_at = {dt.date.fromisoformat(d): _instant(t) for d, t in self.manifest["snapshot_taken_at"].items()}
        self.models = _truth(self.archive, "models.csv")
        self.daily = _truth(self.archive, "daily_downloads.csv.gz")
        self.boundary: dict[str, str] = {}  # object id -> the createdAt written into the archive

    def created_at(self, row) -> dt.datetime:
        return _instant(self.boundary.get(row.object_id, row.created_at))


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> History:
    root = tmp_path_factory.mktemp("snapshot_instant")
    simulate(SimulationConfig(start=START, end=END, seed=31, community_authors=80, catalogue_fraction=0.1,
                              derivative_rate=3.0, missing_dates=(MISSING,), rename_at=None,
                              missing_downloads_all_time=0.0, fetch_at=FETCH_AT),
             root / "archive", log=lambda _m: None)
    h = History(root)
    # Two models the simulator created on BOUNDARY_DAY after 02:00 (first listed the next day) are moved to the
    # boundary: created exactly at that snapshot's instant, and one second after it.
    later = h.models[(h.models["first_date"] == (BOUNDARY_DAY + dt.timedelta(days=1)).isoformat())
                     & h.models["created_at"].str.startswith(BOUNDARY_DAY.isoformat())].sort_values("object_id")
    assert len(later) >= 2
    for object_id, created_at in zip(later["object_id"].iloc[:2], (AT_INSTANT, SECOND_AFTER), strict=True):
        _set_created_at(h.archive, object_id, created_at)
        h.boundary[object_id] = created_at
    import_archive(h.archive, h.raw / "hub_models", h.raw / "hub_models_rejects", log=lambda _m: None)
    return h


@pytest.fixture(scope="module")
def full_home(history, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("snapshot_instant_full")
    shutil.copytree(history.raw, home / "raw")
    run_dbt(home, "build", "--select", "+tag:daily_partitioned", "--indirect-selection", "cautious")
    return home


@pytest.fixture(scope="module")
def built(full_home) -> dict[str, list[dict]]:
    return read_relations(full_home, INCREMENTAL_MODELS)


# ------------------------------------------------------------------------------------------ the raw layer


def test_the_archive_states_each_instant_and_the_raw_partitions_record_it(history):
    snapshot_dates = sorted(archive.list_snapshots(history.archive))
    assert MISSING not in snapshot_dates and sorted(history.taken_at) == snapshot_dates
    for day in snapshot_dates:
        assert history.taken_at[day] == dt.datetime.combine(day, FETCH_AT, tzinfo=dt.UTC)
        assert archive.snapshot_taken_at(history.archive, day) == history.taken_at[day]
        column = pq.read_table(history.raw / "hub_models" / f"snapshot_date={day}" / PARTITION_FILE,
                               columns=["fetched_at"]).column("fetched_at")
        assert column.null_count == 0 and set(column.to_pylist()) == {history.taken_at[day]}


def test_the_local_hub_source_takes_the_archive_instant_and_export_writes_it_back(history, tmp_path):
    # The asset's instant for the local Hub is the archive's (the live one is the listing's start: now).
    local = HubClient(source="local", archive_dir=str(history.archive))
    assert snapshot_instant(local, START) == history.taken_at[START]
    assert snapshot_instant(HubClient(source="local", archive_dir=str(tmp_path)), START) == \
        archive.default_taken_at(START)
    before = dt.datetime.now(dt.UTC)
    live = snapshot_instant(HubClient(source="live"), START)
    assert before <= live <= dt.datetime.now(dt.UTC)
    # export-archive states the recorded instants; a partition at the default instant gets no sidecar.
    raw = tmp_path / "raw"
    shutil.copytree(history.raw / "hub_models" / f"snapshot_date={START}", raw / f"snapshot_date={START}")
    default_day = START - dt.timedelta(days=1)
    write_snapshot_partition(raw, tmp_path / "rejects", build_snapshot_rows([{"id": "a/b"}], default_day))
    export_archive(raw, tmp_path / "out")
    assert archive.snapshot_taken_at(tmp_path / "out", START) == history.taken_at[START]
    assert not (tmp_path / "out" / archive.meta_filename(default_day)).exists()
    assert archive.snapshot_taken_at(tmp_path / "out", default_day) == dt.datetime(
        default_day.year, default_day.month, default_day.day, 23, 59, 59, 999000, tzinfo=dt.UTC)


@pytest.mark.parametrize("meta, problem", [
    ('{"taken_at": "2025-01-14T02:00:00"}', "no offset"),
    ('{"taken_at": "2025-01-13T23:00:00Z"}', "cannot have been taken"),
    ('{"taken_at": "2025-01-16T00:00:00Z"}', "cannot have been taken"),
    ('{"snapshot_date": "2025-01-15", "taken_at": "2025-01-14T02:00:00Z"}', "names the snapshot date"),
    ('["2025-01-14T02:00:00Z"]', "expected a JSON object"),
    ("{", "cannot be read as JSON"),
])
def test_an_unusable_sidecar_fails_the_import_naming_it(tmp_path, meta, problem):
    archive.write_snapshot(tmp_path, START, [{"id": "a/b"}])
    (tmp_path / archive.meta_filename(START)).write_text(meta)
    with pytest.raises(archive.ArchiveError, match=problem) as raised:
        import_archive(tmp_path, tmp_path / "raw", tmp_path / "rejects", log=lambda _m: None)
    assert archive.meta_filename(START) in str(raised.value)
    assert not (tmp_path / "raw").exists()


# ------------------------------------------------------------------------------ the warehouse vs the truth


def _first_appearances(history: History) -> list[dict]:
    """Every model created inside the history and listed in it, with what the truth says it must be on its first
    snapshot: new when created after the instant of the snapshot before that one (from the truth alone)."""
    dates = sorted(history.taken_at)
    out = []
    for row in history.models.itertuples():
        if row.is_placeholder_created_at == "true" or pd.isna(row.first_date):
            continue
        first = dt.date.fromisoformat(row.first_date)
        created = history.created_at(row)
        earlier = [d for d in dates if d < first]
        if not earlier or created.date() < START:
            continue
        out.append({"object_id": row.object_id, "created_at": created, "first": first, "previous": earlier[-1],
                    "new": created > history.taken_at[earlier[-1]]})
    return out


def test_models_created_after_the_fetch_instant_are_new_in_the_next_snapshot_with_all_their_downloads(
        history, built):
    appearances = _first_appearances(history)
    listed_next_day = [a for a in appearances
                       if a["created_at"].date() == a["previous"] and a["created_at"] > history.taken_at[a["previous"]]]
    assert len(listed_next_day) >= 10, "the history must hold models created after a day's fetch"
    assert any(a["first"] - a["previous"] > dt.timedelta(days=1) for a in appearances if a["new"])  # across MISSING
    assert any(a["created_at"].date() == a["first"] for a in appearances)  # created before its own day's fetch
    reported = {(r.object_id, r.snapshot_date): r for r in history.daily.itertuples()}
    rows: dict[tuple, list[dict]] = {}
    for row in built["int_models_daily_downloads"]:
        rows.setdefault((row["model_id"], row["snapshot_date"]), []).append(row)
    for a in appearances:
        got = sorted(rows.get((a["object_id"], a["first"]), []), key=lambda r: r["download_date"])
        assert got, f"{a['object_id']} is missing from its first snapshot {a['first']}"
        if not a["new"]:
            assert [(r["is_entered_scope"], r["daily_downloads"]) for r in got] == [(True, None)], a
            continue
        assert all(r["is_new_model"] and not r["is_entered_scope"] for r in got), a
        # Spread over [created date, first snapshot], and the whole count since creation is there.
        first_day = min(a["created_at"].date(), a["first"])
        assert [r["download_date"] for r in got] == [first_day + dt.timedelta(days=i)
                                                     for i in range((a["first"] - first_day).days + 1)], a
        truth = reported[(a["object_id"], a["first"].isoformat())]
        assert truth.in_snapshot == "true"
        assert math.isclose(sum(r["daily_downloads"] for r in got), int(truth.reported_downloads_all_time))
        assert int(truth.reported_downloads_all_time) == int(truth.true_downloads_all_time)  # no recount, no start
    # The previous day's snapshot did not list them (the ground truth says so too).
    for a in listed_next_day:
        day_before = reported.get((a["object_id"], a["previous"].isoformat()))
        assert day_before is None or day_before.in_snapshot == "false"


def test_the_boundary_is_strict_created_at_the_instant_entered_the_scope_a_second_later_is_new(history, built):
    at, after = (next(o for o, c in history.boundary.items() if c == text) for text in (AT_INSTANT, SECOND_AFTER))
    first = BOUNDARY_DAY + dt.timedelta(days=1)
    by_model = {}
    for row in built["int_models_daily_downloads"]:
        if row["snapshot_date"] == first and row["model_id"] in (at, after):
            by_model.setdefault(row["model_id"], []).append(row)
    assert [(r["is_new_model"], r["is_entered_scope"], r["daily_downloads"]) for r in by_model[at]] == \
        [(False, True, None)]
    assert sorted(r["download_date"] for r in by_model[after]) == [BOUNDARY_DAY, first]
    assert all(r["is_new_model"] and r["daily_downloads"] is not None for r in by_model[after])
    assert by_model[after][0]["snapshot_fetched_at"] == history.taken_at[first]


def test_the_warehouse_equals_the_reference_and_daily_windows_equal_the_full_build(history, built, tmp_path):
    expected = reference.compute(history.raw / "hub_models", PROJECT_DIR)
    for name, (_, keys) in DAILY_RELATIONS.items():
        assert_same_rows(built[name], expected[name], keys, name)
    # The schedule's path: the history up to two days before the end at once, then one window a day, each
    # reading the previous snapshot's instant from the rows already built.
    home = tmp_path / "home"
    (home / "raw" / "hub_models").mkdir(parents=True)
    for folder in sorted((history.raw / "hub_models").glob("snapshot_date=*")):
        shutil.copytree(folder, home / "raw" / "hub_models" / folder.name)
        day = dt.date.fromisoformat(folder.name.split("=", 1)[1])
        if day == BOUNDARY_DAY - dt.timedelta(days=1):
            run_dbt(home, *FIRST_BUILD, window=(START, day))
        elif day >= BOUNDARY_DAY:
            run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(day, day))
    windowed = read_relations(home, INCREMENTAL_MODELS)
    for name, (_, keys) in INCREMENTAL_MODELS.items():
        assert_same_rows(windowed[name], built[name], keys, name)


def test_an_existing_home_from_before_the_instants_keeps_building(history, tmp_path):
    """Raw partitions without `fetched_at` and built rows without `snapshot_fetched_at` (a home from before them):
    the next window builds, the old days count as fetched at the end of their date, the new days on instants."""
    home = tmp_path / "home"
    raw = home / "raw" / "hub_models"
    raw.mkdir(parents=True)
    old_days = [d for d in sorted(history.taken_at) if d < BOUNDARY_DAY]
    for day in old_days:
        table = pq.read_table(history.raw / "hub_models" / f"snapshot_date={day}" / PARTITION_FILE)
        (raw / f"snapshot_date={day}").mkdir()
        pq.write_table(table.drop_columns(["fetched_at"]), raw / f"snapshot_date={day}" / PARTITION_FILE)
    run_dbt(home, *FIRST_BUILD, window=(START, old_days[-1]))
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    con.execute("alter table intermediate.int_models_daily_downloads drop column snapshot_fetched_at")
    con.close()
    for day in (BOUNDARY_DAY, END):
        shutil.copytree(history.raw / "hub_models" / f"snapshot_date={day}", raw / f"snapshot_date={day}")
        run_dbt(home, "run", "--select", "tag:daily_partitioned", window=(day, day))
    expected = reference.compute(raw, PROJECT_DIR)
    built = read_relations(home, INCREMENTAL_MODELS)
    daily = built["int_models_daily_downloads"]
    assert {r["snapshot_fetched_at"] for r in daily if r["snapshot_date"] in old_days} == {None}
    assert {r["snapshot_fetched_at"] for r in daily if r["snapshot_date"] == END} == {history.taken_at[END]}
    # The built rows from before hold no instant (null); every other value is the reference's, which reads the
    # old partitions as fetched at the end of their date.
    for row in daily:
        if row["snapshot_date"] in old_days:
            row["snapshot_fetched_at"] = reference.end_of_day(row["snapshot_date"])
    for name, (_, keys) in DAILY_RELATIONS.items():
        assert_same_rows(built[name], expected[name], keys, name)
    # With the old days at the end of their date, a model created on the last old day after 02:00 and first
    # listed on BOUNDARY_DAY is not new there: the old partition says the Hub was seen at 23:59:59.999.
    last_old = old_days[-1]
    late = [r for r in daily if r["snapshot_date"] == BOUNDARY_DAY and r["previous_snapshot_date"] is None]
    assert any(r["is_entered_scope"] for r in late)
    assert not any(r["is_new_model"] and r["download_date"] <= last_old for r in late)
