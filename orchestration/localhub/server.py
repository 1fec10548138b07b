"""The local Hub: a Hub-compatible HTTP server on loopback that serves an archive folder date by date.

The archive (`DIR/YYYY-MM-DD.jsonl[.gz]`, see `orchestration.hub.archive`) holds one Hub API model item per
line. This server answers the two routes the project's ingestion uses, in the Hub's wire format, so the real
`huggingface_hub` client runs unchanged against it:

- `GET /api/models` (query: `author`, `filter`, `search`, `pipeline_tag`, `gated`, `sort`, `limit`, `expand` /
  `expand[]`, `full`, `cardData`, `config`), paginated with a `Link: <...>; rel="next"` header and an opaque
  `cursor` parameter;
- `GET /api/models/{repo_id}` and `GET /api/models/{repo_id}/revision/{rev}`;
- `GET /api/whoami-v2`, for the accounts a test gives (`LocalHub(accounts={token: name})`): 401 for any other
  token or none, as the Hub answers an invalid token.

Both exist at the root (the newest date of the archive) and under `/as-of/YYYY-MM-DD/` (one given date), so
`HfApi(endpoint=hub.endpoint(day))` reads the Hub as it was on `day`.

It can also misbehave on purpose (`FaultConfig`): a fixed-window rate limit or 429 storms (with or without the
Hub's `RateLimit` headers and `Retry-After`), 5xx answers (random, persistent, or on chosen pages), truncated or
invalid JSON, a page with the wrong content type, empty pages, the same items on two pages, a `Link` header
that loops, connections reset mid-page, and answers slower than a client's timeout (late, or trickled byte by
byte). Faults are deterministic for a given seed and request order. `RELIABILITY.md` lists what the client
does about each.

It binds to loopback only unless told otherwise: it serves whatever the archive holds, with no authentication.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import datetime as dt
import json
import math
import random
import socket
import socketserver
import struct
import sys
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from orchestration.hub.archive import (
    ArchiveError,
    iter_snapshot_lines,
    list_snapshots,
    parse_snapshot_date,
)
from orchestration.hub.loopback import is_loopback_host

__all__ = [
    "DEFAULT_FIELDS",
    "EXPAND_PROPERTIES",
    "SORT_FIELDS",
    "FaultConfig",
    "LocalHub",
    "add_arguments",
    "run_from_args",
]

# The `expand` values the Hub accepts for models (huggingface_hub 2.4.0 `ExpandModelProperty_T`); any other
# value is a 400, as on the Hub.
EXPAND_PROPERTIES = frozenset(
    {
        "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
        "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
        "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
        "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
        "transformersInfo", "trendingScore", "usedStorage", "widgetData",
    }
)  # fmt: skip
# What `GET /api/models` returns per item when neither `expand` nor `full`/`cardData`/`config` is asked for.
DEFAULT_FIELDS = (
    "_id", "id", "likes", "downloads", "trendingScore", "private", "tags", "pipeline_tag", "library_name",
    "createdAt", "modelId",
)  # fmt: skip
# The Hub returns these whatever `expand` says. `modelId` (always equal to `id`) is passed through when an
# item has it: the simulator writes it on every item, and stripping it would push every page of an
# `expand` crawl off the pre-serialised fast path for no benefit to any client.
ALWAYS_FIELDS = frozenset({"_id", "id", "modelId"})
# Sort keys the Hub accepts (always descending); the first three are numbers, the last two ISO timestamps.
SORT_FIELDS = ("downloads", "likes", "trendingScore", "createdAt", "lastModified")
_NUMERIC_SORTS = frozenset({"downloads", "likes", "trendingScore"})
# Listing parameters of the client that this server cannot honour: refusing them beats silently
# returning an unfiltered list that looks filtered.
_UNSUPPORTED_PARAMS = ("apps", "inference", "inference_provider", "num_parameters")
# `archive.dumps_item` without building a JSONEncoder per call (same output, byte for byte).
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_TRUE = frozenset({"1", "true", "yes", "on"})


def _encode_bytes(value) -> bytes:
    """JSON bytes of a value; a lone surrogate (a valid JSON escape, but not UTF-8) stays an escape."""
    try:
        return _ENCODE(value).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")



_FALSE = frozenset({"0", "false", "no", "off", ""})
_RATE_LIMITED_MESSAGE = "You have exceeded the rate limit for this API, retry later"
_RATE_LIMITED_BODY = json.dumps({"error": _RATE_LIMITED_MESSAGE}).encode()
_FAULT_STAT = {
    "truncate": "truncated", "reset": "resets", "invalid_json": "invalid_json", "html": "html_pages",
    "empty": "empty_pages", "overlap": "overlapping_pages", "repeat": "repeated_pages",
}  # fmt: skip
_QUERY_CACHE_SIZE = 64  # filtered/sorted id orders kept per date
_LISTING_TTL_SECONDS = 1.0  # how long a listing of the archive folder is trusted


# --------------------------------------------------------------------------------------------------- faults


_PAGE_SET_FIELDS = (
    "fail_pages", "truncate_pages", "reset_pages", "throttle_pages", "invalid_json_pages", "html_pages",
    "empty_pages", "overlap_pages", "repeat_pages", "slow_pages", "trickle_pages",
)  # fmt: skip
_RATE_FIELDS = (
    "error_rate", "truncate_rate", "reset_rate", "throttle_rate", "invalid_json_rate", "html_rate", "empty_rate",
    "overlap_rate", "repeat_rate",
)  # fmt: skip


@dataclass(frozen=True)
class FaultConfig:
    """Faults the local Hub injects, all off by default.

    "Page requests" are `GET /api/models` requests (retries included), numbered from 1 since the server
    started or since the last `LocalHub.set_faults`; the rate window and the random generator restart then too.
    Every `*_pages` fault has a `*_rate` twin (a share of page requests, drawn from `seed`), except slow/trickle.

    Attributes:
        rate_limit: fixed-window limit: at most this many requests (any route) per window, then 429.
            `None`: no limit and no rate headers.
        rate_window_seconds: length of the window; it starts with the first request after the last reset.
        rate_limit_headers: whether answers carry the Hub's `RateLimit`/`RateLimit-Policy` headers (a 429 storm
            without them leaves a client only `Retry-After`, or nothing, to go by).
        retry_after: whether 429 answers carry `Retry-After`.
        throttle_pages / throttle_rate: page requests answered 429 whatever the window (a 429 storm), saying
            `throttle_seconds` in `RateLimit` (`r=0;t=...`) and `Retry-After` (each when enabled above).
        error_rate: share (0..1) of requests, any route, answered `error_status`, drawn from `seed`.
        error_status: the 5xx status of every injected error.
        fail_all: every request (any route) is answered `error_status`: the Hub is down.
        fail_after: page requests after the first `fail_after` all fail: the Hub goes down mid-crawl.
        fail_pages: page request numbers that fail once each (a retry is a new request and succeeds); a run
            of consecutive numbers is a 5xx burst.
        echo_headers: injected 5xx bodies repeat the request's headers (as some proxies' debug pages do), so a
            test can check that nothing the client reports repeats a secret it sent.
        truncate_pages / truncate_rate: answered 200 with the JSON body cut in the middle (`Content-Length`
            matches the cut body, so the connection stays usable).
        invalid_json_pages / invalid_json_rate: answered 200 as JSON with a body that is not JSON (a trailing
            comma in the array).
        html_pages / html_rate: answered 200 with `Content-Type: text/html` and an HTML error page, as a proxy
            or captive portal does.
        empty_pages / empty_rate: answered `[]` without a `Link` header, as if the listing ended there.
        overlap_pages / overlap_rate: the page repeats the previous page's items before its own (the same
            items on two pages, nothing missing).
        repeat_pages / repeat_rate: the page carries the previous page's items instead of its own, while its
            `Link` moves on (a replayed page: a client that trusts it loses a page).
        link_loop: the last page of every listing links back to the listing's first page.
        link_host: `host[:port]` the `Link` header names instead of the request's own (a link off the origin,
            which must never take a client, or its token, elsewhere).
        reset_pages / reset_rate: the connection is reset mid-body: headers announce the full length, half
            the body is sent, then the socket is closed with a TCP RST.
        slow_seconds: delay before answering every request, or only the `slow_pages` when some are given.
        trickle_seconds: listing pages are sent in small pieces spread over this many seconds (each gap short,
            the whole answer slow), every page or only the `trickle_pages` when some are given.
        seed: seed of the random faults; the same seed and request order give the same faults.
    """

    rate_limit: int | None = None
    rate_window_seconds: float = 300.0
    rate_limit_headers: bool = True
    retry_after: bool = True
    throttle_pages: frozenset[int] = field(default_factory=frozenset)
    throttle_rate: float = 0.0
    throttle_seconds: int = 1
    error_rate: float = 0.0
    error_status: int = 503
    fail_all: bool = False
    fail_after: int | None = None
    fail_pages: frozenset[int] = field(default_factory=frozenset)
    echo_headers: bool = False
    truncate_rate: float = 0.0
    truncate_pages: frozenset[int] = field(default_factory=frozenset)
    invalid_json_pages: frozenset[int] = field(default_factory=frozenset)
    invalid_json_rate: float = 0.0
    html_pages: frozenset[int] = field(default_factory=frozenset)
    html_rate: float = 0.0
    empty_pages: frozenset[int] = field(default_factory=frozenset)
    empty_rate: float = 0.0
    overlap_pages: frozenset[int] = field(default_factory=frozenset)
    overlap_rate: float = 0.0
    repeat_pages: frozenset[int] = field(default_factory=frozenset)
    repeat_rate: float = 0.0
    link_loop: bool = False
    link_host: str | None = None
    reset_rate: float = 0.0
    reset_pages: frozenset[int] = field(default_factory=frozenset)
    slow_seconds: float = 0.0
    slow_pages: frozenset[int] = field(default_factory=frozenset)
    trickle_seconds: float = 0.0
    trickle_pages: frozenset[int] = field(default_factory=frozenset)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.rate_limit is not None and (isinstance(self.rate_limit, bool) or self.rate_limit < 1):
            raise ValueError(f"rate_limit must be a positive integer or None, got {self.rate_limit!r}")
        if not self.rate_window_seconds > 0:
            raise ValueError(f"rate_window_seconds must be > 0, got {self.rate_window_seconds!r}")
        for name in _RATE_FIELDS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        if not 500 <= self.error_status <= 599:
            raise ValueError(f"error_status must be a 5xx status, got {self.error_status!r}")
        if self.fail_after is not None and self.fail_after < 0:
            raise ValueError(f"fail_after must be >= 0 or None, got {self.fail_after!r}")
        if isinstance(self.throttle_seconds, bool) or not isinstance(self.throttle_seconds, int) \
                or self.throttle_seconds < 0:
            raise ValueError(f"throttle_seconds must be a whole number >= 0, got {self.throttle_seconds!r}")
        for name in ("slow_seconds", "trickle_seconds"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        # Accept any iterable of page numbers (lists from tests, tuples from argparse) but store a frozenset
        # so the config stays hashable and comparable.
        for name in _PAGE_SET_FIELDS:
            pages = frozenset(int(p) for p in getattr(self, name))
            if any(p < 1 for p in pages):
                raise ValueError(f"{name} are 1-based page request numbers, got {sorted(pages)}")
            object.__setattr__(self, name, pages)

    @property
    def active(self) -> bool:
        """Whether any fault (or the rate limit) is configured."""
        return self != FaultConfig(seed=self.seed)


@dataclass(frozen=True)
class _PageFaults:
    """How one answer is to be spoiled (decided per request, under the hub lock)."""

    truncate: bool = False
    reset: bool = False
    invalid_json: bool = False
    html: bool = False
    empty: bool = False
    overlap: bool = False
    repeat: bool = False
    trickle_seconds: float = 0.0


_NO_PAGE_FAULTS = _PageFaults()
_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>The upstream server did not answer in time.</p></body></html>"
)


class _RateWindow:
    """A fixed-window counter (callers hold the hub lock)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.started: float | None = None
        self.count = 0

    def hit(self, now: float) -> tuple[bool, int, int]:
        """Count one request; return (allowed, remaining, whole seconds until the window resets)."""
        if self.started is None or now - self.started >= self.window:
            self.started = now
            self.count = 0
        self.count += 1
        remaining = max(0, self.limit - self.count)
        # Round up: a client that sleeps `t` (+1, as huggingface_hub does) must land in the next window.
        reset_in = max(1, math.ceil(self.started + self.window - now))
        return self.count <= self.limit, remaining, reset_in

    def headers(self, remaining: int, reset_in: int) -> list[tuple[str, str]]:
        """The Hub's rate-limit headers (IETF draft syntax, parsed by `huggingface_hub.utils`)."""
        return [
            ("RateLimit", f'"api";r={remaining};t={reset_in}'),
            ("RateLimit-Policy", f'"fixed window";"api";q={self.limit};w={max(1, math.ceil(self.window))}'),
        ]


