{#-
    How much of each answer rests on attribution. For every day from the first to the last snapshot, and every month
    they touch, the share of downloads, releases and new derivatives held by organisations without a region
    (`unclassified`: neither the region seed nor the override file knows them; `unknown`: the seed says it cannot
    tell).

    - downloads: known daily downloads (the SPEC's) of the period, by the region each model-day was built with
      (the region rows of fct_download_velocity rest on the same attribution);
    - releases: int_releases by release date; derivatives: base-model edges by the child's creation date,
      unattributed when the builder has no region (unattributed_derivatives) or when either side has none
      (unattributed_pairs: the part the cross-region shares of fct_supply_chain leave out);
    - unattributed_velocity_28d_share (day rows only): the unclassified and unknown regions' 28-day velocity
      over the tracked total that day, from fct_download_velocity (the unattributed line of its shares).
    Releases and derivatives created before the first snapshot are outside every period (see fct_supply_chain).
    Shares are null when the period has nothing known to share.
-#}

with

daily_downloads as {{ inlined() }} (

    select * from {{ ref('int_models_daily_downloads') }}

),

releases as {{ inlined() }} (

    select * from {{ ref('int_releases') }}

),

lineage as {{ inlined() }} (

    select * from {{ ref('int_model_lineage') }}

),

velocity as {{ inlined() }} (

    select * from {{ ref('fct_download_velocity') }}

),

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

observed as (

    select
        min(first_seen_date) as first_snapshot_date,
        max(last_seen_date) as last_snapshot_date
    from models

),

days as (

    {{ select_calendar_dates('observed', 'first_snapshot_date', 'last_snapshot_date', 'calendar_date') }}

),

periods as (

    select distinct
        'day' as period_type,
        calendar_date as period_start,
        calendar_date as period_end
    from days

    union all

    select distinct
        'month' as period_type,
        cast(date_trunc('month', calendar_date) as date) as period_start,
        cast(date_trunc('month', calendar_date) + interval 1 month - interval 1 day as date) as period_end
    from days

),

download_days as (

    select
        download_date as calendar_date,
        sum(daily_downloads) as downloads,
        coalesce(sum(daily_downloads) filter (where region not in {{ attributed_regions() }}), 0)
            as unattributed_downloads
    from daily_downloads
    where daily_downloads is not null
    group by download_date

),

release_days as (

    select
        release_date as calendar_date,
        count(*) as releases,
        count(*) filter (where region not in {{ attributed_regions() }}) as unattributed_releases
    from releases
    group by release_date

),

derivative_days as (

    select
        child_created_date as calendar_date,
        count(*) as derivatives,
        count(*) filter (where child_region not in {{ attributed_regions() }}) as unattributed_derivatives,
        count(*) filter (
            where child_region not in {{ attributed_regions() }}
            or parent_region not in {{ attributed_regions() }}
        ) as unattributed_pairs
    from lineage
    where child_created_date is not null
    group by child_created_date

),

velocity_days as (

    select
        metric_date as calendar_date,
        sum(velocity_28d) filter (where entity_id not in {{ attributed_regions() }}) as unattributed_velocity_28d,
        sum(velocity_28d) as velocity_28d
    from velocity
    where entity_type = 'region'
    group by metric_date

),

per_period as (

    select
        periods.period_type,
        periods.period_start,
        periods.period_end,
        sum(download_days.downloads) as downloads,
        sum(download_days.unattributed_downloads) as unattributed_downloads,
        cast(coalesce(sum(release_days.releases), 0) as bigint) as releases,
        cast(coalesce(sum(release_days.unattributed_releases), 0) as bigint) as unattributed_releases,
        cast(coalesce(sum(derivative_days.derivatives), 0) as bigint) as derivatives,
        cast(coalesce(sum(derivative_days.unattributed_derivatives), 0) as bigint) as unattributed_derivatives,
        cast(coalesce(sum(derivative_days.unattributed_pairs), 0) as bigint) as unattributed_pairs,
        max(velocity_days.unattributed_velocity_28d) filter (where periods.period_type = 'day')
            as unattributed_velocity_28d,
        max(velocity_days.velocity_28d) filter (where periods.period_type = 'day') as velocity_28d
    from periods
    inner join days
        on days.calendar_date between periods.period_start and periods.period_end
    left join download_days
        on days.calendar_date = download_days.calendar_date
    left join release_days
        on days.calendar_date = release_days.calendar_date
    left join derivative_days
        on days.calendar_date = derivative_days.calendar_date
    left join velocity_days
        on days.calendar_date = velocity_days.calendar_date
    group by periods.period_type, periods.period_start, periods.period_end

),

final as (

    select
        per_period.period_type,
        per_period.period_start,
        per_period.period_end,
        per_period.period_start >= observed.first_snapshot_date
        and per_period.period_end <= observed.last_snapshot_date as is_period_fully_observed,
        per_period.downloads,
        per_period.unattributed_downloads,
        case when per_period.downloads > 0 then per_period.unattributed_downloads / per_period.downloads end
            as unattributed_download_share,
        per_period.releases,
        per_period.unattributed_releases,
        case when per_period.releases > 0 then per_period.unattributed_releases / per_period.releases end
            as unattributed_release_share,
        per_period.derivatives,
        per_period.unattributed_derivatives,
        case when per_period.derivatives > 0 then per_period.unattributed_derivatives / per_period.derivatives end
            as unattributed_derivative_share,
        per_period.unattributed_pairs,
        case when per_period.derivatives > 0 then per_period.unattributed_pairs / per_period.derivatives end
            as unattributed_pair_share,
        case
            when per_period.velocity_28d > 0
                then coalesce(per_period.unattributed_velocity_28d, 0) / per_period.velocity_28d
        end as unattributed_velocity_28d_share
    from per_period
    cross join observed

)

select * from final
