{#-
    Every week from the entity's first release through the week of the latest snapshot has a row (weeks without
    releases included). A release counts in the week of its real createdAt; the streak counts consecutive active
    weeks ending at the week; median_days_between_releases is the median, over the week's releases, of the days
    since the entity's previous release (release dates in UTC; same-day releases count 0).
-#}

with

releases as {{ inlined() }} (

    select * from {{ ref('int_releases') }}

),

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

model_snapshots_calendar as (

    -- The latest snapshot date (every model's last snapshot is profiled: the same date, without a history scan).
    select max(last_seen_date) as latest_snapshot_date
    from models

),

entity_releases as (

    select
        'organization' as entity_type,
        organization as entity_id,
        *
    from releases
    union all
    select
        'region' as entity_type,
        region as entity_id,
        *
    from releases

),

release_gaps as (

    select
        entity_type,
        entity_id,
        release_week,
        relation,
        origin,
        {{ dbt.datediff(
            'lag(release_date) over (partition by entity_type, entity_id order by created_at, model_id)',
            'release_date',
            'day',
        ) }} as days_since_previous_release
    from entity_releases

),

weekly_releases as (

    select
        entity_type,
        entity_id,
        release_week as week_start,
        count(*) as releases,
        count(*) filter (where relation = 'original') as releases_original,
        count(*) filter (where relation = 'finetune') as releases_finetune,
        count(*) filter (where relation = 'quantized') as releases_quantized,
        count(*) filter (where relation = 'adapter') as releases_adapter,
        count(*) filter (where relation = 'merge') as releases_merge,
        count(*) filter (where origin = 'same_org') as releases_same_org,
        count(*) filter (where origin = 'cross_org') as releases_cross_org,
        median(days_since_previous_release) as median_days_between_releases
    from release_gaps
    group by entity_type, entity_id, release_week

),

entity_spans as (

    select
        weekly_releases.entity_type,
        weekly_releases.entity_id,
        min(weekly_releases.week_start) as first_week_start,
        cast(date_trunc('week', any_value(model_snapshots_calendar.latest_snapshot_date)) as date)
            as last_week_start
    from weekly_releases
    cross join model_snapshots_calendar
    group by weekly_releases.entity_type, weekly_releases.entity_id

),

entity_weeks as (

    select
        entity_type,
        entity_id,
        {{ unnest_date_series('first_week_start', 'greatest(first_week_start, last_week_start)', 'interval 7 day') }}
            as week_start
    from entity_spans

),

dense as (

    select
        entity_weeks.entity_type,
        entity_weeks.entity_id,
        entity_weeks.week_start,
        coalesce(weekly_releases.releases, 0) as releases,
        coalesce(weekly_releases.releases_original, 0) as releases_original,
        coalesce(weekly_releases.releases_finetune, 0) as releases_finetune,
        coalesce(weekly_releases.releases_quantized, 0) as releases_quantized,
        coalesce(weekly_releases.releases_adapter, 0) as releases_adapter,
        coalesce(weekly_releases.releases_merge, 0) as releases_merge,
        coalesce(weekly_releases.releases_same_org, 0) as releases_same_org,
        coalesce(weekly_releases.releases_cross_org, 0) as releases_cross_org,
        weekly_releases.median_days_between_releases,
        coalesce(weekly_releases.releases, 0) > 0 as is_active_week
    from entity_weeks
    left join weekly_releases
        on entity_weeks.entity_type = weekly_releases.entity_type
        and entity_weeks.entity_id = weekly_releases.entity_id
        and entity_weeks.week_start = weekly_releases.week_start

),

streak_groups as (

    -- Each inactive week starts a new group; the streak is the count of active weeks so far in the group.
    select
        *,
        count(*) filter (where not is_active_week) over (
            partition by entity_type, entity_id order by week_start rows between unbounded preceding and current row
        ) as streak_group
    from dense

),

final as (

    select
        entity_type,
        entity_id,
        week_start,
        cast({{ iso_year('week_start') }} as integer) as iso_year,
        cast({{ iso_week('week_start') }} as integer) as iso_week,
        releases,
        releases_original,
        releases_finetune,
        releases_quantized,
        releases_adapter,
        releases_merge,
        releases_same_org,
        releases_cross_org,
        is_active_week,
        cast(
            count(*) filter (where is_active_week) over (
                partition by entity_type, entity_id, streak_group
                order by week_start rows between unbounded preceding and current row
            ) as integer
        ) as active_week_streak,
        median_days_between_releases,
        week_start >= {{ r1_release_date() }} as is_post_r1
    from streak_groups

)

select * from final
