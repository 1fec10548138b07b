"""Data quality: Great Expectations suites on raw snapshots and marts, surfaced as Dagster asset checks.

`raw_asset_checks` target `hub_model_snapshots`; `mart_asset_checks` target the dbt marts. Both need the
`paths` (HubpulsePaths) and `quality` (QualityConfig, from `quality_config_from_env()`) resources.
"""

from orchestration.quality.checks import mart_asset_checks, mart_asset_key, raw_asset_checks
from orchestration.quality.config import QualityConfig, quality_config_from_env

__all__ = [
    "QualityConfig",
    "mart_asset_checks",
    "mart_asset_key",
    "quality_config_from_env",
    "raw_asset_checks",
]
