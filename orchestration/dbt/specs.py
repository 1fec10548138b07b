"""The specs of the three dbt asset sets, cached beside the manifest so that loading never imports dagster-dbt.

`@dbt_assets` builds a multi-asset from the manifest with dagster-dbt and the project's translator; importing
dagster-dbt (dbt-core, sqlglot, mashumaro, networkx, agate...) costs seconds, paid by every code location
load, run worker and step process. So the specs it builds are computed once per manifest - by
`hubpulse prepare` right after `dbt parse`, or on a load that finds no cache or a stale one - and written to
`hubpulse_dbt_specs.json` next to `manifest.json`: per set, the op tags `@dbt_assets` gives the op, and every
asset spec and asset check spec exactly as `@dbt_assets` made them. The code location reads that file with
`json` and builds the same multi-assets with `dg.multi_asset` (see `orchestration.dbt.assets`).

The cache is keyed by the manifest's content hash, this module's and the translator's source, the Dagster,
dagster-dbt and dbt-core versions, the sets' selections and the models with Great Expectations checks: any change there
rebuilds it (then that load imports dagster-dbt once). Metadata values go through Dagster's serdes, except the
three dagster-dbt keeps as live objects for its own use (the manifest, the translator, the DbtProject), which
Dagster shows as "(unserializable)" and which the steps rebuild themselves (`orchestration.dbt.runtime`).
"""

# No `from __future__ import annotations` here: this module defines the reference @dbt_assets sets.
import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.settings import DBT_PROJECT_DIR

log = logging.getLogger(__name__)

CACHE_NAME = "hubpulse_dbt_specs.json"
CACHE_FORMAT = 1

# Three sets, so that no set sits both upstream and downstream of another (Dagster would then split it into
# two steps, and dbt's test selection would run a test before one of its models exists):
#   inputs  - every ancestor of the daily incrementals (seeds, staging, lookups), unpartitioned;
#   daily   - the snapshot-grain incrementals, built one window of days at a time;
#   marts   - everything else (dimensions, cadence, derivatives, supply chain, ecosystem vs benchmark).
DAILY_SELECT = "tag:daily_partitioned"
INPUTS_SELECT = "+tag:daily_partitioned"


@dataclass(frozen=True)
class DbtSet:
    """One `@dbt_assets` set: its op name and dbt selection (None: dagster-dbt's default)."""

    name: str
    select: str | None = None
    exclude: str | None = None
    partitioned: bool = False


SETS = (
    DbtSet("dbt_inputs", select=INPUTS_SELECT, exclude=DAILY_SELECT),
    DbtSet("dbt_daily_models", select=DAILY_SELECT, partitioned=True),
    DbtSet("dbt_marts", exclude=INPUTS_SELECT),
)
SETS_BY_NAME = {s.name: s for s in SETS}

# dagster-dbt's live objects in each spec's metadata (see the module docstring); never cached.
LIVE_METADATA_KEYS = frozenset({"dagster_dbt/manifest", "dagster_dbt/dagster_dbt_translator", "dagster_dbt/project"})
KIND_PREFIX = "dagster/kind/"


@dataclass(frozen=True)
class SetSpecs:
    """What a set's multi-asset is made of, as `@dbt_assets` built it."""

    op_tags: Mapping[str, str]
    specs: tuple[dg.AssetSpec, ...]
    check_specs: tuple[dg.AssetCheckSpec, ...]


def gx_checked_models() -> frozenset[str]:
    """The models with Great Expectations checks (the translator gives them the `great_expectations` kind)."""
    from orchestration.quality.marts import DAILY_MART_SPECS, MART_SPECS

    return frozenset(m.model for m in (*DAILY_MART_SPECS, *MART_SPECS))


@cache
def translator():
    """The project's dagster-dbt translator (imports dagster-dbt)."""
    from orchestration.dbt.translator import HubpulseDbtTranslator

    return HubpulseDbtTranslator(gx_checked_models=gx_checked_models())


def cache_path(manifest: Path) -> Path:
    return manifest.with_name(CACHE_NAME)


# ------------------------------------------------------------------------------------------- cache key


def _version_file(package: str, name: str) -> str:
    """A package's version file (dagster-dbt's, dbt-core's), read without importing the package."""
    spec = importlib.util.find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        version = Path(folder) / name
        if version.is_file():
            return version.read_text()
    return "missing"


def cache_key(manifest_bytes: bytes) -> dict[str, Any]:
    """Everything the cached specs depend on."""
    here = Path(__file__).resolve().parent
    code = hashlib.sha256()
    for name in ("specs.py", "translator.py", "conditions.py"):
        code.update((here / name).read_bytes())
    return {
        "format": CACHE_FORMAT,
        "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
        "code_sha256": code.hexdigest(),
        "dagster": dg.__version__,
        # dagster-dbt builds the specs, dbt-core's selector picks each set's nodes.
        "dagster_dbt": hashlib.sha256(_version_file("dagster_dbt", "version.py").encode()).hexdigest(),
        "dbt_core": hashlib.sha256(_version_file("dbt", "__version__.py").encode()).hexdigest(),
        "sets": [[s.name, s.select, s.exclude, s.partitioned] for s in SETS],
        "gx_checked_models": sorted(gx_checked_models()),
    }


