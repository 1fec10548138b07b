"""The dbt project as Dagster sees it.

The manifest is prepared by the project's own commands (`hubpulse prepare`, run by `make demo`, `make test`
and `make dev`), never parsed when the code location loads; `dagster dev` re-prepares it so edits show up.

dagster-dbt (and through it dbt-core) takes seconds to import, and every code location load, run worker and
step process pays it: this module does not import it. `hubpulse_dbt_project` (dagster-dbt's `DbtProject`) is
created on first use, and `dagster dev` (`DAGSTER_IS_DEV_CLI`) is the one case where loading imports it.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.cli.prepare import dbt_executable, use_partial_parse
from orchestration.settings import DBT_PROJECT_DIR

if TYPE_CHECKING:
    from dagster_dbt import DbtProject

# Where `dbt parse` leaves manifest.json; overridable so tests can keep the working tree untouched.
DBT_MANIFEST_TARGET = os.environ.get("HUBPULSE_DBT_MANIFEST_DIR", "target")


def using_dagster_dev() -> bool:
    """Whether this process runs under `dagster dev` (dagster-dbt's own test, without importing it)."""
    return bool(os.getenv("DAGSTER_IS_DEV_CLI"))


@cache
def dbt_project() -> DbtProject:
    """dagster-dbt's `DbtProject` of the project (imports dagster-dbt)."""
    from dagster_dbt import DbtProject

    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=Path(DBT_MANIFEST_TARGET))


def __getattr__(name: str):
    # `hubpulse_dbt_project`, the module attribute it always was, created when first asked for.
    if name == "hubpulse_dbt_project":
        return dbt_project()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def manifest_path() -> Path:
    """The manifest the code location loads, with a clear error when it has not been prepared."""
    # As DbtProject places it: <project_dir>/<target_path>/manifest.json (an absolute target path wins).
    path = DBT_PROJECT_DIR.joinpath(DBT_MANIFEST_TARGET, "manifest.json")
    if not path.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {path}: run `make manifest` (or `dbt parse --project-dir dbt_project "
            "--profiles-dir dbt_project`) first; `make demo`, `make test` and `make dev` do it for you"
        )
    return path


if using_dagster_dev():
    if shutil.which("dbt") is None:
        # `dagster dev` re-parses through a DbtCliResource that looks for `dbt` on PATH; the venv's bin folder
        # is not on it when `.venv/bin/dagster` is run without activating the venv.
        os.environ["PATH"] = os.pathsep.join([str(Path(dbt_executable()).parent), os.environ.get("PATH", "")])
    dbt_project().prepare_if_dev()
# Every dbt command Dagster runs starts from the prepared parse instead of parsing the project again.
use_partial_parse()
