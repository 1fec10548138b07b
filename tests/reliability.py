"""Shared machinery of the crash and soak tests, and the full-size soak as a script.

The soak: a simulated Hub history is ingested through the real `hub_model_snapshots` asset from the local Hub
with random faults switched on (failed runs are run again, stretches of dates are ingested again), and the
warehouse is built window by window with dbt; at the end the raw partitions must equal a fault-free run's byte
for byte, the marts must equal a fault-free full build's, and nothing temporary may be left anywhere.

    .venv/bin/python -m tests.reliability --days 60 --rounds 3            # the full-size soak (see RELIABILITY.md)
    .venv/bin/python -m tests.reliability --days 60 --kill-dbt            # ... with a dbt build killed each round

`tests/test_soak.py` runs a suite-sized soak with the same code.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(PROJECT_ROOT))
# A failed ingestion run is run again by the soak itself, at once; the step's own retry policy would wait minutes
# first (it is read when the asset is defined, so before the import below; the test suite's conftest does the same).
os.environ.setdefault("HUBPULSE_INGEST_RETRIES", "0")

import dagster as dg
import duckdb

from orchestration.cli.prepare import dbt_executable
from orchestration.hub.archive import list_snapshots, read_snapshot, write_snapshot
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient
from orchestration.hub.scope import Scope
from orchestration.localhub.server import FaultConfig, LocalHub
from orchestration.localhub.simulator import SimulationConfig, simulate
from orchestration.resources import HubpulsePaths
from orchestration.settings import DBT_PROJECT_DIR

Log = Callable[[str], None]
SCOPE = Scope(organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True)
# Lines of `dbt build` a soak with --kill-dbt kills it right after (one chosen at random per window).
KILL_POINTS = (
    "START sql view model staging.stg_hub__model_snapshots",
    "START sql view model intermediate.int_model_snapshots_attributed",
    "START sql incremental model intermediate.int_models_daily_downloads",
    "START sql incremental model marts.fct_model_daily",
    "START sql incremental model marts.fct_download_velocity",
    "START sql table model marts.dim_models",
    "START sql table model marts.fct_supply_chain",
)
# Names only temporary files carry: the raw writer's, the archive writer's, the serving publisher's, dbt's.
TEMPORARY_MARKERS = (".tmp", "__dbt_tmp", "__dbt_backup")


class FakeClock:
    """A clock that moves only when something sleeps on it: give `clock` to `LocalHub(clock=...)` and to a
    `HubClient`'s `_clock`, and `sleep` to its `_sleep`, and every wait the client asks for is recorded in `sleeps`
    and lets exactly that much time pass for the server's rate-limit window, however slow the machine is."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# ------------------------------------------------------------------------------------------------ history


@dataclasses.dataclass(frozen=True)
class History:
    """A simulated Hub history: its archive and its snapshot dates (a few dates have no file, on purpose)."""

    archive: Path
    dates: tuple[dt.date, ...]

    def stretches(self, first: dt.date | None = None, last: dt.date | None = None) -> list[tuple[dt.date, dt.date]]:
        """Runs of consecutive archive dates within [first, last]: each is one single-run backfill."""
        days = [d for d in self.dates if (first is None or d >= first) and (last is None or d <= last)]
        out: list[tuple[dt.date, dt.date]] = []
        for day in days:
            if out and day == out[-1][1] + dt.timedelta(days=1):
                out[-1] = (out[-1][0], day)
            else:
                out.append((day, day))
        return out


def hostile_items(day_index: int) -> list[dict]:
    """Valid models whose values would break any SQL built by formatting them in, plus unusable items.

    They go through ingestion, dbt and serving like any other model: the marts must hold them verbatim.
    """
    base = "o-brien/base-model"
    items = [
        {"_id": "hostile000000000000000001", "id": base, "author": "o'brien", "createdAt": "2024-11-05T10:00:00.000Z",
         "downloads": 10, "downloadsAllTime": 1_000 + 17 * day_index, "likes": 3, "trendingScore": 0.5,
         "tags": ["license:it's-mine", "text-generation", "en", "x'); drop table marts.dim_models; --"],
         "pipeline_tag": "text-generation", "library_name": "it's \"quoted\"", "gated": "manual",
         "cardData": {"note": "'; drop schema marts cascade; --"},
         "evalResults": [{"dataset": {"id": "cais/mmlu"}, "value": "n/a"}, {"value": 1e400}]},
        {"_id": "hostile000000000000000002", "id": "o-brien/quant-GGUF", "author": "o-brien",
         "createdAt": "2024-12-01T00:00:00.000Z", "downloads": "many", "downloadsAllTime": 50 + 3 * day_index,
         "likes": True, "tags": ["gguf", f"base_model:{base}", f"base_model:quantized:{base}"],
         "baseModels": [{"id": base}], "library_name": "gguf", "gated": False},
        {"id": "no-namespace", "downloadsAllTime": 1},  # rejected: not org/name
        {"id": "../../etc/passwd", "downloadsAllTime": 1},  # rejected
    ]
    return items


