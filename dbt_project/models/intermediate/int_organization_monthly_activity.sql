{#-
    One home for the monthly counts per organisation that fct_ecosystem_vs_benchmark and
    fct_organization_trajectories both read. Releases are int_releases (one per model with a real createdAt, in
    the month of its release_date); new derivatives are int_model_lineage edges (once per child and parent) whose
    parent belongs to the organisation, in the month the child was created (real createdAt). The `_since_r1`
    counts take only releases and children created on or after the `r1_release_date` var.
-#}

with

releases as {{ inlined() }} (

    select * from {{ ref('int_releases') }}

),

lineage as {{ inlined() }} (

    select * from {{ ref('int_model_lineage') }}

),

monthly_releases as (

    select
        organization,
        release_month as month_start,
        count(*) as releases,
        count(*) filter (where is_post_r1) as releases_since_r1,
        count(distinct pipeline_tag) as release_pipeline_tags
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

final as (

    select
        coalesce(monthly_releases.organization, monthly_derivatives.organization) as organization,
        coalesce(monthly_releases.month_start, monthly_derivatives.month_start) as month_start,
        coalesce(monthly_releases.releases, 0) as releases,
        coalesce(monthly_releases.releases_since_r1, 0) as releases_since_r1,
        coalesce(monthly_releases.release_pipeline_tags, 0) as release_pipeline_tags,
        coalesce(monthly_derivatives.new_derivatives, 0) as new_derivatives,
        coalesce(monthly_derivatives.new_derivatives_since_r1, 0) as new_derivatives_since_r1
    from monthly_releases
    full outer join monthly_derivatives
        on monthly_releases.organization = monthly_derivatives.organization
        and monthly_releases.month_start = monthly_derivatives.month_start

)

select * from final
