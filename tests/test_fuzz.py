"""Bad input: property-based tests (hypothesis) over Hub items, pages, archives, partition keys and configuration.

What must hold whatever the Hub sends: ingestion either succeeds or fails with a clear error (never an
unexplained crash); every item is kept exactly as received, as a raw row (first copy of an id) or as a reject with
its reason (nothing dropped silently); typed columns hold a value only when the Hub sent the right type; the typed
JSON columns are JSON that DuckDB (and so the dbt models) reads; no Hub value ever reaches a file path.

The examples are derandomized (the same every run). For a deeper, random search:
    HUBPULSE_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import atexit
import datetime as dt
import gzip
import http.server
import json
import math
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from orchestration import settings as hubpulse_settings
from orchestration.hub.archive import (
    ArchiveError,
    iter_snapshot_items,
    list_snapshots,
    loads,
    parse_snapshot_date,
)
from orchestration.hub.archive import write_snapshot as write_archive_snapshot
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient, HubFetchError
from orchestration.hub.scope import Scope
from orchestration.hub.snapshots import (
    EXPAND_FIELDS,
    PARTITION_FILE,
    build_snapshot_rows,
    partition_dir,
    write_snapshot_partition,
)
from orchestration.localhub.server import LocalHub
from orchestration.resources import HubpulsePaths
from tests.conftest import make_item

DAY = dt.date(2025, 3, 1)
_EXAMPLES = int(os.environ.get("HUBPULSE_FUZZ_EXAMPLES", "0"))

# Hypothesis keeps caches (constants, Unicode tables) in `.hypothesis/` of the working directory even without an
# example database, from collection on: keep them in a temporary folder instead, so the working tree never changes.
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="hubpulse-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)


def fuzz(examples: int):
    """Settings of one property: derandomized in the suite, `HUBPULSE_FUZZ_EXAMPLES` random examples on demand;
    never an example database in the working tree."""
    return settings(
        max_examples=_EXAMPLES or examples, derandomize=not _EXAMPLES, database=None, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


# ------------------------------------------------------------------------------------------------ strategies

# Text as the Hub can send it in JSON: any Unicode, plus lone surrogates (legal as `\ud800` escapes).
text = st.one_of(st.text(max_size=12), st.sampled_from(["\ud800", "a\udfffb", "模型", "ünï", "'; drop table x; --"]))
# Integers within 64 bits: the Hub (a JavaScript service) cannot send more, and orjson reads more as floats.
INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=INT64_MIN, max_value=UINT64_MAX),
    st.floats(allow_nan=True, allow_infinity=True), text,
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=4
)
valid_ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,6}/[A-Za-z0-9][A-Za-z0-9._-]{0,10}[A-Za-z0-9]\Z")
invalid_ids = st.sampled_from([
    "no-namespace", "", "/", "org/", "/name", "org/name/extra", "../etc/passwd", "org/..", "org/../../x",
    ".hidden/x", "org/.", "组织/模型", "Qwen/Qwen 2", "org/name.git", "a--b/c", "org\\name", "org/na\x00me",
    "org/\ud800", "x" * 300 + "/y",
])  # fmt: skip
counts = st.one_of(
    st.integers(min_value=0, max_value=10**12), st.integers(min_value=INT64_MIN, max_value=UINT64_MAX),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), UINT64_MAX, 2.0**63, -(2.0**63), 1e300, 12.0, -0.0]),
    st.integers(min_value=0, max_value=10**6).map(str),  # numbers as strings
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
)
timestamps = st.one_of(
    st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1),
                 timezones=st.just(dt.UTC)).map(lambda d: d.isoformat(timespec="milliseconds").replace("+00:00", "Z")),
    st.just("2022-03-02T23:29:04.000Z"), text, st.integers(min_value=INT64_MIN, max_value=UINT64_MAX),
)
relations = st.sampled_from(["finetune", "quantized", "adapter", "merge", "", None, 3])
base_models = st.one_of(
    st.fixed_dictionaries({"relation": relations, "models": st.lists(st.fixed_dictionaries({"id": text}), max_size=3)}),
    st.lists(st.fixed_dictionaries({"id": text}), max_size=3),  # the list shape huggingface_hub types it as
    json_values,
)
tag_lists = st.one_of(
    st.lists(text, max_size=6),
    st.lists(json_values, max_size=4),  # tags that are not strings
    json_values,
)  # huge tag lists: test_huge_tag_lists_and_fields_are_kept_whole
FIELDS = {
    "_id": st.one_of(text, json_values),
    "author": st.one_of(text, json_values),
    "createdAt": timestamps,
    "lastModified": timestamps,
    "downloads": counts,
    "downloadsAllTime": counts,
    "likes": counts,
    "trendingScore": st.one_of(counts, st.floats()),
    "tags": tag_lists,
    "pipeline_tag": st.one_of(text, json_values),
    "library_name": st.one_of(text, json_values),
    "gated": st.one_of(st.booleans(), st.sampled_from(["auto", "manual", "false", "true"]), json_values),
    "private": st.one_of(st.booleans(), json_values),
    "disabled": st.one_of(st.booleans(), json_values),
    "sha": st.one_of(text, json_values),
    "safetensors": st.one_of(st.fixed_dictionaries({"total": counts}), json_values),
    "baseModels": base_models,
    "evalResults": st.one_of(st.lists(st.fixed_dictionaries({"value": counts, "dataset": json_values}), max_size=3),
                             json_values),
    "model-index": json_values,
    "cardData": json_values,
}


any_ids = st.one_of(valid_ids, valid_ids, valid_ids, invalid_ids)


@st.composite
def hub_items(draw, ids=any_ids):
    """One Hub API item: some fields missing, null or wrongly typed, some unknown extra fields, any id."""
    item = {}
    id_choice = draw(st.sampled_from(["id", "id", "id", "modelId only", "missing", "wrong type", "null"]))
    if id_choice in ("id", "modelId only"):
        item["id" if id_choice == "id" else "modelId"] = draw(ids)
    elif id_choice == "wrong type":
        item["id"] = draw(st.one_of(st.integers(INT64_MIN, UINT64_MAX), st.lists(st.integers(0, 9), max_size=2), st.booleans()))
    elif id_choice == "null":
        item["id"] = None
    present = draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=len(FIELDS)))
    for name in sorted(present):
        item[name] = draw(st.one_of(st.none(), FIELDS[name]))
    for name, value in draw(st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=3)).items():
        item.setdefault(name, value)
    return item


pages = st.lists(st.one_of(hub_items(), hub_items(), hub_items(), json_values), max_size=8)


# ------------------------------------------------------------------------------------------------ oracles


def canonical(value) -> str:
    """A JSON text to compare values by, NaN equal to NaN (the standard library writes it as `NaN`)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _is_text(value) -> bool:
    if type(value) is not str:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def expected_int(value):
    if type(value) is int:
        return value if -(2**63) <= value < 2**63 else None
    if type(value) is float and math.isfinite(value) and value.is_integer() and -(2.0**63) <= value < 2.0**63:
        return int(value)
    return None


