"""The local Hub (`orchestration.localhub.server`) against the real `huggingface_hub` client and raw HTTP.

Every request goes to 127.0.0.1 only. The client's retry waits are read from what it announces in its log before
it sleeps them (huggingface_hub has no public way to skip them: its two persistent failures sleep 23 s each). No
assertion depends on how fast the machine is: rate-limit windows run on a fake clock that only the client's
announced waits move, which page was slowed is counted rather than timed, and elapsed times are only bounded from
below (load only makes them longer).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import logging
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import parse_ratelimit_headers

from orchestration.hub.archive import dumps_item, write_snapshot
from orchestration.localhub.server import (
    DEFAULT_FIELDS,
    FaultConfig,
    LocalHub,
    add_arguments,
    faults_from_args,
)
from tests.reliability import FakeClock

DAY1 = dt.date(2025, 1, 10)
DAY2 = dt.date(2025, 1, 11)
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _item(repo_id: str, **fields) -> dict:
    item = {"_id": f"id-{repo_id}", "id": repo_id, "author": repo_id.split("/")[0]}
    item.update(fields)
    return item


def _day1_items() -> list[dict]:
    base = "Qwen/Qwen2.5-7B"
    return [
        _item(
            base,
            downloads=900,
            downloadsAllTime=5000,
            likes=50,
            trendingScore=7,
            tags=["transformers", "text-generation"],
            pipeline_tag="text-generation",
            library_name="transformers",
            createdAt="2024-09-01T00:00:00.000Z",
            sha="abc123",
        ),
        _item(
            "Qwen/Qwen2.5-7B-Instruct",
            downloads=800,
            downloadsAllTime=4000,
            likes=80,
            trendingScore=9,
            tags=["transformers", f"base_model:{base}", f"base_model:finetune:{base}"],
            pipeline_tag="text-generation",
            library_name="transformers",
            baseModels={"relation": "finetune", "models": [{"id": base}]},
            createdAt="2024-09-02T00:00:00.000Z",
        ),
        _item(
            "bartowski/Qwen2.5-7B-GGUF",
            downloads=800,  # ties with the instruct model: broken by id
            downloadsAllTime=100,
            likes=3,
            tags=["gguf", f"base_model:{base}", f"base_model:quantized:{base}"],
            library_name="gguf",
            baseModels={"relation": "quantized", "models": [{"id": base}]},
            createdAt="2024-10-01T00:00:00.000Z",
        ),
        _item("meta-llama/Llama-3.1-8B", downloads=1000, likes=500, tags=["transformers"], gated="manual"),
        _item("meta-llama/Llama-3.2-1B", likes=20, tags=["transformers"]),  # no downloads: sorts last
        _item("deepseek-ai/DeepSeek-R1", downloads=700, likes=900, tags=["transformers", "conversational"]),
        _item(
            "someone/qwen-merge",
            downloads=5,
            likes=0,
            tags=["merge"],
            lastModified="2025-01-01T00:00:00.000Z",
        ),
    ]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    write_snapshot(folder, DAY1, _day1_items())
    # The next day: one model gone, one new, downloads moved; stored uncompressed to cover both formats.
    day2 = [dict(item, downloads=(item.get("downloads") or 0) + 1) for item in _day1_items()[:-1]]
    day2.append(_item("moonshotai/Kimi-K2", downloads=50, likes=10, tags=["transformers"]))
    write_snapshot(folder, DAY2, day2, gz=False)
    return folder


@pytest.fixture
def hub(archive: Path):
    with LocalHub(archive, page_size=3) as server:
        yield server


class AnnouncedWaits(logging.Handler):
    """Passes each wait huggingface_hub announces before sleeping between retries ("Retrying in 2s [Retry 2/5].",
    "Rate limited. Waiting 2.0s before retry ...") to `sleep`; the client then sleeps it for real."""

    ANNOUNCEMENT = re.compile(r"(?:Retrying in|Rate limited\. Waiting) (?P<seconds>[0-9.]+)s\b")

    def __init__(self, sleep: Callable[[float], None]) -> None:
        super().__init__(logging.WARNING)
        self.sleep = sleep

    def emit(self, record: logging.LogRecord) -> None:
        match = self.ANNOUNCEMENT.match(record.getMessage())
        if match:
            self.sleep(float(match["seconds"]))


@contextlib.contextmanager
def _announced_waits(sleep: Callable[[float], None]) -> Iterator[None]:
    handler = AnnouncedWaits(sleep)
    library_logger = logging.getLogger("huggingface_hub")  # the root of the library's loggers
    library_logger.addHandler(handler)
    try:
        yield
    finally:
        library_logger.removeHandler(handler)


@pytest.fixture
def retry_sleeps() -> Iterator[list[float]]:
    """The client's backoff waits, as it announces them."""
    sleeps: list[float] = []
    with _announced_waits(sleeps.append):
        yield sleeps


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    """A fake clock for the local Hub's rate-limit window that the client's announced waits advance (recorded in
    `clock.sleeps`)."""
    fake = FakeClock()
    with _announced_waits(fake.sleep):
        yield fake


