{#-
    Every month from the organisation's first dated release or derivative through the month of the latest
    snapshot has a row (months without either included). Releases are int_releases (one per model with a real
    createdAt, in the month of its release_date); derivatives are int_model_lineage edges (once per child and
    parent) whose parent belongs to the organisation, in the month the child was created (real createdAt): the
    new_derivatives of fct_ecosystem_vs_benchmark. The cumulative counts run from the first month; the
    `_since_r1` ones count only releases and children created on or after the `r1_release_date` var.
-#}

with

releases as not materialized (

    select * from {{ ref('int_releases') }}

),

lineage as not materialized (

    select * from {{ ref('int_model_lineage') }}

),

models as not materialized (

    select * from {{ ref('int_models_profiled') }}

),

organizations as not materialized (

    select * from {{ ref('dim_organizations') }}

),

model_snapshots_calendar as (

    -- The latest snapshot date (every model's last snapshot is profiled: the same date, without a history scan).
    select max(last_seen_date) as latest_snapshot_date
    from models

),

monthly_releases as (

    select
        organization,
        release_month as month_start,
        count(*) as releases,
        count(*) filter (where is_post_r1) as releases_since_r1
    from releases
    group by organization, release_month

),

monthly_derivatives as (

    select
        parent_organization as organization,
        cast(date_trunc('month', child_created_date) as date) as month_start,
        count(*) as new_derivatives,
        count(*) filter (where child_created_date >= {{ r1_release_date() }}) as new_derivatives_since_r1
    from lineage
    where child_created_date is not null
    group by parent_organization, cast(date_trunc('month', child_created_date) as date)

),

activity as (

    select
        organization,
        month_start
    from monthly_releases
    union all
    select
        organization,
        month_start
    from monthly_derivatives

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
        cast(
            unnest(
                generate_series(first_month_start, greatest(first_month_start, last_month_start), interval 1 month)
            ) as date
        ) as month_start
    from organization_spans

),

dense as (

    select
        organization_months.organization,
        organization_months.month_start,
        coalesce(monthly_releases.releases, 0) as releases,
        coalesce(monthly_releases.releases_since_r1, 0) as releases_since_r1,
        coalesce(monthly_derivatives.new_derivatives, 0) as new_derivatives,
        coalesce(monthly_derivatives.new_derivatives_since_r1, 0) as new_derivatives_since_r1
    from organization_months
    left join monthly_releases
        on organization_months.organization = monthly_releases.organization
        and organization_months.month_start = monthly_releases.month_start
    left join monthly_derivatives
        on organization_months.organization = monthly_derivatives.organization
        and organization_months.month_start = monthly_derivatives.month_start

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
