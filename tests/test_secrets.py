"""Secrets and exposure: the Hub token goes only to the live Hub, over TLS or loopback, and leaves no trace.

The "live" Hub here is the project's local Hub on loopback (the client sends the token only to a `live` source, and
allows plain http only to this machine). It answers with faults on (429s, 5xx bursts whose bodies echo the request
headers, resets, truncated pages), so retries, logs and errors all run with the token in play. Then every log
record, every Dagster event (messages, metadata, errors) and every file under HUBPULSE_HOME is searched for it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli.prepare import ensure_instance
from orchestration.hub.archive import write_snapshot
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient, HubFetchError, InsecureEndpointError
from orchestration.hub.scope import Scope
from orchestration.localhub.server import FaultConfig, LocalHub
from orchestration.resources import HubpulsePaths, hub_client_from_env
from tests.conftest import tiny_hub_items

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCOPE = Scope(organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True)
RETRIED_FAULTS = FaultConfig(throttle_pages={1}, throttle_seconds=0, fail_pages={2, 3}, reset_pages={5},
                             truncate_pages={7}, echo_headers=True)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    value = "hf_" + secrets.token_urlsafe(30).replace("-", "x").replace("_", "y")
    monkeypatch.setenv("HF_TOKEN", value)
    return value


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """An archive whose newest date is today: the root of the local Hub serves it, as the live Hub serves now."""
    folder = tmp_path / "archive"
    write_snapshot(folder, _today() - dt.timedelta(days=1), tiny_hub_items(0))
    write_snapshot(folder, _today(), tiny_hub_items(1))
    return folder


def _live_client(url: str, **overrides) -> HubClient:
    """What `hub_client_from_env` builds for HUBPULSE_SOURCE=live (token through dg.EnvVar), with fast retries."""
    return HubClient(source="live", endpoint=url, token=dg.EnvVar("HF_TOKEN"), backoff_base_seconds=0.01,
                     **overrides)


def _traces(instance: dg.DagsterInstance) -> list[str]:
    """Every event of every run, serialized whole as Dagster stores them (messages, metadata, errors and their
    causes), and every run."""
    out = []
    for run in instance.get_runs():
        out.append(dg.serialize_value(run))
        out.extend(dg.serialize_value(entry) for entry in instance.all_logs(run.run_id))
    return out


def test_the_token_appears_in_no_log_event_error_or_file(
    token: str, archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture,
):
    home = tmp_path / "home"
    monkeypatch.setenv("HUBPULSE_HOME", str(home))
    dagster_home = home / "dagster"
    ensure_instance(dagster_home)  # the project's instance: sqlite storage and compute logs under HUBPULSE_HOME
    caplog.set_level(logging.DEBUG)  # every logger, huggingface_hub's and httpx's included
    key = _today().isoformat()
    with LocalHub(archive, page_size=7, faults=RETRIED_FAULTS) as hub, \
            dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        monkeypatch.setenv("HUBPULSE_SOURCE", "live")
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        configured = hub_client_from_env()
        assert configured.source == "live" and configured.endpoint == hub.url
        assert configured.token == "HF_TOKEN" and isinstance(configured.token, dg.EnvVar)  # a name, not the value
        assert token not in repr(configured)
        resources = {"hub": _live_client(hub.url), "scope": SCOPE, "paths": HubpulsePaths(home=str(home))}

        ok = dg.materialize([hub_model_snapshots], resources=resources, partition_key=key, instance=instance)
        assert ok.success
        retried = ok.asset_materializations_for_node("hub_model_snapshots")[0].metadata["retries"].value
        assert retried == 5  # 429, two 5xx, a reset, a truncated page: each retried with the token

        hub.set_faults(FaultConfig(fail_all=True, echo_headers=True))
        failed = dg.materialize([hub_model_snapshots], resources={**resources, "hub": _live_client(hub.url,
                                max_attempts=3)}, partition_key=key, instance=instance, raise_on_error=False)
        assert not failed.success
        stats = hub.stats
        traces = _traces(instance)

    # The token really was sent, on every request: a search that finds nothing means something.
    assert stats["requests"] == stats["authorized_requests"] > 10
    assert stats["errors_injected"] >= 5
    # The Hub echoed it back in its error pages; the client reported those errors with the token redacted.
    error = failed.get_step_failure_events()[0].step_failure_data.error
    messages = []
    while error is not None:
        messages.append(error.message + "".join(error.stack))
        error = error.cause
    assert "authorization: bearer <redacted>" in "".join(messages).lower()
    assert any("authorization: bearer <redacted>" in trace.lower() for trace in traces)

    # Not the token, nor any 12-character piece of it (a cut one would hide from a search for the whole).
    pieces = {token[i : i + 12] for i in range(len(token) - 11)}
    assert not [m for m in messages if any(piece in m for piece in pieces)]
    assert not [t for t in traces if any(piece in t for piece in pieces)]
    assert not [r.getMessage() for r in caplog.records if token in r.getMessage() or token in str(r.args)]
    out, err = capfd.readouterr()
    assert token not in out and token not in err
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files) and any("compute_logs" in str(p) or p.suffix in (".out", ".err")
                                                          for p in files)
    assert [str(p) for p in files if token.encode() in p.read_bytes()] == []


def test_the_token_goes_only_to_the_live_hub(token: str, archive: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch):
    # A cached `huggingface-cli login` too: the local source must not pick that up either.
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    (tmp_path / "hf_home").mkdir()
    (tmp_path / "hf_home" / "token").write_text(token)
    scope = Scope(organisations=(), full=True)
    with LocalHub(archive, page_size=10) as hub:
        local = HubClient(source="local", endpoint=hub.url, token=token)
        items, _ = local.fetch_snapshot(_today(), scope, hub.endpoint(_today()))
        assert len(items) == 40 and hub.stats["requests"] == 4 and hub.stats["authorized_requests"] == 0
        hub.reset_stats()
        live = HubClient(source="live", endpoint=hub.url, token=token)
        items, _ = live.fetch_snapshot(_today(), scope, hub.url)
        assert len(items) == 40 and hub.stats["authorized_requests"] == hub.stats["requests"] == 4


def test_the_token_is_never_sent_in_clear_text_to_another_machine(token: str):
    for endpoint in ("http://hub.example.invalid", "http://10.0.0.5:8080", "http://[2001:db8::1]"):
        client = HubClient(source="live", endpoint=endpoint, token=token)
        with pytest.raises(InsecureEndpointError, match="refusing to send HF_TOKEN"):
            client.check_dates([_today()])
        with pytest.raises(InsecureEndpointError):
            client.fetch_snapshot(_today(), Scope(organisations=(), full=True), endpoint)
    # https anywhere, plain http to this machine (a test Hub), and no token at all are fine.
    for endpoint, secret in (("https://huggingface.co", token), ("http://127.0.0.1:9", token),
                             ("http://[::1]:9", token), ("http://hub.example.invalid", None)):
        HubClient(source="live", endpoint=endpoint, token=secret).check_token_transport()


# The step's retry policy is read when the assets are defined, from HUBPULSE_INGEST_RETRIES (the suite sets 0):
# a process of its own, with three retries allowed, shows that a refused endpoint does not use them.
STEP_RETRY_SCRIPT = """
import json, os, sys
import dagster as dg
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient
from orchestration.resources import HubpulsePaths
from tests.test_secrets import SCOPE