def simulate_history(folder: Path, *, start: dt.date, days: int, seed: int, community_authors: int,
                     catalogue_fraction: float, missing_dates: int = 2, hostile: bool = True) -> History:
    """Simulate `days` days into `folder/archive` (reused when already there) and return its history."""
    archive = folder / "archive"
    if not (archive / "ground_truth").exists():
        simulate(SimulationConfig(start=start, end=start + dt.timedelta(days=days - 1), seed=seed,
                                  community_authors=community_authors, catalogue_fraction=catalogue_fraction,
                                  missing_dates=missing_dates, rename_at=0.5), archive, log=lambda _m: None)
        if hostile:
            for index, (day, path) in enumerate(list_snapshots(archive).items()):
                items = read_snapshot(path)
                path.unlink()
                write_snapshot(archive, day, [*items, *hostile_items(index)])
    return History(archive=archive, dates=tuple(list_snapshots(archive)))


# ------------------------------------------------------------------------------------------------ ingestion


def ingest(history: History, home: Path, hub: LocalHub, first: dt.date, last: dt.date, *,
           client: dict | None = None) -> list[tuple[dt.date, dt.date, bool, str]]:
    """Materialize every archive date of [first, last] through the asset, one single-run backfill per stretch.

    Returns (start, end, success, failure message) per run.
    """
    resources = {
        "hub": HubClient(source="local", endpoint=hub.url, **(client or {})),
        "scope": SCOPE,
        "paths": HubpulsePaths(home=str(home)),
    }
    outcomes = []
    for start, end in history.stretches(first, last):
        tags = {"dagster/asset_partition_range_start": start.isoformat(),
                "dagster/asset_partition_range_end": end.isoformat()}
        result = dg.materialize([hub_model_snapshots], resources=resources, tags=tags, raise_on_error=False,
                                instance=dg.DagsterInstance.ephemeral())
        message = ""
        if not result.success:
            error = result.get_step_failure_events()[0].step_failure_data.error
            while error.cause is not None and error.cls_name != "HubFetchError":
                error = error.cause
            message = error.message.strip().removeprefix("orchestration.hub.client.HubFetchError: ")
        outcomes.append((start, end, result.success, message))
    return outcomes


def random_faults(rng: random.Random) -> FaultConfig:
    """Every kind of transient fault at once, each at a random low rate."""
    def rate() -> float:
        return round(rng.uniform(0.0, 0.08), 3)

    return FaultConfig(
        error_rate=rate(), throttle_rate=rate(), throttle_seconds=0, truncate_rate=rate(), reset_rate=rate(),
        invalid_json_rate=rate(), html_rate=rate(), empty_rate=rate(), overlap_rate=rate(), repeat_rate=rate(),
        rate_limit_headers=rng.random() < 0.5, retry_after=rng.random() < 0.5, seed=rng.randrange(10**6),
    )


# ------------------------------------------------------------------------------------------------ dbt


