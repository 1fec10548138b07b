{#-
    The region seed (stg_reference__organization_regions, the ATOM Project's classification) with the user's
    override file (stg_reference__organization_region_overrides) laid over it. An override row replaces the
    seed's region of its namespace, or adds a namespace the seed does not know.

    A table, so a bad override row fails this model, at the start of the build, with a message naming the row
    (DuckDB's error()): an empty namespace, a region that is not us, china, eu, other or unknown, a namespace
    listed twice, an empty source. Nothing downstream is built on a half-read override file.
-#}

with

organization_regions as {{ inlined() }} (

    select * from {{ ref('stg_reference__organization_regions') }}

),

override_file as {{ inlined() }} (

    select * from {{ ref('stg_reference__organization_region_overrides') }}

),

overrides as (

    select
        *,
        count(*) over (partition by hf_org) as rows_for_namespace
    from override_file

),

checked as (

    select
        hf_org,
        region,
        override_source,
        case
            when hf_org is null
                then {{ error_function() }}(
                        'organization region overrides ({{ region_overrides_path() }}): '
                        || 'a row has no namespace (region ''' || region_as_written
                        || '''); every row needs namespace,region,source'
                    )
            when region is null or region not in {{ sql_list(var('attributed_regions') + ['unknown']) }}
                then {{ error_function() }}(
                        'organization region overrides ({{ region_overrides_path() }}): '
                        || 'namespace ''' || hf_org || ''' has region ''' || region_as_written
                        || ''', which is not one of {{ (var('attributed_regions') + ['unknown']) | join(', ') }}'
                    )
            when rows_for_namespace > 1
                then {{ error_function() }}(
                        'organization region overrides ({{ region_overrides_path() }}): '
                        || 'namespace ''' || hf_org || ''' is listed ' || rows_for_namespace
                        || ' times; keep one row per namespace'
                    )
            when override_source is null
                then {{ error_function() }}(
                        'organization region overrides ({{ region_overrides_path() }}): '
                        || 'namespace ''' || hf_org || ''' has no source; say where the region comes from'
                    )
        end as failure
    from overrides

),

final as (

    select
        checked.hf_org,
        checked.region,
        organization_regions.region as seed_region,
        'override' as region_source,
        checked.override_source as source_reference,
        organization_regions.notes
    from checked
    left join organization_regions
        on checked.hf_org = organization_regions.hf_org
    where checked.failure is null

    union all

    select
        organization_regions.hf_org,
        organization_regions.region,
        organization_regions.region as seed_region,
        'seed' as region_source,
        'ATOM Project tracked-models (seeds/organization_regions.csv)' as source_reference,
        organization_regions.notes
    from organization_regions
    where organization_regions.hf_org not in (select checked.hf_org from checked)

)

select * from final
