{#- The region seed (`organization_regions`, the ATOM Project's classification) as loaded. -#}

with

organization_regions as {{ inlined() }} (

    select * from {{ ref('organization_regions') }}

),

final as (

    select
        hf_org,
        region,
        notes
    from organization_regions

)

select * from final
