"""Data quality: Great Expectations suites on raw snapshots and marts, surfaced as Dagster asset checks.

`raw_asset_checks` target `hub_model_snapshots`; `mart_asset_checks` target the dbt marts. Both need the
`paths` (HubpulsePaths) and `quality` (QualityConfig, from `quality_config_from_env()`) resources.

The names are imported from their modules when first asked for: importing a submodule such as
`orchestration.quality.marts` (the mart suites, which the dbt specs read) does not define the asset checks.
"""

from importlib import import_module

_EXPORTS = {
    "QualityConfig": "orchestration.quality.config",
    "quality_config_from_env": "orchestration.quality.config",
    "mart_asset_checks": "orchestration.quality.checks",
    "mart_asset_key": "orchestration.quality.checks",
    "raw_asset_checks": "orchestration.quality.checks",
}

__all__ = ["QualityConfig", "mart_asset_checks", "mart_asset_key", "quality_config_from_env", "raw_asset_checks"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
