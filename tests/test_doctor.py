"""`hubpulse doctor` against the local Hub acting as the live endpoint, and an instance made by `hubpulse prepare`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.cli import doctor
from orchestration.cli.main import build_parser
from orchestration.hub.client import HubClient
from orchestration.hub.limits import least_run_seconds
from orchestration.hub.scope import Scope
from orchestration.hub.snapshots import (
    PARTITION_FILE,
    build_snapshot_rows,
    partition_dir,
    write_snapshot_partition,
)
from orchestration.localhub.server import FaultConfig, LocalHub
from orchestration.settings import PROJECT_ROOT, Settings, raw_models_dir
from tests.conftest import DAY2

GOOD = "hf_localGoodToken1234567890"
BAD = "hf_localWrongToken0987654321"


@pytest.fixture
def hub(tiny_archive: Path):
    with LocalHub(tiny_archive, page_size=2, accounts={GOOD: "alice"}) as served:
        yield served


def live(endpoint: str, home: Path) -> Settings:
    return Settings.from_env({"HUBPULSE_SOURCE": "live", "HF_ENDPOINT": endpoint, "HUBPULSE_HOME": str(home)})


def by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {check.name: check for check in checks}


def test_whoami_on_the_local_hub(hub: LocalHub):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    assert HfApi(endpoint=hub.url, token=GOOD).whoami()["name"] == "alice"
    with pytest.raises(HfHubHTTPError, match="Invalid user token") as refused:
        HfApi(endpoint=hub.url, token=BAD).whoami()
    assert refused.value.response.status_code == 401


def test_good_token_names_the_account(hub: LocalHub, tmp_path: Path):
    check = by_name(doctor.run_checks(live(hub.url, tmp_path), token=GOOD, only=["endpoint", "source"]))
    assert check["source"].status == "OK"
    assert check["endpoint"].status == "OK", check["endpoint"].line()
    assert "'alice'" in check["endpoint"].message and check["endpoint"].details["account"] == "alice"
    assert GOOD not in check["endpoint"].line() and GOOD not in json.dumps(check["endpoint"].details)
    assert hub.stats["authorized_requests"] == 1


def test_bad_token_fails_with_401_and_is_masked(hub: LocalHub, tmp_path: Path, monkeypatch, capsys):
    """Through the command line: exit code 1, the 401 named, the token nowhere in the text or the JSON."""
    for name, value in {"HUBPULSE_SOURCE": "live", "HF_ENDPOINT": hub.url, "HF_TOKEN": BAD,
                        "HUBPULSE_SCOPE_ORGS": "Qwen", "HUBPULSE_TOP_N": "3"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    parser = build_parser()  # the `hubpulse` command line itself
    for extra in ([], ["--json"]):
        args = parser.parse_args(["doctor", "--home", str(tmp_path), *extra])
        assert args.func(args) == 1
        out = capsys.readouterr().out
        assert BAD not in out and BAD[3:] not in out
        if extra:
            endpoint = next(c for c in json.loads(out)["checks"] if c["name"] == "endpoint")
            assert endpoint["status"] == "FAIL" and "401" in endpoint["message"]
            assert endpoint["details"]["token"] == doctor.mask_token(BAD)
        else:
            line = next(line for line in out.splitlines() if " endpoint: " in line)
            assert line.startswith("FAIL") and "HTTP 401 (invalid token)" in line and "(28 characters)" in line
            assert "FAIL dagster_home: DAGSTER_HOME is not set" in out


def test_unreachable_endpoint_fails_quickly(tmp_path: Path):
    with socket.socket() as sock:  # a loopback port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    check = by_name(doctor.run_checks(live(f"http://127.0.0.1:{port}", tmp_path), token=GOOD, only=["endpoint"],
                                      timeout_seconds=2))["endpoint"]
    assert time.monotonic() - started < 30  # bounded by the 2 s timeout (a refused connection), not a hang
    assert check.status == "FAIL" and "unreachable" in check.message and "ConnectError" in check.message
    assert GOOD not in check.line()


def test_no_token_warns_of_anonymous_limits(hub: LocalHub, tmp_path: Path):
    check = by_name(doctor.run_checks(live(hub.url, tmp_path), token=None, only=["endpoint"]))["endpoint"]
    assert check.status == "WARN" and "anonymous" in check.message and "HF_TOKEN" in check.action
    assert hub.stats["authorized_requests"] == 0


def test_request_count_and_disk_match_a_real_crawl(hub: LocalHub, tmp_path: Path):
    """The doctor's count over the raw partition of a day equals the page requests the client sent that day
    (pages of 2: author listings of several pages, an empty author listing and empty children listings read
    twice, top-N listings cut at their limit); the disk estimate is the partition's measured bytes per row."""
    scope = Scope(organisations=["Qwen", "deepseek-ai", "nobody"], top_n_downloads=5, top_n_likes=3,
                  top_n_trending=0, aliases=[])
    client = HubClient(source="local", endpoint=hub.url)
    hub.reset_stats()
    items, stats = client.fetch_snapshot(DAY2, scope, hub.endpoint(DAY2))
    sent = hub.stats["list_requests"]
    assert sent == stats.requests and stats.children_listings > 0 and stats.empty_pages_reread > 0

    home = tmp_path / "home"
    raw = raw_models_dir(home)
    write_snapshot_partition(raw, home / "raw" / "rejects", build_snapshot_rows(items, DAY2))
    day, rows = doctor.newest_partition_items(raw)
    estimate = doctor.count_requests(scope, rows, page_size=2, measured_on=day)
    assert (day, estimate.requests, estimate.models) == (DAY2, sent, len({i["id"] for i in items}))
    assert set(estimate.by_kind) == {"author", "top", "children"}

    # Through run_checks, with the Hub announcing a limit of 10 requests per window: over it, so a WARN.
    hub.set_faults(FaultConfig(rate_limit=10, rate_window_seconds=300))
    checks = by_name(doctor.run_checks(live(hub.url, home), home=home, token=GOOD, scope=scope, page_size=2,
                                       only=["requests", "disk"]))
    requests = checks["requests"]
    assert requests.details["requests"] == sent and requests.details["limit"] == 10
    assert requests.status == "WARN" and "over the limit" in requests.message and f"{DAY2}" in requests.message
    disk = checks["disk"]
    size = (partition_dir(raw, DAY2) / PARTITION_FILE).stat().st_size
    assert disk.status == "OK" and disk.details["measured"]
    assert disk.details["bytes_per_row"] == pytest.approx(size / estimate.models)
    assert disk.details["bytes_per_year"] == pytest.approx(365 * size)


