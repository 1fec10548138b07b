"""The dbt side: the `DbtProject` and the `dbt` resource (`project.py`), the translator (`translator.py`, with its
automation conditions in `conditions.py`), the three `@dbt_assets` sets (`assets.py`), the metadata and charts
their materializations carry (`metadata.py`, `charts.py`), and the warehouse job and automation sensor (`jobs.py`).
"""
