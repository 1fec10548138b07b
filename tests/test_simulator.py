"""The Hub-history simulator: determinism, archive <-> ground truth agreement, quirks and realism."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from huggingface_hub.hf_api import ModelInfo

from orchestration.hub import archive
from orchestration.localhub import simulator
from orchestration.localhub.simulator import (
    PLACEHOLDER_CREATED_AT,
    R1_RELEASE,
    TRIMMED_KEYS,
    SimulationConfig,
    add_arguments,
    config_from_args,
    simulate,
)

TINY = {"start": dt.date(2025, 1, 10), "end": dt.date(2025, 2, 8), "catalogue_fraction": 0.1, "community_authors": 20}
# Spans R1 and the rename; small enough to write and read back in a few seconds.
MEDIUM = SimulationConfig(
    start=dt.date(2024, 12, 1), end=dt.date(2025, 3, 31), seed=7, catalogue_fraction=0.3, community_authors=60
)


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("sim") / "archive"
    summary = simulate(MEDIUM, out, log=lambda _msg: None)
    gt = out / "ground_truth"
    snapshots = archive.list_snapshots(out)
    items = {day: archive.read_snapshot(path) for day, path in snapshots.items()}
    return {
        "out": out,
        "summary": summary,
        "snapshots": snapshots,
        "items": items,
        "models": pd.read_csv(gt / "models.csv", keep_default_na=False),
        "daily": pd.read_csv(gt / "daily_downloads.csv.gz"),
        "releases": pd.read_csv(gt / "releases.csv", keep_default_na=False),
        "edges": pd.read_csv(gt / "derivative_edges.csv", keep_default_na=False),
        "events": pd.read_csv(gt / "events.csv", keep_default_na=False),
        "evals": pd.read_csv(gt / "eval_results.csv", keep_default_na=False),
        "manifest": json.loads((gt / "manifest.json").read_text()),
    }


def _true(col: pd.Series) -> pd.Series:
    """A `true`/`false` CSV column as booleans, however pandas typed it."""
    return col.astype(str).str.lower() == "true"


def _item_frame(items: dict[dt.date, list[dict]]) -> pd.DataFrame:
    rows = []
    for day, day_items in items.items():
        for it in day_items:
            rows.append((day.isoformat(), it["_id"], it["id"], it["downloads"], it.get("downloadsAllTime"),
                         it["likes"], it["trendingScore"]))
    return pd.DataFrame(rows, columns=["snapshot_date", "object_id", "model_id", "downloads", "dat", "likes",
                                       "trending"])


# ------------------------------------------------------------------------------------ determinism


def test_same_arguments_give_byte_identical_files(tmp_path):
    a = simulate(SimulationConfig(**TINY, seed=3), tmp_path / "a", log=lambda _m: None)
    b = simulate(SimulationConfig(**TINY, seed=3), tmp_path / "b", log=lambda _m: None)
    ha, hb = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert ha == hb
    assert any(name.endswith(".jsonl.gz") for name in ha)
    assert "ground_truth/daily_downloads.csv.gz" in ha
    assert a["items_written"] == b["items_written"] > 0


def test_the_simulator_starts_no_process_and_no_thread(tmp_path, monkeypatch):
    """The snapshot files are written in the calling process: a pool of writer processes hung suite runs for good
    (a forked child on a lock inherited from another thread; a pool worker gone with its task)."""
    import multiprocessing
    import subprocess

    def refuse(*_a, **_k):
        raise AssertionError("the simulator started a process")

    monkeypatch.setattr(multiprocessing.Process, "start", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    before = threading.active_count()
    simulate(SimulationConfig(**TINY, seed=3), tmp_path / "a", log=lambda _m: None)
    assert threading.active_count() == before


def test_different_seed_gives_different_history(tmp_path):
    simulate(SimulationConfig(**TINY, seed=3), tmp_path / "a", log=lambda _m: None)
    simulate(SimulationConfig(**TINY, seed=4), tmp_path / "b", log=lambda _m: None)
    ha, hb = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    snaps = [k for k in ha if k.endswith(".jsonl.gz") and k in hb]
    assert snaps and all(ha[k] != hb[k] for k in snaps)


def test_manifest_records_every_snapshot_hash(medium):
    manifest = medium["manifest"]
    assert set(manifest["snapshots"]) == {d.isoformat() for d in medium["snapshots"]}
    for day, path in medium["snapshots"].items():
        assert manifest["snapshots"][day.isoformat()] == hashlib.sha256(path.read_bytes()).hexdigest()
    gt = medium["out"] / "ground_truth"
    for name, sha in manifest["ground_truth"].items():
        assert hashlib.sha256((gt / name).read_bytes()).hexdigest() == sha
    assert manifest["config"]["start"] == "2024-12-01"
    assert manifest["counts"]["items"] == medium["summary"]["items_written"]


def test_cli_options_round_trip(tmp_path):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--start", "2025-01-01", "--end", "2025-02-01", "--seed", "5", "--out",
                              str(tmp_path), "--community-authors", "12", "--catalogue-fraction", "0.2",
                              "--missing-dates", "1", "--rename-at", "-1"])
    cfg = config_from_args(args)
    assert cfg == SimulationConfig(dt.date(2025, 1, 1), dt.date(2025, 2, 1), seed=5, community_authors=12,
                                   catalogue_fraction=0.2, missing_dates=1, rename_at=None)
    with pytest.raises(ValueError):
        SimulationConfig(dt.date(2025, 2, 1), dt.date(2025, 1, 1))


# ---------------------------------------------------------------------------- archive shape


def test_items_have_the_hub_shape_and_parse_with_huggingface_hub(medium):
    last_day = max(medium["items"])
    items = medium["items"][last_day]
    assert len(items) > 500
    assert [it["id"] for it in items] == sorted(it["id"] for it in items)
    licences = dict(zip(medium["models"]["object_id"], medium["models"]["license"], strict=True))
    for it in items:
        assert len(it["_id"]) == 24 and int(it["_id"], 16) >= 0
        # One `license:` tag, the card's licence; none where the ground truth says none was declared.
        declared = [t.split(":", 1)[1] for t in it["tags"] if t.startswith("license:")]
        assert declared == ([licences[it["_id"]]] if licences[it["_id"]] else [])
        assert it["cardData"].get("license") == (licences[it["_id"]] or None)
        assert it["id"] == it["modelId"] and it["author"] == it["id"].split("/")[0]
        assert it["private"] is False and it["disabled"] is False and it["gated"] in (False, "auto", "manual")
        assert it["createdAt"].endswith(".000Z") and it["createdAt"] <= f"{last_day.isoformat()}T23:59:59.999Z"
        assert "region:us" in it["tags"]
        assert it["downloads"] >= 0 and it["likes"] >= 0 and it["trendingScore"] >= 0
        if "safetensors" in it:
            assert it["safetensors"]["total"] == sum(it["safetensors"]["parameters"].values())
        info = ModelInfo(**it)  # the real client accepts every item (evalResults included)
        assert info.id == it["id"]
    assert any(it.get("library_name") == "gguf" for it in items)
    assert any("evalResults" in it for it in items) and any("model-index" in it for it in items)
    r1 = next(it for it in items if it["id"] == "deepseek-ai/DeepSeek-R1")
    assert r1["createdAt"].startswith(R1_RELEASE.isoformat())


def test_leaderboard_models_carry_the_real_scores(medium):
    lb = pd.read_csv(Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
                     / "open_llm_leaderboard_v2_2025-03-21.csv")
    evals = medium["evals"]
    catalogue_ids = set(medium["models"][_true(medium["models"].is_catalogue)].model_id)
    cat_evals = evals[evals.model_id.isin(catalogue_ids)]
    assert len(cat_evals) > 0
    ifeval = cat_evals[cat_evals.benchmark == "IFEval"]
    for _, row in ifeval.iterrows():
        scores = lb.loc[lb.model_name.isin([row.model_id, row.model_id.replace("zai-org/", "THUDM/")]),
                        "evaluations_ifeval_normalized_score"]
        assert np.isclose(scores.round(4), float(row.value)).any()


# ------------------------------------------------------------------- archive <-> ground truth


def test_archive_numbers_equal_the_ground_truth(medium):
    daily = medium["daily"]
    items = _item_frame(medium["items"])
    in_files = daily[daily.in_snapshot]
    merged = in_files.merge(items, on=["snapshot_date", "object_id"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), "every ground-truth row of a file date is an item and back"
    assert (merged.model_id_x == merged.model_id_y).all()
    assert (merged.downloads == merged.downloads_30d).all()
    assert (merged.likes_x == merged.likes_y).all() and (merged.trending == merged.trending_score).all()
    reported = merged.reported_downloads_all_time
    assert (reported.isna() == merged.dat.isna()).all()
    assert (reported.dropna() == merged.dat.dropna()).all()
    assert not daily[~daily.in_snapshot].reported_downloads_all_time.notna().any()


def test_all_time_deltas_are_the_true_daily_downloads_except_recounts(medium):
    daily = medium["daily"].sort_values(["object_id", "snapshot_date"])
    # The true cumulative is the running sum of the truth.
    diff = daily.groupby("object_id").true_downloads_all_time.diff()
    prev_exists = diff.notna()
    assert (diff[prev_exists] == daily.true_daily_downloads[prev_exists]).all()

    # Between two consecutive reported values (skipping omitted fields and missing dates), the reported
    # delta is the sum of the true daily downloads in between, unless a recount happened in between.
    daily = daily.assign(recounts_so_far=daily.groupby("object_id").is_recount_day.cumsum())
    seen = daily[daily.reported_downloads_all_time.notna()]
    by_model = seen.groupby("object_id")
    reported_delta = by_model.reported_downloads_all_time.diff()
    true_delta = by_model.true_downloads_all_time.diff()
    recounted = by_model.recounts_so_far.diff() > 0
    pairs = reported_delta.notna()
    plain, rc = pairs & ~recounted, pairs & recounted
    assert plain.sum() > 10_000 and rc.sum() >= 1
    assert (reported_delta[plain] == true_delta[plain]).all()
    assert (reported_delta[rc] < true_delta[rc]).all()


def test_downloads_field_is_the_rolling_30_day_truth(medium):
    daily = medium["daily"]
    days = pd.date_range(MEDIUM.start, MEDIUM.end).strftime("%Y-%m-%d")
    wide = daily.pivot(index="object_id", columns="snapshot_date", values="true_daily_downloads")
    wide = wide.reindex(columns=days).fillna(0).to_numpy()
    rolled = np.cumsum(wide, axis=1)
    rolled[:, 30:] -= rolled[:, :-30].copy()
    d30 = daily.pivot(index="object_id", columns="snapshot_date", values="downloads_30d").reindex(columns=days)
    # From day 30 on the window holds the whole 30 days (earlier days also count burn-in downloads).
    got, want = d30.to_numpy()[:, 29:], rolled[:, 29:]
    mask = ~np.isnan(got)
    assert mask.sum() > 10_000
    assert (got[mask] == want[mask]).all()


def test_every_derivative_edge_is_tagged(medium):
    edges, models = medium["edges"], medium["models"].set_index("model_id")
    items = {it["_id"]: it for day in sorted(medium["items"]) for it in medium["items"][day]}
    assert len(edges) > 100
    assert set(edges.relation) >= {"finetune", "quantized", "adapter", "merge"}
    for _, e in edges.iterrows():
        it = items.get(e.child_object_id)
        if it is None:
            continue  # created and deleted between files, or only on a missing date
        rel, parent = e.relation, e.parent_id_as_tagged
        assert f"base_model:{parent}" in it["tags"] and f"base_model:{rel}:{parent}" in it["tags"]
        assert it["baseModels"]["relation"] == rel
        assert {"id": parent} in it["baseModels"]["models"]
        assert it["cardData"]["base_model_relation"] == rel
        if rel == "quantized" and it.get("library_name") == "gguf":
            assert "gguf" in it["tags"]
        assert models.loc[e.child_id, "relation"] == rel
    same_org = edges[edges.origin == "same_org"]
    assert len(same_org) > 0 and (same_org.child_author == same_org.parent_author).all()


# ------------------------------------------------------------------------------------- quirks


def test_quirks_all_occur(medium):
    models, events, items = medium["models"], medium["events"], medium["items"]
    days = sorted(items)
    kinds = set(events.kind)
    assert {"rename", "delete", "gate", "recount", "missing_field", "missing_date"} <= kinds

    # Placeholder createdAt, on repos truly older than 2022-03-02.
    ph = models[_true(models.is_placeholder_created_at)]
    assert len(ph) > 0 and (ph.created_at < "2022-03-02T23:29:04").all()
    assert any(it["createdAt"] == PLACEHOLDER_CREATED_AT for it in items[days[-1]])

    # Missing snapshot dates: no file, and the events say so.
    missing = set(medium["manifest"]["missing_dates"])
    assert len(missing) == 2
    assert missing == set(events[events.kind == "missing_date"].date)
    assert not missing & {d.isoformat() for d in days}

    # Rename: same _id, THUDM/NAME before, zai-org/NAME from the rename date on.
    rename = events[events.kind == "rename"].iloc[0]
    oid, rename_day = rename.object_id, dt.date.fromisoformat(rename.date)
    shown = {d: next((it for it in items[d] if it["_id"] == oid), None) for d in days}
    before = [it["id"] for d, it in shown.items() if it and d < rename_day]
    after = [it["id"] for d, it in shown.items() if it and d >= rename_day]
    assert before and after and set(before) == {rename.detail.split(" -> ")[0]}
    assert set(after) == {rename.model_id} and rename.model_id.startswith("zai-org/")
    assert all(it["author"] == "zai-org" for d, it in shown.items() if it and d >= rename_day)
    assert not any(it["id"].startswith("THUDM/") for it in items[days[-1]])

    # Deletion: present before, absent from the deletion date on.
    deleted = models[models.deleted_on != ""]
    assert len(deleted) > 0
    for _, row in deleted.iterrows():
        gone = dt.date.fromisoformat(row.deleted_on)
        ids_after = {it["_id"] for d in days if d >= gone for it in items[d]}
        assert row.object_id not in ids_after

    # Gating: false before gated_on, "manual"/"auto" after.
    gated = models[models.gated_on != ""].iloc[0]
    on = dt.date.fromisoformat(gated.gated_on)
    values = {d: it["gated"] for d in days for it in items[d] if it["_id"] == gated.object_id}
    assert {v for d, v in values.items() if d >= on} == {gated.gated_final}
    assert {v for d, v in values.items() if d < on} <= {False}

    # Recount: the reported cumulative goes down on that day, by the event's detail, in the items themselves.
    recounts = events[events.kind == "recount"]
    dropped = 0
    for rc in recounts.itertuples():
        day = dt.date.fromisoformat(rc.date)
        today = next(it for it in items[day] if it["_id"] == rc.object_id)
        before = next((it for it in items.get(day - dt.timedelta(days=1), []) if it["_id"] == rc.object_id), None)
        assert int(rc.detail) < 0 and "downloadsAllTime" in today, rc
        if before is not None and "downloadsAllTime" in before:
            assert today["downloadsAllTime"] - before["downloadsAllTime"] == int(rc.detail), rc
            dropped += 1
    assert dropped > 0

    # Missing fields: an item without downloadsAllTime, and a model that never shows library_name.
    omitted = events[(events.kind == "missing_field") & (events.detail == "downloadsAllTime")].iloc[0]
    day = dt.date.fromisoformat(omitted.date)
    it = next(it for it in items[day] if it["_id"] == omitted.object_id)
    assert "downloadsAllTime" not in it
    nolib = events[(events.kind == "missing_field") & (events.detail.str.startswith("library_name"))]
    assert len(nolib) > 0
    oid = nolib.iloc[0].object_id
    assert all("library_name" not in it for d in days for it in items[d] if it["_id"] == oid)


# ------------------------------------------------------------------------------------ realism


def test_chinese_release_rate_accelerates_after_r1(medium):
    rel = medium["releases"]
    rel = rel[_true(rel.in_window) & _true(rel.is_catalogue) & (rel.region == "china")]
    created = pd.to_datetime(rel.created_date)
    r1 = pd.Timestamp(R1_RELEASE)
    pre_weeks = (r1 - pd.Timestamp(MEDIUM.start)).days / 7
    post_weeks = (pd.Timestamp(MEDIUM.end) - r1).days / 7 + 1 / 7
    pre_rate = (created < r1).sum() / pre_weeks
    post_rate = (created >= r1).sum() / post_weeks
    assert post_rate > 1.5 * pre_rate
    baidu = rel[rel.author == "baidu"]
    assert (pd.to_datetime(baidu.created_date) >= r1).all()


def test_downloads_are_heavy_tailed(medium):
    daily = medium["daily"]
    totals = daily.groupby("object_id").true_daily_downloads.sum().sort_values(ascending=False)
    top = totals.head(max(1, len(totals) // 20)).sum()
    assert top / totals.sum() > 0.4
    end = medium["models"].downloads_all_time_end.astype(int)
    assert (end < 1_000).mean() > 0.3  # a long tail of repos nobody downloads


def test_china_velocity_overtakes_the_us_in_mid_2025(tmp_path):
    cfg = SimulationConfig(dt.date(2025, 3, 1), dt.date(2025, 10, 31), catalogue_fraction=0.5,
                           community_authors=0, missing_dates=0)
    simulate(cfg, tmp_path, log=lambda _m: None)
    daily = pd.read_csv(tmp_path / "ground_truth" / "daily_downloads.csv.gz")
    models = pd.read_csv(tmp_path / "ground_truth" / "models.csv", keep_default_na=False)
    daily = daily.merge(models[["object_id", "region"]], on="object_id")
    by_region = daily.pivot_table(index="snapshot_date", columns="region", values="true_daily_downloads",
                                  aggfunc="sum").fillna(0)
    v28 = by_region.rolling(28).sum().dropna()
    ahead = v28.china > v28.us
    assert not ahead.loc[:"2025-04-15"].any()
    first = ahead[ahead].index.min()
    assert "2025-05-01" <= first <= "2025-08-31"  # around mid-2025 (launch spikes can flip it back briefly)
    assert ahead.loc["2025-09-01":].all()


# ------------------------------------------------------------------------------------ scenario options

SCENARIO_WINDOW = {"start": dt.date(2025, 1, 13), "end": dt.date(2025, 1, 26), "seed": 3, "community_authors": 8,
                   "catalogue_fraction": 0.04, "missing_dates": 0}


def _scenario(tmp_path: Path, name: str, **options) -> dict:
    out = tmp_path / name
    simulate(SimulationConfig(**SCENARIO_WINDOW, **options), out, log=lambda _msg: None)
    gt = out / "ground_truth"
    return {"out": out, "manifest": json.loads((gt / "manifest.json").read_text()),
            "items": {day: archive.read_snapshot(path) for day, path in archive.list_snapshots(out).items()},
            "events": pd.read_csv(gt / "events.csv", keep_default_na=False),
            "daily": pd.read_csv(gt / "daily_downloads.csv.gz")}


def test_scenario_options_are_off_by_default_and_absent_from_the_manifest(medium):
    for name in ("rename_also", "recreated", "gate_org", "trimmed"):
        assert name not in medium["manifest"] and name not in medium["manifest"]["config"]


def test_rename_also_moves_a_second_namespace_on_the_rename_day(tmp_path):
    s = _scenario(tmp_path, "rename", rename_at=0.5, rename_also=("Qwen", "QwenLM"))
    info = s["manifest"]["rename_also"]
    assert info["renamed_models"] > 0 and info["alias_in_seed"] is False
    day = dt.date.fromisoformat(info["date"])
    before = {i["_id"] for d, items in s["items"].items() if d < day for i in items if i["author"] == "Qwen"}
    after = {i["_id"] for d, items in s["items"].items() if d >= day for i in items if i["author"] == "QwenLM"}
    assert before and before <= after
    assert not any(i["author"] == "Qwen" for d, items in s["items"].items() if d >= day for i in items)
    renames = s["events"][(s["events"]["kind"] == "rename") & s["events"]["detail"].str.startswith("Qwen/")]
    assert len(renames) == info["renamed_models"]


def test_recreated_models_come_back_as_new_objects_under_the_same_id(tmp_path):
    s = _scenario(tmp_path, "recreate", recreated=2)
    for r in s["manifest"]["recreated"]:
        gone, back = dt.date.fromisoformat(r["deleted_on"]), dt.date.fromisoformat(r["recreated_on"])
        shown = {d: [i for i in items if i["id"] == r["model_id"]] for d, items in s["items"].items()}
        assert all(len(v) <= 1 for v in shown.values())
        assert all(v[0]["_id"] == r["old_object_id"] for d, v in shown.items() if d < gone)
        assert all(not v for d, v in shown.items() if gone <= d < back)
        assert all(v[0]["_id"] == r["new_object_id"] for d, v in shown.items() if d >= back)
        assert shown[back][0]["downloadsAllTime"] <= shown[back][0]["downloads"] + 1  # counted from zero
    assert (s["events"]["kind"] == "recreate").sum() == 2


@pytest.mark.parametrize("hidden", [False, True])
def test_gate_org_gates_every_model_of_the_organisation_for_a_week(tmp_path, hidden):
    s = _scenario(tmp_path, f"gate-{hidden}", gate_org="deepseek-ai", gate_org_on=dt.date(2025, 1, 16),
                  gate_org_hidden=hidden)
    info = s["manifest"]["gate_org"]
    assert (info["first_date"], info["last_date"]) == ("2025-01-16", "2025-01-22") and info["models"]
    week = {dt.date(2025, 1, 16) + dt.timedelta(days=i) for i in range(7)}
    for day, items in s["items"].items():
        org = [i for i in items if i["author"] == "deepseek-ai"]
        if day in week:
            assert (not org) if hidden else (org and all(i["gated"] == "manual" for i in org))
        else:
            assert org and all(i["gated"] is False for i in org)
    events = s["events"]
    org_gates = events[(events["kind"] == "gate") & events["detail"].str.contains("organisation deepseek-ai")]
    assert len(org_gates) == len(info["models"]) and (events["kind"] == "ungate").sum() > 0
    in_week = s["daily"][s["daily"]["snapshot_date"].isin([d.isoformat() for d in week])
                         & s["daily"]["model_id"].str.startswith("deepseek-ai/")]
    assert len(in_week) and (in_week["in_snapshot"] != hidden).all()


def test_trimmed_items_carry_only_the_trimmed_keys(tmp_path):
    s = _scenario(tmp_path, "trimmed", trimmed=True)
    assert all(list(i) == [k for k in TRIMMED_KEYS if k in i] and {"id", "downloads", "likes", "createdAt"} <= set(i)
               for items in s["items"].values() for i in items)
    assert s["daily"]["reported_downloads_all_time"].isna().all()
    assert s["manifest"]["trimmed"]["keys"] == list(TRIMMED_KEYS)


def test_licences_and_languages_shift_after_r1_as_the_ground_truth_records(medium):
    """Claims 7 and 8: the ground truth records each model's licence, custom licence name and languages, and the
    shift after R1 the manifest states (Chinese releases: custom licences become MIT, more languages declared)."""
    manifest = json.loads((medium["out"] / "ground_truth" / "manifest.json").read_text())
    assert manifest["licence_language_shift"] == json.loads(json.dumps(simulator.LICENCE_LANGUAGE_SHIFT))
    models = medium["models"]
    originals = models[(models["is_catalogue"].astype(str).str.lower() == "true") & (models["region"] == "china")]
    since = originals["created_at"] >= R1_RELEASE.isoformat()
    many = originals["languages"].str.count(";") >= 2  # three or more languages
    assert many[since].mean() > many[~since].mean() + 0.15
    custom = originals["license"] == "other"
    assert custom[since].mean() < custom[~since].mean()
    # A custom licence is named on the card where the organisation has one; none without `other`.
    assert (models.loc[models["license"] != "other", "license_name"] == "").all()
    assert set(models.loc[models["license"] == "other", "license_name"]) - {""} <= set(
        simulator._OTHER_LICENSE_NAME.values())
    # Community originals may declare no licence (the unknown family) or no language.
    community = models[(models["is_catalogue"].astype(str).str.lower() == "false") & (models["relation"] == "original")]
    assert (community["license"] == "").any() and (community["languages"] == "").any()
