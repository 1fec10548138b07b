"""The fault matrix: the local Hub misbehaves, the real client and the `hub_model_snapshots` asset face it.

Every case starts from a good partition of the date being re-crawled. The outcome must be one of two:
success with exactly the right rows (the partition is byte for byte what a fault-free crawl writes), or a
failed partition with a clear message and the previous partition byte for byte untouched. Each case also
checks, from the local Hub's counters, that its fault really fired, so no case can pass vacuously.
RELIABILITY.md is the table of these cases.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import dagster as dg
import pytest

from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient
from orchestration.hub.scope import Scope
from orchestration.hub.snapshots import PARTITION_FILE, partition_dir
from orchestration.localhub.server import FaultConfig, LocalHub
from orchestration.resources import HubpulsePaths
from tests.conftest import DAY2, tiny_hub_items
from tests.reliability import FakeClock

PAGE_SIZE = 7  # 40 models: pages of 7, 7, 7, 7, 7, 5
DAY = DAY2
KEY = DAY.isoformat()
SCOPE = Scope(organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True)
# Fast retries; backoff_base is raised per case where a test must tell "waited as told" from "backed off".
# The timeout is far beyond any loopback answer on a loaded machine, so no case sees a timeout it did not inject
# (each one would be an extra retry, and the retry counts below are exact).
CLIENT = {"max_attempts": 4, "backoff_base_seconds": 0.01, "backoff_max_seconds": 0.05, "timeout_seconds": 30.0}
# The slow-answer cases: a timeout still 100 times a loaded machine's loopback answer (their other pages must
# arrive within it), a delay 20 times the timeout (a slow answer is still waiting when the timeout fires), and a
# trickle whose every gap is a tenth of the timeout (httpx's per-read timeout never fires) while the whole is
# twice it (the client's whole-answer deadline always does).
SLOW_TIMEOUT = 3.0
SLOW = {"timeout_seconds": SLOW_TIMEOUT}
SLOW_SECONDS = 20 * SLOW_TIMEOUT
TRICKLE_SECONDS = 2 * SLOW_TIMEOUT  # 20 pieces: a gap of SLOW_TIMEOUT / 10


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    faults: FaultConfig
    fails: str | None = None  # regex the failure message must match; None: the crawl must succeed
    fired: dict = dataclasses.field(default_factory=dict)  # local Hub counters that must be > 0 (or == n)
    metadata: dict = dataclasses.field(default_factory=dict)  # partition metadata expected on success
    client: dict = dataclasses.field(default_factory=dict)
    # Bounds of the client's `seconds_waiting` on success: the sum of the waits it asked for (not a measured
    # time), so exact whatever the machine's load.
    waited: tuple[float, float] | None = None


CASES = [
    # ---- 429 storms
    Case("429 storm with RateLimit headers: waits what `t` says", FaultConfig(throttle_pages={2, 3, 4}, throttle_seconds=0),
         # t=0 plus the client's 50 ms margin, three times; its own backoff would be >= 3 x 3.75 s.
         fired={"rate_limited": 3}, metadata={"rate_limited_responses": 3, "retries": 3},
         client={"backoff_base_seconds": 5.0}, waited=(0.15, 0.15)),
    Case("429 storm with only Retry-After: waits what it says",
         FaultConfig(throttle_pages={2, 3, 4}, throttle_seconds=0, rate_limit_headers=False),
         fired={"rate_limited": 3}, metadata={"rate_limited_responses": 3, "retries": 3},
         client={"backoff_base_seconds": 5.0}, waited=(0.0, 0.0)),  # Retry-After: 0, three times
    Case("429 storm with neither header: exponential backoff",
         FaultConfig(throttle_pages={2, 3, 4}, rate_limit_headers=False, retry_after=False),
         # 0.01 + 0.02 + 0.04 s (backoff base 0.01, doubling), each with a jitter of +-25 %
         fired={"rate_limited": 3}, metadata={"rate_limited_responses": 3, "retries": 3},
         waited=(0.75 * 0.07, 1.25 * 0.07)),
    Case("429 storm outlasting the attempts", FaultConfig(throttle_pages=range(2, 12), throttle_seconds=0),
         fails=r"page 2 failed after 4 attempts \(last: HTTP 429: You have exceeded the rate limit",
         fired={"rate_limited": 4}),
    Case("429 asking (RateLimit) to wait longer than max_wait_seconds",
         FaultConfig(throttle_pages={3}, throttle_seconds=3600),
         fails=r"asked to wait 3600s \(RateLimit header\), more than max_wait_seconds=600",
         fired={"rate_limited": 1}),
    Case("429 asking (Retry-After) to wait longer than max_wait_seconds",
         FaultConfig(throttle_pages={3}, throttle_seconds=3600, rate_limit_headers=False),
         fails=r"asked to wait 3600s \(Retry-After header\), more than max_wait_seconds=600",
         fired={"rate_limited": 1}),
    Case("fixed-window rate limit, paced by the headers", FaultConfig(rate_limit=4, rate_window_seconds=1.0),
         fired={"requests": 6}, metadata={"rate_limited_responses": 0}, client={"backoff_base_seconds": 5.0}),
    # ---- 5xx
    Case("5xx burst shorter than the attempts", FaultConfig(fail_pages={2, 3, 4}),
         fired={"errors_injected": 3}, metadata={"retries": 3}),
    Case("5xx burst outlasting the attempts", FaultConfig(fail_pages={2, 3, 4, 5}, error_status=502),
         fails=r"page 2 failed after 4 attempts \(last: HTTP 502: Internal Error", fired={"errors_injected": 4}),
    Case("random 5xx on a third of the requests", FaultConfig(error_rate=0.3, seed=3),
         fired={"errors_injected": 1}, client={"max_attempts": 8}),
    Case("the Hub goes down mid-crawl", FaultConfig(fail_after=3),
         fails=r"page 4 failed after 4 attempts \(last: HTTP 503", fired={"errors_injected": 4}),
    # ---- broken bodies
    Case("connection reset mid-page, once", FaultConfig(reset_pages={3}), fired={"resets": 1},
         metadata={"retries": 1}),
    Case("connection reset mid-page, every time", FaultConfig(reset_rate=1.0),
         fails=r"page 1 failed after 4 attempts \(last: (RemoteProtocolError|ReadError)", fired={"resets": 4}),
    Case("truncated JSON, once", FaultConfig(truncate_pages={2}), fired={"truncated": 1}, metadata={"retries": 1}),
    Case("truncated JSON, every time", FaultConfig(truncate_rate=1.0),
         fails=r"failed after 4 attempts \(last: invalid or truncated JSON", fired={"truncated": 4}),
    Case("invalid JSON, once", FaultConfig(invalid_json_pages={1}), fired={"invalid_json": 1}),
    Case("invalid JSON, every time", FaultConfig(invalid_json_rate=1.0),
         fails=r"failed after 4 attempts \(last: invalid or truncated JSON", fired={"invalid_json": 4}),
    Case("wrong content type (an HTML error page), once", FaultConfig(html_pages={4}), fired={"html_pages": 1}),
    Case("wrong content type, every time", FaultConfig(html_rate=1.0),
         fails=r"last: the answer is text/html; charset=utf-8, not JSON", fired={"html_pages": 4}),
    # ---- lying listings
    Case("an empty page as if the listing ended, once", FaultConfig(empty_pages={3}), fired={"empty_pages": 1},
         metadata={"empty_pages_reread": 1}),
    Case("an empty page twice, after a page that linked to it", FaultConfig(empty_pages={3, 4}),
         fails=r"page 3 is empty twice although page 2 linked to it", fired={"empty_pages": 2}),
    Case("every page empty", FaultConfig(empty_rate=1.0),
         fails=r"the Hub listed no model at all for the scope", fired={"empty_pages": 2}),
    Case("the same items on two pages", FaultConfig(overlap_pages={2, 5}), fired={"overlapping_pages": 2},
         metadata={"duplicates_merged": 2 * PAGE_SIZE, "conflicting_duplicates": 0}),
    Case("a page replayed instead of the next, once", FaultConfig(repeat_pages={3}), fired={"repeated_pages": 1},
         metadata={"retries": 1}),
    Case("a page replayed every time", FaultConfig(repeat_rate=1.0),
         fails=r"page 2 failed after 4 attempts \(last: the page lists only models this listing already gave",
         fired={"repeated_pages": 4}),
    Case("a Link header that loops back to the first page", FaultConfig(link_loop=True),
         fails=r"page 7 failed after 4 attempts \(last: the page lists only models this listing already gave",
         fired={"list_requests": 10}),
    Case("a Link header to another host", FaultConfig(link_host="localhost:9"),
         fails=r"page 1 links to another host \(localhost\): refusing to follow it", fired={"list_requests": 1}),
    # ---- slow answers
    Case("an answer slower than the timeout, once", FaultConfig(slow_seconds=SLOW_SECONDS, slow_pages={2}),
         fired={"slowed": 1, "list_requests": 7}, metadata={"retries": 1}, client=SLOW),
    Case("every answer slower than the timeout", FaultConfig(slow_seconds=SLOW_SECONDS),
         fails=r"page 1 failed after 2 attempts \(last: ReadTimeout", fired={"slowed": 2, "list_requests": 2},
         client={**SLOW, "max_attempts": 2}),
    Case("a page trickled byte by byte (each gap short, the whole too slow), once",
         FaultConfig(trickle_seconds=TRICKLE_SECONDS, trickle_pages={5}), fired={"trickled": 1, "list_requests": 7},
         metadata={"retries": 1}, client=SLOW),
    Case("every page trickled", FaultConfig(trickle_seconds=TRICKLE_SECONDS),
         fails=rf"page 1 failed after 2 attempts \(last: the answer took longer than {SLOW_TIMEOUT:g}s to arrive whole",
         fired={"trickled": 2, "list_requests": 2}, client={**SLOW, "max_attempts": 2}),
]


def _archive(tmp: Path) -> Path:
    from orchestration.hub.archive import write_snapshot

    archive = tmp / "archive"
    write_snapshot(archive, DAY, tiny_hub_items(1))
    return archive


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> tuple[Path, Path, bytes]:
    """The archive, a home holding the fault-free partition of DAY, and that partition's bytes."""
    root = tmp_path_factory.mktemp("faults")
    archive = _archive(root)
    home = root / "good"
    with LocalHub(archive, page_size=PAGE_SIZE) as hub:
        result = _materialize(HubClient(source="local", endpoint=hub.url, **CLIENT), home)
    assert result.success
    return archive, home, _partition(home).read_bytes()


