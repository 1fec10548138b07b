"""What a person sees of a long command: progress lines, the logs in a file, and `hubpulse build` end to end."""

# No `from __future__ import annotations`: Dagster inspects the asset context annotation at definition time.

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli import build, console

PROJECT = Path(__file__).resolve().parents[1]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_durations_read_as_minutes_and_hours():
    assert [console.duration(s) for s in (0, 5.4, 65, 3725)] == ["0:00", "0:05", "1:05", "1:02:05"]


def test_off_a_terminal_a_step_prints_only_its_last_line():
    out = io.StringIO()
    step = console.Step(out, "[2/4] ingesting", total=10, unit="dates")
    step.update(4)
    assert out.getvalue() == ""
    step.finish("[2/4] ingested 10 dates")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("[2/4] ingested 10 dates  (0:0")


def test_on_a_terminal_a_step_redraws_one_line_with_counts_and_time_left(monkeypatch):
    out = FakeTerminal()
    now = [100.0]
    monkeypatch.setattr(console.time, "monotonic", lambda: now[0])
    step = console.Step(out, "[2/4] ingesting", total=4, unit="dates")  # drawn at 0 s
    now[0] = 110.0
    step.update(1)  # 10 s for one of four: 30 s left
    drawn = out.getvalue().split("\r")
    assert drawn[-1].startswith("[2/4] ingesting  [#####---------------] 1/4 dates  0:10, ~0:30 left")
    assert "\n" not in out.getvalue()  # redrawn in place, never a new line before the end
    now[0] = 120.0
    step.finish("[2/4] ingested 4 dates")
    assert out.getvalue().endswith("\r\x1b[K[2/4] ingested 4 dates  (0:20)\n")


