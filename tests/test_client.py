"""The Hub client's page steps without a server: `classify_answer` and `decide` on hand-made answers.

The crawl against the local Hub (tests/test_ingestion.py, tests/test_faults.py, tests/test_secrets.py) shows the
steps together; here each rule of what is retried, refused or waited for is named on its own.
"""

from __future__ import annotations

import json

import httpx2
import pytest

from orchestration.hub.client import Decision, HubClient, Verdict, classify_answer, decide

PAGE = "http://127.0.0.1:8000/as-of/2025-03-01/api/models"
TOKEN = "hf_SecretSecretSecret"
REDACT = HubClient(source="live", endpoint="https://huggingface.co", token=TOKEN).redact
JSON = {"content-type": "application/json; charset=utf-8"}


def _answer(status: int = 200, body: object = (), headers: dict | None = None, raw: bytes | None = None):
    content = raw if raw is not None else json.dumps(body if body != () else []).encode()
    return httpx2.Response(status, headers={**JSON, **(headers or {})}, content=content,
                           request=httpx2.Request("GET", PAGE))


def _classify(answer, check=None) -> Verdict:
    return classify_answer(answer, REDACT, check)


def _no_backoff(attempt: int) -> float:
    raise AssertionError(f"backoff asked for after attempt {attempt}")


# ------------------------------------------------------------------------------------------------ classify


def test_a_json_list_is_a_page_and_its_relative_link_is_made_absolute():
    items = [{"id": "Qwen/Qwen2.5-7B"}]
    verdict = _classify(_answer(body=items, headers={"link": '</as-of/2025-03-01/api/models?cursor=abc>; rel="next"'}))
    assert verdict == Verdict("page", items=items,
                              next_url="http://127.0.0.1:8000/as-of/2025-03-01/api/models?cursor=abc")
    assert _classify(_answer(body=[])) == Verdict("page", items=[], next_url=None)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_with_the_hubs_words(status: int):
    verdict = _classify(_answer(status, body={"error": "busy"}))
    assert (verdict.kind, verdict.problem, verdict.asked_wait) == ("retry", f"HTTP {status}: busy", None)
    assert verdict.rate_limited is (status == 429)


def test_a_retry_after_header_is_the_wait_asked_for():
    verdict = _classify(_answer(503, headers={"retry-after": "7"}))
    assert (verdict.kind, verdict.asked_wait, verdict.asked_by, verdict.window_wait) == (
        "retry", 7.0, "Retry-After header", None)


def test_an_exhausted_rate_limit_window_is_the_wait_on_any_answer():
    limited = _classify(_answer(429, headers={"ratelimit": '"api";r=0;t=9', "retry-after": "9"}))
    assert (limited.kind, limited.rate_limited, limited.asked_wait, limited.asked_by, limited.window_wait) == (
        "retry", True, 9.05, "RateLimit header", 9.05)
    # A good page that used the window's last request: the page, and the window to respect before the next.
    page = _classify(_answer(body=[{"id": "a/b"}], headers={"ratelimit": '"api";r=0;t=3'}))
    assert (page.kind, page.window_wait, page.asked_wait) == ("page", 3.05, None)
    assert _classify(_answer(body=[], headers={"ratelimit": '"api";r=5;t=3'})).window_wait is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_other_client_errors_are_fatal(status: int):
    verdict = _classify(_answer(status, body={"error": "no such thing"}))
    assert verdict.kind == "fatal"
    assert verdict.problem.startswith(f" was refused by the Hub (HTTP {status})")
    assert verdict.problem.endswith(": no such thing; nothing was written for this snapshot")


@pytest.mark.parametrize("status", [201, 204, 301, 302, 304])
def test_other_statuses_below_400_are_retried(status: int):
    verdict = _classify(_answer(status, raw=b""))
    assert (verdict.kind, verdict.problem) == ("retry", f"unexpected HTTP {status} (a listing page is answered 200)")


def test_an_answer_that_is_not_json_is_retried():
    proxy = _classify(_answer(headers={"content-type": "text/html"}, raw=b"<html>502 Bad Gateway</html>"))
    assert (proxy.kind, proxy.problem) == ("retry", "the answer is text/html, not JSON (a proxy's error page?)")
    truncated = _classify(_answer(raw=b'[{"id": "a/b"}, {"id": "c/'))
    assert truncated.kind == "retry" and truncated.problem.startswith("invalid or truncated JSON (")
    assert _classify(_answer(headers={"content-type": "application/vnd.hub+json"}, body=[])).kind == "page"


def test_json_that_is_not_a_list_is_fatal():
    verdict = _classify(_answer(body={"error": "listing disabled"}))
    assert verdict == Verdict("fatal", problem=" is a JSON dict, expected a list: listing disabled")