def _materialize(client: HubClient, home: Path) -> dg.ExecuteInProcessResult:
    resources = {"hub": client, "scope": SCOPE, "paths": HubpulsePaths(home=str(home))}
    return dg.materialize([hub_model_snapshots], resources=resources, partition_key=KEY, raise_on_error=False)


def _partition(home: Path) -> Path:
    return partition_dir(home / "raw" / "hub_models", DAY) / PARTITION_FILE


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """Every message in the failed step's error chain, joined."""
    parts = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None:
            parts.append(f"{error.cls_name}: {error.message}")
            error = error.cause
    return "\n".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_gives_the_right_rows_or_a_clear_failure_with_the_old_partition_kept(good, tmp_path: Path, case: Case):
    archive, good_home, good_bytes = good
    home = tmp_path / "home"
    shutil.copytree(good_home, home)
    before = _partition(home).read_bytes()
    assert before == good_bytes
    with LocalHub(archive, page_size=PAGE_SIZE, faults=case.faults) as hub:
        if case.faults.link_host:
            hub.set_faults(dataclasses.replace(case.faults, link_host=f"localhost:{hub.port}"))
        result = _materialize(HubClient(source="local", endpoint=hub.url, **{**CLIENT, **case.client}), home)
        stats = hub.stats
    for counter, minimum in case.fired.items():
        assert stats[counter] >= minimum, f"the fault did not fire as planned: {counter}={stats[counter]}"
    leftovers = [p.name for p in _partition(home).parent.iterdir() if p.name != PARTITION_FILE]
    assert leftovers == []
    if case.fails is None:
        assert result.success, failure_message(result)
        assert _partition(home).read_bytes() == good_bytes  # exactly the rows of a fault-free crawl
        (materialization,) = result.asset_materializations_for_node("hub_model_snapshots")
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        assert metadata["rows"] == 40 and metadata["rejected"] == 0
        for name, value in case.metadata.items():
            assert metadata[name] == value, (name, metadata[name])
        if case.waited is not None:
            low, high = case.waited
            assert low - 1e-9 <= metadata["seconds_waiting"] <= high + 1e-9, metadata["seconds_waiting"]
    else:
        assert not result.success
        message = failure_message(result)
        assert re.search(case.fails, message), message
        assert "nothing was written" in message or "refusing" in message
        assert _partition(home).read_bytes() == before  # the previous partition, byte for byte