# ------------------------------------------------------------------------------------------------ snapshots


class _Projection:
    """Which top-level fields of an item to return (`None` fields: all of them)."""

    __slots__ = ("add_model_id", "fields")

    def __init__(self, fields_: frozenset[str], add_model_id: bool) -> None:
        self.fields = fields_
        self.add_model_id = add_model_id

    def key(self) -> tuple[frozenset[str], bool]:
        return self.fields, self.add_model_id


_DEFAULT_PROJECTION = _Projection(frozenset(DEFAULT_FIELDS), add_model_id=True)


@dataclass(frozen=True)
class _ListQuery:
    """The parts of a listing query that decide which items come back, and in which order."""

    author: str | None = None
    filters: tuple[str, ...] = ()
    search: str | None = None
    pipeline_tag: str | None = None
    gated: bool | None = None
    sort: str | None = None

    @property
    def selective(self) -> bool:
        return bool(self.author or self.filters or self.search or self.pipeline_tag or self.gated is not None)


class _Snapshot:
    """One date of the archive, parsed once: per item its pre-serialised JSON, plus indexes.

    The parsed dicts are not kept (they would cost several times the JSON's size): filters, sorts and
    the id lookup run on small columns built at load time, and a page that needs field projection re-parses
    only its own items.
    """

    def __init__(self, day: dt.date, signature: tuple) -> None:
        self.day = day
        self.signature = signature
        self.ids: list[str] = []
        self.blobs: list[bytes] = []
        self.keyset_of: list[int] = []  # index into self.keysets: items mostly share a handful of key sets
        self.keysets: list[frozenset[str]] = []
        self.by_id: dict[str, int] = {}
        self.by_author: dict[str, list[int]] = {}
        self.by_term: dict[str, list[int]] = {}  # tag, pipeline_tag or library_name -> items
        self.pipeline: list[str | None] = []
        self.gated: list[bool] = []
        self.sort_values: dict[str, list] = {name: [] for name in SORT_FIELDS}
        self.duplicate_ids = 0
        self._lock = threading.Lock()
        self._orders: dict[str | None, Sequence[int]] = {}
        self._ranks: dict[str, list[int]] = {}
        self._queries: OrderedDict[_ListQuery, Sequence[int]] = OrderedDict()
        self._ids_lower: list[str] | None = None
        self._fit_cache: dict[tuple, bool] = {}

    @classmethod
    def load(cls, day: dt.date, path: Path, signature: tuple) -> _Snapshot:
        """Parse one snapshot file (raises `ArchiveError` for a malformed file or an item without id)."""
        snap = cls(day, signature)
        keyset_index: dict[frozenset[str], int] = {}
        # Locals and defaultdicts: this loop runs once per item of a 100k-item day, so it is kept tight.
        ids, blobs, keysets, keyset_of = snap.ids, snap.blobs, snap.keysets, snap.keyset_of
        by_id, pipeline, gated_col = snap.by_id, snap.pipeline, snap.gated
        by_author: defaultdict[str, list[int]] = defaultdict(list)
        by_term: defaultdict[str, list[int]] = defaultdict(list)
        numeric_columns = [(name, snap.sort_values[name]) for name in SORT_FIELDS if name in _NUMERIC_SORTS]
        text_columns = [(name, snap.sort_values[name]) for name in SORT_FIELDS if name not in _NUMERIC_SORTS]
        encode = _ENCODE
        for idx, (lineno, item) in enumerate(iter_snapshot_lines(path)):
            repo_id = item.get("id", item.get("modelId"))
            if type(repo_id) is not str or not repo_id:
                raise ArchiveError(f"{path}:{lineno}: the item has no string `id` (the local Hub serves by id)")
            ids.append(repo_id)
            # Same bytes as the archive line (archive.dumps_item), so the fast path serves items verbatim.
            try:
                blobs.append(encode(item).encode("utf-8"))
            except UnicodeEncodeError:
                blobs.append(_encode_bytes(item))
            keys = frozenset(item)
            ks = keyset_index.get(keys)
            if ks is None:
                ks = keyset_index[keys] = len(keysets)
                keysets.append(keys)
            keyset_of.append(ks)
            if repo_id in by_id:
                # Real crawls can repeat an item across pages; serve the archive as it is, look up the first.
                snap.duplicate_ids += 1
            else:
                by_id[repo_id] = idx
            # The namespace of the id is the author the Hub filters on; `author` is a fallback for the rare
            # legacy ids without a namespace.
            namespace = repo_id.partition("/")[0] if "/" in repo_id else item.get("author")
            if type(namespace) is str:
                by_author[namespace].append(idx)
            tags = item.get("tags")
            terms = {t for t in tags if type(t) is str} if type(tags) is list else set()
            pipeline_tag = item.get("pipeline_tag")
            if type(pipeline_tag) is str and pipeline_tag:
                terms.add(pipeline_tag)
            else:
                pipeline_tag = None
            library = item.get("library_name")
            if type(library) is str and library:
                terms.add(library)
            for term in terms:
                by_term[term].append(idx)
            pipeline.append(pipeline_tag)
            gated_col.append(item.get("gated") not in (None, False, "false", "False"))
            # A value of the wrong type (or NaN) sorts with the missing ones.
            for name, column in numeric_columns:
                value = item.get(name)
                column.append(value if type(value) in (int, float) and value == value else None)  # noqa: PLR0124
            for name, column in text_columns:
                value = item.get(name)
                column.append(value if type(value) is str and value else None)
        snap.by_author = dict(by_author)
        snap.by_term = dict(by_term)
        return snap

    def __len__(self) -> int:
        return len(self.ids)

    # -- ordering and selection ------------------------------------------------------------------------

    def order(self, sort: str | None) -> Sequence[int]:
        """All items in the order of `sort` (descending, missing last, ties by id); archive order for None."""
        if sort is None:
            return range(len(self.ids))
        with self._lock:
            cached = self._orders.get(sort)
        if cached is not None:
            return cached
        column = self.sort_values[sort]
        ids = self.ids
        present = [i for i, v in enumerate(column) if v is not None]
        missing = [i for i, v in enumerate(column) if v is None]
        # Two stable passes: by id, then by value descending (`reverse` keeps equal keys in id order).
        present.sort(key=ids.__getitem__)
        present.sort(key=column.__getitem__, reverse=True)
        missing.sort(key=ids.__getitem__)
        result = present + missing
        with self._lock:
            self._orders[sort] = result
        return result

    def _rank(self, sort: str) -> list[int]:
        with self._lock:
            rank = self._ranks.get(sort)
        if rank is None:
            rank = [0] * len(self.ids)
            for position, idx in enumerate(self.order(sort)):
                rank[idx] = position
            with self._lock:
                self._ranks[sort] = rank
        return rank

    def _lower_ids(self) -> list[str]:
        if self._ids_lower is None:
            self._ids_lower = [i.lower() for i in self.ids]  # a benign race: both threads compute the same
        return self._ids_lower

    def select(self, query: _ListQuery) -> Sequence[int]:
        """Item indexes matching `query`, in its order; cached so that following pages is O(page)."""
        if not query.selective:
            return self.order(query.sort)
        with self._lock:
            cached = self._queries.get(query)
            if cached is not None:
                self._queries.move_to_end(query)
                return cached
        postings: list[Sequence[int]] = []
        if query.author:
            postings.append(self.by_author.get(query.author, ()))
        postings.extend(self.by_term.get(term, ()) for term in query.filters)
        candidates: set[int] | None = None
        if postings:
            postings.sort(key=len)
            candidates = set(postings[0])
            for posting in postings[1:]:
                if not candidates:
                    break
                candidates.intersection_update(posting)
        if query.pipeline_tag:
            pipeline = self.pipeline
            wanted = query.pipeline_tag
            if candidates is None:
                candidates = {i for i, p in enumerate(pipeline) if p == wanted}
            else:
                candidates = {i for i in candidates if pipeline[i] == wanted}
        if query.gated is not None:
            gated = self.gated
            if candidates is None:
                candidates = {i for i, g in enumerate(gated) if g == query.gated}
            else:
                candidates = {i for i in candidates if gated[i] == query.gated}
        if query.search:
            needle = query.search.lower()
            lower = self._lower_ids()
            if candidates is None:
                candidates = {i for i, name in enumerate(lower) if needle in name}
            else:
                candidates = {i for i in candidates if needle in lower[i]}
        assert candidates is not None  # `selective` guarantees at least one criterion
        if query.sort is None:
            result: Sequence[int] = sorted(candidates)
        else:
            result = sorted(candidates, key=self._rank(query.sort).__getitem__)
        with self._lock:
            self._queries[query] = result
            while len(self._queries) > _QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return result

    # -- serialisation ---------------------------------------------------------------------------------

    def _fits(self, idx: int, projection: _Projection) -> bool:
        """Whether item `idx` already has exactly what `projection` returns (then its bytes serve as is)."""
        ks = self.keyset_of[idx]
        key = (ks, projection.key())
        fits = self._fit_cache.get(key)
        if fits is None:
            keys = self.keysets[ks]
            fits = keys <= projection.fields and (not projection.add_model_id or "modelId" in keys)
            self._fit_cache[key] = fits
        return fits

    def item_bytes(self, idx: int, projection: _Projection | None) -> bytes:
        """The JSON of one item, restricted to `projection` (all fields when None)."""
        blob = self.blobs[idx]
        if projection is None or self._fits(idx, projection):
            return blob
        item = json.loads(blob)
        wanted = projection.fields
        out = {k: v for k, v in item.items() if k in wanted}
        if projection.add_model_id and "modelId" not in out:
            out["modelId"] = self.ids[idx]
        return _encode_bytes(out)

    def page_bytes(self, idxs: Iterable[int], projection: _Projection | None) -> bytes:
        """A JSON array of items, joined from pre-serialised bytes whenever no projection is needed."""
        if projection is None:
            blobs = self.blobs
            return b"[" + b",".join([blobs[i] for i in idxs]) + b"]"
        return b"[" + b",".join([self.item_bytes(i, projection) for i in idxs]) + b"]"


