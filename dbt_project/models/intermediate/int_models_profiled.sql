with

model_names as {{ inlined() }} (

    select * from {{ ref('int_model_names_seen') }}

),

organization_aliases as {{ inlined() }} (

    select * from {{ ref('organization_aliases') }}

),

organization_regions as {{ inlined() }} (

    select * from {{ ref('int_organization_regions_overridden') }}

),

model_tags as {{ inlined() }} (

    select * from {{ ref('int_model_tags_aggregated') }}

),

seen as (

    -- One pass over the state of the names each model was listed under (about one row per model, whatever the
    -- length of the history): the first and last snapshot, and the latest snapshot's attributes (its
    -- organisation and region are the attribution of its author, below). A model's names never share a date.
    select
        model_id,
        min(first_seen_date) as first_seen_date,
        max(last_seen_date) as last_seen_date,
        cast(sum(snapshots_seen) as bigint) as snapshots_seen,
        count(*) as repo_ids_seen,
        {{ arg_min('repo_id', 'first_seen_date') }} as first_repo_id,
        {{ arg_max(latest_snapshot_attributes(['repo_id']), 'last_seen_date') }} as latest
    from model_names
    group by model_id

),

calendar as (

    select max(last_seen_date) as latest_snapshot_date
    from seen

),

latest_tags as (

    -- Tags on the model's latest snapshot; the alphabetically first licence when a repo lists several.
    select
        model_id,
        min(tag_value) filter (where tag_kind = 'license') as license,
        {{ sorted_list_where('tag_value', "tag_kind = 'language'") }} as languages
    from model_tags
    where is_current
    group by model_id

),

final as (

    select
        seen.model_id,
        seen.latest.hub_object_id,
        seen.latest.repo_id,
        seen.first_repo_id,
        seen.repo_ids_seen,
        seen.latest.namespace,
        seen.latest.author,
        {{ attributed_organization('seen.latest.author') }} as organization,
        {{ attributed_region() }} as region,
        seen.latest.created_at,
        seen.latest.created_date,
        seen.latest.is_placeholder_created_at,
        seen.latest.pipeline_tag,
        seen.latest.library_name,
        latest_tags.license,
        latest_tags.languages,
        seen.latest.parameter_count,
        seen.latest.is_gated,
        seen.latest.gated_mode,
        seen.latest.downloads_all_time,
        seen.latest.downloads_30d,
        seen.latest.likes,
        seen.latest.trending_score,
        seen.first_seen_date,
        seen.last_seen_date,
        seen.snapshots_seen,
        seen.last_seen_date < calendar.latest_snapshot_date as is_deleted
    from seen
    {{ attribution_joins('seen.latest.author') }}
    left join latest_tags
        on seen.model_id = latest_tags.model_id
    cross join calendar

)

select * from final
