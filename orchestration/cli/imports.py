"""`hubpulse import-archive` and `hubpulse export-archive`: history in and out of the raw partitions."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path


def date_argument(value: str):
    """An argparse type: a YYYY-MM-DD snapshot date."""
    from orchestration.hub.archive import parse_snapshot_date

    try:
        return parse_snapshot_date(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def column_argument(value: str) -> tuple[str, str]:
    """An argparse type: `KEY=NAME`, a series column mapping (`trackers.SERIES_KEYS`; `KEY=` for no column)."""
    from orchestration.hub.trackers import SERIES_KEYS

    key, sep, name = value.partition("=")
    key, name = key.strip(), name.strip()
    if not sep or key not in SERIES_KEYS:
        raise argparse.ArgumentTypeError(f"expected KEY=NAME with KEY one of {', '.join(SERIES_KEYS)}, got {value!r}")
    return key, name


def register(sub, *, home_help: str, home: Callable[[argparse.Namespace], Path]) -> None:
    """Add `import-archive` and `export-archive` to the `hubpulse` parser; `home` resolves `--home`."""
    from orchestration.hub.trackers import FORMATS  # light: the archive module and the standard library

    def import_command(args) -> int:
        from orchestration import settings
        from orchestration.hub.trackers import series_columns
        from orchestration.hub.transfer import import_archive
        from orchestration.resources import HubpulsePaths

        paths = HubpulsePaths(home=str(home(args)), raw_uri=settings.get_settings().raw_uri)
        summaries = import_archive(Path(args.archive), paths.raw_models, paths.raw_rejects,
                                   start=args.start, end=args.end, format=args.format,
                                   columns=series_columns(args.column) if args.column else None)
        if os.environ.get("DAGSTER_HOME") and not args.no_dagster:
            from orchestration.hub.events import report_imported_partitions

            report_imported_partitions(summaries)
        rows = sum(s["rows"] for s in summaries)
        rejected = sum(s["rejected"] for s in summaries)
        print(f"imported {len(summaries)} snapshot dates, {rows} model rows, {rejected} rejected items "
              f"into {paths.raw_models}")
        return 0

    def export_command(args) -> int:
        from orchestration import settings
        from orchestration.hub.transfer import export_archive

        written = export_archive(settings.raw_models_dir(home(args)), Path(args.out), gz=not args.plain)
        print(f"exported {len(written)} snapshot files to {args.out}")
        return 0

    p = sub.add_parser("import-archive", help="load a folder of daily snapshots (the Hub's JSON lines, a tracker's "
                       "per-model daily series, or daily listing Parquet files) into raw partitions")
    p.add_argument("archive", help="archive folder")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="the files' format (default: from the names: .jsonl[.gz] hub-jsonl, .csv[.gz] series, "
                        "YYYY-MM-DD.parquet listing-parquet, other .parquet series; a folder mixing them is refused)")
    p.add_argument("--column", action="append", type=column_argument, default=[], metavar="KEY=NAME",
                   help="series only: the column holding KEY (date, model_id, downloads, downloads_all_time, likes, "
                        "fetched_at; default: the key itself); KEY= for a count the files do not have; repeatable")
    p.add_argument("--home", default=None, help=home_help)
    p.add_argument("--start", type=date_argument, default=None, help="first date to import (default: all)")
    p.add_argument("--end", type=date_argument, default=None, help="last date to import (default: all)")
    p.add_argument("--no-dagster", action="store_true", help="do not record the partitions in the Dagster instance")
    p.set_defaults(func=import_command)

    p = sub.add_parser("export-archive", help="write raw partitions back out in the archive format")
    p.add_argument("--out", required=True, help="folder to write YYYY-MM-DD.jsonl.gz files into")
    p.add_argument("--home", default=None, help=home_help)
    p.add_argument("--plain", action="store_true", help="write .jsonl instead of .jsonl.gz")
    p.set_defaults(func=export_command)
