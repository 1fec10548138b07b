"""Configuration read from the environment, with the documented defaults of `.env.example`.

Nothing here touches the network or the disk at import time: values are read when asked for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
ORG_REGIONS_CSV = SEEDS_DIR / "organization_regions.csv"
TRACKED_MODELS_CSV = Path(__file__).resolve().parent / "hub" / "reference" / "tracked_models.csv"

# The Hub's placeholder creation time for every repo older than 2022-03-02: not a real release date.
PLACEHOLDER_CREATED_AT = "2022-03-02T23:29:04.000Z"
# DeepSeek-R1's release, the pivot date of every before/after comparison.
R1_RELEASE_DATE = "2025-01-20"


# dbt-duckdb reads raw partitions through a glob pattern quoted in SQL (`read_parquet('<home>/raw/...*.parquet')`):
# a quote would end the literal, and a glob character would widen what is read beyond HUBPULSE_HOME.
_UNSAFE_PATH_CHARACTERS = frozenset("'\"*?[]{}\\")


def validate_home(path: str | Path, name: str = "HUBPULSE_HOME") -> Path:
    """`path` made absolute, after refusing characters that would change what SQL or a glob over it reads."""
    text = str(path)
    if not text.strip():
        raise ValueError(f"{name} is empty: give a folder (default ./data)")
    bad = sorted({c for c in text if c in _UNSAFE_PATH_CHARACTERS or ord(c) < 32 or ord(c) == 127})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(
            f"{name} {text!r} contains {shown}: dbt and DuckDB read raw partitions through a glob quoted in SQL, "
            "where quotes, glob characters and control characters would change what is read; choose a path without them"
        )
    resolved = Path(text).expanduser().resolve()
    if resolved == Path(resolved.anchor):
        raise ValueError(f"{name} must not be the filesystem root ({resolved})")
    return resolved


def hubpulse_home() -> Path:
    """Root of everything hubpulse writes (`HUBPULSE_HOME`, default `./data`), made absolute and validated."""
    return validate_home(os.environ.get("HUBPULSE_HOME") or "data")


def raw_models_dir(home: Path | None = None) -> Path:
    """Folder of the raw `hub_model_snapshots` partitions."""
    return (home or hubpulse_home()) / "raw" / "hub_models"


def warehouse_path(home: Path | None = None) -> Path:
    """The DuckDB file dbt builds (never read by BI tools: they read the published copy)."""
    return (home or hubpulse_home()) / "warehouse.duckdb"


def archive_dir(home: Path | None = None) -> Path:
    """Default archive folder: the simulated history the local Hub serves."""
    return Path(os.environ.get("HUBPULSE_ARCHIVE", str((home or hubpulse_home()) / "archive"))).resolve()


def schedule_status(variable: str, default_running: bool) -> dg.DefaultScheduleStatus:
    """`running` or `stopped` from `variable` (empty: `default_running`), as Dagster's default status."""
    import dagster as dg  # here, not at import: `hubpulse --help` reads settings and stays quick

    value = os.environ.get(variable, "").strip().lower()
    if value not in ("", "running", "stopped"):
        raise ValueError(f"{variable} must be `running` or `stopped`, got {value!r}")
    running = value == "running" if value else default_running
    return dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED


def schedules_status() -> dg.DefaultScheduleStatus:
    """The schedules' default status: running with the live source, stopped with the local Hub."""
    return schedule_status("HUBPULSE_SCHEDULES", os.environ.get("HUBPULSE_SOURCE", "local").strip().lower() == "live")
