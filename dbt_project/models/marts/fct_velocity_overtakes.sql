{#-
    The lasting overtake of B by A (SPEC): the first date from which A's measure stays above B's to the end of
    the history, looked for only on days whose window is complete and both values are known:
    - measure velocity_28d: region rows with is_window_complete (28 measured days in the window);
    - measure downloads_30d: region rows on snapshot days (the Hub's own 30-day window, complete from day one).
    A pair has a row only when A is ahead on the last comparable day and was level or behind on an earlier
    one: a region that led on every comparable day overtook nothing within the history.
    Only classified regions compare: `unclassified` (authors the region seed does not know) and `unknown`
    are not regions, so an overtake by or of them says nothing about the regions' standing.
    The one home of this rule: the demo summary, the charts, the dashboard and BI read it from here.
-#}

with

velocity as {{ inlined() }} (

    select * from {{ ref('fct_download_velocity') }}
    where entity_type = 'region'
        and entity_id not in {{ sql_list(var('unattributed_regions')) }}

),

region_days as (

    select
        'velocity_28d' as measure,
        entity_id as region,
        metric_date,
        cast(velocity_28d as double) as measure_value
    from velocity
    where is_window_complete
        and velocity_28d is not null
    union all
    select
        'downloads_30d' as measure,
        entity_id as region,
        metric_date,
        cast(downloads_30d as double) as measure_value
    from velocity
    where downloads_30d is not null

),

pairs as (

    select
        leader.measure,
        leader.region,
        trailer.region as overtaken_region,
        leader.metric_date,
        leader.measure_value as region_value,
        trailer.measure_value as overtaken_value
    from region_days as leader
    inner join region_days as trailer
        on leader.measure = trailer.measure
        and leader.metric_date = trailer.metric_date
        and leader.region <> trailer.region

),

pair_history as (

    select
        measure,
        region,
        overtaken_region,
        max(metric_date) filter (where region_value <= overtaken_value) as last_not_ahead_date,
        max(metric_date) as last_date,
        {{ arg_max('region_value', 'metric_date') }} as last_region_value,
        {{ arg_max('overtaken_value', 'metric_date') }} as last_overtaken_value,
        count(*) as comparable_days
    from pairs
    group by measure, region, overtaken_region

),

overtake_days as (

    -- The first comparable day after the last day the region was not ahead.
    select
        pairs.measure,
        pairs.region,
        pairs.overtaken_region,
        min(pairs.metric_date) as overtook_on,
        {{ arg_min('pairs.region_value', 'pairs.metric_date') }} as region_value,
        {{ arg_min('pairs.overtaken_value', 'pairs.metric_date') }} as overtaken_value
    from pairs
    inner join pair_history
        on pairs.measure = pair_history.measure
        and pairs.region = pair_history.region
        and pairs.overtaken_region = pair_history.overtaken_region
    where pairs.metric_date > pair_history.last_not_ahead_date
    group by pairs.measure, pairs.region, pairs.overtaken_region

),

final as (

    select
        overtake_days.measure,
        overtake_days.region,
        overtake_days.overtaken_region,
        overtake_days.overtook_on,
        overtake_days.region_value,
        overtake_days.overtaken_value,
        pair_history.last_date,
        pair_history.last_region_value,
        pair_history.last_overtaken_value,
        cast(pair_history.comparable_days as integer) as comparable_days
    from overtake_days
    inner join pair_history
        on overtake_days.measure = pair_history.measure
        and overtake_days.region = pair_history.region
        and overtake_days.overtaken_region = pair_history.overtaken_region

)

select * from final
