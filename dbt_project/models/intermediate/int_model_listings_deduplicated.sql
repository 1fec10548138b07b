{#-
    The slowly changing, wide part of the snapshots: each distinct listing of a model (its tags, base models and
    benchmark results), with the first and last snapshot dates it was seen on. A model's listing rarely changes,
    so the whole history comes down to about one row per model: the tags, the base model edges and the results
    are parsed from here. Grouped from the compact daily rows (model, date, listing id: int_model_snapshots_daily)
    and joined to the listings' columns (int_model_listings) once per listing, so no run re-reads the raw
    history's tags and JSON. A table, rebuilt with the marts (it is not an input of the daily models).
-#}
{{ config(materialized='table') }}

with

model_days as {{ inlined() }} (

    select * from {{ ref('int_model_snapshots_daily') }}

),

listings as {{ inlined() }} (

    select * from {{ ref('int_model_listings') }}

),

seen as (

    select
        listing_id,
        min(snapshot_date) as first_seen_date,
        max(snapshot_date) as last_seen_date,
        count(*) as snapshots_seen
    from model_days
    group by listing_id

),

final as (

    select
        listings.model_id,
        listings.tags,
        listings.card_license_name,
        listings.base_models_json,
        listings.eval_results_json,
        listings.model_index_json,
        seen.first_seen_date,
        seen.last_seen_date,
        seen.snapshots_seen
    from seen
    inner join listings
        on seen.listing_id = listings.listing_id

)

select * from final
