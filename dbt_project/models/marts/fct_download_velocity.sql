{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['entity_type', 'entity_id', 'metric_date'],
        on_schema_change='fail',
        tags=['daily_partitioned'],
        pre_hook="{{ delete_build_window('metric_date', from_sql=velocity_recompute_from()) }}",
    )
}}

{#-
    Grain: entity_type (model, organization, region, total) x entity_id x metric_date, for every day on which
    the entity has a daily-download row (known or unknown).
    daily_downloads = sum of the known daily downloads of the entity's models that day (null when none known);
    velocity_7d / velocity_28d = sum of known daily downloads over the 7 / 28 days ending on the date
    (null when none is known); acceleration = velocity_7d(d) - velocity_7d(d - 7);
    share_of_total = velocity_28d / the tracked total's velocity_28d on the same date.

    A windowed run rebuilds every entity's rows from the earliest day the window's snapshots wrote daily
    downloads for (a missing date or a model returning after an absence fills days before the window start)
    through the window end, reading 27 more days of daily downloads before that for the 28-day sums.
-#}

{%- set window = build_window() %}

with

{% if window is not none %}
recompute as not materialized (

    select {{ velocity_recompute_from() }} as from_date

),
{% endif %}

daily_downloads as not materialized (

    select
        daily.download_date,
        daily.model_id,
        daily.repo_id,
        daily.organization,
        daily.region,
        daily.daily_downloads
    from {{ ref('int_models_daily_downloads') }} as daily
    {% if window is not none %}
    cross join recompute
    where daily.download_date >= recompute.from_date - 27
        and daily.download_date <= date '{{ window.end }}'
    {% endif %}

),

entity_days as (

    -- A model has one daily row per day (its snapshot intervals do not overlap): its days as they are;
    -- organisations, regions and the total sum their models' days.
    select
        'model' as entity_type,
        model_id as entity_id,
        repo_id as entity_name,
        download_date as metric_date,
        daily_downloads
    from daily_downloads
    union all
    select 'organization', organization, organization, download_date, sum(daily_downloads)
    from daily_downloads
    group by organization, download_date
    union all
    select 'region', region, region, download_date, sum(daily_downloads)
    from daily_downloads
    group by region, download_date
    union all
    select 'total', 'total', 'all tracked models', download_date, sum(daily_downloads)
    from daily_downloads
    group by download_date

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
    from (
        select *, date_diff('day', date '1970-01-01', metric_date) as day_number
        from entity_days
    )

),

totals as (

    -- The tracked total's 28-day velocity per day, from its own (one row a day) series.
    select
        download_date as metric_date,
        sum(sum(daily_downloads)) over (
            order by date_diff('day', date '1970-01-01', download_date) range between 27 preceding and current row
        ) as total_velocity_28d
    from daily_downloads
    group by download_date

),

final as (

    select
        velocities.entity_type,
        velocities.entity_id,
        velocities.entity_name,
        velocities.metric_date,
        velocities.daily_downloads,
        velocities.velocity_7d,
        velocities.velocity_28d,
        velocities.velocity_7d - velocities.previous_velocity_7d as acceleration,
        case
            when totals.total_velocity_28d > 0 then velocities.velocity_28d / totals.total_velocity_28d
        end as share_of_total
    from velocities
    inner join totals
        on velocities.metric_date = totals.metric_date
    {% if window is not none %}
    cross join recompute
    where velocities.metric_date >= recompute.from_date
    {% endif %}

)

select * from final