# ------------------------------------------------------------------------------------ building (slow)


def reference_dbt_assets(
    manifest: Mapping[str, Any], target: Path, bodies: Mapping[str, Any] | None = None
) -> dict[str, dg.AssetsDefinition]:
    """The three sets as `@dbt_assets` builds them from `manifest` (imports dagster-dbt).

    `bodies`: the op functions by set name (default: stand-ins that never run; the specs do not depend on them).

    `target` is the manifest's folder, for the DbtProject (kept out of `orchestration.dbt.project`, whose
    import reads the environment of the code location: `hubpulse prepare` and the tests' set-up call this
    before that environment exists).
    """
    from dagster_dbt import DbtProject, dbt_assets

    from orchestration.hub.partitions import daily_snapshot_partitions
    from orchestration.pools import WAREHOUSE_POOL

    with contextlib.suppress(ValueError):
        target = target.relative_to(DBT_PROJECT_DIR)
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=target)
    out = {}
    for dbt_set in SETS:
        options: dict[str, Any] = {}
        if dbt_set.select is not None:
            options["select"] = dbt_set.select
        if dbt_set.exclude is not None:
            options["exclude"] = dbt_set.exclude
        if dbt_set.partitioned:
            options["partitions_def"] = daily_snapshot_partitions
            options["backfill_policy"] = dg.BackfillPolicy.single_run()

        def stand_in(context):
            raise NotImplementedError("a reference definition, never executed")

        stand_in.__name__ = dbt_set.name
        body = (bodies or {}).get(dbt_set.name, stand_in)
        out[dbt_set.name] = dbt_assets(
            manifest=manifest,
            project=project,
            dagster_dbt_translator=translator(),
            name=dbt_set.name,
            pool=WAREHOUSE_POOL,
            required_resource_keys={"dbt", "paths"},
            **options,
        )(body)
    return out


def build_cache(manifest_bytes: bytes, target: Path) -> dict[str, Any]:
    """The cache document of a manifest: its key and, per set, the op tags and encoded specs."""
    manifest = json.loads(manifest_bytes)
    sets = {}
    for name, assets_def in reference_dbt_assets(manifest, target).items():
        partitions_def = assets_def.partitions_def
        sets[name] = {
            "op_tags": dict(assets_def.op.tags),
            "specs": [_encode_spec(spec, partitions_def) for spec in assets_def.specs],
            "check_specs": [_encode_check_spec(spec) for spec in assets_def.check_specs],
        }
    return {"key": cache_key(manifest_bytes), "sets": sets}


def write_cache(manifest: Path) -> Path:
    """Build the cache of `manifest` and write it beside it."""
    document = build_cache(manifest.read_bytes(), manifest.parent)
    target = cache_path(manifest)
    _write_atomically(target, json.dumps(document, indent=1))
    return target


def _write_atomically(target: Path, text: str) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)  # as an ordinary file (mkstemp makes it private)
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------------- loading (fast)


def load_sets(manifest: Path | None = None) -> dict[str, SetSpecs]:
    """Each set's specs: from the cache when it matches the manifest, else built (and cached) now."""
    if manifest is None:
        from orchestration.dbt.project import manifest_path

        manifest = manifest_path()
    manifest_bytes = manifest.read_bytes()
    key = cache_key(manifest_bytes)
    target = cache_path(manifest)
    document = None
    try:
        document = json.loads(target.read_text())
    except (OSError, ValueError):
        pass
    if not isinstance(document, dict) or document.get("key") != key:
        log.info("dbt asset specs: %s is missing or stale, building it from %s", target.name, manifest)
        document = build_cache(manifest_bytes, manifest.parent)
        try:
            _write_atomically(target, json.dumps(document, indent=1))
        except OSError as error:  # a read-only checkout still loads, only slower
            log.warning("dbt asset specs not cached at %s: %s", target, error)
    return {name: _decode_set(document["sets"][name]) for name in SETS_BY_NAME}


# ------------------------------------------------------------------------------------------ encoding


def _encode_value(value: Any) -> list:
    if value is None or isinstance(value, bool | int | float | str):
        return ["raw", value]
    from dagster._serdes import serialize_value

    return ["serdes", serialize_value(value)]


@cache
def _deserialize(text: str) -> Any:
    from dagster._serdes import deserialize_value

    return deserialize_value(text)


def _decode_value(encoded: list) -> Any:
    kind, value = encoded
    if kind == "raw":
        return value
    if kind == "serdes":
        return _deserialize(value)
    raise ValueError(f"unknown encoded value kind {kind!r}")


def _encode_metadata(metadata: Mapping[str, Any] | None) -> dict | None:
    if metadata is None:
        return None
    return {key: _encode_value(value) for key, value in metadata.items() if key not in LIVE_METADATA_KEYS}


def _decode_metadata(encoded: dict | None) -> dict | None:
    return None if encoded is None else {key: _decode_value(value) for key, value in encoded.items()}


