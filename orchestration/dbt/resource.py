"""The `dbt` resource: the settings of dagster-dbt's `DbtCliResource`, which the dbt steps create.

A `DbtCliResource` in the Definitions would import dagster-dbt (and dbt-core) whenever the code location loads.
`DbtCli` holds the same settings (project and profiles folders, the dbt executable), and the step that runs
dbt turns it into a `DbtCliResource` (`cli_resource()`). A `DbtCliResource` given as the `dbt` resource (as
some tests do) is used as it is.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field

from orchestration.prepare import dbt_executable
from orchestration.settings import DBT_PROJECT_DIR


class DbtCli(dg.ConfigurableResource):
    """dbt's command line for the project, as the settings of a dagster-dbt `DbtCliResource`."""

    project_dir: str = Field(description="the dbt project folder")
    profiles_dir: str = Field(description="the folder of profiles.yml")
    dbt_executable: str = Field(description="the dbt executable")

    def cli_resource(self) -> Any:
        """The `DbtCliResource` of these settings (imports dagster-dbt)."""
        from dagster_dbt import DbtCliResource

        return DbtCliResource(
            project_dir=self.project_dir, profiles_dir=self.profiles_dir, dbt_executable=self.dbt_executable
        )


def dbt_cli_from_env() -> DbtCli:
    """The `dbt` resource: the project's dbt, run with this environment's `dbt` executable."""
    return DbtCli(
        project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )
