{#-
    The slowly changing, wide part of the snapshots: each distinct listing of a model (its tags, base models and
    benchmark results), with the first and last snapshot dates it was seen on. A model's listing rarely changes,
    so the whole history (millions of snapshot rows) comes down to about one row per model: the tags, the base
    model edges and the results are parsed from here, and the snapshots view (int_model_snapshots_attributed,
    typing and deduplicating every raw partition) is read once for all three instead of once each. A table,
    rebuilt with the marts (it is not an input of the daily models).
-#}
{{ config(materialized='table') }}

with

model_snapshots as {{ inlined() }} (

    select * from {{ ref('int_model_snapshots_attributed') }}

),

final as (

    select
        model_id,
        tags,
        card_license_name,
        base_models_json,
        eval_results_json,
        model_index_json,
        min(snapshot_date) as first_seen_date,
        max(snapshot_date) as last_seen_date,
        count(*) as snapshots_seen
    from model_snapshots
    group by model_id, tags, card_license_name, base_models_json, eval_results_json, model_index_json

)

select * from final
