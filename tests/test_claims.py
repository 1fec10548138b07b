"""Licences, languages and rankings (issue 17, claims 6-8), built for real from a small simulated history.

`int_models_licences_languages` and the marts `fct_release_licences`, `fct_release_languages`,
`fct_language_family_downloads` and `fct_rankings` are checked against the simulator's ground truth
(`models.csv`: licence, card licence name, languages, creation; `daily_downloads.csv.gz`: the id each snapshot
shows, likes and the 30-day `downloads`), the seeds read in Python, and the daily downloads `tests/
warehouse_reference.py` recomputes from the raw partitions; then row for row against that module's own
recomputation of the five relations. Expected values come from the input and the truth only, never from the
warehouse. A small history spanning R1 is simulated, imported and built once for the module; a trimmed archive
(items without tags or card) is built once more, only for the test that needs it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import warehouse_reference as reference
from test_warehouse import PROJECT_DIR, assert_same_rows, run_dbt

from orchestration.hub.transfer import import_archive
from orchestration.localhub.simulator import SimulationConfig, simulate

# Spans R1 (2025-01-20) and a month boundary; enough community originals for a few without a licence or language.
START, END = dt.date(2025, 1, 17), dt.date(2025, 2, 2)
R1 = dt.date(2025, 1, 20)
TOP_N = (10, 50)
CONFIG = {"start": START, "end": END, "seed": 21, "community_authors": 30, "community_originals": 2.0,
          "catalogue_fraction": 0.25, "missing_dates": 1, "rename_at": 0.5}
KEYS = {
    "int_models_licences_languages": ("intermediate", ["model_id"]),
    "fct_release_licences": ("marts", ["region", "month_start", "license_family"]),
    "fct_release_languages": ("marts", ["region", "month_start"]),
    "fct_language_family_downloads": ("marts", ["region", "month_start", "language_family"]),
    "fct_rankings": ("marts", ["period_type", "period_start", "ranking_measure", "top_n", "region"]),
}
MARTS = [name for name, (schema, _keys) in KEYS.items() if schema == "marts"]


class Built:
    def __init__(self, root: Path):
        self.archive = root / "archive"
        self.home = root / "home"
        self.raw_root = self.home / "raw" / "hub_models"

    def truth(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.archive / "ground_truth" / name, dtype=str, keep_default_na=False)

    def rows(self, name: str) -> list[dict]:
        con = duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True)
        try:
            cursor = con.execute(f"select * from {KEYS[name][0]}.{name}")
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()

    def file_dates(self) -> list[dt.date]:
        return sorted(dt.date.fromisoformat(p.name[:10]) for p in self.archive.glob("*.jsonl.gz"))


def _build(root: Path, **options) -> Built:
    b = Built(root)
    simulate(SimulationConfig(**CONFIG, **options), b.archive, log=lambda _: None)
    b.raw_root.mkdir(parents=True)
    import_archive(b.archive, b.raw_root, b.home / "raw" / "hub_models_rejects", log=lambda _: None)
    # build: the four marts, their parents and every data test on them (severity error: a failure fails here)
    run_dbt(b.home, "build", "--select", *(f"+{name}" for name in MARTS),
            "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious")
    return b


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    return _build(tmp_path_factory.mktemp("claims"))


@pytest.fixture(scope="module")
def expected(built) -> dict[str, pd.DataFrame]:
    return reference.claims(built.raw_root, PROJECT_DIR)


@pytest.fixture(scope="module")
def truth(built) -> dict[str, dict]:
    return truth_models(built)


# --------------------------------------------------------------------------------- the truth, in Python

LICENCE_FAMILY, LANGUAGE_FAMILY = reference.licence_seeds(PROJECT_DIR)
SEEDS = reference.load_seeds(PROJECT_DIR)


def region_of(repo_id: str) -> str:
    """The region the warehouse gives an id: its namespace's organisation (aliases seed) in the region seed."""
    namespace = repo_id.split("/", 1)[0]
    organization = SEEDS.organization(namespace)
    return SEEDS.region(organization) or SEEDS.region(namespace) or "unclassified"


def licence_key(licence: str, name: str) -> str | None:
    """The seed's key of a truth licence: the card's name of a custom (`other`) licence when the seed lists it,
    else the licence id; None for none."""
    if not licence:
        return None
    return name.lower() if licence == "other" and name.lower() in LICENCE_FAMILY else licence.lower()


