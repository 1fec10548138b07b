with

base_model_edges as {{ inlined() }} (

    select * from {{ ref('int_base_model_edges_resolved') }}

),

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

repo_ids as {{ inlined() }} (

    select * from {{ ref('int_repo_ids_resolved') }}

),

organization_aliases as {{ inlined() }} (

    select * from {{ ref('organization_aliases') }}

),

organization_regions as {{ inlined() }} (

    select * from {{ ref('int_organization_regions_overridden') }}

),

tagged as (

    select
        base_model_edges.child_model_id,
        base_model_edges.first_seen_date,
        base_model_edges.last_seen_date,
        base_model_edges.parent_repo_id as parent_repo_id_as_tagged,
        base_model_edges.relation,
        {{ canonical_repo_id('base_model_edges.parent_repo_id', 'organization_aliases.organization') }}
            as parent_canonical_repo_id
    from base_model_edges
    left join organization_aliases
        on split_part(base_model_edges.parent_repo_id, '/', 1) = organization_aliases.legacy_namespace

),

resolved as (

    -- The parent is a tracked model when its (canonical) id was ever seen; otherwise it stays a name.
    select
        tagged.*,
        repo_ids.model_id as parent_model_id,
        coalesce(repo_ids.model_id, tagged.parent_canonical_repo_id) as parent_key
    from tagged
    left join repo_ids
        on tagged.parent_canonical_repo_id = repo_ids.canonical_repo_id

),

edges_ranked as (

    -- Two names of one parent (THUDM/x and zai-org/x) are one edge; the most recently listed name wins.
    select
        *,
        min(first_seen_date) over (partition by child_model_id, parent_key) as edge_first_seen_date,
        max(last_seen_date) over (partition by child_model_id, parent_key) as edge_last_seen_date,
        row_number() over (
            partition by child_model_id, parent_key
            order by
                last_seen_date desc,
                case relation when 'merge' then 1 when 'adapter' then 2 when 'quantized' then 3 else 4 end,
                parent_repo_id_as_tagged desc
        ) as recency_rank
    from resolved
    where parent_model_id is null or parent_model_id != child_model_id

),

edges as (

    -- A derivative counts once per (child, parent), however many tags or snapshots name the edge;
    -- its relation is the one the child's most recent snapshot shows.
    select
        child_model_id,
        parent_key,
        parent_model_id,
        parent_repo_id_as_tagged,
        parent_canonical_repo_id,
        relation,
        edge_first_seen_date as first_seen_date,
        edge_last_seen_date as last_seen_date
    from edges_ranked
    where recency_rank = 1

),

final as (

    select
        edges.child_model_id,
        edges.parent_key,
        edges.parent_model_id,
        children.repo_id as child_repo_id,
        children.organization as child_organization,
        children.region as child_region,
        children.created_date as child_created_date,
        coalesce(parents.repo_id, edges.parent_canonical_repo_id) as parent_repo_id,
        edges.parent_repo_id_as_tagged,
        coalesce(parents.organization, split_part(edges.parent_canonical_repo_id, '/', 1)) as parent_organization,
        coalesce(parents.region, parent_regions.region, 'unclassified') as parent_region,
        parents.created_date as parent_created_date,
        edges.parent_model_id is not null as is_parent_tracked,
        edges.relation,
        children.organization
        = coalesce(parents.organization, split_part(edges.parent_canonical_repo_id, '/', 1)) as is_same_org,
        edges.first_seen_date,
        edges.last_seen_date
    from edges
    inner join models as children
        on edges.child_model_id = children.model_id
    left join models as parents
        on edges.parent_model_id = parents.model_id
    left join organization_regions as parent_regions
        on split_part(edges.parent_canonical_repo_id, '/', 1) = parent_regions.hf_org

)

select * from final
