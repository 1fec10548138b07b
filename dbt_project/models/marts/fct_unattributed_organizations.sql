{#-
    Candidates are the organisations without a region (`unclassified`: neither the region seed nor the
    override file knows it; `unknown`: the seed cannot tell) that hold downloads or derivatives: the
    organisations seen in a snapshot, and the namespaces of untracked base models others build on. Ranked by
    what attributing it would add (attribution_rank: most known downloads first, then most derivatives), so a
    user knows which namespaces to add to `$HUBPULSE_HOME/reference/organization_region_overrides.csv` first.

    downloads: its models' known daily downloads over the whole history; unattributed_derivatives: the
    base-model edges it makes unattributed, as the builder or as the base's organisation (each edge once).
    The shares are over all known downloads and all edges of the warehouse.
-#}

with

organizations as {{ inlined() }} (

    select * from {{ ref('dim_organizations') }}

),

monthly_downloads as {{ inlined() }} (

    select * from {{ ref('int_models_monthly_downloads') }}

),

lineage as {{ inlined() }} (

    select * from {{ ref('int_model_lineage') }}

),

candidates as (

    select
        organization,
        region,
        models,
        releases
    from organizations
    where not is_region_attributed

    union all

    -- Namespaces only known as the base of someone's derivative (their models are not in the snapshots).
    select distinct
        parent_organization as organization,
        parent_region as region,
        0 as models,
        0 as releases
    from lineage
    where parent_region not in {{ attributed_regions() }}
        and parent_organization not in (select organizations.organization from organizations)

),

downloads as (

    select
        organization,
        sum(downloads) as downloads
    from monthly_downloads
    group by organization

),

totals as (

    select
        (select sum(monthly_downloads.downloads) as downloads from monthly_downloads) as downloads,
        (select count(*) as derivatives from lineage) as derivatives

),

built as (

    select
        child_organization as organization,
        count(*) as derivatives_built
    from lineage
    group by child_organization

),

based as (

    select
        parent_organization as organization,
        count(*) as derivatives_on_its_bases
    from lineage
    where child_organization != parent_organization
    group by parent_organization

),

measured as (

    select
        candidates.organization,
        candidates.region,
        candidates.models,
        candidates.releases,
        downloads.downloads,
        case when totals.downloads > 0 then coalesce(downloads.downloads, 0) / totals.downloads end
            as download_share,
        coalesce(built.derivatives_built, 0) as derivatives_built,
        coalesce(based.derivatives_on_its_bases, 0) as derivatives_on_its_bases,
        coalesce(built.derivatives_built, 0) + coalesce(based.derivatives_on_its_bases, 0)
            as unattributed_derivatives,
        case
            when totals.derivatives > 0
                then (coalesce(built.derivatives_built, 0) + coalesce(based.derivatives_on_its_bases, 0))
                    / totals.derivatives
        end as derivative_share
    from candidates
    cross join totals
    left join downloads
        on candidates.organization = downloads.organization
    left join built
        on candidates.organization = built.organization
    left join based
        on candidates.organization = based.organization

),

final as (

    select
        organization,
        region,
        models,
        releases,
        downloads,
        download_share,
        derivatives_built,
        derivatives_on_its_bases,
        unattributed_derivatives,
        derivative_share,
        row_number() over (
            order by coalesce(downloads, 0) desc, unattributed_derivatives desc, organization asc
        ) as attribution_rank
    from measured
    where coalesce(downloads, 0) > 0 or unattributed_derivatives > 0

)

select * from final