def _encode_dep(dep: dg.AssetDep) -> dict:
    return {
        "key": list(dep.asset_key.path),
        "partition_mapping": _encode_value(dep.partition_mapping),
        "metadata": _encode_metadata(dep.metadata),
    }


def _decode_dep(encoded: dict) -> dg.AssetDep:
    return dg.AssetDep(
        dg.AssetKey(encoded["key"]),
        partition_mapping=_decode_value(encoded["partition_mapping"]),
        metadata=_decode_metadata(encoded["metadata"]),
    )


ENCODED_SPEC_FIELDS = {
    "key", "deps", "description", "metadata", "group_name", "skippable", "code_version",
    "legacy_freshness_policy", "freshness_policy", "automation_condition", "owners", "tags", "partitions_def",
    "is_virtual",
}
ENCODED_CHECK_FIELDS = {
    "name", "asset_key", "description", "additional_deps", "blocking", "metadata", "automation_condition",
    "partitions_def",
}


def _fields(record: Any) -> set[str]:
    return set(record._asdict()) if hasattr(record, "_asdict") else set(vars(record))


def _encode_spec(spec: dg.AssetSpec, partitions_def: dg.PartitionsDefinition | None) -> dict:
    unknown = _fields(spec) - ENCODED_SPEC_FIELDS
    if unknown:
        raise ValueError(f"AssetSpec has fields this cache does not know: {sorted(unknown)}")
    if spec.legacy_freshness_policy is not None or spec.freshness_policy is not None:
        raise ValueError(f"{spec.key.to_user_string()}: freshness policies are not cached")
    if spec.partitions_def != partitions_def:
        raise ValueError(f"{spec.key.to_user_string()}: partitions differ from the set's")
    return {
        "key": list(spec.key.path),
        "deps": [_encode_dep(dep) for dep in spec.deps],
        "description": spec.description,
        "metadata": _encode_metadata(spec.metadata),
        "group_name": spec.group_name,
        "skippable": spec.skippable,
        "code_version": spec.code_version,
        "automation_condition": _encode_value(spec.automation_condition),
        "owners": list(spec.owners),
        "tags": {k: v for k, v in spec.tags.items() if not k.startswith(KIND_PREFIX)},
        "kinds": sorted(k[len(KIND_PREFIX):] for k in spec.tags if k.startswith(KIND_PREFIX)),
        "is_virtual": spec.is_virtual,
    }


def _decode_spec(encoded: dict) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=dg.AssetKey(encoded["key"]),
        deps=[_decode_dep(dep) for dep in encoded["deps"]],
        description=encoded["description"],
        metadata=_decode_metadata(encoded["metadata"]),
        skippable=encoded["skippable"],
        group_name=encoded["group_name"],
        code_version=encoded["code_version"],
        automation_condition=_decode_value(encoded["automation_condition"]),
        owners=encoded["owners"],
        tags=encoded["tags"],
        kinds=set(encoded["kinds"]),
        is_virtual=encoded["is_virtual"],
    )


def _encode_check_spec(spec: dg.AssetCheckSpec) -> dict:
    unknown = _fields(spec) - ENCODED_CHECK_FIELDS
    if unknown:
        raise ValueError(f"AssetCheckSpec has fields this cache does not know: {sorted(unknown)}")
    if spec.partitions_def is not None:
        raise ValueError(f"{spec.key.to_user_string()}: partitioned dbt checks are not cached")
    return {
        "name": spec.name,
        "asset_key": list(spec.asset_key.path),
        "description": spec.description,
        "additional_deps": [_encode_dep(dep) for dep in spec.additional_deps],
        "blocking": spec.blocking,
        "metadata": _encode_metadata(spec.metadata),
        "automation_condition": _encode_value(spec.automation_condition),
    }


def _decode_check_spec(encoded: dict) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        encoded["name"],
        asset=dg.AssetKey(encoded["asset_key"]),
        description=encoded["description"],
        additional_deps=[_decode_dep(dep) for dep in encoded["additional_deps"]],
        blocking=encoded["blocking"],
        metadata=_decode_metadata(encoded["metadata"]),
        automation_condition=_decode_value(encoded["automation_condition"]),
    )


def _decode_set(encoded: dict) -> SetSpecs:
    return SetSpecs(
        op_tags=dict(encoded["op_tags"]),
        specs=tuple(_decode_spec(spec) for spec in encoded["specs"]),
        check_specs=tuple(_decode_check_spec(spec) for spec in encoded["check_specs"]),
    )


def asset_key_of(unique_id: str, sets: Mapping[str, SetSpecs] | None = None) -> dg.AssetKey | None:
    """The asset key of a dbt node of the sets (None when no set has it, or no manifest is prepared)."""
    if sets is None:
        try:
            sets = loaded_sets()
        except FileNotFoundError:
            return None
    for set_specs in sets.values():
        for spec in set_specs.specs:
            if spec.metadata.get("dagster_dbt/unique_id") == unique_id:
                return spec.key
    return None


@cache
def loaded_sets() -> dict[str, SetSpecs]:
    """The code location's sets (read once per process)."""
    return load_sets()
