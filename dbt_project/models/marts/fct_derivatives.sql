{#-
    Every model of dim_models is a base model (zero when nothing builds on it). A derivative is a child with a
    base-model edge to the model, counted once per (child, parent). days_to_first_derivative = the earliest child's
    creation date - the base's release date; derivatives_within_42_days = children created 0..42 days after the
    base's release; both need real (non-placeholder) creation dates. share_by_other_organizations =
    cross-organisation children / children. Regions: derivatives_classified_pair counts the children whose builder's
    and base's regions are both us, china, eu or other; share_cross_region = the cross-region ones among them / them
    (null when none); derivatives_unattributed = the rest (builder or base `unclassified` or `unknown`), reported
    beside it.
-#}

{%- set days_from_parent_to_child = dbt.datediff('lineage.parent_created_date', 'lineage.child_created_date', 'day') %}

with

models as {{ inlined() }} (

    select * from {{ ref('dim_models') }}

),

lineage as {{ inlined() }} (

    select * from {{ ref('int_model_lineage') }}

),

children as (

    select
        lineage.parent_model_id as base_model_id,
        count(*) as derivatives,
        count(*) filter (where lineage.relation = 'finetune') as derivatives_finetune,
        count(*) filter (where lineage.relation = 'quantized') as derivatives_quantized,
        count(*) filter (where lineage.relation = 'adapter') as derivatives_adapter,
        count(*) filter (where lineage.relation = 'merge') as derivatives_merge,
        count(*) filter (where lineage.is_same_org) as derivatives_same_org,
        count(*) filter (where not lineage.is_same_org) as derivatives_cross_org,
        count(*) filter (
            where lineage.child_region in {{ attributed_regions() }}
            and lineage.parent_region in {{ attributed_regions() }}
        ) as derivatives_classified_pair,
        count(*) filter (
            where lineage.child_region in {{ attributed_regions() }}
            and lineage.parent_region in {{ attributed_regions() }}
            and lineage.child_region != lineage.parent_region
        ) as derivatives_cross_region,
        min(lineage.child_created_date) as first_derivative_date,
        count(*) filter (
            where {{ days_from_parent_to_child }} between 0 and 42
        ) as derivatives_within_42_days
    from lineage
    where lineage.parent_model_id is not null
    group by lineage.parent_model_id

),

final as (

    select
        models.model_id as base_model_id,
        models.repo_id as base_repo_id,
        models.organization,
        models.region,
        models.created_date as release_date,
        models.is_placeholder_created_at,
        coalesce(children.derivatives, 0) as derivatives,
        coalesce(children.derivatives_finetune, 0) as derivatives_finetune,
        coalesce(children.derivatives_quantized, 0) as derivatives_quantized,
        coalesce(children.derivatives_adapter, 0) as derivatives_adapter,
        coalesce(children.derivatives_merge, 0) as derivatives_merge,
        coalesce(children.derivatives_same_org, 0) as derivatives_same_org,
        coalesce(children.derivatives_cross_org, 0) as derivatives_cross_org,
        case
            when children.derivatives > 0 then children.derivatives_cross_org / children.derivatives
        end as share_by_other_organizations,
        coalesce(children.derivatives_classified_pair, 0) as derivatives_classified_pair,
        coalesce(children.derivatives_cross_region, 0) as derivatives_cross_region,
        coalesce(children.derivatives - children.derivatives_classified_pair, 0) as derivatives_unattributed,
        case
            when children.derivatives_classified_pair > 0
                then children.derivatives_cross_region / children.derivatives_classified_pair
        end as share_cross_region,
        children.first_derivative_date,
        {{ dbt.datediff('models.created_date', 'children.first_derivative_date', 'day') }} as days_to_first_derivative,
        case
            when models.created_date is not null then coalesce(children.derivatives_within_42_days, 0)
        end as derivatives_within_42_days
    from models
    left join children
        on models.model_id = children.base_model_id

)

select * from final
