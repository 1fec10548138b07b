-- A table, not a view: the export is read by a path only a dbt run resolves (see set_file_search_path),
-- so a view over it would break in a BI tool opening the warehouse.
{{ config(materialized='table') }}

with

source as {{ inlined() }} (

    select * from {{ source('benchmarks', 'open_llm_leaderboard_v2') }}

),

final as (

    select
        id as submission_id,
        model_name as repo_id,
        model_sha,
        model_precision,
        model_type,
        cast(model_average_score as double) as average_normalized_score,
        cast(evaluations_ifeval_normalized_score as double) as ifeval_normalized_score,
        cast(evaluations_bbh_normalized_score as double) as bbh_normalized_score,
        cast(evaluations_math_normalized_score as double) as math_lvl5_normalized_score,
        cast(evaluations_gpqa_normalized_score as double) as gpqa_normalized_score,
        cast(evaluations_musr_normalized_score as double) as musr_normalized_score,
        cast(evaluations_mmlu_pro_normalized_score as double) as mmlu_pro_normalized_score,
        coalesce(cast(features_is_flagged as boolean), false) as is_flagged,
        coalesce(cast(features_is_merged as boolean), false) as is_merged,
        coalesce(cast(features_is_moe as boolean), false) as is_moe,
        coalesce(cast(features_is_official_provider as boolean), false) as is_official_provider,
        metadata_base_model as base_model_repo_id,
        cast(metadata_params_billions as double) as params_billions,
        cast(metadata_upload_date as date) as uploaded_date,
        cast(metadata_submission_date as date) as submitted_date
    from source

)

select * from final
