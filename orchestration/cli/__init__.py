"""The `hubpulse` command line and the tooling behind it (demo, prepare, summary)."""

from orchestration.cli.main import main

__all__ = ["main"]
