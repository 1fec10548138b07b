"""`hubpulse demo`: the whole pipeline on the embedded default, in the persistent Dagster instance.

Simulates a Hub history (once per window and seed), serves it through the local Hub, materializes every daily
snapshot partition through the real client in one Dagster run per stretch of consecutive dates, builds the
warehouse in one more, and prints what was built. `make dev` opens the
same instance (`DAGSTER_HOME=<HUBPULSE_HOME>/dagster`), so the UI shows the demo's runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from pathlib import Path

# `make demo`: fourteen weeks around DeepSeek-R1 (2025-01-20; six whole ISO weeks before it, eight after), what
# fits the 3-minute target of a first run on 2 cores (BENCHMARKS.md, section 7). `make demo-full`: the sixteen
# months the simulator is calibrated on, where China's 28-day download velocity overtakes the US's (7-9 min).
DEMO_WINDOW = (dt.date(2024, 12, 9), dt.date(2025, 3, 16))
FULL_WINDOW = (dt.date(2024, 10, 1), dt.date(2026, 1, 31))
def demo_environment(home: Path, scope: str = "full") -> dict[str, str]:
    """The environment the demo (and `make dev` after it) runs with.

    `scope="full"`: the simulated Hub holds a few thousand models, so crawling all of it is a handful of pages a
    day and keeps every community model. `scope="default"`: what a live deployment runs, the tracked
    organisations + top N (churning daily) + the children of the tracked models, from HUBPULSE_SCOPE_ORGS,
    HUBPULSE_TOP_N and HUBPULSE_SCOPE_DERIVATIVES as set in the environment.
    """
    if scope not in ("full", "default"):
        raise ValueError(f"scope must be 'full' or 'default', got {scope!r}")
    return {
        "HUBPULSE_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "HUBPULSE_ARCHIVE": str(home / "archive"),
        "HUBPULSE_SOURCE": "local",
        "HUBPULSE_FULL_CRAWL": "1" if scope == "full" else "0",
    }


def contiguous_ranges(dates: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Split sorted dates into (first, last) stretches of consecutive days."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in dates:
        if ranges and day == ranges[-1][1] + dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _archive_matches(archive: Path, start: dt.date, end: dt.date, seed: int) -> bool:
    manifest = archive / "ground_truth" / "manifest.json"
    if not manifest.exists():
        return False
    config = json.loads(manifest.read_text()).get("config", {})
    return (config.get("start"), config.get("end"), config.get("seed")) == (start.isoformat(), end.isoformat(), seed)


def other_history(home: Path, start: dt.date, end: dt.date, seed: int) -> str | None:
    """Why `home` cannot take this demo (its raw layer holds another history), or None when it can.

    The simulated world depends on its window and seed, so the same date differs between two simulations; raw
    partitions left by another one would be mixed into the marts (they read every raw partition).
    """
    from orchestration import settings
    from orchestration.hub.snapshots import list_partitions

    days = list_partitions(settings.raw_models_dir(home))
    archive = Path(demo_environment(home)["HUBPULSE_ARCHIVE"])
    if not days or _archive_matches(archive, start, end, seed):
        return None
    return (
        f"{home} already holds {len(days)} raw partitions ({days[0]} .. {days[-1]}) of another history than the "
        f"one the demo simulates for {start} .. {end} (seed {seed}); ingesting it there would mix two simulated "
        f"histories in the marts. Nothing was changed. Use another home (--home DIR; `make demo-full` uses "
        f"data-full/) or remove {home} first."
    )


def _archive_days(archive: Path) -> int:
    """Snapshot files the simulator has written so far (its progress)."""
    from orchestration.hub.archive import list_snapshots

    return len(list_snapshots(archive)) if archive.is_dir() else 0


def _ingested_since(raw: Path | str, dates: list[dt.date], since: float) -> int:
    """How many of `dates` have a raw partition written after `since` (the ingest step's progress)."""
    from orchestration.hub import rawstore

    done = 0
    for day in dates:
        with contextlib.suppress(FileNotFoundError):
            done += rawstore.modified(rawstore.partition_file(raw, day)).timestamp() >= since
    return done


def run_demo(home: Path, start: dt.date, end: dt.date, seed: int = 7, resimulate: bool = False,
             scope: str = "full", verbose: bool = False) -> int:
    """Run the demo end to end; return a process exit code.

    The terminal gets one line per step (a progress bar on a terminal) and the answers; Dagster's and dbt's
    logs go to a file under `<home>/logs/` (printed first), or to the terminal with `verbose`.
    """
    problem = other_history(home, start, end, seed)
    if problem is not None:
        print(problem)
        return 2
    home.mkdir(parents=True, exist_ok=True)
    env = demo_environment(home, scope)
    os.environ.update(env)
    os.environ.setdefault("HUBPULSE_START_DATE", start.isoformat())
    from orchestration.cli.build import (
        build_step,
        execute_ranged,
        failure_report,
        log_file,
        use_home,
        where_things_are,
    )
    from orchestration.cli.console import DbtProgress, Step, captured_output
    from orchestration.cli.prepare import partial_parse_file, start_home_parse

    use_home(home)
    archive = Path(env["HUBPULSE_ARCHIVE"])
    log_path = None if verbose else log_file(home, "demo")
    print(f"hubpulse demo {start} .. {end} (seed {seed}, {scope} scope) in {home}"
          + (f"; full log: {log_path}" if log_path else ""), flush=True)
    t0 = time.monotonic()
    # dbt parses the project once for this home, in the background while the Hub is simulated and ingested,
    # so the three dbt commands of the warehouse run start from that parse (see prepare.seed_partial_parse).
    parse = None if partial_parse_file(home).is_file() else start_home_parse(home)
    follow = DbtProgress(steps=4)
    with captured_output(log_path, on_line=follow) as terminal:
        days = (end - start).days + 1
        if resimulate or not _archive_matches(archive, start, end, seed):
            from orchestration.localhub.simulator import SimulationConfig, simulate

            step = Step(terminal, "[1/4] simulating", total=days, unit="days", redraw=not verbose)
            with step.polling(lambda: _archive_days(archive)):
                summary = simulate(SimulationConfig(start=start, end=end, seed=seed), archive)
            step.finish(f"[1/4] simulated {summary['dates']} snapshot dates, {summary['models']:,} models "
                        f"({summary['items_written']:,} listing items) into {archive}")
        else:
            Step(terminal, "", redraw=False).finish(
                f"[1/4] simulated archive already in {archive} (same window and seed): reused")
        t1 = time.monotonic()

        from orchestration import settings
        from orchestration.hub.archive import list_snapshots

        dates = [d for d in list_snapshots(archive) if start <= d <= end]
        runs = contiguous_ranges(dates)
        raw = settings.raw_models_dir(home)
        step = Step(terminal, "[2/4] ingesting", total=len(dates), unit="dates",
                    redraw=not verbose)
        since = time.time() - 1
        with step.polling(lambda: _ingested_since(raw, dates, since)):
            for first, last in runs:
                result = execute_ranged("ingest_hub_snapshots", first, last, trigger="demo", verbose=verbose)
                if not result.success:
                    step.finish(f"[2/4] ingestion of {first} .. {last} FAILED")
                    terminal.write("\n".join(failure_report(result, log_path)) + "\n")
                    return 1
        step.finish(f"[2/4] ingested {len(dates)} snapshot dates through the local Hub in {len(runs)} Dagster "
                    f"run(s), one per stretch of consecutive dates")
        t2 = time.monotonic()

        if parse is not None and parse.wait() != 0:
            print("(the background dbt parse failed: each dbt command parses the project itself)", flush=True)
        ok, result = build_step(terminal, "[3/4]", start, end, trigger="demo", verbose=verbose, follow=follow)
        t3 = time.monotonic()
        if not ok:
            terminal.write("\n".join(failure_report(result, log_path)) + "\n")
            return 1

    from orchestration.cli.summary import print_warehouse_summary, raw_summary

    print(f"[4/4] what the warehouse says, over {raw_summary(home)}")
    print_warehouse_summary(home)
    print(f"timings: simulate {t1 - t0:.0f}s, ingest {t2 - t1:.0f}s, warehouse {t3 - t2:.0f}s, "
          f"total {time.monotonic() - t0:.0f}s")
    print(where_things_are(home, env["DAGSTER_HOME"]))
    return 0