def test_assumed_scope_without_a_partition():
    scope = Scope(organisations=["a", "b"], top_n_downloads=2500, top_n_likes=0, top_n_trending=0)
    estimate = doctor.assumed_requests(scope, page_size=1000)
    per_org = doctor.ASSUMED_MODELS_PER_ORG
    assert estimate.by_kind == {"author": 2, "top": 3, "children": 2 * per_org * 2}
    assert doctor.assumed_requests(Scope(full=True), page_size=1000).requests == 2500
    # Quick requests wait out two full windows; slow ones never exhaust a window.
    assert least_run_seconds(1200, 500, seconds_per_request=0.1) == pytest.approx(2 * 300 + 200 * 0.1)
    assert least_run_seconds(1200, 500, seconds_per_request=1.0) == pytest.approx(1200)


def _dagster_schedule(action: str, env: dict) -> None:
    subprocess.run([str(Path(sys.executable).parent / "dagster"), "schedule", action, "daily_hub_snapshot", "-m",
                    "orchestration.definitions"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True,
                   timeout=180)


def test_schedule_state_next_tick_and_no_daemon(tmp_path: Path, monkeypatch):
    import datetime as dt

    from orchestration.cli.main import main
    from orchestration.hub.jobs import daily_hub_snapshot

    home, dagster_home = tmp_path / "home", tmp_path / "home" / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    assert main(["prepare", "--home", str(home), "--no-manifest"]) == 0
    now = dt.datetime(2026, 1, 5, 23, 30, tzinfo=dt.UTC)
    names = ["home", "dagster_home", "dbt_manifest", "schedule", "daemon"]

    def run() -> dict[str, doctor.Check]:
        return by_name(doctor.run_checks(live("http://127.0.0.1:9", home), home=home, dagster_home=dagster_home,
                                         now=now, only=names))

    checks = run()
    assert [checks[n].status for n in ("home", "dagster_home", "dbt_manifest")] == ["OK", "OK", "OK"]
    default = daily_hub_snapshot.default_status.value.lower()
    schedule = checks["schedule"]
    assert schedule.details["state"] == default and schedule.details["origin"] == "default from the code"
    minute, hour = (int(x) for x in daily_hub_snapshot.cron_schedule.split()[:2])
    tick = dt.datetime.fromisoformat(schedule.details["next_tick"])
    assert tick > now and tick - now <= dt.timedelta(days=1) and (tick.hour, tick.minute) == (hour, minute)
    daemon = checks["daemon"]
    assert daemon.status == "WARN" and "dagster-daemon run" in daemon.action

    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    _dagster_schedule("start", env)
    schedule = run()["schedule"]
    assert (schedule.status, schedule.details["state"]) == ("OK", "running")
    _dagster_schedule("stop", env)
    schedule = run()["schedule"]
    assert (schedule.status, schedule.details["state"], schedule.details["origin"]) == (
        "WARN", "stopped", "set in the instance")
    assert "dagster schedule start" in schedule.action


def test_missing_instance_fails(tmp_path: Path):
    checks = by_name(doctor.run_checks(live("http://127.0.0.1:9", tmp_path / "nowhere"), home=tmp_path / "nowhere",
                                       dagster_home=None, only=["home", "dagster_home", "schedule", "daemon"]))
    assert {name: c.status for name, c in checks.items()} == {
        "home": "FAIL", "dagster_home": "FAIL", "schedule": "FAIL", "daemon": "FAIL"}
    assert "hubpulse prepare" in checks["home"].action
