with

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

releases as {{ inlined() }} (

    select * from {{ ref('int_releases') }}

),

benchmarks as {{ inlined() }} (

    select * from {{ ref('int_models_benchmarked') }}

),

base_models as {{ inlined() }} (

    select * from {{ ref('int_models_classified') }}

),

final as (

    select
        models.model_id,
        models.repo_id,
        models.first_repo_id,
        models.repo_ids_seen,
        models.author,
        models.organization,
        models.region,
        models.created_at,
        models.created_date,
        models.is_placeholder_created_at,
        releases.model_id is not null as is_release,
        coalesce(base_models.relation, 'original') as relation,
        base_models.origin,
        coalesce(base_models.base_models, 0) as base_models,
        models.pipeline_tag,
        models.library_name,
        models.license,
        models.languages,
        models.parameter_count,
        models.is_gated,
        models.gated_mode,
        models.downloads_all_time,
        models.downloads_30d,
        models.likes,
        models.trending_score,
        benchmarks.leaderboard_score,
        benchmarks.carried_score,
        benchmarks.benchmark_score,
        models.first_seen_date,
        models.last_seen_date,
        models.snapshots_seen,
        models.is_deleted
    from models
    left join releases
        on models.model_id = releases.model_id
    left join benchmarks
        on models.model_id = benchmarks.model_id
    left join base_models
        on models.model_id = base_models.model_id

)

select * from final
