"""`HubClient`: fetches one day's snapshot of the scope from the Hub (live) or the local Hub (archive).

It talks to the Hub through `huggingface_hub`'s own HTTP layer (its shared session, `build_hf_headers`,
`hf_raise_for_status` and `parse_ratelimit_headers`) and walks the same `/api/models` pages as
`HfApi.list_models`. It does not call `list_models` itself because that turns every item into a `ModelInfo`
(renaming and re-typing fields, dropping raw JSON) and hides what a crawl needs to be observable and polite:
page counts, retries, and the `RateLimit` headers to pace by. The local Hub is checked against
`HfApi.list_models` in the tests, so both paths see the same server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import dagster as dg
import orjson
from pydantic import Field, PrivateAttr

from orchestration.hub.scope import ModelQuery, Scope
from orchestration.hub.snapshots import EXPAND_FIELDS

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def decode_json(payload: bytes):
    """Parse a response body: orjson for speed, the standard library for what orjson refuses (NaN, 1e400)."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(payload)


class HubFetchError(RuntimeError):
    """A listing that could not be fetched completely; nothing of the partition is written."""


class MissingSnapshotError(ValueError):
    """The local archive has no snapshot for the requested date."""


class LiveHistoryError(ValueError):
    """The live Hub only shows today's state: a past snapshot date cannot be fetched from it."""


@dataclass
class FetchStats:
    """What a snapshot crawl cost: shown as metadata in the Dagster UI."""

    requests: int = 0
    pages: int = 0
    items: int = 0
    retries: int = 0
    rate_limited: int = 0
    seconds_waited: float = 0.0
    per_query: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict:
        return {
            "requests": self.requests,
            "pages_fetched": self.pages,
            "items_fetched": self.items,
            "retries": self.retries,
            "rate_limited_responses": self.rate_limited,
            "seconds_waiting": round(self.seconds_waited, 3),
        }


class _Pacer:
    """Keeps the crawl inside the Hub's fixed-window rate limit, from the `RateLimit` headers it sends."""

    def __init__(self, sleep: Callable[[float], None]):
        self._sleep = sleep
        self._resume_at = 0.0

    def before_request(self, stats: FetchStats) -> None:
        wait = self._resume_at - time.monotonic()
        if wait > 0:
            stats.seconds_waited += wait
            self._sleep(wait)

    def observe(self, headers) -> float | None:
        """Record a response's limit state; return the seconds until the window resets when none are left."""
        from huggingface_hub.utils import parse_ratelimit_headers

        info = parse_ratelimit_headers(headers)
        if info is None:
            return None
        if info.remaining <= 0:
            # `t` is whole seconds, rounded by the server: a small margin avoids landing just before the reset.
            wait = float(info.reset_in_seconds) + 0.05
            self._resume_at = max(self._resume_at, time.monotonic() + wait)
            return wait
        return None


