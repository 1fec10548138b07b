"""`hubpulse demo`: the whole pipeline on the embedded default, in the persistent Dagster instance.

Simulates a Hub history (once per window and seed), serves it through the local Hub, materializes every daily
snapshot partition through the real client in one Dagster run per stretch of consecutive dates, builds the
warehouse in one more, and prints what was built. `make dev` opens the
same instance (`DAGSTER_HOME=<HUBPULSE_HOME>/dagster`), so the UI shows the demo's runs.
"""

from __future__ import annotations

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
# The runs' terminal output: their INFO lines (progress, failing partitions), not Dagster's DEBUG line per stored
# event (thousands of them: every materialization, planned event and check evaluation). The instance stores every
# event either way, so the UI shows the same runs.
RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


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


def run_demo(home: Path, start: dt.date, end: dt.date, seed: int = 7, resimulate: bool = False,
             scope: str = "full") -> int:
    """Run the demo end to end; return a process exit code."""
    problem = other_history(home, start, end, seed)
    if problem is not None:
        print(problem)
        return 2
    home.mkdir(parents=True, exist_ok=True)
    env = demo_environment(home, scope)
    os.environ.update(env)
    os.environ.setdefault("HUBPULSE_START_DATE", start.isoformat())
    from orchestration.cli.prepare import ensure_instance, partial_parse_file, start_home_parse

    ensure_instance(Path(env["DAGSTER_HOME"]))
    archive = Path(env["HUBPULSE_ARCHIVE"])
    t0 = time.monotonic()
    # dbt parses the project once for this home, in the background while the Hub is simulated and ingested,
    # so the three dbt commands of the warehouse run start from that parse (see prepare.use_partial_parse).
    parse = None if partial_parse_file(home).is_file() else start_home_parse(home)

    if resimulate or not _archive_matches(archive, start, end, seed):
        from orchestration.localhub.simulator import SimulationConfig, simulate

        print(f"[1/4] simulating the Hub from {start} to {end} (seed {seed}) into {archive} ...", flush=True)
        simulate(SimulationConfig(start=start, end=end, seed=seed), archive, log=lambda m: print(f"      {m}"))
    else:
        print(f"[1/4] simulated archive already in {archive} (same start, end and seed): reusing it")
    t1 = time.monotonic()

    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.hub.archive import list_snapshots

    dates = [d for d in list_snapshots(archive) if start <= d <= end]
    runs = contiguous_ranges(dates)
    print(f"[2/4] ingesting {len(dates)} snapshot dates through the local Hub in {len(runs)} Dagster run(s) "
          f"(one per stretch of consecutive dates; the archive has {len(runs) - 1} gap(s)) ...", flush=True)
    instance = dg.DagsterInstance.get()
    job = defs.resolve_job_def("ingest_hub_snapshots")
    for first, last in runs:
        result = job.execute_in_process(
            instance=instance,
            run_config=RUN_CONFIG,
            tags={
                "dagster/asset_partition_range_start": first.isoformat(),
                "dagster/asset_partition_range_end": last.isoformat(),
                "hubpulse/trigger": "demo",
            },
            raise_on_error=False,
        )
        if not result.success:
            print(f"ingestion of {first} .. {last} failed: see run {result.run_id} in the Dagster UI (`make dev`)")
            return 1
        print(f"      {first} .. {last}: run {result.run_id} succeeded", flush=True)
    t2 = time.monotonic()

    if parse is not None and parse.wait() != 0:
        print("      (the background dbt parse failed: each dbt command parses the project itself)")
    if partial_parse_file(home).is_file():
        os.environ["DBT_PARTIAL_PARSE_FILE_PATH"] = str(partial_parse_file(home))
    print(f"[3/4] building the warehouse with dbt for {start} .. {end} in one Dagster run ...", flush=True)
    warehouse = defs.resolve_job_def("build_warehouse").execute_in_process(
        instance=instance,
        run_config=RUN_CONFIG,
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
            "hubpulse/trigger": "demo",
        },
        raise_on_error=False,
    )
    t3 = time.monotonic()
    if not warehouse.success:
        print(f"the warehouse build failed: see run {warehouse.run_id} in the Dagster UI (`make dev`)")
        return 1

    from orchestration.cli.summary import print_raw_summary, print_warehouse_summary

    print("[4/4] what the warehouse says")
    print_raw_summary(home)
    print_warehouse_summary(home)
    print(
        f"\ntimings: simulate {t1 - t0:.0f}s, ingest {t2 - t1:.0f}s, warehouse {t3 - t2:.0f}s, "
        f"total {time.monotonic() - t0:.0f}s"
        f"\nThe runs are in DAGSTER_HOME={env['DAGSTER_HOME']}: `make dev` opens the UI on them."
    )
    return 0