def expected_gated(value):
    if type(value) is bool:
        return "true" if value else "false"
    return value if _is_text(value) else None


def expected_tags(value):
    return [t for t in value if _is_text(t)] if type(value) is list else None


def item_id(item):
    return item.get("id", item.get("modelId")) if isinstance(item, dict) else None


# ------------------------------------------------------------------------------------------------ items -> rows


_DUCKDB = duckdb.connect()
GENERATED_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("scratch")


# What dbt does with the typed JSON columns (int_base_model_edges_resolved, int_eval_results_parsed): any JSON
# text DuckDB cannot read makes one of these raise; the first column counts values that are not JSON at all.
JSON_EXPRESSIONS = """
    select
        count(*) filter (where (base_models_json is not null and not json_valid(base_models_json))
                            or (eval_results_json is not null and not json_valid(eval_results_json))
                            or (model_index_json is not null and not json_valid(model_index_json))),
        count(json_extract_string(base_models_json, '$.models[*].id')),
        count(json_extract_string(base_models_json, '$.relation')),
        count(case when json_type(eval_results_json) = 'ARRAY'
                   then cast(json_extract(eval_results_json, '$[*]') as json[]) end),
        count(case when json_type(model_index_json) = 'ARRAY'
                   then cast(json_extract(model_index_json, '$[*].results[*]') as json[]) end)
    from arrow
"""