def _retry_after(headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


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
    token: str | None = Field(default=None, description="Hub token (from HF_TOKEN); never logged or stored")
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=6, ge=1, description="attempts per page before the partition fails")
    backoff_base_seconds: float = Field(default=1.0, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    local_page_size: int = Field(default=1000, ge=1, description="page size of the in-process local Hub")

    _sleep: Callable[[float], None] = PrivateAttr(default=time.sleep)
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
        for day in days:
            self._check_live_date(day, today)

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
            sys.executable, "-m", "orchestration.cli", "serve-hub", "--archive", str(archive),
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
        from huggingface_hub.utils import build_hf_headers

        # Only the live Hub gets the token; `False` stops huggingface_hub from reading a cached login.
        token = self.token if (self.source == "live" and self.token) else False
        return build_hf_headers(token=token, library_name="hubpulse", library_version="0.1.0")

    def _backoff(self, attempt: int) -> float:
        base = self.backoff_base_seconds * (2 ** (attempt - 1))
        # Deterministic-enough jitter keeps two crawlers from retrying in lockstep.
        return min(self.backoff_max_seconds, base) * (0.75 + 0.5 * random.random())

    def _get_page(self, url: str, params: dict | None, query: ModelQuery, page_no: int,
                  stats: FetchStats, pacer: _Pacer, log: Callable[[str], None]):
        import httpx2
        from huggingface_hub.errors import HfHubHTTPError
        from huggingface_hub.utils import get_session, hf_raise_for_status

        headers = self._headers()
        last_problem = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            pacer.before_request(stats)
            stats.requests += 1
            try:
                response = get_session().get(url, params=params, headers=headers, timeout=self.timeout_seconds)
            except (httpx2.TransportError, httpx2.DecodingError) as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
                wait = self._backoff(attempt)
            else:
                limit_wait = pacer.observe(response.headers)
                if response.status_code in RETRY_STATUSES:
                    if response.status_code == 429:
                        stats.rate_limited += 1
                    last_problem = f"HTTP {response.status_code}"
                    told = limit_wait if limit_wait is not None else _retry_after(response.headers)
                    wait = told if told is not None else self._backoff(attempt)
                else:
                    try:
                        hf_raise_for_status(response)
                    except HfHubHTTPError as exc:
                        raise HubFetchError(
                            f"{query.name}: page {page_no} was refused by the Hub (HTTP {response.status_code}): "
                            f"{str(exc).splitlines()[0]}"
                        ) from None
                    try:
                        data = decode_json(response.content)
                    except ValueError as exc:
                        last_problem = f"invalid or truncated JSON ({exc.msg} at byte {exc.pos})"
                        wait = self._backoff(attempt)
                    else:
                        if not isinstance(data, list):
                            raise HubFetchError(
                                f"{query.name}: page {page_no} is a JSON {type(data).__name__}, expected a list"
                            )
                        next_url = response.links.get("next", {}).get("url")
                        return data, next_url
            if attempt == self.max_attempts:
                break
            stats.retries += 1
            stats.seconds_waited += wait
            log(f"{query.name}: page {page_no} attempt {attempt} failed ({last_problem}); retrying in {wait:.1f}s")
            self._sleep(wait)
        raise HubFetchError(
            f"{query.name}: page {page_no} failed after {self.max_attempts} attempts (last: {last_problem}); "
            "nothing was written for this snapshot"
        )

    def iter_query(self, base_url: str, query: ModelQuery, stats: FetchStats, pacer: _Pacer,
                   log: Callable[[str], None] = lambda _m: None) -> Iterator[dict]:
        """Yield every item of one listing, page by page, following the `Link` header."""
        params = {**query.params(), "expand": list(EXPAND_FIELDS)}
        url: str | None = f"{base_url}/api/models"
        page_no = 0
        seen_urls: set[str] = set()
        fetched = 0
        while url is not None:
            page_no += 1
            items, next_url = self._get_page(url, params, query, page_no, stats, pacer, log)
            stats.pages += 1
            params = None  # the next link carries the query
            for item in items:
                if query.limit is not None and fetched >= query.limit:
                    return
                fetched += 1
                yield item
            if query.limit is not None and fetched >= query.limit:
                return
            if next_url is not None:
                if next_url in seen_urls:
                    raise HubFetchError(f"{query.name}: the Link header loops back to page {next_url!r}")
                seen_urls.add(next_url)
            url = next_url

    def fetch_snapshot(self, day: dt.date, scope: Scope, base_url: str,
                       log: Callable[[str], None] = lambda _m: None) -> tuple[list[dict], FetchStats]:
        """Every item of the scope as of `day` from `base_url`, in query order (duplicates kept for merging).

        The caller checks the date first (`check_dates`); a live-source date is checked here again since it
        costs nothing and a past date must never be fetched from the live Hub.
        """
        if self.source == "live":
            self._check_live_date(day, None)
        stats = FetchStats()
        if self._pacer is None:
            self._pacer = _Pacer(self._sleep)
        pacer = self._pacer
        items: list[dict] = []
        queries = scope.queries()
        started = time.monotonic()
        for index, query in enumerate(queries, start=1):
            before = len(items)
            items.extend(self.iter_query(base_url, query, stats, pacer, log))
            stats.per_query[query.name] = len(items) - before
            if index % 50 == 0 and index < len(queries):
                log(f"{day}: {index}/{len(queries)} listings, {stats.pages} pages, {len(items)} items, "
                    f"{time.monotonic() - started:.1f}s")
        stats.items = len(items)
        return items, stats