def test_a_link_elsewhere_or_unusable_is_fatal():
    elsewhere = _classify(_answer(body=[], headers={"link": '<https://evil.example/api/models?p=2>; rel="next"'}))
    assert elsewhere.kind == "fatal"
    assert elsewhere.problem.startswith(" links to another host (evil.example): refusing to follow it")
    other_port = _classify(_answer(body=[], headers={"link": '<http://127.0.0.1:9/api/models>; rel="next"'}))
    assert other_port.kind == "fatal" and "another host (127.0.0.1)" in other_port.problem
    unusable = _classify(_answer(body=[], headers={"link": '<ftp://127.0.0.1:8000/x>; rel="next"'}))
    assert unusable.kind == "fatal" and unusable.problem.startswith(" has a Link header that is not a usable URL")


def test_check_objects_to_a_page_and_sees_its_next_url():
    seen = []

    def check(items: list, next_url: str | None) -> str | None:
        seen.append((items, next_url))
        return "a replay"

    verdict = _classify(_answer(body=[{"id": "a/b"}], headers={"link": '<?cursor=2>; rel="next"'}), check)
    assert (verdict.kind, verdict.problem) == ("retry", "a replay")
    assert seen == [([{"id": "a/b"}], f"{PAGE}?cursor=2")]


def test_no_answer_is_retried_as_described():
    assert _classify("ReadTimeout: timed out") == Verdict("retry", problem="ReadTimeout: timed out")


def test_the_token_is_redacted_from_what_the_hub_says():
    refused = _classify(_answer(403, body={"error": f"bad header authorization: Bearer {TOKEN}"}))
    retried = _classify(_answer(503, body={"error": f"echo {TOKEN}"}))
    typed = _classify(_answer(headers={"content-type": f"text/{TOKEN}"}, raw=b"x"))
    for verdict in (refused, retried, typed):
        assert TOKEN not in verdict.problem and "<redacted>" in verdict.problem, verdict


# ------------------------------------------------------------------------------------------------ decide


def test_a_page_is_accepted_and_its_window_held():
    assert decide(Verdict("page", items=[]), 1, 3, 60, _no_backoff) == Decision("accept")
    assert decide(Verdict("page", items=[], window_wait=3.05), 1, 3, 60, _no_backoff) == Decision("accept", hold=3.05)


def test_trouble_is_retried_after_the_asked_wait_else_the_backoff():
    assert decide(Verdict("retry", problem="HTTP 503"), 2, 3, 60, lambda n: n * 0.5) == Decision("retry", wait=1.0)
    asked = Verdict("retry", problem="HTTP 429", asked_wait=9.05, asked_by="RateLimit header", window_wait=9.05)
    assert decide(asked, 1, 3, 60, _no_backoff) == Decision("retry", wait=9.05, hold=9.05)
    assert decide(Verdict("retry", asked_wait=0.0), 1, 3, 60, _no_backoff) == Decision("retry", wait=0.0)


def test_the_last_attempt_gives_up_with_the_last_problem():
    decision = decide(Verdict("retry", problem="HTTP 502"), 3, 3, 60, _no_backoff)
    assert decision == Decision(
        "fail", error=" failed after 3 attempts (last: HTTP 502); nothing was written for this snapshot")


def test_a_fatal_answer_fails_at_the_first_attempt():
    decision = decide(Verdict("fatal", problem=" was refused", window_wait=2.0), 1, 6, 60, _no_backoff)
    assert decision == Decision("fail", hold=2.0, error=" was refused")


@pytest.mark.parametrize("kind", ["page", "retry", "fatal"])
def test_a_rate_limit_window_beyond_the_limit_fails_whatever_the_answer(kind: str):
    decision = decide(Verdict(kind, items=[], window_wait=3600.05), 1, 6, 600, _no_backoff)
    assert decision == Decision("fail", error=(
        ": the Hub asked to wait 3600s (RateLimit header), more than max_wait_seconds=600; "
        "nothing was written for this snapshot"))


@pytest.mark.parametrize("asked", [601.0, float("inf")])
def test_a_retry_after_beyond_the_limit_fails_even_with_attempts_left(asked: float):
    verdict = Verdict("retry", problem="HTTP 503", asked_wait=asked, asked_by="Retry-After header")
    decision = decide(verdict, 1, 6, 600, _no_backoff)
    assert decision.action == "fail" and decision.hold is None
    assert decision.error.startswith(f": the Hub asked to wait {asked:.0f}s (Retry-After header), more than")
    assert decide(Verdict("retry", asked_wait=600.0), 1, 6, 600, _no_backoff) == Decision("retry", wait=600.0)