def test_the_client_paces_by_the_rate_limit_headers_before_the_limit_bites(good):
    """The fixed-window case of the matrix without the machine's speed in it: the Hub's window and the client's
    pacing read one fake clock that only the client's own waits move. 4 requests a window of 1 s: the 4th answer
    says `r=0;t=1`, so the client must ask to wait t + 50 ms before the 5th request and never again; a client
    that ignored the header would send the 5th in the same window and get a 429."""
    archive, _home, _good_bytes = good
    clock = FakeClock()
    with LocalHub(archive, page_size=PAGE_SIZE, faults=FaultConfig(rate_limit=4, rate_window_seconds=1.0),
                  clock=clock) as hub:
        client = HubClient(source="local", endpoint=hub.url, **CLIENT)
        client._sleep, client._clock = clock.sleep, clock
        with client.serving() as endpoint_for:
            items, fetched = client.fetch_snapshot(DAY, SCOPE, endpoint_for(DAY))
        stats = hub.stats
    assert len({item["id"] for item in items}) == len(items) == 40
    assert clock.sleeps == [1.05]
    assert (stats["list_requests"], stats["rate_limited"]) == (6, 0)
    assert (fetched.requests, fetched.retries, fetched.rate_limited, fetched.seconds_waited) == (6, 0, 0, 1.05)


def test_a_fault_free_crawl_reads_each_page_once(good, tmp_path: Path):
    """The baseline the matrix compares with: 6 pages, 6 requests, no retries."""
    archive, _home, good_bytes = good
    with LocalHub(archive, page_size=PAGE_SIZE) as hub:
        result = _materialize(HubClient(source="local", endpoint=hub.url, **CLIENT), tmp_path / "home")
        stats = hub.stats
    assert result.success
    assert (stats["list_requests"], stats["faults_injected"], stats["rate_limited"]) == (6, 0, 0)
    metadata = result.asset_materializations_for_node("hub_model_snapshots")[0].metadata
    assert (metadata["pages_fetched"].value, metadata["retries"].value) == (6, 0)
    assert _partition(tmp_path / "home").read_bytes() == good_bytes
