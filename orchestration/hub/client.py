"""`HubClient`: fetches one day's snapshot of the scope from the Hub (live) or the local Hub (archive).

It talks to the Hub through `huggingface_hub`'s own HTTP layer (its shared session, the headers
`build_hf_headers` would send, `hf_raise_for_status` and `parse_ratelimit_headers`) and walks the same
`/api/models` pages as `HfApi.list_models`. It does not call `list_models` itself because that turns every item
into a `ModelInfo` (renaming and re-typing fields, dropping raw JSON) and hides what a crawl needs to be observable
and polite: page counts, retries, and the `RateLimit` headers to pace by. The local Hub is checked against
`HfApi.list_models` in the tests, so both paths see the same server.

A crawl either returns every item of the scope or raises `HubFetchError` with the page, the attempts and the last
problem, before anything is written. Transient trouble is retried (`_get_page`: fetch, then the pure steps
`classify_answer` and `decide`); a listing that lies is caught (see `iter_query`); waits the Hub asks for are obeyed
up to `max_wait_seconds`; the token goes only to the live Hub, only over https (or to this machine), never along a
`Link` to another host, and is redacted from every message. RELIABILITY.md lists each fault and what the client
does about it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import math
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import dagster as dg
from pydantic import Field, PrivateAttr

from orchestration.hub.archive import loads as decode_json
from orchestration.hub.loopback import is_loopback_host
from orchestration.hub.scope import ModelQuery, Scope
from orchestration.hub.snapshots import EXPAND_FIELDS

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDACTED = "<redacted>"

__all__ = ["Decision", "HubClient", "HubFetchError", "InsecureEndpointError", "LiveHistoryError",
           "MissingSnapshotError", "Verdict", "classify_answer", "decide", "decode_json"]


class HubFetchError(RuntimeError):
    """A listing that could not be fetched completely; nothing of the partition is written."""


class MissingSnapshotError(ValueError):
    """The local archive has no snapshot for the requested date."""


class LiveHistoryError(ValueError):
    """The live Hub only shows today's state: a past snapshot date cannot be fetched from it."""


class InsecureEndpointError(ValueError):
    """The token would travel in clear text (plain `http://` to a host other than this machine)."""


class _SlowAnswer(Exception):
    """An answer that did not arrive whole within the client's timeout."""


@dataclass
class FetchStats:
    """What a snapshot crawl cost: shown as metadata in the Dagster UI."""

    requests: int = 0
    pages: int = 0
    items: int = 0
    retries: int = 0
    rate_limited: int = 0
    empty_pages_reread: int = 0
    seconds_waited: float = 0.0
    listings: int = 0
    children_listings: int = 0
    children_items: int = 0
    per_query: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict:
        """The figures as flat Dagster metadata (per-listing counts stay in `per_query` and the logs)."""
        return {
            "requests": self.requests,
            "pages_fetched": self.pages,
            "items_fetched": self.items,
            "listings": self.listings,
            "children_listings": self.children_listings,
            "children_items": self.children_items,
            "retries": self.retries,
            "rate_limited_responses": self.rate_limited,
            "empty_pages_reread": self.empty_pages_reread,
            "seconds_waiting": round(self.seconds_waited, 3),
        }


class _Pacer:
    """Keeps the crawl inside the Hub's fixed-window rate limit, from the `RateLimit` headers it sends."""

    def __init__(self, sleep: Callable[[float], None], clock: Callable[[], float] = time.monotonic):
        self._sleep = sleep
        self._clock = clock
        self._resume_at = 0.0

    def before_request(self, stats: FetchStats) -> None:
        wait = self._resume_at - self._clock()
        if wait > 0:
            stats.seconds_waited += wait
            self._sleep(wait)

    def hold(self, wait: float) -> None:
        """No request before `wait` seconds from now (the caller has checked the wait is acceptable)."""
        self._resume_at = max(self._resume_at, self._clock() + wait)


