"""Data quality: the Great Expectations suite on the raw snapshots, surfaced as Dagster asset checks.

`raw_asset_checks` target `hub_model_snapshots` and need the `paths` (HubpulsePaths) and `quality`
(QualityConfig) resources. The marts' rules are dbt tests (`dbt_project/models/marts/_marts__models.yml`), which
dagster-dbt turns into asset checks on each mart: one home per rule.

The names are imported from their modules when first asked for: importing this package does not import
Dagster's check machinery or Great Expectations.
"""

from importlib import import_module

# The dbt models that carry Great Expectations checks (the translator gives them the `great_expectations` kind).
# None today: every mart rule is a dbt test, and Great Expectations checks only the raw partitions.
GX_CHECKED_MODELS: frozenset[str] = frozenset()

_EXPORTS = {
    "QualityConfig": "orchestration.quality.config",
    "quality_config_from_env": "orchestration.quality.config",
    "raw_asset_checks": "orchestration.quality.checks",
}

__all__ = ["GX_CHECKED_MODELS", "QualityConfig", "quality_config_from_env", "raw_asset_checks"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
