"""`hubpulse import-archive` of what public trackers publish: per-model daily series (CSV, Parquet) and daily
full-listing Parquet files, beside the Hub's own JSON lines.

The fixtures are made here from `tiny_hub_items` (three days of a 40-model Hub, one model missing
`downloadsAllTime` on the last day and one missing on the second), written once as the JSON-lines archive and once
in each tracker format, so the raw rows every format must give are those the JSON-lines import gives.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.cli.main import main
from orchestration.hub.archive import ArchiveError, default_taken_at, write_snapshot
from orchestration.hub.trackers import DEFAULT_SERIES_COLUMNS, STRUCTURED_FIELDS, detect_format
from orchestration.hub.transfer import import_archive
from tests.conftest import tiny_hub_items

DAYS = (dt.date(2025, 3, 1), dt.date(2025, 3, 2), dt.date(2025, 3, 3))
SERIES_FIELDS = ("snapshot_date", "id", "author", "downloads", "downloads_all_time", "likes", "fetched_at")


# ------------------------------------------------------------------------------------------ fixtures


def hub_history() -> dict[dt.date, list[dict]]:
    """The days every format is made from: the tiny Hub growing, a model gone one day, a field gone another."""
    history = {day: tiny_hub_items(index) for index, day in enumerate(DAYS)}
    history[DAYS[1]] = [item for item in history[DAYS[1]] if item["id"] != "user-020/model-020"]
    history[DAYS[2]][5].pop("downloadsAllTime")
    return history


def write_jsonl_archive(folder: Path, history: dict[dt.date, list[dict]]) -> Path:
    for day, items in history.items():
        write_snapshot(folder, day, items)
    return folder


def series_rows(history: dict[dt.date, list[dict]]) -> list[dict]:
    """One row per (date, model), the default column names; None where the item lacks the field."""
    return [{"date": day.isoformat(), "model_id": item["id"], "downloads": item.get("downloads"),
             "downloads_all_time": item.get("downloadsAllTime"), "likes": item.get("likes")}
            for day, items in history.items() for item in items]


def write_series_csv(path: Path, rows: list[dict], names: dict[str, str] | None = None) -> Path:
    """`rows` (default names) as CSV under the column names `names` maps them to; None is an empty cell."""
    names = names or {key: key for key in rows[0]}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([names[key] for key in rows[0] if key in names])
        for row in rows:
            writer.writerow(["" if row[key] is None else row[key] for key in row if key in names])
    return path


def columnar(rows: list[dict]) -> pa.Table:
    """Rows as an Arrow table, the columns the union of the rows' keys in first-seen order, types from every row."""
    names = list(dict.fromkeys(key for row in rows for key in row))
    return pa.table({name: pa.array([row.get(name) for row in rows]) for name in names})


def write_series_parquet(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = columnar(rows)
    table = table.set_column(0, "date", pa.array([dt.date.fromisoformat(d) for d in table.column("date").to_pylist()]))
    pq.write_table(table, path)
    return path


def write_listing_parquet(folder: Path, history: dict[dt.date, list[dict]], *, json_text: bool = False) -> Path:
    """One `YYYY-MM-DD.parquet` per day with the Hub's field names; structured fields as structs or JSON text."""
    folder.mkdir(parents=True, exist_ok=True)
    for day, items in history.items():
        if json_text:
            items = [{k: json.dumps(v) if k in STRUCTURED_FIELDS else v for k, v in item.items()} for item in items]
        pq.write_table(columnar(items), folder / f"{day.isoformat()}.parquet")
    return folder


def raw_rows(raw: Path, fields: tuple[str, ...] | None = None) -> list[dict]:
    rows = []
    for path in sorted(raw.glob("snapshot_date=*/part-0.parquet")):
        rows += pq.read_table(path, columns=list(fields) if fields else None).to_pylist()
    return rows


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden temporaries included), for before/after comparisons."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _import(folder: Path, home: Path, **kwargs) -> list[dict]:
    return import_archive(folder, home / "raw", home / "rejects", log=lambda _m: None, **kwargs)


