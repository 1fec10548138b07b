{#-
    benchmark_score: the best benchmark score (dim_models.benchmark_score: the Open LLM Leaderboard v2 best
    average normalised score joined by Hub id, or the average of the six leaderboard benchmarks the model
    carries in evalResults / model-index, whichever is higher) among the organisation's models created by
    month end (a placeholder createdAt counts as created; an unknown one as created when first seen).
    ecosystem_score: the organisation's share of the month's known daily downloads of all tracked models.
    likes_share: share of likes at each model's last snapshot of the month. derivative_share: share of the
    month's new derivative edges (child created in the month) whose base belongs to the organisation.
    Ranks (1 = highest, ties get their average rank) only among organisations with both scores;
    rank_gap = benchmark_rank - ecosystem_rank (positive: adopted better than benchmarked).
-#}

with

model_daily as {{ inlined() }} (

    select * from {{ ref('fct_model_daily') }}

),

model_monthly_downloads as {{ inlined() }} (

    select * from {{ ref('int_models_monthly_downloads') }}

),

models as {{ inlined() }} (

    select * from {{ ref('dim_models') }}

),

activity as {{ inlined() }} (

    -- Monthly releases and new derivatives per organisation (their one home, shared with the trajectories).
    select * from {{ ref('int_organization_monthly_activity') }}

),

months as (

    select distinct
        cast(date_trunc('month', snapshot_date) as date) as month_start,
        cast(last_day(snapshot_date) as date) as month_end
    from model_daily

),

organization_months as (

    select distinct
        organization,
        cast(date_trunc('month', snapshot_date) as date) as month_start
    from model_daily

),

monthly_downloads as (

    select
        organization,
        month_start,
        sum(downloads) as downloads
    from model_monthly_downloads
    group by organization, month_start

),

month_end_likes as (

    -- Each model's last snapshot of the month: its organisation and likes that day.
    select
        {{ arg_max('organization', 'snapshot_date') }} as organization,
        cast(date_trunc('month', snapshot_date) as date) as month_start,
        {{ arg_max_null('likes', 'snapshot_date') }} as likes
    from model_daily
    group by model_id, cast(date_trunc('month', snapshot_date) as date)

),

monthly_likes as (

    select
        organization,
        month_start,
        sum(likes) as likes
    from month_end_likes
    group by organization, month_start

),

benchmark_scores as (

    select
        months.month_start,
        models.organization,
        max(models.benchmark_score) as benchmark_score
    from models
    inner join months
        on coalesce(cast({{ utc_timestamp('models.created_at') }} as date), models.first_seen_date) <= months.month_end
    where models.benchmark_score is not null
    group by months.month_start, models.organization

),

month_totals as (

    select
        months.month_start,
        (
            select sum(monthly_downloads.downloads) as total_downloads
            from monthly_downloads
            where monthly_downloads.month_start = months.month_start
        ) as total_downloads,
        (
            select sum(monthly_likes.likes) as total_likes
            from monthly_likes
            where monthly_likes.month_start = months.month_start
        ) as total_likes,
        (
            select sum(activity.new_derivatives) as total_new_derivatives
            from activity
            where activity.month_start = months.month_start
        ) as total_new_derivatives
    from months

),

scored as (

    select
        organization_months.organization,
        organization_months.month_start,
        months.month_end,
        benchmark_scores.benchmark_score,
        monthly_downloads.downloads,
        case
            when month_totals.total_downloads > 0 then monthly_downloads.downloads / month_totals.total_downloads
        end as ecosystem_score,
        monthly_likes.likes,
        case when month_totals.total_likes > 0 then monthly_likes.likes / month_totals.total_likes end
            as likes_share,
        coalesce(activity.new_derivatives, 0) as new_derivatives,
        case
            when month_totals.total_new_derivatives > 0
                then coalesce(activity.new_derivatives, 0) / month_totals.total_new_derivatives
        end as derivative_share,
        coalesce(activity.releases, 0) as releases,
        coalesce(activity.release_pipeline_tags, 0) as release_pipeline_tags
    from organization_months
    inner join months
        on organization_months.month_start = months.month_start
    inner join month_totals
        on organization_months.month_start = month_totals.month_start
    left join benchmark_scores
        on organization_months.organization = benchmark_scores.organization
        and organization_months.month_start = benchmark_scores.month_start
    left join monthly_downloads
        on organization_months.organization = monthly_downloads.organization
        and organization_months.month_start = monthly_downloads.month_start
    left join monthly_likes
        on organization_months.organization = monthly_likes.organization
        and organization_months.month_start = monthly_likes.month_start
    left join activity
        on organization_months.organization = activity.organization
        and organization_months.month_start = activity.month_start

),

ranked as (

    select
        organization,
        month_start,
        rank() over (partition by month_start order by benchmark_score desc)
        + (count(*) over (partition by month_start, benchmark_score) - 1) / 2 as benchmark_rank,
        rank() over (partition by month_start order by ecosystem_score desc)
        + (count(*) over (partition by month_start, ecosystem_score) - 1) / 2 as ecosystem_rank
    from scored
    where benchmark_score is not null
        and ecosystem_score is not null

),

final as (

    select
        scored.organization,
        scored.month_start,
        scored.month_end,
        scored.benchmark_score,
        ranked.benchmark_rank,
        scored.downloads,
        scored.ecosystem_score,
        ranked.ecosystem_rank,
        ranked.benchmark_rank - ranked.ecosystem_rank as rank_gap,
        scored.likes,
        scored.likes_share,
        scored.new_derivatives,
        scored.derivative_share,
        scored.releases,
        scored.release_pipeline_tags
    from scored
    left join ranked
        on scored.organization = ranked.organization
        and scored.month_start = ranked.month_start

)

select * from final
