with

-- The names a model was listed under, with their first and last snapshot dates: the state the daily run updates
-- from its new days, rather than the whole history of daily rows.
model_names as {{ inlined() }} (

    select * from {{ ref('int_model_names_seen') }}

),

organization_aliases as {{ inlined() }} (

    select * from {{ ref('organization_aliases') }}

),

names_seen as (

    select
        model_id,
        repo_id,
        split_part(repo_id, '/', 1) as namespace,
        first_seen_date,
        last_seen_date
    from model_names

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
