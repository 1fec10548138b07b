{#-
    One row per model: its licence and declared languages on its latest snapshot, normalised by the seeds
    license_families and language_families. The licence is the `license:` tag (the Hub derives it from the card);
    a custom licence (`other`) is named by the card's `license_name` when the seed lists that name. No licence, or
    one the seed does not list, is the family `unknown`; a language code the seed does not list is the family
    `unclassified`: counted, never dropped. A table: the licence, language and ranking marts read it.
-#}
{{ config(materialized='table') }}

with

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

listings as {{ inlined() }} (

    select * from {{ ref('int_model_listings_deduplicated') }}

),

license_families as {{ inlined() }} (

    select * from {{ ref('license_families') }}

),

language_families as {{ inlined() }} (

    select * from {{ ref('language_families') }}

),

latest_cards as (

    -- The card's custom licence name on the model's latest listing.
    select
        listings.model_id,
        max(listings.card_license_name) as card_license_name
    from listings
    inner join models
        on listings.model_id = models.model_id
        and listings.last_seen_date = models.last_seen_date
    group by listings.model_id

),

licensed as (

    select
        models.model_id,
        models.license,
        case when models.license = 'other' then latest_cards.card_license_name end as license_name,
        case
            when models.license = 'other' and named.license_id is not null then named.license_id
            else lower(models.license)
        end as license_key
    from models
    left join latest_cards
        on models.model_id = latest_cards.model_id
    left join license_families as named
        on models.license = 'other'
        and lower(latest_cards.card_license_name) = named.license_id

),

declared as (

    select
        model_id,
        {{ unnest('languages') }} as language_code
    from models
    where {{ list_length('languages') }} > 0

),

languages as (

    select
        declared.model_id,
        count(*) filter (where declared.language_code != 'multilingual') as language_count,
        bool_or(declared.language_code != 'en') as declares_beyond_english,
        {{ sorted_distinct_list("coalesce(language_families.language_family, 'unclassified')") }}
            as language_families
    from declared
    left join language_families
        on declared.language_code = language_families.language_code
    group by declared.model_id

),

final as (

    select
        models.model_id,
        models.organization,
        models.region,
        models.created_date,
        licensed.license,
        licensed.license_name,
        licensed.license_key,
        coalesce(license_families.license_family, 'unknown') as license_family,
        models.languages,
        coalesce(languages.language_count, 0) as language_count,
        coalesce(languages.declares_beyond_english, false) as declares_beyond_english,
        coalesce(languages.language_families, cast({{ list_of([]) }} as {{ type_string_list() }})) as language_families
    from models
    inner join licensed
        on models.model_id = licensed.model_id
    left join license_families
        on licensed.license_key = license_families.license_id
    left join languages
        on models.model_id = languages.model_id

)

select * from final
