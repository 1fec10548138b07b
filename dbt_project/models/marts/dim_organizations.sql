-- Renamed namespaces (organization_aliases) are folded into the organisation they became. Only us, china, eu
-- and other are regions an analysis compares (is_region_attributed); `unknown` (the seed says it cannot tell)
-- and `unclassified` (nobody says) are not.

with

-- The organisations observed come from the model-day facts: the snapshot rows already deduplicated, narrow.
model_daily as {{ inlined() }} (

    select * from {{ ref('fct_model_daily') }}

),

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

releases as {{ inlined() }} (

    select * from {{ ref('int_releases') }}

),

-- The seed with the user's override file laid over it (one row per namespace).
organization_regions as {{ inlined() }} (

    select * from {{ ref('int_organization_regions_overridden') }}

),

organization_aliases as {{ inlined() }} (

    select * from {{ ref('organization_aliases') }}

),

seeded as (

    select hf_org as organization
    from organization_regions
    where hf_org not in (select organization_aliases.legacy_namespace from organization_aliases)

),

observed as (

    select
        organization,
        min(snapshot_date) as first_seen_date,
        max(snapshot_date) as last_seen_date
    from model_daily
    group by organization

),

organizations as (

    select organization from seeded
    union
    select organization from observed

),

legacy as (

    -- An organisation's former namespaces, and their seed region for an organisation the seed only knows
    -- under an old name.
    select
        organization_aliases.organization,
        {{ sorted_string_agg('organization_aliases.legacy_namespace', "', '") }}
            as legacy_namespaces,
        min(organization_regions.region) as legacy_region,
        min(organization_regions.notes) as legacy_notes,
        min(organization_regions.region_source) as legacy_region_source
    from organization_aliases
    left join organization_regions
        on organization_aliases.legacy_namespace = organization_regions.hf_org
    group by organization_aliases.organization

),

model_counts as (

    select
        organization,
        count(*) as models,
        count(*) filter (where not is_deleted) as live_models
    from models
    group by organization

),

release_counts as (

    select
        organization,
        count(*) as releases,
        min(release_date) as first_release_date,
        max(release_date) as last_release_date
    from releases
    group by organization

),

final as (

    select
        organizations.organization,
        coalesce(own_region.region, legacy.legacy_region, 'unclassified') as region,
        coalesce(own_region.region, legacy.legacy_region) is not null as is_region_classified,
        coalesce(coalesce(own_region.region, legacy.legacy_region) in {{ attributed_regions() }}, false)
            as is_region_attributed,
        coalesce(own_region.region_source, legacy.legacy_region_source) as region_source,
        case when own_region.hf_org is not null then own_region.notes else legacy.legacy_notes end as region_notes,
        legacy.legacy_namespaces,
        coalesce(model_counts.models, 0) as models,
        coalesce(model_counts.live_models, 0) as live_models,
        coalesce(release_counts.releases, 0) as releases,
        release_counts.first_release_date,
        release_counts.last_release_date,
        observed.first_seen_date,
        observed.last_seen_date,
        observed.organization is not null as is_observed
    from organizations
    left join organization_regions as own_region
        on organizations.organization = own_region.hf_org
    left join legacy
        on organizations.organization = legacy.organization
    left join model_counts
        on organizations.organization = model_counts.organization
    left join release_counts
        on organizations.organization = release_counts.organization
    left join observed
        on organizations.organization = observed.organization

)

select * from final