def _window_wait(headers) -> float | None:
    """The seconds until the `RateLimit` window resets when an answer says no request is left (None otherwise)."""
    from huggingface_hub.utils import parse_ratelimit_headers

    info = parse_ratelimit_headers(headers)
    if info is None or info.remaining > 0:
        return None
    # `t` is whole seconds, rounded by the server: a small margin avoids landing just before the reset.
    return float(info.reset_in_seconds) + 0.05


def _retry_after(headers) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date); None when absent or unreadable.

    `inf` and absurd values come back as they are: the caller refuses waits beyond its limit.
    """
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of a URL; None when it is not a usable http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port


def _short(text: str, limit: int = 300) -> str:
    """One line of at most `limit` characters: what a server says is not to flood a log or an exception."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _hub_message(response, redact: Callable[[str], str]) -> str:
    """The Hub's own words about an error answer (its JSON `error` field), redacted then shortened."""
    try:
        error = decode_json(response.content).get("error")
    except (ValueError, AttributeError):
        return ""
    if not isinstance(error, str) or not error.strip():
        return ""
    return f": {_short(redact(error), 200)}"


# ---------------------------------------------------------------------------------------------- one page, in steps
# `HubClient._get_page` fetches (one HTTP exchange), then `classify_answer` says what the answer is and `decide`
# what to do about it. Both are pure: the tests give them hand-made answers, no server needed.
@dataclass(frozen=True)
class Verdict:
    """What one answer to a page request is (`classify_answer`).

    `kind` is `page` (items and the next page's URL), `retry` (transient trouble: `problem` says which) or `fatal`
    (`problem` is the error, as it reads after "<listing>: page <n>"). `window_wait` is the `RateLimit` window's
    reset when no request is left, whatever the answer; `asked_wait` what a retryable status asked for, from the
    header `asked_by`.
    """

    kind: Literal["page", "retry", "fatal"]
    items: list | None = None
    next_url: str | None = None
    problem: str = ""
    window_wait: float | None = None
    asked_wait: float | None = None
    asked_by: str = ""
    rate_limited: bool = False


@dataclass(frozen=True)
class Decision:
    """What to do after an attempt (`decide`): `accept` the page, `retry` after `wait` seconds, or `fail` with
    `error` (as it reads after "<listing>: page <n>"). `hold` is a wait the pacer keeps before any next request."""

    action: Literal["accept", "retry", "fail"]
    wait: float = 0.0
    hold: float | None = None
    error: str = ""


def _refusal_detail(response, redact: Callable[[str], str]) -> str:
    """The first line of what `hf_raise_for_status` makes of a refused answer, redacted then shortened."""
    from huggingface_hub.errors import HfHubHTTPError
    from huggingface_hub.utils import hf_raise_for_status

    try:
        hf_raise_for_status(response)
    except HfHubHTTPError as exc:
        first = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f": {_short(redact(first))}"
    except Exception:  # noqa: BLE001 (huggingface_hub failed to read an odd error body)
        return ""
    return ""


def _next_page_url(response, redact: Callable[[str], str]) -> tuple[str | None, str | None]:
    """(the `Link: rel="next"` URL made absolute, None) or (None, why the link cannot be followed).

    Only a link on the origin the page came from is followed, so a stray or hostile link can neither send the
    crawl (and the token) elsewhere.
    """
    import httpx2

    link = response.links.get("next", {}).get("url")
    if not link:
        return None, None
    try:
        next_url = str(response.request.url.join(link))
    except (httpx2.InvalidURL, ValueError):
        next_url = None
    origin = _origin(next_url) if next_url else None
    if origin is None:
        return None, (f" has a Link header that is not a usable URL ({_short(redact(link), 120)!r}); "
                      "nothing was written for this snapshot")
    if origin != _origin(str(response.request.url)):
        return None, (f" links to another host ({origin[1]}): refusing to follow it; "
                      "nothing was written for this snapshot")
    return next_url, None


