"""`serving/published_marts`: the read-only copy of the marts for BI tools, published after each build."""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at definition time.
import dagster as dg

from orchestration.dbt.assets import dbt_daily_models, dbt_marts
from orchestration.dbt.conditions import follow_parents_automation
from orchestration.pools import WAREHOUSE_POOL
from orchestration.resources import HubpulsePaths
from orchestration.serving.publish import publish, serving_dir

MART_KEYS = sorted(
    (key for assets in (dbt_daily_models, dbt_marts) for key in assets.keys if key.path[0] == "marts"),
    key=lambda key: key.to_user_string(),
)
SERVING_KEY = dg.AssetKey(["serving", "published_marts"])


@dg.asset(
    key=SERVING_KEY,
    deps=MART_KEYS,
    kinds={"duckdb", "parquet"},
    group_name="serving",
    owners=["team:hubpulse"],
    tags={"layer": "serving"},
    pool=WAREHOUSE_POOL,
    automation_condition=follow_parents_automation(),
)
def published_marts(context: dg.AssetExecutionContext, paths: HubpulsePaths) -> dg.MaterializeResult:
    """The marts, published for BI tools and the dashboard: `<HUBPULSE_HOME>/serving/hubpulse.duckdb`
    (DuckDB, readable by DuckDB 1.0 and newer) and `serving/parquet/<mart>.parquet`, switched atomically to
    the new version, so readers never see a mix and never hold a lock a run needs."""
    target = serving_dir(paths.root)
    publication = publish(paths.warehouse, target, run_id=context.run.run_id, log=context.log.info)
    return dg.MaterializeResult(
        metadata={
            "version": publication.version,
            "dagster/row_count": publication.total_rows,
            "newest_snapshot_date": publication.newest_snapshot_date or "none",
            "date_range": f"{publication.oldest_snapshot_date} .. {publication.newest_snapshot_date}",
            "tables": dg.MetadataValue.table(
                records=[dg.TableRecord({"mart": name, "rows": rows}) for name, rows in publication.tables.items()],
                schema=dg.TableSchema(columns=[dg.TableColumn("mart", "string"), dg.TableColumn("rows", "int")]),
            ),
            "duckdb_file": dg.MetadataValue.path(str(target / "hubpulse.duckdb")),
            "parquet_dir": dg.MetadataValue.path(str(target / "parquet")),
            "version_dir": dg.MetadataValue.path(str(publication.directory)),
            "removed_versions": len(publication.removed_versions),
            "seconds": publication.seconds,
        }
    )
