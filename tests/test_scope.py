"""The default scope's second phase: children listings of the tracked organisations' models, through the local
Hub with the real client; the setting that turns it off; and empty listings that cost no backoff."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from orchestration.hub.archive import read_snapshot
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import FetchStats, HubClient, HubFetchError, _Pacer
from orchestration.hub.scope import ModelQuery, Scope, seed_aliases, seed_organisations
from orchestration.hub.snapshots import PARTITION_FILE, build_snapshot_rows, partition_dir
from orchestration.localhub.server import FaultConfig, LocalHub
from orchestration.resources import HubpulsePaths, scope_from_env
from tests.conftest import DAY1, tiny_hub_items

SIM_START, SIM_END = dt.date(2025, 3, 1), dt.date(2025, 3, 3)  # THUDM -> zai-org on 2025-03-02 (rename_at=0.5)


def _client(hub: LocalHub, sleeps: list[float] | None = None, **kwargs) -> HubClient:
    client = HubClient(source="local", endpoint=hub.url, **kwargs)
    if sleeps is not None:
        client._sleep = sleeps.append  # every wait of the client goes through `_sleep`: record instead of sleep
    return client


def _fetch(client: HubClient, day: dt.date, scope: Scope):
    with client.serving() as endpoint_for:
        return client.fetch_snapshot(day, scope, endpoint_for(day))


def _listing(client: HubClient, day: dt.date, query: ModelQuery) -> list[dict]:
    with client.serving() as endpoint_for:
        return list(client.iter_query(endpoint_for(day), query, FetchStats(), _Pacer(client._sleep)))


def _tagged(items: list[dict], tag: str) -> set[str]:
    return {item["id"] for item in items if tag in (item.get("tags") or [])}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    """Three simulated days with the THUDM -> zai-org rename on the second (children keep tagging THUDM/X)."""
    from orchestration.localhub.simulator import SimulationConfig, simulate

    archive = tmp_path_factory.mktemp("scope") / "archive"
    simulate(SimulationConfig(start=SIM_START, end=SIM_END, seed=5, community_authors=40, catalogue_fraction=0.2,
                              missing_dates=0, rename_at=0.5), archive, log=lambda _m: None)
    return archive


def test_the_local_hub_filter_lists_exactly_the_children_of_a_base(tiny_archive: Path, simulated: Path):
    with LocalHub(tiny_archive, page_size=3) as hub:
        client = _client(hub, backoff_base_seconds=0.01)
        archive_items = read_snapshot(tiny_archive / f"{DAY1}.jsonl.gz")
        for base in ("Qwen/model-000", "meta-llama/model-002", "Qwen/model-001"):
            listed = _listing(client, DAY1, ModelQuery(name=f"children:{base}", filter=f"base_model:{base}"))
            assert [i["id"] for i in listed] == sorted(_tagged(archive_items, f"base_model:{base}"))
    day = SIM_END
    archive_items = read_snapshot(simulated / f"{day}.jsonl.gz")
    bases = sorted({t.partition(":")[2] for i in archive_items for t in i.get("tags") or []
                    if t.startswith("base_model:") and t.count(":") == 1})
    with LocalHub(simulated, page_size=5) as hub:
        client = _client(hub, backoff_base_seconds=0.01)
        for base in bases[:: max(1, len(bases) // 25)]:  # every 25th or so: several pages for the big ones
            listed = _listing(client, day, ModelQuery(name=f"children:{base}", filter=f"base_model:{base}"))
            assert len(listed) == len({i["id"] for i in listed})
            assert {i["id"] for i in listed} == _tagged(archive_items, f"base_model:{base}"), base


def test_children_queries_follow_the_tracked_models_and_their_legacy_names():
    scope = Scope(organisations=("Qwen", "zai-org", "THUDM"), aliases=(("THUDM", "zai-org"),))
    listed = [{"id": "zai-org/GLM-4"}, {"id": "Qwen/Qwen3-8B"}, {"id": "someone/Qwen3-8B-GGUF"},
              {"id": "Qwen/Qwen3-8B"}, {"id": "legacy-no-namespace"}, {"no": "id"}, "not an item"]
    assert [(q.name, q.params()) for q in scope.children_queries(listed)] == [
        ("children:Qwen/Qwen3-8B", {"filter": "base_model:Qwen/Qwen3-8B"}),
        ("children:THUDM/GLM-4", {"filter": "base_model:THUDM/GLM-4"}),
        ("children:zai-org/GLM-4", {"filter": "base_model:zai-org/GLM-4"}),
    ]
    assert Scope(organisations=("Qwen",), derivatives=False).children_queries(listed) == []
    assert ("THUDM", "zai-org") in seed_aliases()


def test_the_default_scope_ingests_every_child_of_a_tracked_base(simulated: Path, tmp_path: Path):
    """Through Dagster, the real client and the local Hub: each day's partition holds every item of the archive
    that tags a tracked organisation's model of that day as its base (or that model's pre-rename name)."""
    orgs = seed_organisations()
    legacy = {new: old for old, new in seed_aliases()}
    home = tmp_path / "home"
    resources = {
        "hub": HubClient(source="local", archive_dir=str(simulated), local_page_size=50),
        "scope": Scope(organisations=orgs, top_n_downloads=20, top_n_likes=20, top_n_trending=20),
        "paths": HubpulsePaths(home=str(home)),
    }
    days = [SIM_START + dt.timedelta(days=n) for n in range((SIM_END - SIM_START).days + 1)]
    result = dg.materialize([hub_model_snapshots], resources=resources, instance=dg.DagsterInstance.ephemeral(),
                            tags={"dagster/asset_partition_range_start": str(days[0]),
                                  "dagster/asset_partition_range_end": str(days[-1])})
    assert result.success
    metadata = {m.partition: {k: v.value for k, v in m.metadata.items()}
                for m in result.asset_materializations_for_node("hub_model_snapshots") if m.partition}
    renamed_children = 0
    for day in days:
        archive_items = read_snapshot(simulated / f"{day}.jsonl.gz")
        table = pq.read_table(partition_dir(home / "raw" / "hub_models", day) / PARTITION_FILE)
        ingested = {json.loads(text)["id"] for text in table.column("item_json").to_pylist()}
        tracked = {i["id"] for i in archive_items if i["id"].split("/")[0] in orgs}
        names = tracked | {f"{legacy[m.split('/')[0]]}/{m.split('/')[1]}" for m in tracked if m.split("/")[0] in legacy}
        children = {i["id"] for i in archive_items
                    if any(t.startswith("base_model:") and t.partition(":")[2] in names for t in i.get("tags") or [])}
        community = {c for c in children if c.split("/")[0] not in orgs}
        assert len(community) > 50  # the first phase alone would miss these
        assert children <= ingested, sorted(children - ingested)[:5]
        assert tracked <= ingested
        renamed_children += sum(
            1 for i in archive_items if i["id"] in community
            and any(t.startswith("base_model:THUDM/") for t in i.get("tags") or []) and day > SIM_START
        )
        assert metadata[str(day)]["children_listings"] >= len(tracked)
        assert metadata[str(day)]["children_items"] >= len(community)
    assert renamed_children > 0  # the rename happened, and the legacy-name listings found those children


def test_derivatives_off_and_a_full_crawl_make_no_children_listings(tiny_archive: Path):
    archive_items = read_snapshot(tiny_archive / f"{DAY1}.jsonl.gz")
    with LocalHub(tiny_archive, page_size=7) as hub:
        client = _client(hub, backoff_base_seconds=0.01)
        off = Scope(organisations=("Qwen",), top_n_downloads=0, top_n_likes=0, top_n_trending=0, derivatives=False)
        items, stats = _fetch(client, DAY1, off)
        assert {i["id"] for i in items} == {i["id"] for i in archive_items if i["author"] == "Qwen"}
        assert (stats.listings, stats.children_listings, stats.children_items) == (1, 0, 0)

        on = Scope(organisations=("Qwen",), top_n_downloads=0, top_n_likes=0, top_n_trending=0)
        items, stats = _fetch(client, DAY1, on)
        children = _tagged(archive_items, "base_model:Qwen/model-000")
        assert children and stats.per_query["children:Qwen/model-000"] == len(children)
        assert {i["id"] for i in items} == {i["id"] for i in archive_items if i["author"] == "Qwen"} | children
        assert stats.listings == 1 + stats.children_listings == 1 + 4  # four Qwen models, four listings

        full = Scope(organisations=("Qwen",), full=True)
        assert [q.name for q in full.queries()] == ["full-hub"] and full.children_queries(archive_items) == []
        items, stats = _fetch(client, DAY1, full)
        assert sorted(i["id"] for i in items) == sorted(i["id"] for i in archive_items)  # each once, as before
        assert (stats.listings, stats.children_listings, stats.pages) == (1, 0, 6)
    assert build_snapshot_rows(items, DAY1).rows == 40


@pytest.mark.parametrize(("value", "expected"), [
    (None, True), ("", True), ("1", True), ("yes", True), ("ON", True), ("0", False), ("false", False), ("off", False),
])
def test_the_derivatives_setting_parses(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool):
    monkeypatch.delenv("HUBPULSE_FULL_CRAWL", raising=False)
    monkeypatch.setenv("HUBPULSE_SCOPE_ORGS", "Qwen,zai-org")
    if value is None:
        monkeypatch.delenv("HUBPULSE_SCOPE_DERIVATIVES", raising=False)
    else:
        monkeypatch.setenv("HUBPULSE_SCOPE_DERIVATIVES", value)
    assert Scope.from_env().derivatives is expected
    resource = scope_from_env()
    assert isinstance(resource, Scope) and resource.derivatives is expected


def test_a_wrong_derivatives_setting_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HUBPULSE_SCOPE_DERIVATIVES", "sometimes")
    with pytest.raises(ValueError, match="HUBPULSE_SCOPE_DERIVATIVES must be 1 or 0"):
        Scope.from_env()


def test_an_organisation_without_models_costs_no_sleep(tiny_archive: Path):
    """An empty, complete first page is read twice, back to back: no backoff per empty listing."""
    sleeps: list[float] = []
    scope = Scope(organisations=("nobody-here", "Qwen", "also-nobody"), top_n_downloads=0, top_n_likes=0,
                  top_n_trending=0)
    with LocalHub(tiny_archive, page_size=7) as hub:
        items, stats = _fetch(_client(hub, sleeps), DAY1, scope)
        served = hub.stats["list_requests"]
    assert sleeps == []
    # Two empty authors and the childless Qwen models (model-004, -008, -012): each first page read twice.
    assert stats.per_query["author:nobody-here"] == 0 and stats.empty_pages_reread == 5
    assert served == stats.requests == stats.listings + stats.empty_pages_reread
    assert items


def test_a_first_page_answered_empty_once_is_read_again_at_once(tiny_archive: Path):
    sleeps: list[float] = []
    scope = Scope(organisations=("Qwen",), top_n_downloads=0, top_n_likes=0, top_n_trending=0, derivatives=False)
    with LocalHub(tiny_archive, page_size=3, faults=FaultConfig(empty_pages=frozenset({1}))) as hub:
        items, stats = _fetch(_client(hub, sleeps), DAY1, scope)
    assert sleeps == [] and stats.empty_pages_reread == 1
    assert len(items) == 4  # the transient empty answer did not end the listing


def test_an_empty_page_after_a_link_still_waits_and_fails_when_it_stays_empty(tiny_archive: Path):
    scope = Scope(organisations=(), full=True)
    sleeps: list[float] = []
    with LocalHub(tiny_archive, page_size=7, faults=FaultConfig(empty_pages=frozenset({3}))) as hub:
        items, stats = _fetch(_client(hub, sleeps, backoff_base_seconds=0.01), DAY1, scope)
    assert len(sleeps) == 1 and stats.empty_pages_reread == 1 and len(items) == 40
    with (LocalHub(tiny_archive, page_size=7, faults=FaultConfig(empty_pages=frozenset({3, 4}))) as hub,
          pytest.raises(HubFetchError, match="page 3 is empty twice although page 2 linked to it")):
        _fetch(_client(hub, [], backoff_base_seconds=0.01), DAY1, scope)


def test_tiny_hub_children_are_what_the_fixture_says():
    """The fixture the tests above lean on: Qwen/model-000 has community children, the other Qwen models none."""
    items = tiny_hub_items(0)
    assert _tagged(items, "base_model:Qwen/model-000")
    assert not _tagged(items, "base_model:Qwen/model-004")


def test_a_children_listing_is_named_in_logs_and_errors(tiny_archive: Path):
    scope = Scope(organisations=("Qwen",), top_n_downloads=0, top_n_likes=0, top_n_trending=0)
    lines: list[str] = []
    # List request 2 is the first children listing (request 1 is `author:Qwen`, one page).
    with LocalHub(tiny_archive, page_size=7, faults=FaultConfig(fail_pages=frozenset({2}))) as hub:
        client = _client(hub, [], max_attempts=2)
        with client.serving() as endpoint_for:
            _items, stats = client.fetch_snapshot(DAY1, scope, endpoint_for(DAY1), log=lines.append)
        assert any(line.startswith("children:Qwen/model-000: page 1 attempt 1 failed") for line in lines), lines
        assert any("4 children listings" in line for line in lines), lines
        hub.set_faults(FaultConfig(fail_pages=frozenset({2})))
        with pytest.raises(HubFetchError, match=r"^children:Qwen/model-000: page 1 failed after 1 attempts"):
            _fetch(_client(hub, [], max_attempts=1), DAY1, scope)
    assert stats.retries == 1 and stats.per_query["children:Qwen/model-000"] == 2