def truth_models(built: Built) -> dict[str, dict]:
    """Per repo object seen in at least one snapshot file (= the warehouse's model_id): its licence, languages
    and their families, real creation date and the region of the id its last snapshot shows."""
    shown = built.truth("daily_downloads.csv.gz").query("in_snapshot == 'true'")
    last_id = {(o, d): m for o, d, m in zip(shown["object_id"], shown["snapshot_date"], shown["model_id"],
                                            strict=True)}
    out = {}
    for m in built.truth("models.csv").itertuples():
        if not m.first_date:
            continue
        codes = sorted(m.languages.split(";")) if m.languages else []
        out[m.object_id] = {
            "region": region_of(last_id[(m.object_id, m.last_date)]),
            "created_date": (None if m.is_placeholder_created_at == "true"
                             else dt.date.fromisoformat(m.created_at[:10])),
            "last_date": dt.date.fromisoformat(m.last_date),
            "license": m.license or None,
            "license_name": (m.license_name or None) if m.license == "other" else None,
            "license_key": licence_key(m.license, m.license_name),
            "license_family": LICENCE_FAMILY.get(licence_key(m.license, m.license_name), "unknown"),
            "languages": codes or None,
            "language_count": sum(c != "multilingual" for c in codes),
            "declares_beyond_english": any(c != "en" for c in codes),
            "language_families": sorted({LANGUAGE_FAMILY.get(c, "unclassified") for c in codes}),
        }
    return out


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _same(a, b) -> bool:
    return reference.same_value(a, b)


def _differing(actual: dict, expected: dict) -> list:
    assert set(actual) == set(expected), (sorted(set(actual) - set(expected), key=str)[:5],
                                          sorted(set(expected) - set(actual), key=str)[:5])
    return [(k, actual[k], expected[k]) for k in expected
            if not all(_same(a, e) for a, e in zip(actual[k], expected[k], strict=True))]


# --------------------------------------------------------------------------------------------- tests


def test_each_models_licence_family_and_languages_equal_the_ground_truth(built, truth):
    families = {t["license_family"] for t in truth.values()}
    assert {"permissive", "restricted", "unknown"} <= families, families
    assert any(t["license"] == "other" and t["license_name"] in LICENCE_FAMILY for t in truth.values())
    assert any(t["license"] == "other" and t["license_name"] is None for t in truth.values())
    assert any(t["languages"] is None for t in truth.values())
    assert any(t["language_count"] >= 3 for t in truth.values())
    rows = {r["model_id"]: r for r in built.rows("int_models_licences_languages")}
    columns = ["region", "created_date", "license", "license_name", "license_key", "license_family", "languages",
               "language_count", "declares_beyond_english", "language_families"]
    actual = {m: tuple(r[c] for c in columns) for m, r in rows.items()}
    differing = _differing(actual, {m: tuple(t[c] for c in columns) for m, t in truth.items()})
    assert not differing, differing[:5]


def _truth_releases(truth: dict[str, dict]) -> list[dict]:
    return [t for t in truth.values() if t["created_date"] is not None]


def test_release_licences_count_the_ground_truth_releases_per_region_month_and_family(built, truth):
    releases = _truth_releases(truth)
    assert len(releases) > 300 and any(t["created_date"] < R1 for t in releases)
    assert any(t["created_date"] >= R1 for t in releases)
    assert len(releases) < len(truth), "the history must hold placeholder createdAt repos (no release)"
    cells: dict[tuple, list[bool]] = defaultdict(list)
    for t in releases:
        cells[(t["region"], _month(t["created_date"]), t["license_family"])].append(t["created_date"] >= R1)
    region_month: dict[tuple, int] = defaultdict(int)
    for (region, month, _family), since in cells.items():
        region_month[(region, month)] += len(since)
    assert any(family == "unknown" for _r, _m, family in cells), "unknown releases are counted, never dropped"
    rows = built.rows("fct_release_licences")
    actual = {(r["region"], r["month_start"], r["license_family"]): (
        r["releases"], r["releases_before_r1"], r["releases_since_r1"]) for r in rows if r["releases"] > 0}
    expected = {k: (len(v), v.count(False), v.count(True)) for k, v in cells.items()}
    differing = _differing(actual, expected)
    assert not differing, differing[:5]
    for r in rows:  # a download-only row counts no release; its share is 0 of the region's month, or null
        total = region_month.get((r["region"], r["month_start"]), 0)
        assert _same(r["release_share"], r["releases"] / total if total else None), r
        assert r["is_post_r1"] == (r["month_start"] >= R1), r