def _api(hub: LocalHub, day: dt.date | None = DAY1) -> HfApi:
    return HfApi(endpoint=hub.endpoint(day), token=False)


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    """A plain GET that returns error statuses instead of raising."""
    assert url.startswith("http://127.0.0.1:")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


# ------------------------------------------------------------------------------------------------ listing


def test_list_models_follows_every_page_once(hub: LocalHub) -> None:
    ids = [m.id for m in _api(hub).list_models()]
    assert sorted(ids) == sorted(i["id"] for i in _day1_items())
    assert len(ids) == len(set(ids)) == 7
    stats = hub.stats
    assert stats["list_requests"] == 3 and stats["pages_served"] == 3 and stats["items_served"] == 7


def test_pages_link_header_carries_query_and_last_page_has_none(hub: LocalHub) -> None:
    status, headers, body = _get(f"{hub.endpoint(DAY1)}/api/models?author=Qwen&expand[]=likes&limit=1")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == [{"_id": "id-Qwen/Qwen2.5-7B", "id": "Qwen/Qwen2.5-7B", "likes": 50}]
    match = re.fullmatch(r'<(?P<url>[^>]+)>; rel="next"', headers["Link"])
    assert match, headers["Link"]
    next_url = match["url"]
    assert next_url.startswith(f"{hub.endpoint(DAY1)}/api/models?") and "author=Qwen" in next_url
    assert "limit=1" in next_url and "cursor=" in next_url
    status, headers, body = _get(next_url)
    assert status == 200 and [i["id"] for i in json.loads(body)] == ["Qwen/Qwen2.5-7B-Instruct"]
    assert "Link" not in headers  # the last page


def test_author_search_and_filters(hub: LocalHub) -> None:
    api = _api(hub)
    assert {m.id for m in api.list_models(author="meta-llama")} == {
        "meta-llama/Llama-3.1-8B",
        "meta-llama/Llama-3.2-1B",
    }
    assert {m.id for m in api.list_models(search="QWEN2.5")} == {
        "Qwen/Qwen2.5-7B",
        "Qwen/Qwen2.5-7B-Instruct",
        "bartowski/Qwen2.5-7B-GGUF",
    }
    children = {m.id for m in api.list_models(filter="base_model:Qwen/Qwen2.5-7B")}
    assert children == {"Qwen/Qwen2.5-7B-Instruct", "bartowski/Qwen2.5-7B-GGUF"}
    quantized = {m.id for m in api.list_models(filter="base_model:quantized:Qwen/Qwen2.5-7B")}
    assert quantized == {"bartowski/Qwen2.5-7B-GGUF"}
    # Several filters must all match; pipeline_tag and library_name count as filter terms.
    both = {m.id for m in api.list_models(filter=["transformers", "base_model:Qwen/Qwen2.5-7B"])}
    assert both == {"Qwen/Qwen2.5-7B-Instruct"}
    assert {m.id for m in api.list_models(filter="gguf")} == {"bartowski/Qwen2.5-7B-GGUF"}
    assert {m.id for m in api.list_models(filter="text-generation", author="Qwen")} == {
        "Qwen/Qwen2.5-7B",
        "Qwen/Qwen2.5-7B-Instruct",
    }
    assert [m.id for m in api.list_models(pipeline_tag="text-generation", search="instruct")] == [
        "Qwen/Qwen2.5-7B-Instruct"
    ]
    assert {m.id for m in api.list_models(gated=True)} == {"meta-llama/Llama-3.1-8B"}
    assert list(api.list_models(author="nobody")) == []


