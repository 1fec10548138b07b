{{
    config(
        materialized='incremental',
        incremental_strategy=windowed_incremental_strategy(),
        partition_by=windowed_partition_by('snapshot_date'),
        unique_key=['model_id', 'snapshot_date'],
        on_schema_change='fail',
        tags=['daily_partitioned'],
        pre_hook=[
            "{{ create_daily_window_log(this) }}",
            "{{ upgrade_daily_window_log(this) }}",
            "{{ log_daily_window() }}",
            "{{ delete_build_window('snapshot_date') }}",
        ],
    )
}}

{#-
    The compact daily copy of the snapshots the unpartitioned models aggregate over the whole history: one row
    per model and snapshot date, typed and deduplicated (int_model_snapshots_attributed), with the narrow columns
    of the model's profile and, instead of the wide tags / JSON columns, the id of the day's listing (whose
    columns int_model_listings holds once per distinct listing). Without it every run re-read and re-typed every
    raw partition, JSON included, to find each model's first, last and latest snapshot and its listings: a daily
    cost growing with the history (issue 18). Incremental by snapshot_date like fct_model_daily: a window
    replaces its days (a day re-ingested with fewer models leaves no stale rows). Each build logs its window first
    (daily_window_log, macros/window_log.sql): int_model_names_seen, a state folded from these rows, merges
    only new days unless a window rewrote a day it merged.

    No organisation or region: they are the attribution of the author (macros/author_attribution.sql), applied
    where the rows are read, so an edit of the override file shows on the next build without rebuilding days.
-#}

with

model_snapshots as {{ inlined() }} (

    select * from {{ ref('int_model_snapshots_attributed') }}
    where {{ build_window_filter('snapshot_date') }}

),

final as (

    select
        model_id,
        snapshot_date,
        repo_id,
        hub_object_id,
        namespace,
        author,
        created_at,
        created_date,
        is_placeholder_created_at,
        pipeline_tag,
        library_name,
        parameter_count,
        is_gated,
        gated_mode,
        downloads_all_time,
        downloads_30d,
        likes,
        trending_score,
        {{ listing_id() }} as listing_id
    from model_snapshots

)

select * from final
