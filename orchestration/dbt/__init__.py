"""The dbt side: the project and manifest, the translator, the three dbt asset sets and the cache of their specs.

Loading the code location does not import dagster-dbt: see `specs.py` (the cache), `assets.py` (the sets) and
`runtime.py` (running dbt in a step).
"""
