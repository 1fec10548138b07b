"""`hubpulse build`: the warehouse of a window of raw days, built and published by Dagster's own jobs.

Runs `build_warehouse` (every dbt set, then the published copy) as one ranged single-run backfill over the daily
partitions, in the Dagster instance at DAGSTER_HOME (default `<home>/dagster`, the one `make dev` opens), so the
run and its materializations show in the UI afterwards. The terminal gets a progress line; the run's whole log
(Dagster's events, dbt's lines) goes to a file under `<home>/logs/` whose path is printed. The demo's ingest and
warehouse steps run through the same functions.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path
from typing import TextIO

from orchestration.cli.console import DbtProgress, Step, captured_output

# Dagster's console logger: everything (its DEBUG line per event included) when it goes to the log file, the
# INFO lines only when it goes to the terminal (`--verbose`). The instance stores every event either way.
LOGGED_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}
LIVE_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
# The steps of `build_warehouse`: the three dbt sets and the published copy.
WAREHOUSE_STEPS = 4
FAILURE_LINES = 12
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # dbt colours its ERROR/FAIL words, even in captured output


def log_file(home: Path, command: str) -> Path:
    """Where a command's full log goes: `<home>/logs/<command>-<UTC time>.log`."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return home / "logs" / f"{command}-{stamp}.log"


def use_home(home: Path) -> dict[str, str]:
    """Point this process at `home` (HUBPULSE_HOME, and DAGSTER_HOME unless set) before Dagster loads; create
    the instance folder when missing. Returns the variables set."""
    from orchestration.cli.prepare import ensure_instance

    env = {"HUBPULSE_HOME": str(home), "DAGSTER_HOME": os.environ.get("DAGSTER_HOME") or str(home / "dagster")}
    os.environ.update(env)
    ensure_instance(Path(env["DAGSTER_HOME"]))
    return env


def where_things_are(home: Path, dagster_home: str) -> str:
    """The closing line: the warehouse BI tools read, and the instance the UI opens."""
    from orchestration import settings
    from orchestration.serving.publish import serving_dir

    return (f"warehouse: {settings.warehouse_path(home)} (published copy: {serving_dir(home)}); the runs are in "
            f"DAGSTER_HOME={dagster_home}: `make dev` opens the UI on them")


def ranged_tags(first: dt.date, last: dt.date, trigger: str) -> dict[str, str]:
    """The tags of a ranged single-run backfill of the daily partitions first .. last."""
    return {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
        "hubpulse/trigger": trigger,
    }


def root_cause(error) -> str:
    """The message of the exception at the bottom of a Dagster error's chain (`cause`): the step's own error
    (dbt's, a missing file), not Dagster's wrapper around it."""
    while error.cause is not None:
        error = error.cause
    return error.message


def failure_report(result, log_path: Path | None) -> list[str]:
    """Why a run failed, for the terminal: its id, each failed step's error (first lines), where the log is."""
    lines = [f"run {result.run_id} failed"]
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            text = ANSI_COLOUR.sub("", root_cause(event.step_failure_data.error))
            message = [line.rstrip() for line in text.splitlines() if line.strip()]
            lines.append(f"  step {event.step_key}: " + "\n    ".join(message[:FAILURE_LINES]))
    if len(lines) == 1:
        lines.append("  (no step failed: the run itself did; see its events)")
    if log_path is not None:
        lines.append(f"  full log: {log_path}")
    lines.append("  the run is in the Dagster UI (`make dev`), with every event")
    return lines


def execute_ranged(job_name: str, first: dt.date, last: dt.date, *, trigger: str, verbose: bool):
    """Execute a job of the code location over the daily partitions first .. last in one run, in the instance
    at DAGSTER_HOME; returns Dagster's result (failures are in it, not raised)."""
    import dagster as dg

    from orchestration.definitions import defs

    return defs.resolve_job_def(job_name).execute_in_process(
        instance=dg.DagsterInstance.get(),
        run_config=LIVE_RUN_CONFIG if verbose else LOGGED_RUN_CONFIG,
        tags=ranged_tags(first, last, trigger),
        raise_on_error=False,
    )


