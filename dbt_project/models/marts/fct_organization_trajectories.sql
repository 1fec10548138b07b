{#-
    Every month from the organisation's first dated release or derivative through the month of the latest
    snapshot has a row (months without either included). The monthly releases and new derivatives (and their
    `_since_r1` parts) are int_organization_monthly_activity's, which fct_ecosystem_vs_benchmark reads too. The
    cumulative counts run from the first month.
-#}

with

activity as {{ inlined() }} (

    select * from {{ ref('int_organization_monthly_activity') }}

),

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

organizations as {{ inlined() }} (

    select * from {{ ref('dim_organizations') }}

),

model_snapshots_calendar as (

    -- The latest snapshot date (every model's last snapshot is profiled: the same date, without a history scan).
    select max(last_seen_date) as latest_snapshot_date
    from models

),

organization_spans as (

    select
        activity.organization,
        min(activity.month_start) as first_month_start,
        cast(date_trunc('month', any_value(model_snapshots_calendar.latest_snapshot_date)) as date)
            as last_month_start
    from activity
    cross join model_snapshots_calendar
    group by activity.organization

),

organization_months as (

    select
        organization,
        {{ unnest_date_series(
            'first_month_start', 'greatest(first_month_start, last_month_start)', 'interval 1 month'
        ) }}
            as month_start
    from organization_spans

),

dense as (

    select
        organization_months.organization,
        organization_months.month_start,
        coalesce(activity.releases, 0) as releases,
        coalesce(activity.releases_since_r1, 0) as releases_since_r1,
        coalesce(activity.new_derivatives, 0) as new_derivatives,
        coalesce(activity.new_derivatives_since_r1, 0) as new_derivatives_since_r1
    from organization_months
    left join activity
        on organization_months.organization = activity.organization
        and organization_months.month_start = activity.month_start

),

final as (

    select
        dense.organization,
        coalesce(organizations.region, 'unclassified') as region,
        dense.month_start,
        cast(last_day(dense.month_start) as date) as month_end,
        dense.releases,
        cast(
            sum(dense.releases) over (
                partition by dense.organization order by dense.month_start
                rows between unbounded preceding and current row
            ) as integer
        ) as cumulative_releases,
        cast(
            sum(dense.releases_since_r1) over (
                partition by dense.organization order by dense.month_start
                rows between unbounded preceding and current row
            ) as integer
        ) as cumulative_releases_since_r1,
        dense.new_derivatives,
        cast(
            sum(dense.new_derivatives) over (
                partition by dense.organization order by dense.month_start
                rows between unbounded preceding and current row
            ) as integer
        ) as cumulative_derivatives,
        cast(
            sum(dense.new_derivatives_since_r1) over (
                partition by dense.organization order by dense.month_start
                rows between unbounded preceding and current row
            ) as integer
        ) as cumulative_derivatives_since_r1
    from dense
    left join organizations
        on dense.organization = organizations.organization

)

select * from final
