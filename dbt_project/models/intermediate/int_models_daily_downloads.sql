{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['model_id', 'download_date'],
        on_schema_change='fail',
        tags=['daily_partitioned'],
        pre_hook="{{ delete_build_window('snapshot_date') }}",
    )
}}

{#-
    Daily downloads per SPEC: daily_downloads(m, d) = downloads_all_time(m, d) - downloads_all_time(m, p),
    p = m's previous snapshot. A snapshot d produces one row for every day of (p, d]:
    - k = d - p > 1 (a missing date, or the model absent a while): the delta is spread evenly as a
      fractional double, delta / k on each of the k days (is_interpolated), so the k rows sum to the delta;
    - delta < 0 (a Hub recount): 0 on each day of the interval (is_recount);
    - first appearance of a model created after the previous snapshot date P of the whole dataset
      (created_date > P; P = d - 1 on the first date ever): its whole downloads_all_time, spread over
      [created_date, d] (is_new_model);
    - first appearance otherwise (entered the scope without being new, or placeholder / unknown createdAt):
      one row on d with null daily downloads (is_entered_scope);
    - a null downloads_all_time at d or at p: null daily downloads on every day of the interval.

    Windowed runs (HUBPULSE_WINDOW_START/END) read only the raw partitions of the window. Each model's previous
    snapshot (however old) and the previous snapshot date of the dataset come from the rows already built
    ({{ this }}), so a sequence of daily windows equals a full refresh.
-#}

{%- set window = build_window() %}
{%- set look_back = window is not none and is_incremental() %}

with

model_snapshots as not materialized (

    select * from {{ ref('stg_hub__model_snapshots') }}
    where {{ build_window_filter('snapshot_date') }}

),

window_snapshots as materialized (

    -- The window's snapshot rows, read from the staging view once, with only the columns used below.
    select
        model_id,
        snapshot_date,
        repo_id,
        organization,
        region,
        created_date,
        downloads_all_time
    from model_snapshots

),

{% if look_back %}
previous_snapshots as (

    -- Each model's last snapshot before the window, however old, from the rows already built
    -- (one observed row per model and snapshot: download_date = snapshot_date).
    select
        model_id,
        max(snapshot_date) as snapshot_date,
        arg_max_null(downloads_all_time, snapshot_date) as downloads_all_time
    from {{ this }}
    where snapshot_date < date '{{ window.start }}'
        and download_date = snapshot_date
        and model_id in (select model_id from window_snapshots)
    group by model_id

),

previous_calendar as (

    select max(snapshot_date) as snapshot_date
    from {{ this }}
    where snapshot_date < date '{{ window.start }}'

),
{% endif %}

observations as (

    select
        model_id,
        snapshot_date,
        repo_id,
        organization,
        region,
        created_date,
        downloads_all_time,
        false as is_look_back
    from window_snapshots
    {% if look_back %}
    union all
    select
        model_id,
        snapshot_date,
        null as repo_id,
        null as organization,
        null as region,
        null as created_date,
        downloads_all_time,
        true as is_look_back
    from previous_snapshots
    {% endif %}

),

snapshot_dates as (

    select distinct snapshot_date from window_snapshots
    {% if look_back %}
    union
    select snapshot_date from previous_calendar where snapshot_date is not null
    {% endif %}

),

calendar as (

    select
        snapshot_date,
        lag(snapshot_date) over (order by snapshot_date) as previous_calendar_date
    from snapshot_dates

),

intervals as (

    select
        observations.*,
        lag(snapshot_date) over by_model as previous_snapshot_date,
        lag(downloads_all_time) over by_model as previous_downloads_all_time
    from observations
    window by_model as (partition by model_id order by snapshot_date)

),

classified as (

    select
        intervals.*,
        case
            when intervals.previous_snapshot_date is not null then 'interval'
            when intervals.created_date > coalesce(calendar.previous_calendar_date, intervals.snapshot_date - 1)
                then 'new_model'
            else 'entered_scope'
        end as interval_kind
    from intervals
    inner join calendar
        on intervals.snapshot_date = calendar.snapshot_date
    where not intervals.is_look_back

),

measured as (

    select
        *,
        case interval_kind
            when 'interval' then previous_snapshot_date + 1
            when 'new_model' then least(created_date, snapshot_date)
            else snapshot_date
        end as first_download_date,
        case interval_kind
            when 'interval' then downloads_all_time - previous_downloads_all_time
            when 'new_model' then downloads_all_time
        end as interval_downloads
    from classified

),

spread as (

    select
        *,
        date_diff('day', first_download_date, snapshot_date) + 1 as days_in_interval,
        unnest(range(date_diff('day', first_download_date, snapshot_date) + 1)) as day_offset
    from measured

),

final as (

    select
        model_id,
        cast(first_download_date + cast(day_offset as integer) as date) as download_date,
        snapshot_date,
        previous_snapshot_date,
        cast(days_in_interval as integer) as days_in_interval,
        repo_id,
        organization,
        region,
        downloads_all_time,
        previous_downloads_all_time,
        interval_downloads,
        case
            when interval_downloads < 0 then 0.0
            else cast(interval_downloads as double) / days_in_interval
        end as daily_downloads,
        days_in_interval > 1 as is_interpolated,
        coalesce(interval_downloads < 0, false) as is_recount,
        interval_kind = 'new_model' as is_new_model,
        interval_kind = 'entered_scope' as is_entered_scope
    from spread

)

select * from final
