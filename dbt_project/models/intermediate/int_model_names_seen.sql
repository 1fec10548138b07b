{{
    config(
        materialized='incremental' if model_names_seen_incremental() else 'table',
        incremental_strategy='delete+insert' if model_names_seen_incremental() else none,
        unique_key=['model_id', 'repo_id'],
        on_schema_change='fail',
        pre_hook="{{ delete_model_names_seen() }}",
        post_hook=[
            "{{ create_daily_window_log(ref('int_model_snapshots_daily')) }}",
            "{{ log_build(ref('int_model_snapshots_daily')) }}",
        ],
    )
}}

{#-
    The names each model was listed under, folded from the compact daily rows: per model and repo id its first and
    last snapshot dates, the snapshots counted and the attributes of its last snapshot under the name. The state
    int_models_profiled and int_repo_ids_resolved aggregate instead of every daily row, so the daily run reads
    the new days and about one row per model, whatever the length of the history (issue 18). A run merges the
    days after the state's last snapshot date, or recomputes whole after a window that rewrote a merged date (a
    late day, a re-crawl) or a whole build of the daily rows: macros/window_log.sql. Either way it equals a full
    refresh.
-#}

{%- set merges = model_names_seen_merges() %}
{%- if execute and model_names_seen_incremental() %}
    {%- do log(this.identifier ~ (': merging the days after its last snapshot date' if merges else ': building whole'),
               info=True) %}
{%- endif %}

with

model_days as {{ inlined() }} (

    select * from {{ ref('int_model_snapshots_daily') }}
    {%- if merges %}
    where snapshot_date > (select max(merged.last_seen_date) as merged_through from {{ this }} as merged)
    {%- endif %}

),

new_names as (

    select
        model_id,
        repo_id,
        min(snapshot_date) as first_seen_date,
        max(snapshot_date) as last_seen_date,
        count(*) as snapshots_seen,
        {{ arg_max(latest_snapshot_attributes(), 'snapshot_date') }} as latest
    from model_days
    group by model_id, repo_id

),

merged_names as (

    -- The state's rows of the names the new days show (none in a whole build).
    select
        model_id,
        repo_id,
        first_seen_date,
        snapshots_seen
    {%- if merges %}
    from {{ this }}
    {%- else %}
    from new_names
    where false
    {%- endif %}

),

final as (

    -- A name seen before keeps its first date and adds its counts; the rest is the new days'.
    select
        new_names.model_id,
        new_names.repo_id,
        coalesce(merged_names.first_seen_date, new_names.first_seen_date) as first_seen_date,
        new_names.last_seen_date,
        coalesce(merged_names.snapshots_seen, 0) + new_names.snapshots_seen as snapshots_seen,
        new_names.latest.hub_object_id,
        new_names.latest.namespace,
        new_names.latest.author,
        new_names.latest.created_at,
        new_names.latest.created_date,
        new_names.latest.is_placeholder_created_at,
        new_names.latest.pipeline_tag,
        new_names.latest.library_name,
        new_names.latest.parameter_count,
        new_names.latest.is_gated,
        new_names.latest.gated_mode,
        new_names.latest.downloads_all_time,
        new_names.latest.downloads_30d,
        new_names.latest.likes,
        new_names.latest.trending_score
    from new_names
    left join merged_names
        on new_names.model_id = merged_names.model_id
        and new_names.repo_id = merged_names.repo_id

)

select * from final