def run_dbt(home: Path, command: str = "build", *, window: tuple[dt.date, dt.date] | None = None,
            target: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """The dbt CLI of the project's venv on `home`'s warehouse; artifacts under `target` (default home/dbt_target)."""
    return subprocess.run(dbt_command(home, command, target=target), env=dbt_env(home, window), cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


def dbt_command(home: Path, command: str = "build", *, target: Path | None = None) -> list[str]:
    """`build` (seeds, models, tests), or `models`: a build of seeds and models without the tests (quicker, same
    relations; the tests are the warehouse suite's business)."""
    target = target or home / "dbt_target"
    args = ["build"] if command == "build" else ["build", "--exclude", "resource_type:test", "resource_type:unit_test"]
    return [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target), "--log-path", str(target / "logs")]


def dbt_env(home: Path, window: tuple[dt.date, dt.date] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_WINDOW_")}
    env.update(HUBPULSE_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    if window is not None:
        env.update(HUBPULSE_WINDOW_START=window[0].isoformat(), HUBPULSE_WINDOW_END=window[1].isoformat())
    return env


_WORKER_SCRIPT = r"""
import contextlib, io, json, os, sys
from dbt.cli.main import dbtRunner
from dbt.adapters.duckdb.connections import DuckDBConnectionManager

runner = dbtRunner()
reply = os.fdopen(int(sys.argv[1]), "w")
for line in sys.stdin:
    request = json.loads(line)
    os.environ.clear()
    os.environ.update(request["env"])
    output = io.StringIO()
    ok = False
    try:
        with contextlib.redirect_stdout(output):
            ok = bool(runner.invoke(request["args"]).success)
    except BaseException as error:  # reported, not raised: the worker serves the next request
        output.write(repr(error))
    finally:
        # dbt-duckdb keeps the database open between invocations in one process: close it, so that other
        # processes (and this one's next build) can open the warehouse.
        env = DuckDBConnectionManager._ENV
        if env is not None:
            env.close()
        DuckDBConnectionManager.close_all_connections()
    reply.write(json.dumps({"ok": ok, "output": output.getvalue()[-8000:]}) + "\n")
    reply.flush()
"""


class DbtWorker:
    """dbt run by `dbtRunner` in one long-lived child process: the second and later builds skip dbt's ~10 s of
    start-up (imports, project load) that a `dbt` process pays each time. Same project, same profiles, same
    commands as `run_dbt`; used where no build is to be killed."""

    def __init__(self) -> None:
        read_end, write_end = os.pipe()
        # Replies come on a pipe of their own: dbt writes what it likes to stdout.
        self._process = subprocess.Popen([sys.executable, "-c", _WORKER_SCRIPT, str(write_end)],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, text=True, pass_fds=(write_end,),
                                         cwd=PROJECT_ROOT)
        os.close(write_end)
        self._replies = os.fdopen(read_end)

    def build(self, home: Path, command: str = "models", *,
              window: tuple[dt.date, dt.date] | None = None) -> subprocess.CompletedProcess:
        import json

        args = dbt_command(home, command)[1:]
        self._process.stdin.write(json.dumps({"args": args, "env": dbt_env(home, window)}) + "\n")
        self._process.stdin.flush()
        line = self._replies.readline()
        if not line:
            raise RuntimeError(f"the dbt worker died (exit status {self._process.poll()})")
        reply = json.loads(line)
        return subprocess.CompletedProcess(args, 0 if reply["ok"] else 1, reply["output"], "")

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._replies.close()


_worker: DbtWorker | None = None


def dbt_worker() -> DbtWorker:
    """The process's dbt worker, started on first use and stopped when the process exits."""
    global _worker
    if _worker is None:
        import atexit

        _worker = DbtWorker()
        atexit.register(_worker.close)
    return _worker


def check_dbt(result: subprocess.CompletedProcess, what: str) -> None:
    if result.returncode != 0:
        raise AssertionError(f"dbt {what} failed ({result.returncode}):\n{result.stdout[-5000:]}\n{result.stderr[-2000:]}")


def kill_dbt_midway(home: Path, after_line: str, *, window: tuple[dt.date, dt.date] | None = None,
                    command: str = "build", target: Path | None = None,
                    timeout: float = 600) -> tuple[int, list[str]]:
    """Start `dbt build`, SIGKILL it (its whole process group) right after a line containing `after_line`.

    Returns (exit status, lines printed before the kill). Raises if dbt finished before the line came.
    """
    process = subprocess.Popen(dbt_command(home, command, target=target), env=dbt_env(home, window),
                               cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        for line in process.stdout:
            lines.append(line.rstrip())
            if after_line in line:
                os.killpg(process.pid, signal.SIGKILL)
                break
            if time.monotonic() > deadline:
                break
        else:
            raise AssertionError("dbt finished before the kill point:\n" + "\n".join(lines[-40:]))
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        status = process.wait(timeout=60)
        process.stdout.close()
    return status, lines


# ------------------------------------------------------------------------------------------------ comparing


def read_marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every relation of the `marts` schema as sorted rows (the warehouse opened read-only)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        out = {}
        for name in names:
            rows = con.execute(f'select * from marts."{name}"').fetchall()
            out[name] = sorted(rows, key=_sort_key)
        return out
    finally:
        con.close()


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, repr(round(v, 6)) if isinstance(v, float) else repr(v)) for v in row)


def _same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def marts_differences(expected: dict[str, list[tuple]], actual: dict[str, list[tuple]]) -> list[str]:
    """What differs between two warehouses' marts (empty when they are equal, floats to 1e-9)."""
    problems = []
    if set(expected) != set(actual):
        problems.append(f"relations differ: missing {sorted(set(expected) - set(actual))}, "
                        f"extra {sorted(set(actual) - set(expected))}")
    for name in sorted(set(expected) & set(actual)):
        left, right = expected[name], actual[name]
        if len(left) != len(right):
            problems.append(f"{name}: {len(left)} rows expected, {len(right)} found")
            continue
        for a, b in zip(left, right, strict=True):
            if not _same_value(a, b):
                problems.append(f"{name}: first difference {a!r} != {b!r}")
                break
    return problems


def temporary_leftovers(home: Path) -> list[str]:
    """Temporary files under `home`, and temporary relations or an unmerged WAL in its warehouse."""
    found = [str(p.relative_to(home)) for p in home.rglob("*")
             if any(marker in p.name for marker in TEMPORARY_MARKERS)]
    warehouse = home / "warehouse.duckdb"
    if warehouse.exists():
        if Path(f"{warehouse}.wal").exists():
            found.append("warehouse.duckdb.wal")
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            found += [f"relation {s}.{t}" for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_name like '%__dbt_tmp%' or table_name like '%__dbt_backup%'").fetchall()]
        finally:
            con.close()
    return found


def raw_partitions(home: Path) -> dict[str, object]:
    """Every raw partition file's bytes, and every rejects partition's (reason, item) pairs, by path.

    A reject's `position` is where the item came in the crawl, which a repeated page shifts: it is left out.
    """
    import pyarrow.parquet as pq

    root = home / "raw"
    out: dict[str, object] = {}
    for path in sorted(root.rglob("*.parquet")):
        key = str(path.relative_to(root))
        if key.startswith("hub_models_rejects/"):
            out[key] = sorted(zip(*pq.read_table(path, columns=["reason", "item_json"]).to_pydict().values(),
                                  strict=True))
        else:
            out[key] = path.read_bytes()
    return out


# ------------------------------------------------------------------------------------------------ the soak


@dataclasses.dataclass
class SoakReport:
    """What a soak did and found; `problems` is empty when it passed."""

    days: int
    models: int
    runs: int = 0
    failed_runs: int = 0
    faults_injected: int = 0
    rate_limited: int = 0
    builds: int = 0
    killed_builds: int = 0
    seconds: float = 0.0
    problems: list[str] = dataclasses.field(default_factory=list)
    failures_seen: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        kinds = sorted({m.split("(last: ")[-1].split(")")[0][:40] for m in self.failures_seen})
        return (f"{self.days} days, {self.models} models/day: {self.runs} ingestion runs ({self.failed_runs} failed "
                f"and re-run), {self.faults_injected} faults and {self.rate_limited} 429s injected, {self.builds} "
                f"dbt builds ({self.killed_builds} killed with SIGKILL and re-run), {self.seconds:.0f}s; "
                f"{'PASSED' if not self.problems else 'FAILED: ' + '; '.join(self.problems)}"
                + (f"\n  failure kinds seen: {kinds}" if kinds else ""))


def reference_run(history: History, home: Path, *, log: Log = print) -> dict[str, list[tuple]]:
    """The fault-free run: the archive imported as it is (no Hub in between), one full dbt build. Returns the marts.

    The simulator's items hold exactly the fields a crawl asks for, so a crawl that loses nothing writes these
    very partitions: the soak's crawls under faults must match them byte for byte.
    """
    if not (home / "warehouse.duckdb").exists():
        from orchestration.hub.transfer import import_archive

        import_archive(history.archive, home / "raw" / "hub_models", home / "raw" / "hub_models_rejects",
                       log=lambda _m: None)
        log(f"reference: imported {len(history.dates)} dates")
        check_dbt(dbt_worker().build(home), "build (reference)")
        log("reference: built")
    return read_marts(home / "warehouse.duckdb")


def soak(history: History, reference_home: Path, home: Path, *, chunks: int, rounds: int, page_size: int,
         seed: int, max_attempts: int = 3, max_runs_per_window: int = 12, kill_dbt: bool = False,
         log: Log = print) -> SoakReport:
    """Ingest and build `history` into `home` under random faults; compare with the reference home's run."""
    started = time.monotonic()
    rng = random.Random(seed)
    expected_marts = read_marts(reference_home / "warehouse.duckdb")
    models = len(read_snapshot(history.archive / f"{history.dates[-1]}.jsonl.gz"))
    report = SoakReport(days=len(history.dates), models=models)
    # No slow answer is injected: the timeout is far beyond any loaded machine's loopback answer, so every failed
    # run is one of the injected faults, never the machine's load.
    client = {"max_attempts": max_attempts, "backoff_base_seconds": 0.005, "backoff_max_seconds": 0.02,
              "timeout_seconds": 30.0}
    dates = list(history.dates)
    size = math.ceil(len(dates) / chunks)
    windows = [(dates[i], dates[min(i + size, len(dates)) - 1]) for i in range(0, len(dates), size)]
    # First every window in order, then `rounds - 1` random windows again (re-ingested and rebuilt).
    for _ in range(max(0, rounds - 1)):
        length = rng.randint(3, max(3, len(dates) // 4))
        first = rng.randrange(0, len(dates) - length)
        windows.append((dates[first], dates[first + length - 1]))
    with LocalHub(history.archive, page_size=page_size) as hub:
        for number, window in enumerate(windows, start=1):
            pending = [window]
            for _attempt in range(max_runs_per_window):
                if not pending:
                    break
                retry = []
                for first, last in pending:
                    hub.set_faults(random_faults(rng))
                    for start, end, ok, message in ingest(history, home, hub, first, last, client=client):
                        report.runs += 1
                        if not ok:
                            report.failed_runs += 1
                            report.failures_seen.append(message)
                            retry.append((start, end))
                    stats = hub.stats
                    report.faults_injected += stats["faults_injected"]
                    report.rate_limited += stats["rate_limited"]
                    hub.reset_stats()
                pending = retry
            if pending:
                report.problems.append(f"window {window}: still failing after {max_runs_per_window} runs")
                break
            if kill_dbt:
                status, _lines = kill_dbt_midway(home, rng.choice(KILL_POINTS), window=window)
                report.killed_builds += 1
                if status != -signal.SIGKILL:
                    report.problems.append(f"the dbt build to kill exited with {status}")
            check_dbt(dbt_worker().build(home, window=window), f"build {window}")
            report.builds += 1
            log(f"window {number}/{len(windows)} {window[0]} .. {window[1]}: built "
                f"({report.runs} runs so far, {report.failed_runs} failed and re-run)")
    if raw_partitions(home) != raw_partitions(reference_home):
        report.problems.append("raw partitions differ from the fault-free run's")
    report.problems += marts_differences(expected_marts, read_marts(home / "warehouse.duckdb"))
    leftovers = temporary_leftovers(home)
    if leftovers:
        report.problems.append(f"temporary files left: {leftovers[:10]}")
    report.seconds = time.monotonic() - started
    return report


# The suite-sized history the crash and soak tests share (simulated, ingested and built once per session).
SUITE = {"start": dt.date(2025, 1, 6), "days": 60, "seed": 11, "community_authors": 8, "catalogue_fraction": 0.02}
SUITE_PAGE_SIZE = 25
_shared: dict[str, tuple[History, Path]] = {}


def shared_reference(tmp_path_factory) -> tuple[History, Path]:
    """The suite history and the home of its fault-free run (raw partitions and a full build): read, never write."""
    if "suite" not in _shared:
        root = tmp_path_factory.mktemp("reliability")
        history = simulate_history(root, **SUITE)
        reference_run(history, root / "reference", log=lambda _m: None)
        _shared["suite"] = (history, root / "reference")
    return _shared["suite"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 1, 6))
    parser.add_argument("--community-authors", type=int, default=120)
    parser.add_argument("--catalogue-fraction", type=float, default=0.3)
    parser.add_argument("--chunks", type=int, default=4, help="windows the history is first ingested and built in")
    parser.add_argument("--rounds", type=int, default=3, help="1 + random windows re-ingested and rebuilt")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kill-dbt", action="store_true", help="SIGKILL a dbt build mid-way in every window")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temporary one)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="hubpulse-soak-"))
    started = time.monotonic()
    try:
        history = simulate_history(work, start=args.start, days=args.days, seed=args.seed,
                                   community_authors=args.community_authors,
                                   catalogue_fraction=args.catalogue_fraction)
        print(f"simulated {len(history.dates)} dates in {time.monotonic() - started:.0f}s", flush=True)
        reference_run(history, work / "reference")
        report = soak(history, work / "reference", work / "soak", chunks=args.chunks, rounds=args.rounds,
                      page_size=args.page_size, seed=args.seed, kill_dbt=args.kill_dbt)
        print(report.summary())
        print(f"total {time.monotonic() - started:.0f}s")
        return 0 if not report.problems else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
