{#-
    A view, like the staging view it reads (DuckDB inlines a view over a view): it always shows the raw partitions
    as they are, and a windowed run reads only the window's files. Every CTE is `not materialized`: DuckDB
    otherwise materializes a CTE read twice (the snapshots: the rows and the duplicate check; the regions), and a
    materialized CTE anywhere in a query stops it from reading only the columns that query needs, so every read
    of this view copied every column of every partition (tags and JSON included). Inlined, a test of one column
    reads four.
-#}
{{ config(materialized='view') }}

with

model_snapshots as {{ inlined() }} (

    select * from {{ ref('stg_hub__model_snapshots') }}

),

organization_aliases as {{ inlined() }} (

    select * from {{ ref('organization_aliases') }}

),

-- The seed with the user's override file laid over it (one row per namespace).
organization_regions as {{ inlined() }} (

    select * from {{ ref('int_organization_regions_overridden') }}

),

duplicates as {{ inlined() }} (

    -- One row per model and date even if a rename made both names show up in one crawl: the later name wins.
    -- (A grouped anti-join on narrow columns: cheaper than a window over the wide rows, and the date filter
    -- of a windowed run still reaches both scans.)
    select
        model_id,
        snapshot_date,
        max(repo_id) as kept_repo_id
    from model_snapshots
    group by model_id, snapshot_date
    having count(*) > 1

),

deduplicated as {{ inlined() }} (

    select model_snapshots.*
    from model_snapshots
    left join duplicates
        on model_snapshots.model_id = duplicates.model_id
        and model_snapshots.snapshot_date = duplicates.snapshot_date
    where duplicates.model_id is null
        or model_snapshots.repo_id = duplicates.kept_repo_id

),

final as {{ inlined() }} (

    select
        deduplicated.snapshot_date,
        deduplicated.fetched_at,
        deduplicated.model_id,
        deduplicated.repo_id,
        deduplicated.hub_object_id,
        deduplicated.namespace,
        deduplicated.author,
        {{ attributed_organization('deduplicated.author') }} as organization,
        {{ attributed_region() }} as region,
        deduplicated.created_at,
        case
            when not deduplicated.is_placeholder_created_at
                then cast({{ utc_timestamp('deduplicated.created_at') }} as date)
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
        deduplicated.card_license_name,
        deduplicated.base_models_json,
        deduplicated.eval_results_json,
        deduplicated.model_index_json
    from deduplicated
    {{ attribution_joins('deduplicated.author') }}

)

select * from final
