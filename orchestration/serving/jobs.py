"""Publishing the marts on demand, without rebuilding them."""

import dagster as dg

from orchestration.serving.assets import published_marts

publish_job = dg.define_asset_job(
    name="publish_serving_copy",
    selection=dg.AssetSelection.assets(published_marts),
    description="Publish the warehouse's marts as they are to serving/ (DuckDB copy and Parquet).",
)
