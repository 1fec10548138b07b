{#-
    The user's override file (`macros/region_overrides.sql`:
    `$HUBPULSE_HOME/reference/organization_region_overrides.csv`, header `namespace,region,source`), trimmed,
    with the values as written kept for int_organization_regions_overridden's error messages.

    A table, not a view: the file is found (or not) and read while dbt runs, from the home of that run; a view
    would keep the choice made at its creation and read a path only a dbt run resolves (a BI tool opening the
    warehouse would break), as the leaderboard's staging table explains.
-#}
{{ config(materialized='table') }}

with

override_file as {{ inlined() }} (

    select * from {{ region_overrides_relation() }}

),

final as (

    select
        nullif(trim(namespace), '') as hf_org,
        lower(nullif(trim(region), '')) as region,
        nullif(trim(source), '') as override_source,
        coalesce(trim(namespace), '') as namespace_as_written,
        coalesce(region, '') as region_as_written
    from override_file

)

select * from final