@fuzz(60)
@given(page=pages)
def test_any_page_becomes_rows_and_rejects_keeping_every_item_as_received(scratch, page):
    # The page goes through the real parser, as ingestion receives it (NaN and huge integers included).
    received = loads(json.dumps(page))
    rows = build_snapshot_rows(received, DAY)

    # Nothing dropped silently: every item is a row, a merged duplicate of one, or a reject.
    assert rows.rows + rows.rejects.num_rows + rows.duplicates == len(received)
    rejects = rows.rejects.to_pylist()
    for reject in rejects:
        item = received[reject["position"]]
        assert reject["reason"] and canonical(json.loads(reject["item_json"])) == canonical(item)
        model_id = item_id(item)
        if not isinstance(item, dict):
            assert reject["reason"] == f"item is a {type(item).__name__}, not a JSON object"
        elif model_id is None:
            assert reject["reason"] == "no id"
        elif type(model_id) is not str:
            assert reject["reason"] == f"id is a {type(model_id).__name__}, not a string"
        else:
            assert reject["reason"].endswith("is not of the form org/name")
    rejected_positions = {r["position"] for r in rejects}
    rejected_items = {canonical(json.loads(r["item_json"])) for r in rejects}
    assert len(rejected_items) == len(rejects)  # an unusable item repeated (a repeated page) is one reject
    first: dict[str, dict] = {}
    for position, item in enumerate(received):
        if position not in rejected_positions and canonical(item) not in rejected_items:
            first.setdefault(item_id(item), item)

    table = rows.table.to_pylist()
    assert [r["id"] for r in table] == sorted(first)  # one row per id, sorted
    for row in table:
        item = first[row["id"]]
        assert canonical(json.loads(row["item_json"])) == canonical(item)  # exactly as received
        assert row["snapshot_date"] == DAY
        assert row["downloads"] == expected_int(item.get("downloads"))
        assert row["downloads_all_time"] == expected_int(item.get("downloadsAllTime"))
        assert row["likes"] == expected_int(item.get("likes"))
        assert row["gated"] == expected_gated(item.get("gated"))
        assert row["tags"] == expected_tags(item.get("tags"))
        author = item.get("author")
        assert row["author"] == (author if _is_text(author) and author else row["id"].split("/", 1)[0])
        for column in ("pipeline_tag", "library_name", "sha"):
            assert row[column] == (item.get(column) if _is_text(item.get(column)) else None)
        created = item.get("createdAt")
        if not isinstance(created, str):
            assert row["created_at"] is None
        elif GENERATED_TIMESTAMP.fullmatch(created):
            assert row["created_at"] == dt.datetime.fromisoformat(created)

    # The typed JSON columns are JSON that the dbt models' expressions read without an error.
    _DUCKDB.register("arrow", rows.table)
    (invalid, *_), = _DUCKDB.execute(JSON_EXPRESSIONS).fetchall()
    assert invalid == 0

    # Written and read back unchanged; the files are the partition's and nothing else (no id reaches a path).
    write_snapshot_partition(scratch / "raw", scratch / "rejects", rows)
    assert pq.read_table(partition_dir(scratch / "raw", DAY) / PARTITION_FILE).equals(rows.table)
    files = sorted(p.relative_to(scratch).as_posix() for p in scratch.rglob("*") if p.is_file())
    expected = [f"raw/snapshot_date={DAY}/{PARTITION_FILE}"]
    if rejects:
        expected.append(f"rejects/snapshot_date={DAY}/{PARTITION_FILE}")
        assert pq.read_table(partition_dir(scratch / "rejects", DAY) / PARTITION_FILE).equals(rows.rejects)
    assert files == expected