@pytest.fixture(scope="module")
def history() -> dict[dt.date, list[dict]]:
    return hub_history()


@pytest.fixture(scope="module")
def jsonl_raw(tmp_path_factory, history) -> Path:
    """The raw partitions the JSON-lines archive of the same days gives: what every format is held to."""
    root = tmp_path_factory.mktemp("jsonl")
    _import(write_jsonl_archive(root / "archive", history), root)
    return root / "raw"


# ------------------------------------------------------------------------------------------ each format


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_series_gives_the_jsonl_raw_rows_for_the_fields_it_carries(tmp_path, history, jsonl_raw, kind):
    folder = tmp_path / "series"
    if kind == "csv":
        write_series_csv(folder / "downloads.csv", series_rows(history))
    else:
        write_series_parquet(folder / "downloads.parquet", series_rows(history))
    summaries = _import(folder, tmp_path)
    assert [s["snapshot_date"] for s in summaries] == [d.isoformat() for d in DAYS]
    assert {s["format"] for s in summaries} == {"series"} and {s["file"] for s in summaries} == {f"downloads.{kind}"}
    assert [s["rows"] for s in summaries] == [40, 39, 40] and not any(s["rejected"] for s in summaries)
    assert raw_rows(tmp_path / "raw", SERIES_FIELDS) == raw_rows(jsonl_raw, SERIES_FIELDS)
    # The items carry what the series gives, other fields absent (the trimmed shape); an empty cell is absent.
    rows = raw_rows(tmp_path / "raw")
    assert {tuple(json.loads(r["item_json"])) for r in rows} == {
        ("id", "downloads", "downloadsAllTime", "likes"), ("id", "downloads", "likes")}
    assert all(r["created_at"] is None and r["tags"] is None for r in rows)
    assert {r["fetched_at"] for r in rows if r["snapshot_date"] == DAYS[0]} == {default_taken_at(DAYS[0])}


@pytest.mark.parametrize("json_text", [False, True], ids=["structs", "json-text"])
def test_listing_parquet_gives_the_jsonl_raw_rows(tmp_path, history, jsonl_raw, json_text):
    folder = write_listing_parquet(tmp_path / "listing", history, json_text=json_text)
    summaries = _import(folder, tmp_path)
    assert [(s["snapshot_date"], s["file"], s["format"]) for s in summaries] == [
        (d.isoformat(), f"{d.isoformat()}.parquet", "listing-parquet") for d in DAYS]
    # Every column, the items themselves (`item_json`) included: a listing row is the Hub's item.
    assert raw_rows(tmp_path / "raw") == raw_rows(jsonl_raw) and len(raw_rows(jsonl_raw)) == 119


def test_a_series_spread_over_files_and_start_end(tmp_path, history, jsonl_raw):
    rows = series_rows(history)
    half = len(rows) // 2  # the second day is split across the two files
    write_series_csv(tmp_path / "series" / "a.csv", rows[:half])
    write_series_parquet(tmp_path / "series" / "b.parquet", rows[half:])
    summaries = _import(tmp_path / "series", tmp_path, start=DAYS[1], end=DAYS[1])
    assert [(s["snapshot_date"], s["file"], s["rows"]) for s in summaries] == [
        (DAYS[1].isoformat(), "a.csv, b.parquet", 39)]
    expected = [r for r in raw_rows(jsonl_raw, SERIES_FIELDS) if r["snapshot_date"] == DAYS[1]]
    assert raw_rows(tmp_path / "raw", SERIES_FIELDS) == expected


def test_series_columns_can_be_mapped(tmp_path, history, jsonl_raw):
    names = {"date": "day", "model_id": "repo", "downloads": "dl30", "downloads_all_time": "dl_total"}  # no likes
    write_series_csv(tmp_path / "series" / "tracker.csv", series_rows(history), names)
    mapping = {"date": "day", "model_id": "repo", "downloads": "dl30", "downloads_all_time": "dl_total", "likes": ""}
    _import(tmp_path / "series", tmp_path, columns=mapping)
    fields = tuple(f for f in SERIES_FIELDS if f != "likes")
    assert raw_rows(tmp_path / "raw", fields) == raw_rows(jsonl_raw, fields)
    assert {r["likes"] for r in raw_rows(tmp_path / "raw")} == {None}