def expected_dbt_nodes() -> int | None:
    """About how many nodes the three `dbt build` steps run (models, seeds, data and unit tests of the manifest):
    the progress line's total, for its time left (a test that no set selects makes it end a little short)."""
    import json

    from orchestration.dbt.project import manifest_path

    try:
        manifest = json.loads(manifest_path().read_text())
    except (OSError, ValueError):
        return None
    built = ("model", "seed", "snapshot", "test")
    return (sum(node.get("resource_type") in built for node in manifest.get("nodes", {}).values())
            + len(manifest.get("unit_tests", {}))) or None


def build_step(terminal: TextIO, label: str, first: dt.date, last: dt.date, *, trigger: str, verbose: bool,
               follow: DbtProgress) -> tuple[bool, object]:
    """Run `build_warehouse` for first .. last with a progress line that `follow` (reading the run's log lines)
    keeps up to date; returns (success, result)."""
    step = Step(terminal, f"{label} building", total=expected_dbt_nodes(),
                unit="nodes", redraw=not verbose)
    follow.step = step
    result = execute_ranged("build_warehouse", first, last, trigger=trigger, verbose=verbose)
    nodes = f", {follow.nodes} dbt nodes" if follow.nodes else ""
    verdict = "built and published" if result.success else "FAILED"
    step.finish(f"{label} warehouse {first} .. {last}: {verdict} in run {result.run_id}{nodes}")
    return result.success, result


def raw_window(home: Path, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The window to build: the raw partitions' span, narrowed by start/end; a clear error when it is empty or
    begins before the daily partitions do (HUBPULSE_START_DATE)."""
    from orchestration import settings
    from orchestration.hub.snapshots import list_partitions

    raw = settings.raw_models_dir(home)
    days = [d for d in list_partitions(raw) if (start is None or d >= start) and (end is None or d <= end)]
    if not days:
        raise ValueError(f"no raw partitions under {raw} between {start or 'the first'} and {end or 'the last'}: "
                         f"import a history first (`hubpulse import-archive DIR --home {home}`)")
    first_partition = settings.get_settings().start_date
    if days[0] < first_partition:
        raise ValueError(f"raw partitions start at {days[0]}, before the first daily partition {first_partition}: "
                         f"set HUBPULSE_START_DATE={days[0]} (or build from --start {first_partition})")
    return days[0], days[-1]


def run_build(home: Path, start: dt.date | None = None, end: dt.date | None = None, *, verbose: bool = False) -> int:
    """`hubpulse build`: build and publish the warehouse over the raw days in `home`; print the summary."""
    env = use_home(home)
    first, last = raw_window(home, start, end)
    log_path = None if verbose else log_file(home, "build")
    print(f"hubpulse build {first} .. {last} in {home}" + (f" (full log: {log_path})" if log_path else ""),
          flush=True)
    started = time.monotonic()
    follow = DbtProgress(steps=WAREHOUSE_STEPS)
    with captured_output(log_path, on_line=follow) as terminal:
        ok, result = build_step(terminal, "[1/1]", first, last, trigger="build", verbose=verbose, follow=follow)
        if not ok:
            terminal.write("\n".join(failure_report(result, log_path)) + "\n")
            return 1
    from orchestration.cli.summary import print_raw_summary, print_warehouse_summary

    print_raw_summary(home)
    print_warehouse_summary(home)
    print(f"\nbuilt in {time.monotonic() - started:.0f}s")
    print(where_things_are(home, env["DAGSTER_HOME"]))
    return 0


def register(sub, *, home_help: str, home, date_argument) -> None:
    """Add `build` to the `hubpulse` parser; `home` resolves `--home`."""
    p = sub.add_parser("build", help="build and publish the warehouse over the raw days already imported or "
                                     "ingested (one Dagster run, in the instance the UI shows)")
    p.add_argument("--home", default=None, help=home_help)
    p.add_argument("--start", type=date_argument, default=None, help="first day (default: the first raw partition)")
    p.add_argument("--end", type=date_argument, default=None, help="last day (default: the last raw partition)")
    p.add_argument("--verbose", action="store_true", help="show Dagster's and dbt's logs live instead of a log file")
    p.set_defaults(func=lambda args: run_build(home(args), args.start, args.end, verbose=args.verbose))