def test_sort_is_descending_with_missing_last_and_ties_by_id(hub: LocalHub) -> None:
    api = _api(hub)
    by_downloads = [m.id for m in api.list_models(sort="downloads")]
    assert by_downloads == [
        "meta-llama/Llama-3.1-8B",
        "Qwen/Qwen2.5-7B",
        "Qwen/Qwen2.5-7B-Instruct",  # 800, and "Q" < "b"
        "bartowski/Qwen2.5-7B-GGUF",  # 800
        "deepseek-ai/DeepSeek-R1",
        "someone/qwen-merge",
        "meta-llama/Llama-3.2-1B",  # no downloads
    ]
    assert [m.id for m in api.list_models(sort="likes", limit=2)] == [
        "deepseek-ai/DeepSeek-R1",
        "meta-llama/Llama-3.1-8B",
    ]
    assert [m.id for m in api.list_models(sort="created_at")][:3] == [
        "bartowski/Qwen2.5-7B-GGUF",
        "Qwen/Qwen2.5-7B-Instruct",
        "Qwen/Qwen2.5-7B",
    ]
    assert next(iter(api.list_models(sort="last_modified"))).id == "someone/qwen-merge"
    assert next(iter(api.list_models(sort="trending_score"))).id == "Qwen/Qwen2.5-7B-Instruct"
    status, _, body = _get(f"{hub.url}/api/models?sort=name")
    assert status == 400 and "sort" in json.loads(body)["error"]


def test_limit_caps_the_page(hub: LocalHub) -> None:
    assert len(list(_api(hub).list_models(limit=2))) == 2
    assert hub.stats["list_requests"] == 1  # the client stopped after the first page
    status, headers, body = _get(f"{hub.endpoint(DAY1)}/api/models?limit=2")
    assert status == 200 and len(json.loads(body)) == 2 and "Link" in headers
    assert _get(f"{hub.url}/api/models?limit=0")[0] == 400


def test_expand_returns_only_requested_fields(hub: LocalHub) -> None:
    models = list(_api(hub).list_models(expand=["downloadsAllTime", "baseModels"], author="Qwen"))
    instruct = next(m for m in models if m.id == "Qwen/Qwen2.5-7B-Instruct")
    assert instruct.downloads_all_time == 4000
    assert instruct.base_models == {"relation": "finetune", "models": [{"id": "Qwen/Qwen2.5-7B"}]}
    assert instruct.likes is None and instruct.downloads is None and instruct.tags is None
    status, _, body = _get(
        f"{hub.endpoint(DAY1)}/api/models?author=Qwen&expand=downloadsAllTime&expand=likes"
    )
    assert status == 200
    assert {tuple(sorted(i)) for i in json.loads(body)} == {("_id", "downloadsAllTime", "id", "likes")}


def test_default_and_full_field_sets(hub: LocalHub) -> None:
    _, _, body = _get(f"{hub.endpoint(DAY1)}/api/models?search=Instruct")
    (item,) = json.loads(body)
    assert set(item) <= set(DEFAULT_FIELDS) and item["modelId"] == "Qwen/Qwen2.5-7B-Instruct"
    assert "downloadsAllTime" not in item and "baseModels" not in item and item["likes"] == 80
    # full / cardData / config return the archived item byte for byte.
    expected = next(i for i in _day1_items() if i["id"] == "Qwen/Qwen2.5-7B-Instruct")
    for flag in ("full=true", "cardData=True", "config=1"):
        _, _, body = _get(f"{hub.endpoint(DAY1)}/api/models?search=Instruct&{flag}")
        assert body == ("[" + dumps_item(expected) + "]").encode()


