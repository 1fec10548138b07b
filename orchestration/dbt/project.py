"""The dbt project as Dagster sees it.

The manifest is prepared by the project's own commands (`make manifest`, run by `make demo`, `make test`
and `make dev`), never parsed when the code location loads; `dagster dev` re-prepares it so edits show up.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from orchestration.prepare import dbt_executable, use_partial_parse
from orchestration.settings import DBT_PROJECT_DIR

# Where `dbt parse` leaves manifest.json; overridable so tests can keep the working tree untouched.
DBT_MANIFEST_TARGET = os.environ.get("HUBPULSE_DBT_MANIFEST_DIR", "target")

hubpulse_dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target_path=Path(DBT_MANIFEST_TARGET),
)
if using_dagster_dev() and shutil.which("dbt") is None:
    # `dagster dev` re-parses through a DbtCliResource that looks for `dbt` on PATH; the venv's bin folder is
    # not on it when `.venv/bin/dagster` is run without activating the venv.
    os.environ["PATH"] = os.pathsep.join([str(Path(dbt_executable()).parent), os.environ.get("PATH", "")])
hubpulse_dbt_project.prepare_if_dev()
# Every dbt command Dagster runs starts from the prepared parse instead of parsing the project again.
use_partial_parse()


def manifest_path() -> Path:
    """The manifest the code location loads, with a clear error when it has not been prepared."""
    path = hubpulse_dbt_project.manifest_path
    if not path.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {path}: run `make manifest` (or `dbt parse --project-dir dbt_project "
            "--profiles-dir dbt_project`) first; `make demo`, `make test` and `make dev` do it for you"
        )
    return path
