"""`hubpulse demo`: the whole pipeline on the embedded default, in the persistent Dagster instance.

Simulates a Hub history (once), serves it through the local Hub, materializes every daily snapshot
partition through the real client in one Dagster run, and prints what was built. `make dev` opens the
same instance (`DAGSTER_HOME=<HUBPULSE_HOME>/dagster`), so the UI shows the demo's runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path


def demo_environment(home: Path) -> dict[str, str]:
    """The environment the demo (and `make dev` after it) runs with."""
    return {
        "HUBPULSE_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "HUBPULSE_ARCHIVE": str(home / "archive"),
        "HUBPULSE_SOURCE": "local",
    }


def _archive_matches(archive: Path, start: dt.date, end: dt.date, seed: int) -> bool:
    manifest = archive / "ground_truth" / "manifest.json"
    if not manifest.exists():
        return False
    config = json.loads(manifest.read_text()).get("config", {})
    return (config.get("start"), config.get("end"), config.get("seed")) == (start.isoformat(), end.isoformat(), seed)


def run_demo(home: Path, start: dt.date, end: dt.date, seed: int = 7, resimulate: bool = False) -> int:
    """Run the demo end to end; return a process exit code."""
    home.mkdir(parents=True, exist_ok=True)
    env = demo_environment(home)
    os.environ.update(env)
    os.environ.setdefault("HUBPULSE_START_DATE", start.isoformat())
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    archive = Path(env["HUBPULSE_ARCHIVE"])
    t0 = time.monotonic()

    if resimulate or not _archive_matches(archive, start, end, seed):
        from orchestration.hub.simulator import SimulationConfig, simulate

        print(f"[1/3] simulating the Hub from {start} to {end} (seed {seed}) into {archive} ...", flush=True)
        simulate(SimulationConfig(start=start, end=end, seed=seed), archive, log=lambda m: print(f"      {m}"))
    else:
        print(f"[1/3] simulated archive already in {archive} (same start, end and seed): reusing it")
    t1 = time.monotonic()

    import dagster as dg

    from orchestration.definitions import defs

    print(f"[2/3] ingesting {start} .. {end} through the local Hub in one Dagster run ...", flush=True)
    instance = dg.DagsterInstance.get()
    job = defs.resolve_job_def("ingest_hub_snapshots")
    result = job.execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
            "hubpulse/trigger": "demo",
        },
        raise_on_error=False,
    )
    t2 = time.monotonic()
    if not result.success:
        print("ingestion failed; see the run in the Dagster UI (`make dev`) for the error")
        return 1

    from orchestration.summary import print_raw_summary

    print("[3/3] summary")
    print_raw_summary(home)
    print(
        f"\ntimings: simulate {t1 - t0:.0f}s, ingest {t2 - t1:.0f}s, total {time.monotonic() - t0:.0f}s"
        f"\nDagster run {result.run_id} is in DAGSTER_HOME={env['DAGSTER_HOME']}: `make dev` opens the UI on it."
    )
    return 0