def test_expand_covering_the_archived_fields_serves_items_verbatim(tmp_path: Path) -> None:
    # Simulator-style items carry `modelId`: it passes through `expand` like `_id` and `id`.
    items = [
        {"_id": "a1", "id": "org/a", "modelId": "org/a", "downloads": 3, "baseModels": None},
        {"_id": "b2", "id": "org/b", "modelId": "org/b", "downloads": 2, "likes": 1},
    ]
    write_snapshot(tmp_path, DAY1, items)
    with LocalHub(tmp_path) as hub:
        query = "expand=downloads&expand=baseModels&expand=likes&expand=gated"
        _, _, body = _get(f"{hub.url}/api/models?{query}")
        assert body == ("[" + ",".join(dumps_item(i) for i in items) + "]").encode()
        _, _, body = _get(f"{hub.url}/api/models?expand=likes")
        assert json.loads(body)[1] == {"_id": "b2", "id": "org/b", "modelId": "org/b", "likes": 1}


def test_invalid_expand_is_a_400(hub: LocalHub) -> None:
    status, _, body = _get(f"{hub.url}/api/models?expand[]=downloads&expand[]=bogus")
    assert status == 400 and json.loads(body)["error"].startswith('"expand[1]" must be one of [')
    with pytest.raises(BadRequestError):
        list(_api(hub).list_models(expand=["bogus"]))  # type: ignore[list-item]


def test_keep_alive_serves_several_requests_on_one_connection(hub: LocalHub) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
    try:
        for _ in range(3):
            conn.request("GET", "/api/models?limit=1")
            response = conn.getresponse()
            assert response.status == 200 and response.version == 11
            assert len(json.loads(response.read())) == 1
    finally:
        conn.close()


# ------------------------------------------------------------------------------------- info and dates


def test_model_info_and_not_found(hub: LocalHub) -> None:
    api = _api(hub)
    info = api.model_info("Qwen/Qwen2.5-7B-Instruct")
    assert info.downloads_all_time == 4000 and info.base_models["relation"] == "finetune"
    assert api.model_info("Qwen/Qwen2.5-7B", revision="main").sha == "abc123"
    assert api.model_info("Qwen/Qwen2.5-7B", expand=["likes"]).downloads is None
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nobody/nothing")
    with pytest.raises(RepositoryNotFoundError):
        _api(hub, DAY2).model_info("someone/qwen-merge")  # gone on day 2
    status, headers, body = _get(f"{hub.url}/api/models/nobody/nothing")
    assert status == 404 and headers["X-Error-Code"] == "RepoNotFound"
    assert json.loads(body) == {"error": "Repository not found"}


def test_as_of_dates_serve_different_content(hub: LocalHub) -> None:
    day1 = {m.id: m.downloads for m in _api(hub, DAY1).list_models()}
    day2 = {m.id: m.downloads for m in _api(hub, DAY2).list_models()}
    latest = {m.id: m.downloads for m in _api(hub, None).list_models()}
    assert "someone/qwen-merge" in day1 and "someone/qwen-merge" not in day2
    assert "moonshotai/Kimi-K2" in day2 and day2["deepseek-ai/DeepSeek-R1"] == 701
    assert latest == day2  # the root serves the newest date
    assert hub.dates() == [DAY1, DAY2]


def test_unknown_and_malformed_dates(hub: LocalHub) -> None:
    status, _, body = _get(f"{hub.url}/as-of/2024-12-31/api/models")
    assert status == 404 and "2024-12-31" in json.loads(body)["error"]
    for bad in ("2025-13-01", "20250110", "yesterday"):
        status, _, body = _get(f"{hub.url}/as-of/{bad}/api/models")
        assert status == 400 and "error" in json.loads(body)
    with pytest.raises(HfHubHTTPError) as excinfo:
        HfApi(endpoint=f"{hub.url}/as-of/2024-12-31", token=False).model_info("Qwen/Qwen2.5-7B")
    assert excinfo.value.response.status_code == 404


