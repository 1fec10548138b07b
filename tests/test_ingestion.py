"""Ingestion end to end: the real huggingface_hub HTTP layer against the local Hub, into raw partitions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from orchestration.hub.archive import ArchiveError, read_snapshot, write_snapshot
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient, HubFetchError, LiveHistoryError, MissingSnapshotError
from orchestration.hub.scope import Scope
from orchestration.hub.snapshots import (
    EXPAND_FIELDS,
    PARTITION_FILE,
    build_snapshot_rows,
    partition_dir,
    write_snapshot_partition,
)
from orchestration.hub.transfer import export_archive, import_archive
from orchestration.localhub.server import FaultConfig, LocalHub
from orchestration.resources import HubpulsePaths
from tests.conftest import DAY1, DAY2, tiny_hub_items

ALL_ORGS = ("Qwen", "deepseek-ai", "meta-llama", "mistralai")


def _expected_projection(item: dict) -> dict:
    """What `/api/models?expand=EXPAND_FIELDS` returns for an item: the expanded fields plus the ids."""
    keep = set(EXPAND_FIELDS) | {"_id", "id", "modelId"}
    return {k: v for k, v in item.items() if k in keep}


def _fetch(hub: LocalHub, day: dt.date, scope: Scope, **client_kwargs):
    client = HubClient(source="local", endpoint=hub.url, backoff_base_seconds=0.01, **client_kwargs)
    with client.serving() as endpoint_for:
        return client.fetch_snapshot(day, scope, endpoint_for(day))


def _partition_items(home: Path, day: dt.date) -> list[dict]:
    table = pq.read_table(partition_dir(home / "raw" / "hub_models", day) / PARTITION_FILE)
    return [json.loads(text) for text in table.column("item_json").to_pylist()]


def test_full_scope_ingests_exactly_the_archive_over_many_pages(tiny_archive: Path):
    with LocalHub(tiny_archive, page_size=7) as hub:
        items, stats = _fetch(hub, DAY2, Scope(organisations=(), full=True))
    expected = {item["id"]: _expected_projection(item) for item in read_snapshot(tiny_archive / "2025-03-02.jsonl.gz")}
    assert {item["id"]: item for item in items} == expected
    assert len(items) == len(expected) == 40
    assert stats.pages == 6  # ceil(40 / 7): the Link header was followed to the end
    assert stats.retries == 0


def test_tracked_scope_is_authors_plus_top_n(tiny_archive: Path):
    archive_items = read_snapshot(tiny_archive / "2025-03-01.jsonl.gz")
    # Children listings off: this is the first phase alone (tests/test_scope.py covers the second).
    scope = Scope(organisations=("Qwen", "meta-llama"), top_n_downloads=5, top_n_likes=3, top_n_trending=2,
                  derivatives=False)
    with LocalHub(tiny_archive, page_size=4) as hub:
        items, stats = _fetch(hub, DAY1, scope)
    rows = build_snapshot_rows(items, DAY1)

    def top(key, n):
        ranked = sorted(archive_items, key=lambda i: (-i[key], i["id"]))
        return {i["id"] for i in ranked[:n]}

    expected = {i["id"] for i in archive_items if i["author"] in ("Qwen", "meta-llama")}
    expected |= top("downloads", 5) | top("likes", 3) | top("trendingScore", 2)
    assert set(rows.table.column("id").to_pylist()) == expected
    assert stats.per_query["author:Qwen"] == 4
    assert stats.per_query["top:downloads:5"] == 5
    assert rows.duplicates == len(items) - len(expected)  # the same model found twice is kept once
    assert rows.conflicting_duplicates == 0


def test_rate_limit_storm_waits_as_told_and_succeeds(tiny_archive: Path):
    faults = FaultConfig(rate_limit=2, rate_window_seconds=1.0)
    with LocalHub(tiny_archive, page_size=5, faults=faults) as hub:
        items, stats = _fetch(hub, DAY1, Scope(organisations=(), full=True))
        served_429 = hub.stats["rate_limited"]
    assert len({i["id"] for i in items}) == 40
    assert stats.pages == 8
    # Paced by the RateLimit headers: it waits for the window instead of hammering into 429s.
    assert stats.seconds_waited >= 2.0
    assert stats.rate_limited <= 1
    assert served_429 == stats.rate_limited


def test_persistent_5xx_fails_the_partition_and_keeps_the_previous_one(tiny_archive: Path, tmp_path: Path):
    home = tmp_path / "home"
    resources = _resources(home, None)
    with LocalHub(tiny_archive, page_size=10) as hub:
        resources["hub"] = HubClient(source="local", endpoint=hub.url, backoff_base_seconds=0.01)
        assert dg.materialize([hub_model_snapshots], resources=resources, partition_key=DAY1.isoformat()).success
        target = partition_dir(home / "raw" / "hub_models", DAY1) / PARTITION_FILE
        before = target.read_bytes()
        # The Hub goes down after the first two pages: the crawl must fail, not write a partial partition.
        hub.set_faults(FaultConfig(fail_after=2))
        result = dg.materialize(
            [hub_model_snapshots], resources=resources, partition_key=DAY1.isoformat(), raise_on_error=False
        )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error.cause
    assert "HubFetchError" in failure.cls_name
    assert "failed after 6 attempts" in failure.message and "HTTP 503" in failure.message
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == [PARTITION_FILE]  # no temporary file left behind


def test_truncated_page_fails_clearly(tiny_archive: Path):
    with (
        LocalHub(tiny_archive, page_size=10, faults=FaultConfig(truncate_rate=1.0)) as hub,
        pytest.raises(HubFetchError, match="invalid or truncated JSON"),
    ):
        _fetch(hub, DAY1, Scope(organisations=(), full=True), max_attempts=3)


def test_transient_faults_are_retried_to_exactly_the_right_rows(tiny_archive: Path):
    faults = FaultConfig(fail_pages={1, 3}, truncate_pages={4}, reset_pages={6})
    with LocalHub(tiny_archive, page_size=10, faults=faults) as hub:
        items, stats = _fetch(hub, DAY2, Scope(organisations=(), full=True))
    expected = [_expected_projection(i) for i in read_snapshot(tiny_archive / "2025-03-02.jsonl.gz")]
    assert sorted(items, key=lambda i: i["id"]) == sorted(expected, key=lambda i: i["id"])
    # Requests 1 and 3 (5xx), 4 (truncated) and 6 (reset) failed: four retries, four good pages.
    assert (stats.retries, stats.pages, stats.requests) == (4, 4, 8)


def test_reruns_of_a_date_give_identical_partitions(tiny_archive: Path, tmp_path: Path):
    home = tmp_path / "home"
    with LocalHub(tiny_archive, page_size=9) as hub:
        resources = _resources(home, HubClient(source="local", endpoint=hub.url))
        digests = []
        for _ in range(3):
            assert dg.materialize([hub_model_snapshots], resources=resources, partition_key="2025-03-02").success
            digests.append((partition_dir(home / "raw" / "hub_models", DAY2) / PARTITION_FILE).read_bytes())
    assert digests[0] == digests[1] == digests[2]


def test_backfill_range_is_one_run_with_per_partition_metadata(tiny_archive: Path, tmp_path: Path):
    home = tmp_path / "home"
    instance = dg.DagsterInstance.ephemeral()
    resources = _resources(home, HubClient(source="local", archive_dir=str(tiny_archive), local_page_size=16))
    result = dg.materialize(
        [hub_model_snapshots],
        resources=resources,
        instance=instance,
        tags={"dagster/asset_partition_range_start": "2025-03-01", "dagster/asset_partition_range_end": "2025-03-02"},
    )
    assert result.success
    materializations = result.asset_materializations_for_node("hub_model_snapshots")
    by_partition = {m.partition: m.metadata for m in materializations}
    assert set(by_partition) == {"2025-03-01", "2025-03-02"}
    assert by_partition["2025-03-02"]["rows"].value == 40
    assert by_partition["2025-03-02"]["pages_fetched"].value == 3
    assert "fields_missing" in by_partition["2025-03-01"]
    for day in (DAY1, DAY2):
        ids = [i["id"] for i in _partition_items(home, day)]
        assert ids == sorted(ids) and len(ids) == 40


def test_live_source_refuses_a_past_date_with_a_way_forward():
    client = HubClient(source="live", endpoint="http://127.0.0.1:9")
    with pytest.raises(LiveHistoryError, match="import-archive"):
        client.check_date(dt.date(2025, 1, 1), today=dt.date(2026, 11, 28))
    client.check_date(dt.date(2026, 11, 28), today=dt.date(2026, 11, 28))
    client.check_date(dt.date(2026, 11, 27), today=dt.date(2026, 11, 28))
    with pytest.raises(LiveHistoryError, match="in the future"):
        client.check_date(dt.date(2026, 11, 30), today=dt.date(2026, 11, 28))


def test_local_source_names_a_date_the_archive_lacks(tiny_archive: Path):
    client = HubClient(source="local", archive_dir=str(tiny_archive))
    client.check_dates([DAY1, DAY2])
    with pytest.raises(MissingSnapshotError, match=r"no snapshot for 2025-03-05 and 1 more date\(s\)"):
        client.check_dates([DAY1, dt.date(2025, 3, 5), dt.date(2025, 3, 6)])


def test_import_archive_round_trips_and_rejects_unusable_items(tiny_archive: Path, tmp_path: Path):
    bad_day = dt.date(2025, 3, 3)
    write_snapshot(tiny_archive, bad_day, [*tiny_hub_items(2)[:5], {"id": "no-namespace"}, {"author": "x"}])
    raw, rejects = tmp_path / "raw", tmp_path / "rejects"
    summaries = import_archive(tiny_archive, raw, rejects, log=lambda _m: None)
    assert [s["rows"] for s in summaries] == [40, 40, 5]
    assert summaries[2]["rejected"] == 2
    reasons = pq.read_table(partition_dir(rejects, bad_day) / PARTITION_FILE).column("reason").to_pylist()
    assert reasons == ["id 'no-namespace' is not of the form org/name", "no id"]
    out = tmp_path / "exported"
    export_archive(raw, out)
    assert read_snapshot(out / "2025-03-01.jsonl.gz") == sorted(
        read_snapshot(tiny_archive / "2025-03-01.jsonl.gz"), key=lambda i: i["id"]
    )


def test_import_archive_names_the_bad_file_and_line_and_keeps_previous_data(tiny_archive: Path, tmp_path: Path):
    raw, rejects = tmp_path / "raw", tmp_path / "rejects"
    import_archive(tiny_archive, raw, rejects, log=lambda _m: None)
    before = (partition_dir(raw, DAY2) / PARTITION_FILE).read_bytes()
    broken = tiny_archive / "2025-03-02.jsonl.gz"
    broken.unlink()
    lines = [json.dumps(i) for i in tiny_hub_items(5)]
    lines[6] = lines[6][:40]
    (tiny_archive / "2025-03-02.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(ArchiveError, match=r"2025-03-02\.jsonl:7: malformed JSON"):
        import_archive(tiny_archive, raw, rejects, log=lambda _m: None)
    assert (partition_dir(raw, DAY2) / PARTITION_FILE).read_bytes() == before


@pytest.mark.parametrize("name", ["2025-13-01.jsonl", "2025-3-1.jsonl.gz", "latest.jsonl"])
def test_archive_file_names_must_be_dates(tmp_path: Path, name: str):
    (tmp_path / name).write_text("{}\n")
    with pytest.raises(ArchiveError, match=name.replace(".", r"\.")):
        import_archive(tmp_path, tmp_path / "raw", tmp_path / "rejects", log=lambda _m: None)


def test_wrongly_typed_fields_keep_the_raw_item_and_null_the_typed_column():
    item = {"id": "org/m", "downloads": "12", "downloadsAllTime": True, "likes": 4.0, "gated": "manual",
            "tags": ["a", 3], "createdAt": "not a date", "safetensors": {"total": 7}}
    rows = build_snapshot_rows([item], DAY1)
    row = rows.table.to_pylist()[0]
    assert (row["downloads"], row["downloads_all_time"], row["likes"], row["created_at"]) == (None, None, 4, None)
    assert row["tags"] == ["a"] and row["gated"] == "manual" and row["safetensors_total"] == 7
    assert json.loads(row["item_json"]) == item


def test_write_partition_replaces_whole(tmp_path: Path):
    raw, rejects = tmp_path / "raw", tmp_path / "rejects"
    write_snapshot_partition(raw, rejects, build_snapshot_rows(tiny_hub_items(0), DAY1))
    write_snapshot_partition(raw, rejects, build_snapshot_rows(tiny_hub_items(0)[:3], DAY1))
    assert pq.read_table(partition_dir(raw, DAY1) / PARTITION_FILE).num_rows == 3


def _resources(home: Path, hub: HubClient | None) -> dict:
    return {
        "hub": hub,
        "scope": Scope(organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True),
        "paths": HubpulsePaths(home=str(home)),
    }


def test_a_simulated_day_ingests_to_exactly_the_archive_items(tmp_path: Path):
    from orchestration.localhub.simulator import SimulationConfig, simulate

    day = dt.date(2025, 2, 3)
    archive = tmp_path / "archive"
    simulate(SimulationConfig(start=day - dt.timedelta(days=2), end=day, seed=9, community_authors=20,
                              catalogue_fraction=0.1, missing_dates=0, rename_at=None), archive, log=lambda _m: None)
    home = tmp_path / "home"
    resources = _resources(home, HubClient(source="local", archive_dir=str(archive), local_page_size=100))
    assert dg.materialize([hub_model_snapshots], resources=resources, partition_key=day.isoformat()).success
    expected = {item["id"]: _expected_projection(item) for item in read_snapshot(archive / f"{day}.jsonl.gz")}
    ingested = {item["id"]: item for item in _partition_items(home, day)}
    assert len(expected) > 200
    assert ingested == expected  # every id, every count, every field, value for value
    table = pq.read_table(partition_dir(home / "raw" / "hub_models", day) / PARTITION_FILE)
    by_id = dict(zip(table.column("id").to_pylist(), table.column("downloads_all_time").to_pylist(), strict=True))
    assert all(by_id[i] == item.get("downloadsAllTime") for i, item in expected.items())
