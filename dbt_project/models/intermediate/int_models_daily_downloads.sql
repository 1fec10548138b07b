{{
    config(
        materialized='incremental',
        incremental_strategy=windowed_incremental_strategy(),
        unique_key=['model_id', 'download_date'],
        partition_by=windowed_partition_by('snapshot_date'),
        on_schema_change='append_new_columns',
        tags=['daily_partitioned'],
        pre_hook=[
            "{{ create_daily_window_log(this, 'daily_downloads_window_log') }}",
            "{{ log_replaced_download_days() }}",
            "{{ delete_build_window('snapshot_date') }}",
        ],
    )
}}

{#-
    on_schema_change append_new_columns: a table built before `snapshot_fetched_at` existed gets the column added
    (null on its old rows, read as the documented default instant, the end of their date) instead of failing its
    next window.

    Daily downloads per SPEC: daily_downloads(m, d) = downloads_all_time(m, d) - downloads_all_time(m, p),
    p = m's previous snapshot. A snapshot d produces one row for every day of (p, d]:
    - k = d - p > 1 (a missing date, or the model absent a while): the delta is spread evenly as a
      fractional double, delta / k on each of the k days (is_interpolated), so the k rows sum to the delta;
    - delta < 0 (a Hub recount): 0 on each day of the interval (is_recount);
    - first appearance of a model created after the instant of the dataset's previous snapshot
      (created_at > T_P, T_P = fetched_at of the previous snapshot date P; on the first date ever, T_d - 1 day):
      its whole downloads_all_time, spread over [created_date, d] (is_new_model). A snapshot holds the Hub as
      fetched at its instant (live, normally 02:00 UTC of d), so a model created on P after T_P is first listed
      on d, and is new there although created_date = P. With the default instant (the end of the date,
      partitions that do not record one) the rule is created_date > P;
    - first appearance otherwise (entered the scope without being new, or placeholder / unknown createdAt):
      one row on d with null daily downloads (is_entered_scope);
    - a null downloads_all_time at d or at p: null daily downloads on every day of the interval.

    Windowed runs (HUBPULSE_WINDOW_START/END) read only the raw partitions of the window. Each model's previous
    snapshot (however old) and the previous snapshot date of the dataset and its instant (snapshot_fetched_at)
    come from the rows already built ({{ this }}), so a sequence of daily windows equals a full refresh.
-#}

{%- set window = build_window() %}
{%- set look_back = window is not none and is_incremental() %}

with

model_snapshots as {{ inlined() }} (

    select * from {{ ref('int_model_snapshots_attributed') }}
    where {{ build_window_filter('snapshot_date') }}

),

window_snapshots as {{ computed_once() }} (

    -- The window's snapshot rows, read from the snapshots view once, with only the columns used below.
    select
        model_id,
        snapshot_date,
        repo_id,
        organization,
        region,
        created_at,
        created_date,
        downloads_all_time,
        {{ fetched_at_or_default('fetched_at', 'snapshot_date') }} as fetched_at
    from model_snapshots

),

{% if look_back %}
-- ST03 (unused CTE): used in the look-back branches below; sqlfluff renders one `if` at a time.
built as {{ inlined() }} (  -- noqa: ST03

    -- The rows already built, with `snapshot_fetched_at` even in a table built before the column existed (null
    -- there: the default instant).
    {{ select_with_columns(this, 'cast(null as ' ~ type_instant() ~ ') as snapshot_fetched_at') }}

),

previous_date as (

    -- The dataset's last snapshot date before the window.
    select max(snapshot_date) as snapshot_date
    from built
    where snapshot_date < date '{{ window.start }}'

),

previous_date_snapshots as {{ computed_once() }} (

    -- The models observed on that date (one observed row per model and snapshot: download_date = snapshot_date):
    -- the previous snapshot of nearly every model of a daily window. Joined on the one date, so DuckDB prunes the
    -- scan of the built rows to that date instead of reading every day of the history.
    select
        built.model_id,
        built.snapshot_date,
        built.downloads_all_time,
        {{ fetched_at_or_default('built.snapshot_fetched_at', 'built.snapshot_date') }} as fetched_at
    from built
    inner join previous_date
        on built.snapshot_date = previous_date.snapshot_date
    where built.download_date = built.snapshot_date

),

previous_snapshots as (  -- noqa: ST03

    -- Each model's last snapshot before the window, however old: the previous date's row, else (a model absent
    -- on that date: it entered the scope, or came back after an absence) its last observed row before it.
    select
        model_id,
        snapshot_date,
        downloads_all_time
    from previous_date_snapshots
    where model_id in (select window_snapshots.model_id from window_snapshots)
    union all
    select
        model_id,
        max(snapshot_date) as snapshot_date,
        {{ arg_max_null('downloads_all_time', 'snapshot_date') }} as downloads_all_time
    from {{ this }}
    where snapshot_date < date '{{ window.start }}'
        and download_date = snapshot_date
        and model_id in (
            select window_snapshots.model_id from window_snapshots
            where window_snapshots.model_id not in (
                    select previous_date_snapshots.model_id from previous_date_snapshots
                )
        )
    group by model_id

),

previous_calendar as (  -- noqa: ST03

    -- The dataset's previous snapshot date before the window and the instant it was fetched at.
    select
        previous_date.snapshot_date,
        (
            select max(previous_date_snapshots.fetched_at) as fetched_at from previous_date_snapshots
        ) as fetched_at
    from previous_date

),
{% endif %}

observations as (

    select
        model_id,
        snapshot_date,
        repo_id,
        organization,
        region,
        created_at,
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
        null as created_at,
        null as created_date,
        downloads_all_time,
        true as is_look_back
    from previous_snapshots
    {% endif %}

),

snapshot_dates as (

    -- One instant per snapshot date (every row of a raw partition has the same).
    select
        snapshot_date,
        max(fetched_at) as fetched_at
    from window_snapshots
    group by snapshot_date
    {% if look_back %}
    union all
    select snapshot_date, fetched_at from previous_calendar where snapshot_date is not null
    {% endif %}

),

calendar as (

    select
        snapshot_date,
        fetched_at,
        lag(fetched_at) over (order by snapshot_date) as previous_fetched_at
    from snapshot_dates

),

intervals as (

    select
        *,
        lag(snapshot_date) over by_model as previous_snapshot_date,
        lag(downloads_all_time) over by_model as previous_downloads_all_time
    from observations
    window by_model as (partition by model_id order by snapshot_date)

),

classified as (

    select
        intervals.*,
        calendar.fetched_at as snapshot_fetched_at,
        case
            when intervals.previous_snapshot_date is not null then 'interval'
            -- New since the previous snapshot: created after the instant it was fetched at (strictly: a model
            -- created at that very instant was already there). The first date ever compares with its own
            -- instant a day earlier. created_date is null for the placeholder createdAt: never new.
            when intervals.created_date is not null
                and intervals.created_at > coalesce(calendar.previous_fetched_at, calendar.fetched_at - interval 1 day)
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
        {{ dbt.datediff('first_download_date', 'snapshot_date', 'day') }} + 1 as days_in_interval,
        {{ unnest_range(dbt.datediff('first_download_date', 'snapshot_date', 'day') ~ ' + 1') }} as day_offset
    from measured

),

final as (

    select
        model_id,
        cast(first_download_date + cast(day_offset as integer) as date) as download_date,
        snapshot_date,
        snapshot_fetched_at,
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
