{#-
    A view: it always shows the raw partitions as they are, and a windowed run reads only the window's files.
    Every CTE is `not materialized`: DuckDB otherwise materializes a CTE read twice (the source: the rows and
    the duplicate check; the regions), and a materialized CTE anywhere in a query stops it from reading only
    the columns that query needs, so every read of this view copied every column of every partition (tags and
    JSON included). Inlined, a test of one column reads four.
-#}

with

source as not materialized (

    -- `union all by name` with an empty row of the columns older partitions may all lack (`fetched_at`): the
    -- column exists (null) even when no raw partition has it yet, an existing home from before it.
    select * from {{ source('hub', 'hub_model_snapshots') }}
    union all by name
    select cast(null as timestamptz) as fetched_at
    where false

),

organization_aliases as not materialized (

    select * from {{ ref('organization_aliases') }}

),

-- The seed with the user's override file laid over it (one row per namespace).
organization_regions as not materialized (

    select * from {{ ref('stg_reference__organization_regions') }}

),

typed as not materialized (

    select
        snapshot_date,
        -- The instant the snapshot describes; the end of the date for partitions that predate the column.
        {{ fetched_at_or_default('fetched_at', 'snapshot_date') }} as fetched_at,
        -- The Hub's `_id` survives a namespace rename (THUDM/x -> zai-org/x): it is the model's identity.
        coalesce(object_id, id) as model_id,
        id as repo_id,
        object_id as hub_object_id,
        split_part(id, '/', 1) as namespace,
        coalesce(author, split_part(id, '/', 1)) as author,
        created_at,
        coalesce(created_at = timestamptz '{{ var('placeholder_created_at') }}', false) as is_placeholder_created_at,
        last_modified as last_modified_at,
        downloads as downloads_30d,
        downloads_all_time,
        likes,
        trending_score,
        pipeline_tag,
        library_name,
        gated as gated_mode,
        coalesce(gated in ('auto', 'manual', 'true'), false) as is_gated,
        private as is_private,
        disabled as is_disabled,
        sha,
        safetensors_total as parameter_count,
        tags,
        base_models_json,
        eval_results_json,
        model_index_json
    from source

),

duplicates as not materialized (

    -- One row per model and date even if a rename made both names show up in one crawl: the later name wins.
    -- (A grouped anti-join on narrow columns: cheaper than a window over the wide rows, and the date filter
    -- of a windowed run still reaches both scans.)
    select
        coalesce(object_id, id) as model_id,
        snapshot_date,
        max(id) as kept_repo_id
    from source
    group by coalesce(object_id, id), snapshot_date
    having count(*) > 1

),

deduplicated as not materialized (

    select typed.*
    from typed
    left join duplicates
        on typed.model_id = duplicates.model_id
        and typed.snapshot_date = duplicates.snapshot_date
    where duplicates.model_id is null
        or typed.repo_id = duplicates.kept_repo_id

),

final as not materialized (

    select
        deduplicated.snapshot_date,
        deduplicated.fetched_at,
        deduplicated.model_id,
        deduplicated.repo_id,
        deduplicated.hub_object_id,
        deduplicated.namespace,
        deduplicated.author,
        coalesce(organization_aliases.organization, deduplicated.author) as organization,
        coalesce(canonical_regions.region, legacy_regions.region, 'unclassified') as region,
        deduplicated.created_at,
        case
            when not deduplicated.is_placeholder_created_at
                then cast(timezone('UTC', deduplicated.created_at) as date)
        end as created_date,
        deduplicated.is_placeholder_created_at,
        deduplicated.last_modified_at,
        deduplicated.downloads_30d,
        deduplicated.downloads_all_time,
        deduplicated.likes,
        deduplicated.trending_score,
        deduplicated.pipeline_tag,
        deduplicated.library_name,
        deduplicated.gated_mode,
        deduplicated.is_gated,
        deduplicated.is_private,
        deduplicated.is_disabled,
        deduplicated.sha,
        deduplicated.parameter_count,
        deduplicated.tags,
        deduplicated.base_models_json,
        deduplicated.eval_results_json,
        deduplicated.model_index_json
    from deduplicated
    left join organization_aliases
        on deduplicated.author = organization_aliases.legacy_namespace
    left join organization_regions as canonical_regions
        on coalesce(organization_aliases.organization, deduplicated.author) = canonical_regions.hf_org
    left join organization_regions as legacy_regions
        on deduplicated.author = legacy_regions.hf_org

)

select * from final