def test_a_known_nasty_item_keeps_its_raw_json_and_nulls_only_what_is_mistyped():
    page = (
        '[{"id":"org/m","author":"\\udc00x","tags":["ok","\\ud83d",3],"pipeline_tag":"\\udfff",'
        '"downloads":"12","downloadsAllTime":1e400,"likes":NaN,"gated":"manual",'
        '"evalResults":[{"value":NaN,"dataset":{"id":"\\ud800"}}],"baseModels":[{"id":"a/b"}],'
        '"big":123456789012345678901234567890}]'
    )
    (item,) = received = loads(page)
    row = build_snapshot_rows(received, DAY).table.to_pylist()[0]
    assert canonical(json.loads(row["item_json"])) == canonical(item)
    assert "\\udc00x" in row["item_json"] and "123456789012345678901234567890" in row["item_json"]
    assert (row["author"], row["tags"], row["pipeline_tag"], row["gated"]) == ("org", ["ok"], None, "manual")
    assert (row["downloads"], row["downloads_all_time"], row["likes"]) == (None, None, None)
    # Typed JSON for dbt: the lone surrogate is replaced (DuckDB refuses it), the raw JSON above keeps it.
    assert row["eval_results_json"] == '[{"dataset":{"id":"\ufffd"},"value":NaN}]'
    assert json.loads(row["base_models_json"]) == [{"id": "a/b"}]


def test_an_item_repeated_is_kept_once_whether_usable_or_not():
    rows = build_snapshot_rows([{"id": "x"}, {"id": "a/b"}, {"id": "x"}, {"id": "a/b"}, {"id": "a/b", "likes": 1}], DAY)
    assert (rows.rows, rows.rejects.num_rows, rows.duplicates, rows.conflicting_duplicates) == (1, 1, 3, 1)
    assert rows.rejects.column("position").to_pylist() == [0]  # the first copy, where the crawl first met it


def test_huge_tag_lists_and_fields_are_kept_whole(tmp_path: Path):
    tags = [f"tag-{i}" for i in range(100_000)]
    items = [make_item("org/many-tags", downloads_all_time=1, tags=tags, cardData={"readme": "x" * 2_000_000}),
             make_item("org/plain", downloads_all_time=2)]
    rows = build_snapshot_rows(loads(json.dumps(items)), DAY)
    write_snapshot_partition(tmp_path / "raw", tmp_path / "rejects", rows)
    table = pq.read_table(partition_dir(tmp_path / "raw", DAY) / PARTITION_FILE)
    first = table.slice(0, 1).to_pylist()[0]
    assert first["id"] == "org/many-tags" and first["tags"] == tags
    assert json.loads(first["item_json"]) == items[0]


# ------------------------------------------------------------------------------------------------ the wire


@pytest.fixture(scope="module")
def wire(tmp_path_factory):
    """A local Hub over an archive folder whose one date each example rewrites."""
    archive = tmp_path_factory.mktemp("wire")
    write_archive_snapshot(archive, DAY, [make_item("seed/model", downloads_all_time=1)])
    with LocalHub(archive, page_size=3) as hub:
        yield archive, hub


def _projection(item: dict) -> dict:
    keep = set(EXPAND_FIELDS) | {"_id", "id", "modelId"}
    return {k: v for k, v in item.items() if k in keep}


@fuzz(20)
@given(st.lists(hub_items(ids=st.one_of(valid_ids, invalid_ids)), min_size=1, max_size=10,
                unique_by=lambda i: canonical(i.get("id"))))
def test_items_served_by_the_hub_arrive_exactly_as_served(wire, items):
    archive, hub = wire
    items = [i for i in items if _is_text(i.get("id")) and i.get("id")]  # the archive format needs an id
    if not items:
        items = [make_item("org/only", downloads_all_time=1)]
    write_archive_snapshot(archive, DAY, items)
    client = HubClient(source="local", endpoint=hub.url, backoff_base_seconds=0.001, max_attempts=2)
    fetched, stats = client.fetch_snapshot(DAY, Scope(organisations=(), full=True), hub.endpoint(DAY))
    served = [_projection(i) for i in items]
    assert [canonical(i) for i in fetched] == [canonical(i) for i in served]
    assert stats.retries == 0 and stats.pages == math.ceil(len(items) / 3)
    rows = build_snapshot_rows(fetched, DAY)
    raw_json = {r["id"]: r["item_json"] for r in rows.table.to_pylist()}
    raw_json.update({r["position"]: r["item_json"] for r in rows.rejects.to_pylist()})
    assert len(raw_json) == len(items)  # unique ids: every item is a row or a reject
    for position, item in enumerate(served):
        text = raw_json.get(position) or raw_json[item["id"]]
        assert canonical(json.loads(text)) == canonical(item)


