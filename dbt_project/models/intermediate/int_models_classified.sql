with

lineage as {{ inlined() }} (

    select * from {{ ref('int_model_lineage') }}

),

final as (

    -- One relation per derived model: the most specific of its edges (merge, adapter, quantized, finetune);
    -- same_org only when every base belongs to the model's own organisation.
    select
        child_model_id as model_id,
        count(*) as base_models,
        {{ most_specific_relation('relation') }} as relation,
        case when bool_and(is_same_org) then 'same_org' else 'cross_org' end as origin,
        min(parent_repo_id) as first_base_repo_id
    from lineage
    group by child_model_id

)

select * from final
