"""The `dbt` resource: the settings of dagster-dbt's `DbtCliResource`, which the dbt steps create.

A `DbtCliResource` in the Definitions would import dagster-dbt (and dbt-core) whenever the code location loads.
`DbtCli` holds the same settings (the same fields, configurable the same way in run config), and the step that
runs dbt turns it into a `DbtCliResource` (`cli_resource()`). A `DbtCliResource` given as the `dbt` resource (as
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
    global_config_flags: list[str] = Field(default=[], description="dbt's global flags, before the command")
    profiles_dir: str | None = Field(default=None, description="the folder of profiles.yml")
    profile: str | None = Field(default=None, description="the profile to use (dbt's default when not set)")
    target: str | None = Field(default=None, description="the target to use (dbt's default when not set)")
    dbt_executable: str = Field(default="dbt", description="the dbt executable")
    state_path: str | None = Field(default=None, description="the folder of the state artifacts (--state)")

    def cli_resource(self) -> Any:
        """The `DbtCliResource` of these settings (imports dagster-dbt)."""
        from dagster_dbt import DbtCliResource

        return DbtCliResource(
            project_dir=self.project_dir,
            global_config_flags=self.global_config_flags,
            profiles_dir=self.profiles_dir,
            profile=self.profile,
            target=self.target,
            dbt_executable=self.dbt_executable,
            state_path=self.state_path,
        )


def dbt_cli_from_env() -> DbtCli:
    """The `dbt` resource: the project's dbt, run with this environment's `dbt` executable."""
    return DbtCli(
        project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )
