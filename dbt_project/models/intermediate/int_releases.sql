with

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

parents_per_child as {{ inlined() }} (

    select * from {{ ref('int_models_classified') }}

),

final as (

    -- A release is a model whose real createdAt (not the 2022-03-02 placeholder) is known: one row per model.
    select
        models.model_id,
        models.repo_id,
        models.organization,
        models.region,
        models.created_at,
        models.created_date as release_date,
        cast(date_trunc('week', models.created_date) as date) as release_week,
        cast(date_trunc('month', models.created_date) as date) as release_month,
        coalesce(parents_per_child.relation, 'original') as relation,
        parents_per_child.origin,
        coalesce(parents_per_child.base_models, 0) as base_models,
        parents_per_child.first_base_repo_id,
        models.pipeline_tag,
        models.created_date >= {{ r1_release_date() }} as is_post_r1
    from models
    left join parents_per_child
        on models.model_id = parents_per_child.model_id
    where models.created_date is not null

)

select * from final
