with

-- The names a model was listed under come from the built daily downloads (one row per model and snapshot date
-- where download_date = snapshot_date, the snapshot rows already deduplicated) rather than the snapshots view,
-- which would type the raw history again.
daily_downloads as {{ inlined() }} (

    select * from {{ ref('int_models_daily_downloads') }}

),

organization_aliases as {{ inlined() }} (

    select * from {{ ref('organization_aliases') }}

),

names_seen as (

    select
        model_id,
        repo_id,
        split_part(repo_id, '/', 1) as namespace,
        min(snapshot_date) as first_seen_date,
        max(snapshot_date) as last_seen_date
    from daily_downloads
    where download_date = snapshot_date
    group by model_id, repo_id

),

canonical as (

    -- A renamed namespace's ids (THUDM/x) resolve to the organisation's current namespace (zai-org/x),
    -- so a card or the leaderboard naming the old id still finds the model.
    select
        names_seen.model_id,
        {{ canonical_repo_id('names_seen.repo_id', 'organization_aliases.organization') }} as canonical_repo_id,
        names_seen.first_seen_date,
        names_seen.last_seen_date
    from names_seen
    left join organization_aliases
        on names_seen.namespace = organization_aliases.legacy_namespace

),

final as (

    -- One owner per canonical id: when a name was reused by another repo object, the latest holder wins.
    select
        canonical_repo_id,
        model_id,
        first_seen_date,
        last_seen_date
    from canonical
    qualify
        row_number() over (
            partition by canonical_repo_id order by last_seen_date desc, first_seen_date desc, model_id asc
        ) = 1

)

select * from final
