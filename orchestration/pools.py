"""Dagster concurrency pools (limits in the instance's dagster.yaml, written by `hubpulse prepare`).

- `hub_api`: every step that sends requests to the Hub. One slot: two runs (a schedule tick and a backfill,
  say) never crawl at once, so together they stay under the Hub's rate limit.
- `warehouse`: every step that writes or reads `warehouse.duckdb` (dbt builds, mart checks, publishing).
  DuckDB lets no other process open a file while one writes it, so these steps take turns across runs.
"""

HUB_API_POOL = "hub_api"
WAREHOUSE_POOL = "warehouse"