def test_release_languages_count_the_ground_truth_releases_beyond_english_per_region_and_month(built, truth):
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for t in _truth_releases(truth):
        cells[(t["region"], _month(t["created_date"]))].append(t)
    expected = {}
    for (_region, month), members in cells.items():
        since = [t["created_date"] >= R1 for t in members]
        beyond = [t["created_date"] >= R1 for t in members if t["declares_beyond_english"]]
        counts = [t["language_count"] for t in members]
        named = [c for c in counts if c > 0]
        expected[(_region, month)] = (
            month >= R1, len(members), since.count(False), since.count(True),
            sum(t["languages"] is not None for t in members), len(beyond), beyond.count(False), beyond.count(True),
            len(beyond) / len(members), sum(named) / len(named) if named else None, max(counts))
    assert any(e[5] > 0 and e[7] > 0 for e in expected.values()), "releases beyond English since R1"
    columns = ["is_post_r1", "releases", "releases_before_r1", "releases_since_r1", "releases_declaring_languages",
               "releases_beyond_english", "releases_beyond_english_before_r1", "releases_beyond_english_since_r1",
               "share_beyond_english", "mean_languages_declared", "max_languages_declared"]
    actual = {(r["region"], r["month_start"]): tuple(r[c] for c in columns)
              for r in built.rows("fct_release_languages")}
    differing = _differing(actual, expected)
    assert not differing, differing[:5]


def _known_sum(values) -> float | None:
    known = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(known) if known else None


def _daily(expected) -> list[tuple[str, str, dt.date, float | None]]:
    """The recomputed daily downloads: (model, region of the day, date, downloads or None when unknown)."""
    daily = expected["int_models_daily_downloads"]
    return [(m, r, d, None if pd.isna(v) else float(v)) for m, r, d, v in zip(
        daily["model_id"], daily["region"], daily["download_date"], daily["daily_downloads"], strict=True)]


def test_release_licence_downloads_are_the_recomputed_daily_downloads_per_region_month_and_family(built, expected, truth):
    days: dict[tuple, list[tuple[dt.date, float]]] = defaultdict(list)
    for model_id, region, day, value in _daily(expected):
        if value is not None:
            days[(region, _month(day), truth[model_id]["license_family"])].append((day, value))
    totals: dict[tuple, float] = defaultdict(float)
    for (region, month, _family), values in days.items():
        totals[(region, month)] += sum(v for _d, v in values)
    want = {}
    for cell, values in days.items():
        downloads = sum(v for _d, v in values)
        want[cell] = (downloads, _known_sum(v for d, v in values if d < R1),
                      _known_sum(v for d, v in values if d >= R1),
                      downloads / totals[cell[:2]] if totals[cell[:2]] else None)
    assert any(e[1] is not None and e[2] is not None for e in want.values()), "a month holding R1"
    release_cells = {(t["region"], _month(t["created_date"]), t["license_family"]) for t in _truth_releases(truth)}
    actual = {(r["region"], r["month_start"], r["license_family"]): (
        r["downloads"], r["downloads_before_r1"], r["downloads_since_r1"], r["download_share"])
        for r in built.rows("fct_release_licences")}
    # Every cell with a release or known downloads is a row; a release-only cell has no downloads.
    differing = _differing(actual, {c: want.get(c, (None, None, None, None)) for c in release_cells | set(want)})
    assert not differing, differing[:5]


def test_language_family_downloads_are_the_recomputed_daily_downloads_per_declared_family(built, expected, truth):
    monthly: dict[tuple, list] = defaultdict(list)
    for model_id, region, day, value in _daily(expected):
        monthly[(region, _month(day), model_id)].append(value)
    cells: dict[tuple, list] = defaultdict(list)
    totals: dict[tuple, list] = defaultdict(list)
    for (region, month, model_id), values in monthly.items():
        downloads = _known_sum(values)
        totals[(region, month)].append(downloads)
        for family in truth[model_id]["language_families"] or ["none"]:
            cells[(region, month, family)].append(downloads)
    want = {}
    for (region, month, family), values in cells.items():
        downloads, total = _known_sum(values), _known_sum(totals[(region, month)])
        want[(region, month, family)] = (month >= R1, len(values), downloads,
                                         downloads / total if downloads is not None and total else None)
    assert {"none", "Indo-European", "Sino-Tibetan"} <= {family for _r, _m, family in want}
    actual = {(r["region"], r["month_start"], r["language_family"]): (
        r["is_post_r1"], r["models"], r["downloads"], r["download_share"])
        for r in built.rows("fct_language_family_downloads")}
    differing = _differing(actual, want)
    assert not differing, differing[:5]


def _ranked(cohorts: dict[tuple, list[tuple[str, str, int, int]]]) -> dict[tuple, tuple]:
    """Per (period type, period, measure, N, region): period_models, region_models, models_in_top, best_rank,
    share_of_top, from members (model id, region, likes, downloads_30d) ranked highest first, ties by id."""
    out = {}
    for (period_type, start), members in cohorts.items():
        for measure, index in (("likes", 2), ("downloads_30d", 3)):
            order = sorted(members, key=lambda m: (-m[index], m[0]))
            rank = {m[0]: position for position, m in enumerate(order, start=1)}
            for n in TOP_N:
                for region in {m[1] for m in members}:
                    ranks = [rank[m[0]] for m in members if m[1] == region]
                    in_top = sum(r <= n for r in ranks)
                    out[(period_type, start, measure, n, region)] = (
                        len(members), len(ranks), in_top, min(ranks), in_top / min(n, len(members)))
    return out


