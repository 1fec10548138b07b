"""An independent Python recomputation of the warehouse marts from the raw partitions (SPEC definitions).

Written from `../shared/SPEC.md` and the rules documented in `dbt_project/models/**/_*__models.yml`, in plain
Python loops over the raw rows rather than by translating the SQL, so a mart and its reference only agree
when both follow the definitions. `compute(raw_root, project_dir)` returns one DataFrame per model, keyed like
the dbt relations (`int_models_daily_downloads`, `fct_model_daily`, ...), with the same columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

PLACEHOLDER_CREATED_AT = dt.datetime(2022, 3, 2, 23, 29, 4, tzinfo=dt.UTC)
R1 = dt.date(2025, 1, 20)
RELATION_PRIORITY = ("merge", "adapter", "quantized", "finetune")
LEADERBOARD_CSV = "seeds/open_llm_leaderboard_v2_2025-03-21.csv"
ONE_DAY = dt.timedelta(days=1)


def end_of_day(day: dt.date) -> dt.datetime:
    """What a raw partition without a recorded fetch instant describes: the Hub at the last millisecond of its day."""
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, 999000, tzinfo=dt.UTC)


# ------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Seeds:
    """The reference tables: namespace -> (region, notes), legacy namespace -> organisation, benchmarks.

    `regions` is the region seed with the user's override file laid over it; `region_sources` says which of the
    two decided each namespace ('seed' or 'override') and `seed_regions` keeps the seed's own value.
    """

    regions: dict[str, tuple[str, str | None]]
    aliases: dict[str, str]
    eval_datasets: dict[str, str]  # evalResults dataset id -> benchmark
    model_index_types: dict[str, str]  # model-index dataset type -> benchmark
    region_sources: dict[str, str] = field(default_factory=dict)
    source_references: dict[str, str] = field(default_factory=dict)
    seed_regions: dict[str, str] = field(default_factory=dict)

    def organization(self, namespace: str) -> str:
        return self.aliases.get(namespace, namespace)

    def region(self, name: str | None) -> str | None:
        found = self.regions.get(name) if name is not None else None
        return found[0] if found else None

    def canonical(self, repo_id: str) -> str:
        if "/" not in repo_id:
            return repo_id
        namespace, rest = repo_id.split("/", 1)
        return f"{self.organization(namespace)}/{rest}"


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


REGIONS = ("us", "china", "eu", "other", "unknown")
SEED_REFERENCE = "ATOM Project tracked-models (seeds/organization_regions.csv)"


def load_seeds(project_dir: Path, overrides: Path | None = None) -> Seeds:
    """The project's seeds; `overrides` is a `namespace,region,source` CSV laid over the region seed (a row
    wins over the seed's row of its namespace). A bad row raises ValueError, as the build fails on it."""
    seeds = Path(project_dir) / "seeds"
    regions = {r["hf_org"]: (r["region"], r["notes"] or None) for r in _csv_rows(seeds / "organization_regions.csv")}
    seed_regions = {name: value[0] for name, value in regions.items()}
    region_sources = dict.fromkeys(regions, "seed")
    source_references = dict.fromkeys(regions, SEED_REFERENCE)
    if overrides is not None and Path(overrides).exists():
        seen: set[str] = set()
        for row in _csv_rows(Path(overrides)):
            namespace, region, source = ((row.get(k) or "").strip() for k in ("namespace", "region", "source"))
            region = region.lower()
            if not namespace or region not in REGIONS or namespace in seen or not source:
                raise ValueError(f"bad override row {row}")
            seen.add(namespace)
            notes = regions[namespace][1] if namespace in regions else None
            regions[namespace] = (region, notes)
            region_sources[namespace] = "override"
            source_references[namespace] = source
    aliases = {r["legacy_namespace"]: r["organization"] for r in _csv_rows(seeds / "organization_aliases.csv")}
    bench = _csv_rows(seeds / "open_llm_leaderboard_benchmarks.csv")
    return Seeds(
        regions=regions,
        aliases=aliases,
        eval_datasets={b["eval_results_dataset_id"]: b["benchmark"] for b in bench},
        model_index_types={b["model_index_dataset_type"]: b["benchmark"] for b in bench},
        region_sources=region_sources,
        source_references=source_references,
        seed_regions=seed_regions,
    )


