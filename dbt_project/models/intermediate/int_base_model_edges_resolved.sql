{#-
    A table, not a view: its tests and the lineage read it; parsed from the listings (one row per model and
    distinct listing), not from the snapshots of the whole history.
-#}
{{ config(materialized='table') }}

with

listings as {{ inlined() }} (

    select * from {{ ref('int_model_listings_deduplicated') }}

),

listing_versions as (

    -- Each distinct listing (tags, baseModels) of a model naming a base model, with the dates it covers.
    select
        model_id,
        tags,
        base_models_json,
        min(first_seen_date) as first_seen_date,
        max(last_seen_date) as last_seen_date
    from listings
    where base_models_json is not null
        or {{ list_length(list_filter('tags', 'tag', starts_with('tag', "'base_model:'"))) }} > 0
    group by model_id, tags, base_models_json

),

listed_tags as (

    select
        model_id,
        first_seen_date,
        last_seen_date,
        {{ unnest(list_distinct('tags')) }} as tag
    from listing_versions

),

tag_edges as (

    -- `base_model:ORG/NAME` (plain) and `base_model:{relation}:ORG/NAME` (typed) name the same edge:
    -- a repo id never contains ':', so a remaining ':' means the tag is typed.
    select
        model_id,
        first_seen_date,
        last_seen_date,
        case
            when reference like '%:%' then substr(reference, {{ dbt.position("':'", 'reference') }} + 1)
            else reference
        end as parent_repo_id,
        case when reference like '%:%' then split_part(reference, ':', 1) end as tagged_relation,
        cast(null as {{ dbt.type_string() }}) as listed_relation
    from (
        select
            *,
            substr(tag, length('base_model:') + 1) as reference
        from listed_tags
        where {{ starts_with('tag', "'base_model:'") }}
    ) as base_model_tags

),

field_edges as (

    select
        model_id,
        first_seen_date,
        last_seen_date,
        {{ unnest(json_ids_at('base_models_json', '$.models')) }} as parent_repo_id,
        cast(null as {{ dbt.type_string() }}) as tagged_relation,
        {{ json_text('base_models_json', '$.relation') }} as listed_relation
    from listing_versions
    where base_models_json is not null

),

version_edges as (

    -- One relation per (listing, parent): typed tag first, then `baseModels.relation`, else `finetune`
    -- (an untyped base model is a fine-tune on the Hub); several typed relations resolve to the most specific.
    select
        model_id,
        first_seen_date,
        last_seen_date,
        parent_repo_id,
        coalesce(
            case
                when bool_or(tagged_relation = 'merge') then 'merge'
                when bool_or(tagged_relation = 'adapter') then 'adapter'
                when bool_or(tagged_relation = 'quantized') then 'quantized'
                when bool_or(tagged_relation = 'finetune') then 'finetune'
            end,
            case
                when bool_or(listed_relation = 'merge') then 'merge'
                when bool_or(listed_relation = 'adapter') then 'adapter'
                when bool_or(listed_relation = 'quantized') then 'quantized'
                when bool_or(listed_relation = 'finetune') then 'finetune'
            end,
            'finetune'
        ) as relation
    from (
        select * from tag_edges
        union all
        select * from field_edges
    ) as edges
    where parent_repo_id like '%/%'
    group by model_id, first_seen_date, last_seen_date, parent_repo_id

),

final as (

    -- Over the whole history, the relation the latest listing gives.
    select
        model_id as child_model_id,
        parent_repo_id,
        {{ arg_max('relation', 'last_seen_date') }} as relation,
        min(first_seen_date) as first_seen_date,
        max(last_seen_date) as last_seen_date
    from version_edges
    group by model_id, parent_repo_id

)

select * from final
