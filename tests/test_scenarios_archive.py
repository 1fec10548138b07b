"""The scenario matrix, archive half: archive-shaped inputs imported with `import_archive`, built via Dagster.

(c) a tracker-like history: a few organisations, one no longer tracked from some date on, one namespace renamed
mid-history with no alias in the seed (`Qwen` -> `QwenLM`, the tracker following the repos to their new
namespace), days missing; (d) trimmed list snapshots (items with only `id, createdAt, pipeline_tag,
library_name, downloads, likes`); (f) models deleted and later re-created under the same id. Each is imported,
then every dbt model, every check and the published copy run in one Dagster run; the same assertions as the
live half apply (green, published, equal to the reference row for row, true to the simulator, every consumer
renders).
"""

from __future__ import annotations

import datetime as dt

import pytest
import scenarios as sc
from scenarios import (  # noqa: F401 - the tests every scenario runs, collected here for this file's scenarios
    test_charts_render,
    test_dashboard_pages_render,
    test_demo_summary_prints,
    test_every_run_succeeds_and_every_check_passes,
    test_marts_equal_the_reference,
    test_reported_counters_equal_the_truth,
    test_serving_copy_is_published,
)

RENAMED_FROM, RENAMED_TO = "Qwen", "QwenLM"
TRACKER_ORGS = {"Qwen", "QwenLM", "deepseek-ai", "meta-llama", "google", "nvidia"}
DROPPED_ORG, DROPPED_FROM = "nvidia", dt.date(2025, 1, 17)


def _tracked(day: dt.date, items: list[dict]) -> list[dict]:
    """What a tracker of a few organisations kept that day (it stops following DROPPED_ORG on DROPPED_FROM)."""
    orgs = TRACKER_ORGS - ({DROPPED_ORG} if day >= DROPPED_FROM else set())
    return [item for item in items if item["id"].split("/", 1)[0] in orgs]


def _tracker(root):
    archive = sc.simulate_archive(root, start=dt.date(2025, 1, 6), end=dt.date(2025, 1, 26), seed=31,
                                  community_authors=10, catalogue_fraction=0.05, missing_dates=3, rename_at=0.5,
                                  rename_also=(RENAMED_FROM, RENAMED_TO))
    return sc.build_archive("c_tracker", root, archive, transform=_tracked)


def _trimmed(root):
    archive = sc.simulate_archive(root, start=dt.date(2025, 1, 20), end=dt.date(2025, 1, 29), seed=32,
                                  community_authors=10, catalogue_fraction=0.03, missing_dates=0, rename_at=None,
                                  trimmed=True)
    return sc.build_archive("d_trimmed", root, archive)


def _recreated(root):
    archive = sc.simulate_archive(root, start=dt.date(2025, 1, 13), end=dt.date(2025, 1, 26), seed=33,
                                  community_authors=10, catalogue_fraction=0.03, missing_dates=0, rename_at=None,
                                  recreated=2)
    return sc.build_archive("f_recreated", root, archive)


BUILDERS = {"c_tracker": _tracker, "d_trimmed": _trimmed, "f_recreated": _recreated}


@pytest.fixture(scope="module", params=list(BUILDERS))
def scenario(request, tmp_path_factory) -> sc.Scenario:
    return BUILDERS[request.param](tmp_path_factory.mktemp(request.param))


# ------------------------------------------------------------------------------- scenario by scenario


def test_scenario_specific_truth(scenario):
    CHECKS[scenario.name](scenario)


def _raw(s: sc.Scenario):
    return s.query(f"select object_id, id, author, snapshot_date from read_parquet('{s.raw_root}/*/*.parquet')")


def _check_tracker(s: sc.Scenario) -> None:
    manifest = s.manifest()
    assert manifest["rename_also"]["renamed_models"] > 0 and len(manifest["missing_dates"]) == 3
    raw = _raw(s)
    raw["day"] = raw["snapshot_date"].dt.date
    assert set(raw["author"]) <= TRACKER_ORGS
    assert not len(raw[(raw["author"] == DROPPED_ORG) & (raw["day"] >= DROPPED_FROM)])
    assert len(raw[(raw["author"] == DROPPED_ORG) & (raw["day"] < DROPPED_FROM)]) > 0
    assert {dt.date.fromisoformat(d) for d in manifest["missing_dates"]}.isdisjoint(set(raw["day"]))
    # The renamed repos keep their object: one model each, seen under both namespaces; with no alias in the
    # seed the new namespace is an organisation of its own.
    renamed = s.query("select model_id, first_repo_id, repo_id, organization from marts.dim_models "
                      "where first_repo_id like ? ", [f"{RENAMED_FROM}/%"])
    moved = renamed[renamed["repo_id"].str.startswith(f"{RENAMED_TO}/")]
    assert len(moved) == manifest["rename_also"]["renamed_models"]
    orgs = set(s.query("select organization from marts.dim_organizations")["organization"])
    assert {RENAMED_FROM, RENAMED_TO} <= orgs


def _check_trimmed(s: sc.Scenario) -> None:
    from orchestration.hub import archive
    from orchestration.localhub.simulator import TRIMMED_KEYS

    for path in archive.list_snapshots(s.archive).values():
        assert all(set(item) <= set(TRIMMED_KEYS) for item in archive.read_snapshot(path))
    rows = s.query("select count(*) n, count(downloads_all_time) dat, count(downloads_30d) d30 "
                   "from marts.fct_model_daily")
    assert rows["n"][0] == len(s.truth("daily_downloads.csv.gz")) and rows["dat"][0] == 0
    assert rows["d30"][0] == rows["n"][0]
    # Velocity from the first day: the Hub's own 30-day count is a measure even without downloadsAllTime.
    velocity = s.query("select * from marts.fct_download_velocity")
    assert "downloads_30d" in velocity.columns, "fct_download_velocity has no downloads_30d measure yet"
    assert velocity["downloads_30d"].notna().any()


def _check_recreated(s: sc.Scenario) -> None:
    recreated = s.manifest()["recreated"]
    assert len(recreated) == 2
    dims = s.query("select model_id, repo_id, first_seen_date, last_seen_date, is_deleted from marts.dim_models")
    for r in recreated:
        both = dims[dims["repo_id"] == r["model_id"]].set_index("model_id")
        assert set(both.index) == {r["old_object_id"], r["new_object_id"]}, r
        old, new = both.loc[r["old_object_id"]], both.loc[r["new_object_id"]]
        deleted_on = dt.date.fromisoformat(r["deleted_on"])
        assert old["last_seen_date"].date() == deleted_on - dt.timedelta(days=1) and bool(old["is_deleted"])
        assert new["first_seen_date"].date().isoformat() == r["recreated_on"] and not bool(new["is_deleted"])
        first = s.query("select daily_downloads, downloads_all_time, is_new_model from marts.fct_model_daily "
                        "where model_id = ? and snapshot_date = ?", [r["new_object_id"], r["recreated_on"]])
        assert bool(first["is_new_model"][0]) and first["daily_downloads"][0] == first["downloads_all_time"][0]
    checked, wrong = sc.clean_daily_download_differences(s)
    assert checked > 100 and not wrong, wrong[:5]


CHECKS = {"c_tracker": _check_tracker, "d_trimmed": _check_trimmed, "f_recreated": _check_recreated}