def _classify_page(response, redact: Callable[[str], str],
                   check: Callable[[list, str | None], str | None] | None) -> Verdict:
    """A 200 answer: a JSON list is a page (unless its link or `check` objects), anything else is trouble."""
    content_type = response.headers.get("content-type")
    if not _is_json(content_type):
        shown = _short(redact(content_type or "untyped"), 80)
        return Verdict("retry", problem=f"the answer is {shown}, not JSON (a proxy's error page?)")
    try:
        data = decode_json(response.content)
    except ValueError as exc:
        return Verdict("retry", problem=_short(redact(
            f"invalid or truncated JSON ({getattr(exc, 'msg', exc)} at byte {getattr(exc, 'pos', '?')})"
        )))
    if not isinstance(data, list):
        return Verdict("fatal", problem=(
            f" is a JSON {type(data).__name__}, expected a list{_hub_message(response, redact)}"
        ))
    next_url, bad_link = _next_page_url(response, redact)
    if bad_link is not None:
        return Verdict("fatal", problem=bad_link)
    problem = check(data, next_url) if check is not None else None
    if problem is not None:
        return Verdict("retry", problem=problem)
    return Verdict("page", items=data, next_url=next_url)


def classify_answer(answer, redact: Callable[[str], str],
                    check: Callable[[list, str | None], str | None] | None = None) -> Verdict:
    """What one exchange brought: `answer` is the whole response, or a string saying why none arrived.

    Retryable: no answer (reset, refused, timeout, too slow), 408/429/5xx, another status than 200 below 400, a
    content type or body that is not JSON (a proxy's error page, a truncated page), and whatever `check` objects to
    in a page's items and next URL. Fatal: other 4xx, a JSON body that is not a list, a `Link` that is unusable or
    leads to another host. Everything the server said passes through `redact` before it is shortened.
    """
    if isinstance(answer, str):
        return Verdict("retry", problem=answer)
    window = _window_wait(answer.headers)
    status = answer.status_code
    if status in RETRY_STATUSES:
        asked, asked_by = (window, "RateLimit header") if window is not None else (
            _retry_after(answer.headers), "Retry-After header")
        verdict = Verdict("retry", problem=f"HTTP {status}{_hub_message(answer, redact)}", asked_wait=asked,
                          asked_by=asked_by, rate_limited=status == 429)
    elif status >= 400:
        verdict = Verdict("fatal", problem=(
            f" was refused by the Hub (HTTP {status}){_refusal_detail(answer, redact)}"
            f"{_hub_message(answer, redact)}; nothing was written for this snapshot"
        ))
    elif status != 200:
        verdict = Verdict("retry", problem=f"unexpected HTTP {status} (a listing page is answered 200)")
    else:
        verdict = _classify_page(answer, redact, check)
    return replace(verdict, window_wait=window)


def _too_long(wait: float, why: str, max_wait_seconds: float) -> str:
    return (f": the Hub asked to wait {wait:.0f}s ({why}), more than max_wait_seconds={max_wait_seconds:g}; "
            "nothing was written for this snapshot")


def decide(verdict: Verdict, attempt: int, max_attempts: int, max_wait_seconds: float,
           backoff: Callable[[int], float]) -> Decision:
    """Accept, retry or fail after attempt number `attempt` brought `verdict`.

    A wait the Hub asks for beyond `max_wait_seconds` fails at once (a `RateLimit` window even on a good page),
    as does a fatal answer; trouble is retried after the wait the Hub asked for, else after `backoff(attempt)`,
    until `max_attempts` attempts are spent. The pacer holds any acceptable `RateLimit` window.
    """
    window = verdict.window_wait
    if window is not None and window > max_wait_seconds:
        return Decision("fail", error=_too_long(window, "RateLimit header", max_wait_seconds))
    if verdict.kind == "page":
        return Decision("accept", hold=window)
    if verdict.kind == "fatal":
        return Decision("fail", hold=window, error=verdict.problem)
    if verdict.asked_wait is not None and verdict.asked_wait > max_wait_seconds:
        return Decision("fail", hold=window, error=_too_long(verdict.asked_wait, verdict.asked_by, max_wait_seconds))
    if attempt >= max_attempts:
        return Decision("fail", hold=window, error=(
            f" failed after {max_attempts} attempts (last: {verdict.problem}); nothing was written for this snapshot"
        ))
    wait = verdict.asked_wait if verdict.asked_wait is not None else backoff(attempt)
    return Decision("retry", wait=wait, hold=window)


