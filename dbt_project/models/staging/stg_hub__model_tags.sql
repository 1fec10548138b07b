with

model_snapshots as (

    select * from {{ ref('stg_hub__model_snapshots') }}

),

tag_versions as (

    -- A model's tags rarely change: unnest each distinct tag list once, with the dates it covers.
    select
        model_id,
        tags,
        min(snapshot_date) as first_seen_date,
        max(snapshot_date) as last_seen_date
    from model_snapshots
    where tags is not null
    group by model_id, tags

),

unnested as (

    select
        model_id,
        first_seen_date,
        last_seen_date,
        unnest(list_distinct(tags)) as tag
    from tag_versions

),

latest_snapshots as (

    select
        model_id,
        max(snapshot_date) as latest_snapshot_date
    from model_snapshots
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
