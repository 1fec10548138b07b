{#-
    Grain: one row per region and month with a release. Releases are int_releases in the month of their release
    date, under the model's region, with the languages their latest snapshot declares (int_models_licences_languages:
    the language tags, `multilingual` included). A release declares languages beyond English when it declares any
    other code (or `multilingual`); the language counts are of named codes only. The `_before_r1` / `_since_r1`
    columns split at the `r1_release_date` var by release date (only the month of R1 has both).
-#}

with

releases as {{ inlined() }} (

    select * from {{ ref('int_releases') }}

),

languages as {{ inlined() }} (

    select * from {{ ref('int_models_licences_languages') }}

),

final as (

    select
        releases.region,
        releases.release_month as month_start,
        releases.release_month >= {{ r1_release_date() }} as is_post_r1,
        count(*) as releases,
        count(*) filter (where not releases.is_post_r1) as releases_before_r1,
        count(*) filter (where releases.is_post_r1) as releases_since_r1,
        count(*) filter (where {{ list_length('languages.languages') }} > 0) as releases_declaring_languages,
        count(*) filter (where languages.declares_beyond_english) as releases_beyond_english,
        count(*) filter (where languages.declares_beyond_english and not releases.is_post_r1)
            as releases_beyond_english_before_r1,
        count(*) filter (where languages.declares_beyond_english and releases.is_post_r1)
            as releases_beyond_english_since_r1,
        cast(count(*) filter (where languages.declares_beyond_english) as double) / count(*)
            as share_beyond_english,
        avg(languages.language_count) filter (where languages.language_count > 0) as mean_languages_declared,
        max(languages.language_count) as max_languages_declared
    from releases
    inner join languages
        on releases.model_id = languages.model_id
    group by releases.region, releases.release_month

)

select * from final
