{#-
    A table, not a view: its tests and int_models_profiled read it; from the listings (one row per model and
    distinct listing), not from the snapshots, so the tags of the whole history are unnested once per listing.
-#}
{{ config(materialized='table') }}

with

listings as {{ inlined() }} (

    select * from {{ ref('int_model_listings_deduplicated') }}

),

tag_versions as (

    -- Each distinct tag list of a model once, with the dates it covers.
    select
        model_id,
        tags,
        min(first_seen_date) as first_seen_date,
        max(last_seen_date) as last_seen_date
    from listings
    where tags is not null
    group by model_id, tags

),

unnested as (

    select
        model_id,
        first_seen_date,
        last_seen_date,
        {{ unnest(list_distinct('tags')) }} as tag
    from tag_versions

),

latest_snapshots as (

    -- The model's latest snapshot date: the last date of its listings (a listing without tags included).
    select
        model_id,
        max(last_seen_date) as latest_snapshot_date
    from listings
    group by model_id

),

tags_seen as (

    select
        model_id,
        tag,
        min(first_seen_date) as first_seen_date,
        max(last_seen_date) as last_seen_date
    from unnested
    where tag is not null
    group by model_id, tag

),

final as (

    select
        tags_seen.model_id,
        tags_seen.tag,
        {{ tag_kind('tags_seen.tag') }} as tag_kind,
        {{ tag_value('tags_seen.tag') }} as tag_value,
        tags_seen.first_seen_date,
        tags_seen.last_seen_date,
        tags_seen.last_seen_date = latest_snapshots.latest_snapshot_date as is_current
    from tags_seen
    inner join latest_snapshots
        on tags_seen.model_id = latest_snapshots.model_id

)

select * from final
