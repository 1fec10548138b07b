"""Benchmark: loading the code location (`import orchestration.definitions`) in a fresh process.

Every `dagster dev` reload, every run worker and every step process starts by importing the code location, so
this is paid again and again. The load imports dagster-dbt (and through it dbt-core) and builds the three
`@dbt_assets` sets from the prepared manifest (`hubpulse prepare`; HUBPULSE_DBT_MANIFEST_DIR is passed through),
outside `dagster dev`, so nothing is parsed. Each repetition is a new interpreter (`-X importtime` on): the wall
time of the whole process, its CPU time, and the import time of the heaviest top-level packages, with the
1-minute load average. Target: under 6 s.

    .venv/bin/python bench/load.py [--repeat 5] [--module orchestration.definitions]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 6.0
SHOWN = 12  # top-level packages listed, by their share of the import time


def _by_package(lines: list[str]) -> dict[str, float]:
    """Seconds of import work per top-level package: the sum of its modules' own (self) import times."""
    out: dict[str, float] = defaultdict(float)
    for line in lines:
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if match:
            out[match.group(3).split(".")[0]] += int(match.group(1)) / 1e6
    return dict(out)


def measure(module: str, root: Path = ROOT) -> dict:
    """One fresh interpreter importing `module` from `root`: wall and CPU seconds, per-package import seconds."""
    env = {**os.environ, "PYTHONPATH": str(root), "DAGSTER_HOME": os.environ.get("DAGSTER_HOME", "/tmp")}
    env.pop("DAGSTER_IS_DEV_CLI", None)  # under `dagster dev` the load would run `dbt parse` first
    with tempfile.TemporaryFile("w+") as err:  # not a pipe: -X importtime writes more than a pipe holds
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=err, text=True,
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        err.seek(0)
        stderr = err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import {module} failed:\n{stderr[-3000:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "packages": _by_package(stderr.splitlines()),
        "modules": sum(1 for line in stderr.splitlines() if line.startswith("import time:")) - 1,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes (the median is reported)")
    parser.add_argument("--module", default="orchestration.definitions")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout (e.g. before a change) imported alternately with this one")
    args = parser.parse_args(argv)
    runs, before = [], []
    for _ in range(args.repeat):
        runs.append(measure(args.module))
        if args.baseline:
            before.append(measure(args.module, args.baseline.resolve()))
    if before:
        b_wall = statistics.median(r["wall"] for r in before)
        b_cpu = statistics.median(r["cpu"] for r in before)
        print(f"baseline {args.baseline}: wall median {b_wall:.2f}s, CPU median {b_cpu:.2f}s "
              f"(measured alternately with this checkout)")
    wall = statistics.median(r["wall"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    print(f"import {args.module} in a fresh process, {args.repeat} runs "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    print(f"  wall  median {wall:.2f}s  (min {min(r['wall'] for r in runs):.2f}s, "
          f"max {max(r['wall'] for r in runs):.2f}s)")
    print(f"  CPU   median {cpu:.2f}s;  peak RSS {max(r['rss_mb'] for r in runs):,.0f} MB;  "
          f"{runs[0]['modules']:,} modules imported")
    packages: dict[str, list[float]] = defaultdict(list)
    for r in runs:
        for name, seconds in r["packages"].items():
            packages[name].append(seconds)
    total = sum(statistics.median(v) for v in packages.values())
    print(f"  import work by top-level package (median of the modules' own times; {total:.2f}s in all):")
    for name, values in sorted(packages.items(), key=lambda kv: -statistics.median(kv[1]))[:SHOWN]:
        print(f"    {name:<22} {statistics.median(values):6.2f}s")
    print(f"target < {TARGET_SECONDS:.0f}s (median wall): {'ok' if wall < TARGET_SECONDS else 'ABOVE TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