def test_a_fetched_at_column_is_the_partitions_instant(tmp_path, history):
    rows = [{**r, "fetched_at": f"{r['date']}T02:00:00Z"} for r in series_rows(history)]
    write_series_csv(tmp_path / "series" / "s.csv", rows)
    summaries = _import(tmp_path / "series", tmp_path)
    assert [s["fetched_at"] for s in summaries] == [f"{d}T02:00:00.000Z" for d in DAYS]
    instants = {(r["snapshot_date"], r["fetched_at"]) for r in raw_rows(tmp_path / "raw", SERIES_FIELDS)}
    assert instants == {(d, dt.datetime.combine(d, dt.time(2), tzinfo=dt.UTC)) for d in DAYS}


# ------------------------------------------------------------------------------------------ the format


@pytest.mark.parametrize("names, expected", [
    (["2025-03-01.jsonl.gz", "2025-03-02.jsonl", "README.md", "2025-03-01.meta.json"], "hub-jsonl"),
    (["history.csv"], "series"),
    (["a.csv", "b.csv.gz", "c.parquet"], "series"),
    (["2025-03-01.parquet", "2025-03-02.parquet"], "listing-parquet"),
    (["models-2025.parquet"], "series"),
])
def test_the_format_is_detected_from_the_names(tmp_path, names, expected):
    for name in names:
        (tmp_path / name).write_text("")
    (tmp_path / "ground_truth").mkdir()
    (tmp_path / "ground_truth" / "models.csv").write_text("")  # a subfolder is not the archive
    assert detect_format(tmp_path) == expected


@pytest.mark.parametrize("names", [
    ["2025-03-01.jsonl.gz", "extra.csv"],
    ["2025-03-01.parquet", "series.csv"],
    ["2025-03-01.jsonl", "2025-03-02.parquet"],
])
def test_a_folder_mixing_formats_is_refused(tmp_path, names):
    for name in names:
        (tmp_path / name).write_text("")
    with pytest.raises(ArchiveError, match="more than one archive format") as raised:
        _import(tmp_path, tmp_path / "home")
    assert all(name in str(raised.value) for name in names)
    assert not (tmp_path / "home").exists()


def test_an_explicit_format_reads_date_named_parquet_as_a_series(tmp_path, history, jsonl_raw):
    write_series_parquet(tmp_path / "series" / "2025-03-01.parquet", series_rows(history))
    with pytest.raises(ArchiveError, match="2025-03-01.parquet: missing required column 'id'"):
        _import(tmp_path / "series", tmp_path)  # detected as a listing
    _import(tmp_path / "series", tmp_path, format="series")
    assert raw_rows(tmp_path / "raw", SERIES_FIELDS) == raw_rows(jsonl_raw, SERIES_FIELDS)


def test_a_format_the_files_are_not_in_is_refused(tmp_path, history):
    write_series_csv(tmp_path / "series" / "s.csv", series_rows(history))
    with pytest.raises(ArchiveError, match="--format hub-jsonl given, but the files are series"):
        _import(tmp_path / "series", tmp_path, format="hub-jsonl")
    with pytest.raises(ArchiveError, match="series format only"):
        write_jsonl_archive(tmp_path / "jsonl", history)
        _import(tmp_path / "jsonl", tmp_path, columns={"model_id": "repo"})


# ------------------------------------------------------------------------------------------ bad files


def _csv_text(rows: list[list]) -> str:
    return "".join(",".join(str(c) for c in row) + "\n" for row in rows)


HEADER = list(DEFAULT_SERIES_COLUMNS)
GOOD = ["2025-03-04", "Qwen/model-000", 10, 100, 1]

