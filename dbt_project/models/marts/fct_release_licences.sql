{#-
    Grain: one row per region, month and licence family that has a release in the month or downloads in it.
    Releases are int_releases (a real createdAt) in the month of their release date, under the model's region;
    downloads are the daily downloads of the month (int_models_monthly_downloads, the region of the day) of every
    model whose latest licence is of the family, whenever it was released: what each licence family carries. The
    family is int_models_licences_languages' (`unknown`: no licence, or one the seed does not list). The `_before_r1`
    / `_since_r1` columns split at the `r1_release_date` var by release date and by download date, so only the
    month of R1 has both.
-#}

with

releases as {{ inlined() }} (

    select * from {{ ref('int_releases') }}

),

monthly_downloads as {{ inlined() }} (

    select * from {{ ref('int_models_monthly_downloads') }}

),

licences as {{ inlined() }} (

    select * from {{ ref('int_models_licences_languages') }}

),

released as (

    select
        releases.region,
        releases.release_month as month_start,
        licences.license_family,
        count(*) as releases,
        count(*) filter (where not releases.is_post_r1) as releases_before_r1,
        count(*) filter (where releases.is_post_r1) as releases_since_r1
    from releases
    inner join licences
        on releases.model_id = licences.model_id
    group by releases.region, releases.release_month, licences.license_family

),

downloaded as (

    select
        monthly_downloads.region,
        monthly_downloads.month_start,
        licences.license_family,
        sum(monthly_downloads.downloads) as downloads,
        sum(monthly_downloads.downloads) filter (where not monthly_downloads.is_post_r1) as downloads_before_r1,
        sum(monthly_downloads.downloads) filter (where monthly_downloads.is_post_r1) as downloads_since_r1
    from monthly_downloads
    inner join licences
        on monthly_downloads.model_id = licences.model_id
    -- Known downloads only: a day without a known count (a model entering the scope, an archive without
    -- downloadsAllTime) makes no download cell, so no row has neither releases nor downloads.
    where monthly_downloads.downloads is not null
    group by monthly_downloads.region, monthly_downloads.month_start, licences.license_family

),

cells as (

    select
        region,
        month_start,
        license_family
    from released
    union
    select
        region,
        month_start,
        license_family
    from downloaded

),

final as (

    select
        cells.region,
        cells.month_start,
        cells.license_family,
        cells.month_start >= {{ r1_release_date() }} as is_post_r1,
        coalesce(released.releases, 0) as releases,
        coalesce(released.releases_before_r1, 0) as releases_before_r1,
        coalesce(released.releases_since_r1, 0) as releases_since_r1,
        cast(coalesce(released.releases, 0) as double)
        / nullif(sum(coalesce(released.releases, 0)) over (partition by cells.region, cells.month_start), 0)
            as release_share,
        downloaded.downloads,
        downloaded.downloads_before_r1,
        downloaded.downloads_since_r1,
        cast(downloaded.downloads as double)
        / nullif(sum(downloaded.downloads) over (partition by cells.region, cells.month_start), 0)
            as download_share
    from cells
    left join released
        on cells.region = released.region
        and cells.month_start = released.month_start
        and cells.license_family = released.license_family
    left join downloaded
        on cells.region = downloaded.region
        and cells.month_start = downloaded.month_start
        and cells.license_family = downloaded.license_family

)

select * from final
