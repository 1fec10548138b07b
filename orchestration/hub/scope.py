"""What one snapshot covers: the tracked organisations plus the Hub-wide top N (or the whole Hub).

Pure: turns configuration into the list of `/api/models` queries a snapshot makes. The default scope has two
phases: the author and top-N listings (`Scope.queries`), then one children listing per model of a tracked
organisation found by them (`Scope.children_queries`), since a base's community derivatives (finetunes,
quantizations, adapters, merges by other accounts) appear in neither.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import ORG_REGIONS_CSV

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


def parse_flag(name: str, default: bool) -> bool:
    """A yes/no setting: `1/true/yes/on` or `0/false/no/off` (any case); unset or empty gives `default`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), got {raw!r}")


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
    # Children listings of the tracked organisations' models (ignored by a full crawl, which lists them all).
    derivatives: bool = True
    # (legacy namespace, organisation): a renamed repo's children keep tagging the old id, as card metadata
    # is not rewritten, so `zai-org/X` is also asked for the children tagged `THUDM/X`.
    aliases: tuple[tuple[str, str], ...] = field(default_factory=seed_aliases)

    def queries(self) -> list[ModelQuery]:
        """The first-phase listings a snapshot makes, in a fixed order (so reruns ask the same things)."""
        if self.full:
            return [ModelQuery(name="full-hub")]
        queries = [ModelQuery(name=f"author:{org}", author=org) for org in self.organisations]
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
        tracked = set(self.organisations)
        legacy: dict[str, list[str]] = {}
        for old, new in self.aliases:
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

    @classmethod
    def from_env(cls) -> Scope:
        """The scope configured by `HUBPULSE_SCOPE_ORGS`, `HUBPULSE_TOP_N*`, `HUBPULSE_SCOPE_DERIVATIVES` and
        `HUBPULSE_FULL_CRAWL`."""
        top_n = _non_negative_int("HUBPULSE_TOP_N", 1000)
        return cls(
            organisations=tuple(parse_org_list(os.environ.get("HUBPULSE_SCOPE_ORGS"))),
            top_n_downloads=_non_negative_int("HUBPULSE_TOP_N_DOWNLOADS", top_n),
            top_n_likes=_non_negative_int("HUBPULSE_TOP_N_LIKES", top_n),
            top_n_trending=_non_negative_int("HUBPULSE_TOP_N_TRENDING", top_n),
            full=os.environ.get("HUBPULSE_FULL_CRAWL", "0").strip().lower() in ("1", "true", "yes"),
            derivatives=parse_flag("HUBPULSE_SCOPE_DERIVATIVES", True),
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