def test_root_pagination_stays_on_its_date_when_a_newer_one_lands(archive: Path) -> None:
    with LocalHub(archive, page_size=2) as hub:
        status, headers, _ = _get(f"{hub.url}/api/models")
        assert status == 200
        next_url = headers["Link"][1 : headers["Link"].index(">")]
        write_snapshot(archive, dt.date(2025, 1, 12), [_item("new/model")])
        assert hub.dates()[-1] == dt.date(2025, 1, 12)
        _, _, body = _get(next_url)
        assert "new/model" not in body.decode() and len(json.loads(body)) == 2
        assert [m.id for m in HfApi(endpoint=hub.url, token=False).list_models()] == ["new/model"]


# ------------------------------------------------------------------------------------------------ faults


def test_rate_limit_headers_and_429(archive: Path, clock: FakeClock) -> None:
    faults = FaultConfig(rate_limit=2, rate_window_seconds=60)
    with LocalHub(archive, faults=faults, clock=clock) as hub:
        first = httpx2.get(f"{hub.url}/api/models?limit=1")
        assert first.status_code == 200
        assert first.headers["RateLimit"] == '"api";r=1;t=60'
        assert first.headers["RateLimit-Policy"] == '"fixed window";"api";q=2;w=60'
        clock.now = 0.5  # half a second later: `t` is rounded up
        assert httpx2.get(f"{hub.url}/api/models?limit=1").headers["RateLimit"] == '"api";r=0;t=60'
        clock.now = 1.5
        limited = httpx2.get(f"{hub.url}/api/models/Qwen/Qwen2.5-7B")
        assert limited.status_code == 429
        assert limited.headers["RateLimit"] == '"api";r=0;t=59'
        assert limited.headers["Retry-After"] == limited.headers["RateLimit"].rsplit("=", 1)[1]
        assert "error" in limited.json()
        info = parse_ratelimit_headers(limited.headers)
        assert info is not None and (info.remaining, info.limit, info.window_seconds) == (0, 2, 60)
        assert hub.stats["rate_limited"] == 1 and hub.stats["by_status"] == {200: 2, 429: 1}
        clock.now = 60.0  # the window is over
        assert httpx2.get(f"{hub.url}/api/models?limit=1").headers["RateLimit"] == '"api";r=1;t=60'


def test_client_backoff_recovers_from_a_short_rate_window(archive: Path, clock: FakeClock) -> None:
    # 2 requests per second: the third page is refused, the client sleeps `t + 1` s as the headers say, and
    # only that wait, as announced, moves the Hub's clock (a slow machine cannot end the window early, nor a fast
    # one late).
    faults = FaultConfig(rate_limit=2, rate_window_seconds=1)
    with LocalHub(archive, page_size=3, faults=faults, clock=clock) as hub:
        ids = [m.id for m in _api(hub).list_models()]
        assert len(ids) == len(set(ids)) == 7
        assert hub.stats["rate_limited"] == 1 and hub.stats["pages_served"] == 3
        assert clock.sleeps == [2.0]  # t=1, plus huggingface_hub's own second


def test_persistent_5xx_raises(archive: Path, retry_sleeps: list[float]) -> None:
    with LocalHub(archive, faults=FaultConfig(fail_all=True, error_status=502)) as hub:
        with pytest.raises(HfHubHTTPError) as excinfo:
            list(_api(hub).list_models())
        assert excinfo.value.response.status_code == 502
        assert hub.stats["errors_injected"] == 6  # the first attempt and 5 retries
        assert retry_sleeps == [1, 2, 4, 8, 8]
        with pytest.raises(HfHubHTTPError):
            _api(hub).model_info("Qwen/Qwen2.5-7B")


def test_nth_page_failure_is_retried(archive: Path, retry_sleeps: list[float]) -> None:
    with LocalHub(archive, page_size=3, faults=FaultConfig(fail_pages={2})) as hub:
        assert len(list(_api(hub).list_models())) == 7
        assert hub.stats["errors_injected"] == 1 and hub.stats["by_status"] == {200: 3, 503: 1}
        assert retry_sleeps == [1]
    with LocalHub(archive, page_size=3, faults=FaultConfig(fail_after=1)) as hub:
        with pytest.raises(HfHubHTTPError):
            list(_api(hub).list_models())
        assert hub.stats["pages_served"] == 1


