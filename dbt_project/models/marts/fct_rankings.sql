{#-
    Grain: one row per period type, period, ranking measure, ranking size (the `ranking_top_n` var) and region
    with a ranked model in the period.
    - `release_month` / `release_week`: every model released in the period (int_releases, a real createdAt),
      ranked by its likes and its 30-day downloads (the Hub's `downloads`) on its last snapshot: how each cohort
      of releases stands as last observed. A model absent from the latest snapshot keeps its place: the warehouse
      cannot tell a deleted repo from one that left the scope (a top-N list's churn, a tracker that stopped
      listing it), and dropping it would shrink a cohort whenever the live scope churns.
    - `live_month`: every model of the month's last snapshot, ranked by its likes and 30-day downloads on that
      snapshot (fct_model_daily).
    Ranks are 1 for the highest value, ties broken by model id; a model without the measure is not ranked.
    share_of_top is the region's share of the top N places that the period fills (N or fewer models).
-#}

with

releases as {{ inlined() }} (

    select * from {{ ref('int_releases') }}

),

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

model_daily as {{ inlined() }} (

    select * from {{ ref('fct_model_daily') }}

),

released as (

    select
        releases.model_id,
        releases.region,
        releases.release_month,
        releases.release_week,
        models.likes,
        models.downloads_30d
    from releases
    inner join models
        on releases.model_id = models.model_id

),

month_ends as (

    select max(snapshot_date) as snapshot_date
    from model_daily
    group by date_trunc('month', snapshot_date)

),

live as (

    select
        model_daily.model_id,
        model_daily.region,
        cast(date_trunc('month', model_daily.snapshot_date) as date) as period_start,
        model_daily.likes,
        model_daily.downloads_30d
    from model_daily
    inner join month_ends
        on model_daily.snapshot_date = month_ends.snapshot_date

),

cohorts as (

    select
        'release_month' as period_type,
        release_month as period_start,
        model_id,
        region,
        likes,
        downloads_30d
    from released
    union all
    select
        'release_week' as period_type,
        release_week as period_start,
        model_id,
        region,
        likes,
        downloads_30d
    from released
    union all
    select
        'live_month' as period_type,
        period_start,
        model_id,
        region,
        likes,
        downloads_30d
    from live

),

ranking_measures as (

    select 'likes' as ranking_measure
    union all
    select 'downloads_30d' as ranking_measure

),

measured as (

    -- Each cohort row once per measure, read in one pass over the cohorts (a `union all` of one select per measure
    -- read them twice, and with them every month's last snapshot: four times the time at a year of history, issue
    -- 18). A row without the measure is not ranked (`ranked` keeps only known values).
    select
        cohorts.period_type,
        cohorts.period_start,
        cohorts.model_id,
        cohorts.region,
        ranking_measures.ranking_measure,
        case ranking_measures.ranking_measure
            when 'likes' then cohorts.likes
            else cohorts.downloads_30d
        end as measure_value
    from cohorts
    cross join ranking_measures

),

ranked as (

    select
        period_type,
        period_start,
        model_id,
        region,
        ranking_measure,
        measure_value,
        row_number() over (
            partition by period_type, period_start, ranking_measure order by measure_value desc, model_id asc
        ) as ranking_position,
        count(*) over (partition by period_type, period_start, ranking_measure) as period_models
    from measured
    where measure_value is not null

),

sizes as (

    select {{ unnest(list_of(var('ranking_top_n'))) }} as top_n

),

final as (

    select
        ranked.period_type,
        ranked.period_start,
        ranked.ranking_measure,
        sizes.top_n,
        ranked.region,
        ranked.period_start >= {{ r1_release_date() }} as is_post_r1,
        any_value(ranked.period_models) as period_models,
        count(*) as region_models,
        count(*) filter (where ranked.ranking_position <= sizes.top_n) as models_in_top,
        cast(count(*) filter (where ranked.ranking_position <= sizes.top_n) as double)
        / least(sizes.top_n, any_value(ranked.period_models)) as share_of_top,
        min(ranked.ranking_position) as best_rank
    from ranked
    cross join sizes
    group by ranked.period_type, ranked.period_start, ranked.ranking_measure, sizes.top_n, ranked.region

)

select * from final