BAD_SERIES_CSV = {
    "missing column": (_csv_text([["date", "model_id", "downloads", "likes"], GOOD[:3] + [1]]),
                       (r"bad\.csv: missing required column 'downloads_all_time' \(the default name for "
                       r"downloads_all_time.*--column downloads_all_time=NAME")),
    "unparseable date": (_csv_text([HEADER, GOOD, ["2025-02-30", *GOOD[1:]]]),
                         r"bad\.csv:3, column 'date': not a valid calendar date: '2025-02-30'"),
    "date not a date": (_csv_text([HEADER, GOOD, ["03/04/2025", *GOOD[1:]]]),
                        r"bad\.csv:3, column 'date': not a YYYY-MM-DD date"),
    "negative downloads": (_csv_text([HEADER, GOOD, GOOD, ["2025-03-04", "Qwen/model-001", -5, 100, 1]]),
                           r"bad\.csv:4, column 'downloads': '-5' is negative"),
    "fractional downloads": (_csv_text([HEADER, ["2025-03-04", "Qwen/model-001", 10, 100.5, 1]]),
                             r"bad\.csv:2, column 'downloads_all_time': '100\.5' is not a whole number"),
    "text downloads": (_csv_text([HEADER, ["2025-03-04", "Qwen/model-001", "many", 100, 1]]),
                       r"bad\.csv:2, column 'downloads': 'many' is not a whole number"),
    "conflicting duplicate": (_csv_text([HEADER, GOOD, ["2025-03-05", *GOOD[1:]], [*GOOD[:2], 11, 100, 1]]),
                              (r"bad\.csv:4: a second row for \(2025-03-04, Qwen/model-000\) with other values "
                              r"than .*bad\.csv:2")),
    "empty file": ("", r"bad\.csv: empty file"),
    "header only": (_csv_text([HEADER]), r"bad\.csv: empty file \(a header, no rows\)"),
    "short line": (_csv_text([HEADER, GOOD, GOOD[:3]]), r"bad\.csv:3: 3 fields, the header has 5"),
    "no model id": (_csv_text([HEADER, ["2025-03-04", "", 1, 2, 3]]), r"bad\.csv:2, column 'model_id': no model id"),
    "instant outside the day": (_csv_text([[*HEADER, "fetched_at"], [*GOOD, "2025-03-09T00:00:00Z"]]),
                                r"bad\.csv:2, column 'fetched_at': a snapshot of 2025-03-04 cannot have been taken"),
    "two instants for a day": (_csv_text([[*HEADER, "fetched_at"], [*GOOD, "2025-03-04T02:00:00Z"],
                                          ["2025-03-04", "Qwen/model-001", 1, 2, 3, "2025-03-04T03:00:00Z"]]),
                               (r"bad\.csv:3, column 'fetched_at': 2025-03-04T03:00:00\.000Z for 2025-03-04, but "
                               r".*bad\.csv:2 says")),
}


@pytest.fixture
def imported(tmp_path, history) -> Path:
    """A home that already holds the JSON-lines import: a failed import must leave it byte for byte."""
    _import(write_jsonl_archive(tmp_path / "jsonl", history), tmp_path)
    return tmp_path


def _assert_refused_and_nothing_written(folder: Path, home: Path, match: str, **kwargs) -> str:
    before = folder_bytes(home / "raw"), folder_bytes(home / "rejects")
    assert len(before[0]) == len(DAYS)  # the previous import's partitions, to be kept
    with pytest.raises(ArchiveError, match=match) as raised:
        _import(folder, home, **kwargs)
    assert (folder_bytes(home / "raw"), folder_bytes(home / "rejects")) == before
    return str(raised.value)


@pytest.mark.parametrize("case", list(BAD_SERIES_CSV))
def test_a_bad_series_csv_names_file_and_line_and_writes_nothing(imported, case):
    text, match = BAD_SERIES_CSV[case]
    folder = imported / "bad-series"
    # A good file of other dates comes first: a series is checked whole, every file, before any date is written.
    write_series_csv(folder / "a-good.csv", [dict(zip(HEADER, ["2025-03-06", "Qwen/model-009", 1, 2, 3],
                                                      strict=True))])
    (folder / "bad.csv").write_text(text)
    _assert_refused_and_nothing_written(folder, imported, match)