class _SnapshotCache:
    """An LRU of parsed dates; a file rewritten in place (new mtime/size/inode) is parsed again."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._lock = threading.Lock()
        self._items: OrderedDict[dt.date, _Snapshot] = OrderedDict()
        self._loading: dict[dt.date, threading.Lock] = {}
        self.loads = 0

    def contains(self, day: dt.date) -> bool:
        """Whether a date is cached (whatever its file's signature)."""
        with self._lock:
            return day in self._items

    def get(self, day: dt.date, path: Path) -> _Snapshot:
        st = path.stat()
        signature = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            snap = self._items.get(day)
            if snap is not None and snap.signature == signature:
                self._items.move_to_end(day)
                return snap
            loader = self._loading.setdefault(day, threading.Lock())
        # One thread parses a date while others asking for it wait, instead of parsing it again.
        with loader:
            with self._lock:
                snap = self._items.get(day)
                if snap is not None and snap.signature == signature:
                    self._items.move_to_end(day)
                    return snap
            snap = _Snapshot.load(day, path, signature)
            with self._lock:
                self.loads += 1
                self._items[day] = snap
                self._items.move_to_end(day)
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
        return snap

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# ------------------------------------------------------------------------------------------------- HTTP


class _HubError(Exception):
    """An error answered as the Hub does: a status, a JSON `{"error": ...}` body and optional headers."""

    def __init__(self, status: int, message: str, headers: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = list(headers)


def _encode_cursor(day: dt.date, offset: int) -> str:
    # The date is pinned in the cursor so a root listing keeps reading the same date even if a newer
    # snapshot lands in the archive mid-crawl.
    return base64.urlsafe_b64encode(f"{day.isoformat()}:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(value: str) -> tuple[dt.date, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
        day_text, offset_text = raw.split(":", 1)
        offset = int(offset_text)
        if offset < 0 or not offset_text.isdigit():
            raise ValueError(offset_text)
        return parse_snapshot_date(day_text), offset
    except (ValueError, binascii.Error, UnicodeDecodeError, ArchiveError):
        raise _HubError(400, "Invalid cursor") from None


def _flag(params: dict[str, list[str]], name: str) -> bool:
    values = params.get(name)
    if not values:
        return False
    value = values[-1].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _HubError(400, f'"{name}" must be a boolean')


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _projection_from(params: dict[str, list[str]]) -> _Projection | None:
    """`None` (every field) for full/cardData/config, the expand set, or the Hub's default field set."""
    requested: list[str] = []
    for name in ("expand", "expand[]"):
        for value in params.get(name, ()):
            requested.extend(v for v in value.split(",") if v)
    if requested:
        for position, value in enumerate(requested):
            if value not in EXPAND_PROPERTIES:
                allowed = ", ".join(sorted(EXPAND_PROPERTIES))
                raise _HubError(400, f'"expand[{position}]" must be one of [{allowed}]')
        return _Projection(ALWAYS_FIELDS | frozenset(requested), add_model_id=False)
    if _flag(params, "full") or _flag(params, "cardData") or _flag(params, "config"):
        return None
    return _DEFAULT_PROJECTION


def _query_from(params: dict[str, list[str]]) -> _ListQuery:
    for name in _UNSUPPORTED_PARAMS:
        if params.get(name):
            raise _HubError(400, f'"{name}" is not supported by the local Hub')
    sort = _single(params, "sort") or None
    if sort is not None and sort not in SORT_FIELDS:
        raise _HubError(400, f'"sort" must be one of [{", ".join(SORT_FIELDS)}]')
    gated_text = _single(params, "gated")
    gated = None if gated_text is None else _flag(params, "gated")
    filters = tuple(sorted({f for f in params.get("filter", ()) if f}))
    return _ListQuery(
        author=_single(params, "author") or None,
        filters=filters,
        search=_single(params, "search") or None,
        pipeline_tag=_single(params, "pipeline_tag") or None,
        gated=gated,
        sort=sort,
    )


def _limit_from(params: dict[str, list[str]]) -> int | None:
    text = _single(params, "limit")
    if text is None or text == "":
        return None
    try:
        limit = int(text)
    except ValueError:
        raise _HubError(400, '"limit" must be a positive integer') from None
    if limit < 1:
        raise _HubError(400, '"limit" must be a positive integer')
    return limit


class _Handler(BaseHTTPRequestHandler):
    """Answers one connection's requests (HTTP/1.1 keep-alive; the client reuses connections)."""

    protocol_version = "HTTP/1.1"
    server_version = "hubpulse-local-hub"
    sys_version = ""
    # An idle keep-alive connection is dropped after this long, so its thread does not live forever.
    timeout = 120
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Each response is written in one call, but disabling Nagle still avoids a 40 ms stall should
        # the kernel split it.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args) -> None:
        if self.server.hub.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        """Route one GET request, applying the configured faults."""
        self.server.hub._handle(self)

    def send_raw(
        self,
        status: int,
        body: bytes,
        headers: Sequence[tuple[str, str]] = (),
        *,
        truncate: bool = False,
        reset: bool = False,
        content_type: str = "application/json; charset=utf-8",
        trickle_seconds: float = 0.0,
    ) -> None:
        """Write a complete response in one call (or a deliberately broken, or deliberately slow, one)."""
        if truncate:
            body = body[: len(body) // 2]  # mid-document: never valid JSON (an array needs its `]`)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        lines = [
            f"HTTP/1.1 {status} {reason}",
            f"Server: {self.server_version}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
        ]
        lines.extend(f"{name}: {value}" for name, value in headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.server.hub.verbose:
            self.log_request(status, len(body))
        if reset:
            self._reset(head + body[: len(body) // 2])
            return
        try:
            if trickle_seconds > 0:
                self._trickle(head, body, trickle_seconds)
            else:
                self.wfile.write(head + body)
        except OSError:
            self.close_connection = True

    def _trickle(self, head: bytes, body: bytes, seconds: float) -> None:
        # Headers at once, then the body in pieces: every gap is short (a per-read timeout never fires),
        # the whole answer is slow. Stops early when the server shuts down.
        self.wfile.write(head)
        pieces = 20
        step = max(1, -(-len(body) // pieces))
        pause = seconds / pieces
        for start in range(0, len(body), step):
            if self.server.stopping.wait(pause):
                self.close_connection = True
                return
            self.wfile.write(body[start : start + step])
            self.wfile.flush()

    def _reset(self, partial: bytes) -> None:
        with contextlib.suppress(OSError):
            self.wfile.write(partial)
        self.close_connection = True
        with contextlib.suppress(OSError):
            # Linger 0: closing sends a TCP RST instead of a FIN, like a proxy dropping the connection.
            # The real close happens when the handler releases its reader, right after this request.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # stop() closes live connections itself; joining threads could wait on a slow (faulty) answer.
    block_on_close = False

    def __init__(self, address: tuple[str, int], hub: LocalHub, family: socket.AddressFamily) -> None:
        self.address_family = family
        self.hub = hub
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.stopping = threading.Event()  # set by LocalHub.stop, so a deliberately slow answer ends early
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn, a reverse DNS lookup we neither need nor want.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = port

    def handle_error(self, request, client_address) -> None:
        # A client hanging up mid-answer is routine here (resets are even injected on purpose).
        if self.hub.verbose:
            super().handle_error(request, client_address)

    def track(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._connections_lock:
            conns = list(self._connections)
            self._connections.clear()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


_STAT_KEYS = (
    "requests",  # every request received
    "list_requests",  # GET /api/models (page requests, retries included)
    "info_requests",  # GET /api/models/{repo_id}
    "pages_served",  # listing pages answered 200 (truncated ones included)
    "items_served",  # items in those pages, plus one per model_info answered 200
    "rate_limited",  # 429 answers
    "faults_injected",  # errors and spoiled bodies injected (429s, slow and trickled answers not included)
    "errors_injected",  # injected 5xx answers
    "truncated",  # bodies cut mid-document
    "invalid_json",  # bodies that are not JSON
    "html_pages",  # pages answered as text/html
    "empty_pages",  # pages answered `[]` as if the listing ended
    "overlapping_pages",  # pages repeating the previous page's items before their own
    "repeated_pages",  # pages carrying the previous page's items instead of their own
    "resets",  # connections reset mid-body
    "slowed",  # requests delayed by slow_seconds
    "trickled",  # pages sent piece by piece over trickle_seconds
    "authorized_requests",  # requests that carried an Authorization header (its value is never kept)
    "snapshot_loads",  # date files parsed (cache misses)
)


class LocalHub:
    """A Hub-compatible server for one archive folder, serving in a background thread.

    Use as a context manager (`with LocalHub(dir) as hub: HfApi(endpoint=hub.endpoint(day))`) or call
    `start()`/`stop()`. The root serves the newest date of the archive (listed again at most every second,
    so dates added while serving appear); `/as-of/YYYY-MM-DD` serves one date.

    `clock` (default `time.monotonic`) times the fixed-window rate limit of `FaultConfig.rate_limit` only; tests
    pass a fake clock advanced by the client's sleeps (see `tests/test_faults.py`).
    """

    def __init__(
        self,
        archive_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = 1000,
        faults: FaultConfig | None = None,
        cache_dates: int = 8,
        allow_non_loopback: bool = False,
        verbose: bool = False,
        prefetch_next: bool = False,
        clock: Callable[[], float] = time.monotonic,
        accounts: Mapping[str, str] | None = None,
    ) -> None:
        if not allow_non_loopback and not is_loopback_host(host):
            raise ValueError(
                f"refusing to bind the local Hub to {host!r}: it serves the archive without authentication; "
                "use a loopback address or pass allow_non_loopback=True"
            )
        if page_size < 1:
            raise ValueError(f"page_size must be >= 1, got {page_size}")
        self.archive_dir = Path(archive_dir)
        list_snapshots(self.archive_dir)  # fail now, not on the first request, on a missing or bad folder
        self.host = host.strip("[]")
        self.port = port
        self.page_size = page_size
        self.verbose = verbose
        # A crawl walks dates in order: parsing the next date while this one is served hides the parse time
        # (useful when the server has a core of its own, i.e. runs as a separate process).
        self.prefetch_next = prefetch_next
        # The clock of the fixed-window rate limit (`FaultConfig.rate_limit`): a test passes a fake one, advanced
        # by the client's recorded sleeps, so that what a window allows does not depend on the machine's speed.
        self.clock = clock
        # Tokens `/api/whoami-v2` accepts, each with its account name (kept in memory only, never logged).
        self._accounts = dict(accounts or {})
        self._prefetching: set[dt.date] = set()
        self._faults = faults or FaultConfig()
        self._cache = _SnapshotCache(cache_dates)
        self._lock = threading.Lock()
        self._stats = dict.fromkeys(_STAT_KEYS, 0)
        self._by_status: dict[int, int] = {}
        self._reset_fault_state()
        self._listing: dict[dt.date, Path] = {}
        self._listed_at = -math.inf
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> LocalHub:
        """Bind (the OS picks the port when it is 0) and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server = _Server((self.host, self.port), self, family)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"local-hub-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections (a pooled client connection must not outlive us)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:8765` (the port is known once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def endpoint(self, day: dt.date | str | None = None) -> str:
        """The `HfApi(endpoint=...)` serving `day` as it was, or the newest date when None."""
        if day is None:
            return self.url
        if isinstance(day, str):
            day = parse_snapshot_date(day)
        return f"{self.url}/as-of/{day.isoformat()}"

    def dates(self) -> list[dt.date]:
        """The snapshot dates the archive holds now."""
        return list(self._snapshots(refresh=True))

    def preload(self, *days: dt.date) -> None:
        """Parse dates into the cache now (the newest when none is given), so no request waits for it.

        A date is otherwise parsed by its first request: a few seconds for a 100k-item day. Raises
        `ArchiveError` for a malformed file and `LookupError` for a date the archive does not hold.
        """
        for day in days or (None,):
            try:
                self._snapshot(day)
            except _HubError as err:
                raise LookupError(err.message) from None

    # -- faults and stats ------------------------------------------------------------------------------

    @property
    def faults(self) -> FaultConfig:
        """The faults in force."""
        return self._faults

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Replace the faults; page numbering, the rate window and the random generator start afresh."""
        with self._lock:
            self._faults = faults or FaultConfig()
            self._reset_fault_state()

    def _reset_fault_state(self) -> None:
        faults = self._faults
        self._rng = random.Random(faults.seed)
        self._page_number = 0
        self._rate = (
            _RateWindow(faults.rate_limit, faults.rate_window_seconds)
            if faults.rate_limit is not None
            else None
        )

    @property
    def stats(self) -> dict:
        """A consistent copy of the counters, plus `by_status` ({status: count} of the answers sent).

        Keys: see `_STAT_KEYS` (requests, list_requests, info_requests, pages_served, items_served,
        rate_limited, faults_injected and one counter per kind of fault, authorized_requests, snapshot_loads).
        """
        with self._lock:
            out: dict = dict(self._stats)
            out["by_status"] = dict(self._by_status)
        out["snapshot_loads"] = self._cache.loads
        return out

    def reset_stats(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._stats = dict.fromkeys(_STAT_KEYS, 0)
            self._by_status = {}
        self._cache.loads = 0

    def _count(self, status: int, **increments: int) -> None:
        with self._lock:
            self._by_status[status] = self._by_status.get(status, 0) + 1
            for name, value in increments.items():
                self._stats[name] += value

    # -- archive ---------------------------------------------------------------------------------------

    def _snapshots(self, *, refresh: bool = False) -> dict[dt.date, Path]:
        now = time.monotonic()
        with self._lock:
            if not refresh and now - self._listed_at < _LISTING_TTL_SECONDS:
                return self._listing
        listing = list_snapshots(self.archive_dir)
        with self._lock:
            self._listing, self._listed_at = listing, now
        return listing

    def _snapshot(self, day: dt.date | None) -> _Snapshot:
        listing = self._snapshots()
        if day is None:
            if not listing:
                listing = self._snapshots(refresh=True)
            if not listing:
                raise _HubError(404, f"The archive {self.archive_dir} holds no snapshot")
            day = next(reversed(listing))
        path = listing.get(day)
        if path is None:
            path = self._snapshots(refresh=True).get(day)
        if path is None:
            raise _HubError(404, f"No snapshot for {day.isoformat()} in the archive")
        try:
            snapshot = self._cache.get(day, path)
            if self.prefetch_next:
                self._prefetch_after(day, listing)
            return snapshot
        except FileNotFoundError:
            # Replaced or removed between the listing and now: look again once.
            path = self._snapshots(refresh=True).get(day)
            if path is None:
                raise _HubError(404, f"No snapshot for {day.isoformat()} in the archive") from None
            return self._cache.get(day, path)

    def _prefetch_after(self, day: dt.date, listing: dict[dt.date, Path]) -> None:
        later = [d for d in listing if d > day]
        if not later:
            return
        following = later[0]
        with self._lock:
            if following in self._prefetching or self._cache.contains(following):
                return
            self._prefetching.add(following)

        def load() -> None:
            try:
                self._cache.get(following, listing[following])
            except (ArchiveError, OSError) as exc:  # reported when the date is asked for, not by the prefetch
                if self.verbose:
                    print(f"prefetch of {following} failed: {exc}", file=sys.stderr)
            finally:
                with self._lock:
                    self._prefetching.discard(following)

        threading.Thread(target=load, name=f"prefetch-{following}", daemon=True).start()

    # -- request handling ------------------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        faults = self._faults
        rate_headers: list[tuple[str, str]] = []
        parts = urlsplit(handler.path)
        path = parts.path
        allowed, reset_in = True, 0
        with self._lock:
            self._stats["requests"] += 1
            if handler.headers.get("Authorization"):
                # Counted, never kept: tests check a token reached only the sources meant to get it.
                self._stats["authorized_requests"] += 1
            if self._rate is not None:
                allowed, remaining, reset_in = self._rate.hit(self.clock())
                if faults.rate_limit_headers:
                    rate_headers = self._rate.headers(remaining, reset_in)
        if not allowed:
            self._count(429, rate_limited=1)
            handler.send_raw(429, _RATE_LIMITED_BODY, [*rate_headers, *self._retry_after(faults, reset_in)])
            return
        try:
            day, rest = self._split_date(path)
            kind, repo_id, revision = self._route(rest)
            page_faults, slow = self._inject(kind, faults, handler)
            if slow > 0:
                with self._lock:
                    self._stats["slowed"] += 1
                handler.server.stopping.wait(slow)
            if kind == "list":
                status, body, headers, items = self._list_models(handler, day, parts.query, path, page_faults)
            elif kind == "whoami":
                status, body, headers, items = self._whoami(handler)
            else:
                status, body, headers, items = self._model_info(day, repo_id, revision, parts.query)
        except _HubError as err:
            if err.status == 429:
                self._count(429, rate_limited=1)
            else:
                self._count(err.status)
            body = json.dumps({"error": err.message}).encode()
            handler.send_raw(err.status, body, [*err.headers, *rate_headers])
            return
        except ArchiveError as err:
            self._count(500)
            body = json.dumps({"error": f"archive error: {err}"}).encode()
            handler.send_raw(500, body, rate_headers)
            return
        pages = 1 if kind == "list" else 0
        self._count(status, pages_served=pages, items_served=items)
        content_type = "application/json; charset=utf-8"
        if page_faults.html:
            body, content_type = _HTML_PAGE, "text/html; charset=utf-8"
        elif page_faults.invalid_json:
            body = body[:-1] + b",]" if body.endswith(b"]") else body + b","
        handler.send_raw(
            status, body, [*headers, *rate_headers], truncate=page_faults.truncate, reset=page_faults.reset,
            content_type=content_type, trickle_seconds=page_faults.trickle_seconds,
        )

    @staticmethod
    def _retry_after(faults: FaultConfig, seconds: int) -> list[tuple[str, str]]:
        return [("Retry-After", str(seconds))] if faults.retry_after else []

    @staticmethod
    def _split_date(path: str) -> tuple[dt.date | None, str]:
        if not path.startswith("/as-of/"):
            return None, path
        text, slash, rest = path[len("/as-of/") :].partition("/")
        try:
            day = parse_snapshot_date(text)
        except ArchiveError:
            raise _HubError(400, f"Invalid date {text!r}: expected YYYY-MM-DD") from None
        return day, slash + rest

    def _route(self, rest: str) -> tuple[str, str, str | None]:
        with self._lock:
            if rest.rstrip("/") == "/api/models":
                self._stats["list_requests"] += 1
                return "list", "", None
            if rest.rstrip("/") == "/api/whoami-v2":
                return "whoami", "", None
            if rest.startswith("/api/models/"):
                self._stats["info_requests"] += 1
                repo, _, revision = rest[len("/api/models/") :].partition("/revision/")
                repo = unquote(repo.strip("/"))
                revision_text = unquote(revision) if revision else None
                if repo and repo.count("/") <= 1:
                    return "info", repo, revision_text
                raise _HubError(404, "Repository not found", [("X-Error-Code", "RepoNotFound")])
        raise _HubError(404, "Not Found")

    def _inject(self, kind: str, faults: FaultConfig, handler: _Handler) -> tuple[_PageFaults, float]:
        """Decide this request's faults: raise the injected 429 or 5xx, or return how to spoil the answer and
        how long to wait before it."""
        with self._lock:
            page = 0
            if kind == "list":
                self._page_number += 1
                page = self._page_number
            fail = faults.fail_all
            if page:
                fail = fail or page in faults.fail_pages
                fail = fail or (faults.fail_after is not None and page > faults.fail_after)
            # Draw only for configured rates so a config's sequence does not depend on unrelated faults.
            if faults.error_rate > 0 and self._rng.random() < faults.error_rate:
                fail = True
            chosen: dict[str, bool] = {}
            if page:
                for name in ("throttle", "truncate", "reset", "invalid_json", "html", "empty", "overlap", "repeat"):
                    rate = getattr(faults, f"{name}_rate")
                    chosen[name] = page in getattr(faults, f"{name}_pages") or (
                        rate > 0 and self._rng.random() < rate
                    )
            slow = 0.0
            if faults.slow_seconds > 0 and (not faults.slow_pages or page in faults.slow_pages):
                slow = faults.slow_seconds
            trickle = 0.0
            if page and faults.trickle_seconds > 0 and (not faults.trickle_pages or page in faults.trickle_pages):
                trickle = faults.trickle_seconds
            throttle = chosen.pop("throttle", False) and not fail
            if fail:
                self._stats["errors_injected"] += 1
                self._stats["faults_injected"] += 1
                chosen = {}
            elif throttle:
                chosen = {}
            # At most one way of spoiling a body: a reset beats the rest, then the order below.
            for name in ("reset", "html", "truncate", "invalid_json", "empty", "repeat", "overlap"):
                if chosen.get(name):
                    chosen = {name: True}
                    self._stats[_FAULT_STAT[name]] += 1
                    self._stats["faults_injected"] += 1
                    break
            else:
                chosen = {}
            if trickle:
                self._stats["trickled"] += 1
        if fail:
            message = "Internal Error - We're working hard to fix this as soon as possible!"
            if faults.echo_headers:  # Authorization first, as a debugging proxy would show it
                shown = sorted(handler.headers.items(), key=lambda kv: kv[0].lower() != "authorization")
                message += " Request headers: " + "; ".join(f"{k}: {v}" for k, v in shown)
            raise _HubError(faults.error_status, message)
        if throttle:
            headers: list[tuple[str, str]] = []
            if faults.rate_limit_headers:
                limit = faults.rate_limit or 500
                window = max(1, math.ceil(faults.rate_window_seconds))
                headers += [("RateLimit", f'"api";r=0;t={faults.throttle_seconds}'),
                            ("RateLimit-Policy", f'"fixed window";"api";q={limit};w={window}')]
            headers += self._retry_after(faults, faults.throttle_seconds)
            raise _HubError(429, _RATE_LIMITED_MESSAGE, headers)
        return _PageFaults(**chosen, trickle_seconds=trickle), slow

    def _list_models(
        self, handler: _Handler, day: dt.date | None, query_string: str, path: str,
        page_faults: _PageFaults = _NO_PAGE_FAULTS,
    ) -> tuple[int, bytes, list[tuple[str, str]], int]:
        pairs = parse_qsl(query_string, keep_blank_values=True)
        params: dict[str, list[str]] = {}
        for name, value in pairs:
            params.setdefault(name, []).append(value)
        query = _query_from(params)
        projection = _projection_from(params)
        limit = _limit_from(params)
        offset = 0
        cursor = _single(params, "cursor")
        if cursor:
            cursor_day, offset = _decode_cursor(cursor)
            if day is not None and cursor_day != day:
                raise _HubError(400, "Invalid cursor: it belongs to another date")
            day = cursor_day
        snap = self._snapshot(day)
        order = snap.select(query)
        size = min(self.page_size, limit) if limit else self.page_size
        page = order[offset : offset + size]
        end = offset + len(page)
        previous = order[max(0, offset - size) : offset]
        if page_faults.repeat and previous:
            page = previous
        elif page_faults.overlap and previous:
            page = [*previous, *page]
        elif page_faults.empty:
            page = []
        body = snap.page_bytes(page, projection)
        headers: list[tuple[str, str]] = []
        next_offset = end if end < len(order) else None
        if page_faults.empty:
            next_offset = None
        elif next_offset is None and self._faults.link_loop:
            next_offset = 0
        if next_offset is not None:
            # The client sends no parameters with the next URL: it must carry the whole query.
            kept = [(k, v) for k, v in pairs if k != "cursor"]
            kept.append(("cursor", _encode_cursor(snap.day, next_offset)))
            host = self._faults.link_host or handler.headers.get("Host") or f"{self.host}:{self.port}"
            headers.append(("Link", f'<http://{host}{path}?{urlencode(kept)}>; rel="next"'))
        return 200, body, headers, len(page)

    def _whoami(self, handler: _Handler) -> tuple[int, bytes, list[tuple[str, str]], int]:
        """The account of the request's bearer token, in the shape of the Hub's `whoami-v2` (a user)."""
        scheme, _, token = (handler.headers.get("Authorization") or "").partition(" ")
        name = self._accounts.get(token.strip()) if scheme.lower() == "bearer" else None
        if name is None:
            raise _HubError(401, "Invalid credentials in Authorization header")
        account = {"type": "user", "name": name, "fullname": name, "isPro": False, "orgs": [],
                   "auth": {"type": "access_token", "accessToken": {"displayName": "local", "role": "read"}}}
        return 200, json.dumps(account).encode(), [], 0

    def _model_info(
        self, day: dt.date | None, repo_id: str, revision: str | None, query_string: str
    ) -> tuple[int, bytes, list[tuple[str, str]], int]:
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(query_string, keep_blank_values=True):
            params.setdefault(name, []).append(value)
        snap = self._snapshot(day)
        idx = snap.by_id.get(repo_id)
        if idx is None:
            raise _HubError(404, "Repository not found", [("X-Error-Code", "RepoNotFound")])
        if revision is not None and revision != "main":
            sha = json.loads(snap.blobs[idx]).get("sha")
            if revision != sha:
                raise _HubError(404, f"Invalid rev id: {revision}", [("X-Error-Code", "RevisionNotFound")])
        projection = _projection_from(params) if (params.get("expand") or params.get("expand[]")) else None
        return 200, snap.item_bytes(idx, projection), [], 1


# -------------------------------------------------------------------------------------------------- CLI


def _page_numbers(text: str) -> frozenset[int]:
    try:
        pages = frozenset(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated page numbers, got {text!r}") from None
    if any(p < 1 for p in pages):
        raise argparse.ArgumentTypeError("page numbers start at 1")
    return pages


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `hubpulse serve-hub` options to `parser`."""
    parser.add_argument(
        "--archive", type=Path, default=None, help="archive folder (default: $HUBPULSE_ARCHIVE)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only by default)")
    parser.add_argument("--port", type=int, default=0, help="port (default: 0, any free port)")
    parser.add_argument("--page-size", type=int, default=1000, help="items per page (default: 1000)")
    parser.add_argument("--cache-dates", type=int, default=8, help="parsed dates kept in memory (default: 8)")
    parser.add_argument(
        "--allow-non-loopback", action="store_true", help="allow a non-loopback --host (no authentication!)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--prefetch-next", action="store_true",
                        help="parse the next archive date in the background while one is served")
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="stop when standard input closes (for a server started by another process)")
    faults = parser.add_argument_group("fault injection (all off by default)")
    faults.add_argument("--rate-limit", type=int, default=None, help="requests allowed per window, then 429")
    faults.add_argument(
        "--rate-window", type=float, default=300.0, help="rate window in seconds (default: 300)"
    )
    faults.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 5xx")
    faults.add_argument(
        "--error-status", type=int, default=503, help="status of injected errors (default: 503)"
    )
    faults.add_argument("--fail-all", action="store_true", help="answer every request with the error status")
    faults.add_argument("--fail-after", type=int, default=None, help="fail every page request after the Nth")
    faults.add_argument(
        "--fail-pages", type=_page_numbers, default=frozenset(), help="e.g. 3,7: pages failing once"
    )
    faults.add_argument(
        "--truncate-rate", type=float, default=0.0, help="share of pages with a cut JSON body"
    )
    faults.add_argument(
        "--truncate-pages", type=_page_numbers, default=frozenset(), help="pages with a cut body"
    )
    faults.add_argument("--reset-rate", type=float, default=0.0, help="share of pages reset mid-body")
    faults.add_argument("--reset-pages", type=_page_numbers, default=frozenset(), help="pages reset mid-body")
    faults.add_argument("--no-rate-headers", action="store_true", help="429s and answers without RateLimit headers")
    faults.add_argument("--no-retry-after", action="store_true", help="429s without Retry-After")
    faults.add_argument("--throttle-rate", type=float, default=0.0, help="share of pages answered 429")
    faults.add_argument("--throttle-pages", type=_page_numbers, default=frozenset(), help="pages answered 429")
    faults.add_argument("--throttle-seconds", type=int, default=1, help="wait a throttled 429 asks for (default 1)")
    for name, what in (("invalid-json", "with a body that is not JSON"), ("html", "as an HTML error page"),
                       ("empty", "as an empty last page"), ("overlap", "with the previous page's items too"),
                       ("repeat", "with the previous page's items instead")):
        faults.add_argument(f"--{name}-rate", type=float, default=0.0, help=f"share of pages answered {what}")
        faults.add_argument(f"--{name}-pages", type=_page_numbers, default=frozenset(), help=f"pages answered {what}")
    faults.add_argument("--link-loop", action="store_true", help="the last page of a listing links to its first")
    faults.add_argument("--link-host", default=None, help="host[:port] that Link headers point at instead")
    faults.add_argument("--slow", type=float, default=0.0, help="seconds to wait before every answer")
    faults.add_argument("--slow-pages", type=_page_numbers, default=frozenset(), help="only these pages are slow")
    faults.add_argument("--trickle", type=float, default=0.0, help="seconds over which each page body is trickled")
    faults.add_argument("--trickle-pages", type=_page_numbers, default=frozenset(), help="only these pages trickle")
    faults.add_argument("--echo-headers", action="store_true", help="injected 5xx bodies repeat the request headers")
    faults.add_argument("--seed", type=int, default=0, help="seed of the random faults (default: 0)")


def faults_from_args(args: argparse.Namespace) -> FaultConfig:
    """The `FaultConfig` described by parsed `serve-hub` options."""
    return FaultConfig(
        rate_limit=args.rate_limit,
        rate_window_seconds=args.rate_window,
        rate_limit_headers=not args.no_rate_headers,
        retry_after=not args.no_retry_after,
        throttle_rate=args.throttle_rate,
        throttle_pages=args.throttle_pages,
        throttle_seconds=args.throttle_seconds,
        error_rate=args.error_rate,
        error_status=args.error_status,
        fail_all=args.fail_all,
        fail_after=args.fail_after,
        fail_pages=args.fail_pages,
        echo_headers=args.echo_headers,
        truncate_rate=args.truncate_rate,
        truncate_pages=args.truncate_pages,
        invalid_json_rate=args.invalid_json_rate,
        invalid_json_pages=args.invalid_json_pages,
        html_rate=args.html_rate,
        html_pages=args.html_pages,
        empty_rate=args.empty_rate,
        empty_pages=args.empty_pages,
        overlap_rate=args.overlap_rate,
        overlap_pages=args.overlap_pages,
        repeat_rate=args.repeat_rate,
        repeat_pages=args.repeat_pages,
        link_loop=args.link_loop,
        link_host=args.link_host,
        reset_rate=args.reset_rate,
        reset_pages=args.reset_pages,
        slow_seconds=args.slow,
        slow_pages=args.slow_pages,
        trickle_seconds=args.trickle,
        trickle_pages=args.trickle_pages,
        seed=args.seed,
    )


def run_from_args(args: argparse.Namespace) -> int:
    """`hubpulse serve-hub`: print the URL on stdout, then serve until Ctrl-C."""
    archive_dir = args.archive
    if archive_dir is None:
        from orchestration import settings

        archive_dir = settings.archive_dir()
    hub = LocalHub(
        archive_dir,
        host=args.host,
        port=args.port,
        page_size=args.page_size,
        faults=faults_from_args(args),
        cache_dates=args.cache_dates,
        allow_non_loopback=args.allow_non_loopback,
        verbose=args.verbose,
        prefetch_next=args.prefetch_next,
    )
    hub.start()
    # Ctrl-C may come as soon as the URL is out: everything after start() is inside the try.
    try:
        dates = hub.dates()
        span = f"{len(dates)} snapshot(s), {dates[0]} .. {dates[-1]}" if dates else "no snapshot yet"
        # The URL alone on stdout, so a parent process can read it; the rest is for humans.
        print(hub.url, flush=True)
        print(
            f"local Hub serving {Path(archive_dir).resolve()} ({span}); Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        if hub.faults.active:
            defaults = FaultConfig(seed=hub.faults.seed)
            changed = {f.name: getattr(hub.faults, f.name) for f in fields(hub.faults)}
            changed = {k: v for k, v in changed.items() if v != getattr(defaults, k)}
            print(f"faults: {changed} (seed {hub.faults.seed})", file=sys.stderr, flush=True)
        if args.exit_with_stdin:
            # Started by another process: stop when it goes away (its end of the pipe closes), even on kill -9.
            sys.stdin.read()
        else:
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
    return 0
