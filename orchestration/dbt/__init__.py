"""The dbt side: the DbtProject, the translator and the two @dbt_assets sets."""
