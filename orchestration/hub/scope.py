"""What one snapshot covers: the tracked organisations plus the Hub-wide top N (or the whole Hub).

Pure: turns configuration into the list of `/api/models` queries a snapshot makes. The default scope has two
phases: the author and top-N listings (`Scope.queries`), then one children listing per model of a tracked
organisation found by them (`Scope.children_queries`), since a base's community derivatives (finetunes,
quantizations, adapters, merges by other accounts) appear in neither.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from pydantic import Field

from orchestration.settings import ORG_REGIONS_CSV, get_settings

# Legacy namespace -> organisation (THUDM -> zai-org): the dbt lineage reads the same seed.
ORG_ALIASES_CSV = ORG_REGIONS_CSV.parent / "organization_aliases.csv"


@dataclass(frozen=True)
class ModelQuery:
    """One paginated `/api/models` listing: its name (for logs and metadata) and its parameters."""

    name: str
    author: str | None = None
    sort: str | None = None
    limit: int | None = None
    filter: str | None = None

    def params(self) -> dict:
        """Query-string parameters of the listing (without `expand`)."""
        params: dict = {}
        if self.author:
            params["author"] = self.author
        if self.filter:
            params["filter"] = self.filter
        if self.sort:
            params["sort"] = self.sort
        if self.limit:
            params["limit"] = self.limit
        return params


def seed_organisations(path: Path = ORG_REGIONS_CSV) -> list[str]:
    """Every namespace of the organisation -> region seed, in file order."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [row["hf_org"].strip() for row in csv.DictReader(fh) if row.get("hf_org", "").strip()]


def seed_aliases(path: Path = ORG_ALIASES_CSV) -> tuple[tuple[str, str], ...]:
    """(legacy namespace, organisation) pairs of the alias seed, in file order (none when the file is absent)."""
    if not path.exists():
        return ()
    with open(path, newline="", encoding="utf-8") as fh:
        return tuple(
            (row["legacy_namespace"].strip(), row["organization"].strip())
            for row in csv.DictReader(fh)
            if (row.get("legacy_namespace") or "").strip() and (row.get("organization") or "").strip()
        )


class Scope(dg.ConfigurableResource):
    """The models one snapshot covers (the `scope` resource): tracked organisations plus the Hub-wide top N, or
    the whole Hub. Built from the settings by `Scope.from_env()`; tests and benchmarks construct it directly."""

    organisations: list[str] | None = Field(
        default=None, description="tracked namespaces; None = every namespace of the organisations seed"
    )
    top_n_downloads: int = Field(default=1000, ge=0)
    top_n_likes: int = Field(default=1000, ge=0)
    top_n_trending: int = Field(default=1000, ge=0)
    full: bool = Field(default=False, description="crawl the whole Hub (opt-in: ~2,500 pages on the real Hub)")
    derivatives: bool = Field(
        default=True,
        description="also list the children of every tracked organisation's model (`filter=base_model:ORG/NAME`); "
        "ignored by a full crawl, which lists them all",
    )
    # (legacy namespace, organisation): a renamed repo's children keep tagging the old id, as card metadata
    # is not rewritten, so `zai-org/X` is also asked for the children tagged `THUDM/X`.
    aliases: list[list[str]] | None = Field(
        default=None, description="(legacy namespace, organisation) pairs; None = the organisation aliases seed"
    )

    @classmethod
    def from_env(cls) -> Scope:
        """The scope the settings give (HUBPULSE_SCOPE_ORGS, HUBPULSE_TOP_N*, HUBPULSE_SCOPE_DERIVATIVES,
        HUBPULSE_FULL_CRAWL)."""
        s = get_settings()
        return cls(
            organisations=list(s.scope_orgs) if s.scope_orgs is not None else None,
            top_n_downloads=s.top_n if s.top_n_downloads is None else s.top_n_downloads,
            top_n_likes=s.top_n if s.top_n_likes is None else s.top_n_likes,
            top_n_trending=s.top_n if s.top_n_trending is None else s.top_n_trending,
            full=s.full_crawl,
            derivatives=s.scope_derivatives,
        )

    def tracked(self) -> list[str]:
        """The tracked organisations: `organisations`, or every namespace of the seed when it is None."""
        return list(self.organisations) if self.organisations is not None else seed_organisations()

    def alias_pairs(self) -> tuple[tuple[str, str], ...]:
        """(legacy namespace, organisation) pairs: `aliases`, or the alias seed when it is None."""
        if self.aliases is None:
            return seed_aliases()
        return tuple((old, new) for old, new in self.aliases)

    def queries(self) -> list[ModelQuery]:
        """The first-phase listings a snapshot makes, in a fixed order (so reruns ask the same things)."""
        if self.full:
            return [ModelQuery(name="full-hub")]
        queries = [ModelQuery(name=f"author:{org}", author=org) for org in self.tracked()]
        for sort, n in (("downloads", self.top_n_downloads), ("likes", self.top_n_likes),
                        ("trendingScore", self.top_n_trending)):
            if n > 0:
                queries.append(ModelQuery(name=f"top:{sort}:{n}", sort=sort, limit=n))
        return queries

    def children_queries(self, listed: Iterable[dict]) -> list[ModelQuery]:
        """The second-phase listings: `filter=base_model:ORG/NAME` for every tracked organisation's model.

        `listed` are the items the first phase returned; every id in a tracked namespace is a base whose
        children are asked for (plus the same name under each legacy namespace of its organisation). Every
        model, not only the originals: skipping quantized or adapter repos would save under 1% of these
        listings on the simulated catalogue, and quantized repos are real bases on the Hub (unsloth's bnb-4bit
        models), so the cheaper rule would trade completeness for nothing (see bench/scope.py). Sorted by base
        id, so reruns ask the same things in the same order. None for a full crawl or with `derivatives` off.
        """
        if self.full or not self.derivatives:
            return []
        tracked = set(self.tracked())
        legacy: dict[str, list[str]] = {}
        for old, new in self.alias_pairs():
            if new in tracked and old != new:
                legacy.setdefault(new, []).append(old)
        bases: set[str] = set()
        for item in listed:
            repo_id = item.get("id") if isinstance(item, dict) else None
            if type(repo_id) is not str:
                continue
            namespace, _, name = repo_id.partition("/")
            if namespace not in tracked or not name or "/" in name:
                continue
            bases.add(repo_id)
            bases.update(f"{old}/{name}" for old in legacy.get(namespace, ()))
        return [ModelQuery(name=f"children:{base}", filter=f"base_model:{base}") for base in sorted(bases)]
