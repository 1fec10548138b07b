"""Benchmark: `hubpulse demo` end to end in a fresh home (what `make demo` runs after install).

Runs the demo as a child process with a new HUBPULSE_HOME (so it simulates, ingests every date through the local
Hub in Dagster runs, builds the warehouse with dbt and prints its answers), and prints its wall time, the CPU
time of the whole process tree, its peak RSS, the phases the demo reports (simulate, ingest, warehouse), and the
events its runs stored in the Dagster instance by type (each is a write to Dagster's SQLite event log: the
bookkeeping that grows with the window).
`make demo` also runs `hubpulse prepare`, which parses the dbt project only when its files changed.
Target: under 3 minutes on 2 cores, for the window `make demo` runs (2024-12-09 .. 2025-03-16); `--full` measures
`make demo-full` (2024-10-01 .. 2026-01-31) instead.

    .venv/bin/python bench/demo.py [--full | --start DATE --end DATE] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from orchestration.cli.demo import DEMO_WINDOW, FULL_WINDOW

TARGET_SECONDS = 180.0


def run_demo(home: Path, start: str, end: str, root: Path = ROOT) -> dict:
    """Run `hubpulse demo` of the checkout `root` in `home` over start .. end; return wall/CPU seconds, peak RSS
    and its phases."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBPULSE_", "DAGSTER_", "DBT_"))}
    env["PYTHONPATH"] = str(root)
    log = home.parent / f"{home.name}.log"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "orchestration.cli.main", "demo", "--home", str(home), "--start", start, "--end", end],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, check=False,
        )
        wall = time.perf_counter() - t0
    text = log.read_text(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"the demo failed ({proc.returncode}); its output:\n{text[-5000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # every waited-for descendant (runs, dbt, local Hub)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    phases = {}
    match = re.search(r"timings: (.*)", text)
    if match:
        phases = {name: float(value) for name, value in re.findall(r"(\w+) (\d+(?:\.\d+)?)s", match.group(1))}
    return {"wall": wall, "cpu": cpu, "rss_mb": usage.ru_maxrss / 1024,
            "phases": phases, "log": log, "events": stored_events(home / "dagster", root)}


# Run by the checkout that ran the demo: its instance may name storage only that checkout has (an older baseline).
COUNT_EVENTS = """
import json, sys
import dagster as dg
counts = {}
with dg.DagsterInstance.from_config(sys.argv[1]) as instance:
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id):
            kind = entry.dagster_event_type.value if entry.is_dagster_event else "log line"
            counts[kind] = counts.get(kind, 0) + 1
print(json.dumps(counts))
"""


def stored_events(dagster_home: Path, root: Path = ROOT) -> dict[str, int]:
    """How many events the demo's runs stored, by Dagster event type ("log line" for a run's log messages)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBPULSE_", "DAGSTER_", "DBT_"))}
    env["PYTHONPATH"] = str(root)
    out = subprocess.run([sys.executable, "-c", COUNT_EVENTS, str(dagster_home)], cwd=root, env=env,
                         capture_output=True, text=True, check=True).stdout
    counts = json.loads(out.strip().splitlines()[-1])
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", help=f"first date (default {DEMO_WINDOW[0]}, what `make demo` runs)")
    parser.add_argument("--end", help=f"last date (default {DEMO_WINDOW[1]})")
    parser.add_argument("--full", action="store_true", help=f"the window of `make demo-full`: {FULL_WINDOW[0]} .. "
                        f"{FULL_WINDOW[1]}")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout (e.g. before a change, dbt manifest prepared) run first, the same way")
    args = parser.parse_args(argv)
    window = FULL_WINDOW if args.full else DEMO_WINDOW
    args.start = args.start or window[0].isoformat()
    args.end = args.end or window[1].isoformat()
    with tempfile.TemporaryDirectory(prefix="hubpulse-bench-demo-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        runs = [("baseline", args.baseline.resolve())] if args.baseline else []
        runs.append(("home", ROOT))
        load_at_start = os.getloadavg()[0]
        for name, root in runs:
            home = work / name
            shutil.rmtree(home, ignore_errors=True)
            r = run_demo(home, args.start, args.end, root)
            label = f"baseline {root}" if name == "baseline" else "hubpulse demo"
            print(f"{label} {args.start} .. {args.end} in a fresh home: {r['wall']:.0f}s wall, "
                  f"{r['cpu']:.0f}s CPU (all processes), peak RSS of the largest process {r['rss_mb']:,.0f} MB")
            if r["phases"]:
                print("  phases the demo reports: " + ", ".join(f"{k} {v:.0f}s" for k, v in r["phases"].items()))
            print(f"  events stored: {sum(r['events'].values()):,} (" +
                  ", ".join(f"{kind} {n:,}" for kind, n in r["events"].items()) + ")")
        print(f"  output: {r['log'] if args.keep else '(temporary; use --keep DIR to keep it)'}")
        print(f"  load average {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
              f"on {os.cpu_count()} cores")
        ok = r["wall"] < TARGET_SECONDS
        print(f"target < {TARGET_SECONDS:.0f}s: {'ok' if ok else 'ABOVE TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