def test_truncated_body_fails_json_parsing(archive: Path) -> None:
    with LocalHub(archive, page_size=3, faults=FaultConfig(truncate_pages={1})) as hub:
        conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
        conn.request("GET", "/api/models")
        response = conn.getresponse()
        body = response.read()  # complete as far as HTTP is concerned: Content-Length matches
        assert response.status == 200 and int(response.headers["Content-Length"]) == len(body)
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
        conn.request("GET", "/api/models")  # the same connection still works
        assert len(json.loads(conn.getresponse().read())) == 3
        conn.close()
        hub.set_faults(FaultConfig(truncate_pages={1}))
        with pytest.raises(json.JSONDecodeError):
            list(_api(hub).list_models())
        assert hub.stats["truncated"] == 2


def test_connection_reset_mid_page(archive: Path, retry_sleeps: list[float]) -> None:
    with LocalHub(archive, page_size=3, faults=FaultConfig(reset_pages={1})) as hub:
        conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
        with pytest.raises((http.client.IncompleteRead, ConnectionError)):
            conn.request("GET", "/api/models")
            conn.getresponse().read()
        conn.close()
        assert hub.stats["resets"] == 1
        # The client treats a reset as a network error and retries the page.
        hub.set_faults(FaultConfig(reset_pages={2}))
        assert len(list(_api(hub).list_models())) == 7
        assert hub.stats["resets"] == 2 and len(retry_sleeps) == 1


def test_random_errors_are_deterministic_and_faults_change_at_run_time(archive: Path) -> None:
    def statuses(hub: LocalHub) -> list[int]:
        return [_get(f"{hub.url}/api/models?limit=1")[0] for _ in range(20)]

    faults = FaultConfig(error_rate=0.5, seed=7)
    with LocalHub(archive, faults=faults) as hub:
        first = statuses(hub)
        hub.set_faults(faults)  # restarts the random generator
        assert statuses(hub) == first and {200, 503} == set(first)
        hub.set_faults(None)
        assert set(statuses(hub)) == {200}
        assert hub.stats["errors_injected"] == 2 * first.count(503)


def test_slow_answers(archive: Path) -> None:
    with LocalHub(archive, faults=FaultConfig(slow_seconds=0.2)) as hub:
        assert _get(f"{hub.url}/api/models?limit=1")[0] == 200
        assert hub.stats["slowed"] == 1


# ------------------------------------------------------------------------------------ safety and CLI


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_non_loopback_host_is_refused(archive: Path, host: str) -> None:
    with pytest.raises(ValueError, match="refusing to bind"):
        LocalHub(archive, host=host)


def test_fault_config_validation() -> None:
    with pytest.raises(ValueError):
        FaultConfig(error_rate=1.5)
    with pytest.raises(ValueError):
        FaultConfig(error_status=404)
    with pytest.raises(ValueError):
        FaultConfig(fail_pages=[0])
    assert not FaultConfig().active and FaultConfig(slow_seconds=1).active


def test_stop_drops_pooled_connections(archive: Path) -> None:
    hub = LocalHub(archive).start()
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=5)
    conn.request("GET", "/api/models?limit=1")
    conn.getresponse().read()
    hub.stop()
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        conn.request("GET", "/api/models?limit=1")
        conn.getresponse()
    conn.close()


def test_cli_arguments_build_the_fault_config() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    argv = ["--archive", "x", "--rate-limit", "500", "--fail-pages", "3,7"]
    args = parser.parse_args([*argv, "--truncate-rate", "0.1", "--slow", "1"])
    faults = faults_from_args(args)
    assert faults.rate_limit == 500 and faults.fail_pages == frozenset({3, 7})
    assert faults.truncate_rate == 0.1 and faults.slow_seconds == 1 and faults.error_status == 503
    assert args.page_size == 1000 and args.host == "127.0.0.1" and args.port == 0


