with

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

repo_ids as {{ inlined() }} (

    select * from {{ ref('int_repo_ids_resolved') }}

),

eval_results as {{ inlined() }} (

    select * from {{ ref('int_eval_results_parsed') }}

),

leaderboard as {{ inlined() }} (

    select * from {{ ref('stg_benchmarks__open_llm_leaderboard') }}

),

benchmarks as {{ inlined() }} (

    select * from {{ ref('open_llm_leaderboard_benchmarks') }}

),

organization_aliases as {{ inlined() }} (

    select * from {{ ref('organization_aliases') }}

),

leaderboard_canonical as (

    -- Joined by Hub id; an id under a renamed namespace (THUDM/x) finds the model under its new one.
    select
        leaderboard.*,
        {{ canonical_repo_id('leaderboard.repo_id', 'organization_aliases.organization') }} as canonical_repo_id
    from leaderboard
    left join organization_aliases
        on split_part(leaderboard.repo_id, '/', 1) = organization_aliases.legacy_namespace
    where not leaderboard.is_flagged

),

leaderboard_scores as (

    -- Best average normalised score over the model's (unflagged) submissions.
    select
        repo_ids.model_id,
        max(leaderboard_canonical.average_normalized_score) as leaderboard_score,
        count(*) as leaderboard_submissions
    from leaderboard_canonical
    inner join repo_ids
        on leaderboard_canonical.canonical_repo_id = repo_ids.canonical_repo_id
    group by repo_ids.model_id

),

carried_results as (

    -- Open LLM Leaderboard v2 results a model carries itself (evalResults or legacy model-index), as of
    -- the latest snapshot that carries any; each value is the benchmark's normalised score (0-100).
    select
        eval_results.model_id,
        eval_results.last_seen_date,
        benchmarks.benchmark,
        eval_results.result_value
    from eval_results
    inner join benchmarks
        on (
            eval_results.result_format = 'evalResults'
            and eval_results.dataset_id = benchmarks.eval_results_dataset_id
        )
        or (
            eval_results.result_format = 'model-index'
            and eval_results.dataset_id = benchmarks.model_index_dataset_type
        )
    where eval_results.result_value is not null
    qualify eval_results.last_seen_date = max(eval_results.last_seen_date) over (partition by eval_results.model_id)

),

carried_per_benchmark as (

    select
        model_id,
        benchmark,
        max(result_value) as result_value
    from carried_results
    group by model_id, benchmark

),

carried_scores as (

    -- Comparable with the leaderboard's average only when all six benchmarks are there.
    select
        model_id,
        avg(result_value) as carried_score,
        count(*) as carried_benchmarks
    from carried_per_benchmark
    group by model_id
    having count(*) = (select count(*) as benchmarks from benchmarks)

),

final as (

    select
        models.model_id,
        leaderboard_scores.leaderboard_score,
        coalesce(leaderboard_scores.leaderboard_submissions, 0) as leaderboard_submissions,
        carried_scores.carried_score,
        greatest(leaderboard_scores.leaderboard_score, carried_scores.carried_score) as benchmark_score
    from models
    left join leaderboard_scores
        on models.model_id = leaderboard_scores.model_id
    left join carried_scores
        on models.model_id = carried_scores.model_id

)

select * from final
