"""`make bench`: every benchmark of BENCHMARKS.md in turn, then the verdict line of each.

Each workload is its own script (run alone for its options); this runs them at their default sizes, one after
the other (they would disturb each other's timings otherwise), streams their output and ends with the lines
that state a target. `--quick` runs small sizes instead (minutes, not the better part of an hour): the numbers
are then only a smoke test, not the ones to compare with the targets.

    .venv/bin/python bench/run_all.py [--quick] [--only load,crawl,...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# name: (script, default arguments, --quick arguments)
WORKLOADS: dict[str, tuple[str, list[str], list[str]]] = {
    "load": ("load.py", [], ["--repeat", "2"]),
    "ingest": ("ingest.py", [], ["--models", "20000", "--repeat", "1"]),
    "crawl": ("crawl.py", [], ["--models", "100000", "--limit", "10", "--window", "2"]),
    "scope": ("scope.py", [], ["--days", "2"]),
    "quality": ("quality.py", [], ["--models", "100000", "--range-days", "20"]),
    "warehouse": ("warehouse.py", [], ["--models", "2000", "--days", "60", "--early-day", "20", "--repeat", "2"]),
    "demo": ("demo.py", [], ["--start", "2025-10-01", "--end", "2026-01-31"]),
    "object_store": ("object_store.py", [], ["--quick"]),
}
VERDICT = re.compile(r"target|ratio|equal|DIFFERENT", re.IGNORECASE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, not the real numbers")
    parser.add_argument("--only", help=f"comma-separated subset of {', '.join(WORKLOADS)}")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {', '.join(WORKLOADS)}")
    verdicts: list[tuple[str, str]] = []
    failed = []
    started = time.perf_counter()
    for name in names:
        script, default, quick = WORKLOADS[name]
        command = [sys.executable, str(BENCH / script), *(quick if args.quick else default)]
        print(f"\n=== {name}: {' '.join(command[1:])}  (load average {os.getloadavg()[0]:.1f})", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            print(line, end="", flush=True)
            if VERDICT.search(line) and not line.startswith(" "):
                verdicts.append((name, line.strip()))
        if proc.wait() != 0:
            failed.append(name)
        print(f"=== {name}: {time.perf_counter() - t0:.0f}s{' (FAILED)' if proc.returncode else ''}", flush=True)
    print(f"\n=== summary ({time.perf_counter() - started:.0f}s{', QUICK sizes' if args.quick else ''})")
    for name, line in verdicts:
        print(f"  {name:<10} {line}")
    if failed:
        print(f"  failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
