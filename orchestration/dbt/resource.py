"""The `dbt` resource: the settings of dagster-dbt's `DbtCliResource`, which the dbt steps create.

A `DbtCliResource` in the Definitions would import dagster-dbt (and dbt-core) whenever the code location loads.
`DbtCli` holds the same settings (the same fields, configurable the same way in run config), and the step that
runs dbt turns it into a `DbtCliResource` (`cli_resource()`). A `DbtCliResource` given as the `dbt` resource (as
some tests do) is used as it is.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import dagster as dg
from pydantic import Field

from orchestration.cli.prepare import dbt_executable
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
        """The `DbtCliResource` of these settings (imports dagster-dbt); one per process for the same settings.

        dagster-dbt runs `dbt --version` (a 5 s dbt start on this machine) once per `DbtCliResource` object, so
        the steps of a run that share a process share the object, and with it that one answer.
        """
        return _cli_resource(
            self.project_dir,
            tuple(self.global_config_flags),
            self.profiles_dir,
            self.profile,
            self.target,
            self.dbt_executable,
            self.state_path,
        )


@cache
def _cli_resource(project_dir, global_config_flags, profiles_dir, profile, target, dbt_executable, state_path):
    from dagster_dbt import DbtCliResource

    resource = DbtCliResource(
        project_dir=project_dir,
        global_config_flags=list(global_config_flags),
        profiles_dir=profiles_dir,
        profile=profile,
        target=target,
        dbt_executable=dbt_executable,
        state_path=state_path,
    )
    version = installed_dbt_version(dbt_executable)
    if version is not None:  # what `dbt --version` would answer, without starting dbt for it
        resource.__dict__["_cli_version"] = version
    return resource


def installed_dbt_version(executable: str):
    """dbt-core's version when `executable` is the `dbt` script of this interpreter's environment, else None.

    dagster-dbt asks the executable (`dbt --version`, a 5 s start of dbt) in every step process that runs dbt;
    the script of this environment runs this environment's dbt-core, whose version the package metadata holds.
    """
    import importlib.metadata
    import sysconfig
    from pathlib import Path

    from packaging.version import Version

    path = Path(executable)
    if path.name != "dbt" or path.parent.resolve() != Path(sysconfig.get_path("scripts")).resolve():
        return None
    try:
        return Version(importlib.metadata.version("dbt-core"))
    except importlib.metadata.PackageNotFoundError:
        return None


def dbt_cli_from_env() -> DbtCli:
    """The `dbt` resource: the project's dbt, run with this environment's `dbt` executable."""
    return DbtCli(
        project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )
