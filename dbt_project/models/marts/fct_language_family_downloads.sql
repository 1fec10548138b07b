{#-
    Grain: one row per region, month and language family with downloads in the month. Downloads are the month's
    daily downloads (int_models_monthly_downloads: int_models_daily_downloads per month, the region of the day)
    of the models whose latest snapshot declares a language of the family (int_models_licences_languages; `none`:
    no language declared, `unclassified`: a code the seed does not list). A model declaring languages of several
    families counts in each, so a region's shares of a month add up to 1 or more; its downloads are counted once in
    the total.
-#}

with

monthly_downloads as {{ inlined() }} (

    select * from {{ ref('int_models_monthly_downloads') }}

),

languages as {{ inlined() }} (

    select * from {{ ref('int_models_licences_languages') }}

),

model_families as (

    select
        model_id,
        {{ unnest(
            'case when ' ~ list_length('language_families') ~ ' = 0 then ' ~ list_of(["'none'"])
            ~ ' else language_families end'
        ) }}
            as language_family
    from languages

),

monthly as (

    -- Each model's downloads per region and month, once.
    select
        region,
        month_start,
        model_id,
        sum(downloads) as downloads
    from monthly_downloads
    group by region, month_start, model_id

),

totals as (

    select
        region,
        month_start,
        sum(downloads) as region_downloads
    from monthly
    group by region, month_start

),

final as (

    select
        monthly.region,
        monthly.month_start,
        model_families.language_family,
        monthly.month_start >= {{ r1_release_date() }} as is_post_r1,
        count(*) as models,
        sum(monthly.downloads) as downloads,
        cast(sum(monthly.downloads) as double) / nullif(any_value(totals.region_downloads), 0) as download_share
    from monthly
    inner join model_families
        on monthly.model_id = model_families.model_id
    inner join totals
        on monthly.region = totals.region
        and monthly.month_start = totals.month_start
    group by monthly.region, monthly.month_start, model_families.language_family

)

select * from final