def test_cli_serves_until_interrupted(archive: Path) -> None:
    code = (
        # Ctrl-C as from a terminal: a test runner started as a background job (`make test &`) has SIGINT
        # ignored, and the child would inherit that.
        "import signal\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import argparse, sys\n"
        "from orchestration.localhub.server import add_arguments, run_from_args\n"
        "parser = argparse.ArgumentParser()\n"
        "add_arguments(parser)\n"
        "sys.exit(run_from_args(parser.parse_args(sys.argv[1:])))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--archive", str(archive), "--page-size", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
        status, headers, body = _get(f"{url}/api/models")
        assert status == 200 and len(json.loads(body)) == 2 and "Link" in headers
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------------------------ the fault matrix's faults
# What each fault looks like on the wire (tests/test_faults.py shows what the client and the asset make of them).


def _page_ids(body: bytes) -> list[str]:
    return [item["id"] for item in json.loads(body)]


def test_429_storms_with_and_without_rate_limit_headers(archive: Path) -> None:
    faults = FaultConfig(throttle_pages={1}, throttle_seconds=7)
    with LocalHub(archive, page_size=3, faults=faults) as hub:
        status, headers, body = _get(f"{hub.url}/api/models")
        assert status == 429 and "rate limit" in json.loads(body)["error"]
        assert headers["RateLimit"] == '"api";r=0;t=7' and headers["Retry-After"] == "7"
        assert parse_ratelimit_headers(headers).reset_in_seconds == 7
        assert _get(f"{hub.url}/api/models")[0] == 200  # a storm of one page request
        hub.set_faults(FaultConfig(throttle_pages={1}, rate_limit_headers=False))
        status, headers, _ = _get(f"{hub.url}/api/models")
        assert status == 429 and "RateLimit" not in headers and headers["Retry-After"] == "1"
        hub.set_faults(FaultConfig(throttle_pages={1}, rate_limit_headers=False, retry_after=False))
        status, headers, _ = _get(f"{hub.url}/api/models")
        assert status == 429 and "RateLimit" not in headers and "Retry-After" not in headers
        hub.set_faults(FaultConfig(rate_limit=1, rate_limit_headers=False, retry_after=False))
        assert "RateLimit" not in _get(f"{hub.url}/api/models")[1]
        status, headers, _ = _get(f"{hub.url}/api/models")
        assert status == 429 and "RateLimit" not in headers and "Retry-After" not in headers
        assert hub.stats["rate_limited"] == 4


def test_wrong_content_type_invalid_json_and_echoed_headers(archive: Path) -> None:
    with LocalHub(archive, page_size=3, faults=FaultConfig(html_pages={1}, invalid_json_pages={2})) as hub:
        status, headers, body = _get(f"{hub.url}/api/models")
        assert status == 200 and headers["Content-Type"].startswith("text/html") and body.startswith(b"<!DOCTYPE")
        status, headers, body = _get(f"{hub.url}/api/models")
        assert status == 200 and headers["Content-Type"].startswith("application/json") and body.endswith(b",]")
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
        hub.set_faults(FaultConfig(fail_pages={1}, echo_headers=True))
        request = urllib.request.Request(f"{hub.url}/api/models", headers={"Authorization": "Bearer secret-value"})
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request, timeout=10)
        assert json.loads(excinfo.value.read())["error"].split("Request headers: ")[1].startswith(
            "Authorization: Bearer secret-value")
        assert hub.stats["authorized_requests"] == 1


def test_lying_listings_empty_overlapping_repeated_and_looping_pages(archive: Path) -> None:
    order = [i["id"] for i in _day1_items()]  # archive order: the order of an unsorted listing
    faults = FaultConfig(empty_pages={2}, overlap_pages={3}, repeat_pages={4})
    with LocalHub(archive, page_size=3, faults=faults) as hub:
        status, headers, body = _get(f"{hub.endpoint(DAY1)}/api/models")
        assert _page_ids(body) == order[:3]
        page2 = headers["Link"][1 : headers["Link"].index(">")]
        status, headers, body = _get(page2)  # request 2: empty, as if the listing ended
        assert status == 200 and json.loads(body) == [] and "Link" not in headers
        status, headers, body = _get(page2)  # request 3: page 2 with page 1's items before its own
        assert _page_ids(body) == order[:3] + order[3:6]
        page3 = headers["Link"][1 : headers["Link"].index(">")]
        status, headers, body = _get(page3)  # request 4: page 2's items instead of page 3's; the link moves on
        assert _page_ids(body) == order[3:6] and "Link" not in headers
        assert (hub.stats["empty_pages"], hub.stats["overlapping_pages"], hub.stats["repeated_pages"]) == (1, 1, 1)
        hub.set_faults(FaultConfig(link_loop=True))
        _, headers, _ = _get(page3)  # the last page links back to the first
        _, _, body = _get(headers["Link"][1 : headers["Link"].index(">")])
        assert _page_ids(body) == order[:3]
        hub.set_faults(FaultConfig(link_host="elsewhere.example:8080"))
        _, headers, _ = _get(f"{hub.endpoint(DAY1)}/api/models")
        assert headers["Link"].startswith("<http://elsewhere.example:8080/as-of/2025-01-10/api/models?")


