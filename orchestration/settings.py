"""Configuration read from the environment, with the documented defaults of `.env.example`.

Nothing here touches the network or the disk at import time: values are read when asked for.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
ORG_REGIONS_CSV = SEEDS_DIR / "organization_regions.csv"
TRACKED_MODELS_CSV = Path(__file__).resolve().parent / "hub" / "reference" / "tracked_models.csv"

# The Hub's placeholder creation time for every repo older than 2022-03-02: not a real release date.
PLACEHOLDER_CREATED_AT = "2022-03-02T23:29:04.000Z"
# DeepSeek-R1's release, the pivot date of every before/after comparison.
R1_RELEASE_DATE = "2025-01-20"


def hubpulse_home() -> Path:
    """Root of everything hubpulse writes (`HUBPULSE_HOME`, default `./data`), made absolute."""
    return Path(os.environ.get("HUBPULSE_HOME", "data")).expanduser().resolve()


def raw_models_dir(home: Path | None = None) -> Path:
    """Folder of the raw `hub_model_snapshots` partitions."""
    return (home or hubpulse_home()) / "raw" / "hub_models"


def warehouse_path(home: Path | None = None) -> Path:
    """The DuckDB file dbt builds (never read by BI tools: they read the published copy)."""
    return (home or hubpulse_home()) / "warehouse.duckdb"


def archive_dir(home: Path | None = None) -> Path:
    """Default archive folder: the simulated history the local Hub serves."""
    return Path(os.environ.get("HUBPULSE_ARCHIVE", str((home or hubpulse_home()) / "archive"))).resolve()
