{{
    config(
        materialized='incremental',
        incremental_strategy=windowed_incremental_strategy(),
        partition_by=windowed_partition_by('metric_date'),
        unique_key=['entity_type', 'entity_id', 'metric_date'],
        on_schema_change='fail',
        tags=['daily_partitioned'],
        pre_hook="{{ delete_build_window('metric_date', from_sql=downloads_recompute_from()) }}",
        post_hook="{{ log_build(ref('int_models_daily_downloads'), 'daily_downloads_window_log') }}",
    )
}}

{#-
    An entity has a row on every day it is in scope (it has a daily-download row, known or unknown) and on every
    later day while its 28-day window still holds known downloads (is_in_scope = false: it left the scope, by a
    top-N list's churn, a tracker that stopped following it, a rename, a deletion or gating). Keeping those rows is
    what makes the shares of each entity type sum to exactly 1 on every day with a positive total: the total's
    28-day velocity still counts the downloads of an entity that left during the last 27 days.

    Two velocity measures, side by side:
    - daily_downloads / velocity_7d / velocity_28d: the exact measure, from downloadsAllTime deltas (sum of
      known daily downloads; null when none is known: the first day of a history, an archive without
      downloadsAllTime); acceleration = velocity_7d(d) - velocity_7d(d - 7);
      share_of_total = velocity_28d / the tracked total's velocity_28d on the same date.
    - downloads_30d: the Hub's own rolling 30-day `downloads`, summed over the entity's models observed in the
      snapshot of that day (null on days without a snapshot of the entity), known from the first snapshot;
      share_of_total_downloads_30d = downloads_30d / the total's downloads_30d that day.
    is_window_complete: the 28-day window ending on the date lies wholly after the history's first snapshot
    date (metric_date >= first snapshot + 28), so velocity_28d sums 28 measured days.

    A windowed run rebuilds every entity's rows from the earliest day the window's snapshots wrote daily
    downloads for (a missing date or a model returning after an absence fills days before the window start)
    through the window end, reading 27 more days of daily downloads before that for the 28-day sums.
-#}

{%- set window = build_window() %}
{#- The first day rebuilt, a date literal (looked up once here): macros/downloads_recompute_from.sql. #}
{%- set recompute_from = downloads_recompute_from() if window is not none else none %}

with

int_daily_downloads as {{ inlined() }} (

    select * from {{ ref('int_models_daily_downloads') }}

),

model_daily as {{ inlined() }} (

    select * from {{ ref('fct_model_daily') }}

),

daily_downloads as {{ inlined() }} (

    select
        daily.download_date,
        daily.model_id,
        daily.repo_id,
        daily.organization,
        daily.region,
        daily.daily_downloads
    from int_daily_downloads as daily
    {% if window is not none %}
    where daily.download_date >= {{ recompute_from }} - 27
        and daily.download_date <= date '{{ window.end }}'
    {% endif %}

),

reported as {{ inlined() }} (

    -- The Hub's own 30-day downloads of each model observed on a snapshot date.
    select
        model_day.snapshot_date,
        model_day.model_id,
        model_day.organization,
        model_day.region,
        model_day.downloads_30d
    from model_daily as model_day
    {% if window is not none %}
    where model_day.snapshot_date >= {{ recompute_from }}
        and model_day.snapshot_date <= date '{{ window.end }}'
    {% endif %}

),

history as (

    -- The first snapshot date of the whole history (not of the window): complete 28-day windows start 28 days
    -- after it.
    select min(snapshot_date) as first_snapshot_date
    from int_daily_downloads

),

entity_days as {{ computed_once() }} (

    -- The days each entity is in scope. A model has one daily row per day (its snapshot intervals do not
    -- overlap): its days as they are; organisations, regions and the total sum their models' days.
    select
        'model' as entity_type,
        model_id as entity_id,
        repo_id as entity_name,
        download_date as metric_date,
        daily_downloads
    from daily_downloads
    union all
    select
        'organization' as entity_type,
        organization as entity_id,
        organization as entity_name,
        download_date as metric_date,
        sum(daily_downloads) as daily_downloads
    from daily_downloads
    group by organization, download_date
    union all
    select
        'region' as entity_type,
        region as entity_id,
        region as entity_name,
        download_date as metric_date,
        sum(daily_downloads) as daily_downloads
    from daily_downloads
    group by region, download_date
    union all
    select
        'total' as entity_type,
        'total' as entity_id,
        'all tracked models' as entity_name,
        download_date as metric_date,
        sum(daily_downloads) as daily_downloads
    from daily_downloads
    group by download_date

),

entity_reported as (

    select
        'model' as entity_type,
        model_id as entity_id,
        snapshot_date as metric_date,
        cast(sum(downloads_30d) as bigint) as downloads_30d
    from reported
    group by model_id, snapshot_date
    union all
    select
        'organization' as entity_type,
        organization as entity_id,
        snapshot_date as metric_date,
        cast(sum(downloads_30d) as bigint) as downloads_30d
    from reported
    group by organization, snapshot_date
    union all
    select
        'region' as entity_type,
        region as entity_id,
        snapshot_date as metric_date,
        cast(sum(downloads_30d) as bigint) as downloads_30d
    from reported
    group by region, snapshot_date
    union all
    select
        'total' as entity_type,
        'total' as entity_id,
        snapshot_date as metric_date,
        cast(sum(downloads_30d) as bigint) as downloads_30d
    from reported
    group by snapshot_date

),

calendar_end as (

    select max(download_date) as last_date from daily_downloads

),

entity_spans as (

    -- Each entity's days from its first day in scope to 27 days after its last (its 28-day window then still
    -- holds days in scope), never beyond the last day of the history read.
    select
        entity_days.entity_type,
        entity_days.entity_id,
        min(entity_days.metric_date) as first_date,
        least(max(entity_days.metric_date) + 27, any_value(calendar_end.last_date)) as last_date
    from entity_days
    cross join calendar_end
    group by entity_days.entity_type, entity_days.entity_id

),

grid as (

    select
        entity_spans.entity_type,
        entity_spans.entity_id,
        {{ unnest_date_series('entity_spans.first_date', 'entity_spans.last_date', 'interval 1 day') }}
            as metric_date
    from entity_spans

),

series as (

    select
        grid.entity_type,
        grid.entity_id,
        -- Out of scope, the name it had on its last day in scope.
        {{ last_value_ignore_nulls('entity_days.entity_name') }} over (
            partition by grid.entity_type, grid.entity_id order by grid.metric_date
        ) as entity_name,
        grid.metric_date,
        entity_days.daily_downloads,
        entity_reported.downloads_30d,
        entity_days.metric_date is not null as is_in_scope,
        {{ dbt.datediff("date '1970-01-01'", 'grid.metric_date', 'day') }} as day_number
    from grid
    left join entity_days
        on grid.entity_type = entity_days.entity_type
        and grid.entity_id = entity_days.entity_id
        and grid.metric_date = entity_days.metric_date
    left join entity_reported
        on grid.entity_type = entity_reported.entity_type
        and grid.entity_id = entity_reported.entity_id
        and grid.metric_date = entity_reported.metric_date

),

velocities as (

    select
        *,
        sum(daily_downloads) over (
            partition by entity_type, entity_id order by day_number range between 6 preceding and current row
        ) as velocity_7d,
        sum(daily_downloads) over (
            partition by entity_type, entity_id order by day_number range between 27 preceding and current row
        ) as velocity_28d,
        sum(daily_downloads) over (
            partition by entity_type, entity_id order by day_number range between 13 preceding and 7 preceding
        ) as previous_velocity_7d
    from series

),

kept as (

    -- Out of scope, an entity is kept only while its 28-day window holds known downloads.
    select * from velocities
    where is_in_scope or velocity_28d is not null

),

with_totals as (

    -- The total's row of the same date, taken by a window over the date rather than by joining the kept rows to
    -- themselves (which made DuckDB keep both sides of a year of model-days in memory at once).
    select
        *,
        max(case when entity_type = 'total' then 1 end) over (partition by metric_date) as has_total,
        max(case when entity_type = 'total' then velocity_28d end) over (
            partition by metric_date
        ) as total_velocity_28d,
        max(case when entity_type = 'total' then downloads_30d end) over (
            partition by metric_date
        ) as total_downloads_30d
    from kept

),

final as (

    select
        with_totals.entity_type,
        with_totals.entity_id,
        with_totals.entity_name,
        with_totals.metric_date,
        with_totals.daily_downloads,
        with_totals.velocity_7d,
        with_totals.velocity_28d,
        with_totals.velocity_7d - with_totals.previous_velocity_7d as acceleration,
        case
            when with_totals.total_velocity_28d > 0 then with_totals.velocity_28d / with_totals.total_velocity_28d
        end as share_of_total,
        with_totals.downloads_30d,
        case
            when with_totals.total_downloads_30d > 0
                then cast(with_totals.downloads_30d as double) / with_totals.total_downloads_30d
        end as share_of_total_downloads_30d,
        with_totals.is_in_scope,
        coalesce(with_totals.metric_date >= history.first_snapshot_date + 28, false) as is_window_complete
    from with_totals
    cross join history
    -- The shares need the total's row of the date: a date without one is left out.
    where with_totals.has_total = 1
    {% if window is not none %}
        and with_totals.metric_date >= {{ recompute_from }}
    {% endif %}

)

select * from final