def test_a_mapped_column_that_is_missing_names_the_mapping(imported):
    folder = imported / "bad-series"
    (folder).mkdir()
    (folder / "bad.csv").write_text(_csv_text([HEADER, GOOD]))
    _assert_refused_and_nothing_written(
        folder, imported, r"bad\.csv: missing required column 'repo' \(mapped with --column model_id=repo",
        columns={"model_id": "repo"})


@pytest.mark.parametrize("column, values, match", [
    ("downloads", [10, -1], r"bad\.parquet: row 2, column 'downloads': -1 is negative"),
    ("likes", [1.0, 2.5], r"bad\.parquet: row 2, column 'likes': 2\.5 is not a whole number"),
    ("date", ["2025-03-04", "yesterday"], r"bad\.parquet: row 2, column 'date': not a YYYY-MM-DD date"),
])
def test_a_bad_series_parquet_names_file_row_and_column(imported, column, values, match):
    rows = [dict(zip(HEADER, GOOD, strict=True)), dict(zip(HEADER, ["2025-03-04", "Qwen/model-001", 1, 2, 3],
                                                           strict=True))]
    for row, value in zip(rows, values, strict=True):
        row[column] = value
    folder = imported / "bad-series"
    folder.mkdir()
    pq.write_table(columnar(rows), folder / "bad.parquet")
    _assert_refused_and_nothing_written(folder, imported, match)


BAD_LISTINGS = {
    "no id column": (lambda items: columnar([{k: v for k, v in i.items() if k not in ("id", "modelId")}
                                             for i in items]),
                     r"2025-03-02\.parquet: missing required column 'id' \(or 'modelId'\)"),
    "negative likes": (lambda items: columnar([{**i, "likes": -3} if n == 7 else i for n, i in enumerate(items)]),
                       r"2025-03-02\.parquet: row 8, column 'likes': -3 is negative"),
    "fractional downloads": (lambda items: columnar([{**i, "downloads": 0.5} if n == 2 else
                                                     {**i, "downloads": float(i["downloads"])}
                                                     for n, i in enumerate(items)]),
                             r"2025-03-02\.parquet: row 3, column 'downloads': 0\.5 is not a whole number"),
    "conflicting duplicate": (lambda items: columnar([*items, {**items[4], "likes": 999}]),
                              (r"2025-03-02\.parquet: row 41: a second row for Qwen/model-004 with other values "
                              r"than row 5")),
    "cardData not JSON": (lambda items: columnar([{**i, "cardData": "{'license': 'mit'}"} for i in items]),
                          r"2025-03-02\.parquet: row 1, column 'cardData': not JSON"),
    "empty file": (lambda items: columnar(items).slice(0, 0), r"2025-03-02\.parquet: empty file \(no rows\)"),
}


@pytest.mark.parametrize("case", list(BAD_LISTINGS))
def test_a_bad_listing_parquet_names_file_row_and_column_and_keeps_the_partition(imported, history, case):
    make, match = BAD_LISTINGS[case]
    folder = imported / "bad-listing"
    folder.mkdir()
    pq.write_table(make(tiny_hub_items(7)), folder / "2025-03-02.parquet")
    _assert_refused_and_nothing_written(folder, imported, match)


@pytest.mark.parametrize("payload, match", [
    (b"", r"2025-03-02\.parquet: cannot be read as Parquet"),
    (b"PAR1 not really", r"2025-03-02\.parquet: cannot be read as Parquet"),
])
def test_a_listing_file_that_is_not_parquet_is_named(imported, payload, match):
    folder = imported / "bad-listing"
    folder.mkdir()
    (folder / "2025-03-02.parquet").write_bytes(payload)
    _assert_refused_and_nothing_written(folder, imported, match)


def test_a_listing_file_name_must_be_a_date(imported, history):
    folder = write_listing_parquet(imported / "bad-listing", {DAYS[0]: history[DAYS[0]]})
    (folder / "2025-03-01.parquet").rename(folder / "2025-13-01.parquet")
    _assert_refused_and_nothing_written(folder, imported, r"2025-13-01\.parquet: a listing file's name must be "
                                                          r"YYYY-MM-DD\.parquet")


