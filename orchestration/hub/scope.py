"""What one snapshot covers: the tracked organisations plus the Hub-wide top N (or the whole Hub).

Pure: turns configuration into the list of `/api/models` queries a snapshot makes.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import ORG_REGIONS_CSV


@dataclass(frozen=True)
class ModelQuery:
    """One paginated `/api/models` listing: its name (for logs and metadata) and its parameters."""

    name: str
    author: str | None = None
    sort: str | None = None
    limit: int | None = None

    def params(self) -> dict:
        """Query-string parameters of the listing (without `expand`)."""
        params: dict = {}
        if self.author:
            params["author"] = self.author
        if self.sort:
            params["sort"] = self.sort
        if self.limit:
            params["limit"] = self.limit
        return params


def seed_organisations(path: Path = ORG_REGIONS_CSV) -> list[str]:
    """Every namespace of the organisation -> region seed, in file order."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [row["hf_org"].strip() for row in csv.DictReader(fh) if row.get("hf_org", "").strip()]


def parse_org_list(value: str | None) -> list[str]:
    """`HUBPULSE_SCOPE_ORGS`: `seed` (default: every namespace of the seed) or a comma-separated list."""
    if value is None or value.strip() in ("", "seed"):
        return seed_organisations()
    orgs = [part.strip() for part in value.split(",") if part.strip()]
    for org in orgs:
        if "/" in org or not org.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"HUBPULSE_SCOPE_ORGS: {org!r} is not a Hub namespace")
    return orgs


@dataclass(frozen=True)
class Scope:
    """The models one snapshot covers."""

    organisations: tuple[str, ...]
    top_n_downloads: int = 1000
    top_n_likes: int = 1000
    top_n_trending: int = 1000
    full: bool = False

    def queries(self) -> list[ModelQuery]:
        """The listings a snapshot makes, in a fixed order (so reruns ask the same things)."""
        if self.full:
            return [ModelQuery(name="full-hub")]
        queries = [ModelQuery(name=f"author:{org}", author=org) for org in self.organisations]
        for sort, n in (("downloads", self.top_n_downloads), ("likes", self.top_n_likes),
                        ("trendingScore", self.top_n_trending)):
            if n > 0:
                queries.append(ModelQuery(name=f"top:{sort}:{n}", sort=sort, limit=n))
        return queries

    @classmethod
    def from_env(cls) -> Scope:
        """The scope configured by `HUBPULSE_SCOPE_ORGS`, `HUBPULSE_TOP_N` and `HUBPULSE_FULL_CRAWL`."""
        top_n = _non_negative_int("HUBPULSE_TOP_N", 1000)
        return cls(
            organisations=tuple(parse_org_list(os.environ.get("HUBPULSE_SCOPE_ORGS"))),
            top_n_downloads=_non_negative_int("HUBPULSE_TOP_N_DOWNLOADS", top_n),
            top_n_likes=_non_negative_int("HUBPULSE_TOP_N_LIKES", top_n),
            top_n_trending=_non_negative_int("HUBPULSE_TOP_N_TRENDING", top_n),
            full=os.environ.get("HUBPULSE_FULL_CRAWL", "0").strip().lower() in ("1", "true", "yes"),
        )


def _non_negative_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value
