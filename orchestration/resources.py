"""Resources shared by every asset, configured from the environment (see `.env.example`)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
from pydantic import Field, field_validator

from orchestration import settings
from orchestration.hub.client import HubClient
from orchestration.hub.scope import Scope, parse_org_list


class HubpulsePaths(dg.ConfigurableResource):
    """Where hubpulse keeps its files: everything lives under `home` (HUBPULSE_HOME)."""

    home: str = Field(description="root folder of raw partitions, warehouse, quality docs and serving copies")

    @field_validator("home")
    @classmethod
    def _safe_home(cls, value: str) -> str:
        settings.validate_home(value, name="home")
        return value

    @property
    def root(self) -> Path:
        return Path(self.home).expanduser().resolve()

    @property
    def raw_models(self) -> Path:
        return settings.raw_models_dir(self.root)

    @property
    def raw_rejects(self) -> Path:
        return self.root / "raw" / "hub_models_rejects"

    @property
    def warehouse(self) -> Path:
        return settings.warehouse_path(self.root)


class SnapshotScope(dg.ConfigurableResource):
    """Which models a snapshot covers: tracked organisations plus the Hub-wide top N, or the whole Hub."""

    organisations: list[str] | None = Field(
        default=None, description="tracked namespaces; None = every namespace of the organisations seed"
    )
    top_n_downloads: int = Field(default=1000, ge=0)
    top_n_likes: int = Field(default=1000, ge=0)
    top_n_trending: int = Field(default=1000, ge=0)
    full: bool = Field(default=False, description="crawl the whole Hub (opt-in: ~2,500 pages on the real Hub)")
    derivatives: bool = Field(
        default=True,
        description="also list the children of every tracked organisation's model (`filter=base_model:ORG/NAME`)",
    )

    def scope(self) -> Scope:
        """The pure `Scope` this resource describes (the organisations seed when `organisations` is None)."""
        orgs = self.organisations if self.organisations is not None else parse_org_list(None)
        return Scope(
            organisations=tuple(orgs),
            top_n_downloads=self.top_n_downloads,
            top_n_likes=self.top_n_likes,
            top_n_trending=self.top_n_trending,
            full=self.full,
            derivatives=self.derivatives,
        )


def _env_source() -> str:
    source = os.environ.get("HUBPULSE_SOURCE", "local").strip().lower()
    if source not in ("live", "local"):
        raise ValueError(f"HUBPULSE_SOURCE must be 'live' or 'local', got {source!r}")
    return source


def _env_url(name: str) -> str | None:
    """An endpoint from the environment: None when unset, else an http(s) URL with a host and nothing after it
    but a path (no credentials, query or fragment, which would end up in logs)."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    # Checked first, and the value never repeated: a URL with credentials in it must not reach a log.
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{name} must be a plain URL (no user:password@, query or fragment)")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an http(s) URL such as https://huggingface.co, got {value!r}")
    return value.rstrip("/")


def hub_client_from_env() -> HubClient:
    """The `hub` resource: live Hub at HF_ENDPOINT, or the local Hub over HUBPULSE_ARCHIVE (the default)."""
    source = _env_source()
    endpoint = _env_url("HUBPULSE_LOCAL_ENDPOINT" if source == "local" else "HF_ENDPOINT")
    return HubClient(
        source=source,
        endpoint=endpoint,
        archive_dir=str(settings.archive_dir()),
        # EnvVar keeps the value out of the UI and run config; it is resolved only when set.
        token=dg.EnvVar("HF_TOKEN") if os.environ.get("HF_TOKEN") else None,
    )


def scope_from_env() -> SnapshotScope:
    """The `scope` resource from HUBPULSE_SCOPE_ORGS / HUBPULSE_TOP_N* / HUBPULSE_SCOPE_DERIVATIVES /
    HUBPULSE_FULL_CRAWL."""
    scope = Scope.from_env()
    return SnapshotScope(
        organisations=list(scope.organisations),
        top_n_downloads=scope.top_n_downloads,
        top_n_likes=scope.top_n_likes,
        top_n_trending=scope.top_n_trending,
        full=scope.full,
        derivatives=scope.derivatives,
    )


def paths_from_env() -> HubpulsePaths:
    """The `paths` resource rooted at HUBPULSE_HOME."""
    return HubpulsePaths(home=str(settings.hubpulse_home()))