@dataclass(frozen=True)
class _ServedHub:
    url: str

    def endpoint(self, day: dt.date) -> str:
        return f"{self.url}/as-of/{day.isoformat()}"


class HubClient(dg.ConfigurableResource):
    """The Hugging Face Hub as a source of daily snapshots: `live` (HF_ENDPOINT) or `local` (an archive).

    `local` serves an archive folder through the project's own Hub-compatible server on loopback
    (started in-process unless `endpoint` points at a running `hubpulse serve-hub`), date by date, so past
    partitions go through exactly the code the live Hub does.
    """

    source: Literal["live", "local"] = Field(default="local", description="`live` Hub or `local` archive")
    endpoint: str | None = Field(
        default=None, description="Hub URL; live: HF_ENDPOINT (default the public Hub); local: a serve-hub URL"
    )
    archive_dir: str | None = Field(default=None, description="local source: the archive folder to serve")
    token: str | None = Field(
        default=None, repr=False, description="Hub token (dg.EnvVar('HF_TOKEN')); never logged or stored"
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="limit for a whole answer, first byte to last")
    max_attempts: int = Field(default=6, ge=1, description="attempts per page before the partition fails")
    backoff_base_seconds: float = Field(default=1.0, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    max_wait_seconds: float = Field(
        default=600.0, ge=0,
        description="longest wait the Hub may ask for (RateLimit / Retry-After) before the partition fails instead",
    )
    max_pages_per_listing: int = Field(
        default=20_000, ge=1, description="pages one listing may take before it is deemed endless (full Hub: ~2,500)"
    )
    local_page_size: int = Field(default=1000, ge=1, description="page size of the in-process local Hub")

    # Every wait goes through `_sleep`, and the rate-limit pacing reads `_clock`: a test replaces both (a fake clock
    # its recorded sleeps advance) to check which waits the client asks for without spending or timing them.
    _sleep: Callable[[float], None] = PrivateAttr(default=time.sleep)
    _clock: Callable[[], float] = PrivateAttr(default=time.monotonic)
    # One pacer per resource instance: the Hub's window counts every request of the run, across days.
    _pacer: _Pacer | None = PrivateAttr(default=None)

    # ------------------------------------------------------------------ endpoints
    def check_date(self, day: dt.date, today: dt.date | None = None) -> None:
        """Refuse a snapshot date the source cannot describe (live: only today or the day just ended)."""
        self.check_dates([day], today=today)

    def check_dates(self, days: list[dt.date], today: dt.date | None = None) -> None:
        """`check_date` for many dates, listing a local archive once."""
        if self.source != "live":
            if not self.endpoint and self.archive_dir:
                self._check_archive_has(days)
            return
        self.check_token_transport()
        for day in days:
            self._check_live_date(day, today)

    def check_token_transport(self) -> None:
        """Refuse to send the token in clear text: over `http://` only to this machine (a test Hub)."""
        if self.source != "live" or not self.token:
            return
        from huggingface_hub import constants

        origin = _origin(self.endpoint or constants.ENDPOINT)
        scheme, host = origin[:2] if origin else ("?", str(self.endpoint))
        if scheme != "https" and not is_loopback_host(host):
            raise InsecureEndpointError(
                f"refusing to send HF_TOKEN to {scheme}://{host}: use an https:// endpoint (HF_ENDPOINT), or unset "
                "HF_TOKEN to crawl anonymously"
            )

    def _check_live_date(self, day: dt.date, today: dt.date | None) -> None:
        today = today or dt.datetime.now(dt.UTC).date()
        if day > today:
            raise LiveHistoryError(f"snapshot {day} is in the future (today is {today} UTC)")
        if day < today - dt.timedelta(days=1):
            raise LiveHistoryError(
                f"snapshot {day} is in the past: the live Hub only shows today's state ({today} UTC), so a past "
                "date cannot be fetched from it. Load history from an archive instead: "
                "`hubpulse import-archive DIR`, or set HUBPULSE_SOURCE=local with HUBPULSE_ARCHIVE=DIR."
            )

    def _check_archive_has(self, days: list[dt.date]) -> None:
        from orchestration.hub.archive import list_snapshots

        dates = list_snapshots(Path(self.archive_dir))
        missing = [day for day in days if day not in dates]
        if missing:
            span = f"{min(dates)} .. {max(dates)} ({len(dates)} dates)" if dates else "no dates at all"
            also = f" and {len(missing) - 1} more date(s)" if len(missing) > 1 else ""
            raise MissingSnapshotError(
                f"the local archive {self.archive_dir} has no snapshot for {missing[0]}{also} (it holds {span}): "
                "a day the Hub was not crawled cannot be materialized; the warehouse spreads the next day's "
                "downloads over the gap"
            )

    @contextlib.contextmanager
    def serving(self) -> Iterator[Callable[[dt.date], str]]:
        """Yield a function giving the base URL that serves the Hub as of a date.

        For the local source without `endpoint`, one in-process local Hub serves the whole block, so a
        backfill of many days starts one server, not one per day.
        """
        if self.source == "live":
            from huggingface_hub import constants

            base = (self.endpoint or constants.ENDPOINT).rstrip("/")
            yield lambda _day: base
        elif self.endpoint:
            base = self.endpoint.rstrip("/")
            yield lambda day: f"{base}/as-of/{day.isoformat()}"
        else:
            with self.local_hub() as hub:
                yield hub.endpoint

    @contextlib.contextmanager
    def local_hub(self):
        """A local Hub over `archive_dir` for the duration of the block, as a child process.

        A process of its own gives the server its own core and GIL: it parses the next date while the
        client parses this one. It exits when this process closes its stdin, even if this one is killed.
        """
        if not self.archive_dir:
            raise ValueError("HubClient(source='local') needs archive_dir (HUBPULSE_ARCHIVE) or endpoint")
        archive = Path(self.archive_dir)
        if not archive.is_dir():
            raise FileNotFoundError(
                f"archive folder {archive} does not exist: create one with `hubpulse simulate --out {archive}`"
            )
        command = [
            sys.executable, "-m", "orchestration.cli.main", "serve-hub", "--archive", str(archive),
            "--host", "127.0.0.1", "--port", "0", "--page-size", str(self.local_page_size),
            "--cache-dates", "3", "--prefetch-next", "--exit-with-stdin",
        ]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            url = process.stdout.readline().strip()
            if not url.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"the local Hub did not start (exit code {process.poll()}); see its stderr above")
            yield _ServedHub(url)
        finally:
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()

    # ------------------------------------------------------------------ fetching
    def _headers(self) -> dict:
        """What `huggingface_hub.utils.build_hf_headers(token=..., library_name="hubpulse")` sends, built here.

        Only the live Hub gets the token, and never a cached `huggingface-cli login`. build_hf_headers itself is not
        called: since huggingface_hub 2.x it fetches an "agent harness" registry from the Hub on first use (a
        call home, and a 3 s stall on a machine without network) unless HF_HUB_DISABLE_TELEMETRY is set.
        """
        import huggingface_hub

        headers = {
            "user-agent": f"hubpulse/0.1.0; hf_hub/{huggingface_hub.__version__}; python/{platform.python_version()}"
        }
        if self.source == "live" and self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return headers

    def redact(self, text: str) -> str:
        """`text` with the token (should anything ever echo it) replaced; every message the client emits passes here."""
        if self.token and len(self.token) >= 4:
            text = text.replace(self.token, REDACTED)
        return text

    def _backoff(self, attempt: int) -> float:
        base = self.backoff_base_seconds * (2 ** (attempt - 1))
        # Deterministic-enough jitter keeps two crawlers from retrying in lockstep.
        return min(self.backoff_max_seconds, base) * (0.75 + 0.5 * random.random())

    def _receive(self, url: str, params: dict | None, headers: dict):
        """GET `url` and read the whole answer within `timeout_seconds`, first byte to last.

        httpx's timeout bounds each read, so a server trickling a byte at a time would hold a crawl forever;
        the body is streamed here against one deadline instead.
        """
        import httpx2
        from huggingface_hub.utils import get_session

        deadline = time.monotonic() + self.timeout_seconds
        with get_session().stream("GET", url, params=params, headers=headers, timeout=self.timeout_seconds) as answer:
            chunks = []
            for chunk in answer.iter_raw():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _SlowAnswer(f"the answer took longer than {self.timeout_seconds:g}s to arrive whole")
            # A complete (non-streaming) response, decoded once from the raw bytes, for the usual helpers.
            return httpx2.Response(answer.status_code, headers=answer.headers, content=b"".join(chunks),
                                   request=answer.request)

    def _fetch(self, url: str, params: dict | None, headers: dict):
        """One HTTP exchange: the whole response, or a string saying why none came (transport error, too slow)."""
        import httpx2

        try:
            return self._receive(url, params, headers)
        except _SlowAnswer as exc:
            return str(exc)
        except (httpx2.TransportError, httpx2.DecodingError, httpx2.StreamError) as exc:
            return _short(self.redact(f"{type(exc).__name__}: {exc}"))

    def _get_page(self, url: str, params: dict | None, query: ModelQuery, page_no: int,
                  stats: FetchStats, pacer: _Pacer, log: Callable[[str], None],
                  check: Callable[[list, str | None], str | None] | None = None) -> tuple[list, str | None]:
        """One page, retried on transient trouble: (items, absolute URL of the next page or None).

        Each attempt fetches (`_fetch`), classifies the answer (`classify_answer`: what is retried and what is
        refused) and decides (`decide`: the wait, or the end); `check` may object to a page's items.
        """
        headers = self._headers()
        where = f"{query.name}: page {page_no}"
        attempt = 0
        while True:
            attempt += 1
            pacer.before_request(stats)
            stats.requests += 1
            verdict = classify_answer(self._fetch(url, params, headers), self.redact, check)
            stats.rate_limited += verdict.rate_limited
            decision = decide(verdict, attempt, self.max_attempts, self.max_wait_seconds, self._backoff)
            if decision.hold is not None:
                pacer.hold(decision.hold)
            if decision.action == "fail":
                raise HubFetchError(self.redact(f"{where}{decision.error}"))
            if decision.action == "accept":
                return verdict.items, verdict.next_url
            stats.retries += 1
            stats.seconds_waited += decision.wait
            log(self.redact(f"{where} attempt {attempt} failed ({verdict.problem}); retrying in {decision.wait:.1f}s"))
            self._sleep(decision.wait)

    def iter_query(self, base_url: str, query: ModelQuery, stats: FetchStats, pacer: _Pacer,
                   log: Callable[[str], None] = lambda _m: None) -> Iterator[dict]:
        """Yield every item of one listing, page by page, following the `Link` header.

        Guards against a listing that lies: a page listing only models this listing already gave (a `Link` that
        loops back, a replayed page) is read again, then fails the listing; an empty page is read a second time
        before it is believed (at once for a first page the Hub answered as complete, after a backoff otherwise),
        and fails the listing if a previous page linked to it; a `Link` to another host,
        back to a page already read, or more than `max_pages_per_listing` pages fail it.
        """
        first_params = {**query.params(), "expand": list(EXPAND_FIELDS)}
        params: dict | None = first_params
        url: str | None = f"{base_url}/api/models"
        page_no = 0
        seen_urls: set[str] = set()
        seen_ids: set[str] = set()
        fetched = 0

        def not_a_replay(items: list, _next_url: str | None) -> str | None:
            ids = {item.get("id") for item in items if isinstance(item, dict) and type(item.get("id")) is str}
            if ids and ids <= seen_ids:
                return "the page lists only models this listing already gave (a Link that loops back, or a replay)"
            return None

        while url is not None:
            page_no += 1
            if page_no > self.max_pages_per_listing:
                raise HubFetchError(self.redact(
                    f"{query.name}: more than {self.max_pages_per_listing} pages: the listing does not end"
                ))
            items, next_url = self._get_page(url, params, query, page_no, stats, pacer, log, not_a_replay)
            if not items:
                # Believe an empty page only when it says so twice: a transient empty answer (a page dropped on
                # the way) would otherwise end the listing early, silently.
                stats.empty_pages_reread += 1
                if page_no > 1 or next_url is not None:
                    # The Hub said there was more (a Link here or to here): give a dropped page time to come back.
                    log(f"{query.name}: page {page_no} is empty; reading it again before ending the listing there")
                    self._sleep(self._backoff(1))
                # An empty first page without a Link is the Hub's usual answer for an organisation with no public
                # model or a base without children (about 500 a day under the default scope, bench/scope.py):
                # re-read at once and silently (counted in `empty_pages_reread`; a log line is a stored event),
                # as a backoff each would cost about a second per listing (75-90 s a day over 121 organisations).
                items, next_url = self._get_page(url, params, query, page_no, stats, pacer, log, not_a_replay)
                if not items and page_no > 1:
                    # The previous page linked here, so the Hub itself said there was more.
                    raise HubFetchError(self.redact(
                        f"{query.name}: page {page_no} is empty twice although page {page_no - 1} linked to it: "
                        "the listing broke off; nothing was written for this snapshot"
                    ))
            stats.pages += 1
            params = None  # the next link carries the query
            for item in items:
                if query.limit is not None and fetched >= query.limit:
                    return
                fetched += 1
                if isinstance(item, dict) and type(item.get("id")) is str:
                    seen_ids.add(item["id"])
                yield item
            if query.limit is not None and fetched >= query.limit:
                return
            if next_url is not None:
                if next_url in seen_urls:
                    raise HubFetchError(self.redact(
                        f"{query.name}: the Link header of page {page_no} loops back to a page already read"
                    ))
                seen_urls.add(next_url)
            url = next_url

    def fetch_snapshot(self, day: dt.date, scope: Scope, base_url: str,
                       log: Callable[[str], None] = lambda _m: None) -> tuple[list[dict], FetchStats]:
        """Every item of the scope as of `day` from `base_url`, in query order (duplicates kept for merging).

        Two phases: the scope's author and top-N listings, then the children listings of the tracked
        organisations' models those returned (`Scope.children_queries`; none for a full crawl or with
        derivatives off). A model found by several listings is kept several times here; `build_snapshot_rows`
        keeps its first copy.

        The caller checks the date first (`check_dates`); a live-source date is checked here again since it
        costs nothing and a past date must never be fetched from the live Hub. A scope that lists no model at
        all fails: an empty snapshot is never the Hub's real state, and writing it would replace good data.
        """
        if self.source == "live":
            self.check_token_transport()
            self._check_live_date(day, None)
        stats = FetchStats()
        if self._pacer is None:
            self._pacer = _Pacer(self._sleep, self._clock)
        pacer = self._pacer
        items: list[dict] = []
        started = time.monotonic()
        queries = scope.queries()
        self._run_listings(day, queries, base_url, items, stats, pacer, log, started)
        children = scope.children_queries(items)
        if children:
            log(f"{day}: {len(children)} children listings of the tracked organisations' models, after "
                f"{len(queries)} listings ({stats.pages} pages, {len(items)} items, {time.monotonic() - started:.1f}s)")
            before = len(items)
            self._run_listings(day, children, base_url, items, stats, pacer, log, started)
            stats.children_listings = len(children)
            stats.children_items = len(items) - before
        stats.listings = len(queries) + len(children)
        stats.items = len(items)
        if not items:
            raise HubFetchError(
                f"{day}: the Hub listed no model at all for the scope ({len(queries)} listing(s), {stats.pages} "
                "page(s)); refusing to write an empty snapshot over the partition"
            )
        return items, stats

    def _run_listings(self, day: dt.date, queries: list[ModelQuery], base_url: str, items: list[dict],
                      stats: FetchStats, pacer: _Pacer, log: Callable[[str], None], started: float) -> None:
        """Append every item of `queries` to `items`, with a progress line every 50 listings."""
        for index, query in enumerate(queries, start=1):
            before = len(items)
            items.extend(self.iter_query(base_url, query, stats, pacer, log))
            stats.per_query[query.name] = len(items) - before
            if index % 50 == 0 and index < len(queries):
                log(f"{day}: {index}/{len(queries)} listings, {stats.pages} pages, {len(items)} items, "
                    f"{time.monotonic() - started:.1f}s")
