{{
    config(
        materialized='incremental' if listings_incremental() else 'table',
        incremental_strategy='delete+insert' if listings_incremental() else none,
        unique_key=['listing_id'],
        on_schema_change='fail',
        tags=['daily_partitioned'],
        post_hook=[
            "{{ delete_unreferenced_listings() }}",
            "{{ log_build(ref('int_model_snapshots_daily')) }}",
        ],
    )
}}

{#-
    Each distinct listing of a model (its tags, card licence name, baseModels, evalResults and model-index) once,
    under the id int_model_snapshots_daily gives each day's row (macros/listings.sql: listing_id). A
    window adds the listings its days show (an id already there is replaced by the same columns); the post-hook
    then deletes the listings no day references any more (a day re-ingested with another listing), so the table
    equals a full refresh whatever the order of the windows; it runs only after a window replaced daily rows, which
    the builds logged in daily_window_log tell (macros/listings.sql). A model's listing rarely changes: the table
    holds about one row per model, whatever the length of the history.
-#}

-- depends_on: {{ ref('int_model_snapshots_daily') }} (read by the post-hook)

with

model_snapshots as {{ inlined() }} (

    select * from {{ ref('int_model_snapshots_attributed') }}
    where {{ build_window_filter('snapshot_date') if listings_incremental() else 'true' }}

),

final as (

    select distinct
        {{ listing_id() }} as listing_id,
        model_id,
        tags,
        card_license_name,
        base_models_json,
        eval_results_json,
        model_index_json
    from model_snapshots

)

select * from final
