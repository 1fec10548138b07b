"""`dagster dev` over `workspace.yaml` as `make dev` starts it, for the tests that drive the real UI backend.

One home for starting it on a free loopback port, waiting until the code location has loaded (over GraphQL), and
stopping the whole process group (webserver, daemon, code server) whatever the test did.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 240

LOCATIONS = """
query { workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.loads(response.read())
    assert "errors" not in payload, payload["errors"]
    return payload["data"]


def wait_until_loaded(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            entries = graphql(url, LOCATIONS)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
            continue
        location = next((e for e in entries if e["name"] == "hubpulse"), None)
        if location and location["loadStatus"] == "LOADED":
            assert location["locationOrLoadError"]["__typename"] == "RepositoryLocation", location
            return
        time.sleep(1)
    pytest.fail(f"the code location did not load within {STARTUP_SECONDS}s:\n{log.read_text()[-4000:]}")


@contextlib.contextmanager
def running_dagster_dev(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`dagster dev -w workspace.yaml` on 127.0.0.1 with `env`, its output in `log_path`; yields its URL once the
    code location has loaded, and stops every process it started on the way out."""
    port = free_port()
    # Under `dagster dev` the code location parses the dbt project again (`prepare_if_dev`), writing manifest.json
    # where HUBPULSE_DBT_MANIFEST_DIR points (default: the working tree's dbt_project/target). A private folder:
    # the parse rewrote the shared manifest while another test's process read it, which failed with a truncated
    # JSON ("unexpected end of data") in a run of the suite.
    env = {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
           "HUBPULSE_DBT_MANIFEST_DIR": str(log_path.parent / "dagster-dev-manifest")}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_loaded(url, process, log_path)
            yield url
        finally:
            # Ctrl-C, as a user stops `make dev`: dagster dev stops its webserver and daemon, in seconds when idle.
            # (A SIGTERM to the whole group left the leader waiting the full 60 s in both tests' teardowns; after
            # the daemon test's runs Ctrl-C still took over 30 s, measured.) Then whatever is left in the group
            # (a code server or a run still winding down) is killed: the instance is the test's own.
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