def test_captured_output_sends_this_process_and_its_children_to_the_log(tmp_path: Path, capfd):
    log = tmp_path / "logs" / "run.log"
    seen: list[str] = []
    with console.captured_output(log, on_line=seen.append) as terminal:
        print("from python", flush=True)
        print("a warning", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-c", "print('from a child')"], check=True)
        terminal.write("progress line\n")
    printed = capfd.readouterr()
    assert printed.out == "progress line\n" and printed.err == ""
    assert log.read_text().splitlines() == ["from python", "a warning", "from a child"]
    assert seen == ["from python", "a warning", "from a child"]
    print("after", flush=True)  # the descriptors are back
    assert capfd.readouterr().out == "after\n"


def test_the_dbt_progress_follows_steps_and_node_counts():
    step = console.Step(io.StringIO(), "[3/4] building")
    follow = console.DbtProgress(steps=4, step=step)
    follow('... - dagster - DEBUG - build_warehouse - 1234 - dbt_inputs - STEP_START - Started execution of step '
           '"dbt_inputs".')
    follow("02:00:01  1 of 3 START sql view model staging.stg_a ...")  # a start is not a node done
    follow("02:00:02  1 of 3 OK created sql view model staging.stg_a ...... [OK in 0.1s]")
    follow("02:00:02  3 of 3 PASS not_null_stg_a_id ...... [PASS in 0.1s]")
    follow('... - dbt_daily_models - STEP_START - Started execution of step "dbt_daily_models".')
    follow("02:00:09  2 of 9 ERROR creating sql incremental model intermediate.int_b ... [ERROR in 1s]")
    assert follow.nodes == 5 and follow.started_steps == ["dbt_inputs", "dbt_daily_models"]
    assert step.detail == "2/4 dbt_daily_models" and step.done_count == 5


@dg.asset
def numbers(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    context.log.info("numbers: 3 rows")
    return dg.MaterializeResult(metadata={"rows": 3})


def test_a_logged_run_writes_every_event_to_the_log_and_nothing_to_the_terminal(tmp_path: Path, capfd):
    job = dg.Definitions(assets=[numbers]).resolve_implicit_global_asset_job_def()
    log = tmp_path / "run.log"
    with dg.DagsterInstance.ephemeral() as instance:
        with console.captured_output(log):
            result = job.execute_in_process(instance=instance, run_config=build.LOGGED_RUN_CONFIG)
        stored = [entry.dagster_event_type for entry in instance.all_logs(result.run_id) if entry.is_dagster_event]
    printed = capfd.readouterr()
    assert result.success and dg.DagsterEventType.ASSET_MATERIALIZATION in stored
    assert printed.out + printed.err == ""
    text = log.read_text()
    assert "numbers: 3 rows" in text and "ASSET_MATERIALIZATION" in text and 'STEP_START' in text


def test_a_failed_run_is_reported_with_its_id_its_step_error_and_the_log(tmp_path: Path):
    @dg.asset
    def broken() -> None:
        raise RuntimeError("the table is missing")

    job = dg.Definitions(assets=[broken]).resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    report = build.failure_report(result, tmp_path / "x.log")
    assert report[0] == f"run {result.run_id} failed"
    assert report[1] == "  step broken: RuntimeError: the table is missing"
    assert report[2] == f"  full log: {tmp_path / 'x.log'}"


def _hubpulse(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def imported_home(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A home holding three simulated days imported with `hubpulse import-archive`, not built."""
    from orchestration.localhub.simulator import SimulationConfig, simulate

    root = tmp_path_factory.mktemp("build")
    simulate(SimulationConfig(start=dt.date(2025, 1, 19), end=dt.date(2025, 1, 21), seed=7), root / "archive",
             log=lambda _m: None)
    home = root / "home"
    env = {**os.environ, "HUBPULSE_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
           "HUBPULSE_START_DATE": "2025-01-19", "HUBPULSE_AUTOMATION": "stopped"}
    for key in ("HUBPULSE_SOURCE", "HUBPULSE_ARCHIVE", "HUBPULSE_FULL_CRAWL"):
        env.pop(key, None)
    prepared = _hubpulse("prepare", "--home", str(home), "--no-manifest", env=env)
    assert prepared.returncode == 0, prepared.stderr
    imported = _hubpulse("import-archive", str(root / "archive"), "--home", str(home), env=env)
    assert imported.returncode == 0, imported.stderr
    return home, env


def test_build_takes_an_imported_history_to_a_published_copy_in_one_run(imported_home):
    home, env = imported_home
    result = _hubpulse("build", "--home", str(home), env=env)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"hubpulse build 2025-01-19 .. 2025-01-21 in {home} (full log: {home / 'logs'}")
    assert lines[1].startswith("[1/1] warehouse 2025-01-19 .. 2025-01-21: built and published in run ")
    assert "1. Release cadence" in result.stdout and lines[-2].startswith("built in ")
    assert lines[-1] == (f"warehouse: {home / 'warehouse.duckdb'} (published copy: {home / 'serving'}); the runs are "
                         f"in DAGSTER_HOME={home / 'dagster'}: `make dev` opens the UI on them")
    assert len(lines) < 80 and result.stderr == ""  # Dagster's and dbt's lines went to the log file
    log = next((home / "logs").glob("build-*.log")).read_text()
    assert "STEP_START" in log and " of " in log and "OK created" in log
    # The run is the instance's, as the UI shows it: a ranged run of build_warehouse, the copy published.
    assert (home / "serving" / "current").is_symlink()
    instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"hubpulse/trigger": "build"}))
    assert len(runs) == 1 and runs[0].job_name == "build_warehouse" and runs[0].status == dg.DagsterRunStatus.SUCCESS
    assert runs[0].tags["dagster/asset_partition_range_start"] == "2025-01-19"
    assert runs[0].tags["dagster/asset_partition_range_end"] == "2025-01-21"
    published = instance.get_latest_materialization_event(dg.AssetKey(["serving", "published_marts"]))
    assert published is not None and published.run_id == runs[0].run_id


def test_build_refuses_an_empty_window_and_a_start_before_the_partitions(imported_home, tmp_path: Path):
    home, env = imported_home
    result = _hubpulse("build", "--home", str(home), "--start", "2025-02-01", env=env)
    assert result.returncode == 2 and "no raw partitions under" in result.stderr and "import-archive" in result.stderr
    late = {**env, "HUBPULSE_START_DATE": "2025-01-20"}
    result = _hubpulse("build", "--home", str(home), env=late)
    assert result.returncode == 2
    assert "raw partitions start at 2025-01-19, before the first daily partition 2025-01-20" in result.stderr
    assert "HUBPULSE_START_DATE=2025-01-19" in result.stderr


def test_a_failed_build_prints_its_run_the_step_error_and_the_log(imported_home):
    """A dbt step that fails (DuckDB given 2 MB: every relation fails to build): exit 1, the run id, the step and
    dbt's own errors, the log's path; the run is failed in the instance too."""
    home, env = imported_home
    result = _hubpulse("build", "--home", str(home), env={**env, "HUBPULSE_DUCKDB_MEMORY_LIMIT": "2MB"})
    assert result.returncode == 1, result.stdout[-3000:]
    out = result.stdout
    run_id = next(line for line in out.splitlines() if line.endswith(" failed") and line.startswith("run ")).split()[1]
    assert "  step dbt_inputs: dagster_dbt.errors.DagsterDbtCliRuntimeError" in out and " ERROR " in out
    assert "\x1b[" not in out and f"  full log: {home / 'logs'}" in out
    instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE


def test_verbose_captures_nothing_and_draws_no_bar(capfd):
    with console.captured_output(None) as terminal:
        print("live", flush=True)
        step = console.Step(terminal, "[1/1] building", total=3, redraw=False)
        step.update(2)
    assert terminal is sys.stdout and capfd.readouterr().out == "live\n"