def load_raw(raw_root: Path) -> list[dict]:
    """Every raw row of every partition, as Python dicts."""
    rows: list[dict] = []
    for path in sorted(Path(raw_root).glob("snapshot_date=*/*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


# --------------------------------------------------------------------------------------- snapshots


def _language(tag: str) -> bool:
    return (re.fullmatch(r"[a-z]{2}", tag) is not None and tag != "tf") or tag == "multilingual"


def typed_snapshots(raw: list[dict], seeds: Seeds) -> list[dict]:
    """One typed row per model (Hub `_id`) and date; a rename seen twice in one crawl keeps the later name."""
    chosen: dict[tuple[str, dt.date], dict] = {}
    for row in raw:
        model_id = row["object_id"] or row["id"]
        key = (model_id, row["snapshot_date"])
        if key not in chosen or row["id"] > chosen[key]["repo_id"]:
            chosen[key] = {**row, "repo_id": row["id"], "model_id": model_id}
    out = []
    for (model_id, day), row in sorted(chosen.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        namespace = row["repo_id"].split("/", 1)[0]
        author = row["author"] or namespace
        organization = seeds.organization(author)
        created = row["created_at"]
        placeholder = created is not None and created == PLACEHOLDER_CREATED_AT
        tags = sorted({t for t in (row["tags"] or []) if t is not None})
        fetched = row.get("fetched_at")  # absent from partitions written before the column existed
        out.append({
            "snapshot_date": day,
            "fetched_at": end_of_day(day) if fetched is None else fetched.astimezone(dt.UTC),
            "model_id": model_id,
            "repo_id": row["repo_id"],
            "author": author,
            "organization": organization,
            "region": seeds.region(organization) or seeds.region(author) or "unclassified",
            "created_at": created,
            "created_date": created.astimezone(dt.UTC).date() if created is not None and not placeholder else None,
            "is_placeholder_created_at": placeholder,
            "downloads_30d": row["downloads"],
            "downloads_all_time": row["downloads_all_time"],
            "likes": row["likes"],
            "trending_score": row["trending_score"],
            "pipeline_tag": row["pipeline_tag"],
            "library_name": row["library_name"],
            "is_gated": row["gated"] in ("auto", "manual", "true"),
            "gated_mode": row["gated"],
            "is_private": row["private"],
            "is_disabled": row["disabled"],
            "parameter_count": row["safetensors_total"],
            "tags": tags,
            "base_models_json": row["base_models_json"],
            "eval_results_json": row["eval_results_json"],
            "model_index_json": row["model_index_json"],
        })
    return out


# ---------------------------------------------------------------------------------- daily downloads


def daily_downloads(snaps: list[dict]) -> pd.DataFrame:
    """SPEC daily downloads: one row per model and day of (p, d], spread evenly as fractional doubles.

    Snapshot d shows the Hub at the instant it was fetched, so a model first seen on d is new exactly when the
    Hub could not have listed it in the snapshot before: created after that snapshot's instant. Before the
    first snapshot there is none; the instant one day before the first one's stands in for it.
    """
    instant_of = {}
    for s in snaps:
        instant_of.setdefault(s["snapshot_date"], s["fetched_at"])
    days_seen = sorted(instant_of)
    seen_before = {}  # snapshot date -> the instant of the snapshot before it
    for i, day in enumerate(days_seen):
        seen_before[day] = instant_of[days_seen[i - 1]] if i > 0 else instant_of[day] - ONE_DAY
    by_model: dict[str, list[dict]] = defaultdict(list)
    for s in snaps:
        by_model[s["model_id"]].append(s)
    rows = []
    for model_id, obs in by_model.items():
        obs.sort(key=lambda s: s["snapshot_date"])
        prev = None
        for s in obs:
            d = s["snapshot_date"]
            new = entered = False
            if prev is not None:
                first = prev["snapshot_date"] + ONE_DAY
                both = s["downloads_all_time"] is not None and prev["downloads_all_time"] is not None
                delta = s["downloads_all_time"] - prev["downloads_all_time"] if both else None
            else:
                created = s["created_at"]
                if s["created_date"] is not None and created is not None and seen_before[d] < created:
                    new = True
                    first = min(s["created_date"], d)
                    delta = s["downloads_all_time"]
                else:
                    entered = True
                    first = d
                    delta = None
            k = (d - first).days + 1
            daily = None if delta is None else (0.0 if delta < 0 else delta / k)
            for offset in range(k):
                rows.append({
                    "model_id": model_id,
                    "download_date": first + dt.timedelta(days=offset),
                    "snapshot_date": d,
                    "snapshot_fetched_at": instant_of[d],
                    "previous_snapshot_date": prev["snapshot_date"] if prev else None,
                    "days_in_interval": k,
                    "repo_id": s["repo_id"],
                    "organization": s["organization"],
                    "region": s["region"],
                    "downloads_all_time": s["downloads_all_time"],
                    "previous_downloads_all_time": prev["downloads_all_time"] if prev else None,
                    "interval_downloads": delta,
                    "daily_downloads": daily,
                    "is_interpolated": k > 1,
                    "is_recount": delta is not None and delta < 0,
                    "is_new_model": new,
                    "is_entered_scope": entered,
                })
            prev = s
    return pd.DataFrame(rows)


def model_daily(snaps: list[dict], daily: pd.DataFrame) -> pd.DataFrame:
    observed = {
        (r.model_id, r.snapshot_date): r for r in daily.itertuples() if r.download_date == r.snapshot_date
    }
    rows = []
    for s in snaps:
        d = observed[(s["model_id"], s["snapshot_date"])]
        rows.append({
            "model_id": s["model_id"],
            "snapshot_date": s["snapshot_date"],
            "repo_id": s["repo_id"],
            "organization": s["organization"],
            "region": s["region"],
            "downloads_30d": s["downloads_30d"],
            "downloads_all_time": s["downloads_all_time"],
            "daily_downloads": d.daily_downloads,
            "is_interpolated": d.is_interpolated,
            "is_recount": d.is_recount,
            "is_new_model": d.is_new_model,
            "is_entered_scope": d.is_entered_scope,
            "likes": s["likes"],
            "trending_score": s["trending_score"],
            "is_gated": s["is_gated"],
            "is_private": s["is_private"],
            "is_disabled": s["is_disabled"],
        })
    return pd.DataFrame(rows)


def _known_sum(values) -> float | None:
    known = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(known) if known else None


def download_velocity(daily: pd.DataFrame, md: pd.DataFrame) -> pd.DataFrame:
    """Both velocity measures per (entity_type, entity_id, day), with the SPEC's scope-churn rule.

    An entity has a row on every day it has daily-download rows (in scope) and on each later day, up to the last
    day of the history, whose 28-day window still holds a known daily download of it (out of scope).
    """
    per_entity: dict[tuple[str, str], dict[dt.date, list]] = defaultdict(lambda: defaultdict(list))
    names: dict[tuple[str, str, dt.date], str] = {}
    for r in daily.itertuples():
        value = None if pd.isna(r.daily_downloads) else float(r.daily_downloads)
        for key, name in (
            (("model", r.model_id), r.repo_id),
            (("organization", r.organization), r.organization),
            (("region", r.region), r.region),
            (("total", "total"), "all tracked models"),
        ):
            per_entity[key][r.download_date].append(value)
            names[(*key, r.download_date)] = max(name, names.get((*key, r.download_date), name))
    sums = {key: {day: _known_sum(v) for day, v in days.items()} for key, days in per_entity.items()}
    reported: dict[tuple[str, str, dt.date], list] = defaultdict(list)
    for r in md.itertuples():
        value = None if pd.isna(r.downloads_30d) else int(r.downloads_30d)
        for key in (("model", r.model_id), ("organization", r.organization), ("region", r.region),
                    ("total", "total")):
            reported[(*key, r.snapshot_date)].append(value)
    last_day = max(daily["download_date"]) if len(daily) else None
    first_snapshot = min(daily["snapshot_date"]) if len(daily) else None

    def window_sum(key, day, start_back, end_back):
        values = [sums[key].get(day - dt.timedelta(days=b)) for b in range(end_back, start_back + 1)]
        return _known_sum(values)

    rows = []
    for key, days in sums.items():
        in_scope = sorted(days)
        day, name = in_scope[0], None
        while day <= last_day:
            present = day in days
            if present:
                name = names[(*key, day)]
            v28 = window_sum(key, day, 27, 0)
            if present or v28 is not None:
                v7 = window_sum(key, day, 6, 0)
                previous_v7 = window_sum(key, day, 13, 7)
                rows.append({
                    "entity_type": key[0],
                    "entity_id": key[1],
                    "entity_name": name,
                    "metric_date": day,
                    "daily_downloads": days.get(day),
                    "velocity_7d": v7,
                    "velocity_28d": v28,
                    "acceleration": v7 - previous_v7 if v7 is not None and previous_v7 is not None else None,
                    "downloads_30d": _known_sum(reported.get((*key, day), [])),
                    "is_in_scope": present,
                    "is_window_complete": (day - first_snapshot).days >= 28,
                })
            day += ONE_DAY
    frame = pd.DataFrame(rows)
    totals = {r.metric_date: (r.velocity_28d, r.downloads_30d) for r in frame.itertuples() if r.entity_type == "total"}

    def share(value, total):
        if value is None or pd.isna(value) or total is None or pd.isna(total) or not total > 0:
            return None
        return value / total

    frame["share_of_total"] = [share(r.velocity_28d, totals[r.metric_date][0]) for r in frame.itertuples()]
    frame["share_of_total_downloads_30d"] = [
        share(r.downloads_30d, totals[r.metric_date][1]) for r in frame.itertuples()
    ]
    return frame


UNATTRIBUTED = ("unclassified", "unknown")
ATTRIBUTED_REGIONS = ("us", "china", "eu", "other")


def region_table(seeds: Seeds) -> pd.DataFrame:
    """int_organization_regions_overridden: every namespace of the seed or the override file, once."""
    return pd.DataFrame([
        {
            "hf_org": name,
            "region": region,
            "seed_region": seeds.seed_regions.get(name),
            "region_source": seeds.region_sources[name],
            "source_reference": seeds.source_references[name],
            "notes": notes,
        }
        for name, (region, notes) in seeds.regions.items()
    ])


def velocity_overtakes(velocity: pd.DataFrame) -> pd.DataFrame:
    """SPEC lasting overtakes between classified regions, per measure, from comparable days only."""
    regions = velocity[(velocity["entity_type"] == "region") & ~velocity["entity_id"].isin(UNATTRIBUTED)]
    series: dict[str, dict[str, dict[dt.date, float]]] = {"velocity_28d": {}, "downloads_30d": {}}
    for r in regions.itertuples():
        if r.is_window_complete and r.velocity_28d is not None and not pd.isna(r.velocity_28d):
            series["velocity_28d"].setdefault(r.entity_id, {})[r.metric_date] = float(r.velocity_28d)
        if r.downloads_30d is not None and not pd.isna(r.downloads_30d):
            series["downloads_30d"].setdefault(r.entity_id, {})[r.metric_date] = float(r.downloads_30d)
    rows = []
    for measure, by_region in series.items():
        for a, a_days in by_region.items():
            for b, b_days in by_region.items():
                if a == b:
                    continue
                common = sorted(set(a_days) & set(b_days))
                if not common or a_days[common[-1]] <= b_days[common[-1]]:
                    continue
                behind = [i for i, day in enumerate(common) if a_days[day] <= b_days[day]]
                if not behind:
                    continue
                day = common[behind[-1] + 1]
                rows.append({
                    "measure": measure, "region": a, "overtaken_region": b, "overtook_on": day,
                    "region_value": a_days[day], "overtaken_value": b_days[day], "last_date": common[-1],
                    "last_region_value": a_days[common[-1]], "last_overtaken_value": b_days[common[-1]],
                    "comparable_days": len(common),
                })
    columns = ["measure", "region", "overtaken_region", "overtook_on", "region_value", "overtaken_value",
               "last_date", "last_region_value", "last_overtaken_value", "comparable_days"]
    return pd.DataFrame(rows, columns=columns)


# ------------------------------------------------------------------------------- models and lineage


def profiles(snaps: list[dict]) -> dict[str, dict]:
    """Per model: its latest snapshot's attributes plus first/last seen and names."""
    latest_date = max(s["snapshot_date"] for s in snaps)
    out: dict[str, dict] = {}
    for s in sorted(snaps, key=lambda s: s["snapshot_date"]):
        p = out.get(s["model_id"])
        if p is None:
            p = out[s["model_id"]] = {"first_seen_date": s["snapshot_date"], "first_repo_id": s["repo_id"],
                                      "snapshots_seen": 0, "names": set()}
        p.update({k: v for k, v in s.items() if k not in ("tags",)})
        p["latest_tags"] = s["tags"]
        p["last_seen_date"] = s["snapshot_date"]
        p["snapshots_seen"] += 1
        p["names"].add(s["repo_id"])
    for p in out.values():
        p["is_deleted"] = p["last_seen_date"] < latest_date
        licenses = [t.split(":", 1)[1] for t in p["latest_tags"] if t.startswith("license:")]
        p["license"] = min(licenses) if licenses else None
        languages = sorted(t for t in p["latest_tags"] if _language(t))
        p["languages"] = languages or None
    return out


def name_owners(snaps: list[dict], seeds: Seeds) -> dict[str, str]:
    """Canonical repo id -> the model that last carried it (a reused name belongs to its latest holder)."""
    spans: dict[tuple[str, str], list[dt.date]] = {}
    for s in snaps:
        key = (s["model_id"], s["repo_id"])
        first, last = spans.get(key, [s["snapshot_date"], s["snapshot_date"]])
        spans[key] = [min(first, s["snapshot_date"]), max(last, s["snapshot_date"])]
    best: dict[str, tuple] = {}
    for (model_id, repo_id), (first, last) in spans.items():
        canonical = seeds.canonical(repo_id)
        candidate = (last, first, _Desc(model_id))
        if canonical not in best or candidate > best[canonical][0]:
            best[canonical] = (candidate, model_id)
    return {canonical: value[1] for canonical, value in best.items()}


class _Desc:
    """Reverses the order of a string inside a sort key (ties go to the smallest id)."""

    def __init__(self, value: str):
        self.value = value

    def __lt__(self, other: _Desc) -> bool:
        return self.value > other.value

    def __gt__(self, other: _Desc) -> bool:
        return self.value < other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value


def _priority(relations) -> str | None:
    for relation in RELATION_PRIORITY:
        if relation in relations:
            return relation
    return None


def snapshot_edges(snap: dict) -> dict[str, str]:
    """parent repo id -> relation for one snapshot row: typed tag, else baseModels.relation, else finetune."""
    tagged: dict[str, set] = defaultdict(set)
    listed: dict[str, set] = defaultdict(set)
    for tag in snap["tags"]:
        if not tag.startswith("base_model:"):
            continue
        value = tag[len("base_model:"):]
        if ":" in value:
            relation, parent = value.split(":", 1)
            tagged[parent].add(relation)
        else:
            tagged[value]
    if snap["base_models_json"]:
        field = json.loads(snap["base_models_json"])
        if isinstance(field, dict):
            relation = field.get("relation")
            for model in field.get("models") or []:
                if isinstance(model, dict) and isinstance(model.get("id"), str):
                    listed[model["id"]].add(relation)
    edges = {}
    for parent in set(tagged) | set(listed):
        if "/" not in parent:
            continue
        edges[parent] = _priority(tagged.get(parent, ())) or _priority(listed.get(parent, ())) or "finetune"
    return edges


def lineage(snaps: list[dict], seeds: Seeds, models: dict[str, dict], owners: dict[str, str]) -> pd.DataFrame:
    """One row per (child, parent): the relation of the child's latest snapshot naming the parent."""
    seen: dict[tuple[str, str], list] = {}
    for s in snaps:
        for parent_as_tagged, relation in snapshot_edges(s).items():
            canonical = seeds.canonical(parent_as_tagged)
            parent_model = owners.get(canonical)
            if parent_model == s["model_id"]:
                continue
            key = (s["model_id"], parent_model or canonical)
            rank = (s["snapshot_date"], -RELATION_PRIORITY.index(relation), parent_as_tagged)
            entry = seen.get(key)
            if entry is None:
                seen[key] = [rank, relation, parent_as_tagged, canonical, parent_model, s["snapshot_date"],
                             s["snapshot_date"]]
            else:
                if rank > entry[0]:
                    entry[:5] = [rank, relation, parent_as_tagged, canonical, parent_model]
                entry[5] = min(entry[5], s["snapshot_date"])
                entry[6] = max(entry[6], s["snapshot_date"])
    rows = []
    for (child, parent_key), (_, relation, as_tagged, canonical, parent_model, first, last) in seen.items():
        c = models[child]
        p = models.get(parent_model) if parent_model else None
        parent_namespace = canonical.split("/", 1)[0]
        parent_org = p["organization"] if p else parent_namespace
        rows.append({
            "child_model_id": child,
            "parent_key": parent_key,
            "parent_model_id": parent_model,
            "child_repo_id": c["repo_id"],
            "child_organization": c["organization"],
            "child_region": c["region"],
            "child_created_date": c["created_date"],
            "parent_repo_id": p["repo_id"] if p else canonical,
            "parent_repo_id_as_tagged": as_tagged,
            "parent_organization": parent_org,
            "parent_region": p["region"] if p else (seeds.region(parent_namespace) or "unclassified"),
            "parent_created_date": p["created_date"] if p else None,
            "is_parent_tracked": p is not None,
            "relation": relation,
            "is_same_org": c["organization"] == parent_org,
            "first_seen_date": first,
            "last_seen_date": last,
        })
    # Named columns even without an edge (a trimmed archive has no tags): the marts built on it are empty.
    columns = ["child_model_id", "parent_key", "parent_model_id", "child_repo_id", "child_organization", "child_region",
               "child_created_date", "parent_repo_id", "parent_repo_id_as_tagged", "parent_organization",
               "parent_region", "parent_created_date", "is_parent_tracked", "relation", "is_same_org",
               "first_seen_date", "last_seen_date"]
    return pd.DataFrame(rows, columns=columns) if not rows else pd.DataFrame(rows)


def _base_classification(edges: pd.DataFrame) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for child, group in edges.groupby("child_model_id"):
        out[child] = {
            "relation": _priority(set(group["relation"])),
            "origin": "same_org" if group["is_same_org"].all() else "cross_org",
            "base_models": len(group),
            "first_base_repo_id": min(group["parent_repo_id"]),
        }
    return out


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def releases(models: dict[str, dict], edges: pd.DataFrame) -> pd.DataFrame:
    bases = _base_classification(edges)
    rows = []
    for model_id, p in models.items():
        if p["created_date"] is None:
            continue
        b = bases.get(model_id)
        rows.append({
            "model_id": model_id,
            "repo_id": p["repo_id"],
            "organization": p["organization"],
            "region": p["region"],
            "created_at": p["created_at"],
            "release_date": p["created_date"],
            "release_week": _monday(p["created_date"]),
            "release_month": p["created_date"].replace(day=1),
            "relation": b["relation"] if b else "original",
            "origin": b["origin"] if b else None,
            "base_models": b["base_models"] if b else 0,
            "first_base_repo_id": b["first_base_repo_id"] if b else None,
            "pipeline_tag": p["pipeline_tag"],
            "is_post_r1": p["created_date"] >= R1,
        })
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------- benchmarks


def _float(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def carried_results(snap: dict, seeds: Seeds) -> list[tuple[str, float]]:
    """(benchmark, normalised value) of the Open LLM Leaderboard results a snapshot row carries."""
    out = []
    if snap["eval_results_json"]:
        for result in json.loads(snap["eval_results_json"]) or []:
            if not isinstance(result, dict):
                continue
            dataset = result.get("dataset") if isinstance(result.get("dataset"), dict) else {}
            benchmark = seeds.eval_datasets.get(dataset.get("id"))
            value = _float(result.get("value"))
            if benchmark and value is not None:
                out.append((benchmark, value))
    if snap["model_index_json"]:
        for entry in json.loads(snap["model_index_json"]) or []:
            for result in (entry.get("results") or []) if isinstance(entry, dict) else []:
                dataset = result.get("dataset") if isinstance(result.get("dataset"), dict) else {}
                benchmark = seeds.model_index_types.get(dataset.get("type"))
                for metric in result.get("metrics") or []:
                    value = _float(metric.get("value")) if isinstance(metric, dict) else None
                    if benchmark and value is not None:
                        out.append((benchmark, value))
    return out


def benchmark_scores(snaps: list[dict], seeds: Seeds, owners: dict[str, str], leaderboard: pd.DataFrame,
                     models: dict[str, dict]) -> dict[str, dict]:
    board: dict[str, list[float]] = defaultdict(list)
    for row in leaderboard.itertuples():
        if row.features_is_flagged:
            continue
        owner = owners.get(seeds.canonical(row.model_name))
        if owner is not None:
            board[owner].append(float(row.model_average_score))
    latest_carried: dict[str, tuple[dt.date, list]] = {}
    for s in snaps:
        results = carried_results(s, seeds)
        if results and (s["model_id"] not in latest_carried or s["snapshot_date"] > latest_carried[s["model_id"]][0]):
            latest_carried[s["model_id"]] = (s["snapshot_date"], results)
    n_benchmarks = len(seeds.eval_datasets)
    out = {}
    for model_id in models:
        leaderboard_score = max(board[model_id]) if board.get(model_id) else None
        carried = None
        if model_id in latest_carried:
            best: dict[str, float] = {}
            for benchmark, value in latest_carried[model_id][1]:
                best[benchmark] = max(value, best.get(benchmark, value))
            if len(best) == n_benchmarks:
                carried = sum(best.values()) / n_benchmarks
        candidates = [v for v in (leaderboard_score, carried) if v is not None]
        out[model_id] = {
            "leaderboard_score": leaderboard_score,
            "leaderboard_submissions": len(board.get(model_id, [])),
            "carried_score": carried,
            "benchmark_score": max(candidates) if candidates else None,
        }
    return out


# ------------------------------------------------------------------------------------------ marts


def dim_models(models: dict[str, dict], edges: pd.DataFrame, release_ids: set[str],
               scores: dict[str, dict]) -> pd.DataFrame:
    bases = _base_classification(edges)
    rows = []
    for model_id, p in models.items():
        b = bases.get(model_id)
        rows.append({
            "model_id": model_id,
            "repo_id": p["repo_id"],
            "first_repo_id": p["first_repo_id"],
            "repo_ids_seen": len(p["names"]),
            "author": p["author"],
            "organization": p["organization"],
            "region": p["region"],
            "created_at": p["created_at"],
            "created_date": p["created_date"],
            "is_placeholder_created_at": p["is_placeholder_created_at"],
            "is_release": model_id in release_ids,
            "relation": b["relation"] if b else "original",
            "origin": b["origin"] if b else None,
            "base_models": b["base_models"] if b else 0,
            "pipeline_tag": p["pipeline_tag"],
            "library_name": p["library_name"],
            "license": p["license"],
            "languages": p["languages"],
            "parameter_count": p["parameter_count"],
            "is_gated": p["is_gated"],
            "gated_mode": p["gated_mode"],
            "downloads_all_time": p["downloads_all_time"],
            "downloads_30d": p["downloads_30d"],
            "likes": p["likes"],
            "trending_score": p["trending_score"],
            **{k: scores[model_id][k] for k in ("leaderboard_score", "carried_score", "benchmark_score")},
            "first_seen_date": p["first_seen_date"],
            "last_seen_date": p["last_seen_date"],
            "snapshots_seen": p["snapshots_seen"],
            "is_deleted": p["is_deleted"],
        })
    return pd.DataFrame(rows)


def dim_organizations(snaps: list[dict], seeds: Seeds, models: dict[str, dict],
                      release_frame: pd.DataFrame) -> pd.DataFrame:
    observed: dict[str, list[dt.date]] = {}
    for s in snaps:
        span = observed.setdefault(s["organization"], [s["snapshot_date"], s["snapshot_date"]])
        span[0], span[1] = min(span[0], s["snapshot_date"]), max(span[1], s["snapshot_date"])
    names = {n for n in seeds.regions if n not in seeds.aliases} | set(observed)
    legacy: dict[str, list[str]] = defaultdict(list)
    for old, new in seeds.aliases.items():
        legacy[new].append(old)
    rows = []
    for org in sorted(names):
        own = seeds.regions.get(org)
        old_rows = [seeds.regions[n] for n in legacy.get(org, []) if n in seeds.regions]
        legacy_region = min(r[0] for r in old_rows) if old_rows else None
        legacy_notes = min((r[1] for r in old_rows if r[1] is not None), default=None)
        legacy_sources = [seeds.region_sources[n] for n in legacy.get(org, []) if n in seeds.regions]
        region = own[0] if own else legacy_region
        org_models = [p for p in models.values() if p["organization"] == org]
        org_releases = release_frame[release_frame["organization"] == org] if len(release_frame) else release_frame
        rows.append({
            "organization": org,
            "region": own[0] if own else (legacy_region or "unclassified"),
            "is_region_classified": own is not None or legacy_region is not None,
            "is_region_attributed": region in ATTRIBUTED_REGIONS,
            "region_source": seeds.region_sources[org] if own else (min(legacy_sources) if legacy_sources else None),
            "region_notes": own[1] if own else legacy_notes,
            "legacy_namespaces": ", ".join(sorted(legacy[org])) if legacy.get(org) else None,
            "models": len(org_models),
            "live_models": sum(not p["is_deleted"] for p in org_models),
            "releases": len(org_releases),
            "first_release_date": min(org_releases["release_date"]) if len(org_releases) else None,
            "last_release_date": max(org_releases["release_date"]) if len(org_releases) else None,
            "first_seen_date": observed[org][0] if org in observed else None,
            "last_seen_date": observed[org][1] if org in observed else None,
            "is_observed": org in observed,
        })
    return pd.DataFrame(rows)


def release_cadence(release_frame: pd.DataFrame, latest_snapshot_date: dt.date) -> pd.DataFrame:
    last_week = _monday(latest_snapshot_date)
    rows = []
    for entity_type, column in (("organization", "organization"), ("region", "region")):
        for entity_id, group in release_frame.groupby(column):
            ordered = group.sort_values(["created_at", "model_id"])
            gaps: dict[dt.date, list[int]] = defaultdict(list)
            weekly: dict[dt.date, list] = defaultdict(list)
            previous = None
            for r in ordered.itertuples():
                weekly[r.release_week].append(r)
                if previous is not None:
                    gaps[r.release_week].append((r.release_date - previous).days)
                previous = r.release_date
            week = min(weekly)
            streak = 0
            while week <= max(min(weekly), last_week):
                releases_in_week = weekly.get(week, [])
                active = bool(releases_in_week)
                streak = streak + 1 if active else 0
                relations = [x.relation for x in releases_in_week]
                origins = [x.origin for x in releases_in_week]
                iso = week.isocalendar()
                rows.append({
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "week_start": week,
                    "iso_year": iso[0],
                    "iso_week": iso[1],
                    "releases": len(releases_in_week),
                    **{f"releases_{rel}": relations.count(rel)
                       for rel in ("original", "finetune", "quantized", "adapter", "merge")},
                    "releases_same_org": origins.count("same_org"),
                    "releases_cross_org": origins.count("cross_org"),
                    "is_active_week": active,
                    "active_week_streak": streak,
                    "median_days_between_releases": (
                        float(statistics.median(gaps[week])) if gaps.get(week) else None
                    ),
                    "is_post_r1": week >= R1,
                })
                week += dt.timedelta(days=7)
    return pd.DataFrame(rows)


def derivatives(dims: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    by_parent = {k: g for k, g in edges[edges["parent_model_id"].notna()].groupby("parent_model_id")}
    rows = []
    for m in dims.itertuples():
        g = by_parent.get(m.model_id)
        n = 0 if g is None else len(g)
        release = m.created_date if m.created_date is not None and not pd.isna(m.created_date) else None
        child_dates = [] if g is None else [d for d in g["child_created_date"] if d is not None and not pd.isna(d)]
        first = min(child_dates) if child_dates else None
        within = None
        if release is not None:
            within = sum(1 for d in child_dates if 0 <= (d - release).days <= 42)
        cross = 0 if g is None else int((~g["is_same_org"]).sum())
        pairs = [] if g is None else list(zip(g["child_region"], g["parent_region"], strict=True))
        classified = [(c, b) for c, b in pairs if c in ATTRIBUTED_REGIONS and b in ATTRIBUTED_REGIONS]
        cross_region = sum(1 for c, b in classified if c != b)
        rows.append({
            "base_model_id": m.model_id,
            "base_repo_id": m.repo_id,
            "organization": m.organization,
            "region": m.region,
            "release_date": release,
            "is_placeholder_created_at": m.is_placeholder_created_at,
            "derivatives": n,
            **{f"derivatives_{rel}": 0 if g is None else int((g["relation"] == rel).sum())
               for rel in ("finetune", "quantized", "adapter", "merge")},
            "derivatives_same_org": n - cross,
            "derivatives_cross_org": cross,
            "share_by_other_organizations": cross / n if n else None,
            "derivatives_classified_pair": len(classified),
            "derivatives_cross_region": cross_region,
            "derivatives_unattributed": n - len(classified),
            "share_cross_region": cross_region / len(classified) if classified else None,
            "first_derivative_date": first,
            "days_to_first_derivative": (first - release).days if first and release else None,
            "derivatives_within_42_days": within,
        })
    return pd.DataFrame(rows)


def _month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - ONE_DAY


def supply_chain(edges: pd.DataFrame, daily: pd.DataFrame, first_snapshot: dt.date,
                 last_snapshot: dt.date) -> pd.DataFrame:
    """Months from the first snapshot's; a cross-region flag only for pairs of attributed regions."""
    month_downloads: dict[tuple[str, dt.date], list] = defaultdict(list)
    for r in daily.itertuples():
        value = None if pd.isna(r.daily_downloads) else float(r.daily_downloads)
        month_downloads[(r.model_id, r.download_date.replace(day=1))].append(value)
    cells: dict[tuple, list] = defaultdict(list)
    for e in edges.itertuples():
        if e.child_created_date is None or pd.isna(e.child_created_date):
            continue
        if e.child_created_date < first_snapshot.replace(day=1):
            continue
        cells[(e.child_created_date.replace(day=1), e.child_region, e.parent_region, e.relation)].append(
            e.child_model_id)
    rows = []
    for (month, child_region, base_region, relation), children in cells.items():
        values = [v for c in set(children) for v in month_downloads.get((c, month), [])]
        rows.append({
            "month_start": month,
            "child_region": child_region,
            "base_region": base_region,
            "relation": relation,
            "is_classified_pair": child_region in ATTRIBUTED_REGIONS and base_region in ATTRIBUTED_REGIONS,
            "is_cross_region": (child_region != base_region
                                if child_region in ATTRIBUTED_REGIONS and base_region in ATTRIBUTED_REGIONS else None),
            "is_month_fully_observed": month >= first_snapshot and _month_end(month) <= last_snapshot,
            "new_derivatives": len(children),
            "new_derivative_models": len(set(children)),
            "derivative_downloads": _known_sum(values),
        })
    return pd.DataFrame(rows)


def attribution_coverage(daily: pd.DataFrame, rel: pd.DataFrame, edges: pd.DataFrame, velocity: pd.DataFrame,
                         first_snapshot: dt.date, last_snapshot: dt.date) -> pd.DataFrame:
    """Per day of [first, last] snapshot and per month they touch: what organisations without a region hold."""
    known_downloads: dict[dt.date, list[tuple[float, bool]]] = defaultdict(list)
    for r in daily.itertuples():
        if not pd.isna(r.daily_downloads):
            known_downloads[r.download_date].append((float(r.daily_downloads), r.region in UNATTRIBUTED))
    release_days: dict[dt.date, list[bool]] = defaultdict(list)
    for r in rel.itertuples():
        release_days[r.release_date].append(r.region in UNATTRIBUTED)
    edge_days: dict[dt.date, list[tuple[bool, bool]]] = defaultdict(list)
    for e in edges.itertuples():
        if e.child_created_date is not None and not pd.isna(e.child_created_date):
            edge_days[e.child_created_date].append((e.child_region in UNATTRIBUTED, e.parent_region in UNATTRIBUTED))
    velocity_days: dict[dt.date, list[tuple[float, bool]]] = defaultdict(list)
    for r in velocity[velocity["entity_type"] == "region"].itertuples():
        if not pd.isna(r.velocity_28d):
            velocity_days[r.metric_date].append((float(r.velocity_28d), r.entity_id in UNATTRIBUTED))

    def share(part, whole):
        return part / whole if whole is not None and whole > 0 else None

    days = [first_snapshot + dt.timedelta(days=i) for i in range((last_snapshot - first_snapshot).days + 1)]
    periods = [("day", d, d) for d in days]
    periods += [("month", m, _month_end(m)) for m in sorted({d.replace(day=1) for d in days})]
    rows = []
    for kind, start, end in periods:
        span = [d for d in days if start <= d <= end]
        dl = [v for d in span for v in known_downloads.get(d, [])]
        downloads = sum(v for v, _ in dl) if dl else None
        unattributed_downloads = sum(v for v, u in dl if u) if dl else None
        releases_ = [u for d in span for u in release_days.get(d, [])]
        pairs = [p for d in span for p in edge_days.get(d, [])]
        velocity_share = None
        if kind == "day" and velocity_days.get(start):
            total = sum(v for v, _ in velocity_days[start])
            velocity_share = share(sum(v for v, u in velocity_days[start] if u), total)
        rows.append({
            "period_type": kind,
            "period_start": start,
            "period_end": end,
            "is_period_fully_observed": start >= first_snapshot and end <= last_snapshot,
            "downloads": downloads,
            "unattributed_downloads": unattributed_downloads,
            "unattributed_download_share": share(unattributed_downloads, downloads),
            "releases": len(releases_),
            "unattributed_releases": sum(releases_),
            "unattributed_release_share": share(sum(releases_), len(releases_)),
            "derivatives": len(pairs),
            "unattributed_derivatives": sum(c for c, _ in pairs),
            "unattributed_derivative_share": share(sum(c for c, _ in pairs), len(pairs)),
            "unattributed_pairs": sum(c or b for c, b in pairs),
            "unattributed_pair_share": share(sum(c or b for c, b in pairs), len(pairs)),
            "unattributed_velocity_28d_share": velocity_share,
        })
    return pd.DataFrame(rows)


def unattributed_organizations(orgs: pd.DataFrame, daily: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Organisations without a region holding downloads or derivatives, most to attribute first."""
    candidates = {r.organization: (r.region, r.models, r.releases)
                  for r in orgs.itertuples() if not r.is_region_attributed}
    for e in edges.itertuples():
        if e.parent_region in UNATTRIBUTED and e.parent_organization not in set(orgs["organization"]):
            candidates.setdefault(e.parent_organization, (e.parent_region, 0, 0))
    downloads: dict[str, list] = defaultdict(list)
    for r in daily.itertuples():
        downloads[r.organization].append(None if pd.isna(r.daily_downloads) else float(r.daily_downloads))
    total_downloads = _known_sum([v for values in downloads.values() for v in values])
    rows = []
    for org, (region, models, releases_) in candidates.items():
        dl = _known_sum(downloads.get(org, []))
        built = int((edges["child_organization"] == org).sum())
        based = int(((edges["parent_organization"] == org) & (edges["child_organization"] != org)).sum())
        if not ((dl or 0) > 0 or built + based > 0):
            continue
        rows.append({
            "organization": org,
            "region": region,
            "models": models,
            "releases": releases_,
            "downloads": dl,
            "download_share": (dl or 0) / total_downloads if total_downloads else None,
            "derivatives_built": built,
            "derivatives_on_its_bases": based,
            "unattributed_derivatives": built + based,
            "derivative_share": (built + based) / len(edges) if len(edges) else None,
        })
    rows.sort(key=lambda r: (-(r["downloads"] or 0), -r["unattributed_derivatives"], r["organization"]))
    for rank, row in enumerate(rows, start=1):
        row["attribution_rank"] = rank
    return pd.DataFrame(rows)


def _average_ranks(values: dict[str, float]) -> dict[str, float]:
    ordered = sorted(values.items(), key=lambda kv: -kv[1])
    ranks: dict[str, float] = {}
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1][1] == ordered[i][1]:
            j += 1
        for k in range(i, j + 1):
            ranks[ordered[k][0]] = (i + 1 + j + 1) / 2
        i = j + 1
    return ranks


def ecosystem_vs_benchmark(md: pd.DataFrame, daily: pd.DataFrame, dims: pd.DataFrame, edges: pd.DataFrame,
                           release_frame: pd.DataFrame) -> pd.DataFrame:
    months = sorted({d.replace(day=1) for d in md["snapshot_date"]})
    org_months = {(r.organization, r.snapshot_date.replace(day=1)) for r in md.itertuples()}
    downloads: dict[tuple, list] = defaultdict(list)
    for r in daily.itertuples():
        downloads[(r.organization, r.download_date.replace(day=1))].append(
            None if pd.isna(r.daily_downloads) else float(r.daily_downloads))
    org_downloads = {k: _known_sum(v) for k, v in downloads.items()}
    last_likes: dict[tuple, tuple] = {}
    for r in md.itertuples():
        key = (r.model_id, r.snapshot_date.replace(day=1))
        if key not in last_likes or r.snapshot_date > last_likes[key][0]:
            last_likes[key] = (r.snapshot_date, r.organization, None if pd.isna(r.likes) else r.likes)
    likes: dict[tuple, list] = defaultdict(list)
    for (_, month), (_, org, value) in last_likes.items():
        likes[(org, month)].append(value)
    org_likes = {k: _known_sum(v) for k, v in likes.items()}
    new_derivatives: dict[tuple, int] = defaultdict(int)
    for e in edges.itertuples():
        if e.child_created_date is not None and not pd.isna(e.child_created_date):
            new_derivatives[(e.parent_organization, e.child_created_date.replace(day=1))] += 1
    rows = []
    for month in months:
        month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
        total_downloads = _known_sum([v for (o, m), v in org_downloads.items() if m == month])
        total_likes = _known_sum([v for (o, m), v in org_likes.items() if m == month])
        total_derivatives = sum(v for (o, m), v in new_derivatives.items() if m == month)
        for org in sorted(o for o, m in org_months if m == month):
            available = dims[(dims["organization"] == org) & dims["benchmark_score"].notna()]
            scores = [
                r.benchmark_score for r in available.itertuples()
                if (r.created_at.astimezone(dt.UTC).date() if r.created_at is not None and not pd.isna(r.created_at)
                    else r.first_seen_date) <= month_end
            ]
            dl = org_downloads.get((org, month))
            lk = org_likes.get((org, month))
            nd = new_derivatives.get((org, month), 0)
            rel = release_frame[(release_frame["organization"] == org) & (release_frame["release_month"] == month)]
            rows.append({
                "organization": org,
                "month_start": month,
                "month_end": month_end,
                "benchmark_score": max(scores) if scores else None,
                "downloads": dl,
                "ecosystem_score": dl / total_downloads if dl is not None and total_downloads else None,
                "likes": lk,
                "likes_share": lk / total_likes if lk is not None and total_likes else None,
                "new_derivatives": nd,
                "derivative_share": nd / total_derivatives if total_derivatives else None,
                "releases": len(rel),
                "release_pipeline_tags": rel["pipeline_tag"].dropna().nunique(),
            })
    frame = pd.DataFrame(rows)
    frame["benchmark_rank"] = None
    frame["ecosystem_rank"] = None
    for month, group in frame.groupby("month_start"):
        both = group[group["benchmark_score"].notna() & group["ecosystem_score"].notna()]
        b = _average_ranks(dict(zip(both.index, both["benchmark_score"], strict=True)))
        e = _average_ranks(dict(zip(both.index, both["ecosystem_score"], strict=True)))
        for index in both.index:
            frame.at[index, "benchmark_rank"] = b[index]
            frame.at[index, "ecosystem_rank"] = e[index]
    frame["rank_gap"] = [
        b - e if b is not None and e is not None else None
        for b, e in zip(frame["benchmark_rank"], frame["ecosystem_rank"], strict=True)
    ]
    return frame


def benchmark_adoption_correlation(eco: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for month, group in eco.groupby("month_start"):
        ranked = group[group["benchmark_rank"].notna() & group["ecosystem_rank"].notna()]
        x = [float(v) for v in ranked["benchmark_rank"]]
        y = [float(v) for v in ranked["ecosystem_rank"]]
        value = None
        if len(x) >= 3 and statistics.pvariance(x) > 0 and statistics.pvariance(y) > 0:
            value = statistics.correlation(x, y)
        rows.append({"month_start": month, "organizations_ranked": len(x), "spearman_rank_correlation": value})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ trajectories


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, month = [], first
    while month <= max(first, last):
        out.append(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def _dated(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else value


def _org_regions(orgs: pd.DataFrame) -> dict[str, tuple[str, bool]]:
    return {o.organization: (o.region, bool(o.is_region_attributed)) for o in orgs.itertuples()}


def organization_trajectories(release_frame: pd.DataFrame, edges: pd.DataFrame, orgs: pd.DataFrame,
                              latest_snapshot_date: dt.date) -> pd.DataFrame:
    """Per organisation and month, from its first dated release or derivative to the latest snapshot's month:
    releases (in the month of their creation) and derivative edges built on its models (in the month the
    child was created), each with its running total from the first month and from R1."""
    regions = _org_regions(orgs)
    events: dict[str, list[tuple[dt.date, str, bool]]] = defaultdict(list)  # org -> (date, kind, since R1)
    for r in release_frame.itertuples() if len(release_frame) else ():
        events[r.organization].append((r.release_date, "release", r.release_date >= R1))
    for e in edges.itertuples() if len(edges) else ():
        child_date = _dated(e.child_created_date)
        if child_date is not None:
            events[e.parent_organization].append((child_date, "derivative", child_date >= R1))
    rows = []
    for org in sorted(events):
        totals = {"release": 0, "derivative": 0, "release_r1": 0, "derivative_r1": 0}
        for month in _months(_month(min(d for d, _k, _r in events[org])), _month(latest_snapshot_date)):
            in_month = [(kind, since) for d, kind, since in events[org] if _month(d) == month]
            for kind, since in in_month:
                totals[kind] += 1
                totals[f"{kind}_r1"] += since
            rows.append({
                "organization": org,
                "region": regions.get(org, ("unclassified", False))[0],
                "month_start": month,
                "month_end": _month_end(month),
                "releases": sum(kind == "release" for kind, _s in in_month),
                "cumulative_releases": totals["release"],
                "cumulative_releases_since_r1": totals["release_r1"],
                "new_derivatives": sum(kind == "derivative" for kind, _s in in_month),
                "cumulative_derivatives": totals["derivative"],
                "cumulative_derivatives_since_r1": totals["derivative_r1"],
            })
    columns = ["organization", "region", "month_start", "month_end", "releases", "cumulative_releases",
               "cumulative_releases_since_r1", "new_derivatives", "cumulative_derivatives",
               "cumulative_derivatives_since_r1"]
    return pd.DataFrame(rows, columns=columns)


def organization_milestones(release_frame: pd.DataFrame, edges: pd.DataFrame, orgs: pd.DataFrame) -> pd.DataFrame:
    """Per organisation (the dimension's and every base's owner): releases and derivatives before and since R1,
    the months of its 10th and 100th release, and its rank by releases since R1 (ties averaged)."""
    regions = _org_regions(orgs)
    by_org: dict[str, list] = defaultdict(list)
    for r in release_frame.itertuples() if len(release_frame) else ():
        by_org[r.organization].append((r.created_at, r.model_id, r.release_date))
    children: dict[str, list] = defaultdict(list)
    for e in edges.itertuples() if len(edges) else ():
        children[e.parent_organization].append(_dated(e.child_created_date))
    rows = []
    for org in sorted(set(regions) | set(children)):
        ordered = [d for _c, _m, d in sorted(by_org.get(org, []))]
        kids = children.get(org, [])
        dated = [d for d in kids if d is not None]
        rows.append({
            "organization": org,
            "region": regions.get(org, ("unclassified", False))[0],
            "is_region_attributed": regions.get(org, ("unclassified", False))[1],
            "first_release_date": min(ordered) if ordered else None,
            "last_release_date": max(ordered) if ordered else None,
            "releases": len(ordered),
            "releases_before_r1": sum(d < R1 for d in ordered),
            "releases_since_r1": sum(d >= R1 for d in ordered),
            "month_crossed_10_releases": _month(ordered[9]) if len(ordered) >= 10 else None,
            "month_crossed_100_releases": _month(ordered[99]) if len(ordered) >= 100 else None,
            "first_derivative_date": min(dated) if dated else None,
            "derivatives": len(kids),
            "derivatives_before_r1": sum(d < R1 for d in dated),
            "derivatives_since_r1": sum(d >= R1 for d in dated),
            "derivatives_undated": len(kids) - len(dated),
        })
    frame = pd.DataFrame(rows)
    growing = {i: float(r) for i, r in zip(frame.index, frame["releases_since_r1"], strict=True) if r > 0}
    ranks = _average_ranks(growing)
    frame["growth_rank_since_r1"] = [ranks.get(i) for i in frame.index]
    return frame


# ------------------------------------------------------------------------------- licences, languages, rankings


def _card_license_names(raw: list[dict]) -> dict[str, str | None]:
    """Per model, the card's `license_name` on its latest snapshot (the later name of a rename seen twice)."""
    latest: dict[str, dict] = {}
    for row in raw:
        model_id = row["object_id"] or row["id"]
        kept = latest.get(model_id)
        if kept is None or (row["snapshot_date"], row["id"]) > (kept["snapshot_date"], kept["id"]):
            latest[model_id] = row
    out = {}
    for model_id, row in latest.items():
        card = json.loads(row["item_json"]).get("cardData") if row.get("item_json") else None
        name = card.get("license_name") if isinstance(card, dict) else None
        out[model_id] = name if isinstance(name, str) else None
    return out


def licence_seeds(project_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """license_families (licence id -> family) and language_families (code -> family), as the seeds say."""
    seeds = Path(project_dir) / "seeds"
    licences = {r["license_id"]: r["license_family"] for r in _csv_rows(seeds / "license_families.csv")}
    languages = {r["language_code"]: r["language_family"] for r in _csv_rows(seeds / "language_families.csv")}
    return licences, languages


def licences_languages(raw: list[dict], models: dict[str, dict], project_dir: Path) -> pd.DataFrame:
    """One row per model: the licence of its latest tags (the card's name of an `other` licence when the seed
    lists it), its family (unknown when none or unlisted) and its declared languages with their families."""
    licence_family, language_family = licence_seeds(project_dir)
    card_names = _card_license_names(raw)
    rows = []
    for model_id, p in models.items():
        licence = p["license"]
        name = card_names.get(model_id) if licence == "other" else None
        if licence is None:
            key = None
        elif licence == "other" and name is not None and name.lower() in licence_family:
            key = name.lower()
        else:
            key = licence.lower()
        codes = p["languages"] or []
        rows.append({
            "model_id": model_id,
            "organization": p["organization"],
            "region": p["region"],
            "created_date": p["created_date"],
            "license": licence,
            "license_name": name,
            "license_key": key,
            "license_family": licence_family.get(key, "unknown") if key is not None else "unknown",
            "languages": p["languages"],
            "language_count": sum(c != "multilingual" for c in codes),
            "declares_beyond_english": any(c != "en" for c in codes),
            "language_families": sorted({language_family.get(c, "unclassified") for c in codes}),
        })
    return pd.DataFrame(rows)


def _share(part, whole) -> float | None:
    return None if part is None or whole is None or whole == 0 else part / whole


def release_licences(release_frame: pd.DataFrame, daily: pd.DataFrame, lic: pd.DataFrame) -> pd.DataFrame:
    """Per region, month and licence family: the releases of the month (release region) and the month's daily
    downloads of the family's models (the day's region), each split at R1; shares of the region's month."""
    family = dict(zip(lic["model_id"], lic["license_family"], strict=True))
    released: dict[tuple, list[bool]] = defaultdict(list)
    for r in release_frame.itertuples() if len(release_frame) else ():
        released[(r.region, _month(r.release_date), family[r.model_id])].append(r.release_date >= R1)
    downloaded: dict[tuple, list[tuple[dt.date, float | None]]] = defaultdict(list)
    for d in daily.itertuples():
        if not pd.isna(d.daily_downloads):  # a day of unknown downloads makes no download cell
            downloaded[(d.region, _month(d.download_date), family[d.model_id])].append(
                (d.download_date, d.daily_downloads))
    cells = set(released) | set(downloaded)
    region_releases: dict[tuple, int] = defaultdict(int)
    region_downloads: dict[tuple, list] = defaultdict(list)
    for cell in cells:
        region_releases[cell[:2]] += len(released.get(cell, []))
        region_downloads[cell[:2]].append(_known_sum(v for _d, v in downloaded.get(cell, [])))
    rows = []
    for cell in sorted(cells):
        since = released.get(cell, [])
        days = downloaded.get(cell, [])
        downloads = _known_sum(v for _d, v in days)
        rows.append({
            "region": cell[0], "month_start": cell[1], "license_family": cell[2], "is_post_r1": cell[1] >= R1,
            "releases": len(since), "releases_before_r1": since.count(False), "releases_since_r1": since.count(True),
            "release_share": _share(len(since), region_releases[cell[:2]]),
            "downloads": downloads,
            "downloads_before_r1": _known_sum(v for d, v in days if d < R1),
            "downloads_since_r1": _known_sum(v for d, v in days if d >= R1),
            "download_share": _share(downloads, _known_sum(region_downloads[cell[:2]])),
        })
    return pd.DataFrame(rows)


def release_languages(release_frame: pd.DataFrame, lic: pd.DataFrame) -> pd.DataFrame:
    """Per region and month: releases, those declaring languages and those declaring any beyond English."""
    by_model = {r.model_id: r for r in lic.itertuples()}
    cells: dict[tuple, list] = defaultdict(list)
    for r in release_frame.itertuples() if len(release_frame) else ():
        cells[(r.region, _month(r.release_date))].append((r.release_date >= R1, by_model[r.model_id]))
    rows = []
    for (region, month), members in sorted(cells.items()):
        beyond = [since for since, m in members if m.declares_beyond_english]
        counts = [m.language_count for _s, m in members]
        named = [c for c in counts if c > 0]
        rows.append({
            "region": region, "month_start": month, "is_post_r1": month >= R1,
            "releases": len(members),
            "releases_before_r1": sum(not s for s, _m in members),
            "releases_since_r1": sum(s for s, _m in members),
            "releases_declaring_languages": sum(bool(m.languages) for _s, m in members),
            "releases_beyond_english": len(beyond),
            "releases_beyond_english_before_r1": beyond.count(False),
            "releases_beyond_english_since_r1": beyond.count(True),
            "share_beyond_english": len(beyond) / len(members),
            "mean_languages_declared": statistics.fmean(named) if named else None,
            "max_languages_declared": max(counts),
        })
    return pd.DataFrame(rows)


def language_family_downloads(daily: pd.DataFrame, lic: pd.DataFrame) -> pd.DataFrame:
    """Per region, month and language family (`none`: no language): the models declaring it with a daily row in
    the region's month and their downloads; a model of several families counts in each."""
    families = {m: list(f) or ["none"] for m, f in zip(lic["model_id"], lic["language_families"], strict=True)}
    monthly: dict[tuple, list] = defaultdict(list)  # (region, month, model) -> daily downloads
    for d in daily.itertuples():
        monthly[(d.region, _month(d.download_date), d.model_id)].append(
            None if pd.isna(d.daily_downloads) else d.daily_downloads)
    totals: dict[tuple, list] = defaultdict(list)
    cells: dict[tuple, list] = defaultdict(list)
    for (region, month, model_id), values in monthly.items():
        downloads = _known_sum(values)
        totals[(region, month)].append(downloads)
        for fam in families[model_id]:
            cells[(region, month, fam)].append(downloads)
    rows = []
    for (region, month, fam), values in sorted(cells.items()):
        downloads = _known_sum(values)
        rows.append({
            "region": region, "month_start": month, "language_family": fam, "is_post_r1": month >= R1,
            "models": len(values), "downloads": downloads,
            "download_share": _share(downloads, _known_sum(totals[(region, month)])),
        })
    return pd.DataFrame(rows)


def rank_cohorts(cohorts: dict[tuple[str, dt.date], list[tuple[str, str, float | None, float | None]]],
                 top_n: tuple[int, ...]) -> pd.DataFrame:
    """Rank each cohort ((period type, period start) -> [(model id, region, likes, downloads_30d)]) by each
    measure, highest first and ties by model id (a model without the measure is not ranked); per region the
    ranked models, the best rank and the models in each top N."""
    rows = []
    for (period_type, start), members in sorted(cohorts.items()):
        for index, measure in ((2, "likes"), (3, "downloads_30d")):
            ranked = sorted((m for m in members if m[index] is not None), key=lambda m: (-m[index], m[0]))
            positions: dict[str, list[int]] = defaultdict(list)
            for position, m in enumerate(ranked, start=1):
                positions[m[1]].append(position)
            for n in top_n:
                for region, places in sorted(positions.items()):
                    in_top = sum(p <= n for p in places)
                    rows.append({
                        "period_type": period_type, "period_start": start, "ranking_measure": measure,
                        "top_n": n, "region": region, "is_post_r1": start >= R1,
                        "period_models": len(ranked), "region_models": len(places), "models_in_top": in_top,
                        "share_of_top": in_top / min(n, len(ranked)), "best_rank": min(places),
                    })
    return pd.DataFrame(rows)


def rankings(release_frame: pd.DataFrame, models: dict[str, dict], md: pd.DataFrame,
             top_n: tuple[int, ...] = (10, 50)) -> pd.DataFrame:
    """Release-month and release-week cohorts of every release on its own last snapshot (deleted or out of the
    scope today, it keeps its place), and every model of each month's last snapshot on that snapshot."""
    cohorts: dict[tuple[str, dt.date], list] = defaultdict(list)
    for r in release_frame.itertuples() if len(release_frame) else ():
        p = models[r.model_id]
        member = (r.model_id, r.region, p["likes"], p["downloads_30d"])
        cohorts[("release_month", _month(r.release_date))].append(member)
        cohorts[("release_week", _monday(r.release_date))].append(member)
    month_end: dict[dt.date, dt.date] = {}
    for day in md["snapshot_date"]:
        month_end[_month(day)] = max(day, month_end.get(_month(day), day))
    for s in md.itertuples():
        if month_end[_month(s.snapshot_date)] == s.snapshot_date:
            cohorts[("live_month", _month(s.snapshot_date))].append(
                (s.model_id, s.region, _number(s.likes), _number(s.downloads_30d)))
    return rank_cohorts(cohorts, top_n)


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else value


def claims(raw_root: Path, project_dir: Path) -> dict[str, pd.DataFrame]:
    """The licence, language and ranking relations (issue 17, claims 6-8) recomputed from the raw partitions
    and the seeds. Kept out of `compute`, which the scenario matrix compares relation by relation."""
    seeds = load_seeds(project_dir)
    raw = load_raw(raw_root)
    snaps = typed_snapshots(raw, seeds)
    daily = daily_downloads(snaps)
    models = profiles(snaps)
    rel = releases(models, lineage(snaps, seeds, models, name_owners(snaps, seeds)))
    lic = licences_languages(raw, models, project_dir)
    return {
        "int_models_daily_downloads": daily,
        "int_models_licences_languages": lic,
        "fct_release_licences": release_licences(rel, daily, lic),
        "fct_release_languages": release_languages(rel, lic),
        "fct_language_family_downloads": language_family_downloads(daily, lic),
        "fct_rankings": rankings(rel, models, model_daily(snaps, daily)),
    }


# -------------------------------------------------------------------------------------------- all


def compute(raw_root: Path, project_dir: Path, overrides: Path | None = None) -> dict[str, pd.DataFrame]:
    """Every modelled relation recomputed from the raw partitions and the project's reference data (with the
    region override file `overrides` laid over the region seed, when given)."""
    seeds = load_seeds(project_dir, overrides)
    snaps = typed_snapshots(load_raw(raw_root), seeds)
    daily = daily_downloads(snaps)
    md = model_daily(snaps, daily)
    models = profiles(snaps)
    owners = name_owners(snaps, seeds)
    edges = lineage(snaps, seeds, models, owners)
    rel = releases(models, edges)
    leaderboard = pd.read_csv(Path(project_dir) / LEADERBOARD_CSV)
    scores = benchmark_scores(snaps, seeds, owners, leaderboard, models)
    dims = dim_models(models, edges, set(rel["model_id"]) if len(rel) else set(), scores)
    eco = ecosystem_vs_benchmark(md, daily, dims, edges, rel)
    velocity = download_velocity(daily, md)
    first_snapshot = min(s["snapshot_date"] for s in snaps)
    last_snapshot = max(s["snapshot_date"] for s in snaps)
    orgs = dim_organizations(snaps, seeds, models, rel)
    return {
        "int_organization_regions_overridden": region_table(seeds),
        "int_models_daily_downloads": daily,
        "fct_model_daily": md,
        "fct_download_velocity": velocity,
        "fct_velocity_overtakes": velocity_overtakes(velocity),
        "int_model_lineage": edges,
        "int_releases": rel,
        "dim_models": dims,
        "dim_organizations": orgs,
        "fct_release_cadence": release_cadence(rel, max(s["snapshot_date"] for s in snaps)),
        "fct_derivatives": derivatives(dims, edges),
        "fct_supply_chain": supply_chain(edges, daily, first_snapshot, last_snapshot),
        "fct_attribution_coverage": attribution_coverage(daily, rel, edges, velocity, first_snapshot, last_snapshot),
        "fct_unattributed_organizations": unattributed_organizations(orgs, daily, edges),
        "fct_ecosystem_vs_benchmark": eco,
        "fct_benchmark_adoption_correlation": benchmark_adoption_correlation(eco),
        "fct_organization_trajectories": organization_trajectories(rel, edges, orgs, last_snapshot),
        "fct_organization_milestones": organization_milestones(rel, edges, orgs),
    }


# ------------------------------------------------------------------------------------- comparisons


def comparable(v):
    """A warehouse or reference value in one comparable form: nulls and NaN/NaT as None, numbers as floats,
    timestamps as UTC datetimes, arrays as lists."""
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if hasattr(v, "item") and not isinstance(v, (list, tuple)) and type(v).__module__ == "numpy":
        v = v.item()
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC) if v.tzinfo else v
    if isinstance(v, (list, tuple)) or type(v).__name__ == "ndarray":
        return [comparable(x) for x in v]
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return v


def same_value(a, b) -> bool:
    """Equal as comparable values, doubles within a relative 1e-9 (the two sides sum in different orders)."""
    a, b = comparable(a), comparable(b)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b