home, day = sys.argv[1], sys.argv[2]
resources = {"hub": HubClient(source="live", endpoint="http://10.0.0.5:8080", token=os.environ["HF_TOKEN"]),
             "scope": SCOPE, "paths": HubpulsePaths(home=home)}
with dg.DagsterInstance.ephemeral() as instance:
    result = dg.materialize([hub_model_snapshots], resources=resources, partition_key=day, instance=instance,
                            raise_on_error=False)
failure = result.get_step_failure_events()[0].step_failure_data
print(json.dumps({"max_retries": hub_model_snapshots.op.retry_policy.max_retries, "success": result.success,
                  "events": [e.event_type_value for e in result.all_events], "cls_name": failure.error.cls_name,
                  "message": failure.error.message, "user_failure": failure.user_failure_data is not None}))
"""


def test_an_insecure_endpoint_fails_the_ingestion_step_without_retries(token: str, tmp_path: Path):
    env = {**os.environ, "HUBPULSE_INGEST_RETRIES": "3", "HUBPULSE_INGEST_RETRY_DELAY_SECONDS": "0"}
    done = subprocess.run([sys.executable, "-c", STEP_RETRY_SCRIPT, str(tmp_path / "home"), _today().isoformat()],
                          check=False, env=env, capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["max_retries"] == 3  # three step retries allowed: retrying cannot make http safe
    assert not result["success"]
    assert "STEP_UP_FOR_RETRY" not in result["events"] and result["events"].count("STEP_FAILURE") == 1
    assert result["cls_name"] == "Failure" and "refusing to send HF_TOKEN" in result["message"]
    assert token not in result["message"]
    assert result["user_failure"]  # the Failure itself, raised with allow_retries=False


def test_a_link_to_another_host_never_receives_the_token(token: str, archive: Path):
    with LocalHub(archive, page_size=7) as elsewhere, LocalHub(archive, page_size=7) as hub:
        # `localhost` is another origin than `127.0.0.1` (and both stay on this machine).
        hub.set_faults(FaultConfig(link_host=f"localhost:{elsewhere.port}"))
        client = HubClient(source="live", endpoint=hub.url, token=token, max_attempts=2)
        with pytest.raises(HubFetchError, match=r"links to another host \(localhost\): refusing to follow it"):
            client.fetch_snapshot(_today(), Scope(organisations=(), full=True), hub.url)
        assert hub.stats["authorized_requests"] == 1 and elsewhere.stats["requests"] == 0


def test_errors_echoing_the_token_are_redacted_in_every_message(token: str, archive: Path):
    logged: list[str] = []
    with LocalHub(archive, faults=FaultConfig(fail_all=True, echo_headers=True)) as hub:
        client = HubClient(source="live", endpoint=hub.url, token=token, max_attempts=3, backoff_base_seconds=0.01)
        with pytest.raises(HubFetchError) as excinfo:
            client.fetch_snapshot(_today(), Scope(organisations=(), full=True), hub.url, log=logged.append)
    assert "authorization: bearer <redacted>" in str(excinfo.value).lower() and token not in str(excinfo.value)
    assert len(logged) == 2 and all("Bearer <redacted>" in line and token not in line for line in logged)
    error = excinfo.value  # and no chained exception that could carry the response (and its request headers)
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_the_hub_servers_bind_to_loopback_by_default(archive: Path):
    import argparse

    from orchestration.localhub.server import add_arguments

    with LocalHub(archive) as hub:
        assert hub._server.socket.getsockname()[0] == "127.0.0.1"
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).host == "127.0.0.1"
    with pytest.raises(ValueError, match="refusing to bind"):
        LocalHub(archive, host="0.0.0.0")
    # The Hub a local-source run starts for itself, as a child process.
    client = HubClient(source="local", archive_dir=str(archive))
    with client.local_hub() as served:
        assert served.url.startswith("http://127.0.0.1:")


def test_the_dagster_ui_binds_to_loopback_by_default():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    dev = [line for line in makefile.splitlines() if "dagster dev" in line]
    assert dev and all(" -h 127.0.0.1" in line for line in dev)
    assert "0.0.0.0" not in makefile


def test_a_long_error_page_is_redacted_before_it_is_shortened(token: str):
    """Shortening first would cut the token in two and leave its first half unredacted."""
    import httpx2

    from orchestration.hub.client import _hub_message

    client = HubClient(source="live", endpoint="https://huggingface.co", token=token)
    for offset in range(150, 210, 7):  # the 200-character cut falls before, inside and after the token
        response = httpx2.Response(500, json={"error": "x" * offset + f" Bearer {token} " + "y" * 300})
        message = _hub_message(response, client.redact)
        assert not [token[:n] for n in range(8, len(token) + 1) if token[:n] in message], message