# ------------------------------------------------------------------------------------------ the command line


def test_the_command_imports_a_mapped_series_and_names_a_bad_line(tmp_path, history, jsonl_raw, capsys):
    names = {"date": "day", "model_id": "repo", "downloads": "downloads", "downloads_all_time": "total",
             "likes": "likes"}
    folder = tmp_path / "tracker"
    write_series_csv(folder / "daily.csv", series_rows(history), names)
    home = tmp_path / "home"
    argv = ["import-archive", str(folder), "--home", str(home), "--no-dagster", "--column", "date=day",
            "--column", "model_id=repo", "--column", "downloads_all_time=total"]
    assert main(argv) == 0
    assert "imported 3 snapshot dates, 119 model rows, 0 rejected items" in capsys.readouterr().out
    raw = home / "raw" / "hub_models"
    assert raw_rows(raw, SERIES_FIELDS) == raw_rows(jsonl_raw, SERIES_FIELDS)

    before = folder_bytes(raw)
    lines = (folder / "daily.csv").read_text().splitlines()
    lines[9] = lines[9].replace("2025-03-01", "2025-03-1")
    (folder / "daily.csv").write_text("\n".join(lines) + "\n")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("hubpulse import-archive: error: ") and "daily.csv:10, column 'day'" in err, err
    assert folder_bytes(raw) == before

    assert main([*argv[:5], "--format", "listing-parquet"]) == 2
    assert "--format listing-parquet given, but the files are series" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*argv[:5], "--column", "stars=likes"])
    assert "KEY one of date, model_id" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ built by dbt


def test_a_series_import_builds_the_warehouse(tmp_path):
    """A series of a small simulated history, imported and built by the same Dagster run of dbt as any archive:
    the daily downloads are the `downloads_all_time` deltas of the series, the Hub's 30-day counts as given."""
    import dagster as dg
    import scenarios as sc

    from orchestration.hub.archive import list_snapshots, read_snapshot

    simulated = sc.simulate_archive(tmp_path, start=dt.date(2025, 1, 20), end=dt.date(2025, 1, 24), seed=34,
                                    community_authors=6, catalogue_fraction=0.02, missing_dates=0, rename_at=None)
    history = {day: read_snapshot(path) for day, path in list_snapshots(simulated).items()}
    write_series_csv(tmp_path / "series" / "tracker.csv", series_rows(history))
    home = tmp_path / "home"
    days = sorted(history)
    scenario = sc.Scenario("series", tmp_path, simulated, home, days[0], days[-1])
    summaries = import_archive(tmp_path / "series", scenario.raw_root, home / "raw" / "hub_models_rejects",
                               log=lambda _m: None)
    assert len(summaries) == len(days)
    with sc._environment(tmp_path, home):
        sc._build_warehouse(scenario, dg.DagsterInstance.ephemeral())
    assert all(result.success for result in scenario.results), sc.run_problems(scenario)
    daily = scenario.query("select repo_id, snapshot_date, downloads_30d, downloads_all_time, daily_downloads, "
                           "is_interpolated, is_recount from marts.fct_model_daily")
    given = {(r["model_id"], r["date"]): r for r in series_rows(history)}
    assert len(daily) == len(given)
    checked = 0
    for row in daily.itertuples():
        day = row.snapshot_date.date()
        source = given[(row.repo_id, day.isoformat())]
        assert (row.downloads_30d, _none(row.downloads_all_time)) == (source["downloads"],
                                                                      source["downloads_all_time"])
        before = given.get((row.repo_id, (day - dt.timedelta(days=1)).isoformat()))
        if before and before["downloads_all_time"] is not None and source["downloads_all_time"] is not None \
                and not row.is_recount:
            assert row.daily_downloads == source["downloads_all_time"] - before["downloads_all_time"]
            checked += 1
    assert checked > 50


def _none(value):
    import pandas as pd

    return None if pd.isna(value) else int(value)