def test_the_local_hub_refuses_an_archive_item_without_an_id_naming_file_and_line(tmp_path: Path):
    write_archive_snapshot(tmp_path, DAY, [make_item("org/a", downloads_all_time=1), {"modelId": 7}])
    with LocalHub(tmp_path) as hub, pytest.raises(ArchiveError, match=r"2025-03-01\.jsonl\.gz:2: the item has no"):
        hub.preload(DAY)


def test_unusable_items_are_rejected_with_reasons_and_counted_in_the_ui(tmp_path: Path):
    archive = tmp_path / "archive"
    good = [make_item(f"org/model-{i}", downloads_all_time=10 * i) for i in range(5)]
    odd = {"id": "org/a", "downloads": "5", "gated": True, "extra": {"x": [1, None]}}  # usable, oddly typed
    bad = [{"id": "no-namespace"}, {"id": "../../etc/passwd"}, {"id": "org/.."}, {"id": "组织/模型"}]
    write_archive_snapshot(archive, DAY, [*good, *bad, odd])
    home = tmp_path / "home"
    resources = {
        "hub": HubClient(source="local", archive_dir=str(archive), local_page_size=4),
        "scope": Scope(organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True),
        "paths": HubpulsePaths(home=str(home)),
    }
    result = dg.materialize([hub_model_snapshots], resources=resources, partition_key=DAY.isoformat())
    (materialization,) = result.asset_materializations_for_node("hub_model_snapshots")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert (metadata["rows"], metadata["rejected"], metadata["items_fetched"]) == (6, 4, 10)
    reasons = pq.read_table(partition_dir(home / "raw" / "hub_models_rejects", DAY) / PARTITION_FILE).to_pylist()
    assert [(r["position"], r["reason"]) for r in reasons] == [
        (5, "id 'no-namespace' is not of the form org/name"),
        (6, "id '../../etc/passwd' is not of the form org/name"),
        (7, "id 'org/..' is not of the form org/name"),
        (8, "id '组织/模型' is not of the form org/name"),
    ]
    assert [json.loads(r["item_json"]) for r in reasons] == bad
    raw = pq.read_table(partition_dir(home / "raw" / "hub_models", DAY) / PARTITION_FILE).to_pylist()
    row = next(r for r in raw if r["id"] == "org/a")
    # Kept as received: the Hub returns only the expanded fields, so `extra` never arrives.
    assert (row["downloads"], row["gated"], json.loads(row["item_json"])) == (None, "true", _projection(odd))
    files = sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file())
    assert files == [f"raw/hub_models/snapshot_date={DAY}/{PARTITION_FILE}",
                     f"raw/hub_models_rejects/snapshot_date={DAY}/{PARTITION_FILE}"]


def test_a_page_nested_too_deeply_for_any_parser_is_invalid_json_not_a_crash():
    for depth in (300, 5_000, 200_000):  # beyond orjson's limit; beyond the standard library's
        with pytest.raises(ValueError, match="nested too deeply|depth|recursion|Expecting"):
            loads("[" * depth + "]" * (depth - 1))  # one bracket short: never valid
    nested = "[" * 300 + "]" * 300
    assert loads(nested) == loads(nested)  # deep but valid, past orjson's limit: read by the fallback
    with pytest.raises(ValueError, match="nested too deeply"):
        loads("[" * 200_000 + "]" * 200_000)


# ------------------------------------------------------------------------------------------------ a hostile Hub

_HOSTILE: dict = {}


