with

model_snapshots as (

    select * from {{ ref('stg_hub__model_snapshots') }}

),

model_tags as (

    select * from {{ ref('stg_hub__model_tags') }}

),

seen as (

    select
        model_id,
        min(snapshot_date) as first_seen_date,
        max(snapshot_date) as last_seen_date,
        count(*) as snapshots_seen,
        count(distinct repo_id) as repo_ids_seen
    from model_snapshots
    group by model_id

),

calendar as (

    select max(last_seen_date) as latest_snapshot_date
    from seen

),

latest as (

    select model_snapshots.*
    from model_snapshots
    inner join seen
        on model_snapshots.model_id = seen.model_id
        and model_snapshots.snapshot_date = seen.last_seen_date

),

first_names as (

    select
        model_snapshots.model_id,
        model_snapshots.repo_id as first_repo_id
    from model_snapshots
    inner join seen
        on model_snapshots.model_id = seen.model_id
        and model_snapshots.snapshot_date = seen.first_seen_date

),

latest_tags as (

    -- Tags on the model's latest snapshot; the alphabetically first licence when a repo lists several.
    select
        model_id,
        min(tag_value) filter (where tag_kind = 'license') as license,
        list(tag_value order by tag_value) filter (where tag_kind = 'language') as languages
    from model_tags
    where is_current
    group by model_id

),

final as (

    select
        latest.model_id,
        latest.hub_object_id,
        latest.repo_id,
        first_names.first_repo_id,
        seen.repo_ids_seen,
        latest.namespace,
        latest.author,
        latest.organization,
        latest.region,
        latest.created_at,
        latest.created_date,
        latest.is_placeholder_created_at,
        latest.pipeline_tag,
        latest.library_name,
        latest_tags.license,
        latest_tags.languages,
        latest.parameter_count,
        latest.is_gated,
        latest.gated_mode,
        latest.downloads_all_time,
        latest.downloads_30d,
        latest.likes,
        latest.trending_score,
        seen.first_seen_date,
        seen.last_seen_date,
        seen.snapshots_seen,
        seen.last_seen_date < calendar.latest_snapshot_date as is_deleted
    from latest
    inner join seen
        on latest.model_id = seen.model_id
    inner join first_names
        on latest.model_id = first_names.model_id
    left join latest_tags
        on latest.model_id = latest_tags.model_id
    cross join calendar

)

select * from final
