"""The dbt project as Dagster sees it: dagster-dbt's `DbtProject` and the `dbt` resource.

The manifest is prepared by `hubpulse prepare` (run by `make demo`, `make test` and `make dev`), never parsed
when the code location loads outside `dagster dev`; under `dagster dev` it is parsed again when a file of the
dbt project is newer than it, so edits show up.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.cli.prepare import dbt_executable, manifest_outdated
from orchestration.settings import DBT_PROJECT_DIR

hubpulse_dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    # Where `dbt parse` leaves manifest.json; tests point it outside the working tree.
    target_path=Path(os.environ.get("HUBPULSE_DBT_MANIFEST_DIR", "target")),
)

if hubpulse_dbt_project.preparer.using_dagster_dev():
    # `dagster dev` re-parses through a DbtCliResource that runs `dbt` from PATH, where the venv's bin folder
    # is not when `.venv/bin/dagster` is run without activating the venv.
    os.environ["PATH"] = os.pathsep.join([str(Path(dbt_executable()).parent), os.environ.get("PATH", "")])
if hubpulse_dbt_project.preparer.using_dagster_dev() and manifest_outdated(hubpulse_dbt_project.manifest_path):
    # dagster-dbt's `prepare_if_dev()` parses on every load under `dagster dev`, and every process of a run
    # loads the code location (the run worker and, with the default executor, each step): 7 s and more each,
    # on the path of every run. Parsed here when an edit made the manifest older than the project's files.
    hubpulse_dbt_project.preparer.prepare(hubpulse_dbt_project)


def manifest_path() -> Path:
    """The manifest the code location loads, with a clear error when it has not been prepared."""
    path = hubpulse_dbt_project.manifest_path
    if not path.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {path}: run `hubpulse prepare` (or `dbt parse --project-dir dbt_project "
            "--profiles-dir dbt_project`) first; `make demo`, `make test` and `make dev` do it for you"
        )
    return path


def dbt_cli_from_env() -> DbtCliResource:
    """The `dbt` resource: the project's dbt, run with this environment's `dbt` executable."""
    return DbtCliResource(project_dir=hubpulse_dbt_project, dbt_executable=dbt_executable())