class _HostileHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with whatever the current example says (status, headers, body)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status, headers, body = _HOSTILE["answer"]
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture(scope="module")
def hostile_hub():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostileHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
answers = st.tuples(
    st.sampled_from([200, 200, 200, 201, 204, 301, 400, 401, 404, 408, 429, 500, 503, 599]),
    st.lists(st.one_of(
        st.tuples(st.just("Content-Type"), st.sampled_from(["application/json", "application/json; charset=utf-8",
                                                            "text/html", "application/problem+json", ""])),
        st.tuples(st.just("Link"), st.one_of(header_text, st.sampled_from([
            '</api/models?cursor=x>; rel="next"', '<http://127.0.0.1:1/api/models>; rel="next"', '<>; rel="next"',
            '<http://[::1/x>; rel="next"', "<javascript:alert(1)>; rel=next"]))),
        st.tuples(st.just("Retry-After"), st.one_of(header_text, st.sampled_from(
            ["0", "-5", "inf", "nan", "1e308", "0.01", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"]))),
        st.tuples(st.just("RateLimit"), st.one_of(header_text, st.sampled_from(
            ['"api";r=0;t=0', '"api";r=0;t=99999999999999999999', '"api";r=5;t=1', '"api";r=0']))),
    ), max_size=4),
    st.one_of(
        st.binary(max_size=64),
        json_values.map(lambda v: json.dumps(v).encode()),
        pages.map(lambda p: json.dumps(p).encode()),
        st.sampled_from([b"[" * 50_000, b"[]", b"{}", b"[1, 2, 3]", b'[{"id": "a/b"}]', b"\xef\xbb\xbf[]"]),
    ),
)


@fuzz(60)
@given(answers)
def test_whatever_a_hostile_hub_answers_ingestion_returns_items_or_a_clear_error(hostile_hub, answer):
    status, headers, body = answer
    _HOSTILE["answer"] = (status, headers, body)
    client = HubClient(source="local", endpoint=hostile_hub, max_attempts=2, backoff_base_seconds=0.001,
                       backoff_max_seconds=0.01, max_wait_seconds=0.2, timeout_seconds=0.5, max_pages_per_listing=3)
    try:
        items, _stats = client.fetch_snapshot(DAY, Scope(organisations=(), full=True), f"{hostile_hub}/as-of/{DAY}")
    except HubFetchError as exc:
        message = str(exc)
        assert message.startswith(("full-hub: ", f"{DAY}: ")) and len(message) < 2_000
        return
    rows = build_snapshot_rows(items, DAY)  # whatever came is rows or rejects
    assert rows.rows + rows.rejects.num_rows + rows.duplicates == len(items) > 0


# ------------------------------------------------------------------------------------------------ archives


bad_lines = st.one_of(
    st.sampled_from(['{"id": "a/b",', "not json", "[1, 2]", '"a string"', "42", "null", '{"id": "a/b"} trailing',
                     "\ufeff{}"]),
    st.text(min_size=1, max_size=20).filter(lambda t: t.strip() and "\n" not in t and "\r" not in t),
).map(lambda t: t.encode("utf-8", "surrogatepass"))
bad_lines = st.one_of(bad_lines, st.just(b"\xff\xfe not utf-8"), st.just(b'{"id": "\xc3"}'))


@fuzz(100)
@given(st.lists(st.sampled_from([b'{"id":"a/b","x":1}', b"", b"   ", b'{"id":"c/d"}']), max_size=8),
       bad_lines, st.integers(min_value=0, max_value=8), st.booleans())
def test_a_bad_archive_line_is_named_by_file_and_line(good_lines, bad, position, gz):
    position = min(position, len(good_lines))
    lines = [*good_lines[:position], bad, *good_lines[position:]]
    try:
        parsed = loads(bad.decode("utf-8").lstrip("\ufeff") if position == 0 else bad.decode("utf-8"))
        assume_bad = not isinstance(parsed, dict)
    except (UnicodeDecodeError, ValueError):
        assume_bad = True
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{DAY}.jsonl{'.gz' if gz else ''}"
        payload = b"\n".join(lines) + b"\n"
        path.write_bytes(gzip.compress(payload, mtime=0) if gz else payload)
        if not assume_bad:  # the random line happened to be a JSON object: then it is simply an item
            assert len(list(iter_snapshot_items(path))) == sum(1 for line in lines if line.strip())
            return
        with pytest.raises(ArchiveError) as excinfo:
            list(iter_snapshot_items(path))
    assert str(excinfo.value).startswith(f"{path}:{position + 1}: ")


def test_a_cut_gzip_archive_names_the_file_and_the_line_it_stops_at(tmp_path: Path):
    items = [make_item(f"org/m{i}", downloads_all_time=i, cardData={"pad": "x" * 2000 + str(i)}) for i in range(300)]
    path = write_archive_snapshot(tmp_path, DAY, items)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ArchiveError, match=rf"{path.name}:(\d+): cannot be read \((EOFError|BadGzipFile)") as excinfo:
        list(iter_snapshot_items(path))
    line = int(str(excinfo.value).split(f"{path.name}:", 1)[1].split(":", 1)[0])
    assert 1 < line <= 300


@fuzz(100)
@given(st.text(min_size=1, max_size=15).filter(lambda t: "/" not in t and "\x00" not in t and t not in (".", "..")))
def test_archive_file_names_are_dates_or_a_clear_error(stem):
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = Path(folder) / f"{stem}.jsonl"
            path.write_text('{"id": "a/b"}\n')
        except (OSError, UnicodeEncodeError):
            return  # a name this filesystem cannot hold
        try:
            day = parse_snapshot_date(stem)
        except ArchiveError:
            if stem.startswith("."):
                assert list_snapshots(Path(folder)) == {}  # hidden files (temporaries) are not snapshots
                return
            with pytest.raises(ArchiveError, match="snapshot file name must be YYYY-MM-DD"):
                list_snapshots(Path(folder))
        else:
            assert list_snapshots(Path(folder)) == {day: path}


def test_a_duplicate_day_names_both_files(tmp_path: Path):
    write_archive_snapshot(tmp_path, DAY, [make_item("a/b", downloads_all_time=1)])
    write_archive_snapshot(tmp_path, DAY, [make_item("a/b", downloads_all_time=2)], gz=False)
    with pytest.raises(ArchiveError, match=r"2025-03-01\.jsonl\.gz: duplicate snapshot for 2025-03-01 \(also "
                                           r"2025-03-01\.jsonl\)"):
        list_snapshots(tmp_path)


# ------------------------------------------------------------------------------------------------ keys and paths


@fuzz(300)
@given(st.one_of(st.text(max_size=30), st.dates().map(dt.date.isoformat),
                 st.sampled_from(["2025-03-01/../../etc", "../2025-03-01", "2025-03-01\x00", "2025-02-30",
                                  "2025-3-1", "20250301", "2025-03-01 ", "٢٠٢٥-٠٣-٠١", "2025-03-01T00:00"])))
def test_a_partition_key_is_a_date_or_refused_and_never_leaves_the_root(key):
    root = Path("/srv/hubpulse/raw/hub_models")
    try:
        day = parse_snapshot_date(key)
    except ArchiveError as exc:
        assert repr(key)[:20] in str(exc) or "date" in str(exc)
        return
    assert day.isoformat() == key
    folder = partition_dir(root, day)
    assert folder.parent == root and folder.name == f"snapshot_date={key}"


def test_the_asset_refuses_a_partition_key_that_is_not_a_date(tmp_path: Path):
    home = tmp_path / "home"
    resources = {
        "hub": HubClient(source="local", archive_dir=str(tmp_path)),
        "scope": Scope(organisations=[], full=True),
        "paths": HubpulsePaths(home=str(home)),
    }
    for key in ("../../etc", "2025-03-01/../x", "2025-02-30"):
        with pytest.raises(dg.DagsterError):
            dg.materialize([hub_model_snapshots], resources=resources, partition_key=key)
    assert not home.exists()


def test_a_planted_symlink_cannot_redirect_a_partition_write(tmp_path: Path):
    raw, outside = tmp_path / "home" / "raw", tmp_path / "elsewhere"
    outside.mkdir()
    (raw / "hub_models").mkdir(parents=True)
    (raw / "hub_models" / f"snapshot_date={DAY}").symlink_to(outside, target_is_directory=True)
    rows = build_snapshot_rows([make_item("a/b", downloads_all_time=1)], DAY)
    with pytest.raises(ValueError, match="resolves outside"):
        write_snapshot_partition(raw / "hub_models", raw / "hub_models_rejects", rows)
    assert list(outside.iterdir()) == []


# ------------------------------------------------------------------------------------------------ configuration


@pytest.mark.parametrize("home", ["/data/o'brien", "/data/*", "/data/[abc]", "/data/{a,b}", "/data/a?b",
                                  "/data/new\nline", '/data/"q"', "/data/back\\slash", "", "   ", "/"])
def test_unsafe_hubpulse_home_is_refused_with_a_reason(monkeypatch: pytest.MonkeyPatch, home: str):
    if home.strip():
        monkeypatch.setenv("HUBPULSE_HOME", home)
        with pytest.raises(ValueError, match="HUBPULSE_HOME"):
            hubpulse_settings.hubpulse_home()
    with pytest.raises(ValueError, match="home"):
        HubpulsePaths(home=home)


def test_safe_hubpulse_homes_are_accepted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for home in (tmp_path / "data", tmp_path / "with space" / "déjà vu", tmp_path / "a-b_c.d"):
        monkeypatch.setenv("HUBPULSE_HOME", str(home))
        assert hubpulse_settings.hubpulse_home() == home
        assert HubpulsePaths(home=str(home)).raw_models == home / "raw" / "hub_models"
    monkeypatch.setenv("HUBPULSE_HOME", "")
    assert hubpulse_settings.hubpulse_home() == Path("data").resolve()  # empty means the default


@pytest.mark.parametrize("value", ["2024-1-1", "yesterday", "2024-02-30", "2024-10-01T00:00", "../x"])
def test_start_date_must_be_a_date(monkeypatch: pytest.MonkeyPatch, value: str):
    from orchestration.hub.partitions import snapshot_start_date

    monkeypatch.setenv("HUBPULSE_START_DATE", value)
    with pytest.raises(ValueError, match="HUBPULSE_START_DATE"):
        snapshot_start_date()
    monkeypatch.setenv("HUBPULSE_START_DATE", " 2024-10-01 ")
    assert snapshot_start_date() == "2024-10-01"


@pytest.mark.parametrize(("name", "value", "error"), [
    ("HUBPULSE_SOURCE", "remote", "HUBPULSE_SOURCE must be 'live' or 'local'"),
    ("HF_ENDPOINT", "ftp://huggingface.co", "HF_ENDPOINT must be an http"),
    ("HF_ENDPOINT", "huggingface.co", "HF_ENDPOINT must be an http"),
    ("HF_ENDPOINT", "https://user:pass@huggingface.co", "no user:password@"),
    ("HF_ENDPOINT", "https://huggingface.co/?token=x", "no user:password@, query"),
])  # fmt: skip
def test_hub_configuration_is_validated(monkeypatch: pytest.MonkeyPatch, name: str, value: str, error: str):
    from orchestration.resources import hub_client_from_env

    monkeypatch.setenv("HUBPULSE_SOURCE", "live")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=error):
        hub_client_from_env()


def test_scope_configuration_is_validated(monkeypatch: pytest.MonkeyPatch):
    from orchestration.hub.scope import Scope as ScopeConfig

    for name, value, error in (("HUBPULSE_SCOPE_ORGS", "Qwen,../etc", "not a Hub namespace"),
                               ("HUBPULSE_SCOPE_ORGS", "a/b", "not a Hub namespace"),
                               ("HUBPULSE_TOP_N", "-1", "must be >= 0"), ("HUBPULSE_TOP_N", "ten", "whole number")):
        with monkeypatch.context() as env:
            env.setenv(name, value)
            with pytest.raises(ValueError, match=error):
                ScopeConfig.from_env()