def test_rankings_equal_a_ranking_of_ground_truth_likes_and_30_day_downloads(built, truth):
    files = built.file_dates()
    shown = built.truth("daily_downloads.csv.gz").query("in_snapshot == 'true'")
    measures = {(o, dt.date.fromisoformat(d)): (m, int(lk), int(dl)) for o, d, m, lk, dl in zip(
        shown["object_id"], shown["snapshot_date"], shown["model_id"], shown["likes"], shown["downloads_30d"],
        strict=True)}
    cohorts: dict[tuple, list] = defaultdict(list)
    for object_id, t in truth.items():
        if t["created_date"] is None:
            continue  # not a release
        # Ranked on its own last snapshot: a release deleted before the last day keeps its place in its cohort.
        _id, likes, downloads = measures[(object_id, t["last_date"])]
        member = (object_id, t["region"], likes, downloads)
        cohorts[("release_month", _month(t["created_date"]))].append(member)
        cohorts[("release_week", t["created_date"] - dt.timedelta(days=t["created_date"].weekday()))].append(member)
    month_ends = {max(d for d in files if _month(d) == _month(day)) for day in files}
    for (object_id, day), (shown_id, likes, downloads) in measures.items():
        if day in month_ends:
            cohorts[("live_month", _month(day))].append((object_id, region_of(shown_id), likes, downloads))
    assert any(t["last_date"] != files[-1] for t in truth.values()), "the history must hold a deleted model"
    assert len(month_ends) == 2 and max(len(m) for m in cohorts.values()) > 50
    want = _ranked(cohorts)
    # A tie on likes inside some top 50, decided by the model id.
    assert any(len({m[2] for m in sorted(members, key=lambda m: -m[2])[:50]}) < min(50, len(members))
               for members in cohorts.values())
    actual = {(r["period_type"], r["period_start"], r["ranking_measure"], r["top_n"], r["region"]): (
        r["period_models"], r["region_models"], r["models_in_top"], r["best_rank"], r["share_of_top"])
        for r in built.rows("fct_rankings")}
    differing = _differing(actual, want)
    assert not differing, differing[:5]
    for r in built.rows("fct_rankings"):
        assert r["is_post_r1"] == (r["period_start"] >= R1), r


@pytest.mark.parametrize("name", list(KEYS))
def test_relation_equals_python_recomputation(name, built, expected):
    assert_same_rows(built.rows(name), expected[name], KEYS[name][1], name)


def test_a_trimmed_archive_counts_every_release_as_unknown_declaring_no_language(tmp_path_factory):
    b = _build(tmp_path_factory.mktemp("claims-trimmed"), trimmed=True)
    # Trimmed items have no `_id`: the warehouse's model is the id shown; each shown id is one model.
    shown = b.truth("daily_downloads.csv.gz").query("in_snapshot == 'true'")
    placeholder = set(b.truth("models.csv").query("is_placeholder_created_at == 'true'")["object_id"])
    created = {m.object_id: dt.date.fromisoformat(m.created_at[:10]) for m in b.truth("models.csv").itertuples()}
    ids = {m: o for m, o in zip(shown["model_id"], shown["object_id"], strict=True)}
    cells: dict[tuple, int] = defaultdict(int)
    for repo_id, object_id in ids.items():
        if object_id not in placeholder:
            cells[(region_of(repo_id), _month(created[object_id]))] += 1
    assert sum(cells.values()) > 300

    models = {r["model_id"]: r for r in b.rows("int_models_licences_languages")}
    assert set(models) == set(ids), "every model is a row, whatever it declares"
    for r in models.values():
        assert (r["license"], r["license_name"], r["license_family"], r["languages"], r["language_count"],
                r["declares_beyond_english"], list(r["language_families"])) == (
            None, None, "unknown", None, 0, False, []), r

    licences = b.rows("fct_release_licences")
    assert {r["license_family"] for r in licences} == {"unknown"}
    assert {(r["region"], r["month_start"]): r["releases"] for r in licences if r["releases"]} == dict(cells)

    languages = {(r["region"], r["month_start"]): r for r in b.rows("fct_release_languages")}
    assert {k: r["releases"] for k, r in languages.items()} == dict(cells)
    for r in languages.values():
        assert (r["releases_declaring_languages"], r["releases_beyond_english"], r["share_beyond_english"],
                r["mean_languages_declared"], r["max_languages_declared"]) == (0, 0, 0.0, None, 0), r

    families = b.rows("fct_language_family_downloads")
    assert {r["language_family"] for r in families} == {"none"}
    assert sum(r["models"] for r in families) >= len(ids)
