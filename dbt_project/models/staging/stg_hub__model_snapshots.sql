{#-
    A view: it always shows the raw partitions as they are, and a windowed run reads only the window's files.
    Typed and renamed only, one row per raw row; int_model_snapshots_attributed (a view over this one, which
    DuckDB inlines) deduplicates a rename seen twice in one crawl and adds the organisation and region.
    Every CTE is `not materialized`: DuckDB otherwise materializes a CTE read twice, and a materialized CTE
    anywhere in a query stops it from reading only the columns that query needs, so every read of this view
    would copy every column of every partition (tags and JSON included).
-#}

with

source as {{ inlined() }} (

    -- `union all by name` with an empty row of the columns older partitions may all lack (`fetched_at`): the
    -- column exists (null) even when no raw partition has it yet, an existing home from before it.
    {%- set fetched_at_null = 'cast(null as ' ~ type_instant() ~ ') as fetched_at' %}
    {{ select_with_columns(source('hub', 'hub_model_snapshots'), fetched_at_null) }}

),

final as {{ inlined() }} (

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
        coalesce(
            created_at = {{ type_instant() }} '{{ var('placeholder_created_at') }}', false
        ) as is_placeholder_created_at,
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
        -- A custom licence's name (`license: other`, the card's `license_name`): parsed only on those rows.
        case
            when {{ list_contains('tags', "'license:other'") }}
                then {{ json_text('item_json', '$.cardData.license_name') }}
        end as card_license_name,
        base_models_json,
        eval_results_json,
        model_index_json
    from source

)

select * from final
