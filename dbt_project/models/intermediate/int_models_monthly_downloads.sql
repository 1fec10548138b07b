{{
    config(
        materialized='incremental',
        incremental_strategy=windowed_incremental_strategy(),
        partition_by=windowed_partition_by('month_start'),
        unique_key=['model_id', 'month_start', 'is_post_r1', 'organization', 'region'],
        on_schema_change='fail',
        tags=['daily_partitioned'],
        pre_hook="{{ delete_build_window('month_start', from_sql=downloads_recompute_from(month=true)) }}",
        post_hook="{{ log_build(ref('int_models_daily_downloads'), 'daily_downloads_window_log') }}",
    )
}}

{#-
    The monthly marts' compact copy of int_models_daily_downloads (issue 18): each model's daily downloads summed
    per month, split at the `r1_release_date` var (only R1's month has both halves) and by the organisation and
    region of the day, about one row per model and month instead of one per day. fct_language_family_downloads,
    fct_release_licences, fct_ecosystem_vs_benchmark, fct_supply_chain and fct_unattributed_organizations
    aggregate it instead of every daily row of the history.

    downloads is the sum of the known daily downloads (null when none of the days is known, as a sum of nulls:
    so a sum of these rows is null exactly when the daily rows' sum is); known_daily_rows and daily_rows count the
    known and all daily rows.

    A windowed run rebuilds every month from the month of the first day int_models_daily_downloads' rows
    changed (macros/downloads_recompute_from.sql: the window start, a gap's spread before it, rows a re-crawl
    deleted) through the month of the window end, each month whole from the daily rows, so a daily run reads
    the days of the current month only and any sequence of windows equals a full refresh.
-#}

{%- set window = build_window() %}
{%- set recompute_from = downloads_recompute_from(month=true) if window is not none else none %}

with

daily_downloads as {{ inlined() }} (

    select * from {{ ref('int_models_daily_downloads') }}
    {% if window is not none %}
    -- Whole months, from the first one rebuilt through the window end's (the pre-hook deleted the same months).
    where download_date >= {{ recompute_from }}
        and download_date <= date '{{ month_end(window.end) }}'
    {% endif %}

),

final as (

    select
        model_id,
        cast(date_trunc('month', download_date) as date) as month_start,
        download_date >= {{ r1_release_date() }} as is_post_r1,
        organization,
        region,
        sum(daily_downloads) as downloads,
        count(daily_downloads) as known_daily_rows,
        count(*) as daily_rows
    from daily_downloads
    group by
        model_id,
        cast(date_trunc('month', download_date) as date),
        download_date >= {{ r1_release_date() }},
        organization,
        region

)

select * from final