def test_slow_pages_and_trickled_pages(archive: Path) -> None:
    # Which page is slowed is counted, not timed; elapsed times are only bounded from below.
    with LocalHub(archive, page_size=3, faults=FaultConfig(slow_seconds=0.4, slow_pages={2})) as hub:
        assert _get(f"{hub.url}/api/models")[0] == 200
        assert hub.stats["slowed"] == 0  # only the chosen page is slow
        started = time.monotonic()
        assert _get(f"{hub.url}/api/models")[0] == 200
        assert time.monotonic() - started >= 0.4 and hub.stats["slowed"] == 1
        assert _get(f"{hub.url}/api/models")[0] == 200
        assert hub.stats["slowed"] == 1 and hub.stats["pages_served"] == 3
    # Trickled over 3 s in pieces at most 0.15 s apart: a per-read timeout of 1.5 s (ten times a gap) never
    # fires although the whole answer takes twice as long.
    trickle, read_timeout = 3.0, 1.5
    with LocalHub(archive, page_size=3, faults=FaultConfig(trickle_seconds=trickle)) as hub:
        conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=read_timeout)
        started = time.monotonic()
        conn.request("GET", "/api/models")
        response = conn.getresponse()
        body = response.read()
        elapsed = time.monotonic() - started
        conn.close()
        assert response.status == 200 and len(_page_ids(body)) == 3 and hub.stats["trickled"] == 1
        step = -(-len(body) // 20)  # the server's 20 pieces, each after a pause of trickle / 20
        pieces = -(-len(body) // step)
        assert pieces * trickle / 20 > read_timeout  # the whole is longer than the per-read timeout ...
        assert elapsed >= pieces * trickle / 20  # ... and took at least that long


def test_a_lone_surrogate_in_the_archive_is_served_escaped(tmp_path: Path) -> None:
    item = json.loads('{"id": "org/a", "cardData": {"note": "\\ud800 half a pair"}}')
    write_snapshot(tmp_path, DAY1, [item])
    with LocalHub(tmp_path) as hub:
        status, _, body = _get(f"{hub.url}/api/models?full=true")
        assert status == 200 and b"\\ud800" in body and json.loads(body) == [item]
        _, _, body = _get(f"{hub.url}/api/models?expand=cardData")
        assert json.loads(body) == [item]


def test_cli_arguments_for_every_new_fault() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([
        "--no-rate-headers", "--no-retry-after", "--throttle-pages", "2,3", "--throttle-seconds", "0",
        "--html-rate", "0.1", "--empty-pages", "4", "--overlap-rate", "0.2", "--repeat-pages", "5",
        "--invalid-json-pages", "6", "--link-loop", "--link-host", "h:1", "--slow", "2", "--slow-pages", "7",
        "--trickle", "3", "--trickle-pages", "8", "--echo-headers",
    ])
    faults = faults_from_args(args)
    assert faults == FaultConfig(
        rate_limit_headers=False, retry_after=False, throttle_pages={2, 3}, throttle_seconds=0, html_rate=0.1,
        empty_pages={4}, overlap_rate=0.2, repeat_pages={5}, invalid_json_pages={6}, link_loop=True,
        link_host="h:1", slow_seconds=2, slow_pages={7}, trickle_seconds=3, trickle_pages={8}, echo_headers=True,
    )
    with pytest.raises(ValueError, match="throttle_seconds"):
        FaultConfig(throttle_seconds=-1)
    with pytest.raises(ValueError, match="empty_rate"):
        FaultConfig(empty_rate=2)
