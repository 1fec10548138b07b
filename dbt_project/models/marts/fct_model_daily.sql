{{
    config(
        materialized='incremental',
        incremental_strategy=windowed_incremental_strategy(),
        partition_by=windowed_partition_by('snapshot_date'),
        unique_key=['model_id', 'snapshot_date'],
        on_schema_change='fail',
        tags=['daily_partitioned'],
        pre_hook="{{ delete_build_window('snapshot_date') }}",
    )
}}

with

model_snapshots as {{ inlined() }} (

    select * from {{ ref('int_model_snapshots_attributed') }}
    where {{ build_window_filter('snapshot_date') }}

),

daily_downloads as {{ inlined() }} (

    select * from {{ ref('int_models_daily_downloads') }}
    where {{ build_window_filter('snapshot_date') }}
        and download_date = snapshot_date

),

final as (

    select
        model_snapshots.model_id,
        model_snapshots.snapshot_date,
        model_snapshots.repo_id,
        model_snapshots.organization,
        model_snapshots.region,
        model_snapshots.downloads_30d,
        model_snapshots.downloads_all_time,
        daily_downloads.daily_downloads,
        daily_downloads.is_interpolated,
        daily_downloads.is_recount,
        daily_downloads.is_new_model,
        daily_downloads.is_entered_scope,
        model_snapshots.likes,
        model_snapshots.trending_score,
        model_snapshots.is_gated,
        model_snapshots.is_private,
        model_snapshots.is_disabled
    from model_snapshots
    inner join daily_downloads
        on model_snapshots.model_id = daily_downloads.model_id
        and model_snapshots.snapshot_date = daily_downloads.snapshot_date

)

select * from final
