"""The `hubpulse` command line: simulate, serve-hub, import-archive, export-archive (cli/imports.py), prepare,
demo, build (cli/build.py), doctor (cli/doctor.py), docs (cli/docs.py), dashboard.

Heavy imports stay inside the subcommands, so `hubpulse --help` is quick."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from orchestration import settings
from orchestration.cli import build, docs, doctor, imports

HOME_HELP = "the hubpulse home folder (default: the setting HUBPULSE_HOME, ./data when unset)"


def _home(args) -> Path:
    """`--home`, else the HUBPULSE_HOME setting (read only when no folder is given)."""
    return Path(args.home).resolve() if args.home else settings.get_settings().home


def _simulate(args) -> int:
    from orchestration.localhub import simulator

    summary = simulator.simulate(simulator.config_from_args(args), Path(args.out))
    print(json.dumps(summary, indent=2, default=str))
    return 0


def _serve_hub(args) -> int:
    from orchestration.localhub import server

    return server.run_from_args(args)


def _demo(args) -> int:
    from orchestration.cli.demo import DEMO_WINDOW, FULL_WINDOW, run_demo

    window = FULL_WINDOW if args.full else DEMO_WINDOW
    return run_demo(
        home=_home(args),
        start=args.start or window[0],
        end=args.end or window[1],
        seed=args.seed,
        resimulate=args.resimulate,
        scope=args.scope,
        verbose=args.verbose,
    )


def _prepare(args) -> int:
    from orchestration.cli.prepare import prepare

    prepare(_home(args), with_manifest=not args.no_manifest)
    return 0


def _dashboard(args) -> int:
    from orchestration.dashboard import APP, STREAMLIT_OPTIONS
    from orchestration.serving.publish import current_version_dir, serving_dir

    home = _home(args)
    serving = serving_dir(home)
    print(f"hubpulse dashboard on http://127.0.0.1:{args.port} (reads {serving})", flush=True)
    if current_version_dir(serving) is None:
        print("  nothing is published there yet: `make demo` publishes it (the page says so too)", flush=True)
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", "127.0.0.1",
        "--server.port", str(args.port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        *(arg for key, value in STREAMLIT_OPTIONS.items() for arg in (f"--{key}", str(value).lower())),
    ]
    # Replace this process, so Ctrl-C and signals reach Streamlit directly and no child is left behind.
    os.execve(sys.executable, command, {**os.environ, "HUBPULSE_HOME": str(home)})
    return 0  # not reached


def register(sub) -> None:
    """Add every subcommand to the `hubpulse` parser."""
    p = sub.add_parser("simulate", help="write a deterministic simulated Hub history (archive + ground truth)")
    from orchestration.localhub import simulator

    simulator.add_arguments(p)
    p.set_defaults(func=_simulate)

    p = sub.add_parser("serve-hub", help="serve an archive as a Hub-compatible API on loopback")
    from orchestration.localhub import server

    server.add_arguments(p)
    p.set_defaults(func=_serve_hub)

    imports.register(sub, home_help=HOME_HELP, home=_home)
    doctor.register(sub, home_help=HOME_HELP, home=_home)

    p = sub.add_parser("prepare", help="create HUBPULSE_HOME, the Dagster instance and the dbt manifest")
    p.add_argument("--home", default=None, help=HOME_HELP)
    p.add_argument("--no-manifest", action="store_true", help="skip `dbt parse`")
    p.set_defaults(func=_prepare)

    p = sub.add_parser("demo", help="simulate, serve locally, ingest the window, build the warehouse, print a summary")
    p.add_argument("--home", default=None, help=HOME_HELP)
    from orchestration.cli.demo import DEMO_WINDOW, FULL_WINDOW  # a light module: dates only, no Dagster

    p.add_argument("--start", type=imports.date_argument, default=None,
                   help=f"first simulated date (default {DEMO_WINDOW[0]}; with --full {FULL_WINDOW[0]})")
    p.add_argument("--end", type=imports.date_argument, default=None,
                   help=f"last simulated date (default {DEMO_WINDOW[1]}; with --full {FULL_WINDOW[1]})")
    p.add_argument("--full", action="store_true",
                   help=f"the whole calibrated history, {FULL_WINDOW[0]} .. {FULL_WINDOW[1]} (7-9 min instead of 2.5)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--resimulate", action="store_true", help="rewrite the simulated archive even if present")
    p.add_argument("--scope", choices=("full", "default"), default="full",
                   help="full: crawl the whole simulated Hub (default); default: the live default scope, the "
                        "tracked organisations (HUBPULSE_SCOPE_ORGS) + top N (HUBPULSE_TOP_N) + the children of "
                        "their models, as a live deployment runs it (use a home of its own)")
    p.add_argument("--verbose", action="store_true",
                   help="show Dagster's and dbt's logs live instead of writing them to <home>/logs/")
    p.set_defaults(func=_demo)

    build.register(sub, home_help=HOME_HELP, home=_home, date_argument=imports.date_argument)
    docs.register(sub, home_help=HOME_HELP, home=_home)

    p = sub.add_parser("dashboard", help="open the Streamlit dashboard over the published marts (127.0.0.1)")
    p.add_argument("--home", default=None, help=HOME_HELP)
    p.add_argument("--port", type=int, default=8501, help="port on 127.0.0.1 (default %(default)s)")
    p.set_defaults(func=_dashboard)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `hubpulse` subcommand."""
    parser = argparse.ArgumentParser(prog="hubpulse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hubpulse` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear one-line error, not a traceback, for expected failures
        from orchestration.hub.archive import ArchiveError

        if isinstance(exc, (ArchiveError, ValueError, FileNotFoundError)):
            print(f"hubpulse {args.command}: error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
