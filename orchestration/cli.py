"""The `hubpulse` command line: simulate, serve-hub, import-archive, demo."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `hubpulse` subcommand."""
    parser = argparse.ArgumentParser(prog="hubpulse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    # Each subcommand module adds its own arguments; imports stay lazy so `hubpulse --help` is quick.
    from orchestration.hub import cli_commands

    cli_commands.register(sub)
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
