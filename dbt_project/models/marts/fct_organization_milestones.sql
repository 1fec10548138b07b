{#-
    One row per organisation of dim_organizations and per organisation a derivative names as its base's owner
    (an untracked base's namespace), with zeros where it has neither releases nor derivatives: unattributed
    organisations (region `unclassified`) are counted like any other. Releases (int_releases) and derivatives
    (int_model_lineage edges whose parent belongs to the organisation) are split at the `r1_release_date` var by
    the release date and the child's creation date; a derivative whose child has no real createdAt is counted in
    `derivatives_undated` only. The month an organisation crossed 10 / 100 releases is the month of its 10th /
    100th release in release order. growth_rank_since_r1 ranks the organisations with a release since R1 by those
    releases (1 = most, ties averaged).
-#}

with

releases as {{ inlined() }} (

    select * from {{ ref('int_releases') }}

),

lineage as {{ inlined() }} (

    select * from {{ ref('int_model_lineage') }}

),

organizations as {{ inlined() }} (

    select * from {{ ref('dim_organizations') }}

),

ordered_releases as (

    select
        organization,
        release_date,
        release_month,
        is_post_r1,
        row_number() over (partition by organization order by created_at, model_id) as release_number
    from releases

),

release_counts as (

    select
        organization,
        count(*) as releases,
        count(*) filter (where not is_post_r1) as releases_before_r1,
        count(*) filter (where is_post_r1) as releases_since_r1,
        min(release_date) as first_release_date,
        max(release_date) as last_release_date,
        any_value(release_month) filter (where release_number = 10) as month_crossed_10_releases,
        any_value(release_month) filter (where release_number = 100) as month_crossed_100_releases
    from ordered_releases
    group by organization

),

derivative_counts as (

    select
        parent_organization as organization,
        count(*) as derivatives,
        count(*) filter (where child_created_date < {{ r1_release_date() }}) as derivatives_before_r1,
        count(*) filter (where child_created_date >= {{ r1_release_date() }}) as derivatives_since_r1,
        count(*) filter (where child_created_date is null) as derivatives_undated,
        min(child_created_date) as first_derivative_date
    from lineage
    group by parent_organization

),

organization_names as (

    select organization from organizations
    union
    select organization from derivative_counts

),

counted as (

    select
        organization_names.organization,
        coalesce(organizations.region, 'unclassified') as region,
        coalesce(organizations.is_region_attributed, false) as is_region_attributed,
        release_counts.first_release_date,
        release_counts.last_release_date,
        coalesce(release_counts.releases, 0) as releases,
        coalesce(release_counts.releases_before_r1, 0) as releases_before_r1,
        coalesce(release_counts.releases_since_r1, 0) as releases_since_r1,
        release_counts.month_crossed_10_releases,
        release_counts.month_crossed_100_releases,
        derivative_counts.first_derivative_date,
        coalesce(derivative_counts.derivatives, 0) as derivatives,
        coalesce(derivative_counts.derivatives_before_r1, 0) as derivatives_before_r1,
        coalesce(derivative_counts.derivatives_since_r1, 0) as derivatives_since_r1,
        coalesce(derivative_counts.derivatives_undated, 0) as derivatives_undated
    from organization_names
    left join organizations
        on organization_names.organization = organizations.organization
    left join release_counts
        on organization_names.organization = release_counts.organization
    left join derivative_counts
        on organization_names.organization = derivative_counts.organization

),

ranked as (

    -- Average rank of the ties: the first position of the tie plus half its extra rows.
    select
        organization,
        rank() over (order by releases_since_r1 desc)
        + (count(*) over (partition by releases_since_r1) - 1) / 2 as growth_rank_since_r1
    from counted
    where releases_since_r1 > 0

),

final as (

    select
        counted.organization,
        counted.region,
        counted.is_region_attributed,
        counted.first_release_date,
        counted.last_release_date,
        counted.releases,
        counted.releases_before_r1,
        counted.releases_since_r1,
        counted.month_crossed_10_releases,
        counted.month_crossed_100_releases,
        counted.first_derivative_date,
        counted.derivatives,
        counted.derivatives_before_r1,
        counted.derivatives_since_r1,
        counted.derivatives_undated,
        cast(ranked.growth_rank_since_r1 as double) as growth_rank_since_r1
    from counted
    left join ranked
        on counted.organization = ranked.organization

)

select * from final
