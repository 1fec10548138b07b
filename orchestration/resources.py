"""Resources shared by every asset, built from the settings (`orchestration.settings.get_settings()`, documented
in `.env.example`)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from pydantic import Field, field_validator

from orchestration import settings
from orchestration.hub.client import HubClient
from orchestration.hub.scope import Scope


class HubpulsePaths(dg.ConfigurableResource):
    """Where hubpulse keeps its files: everything lives under `home` (HUBPULSE_HOME), the raw layer under
    `raw_uri` when set (HUBPULSE_RAW_URI: a folder or `s3://bucket/prefix`)."""

    home: str = Field(description="root folder of raw partitions, warehouse, quality docs and serving copies")
    raw_uri: str | None = Field(
        default=None, description="root of the raw layer when not <home>/raw: a folder or s3://bucket/prefix"
    )

    @field_validator("home")
    @classmethod
    def _safe_home(cls, value: str) -> str:
        settings.validate_home(value, name="home")
        return value

    @field_validator("raw_uri")
    @classmethod
    def _safe_raw_uri(cls, value: str | None) -> str | None:
        return settings.validate_raw_uri(value, name="raw_uri") if value is not None else None

    @property
    def root(self) -> Path:
        return Path(self.home).expanduser().resolve()

    @property
    def raw_root(self) -> str | Path:
        """`raw_uri` (an `s3://` URI stays a string), else `<home>/raw`."""
        if self.raw_uri is None:
            return self.root / "raw"
        return self.raw_uri if "://" in self.raw_uri else Path(self.raw_uri)

    @property
    def raw_models(self) -> str | Path:
        root = self.raw_root
        return f"{root}/hub_models" if isinstance(root, str) else root / "hub_models"

    @property
    def raw_rejects(self) -> str | Path:
        root = self.raw_root
        return f"{root}/hub_models_rejects" if isinstance(root, str) else root / "hub_models_rejects"

    @property
    def warehouse(self) -> Path:
        return settings.warehouse_path(self.root)


# The `scope` resource is `Scope` itself (orchestration/hub/scope.py); this is its former name, which
# tests/test_quality.py still imports (drop it with that import).
SnapshotScope = Scope


def hub_client_from_env() -> HubClient:
    """The `hub` resource: live Hub at HF_ENDPOINT, or the local Hub over HUBPULSE_ARCHIVE (the default)."""
    config = settings.get_settings()
    return HubClient(
        source=config.source,
        endpoint=config.endpoint,
        archive_dir=str(config.archive_dir),
        # The token is no setting: EnvVar keeps its value out of the settings, the UI and run config, and is
        # resolved only when the variable is set.
        token=dg.EnvVar("HF_TOKEN") if os.environ.get("HF_TOKEN") else None,
    )


def scope_from_env() -> Scope:
    """The `scope` resource from HUBPULSE_SCOPE_ORGS / HUBPULSE_TOP_N* / HUBPULSE_SCOPE_DERIVATIVES /
    HUBPULSE_FULL_CRAWL."""
    return Scope.from_env()


def paths_from_env() -> HubpulsePaths:
    """The `paths` resource rooted at HUBPULSE_HOME."""
    config = settings.get_settings()
    return HubpulsePaths(home=str(config.home), raw_uri=config.raw_uri)
