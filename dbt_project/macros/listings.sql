{#-
    The identity of a model's listing, the slowly changing wide part of a snapshot: an md5 of the model and its
    tags, card licence name, baseModels, evalResults and model-index, serialised as one JSON object (nulls and
    empty lists stay distinct). Two snapshots of a model share it exactly when the columns are equal, as the
    `group by` int_model_listings_deduplicated did over the raw history. Computed from a row of
    int_model_snapshots_attributed, by int_model_snapshots_daily (the id of each day) and int_model_listings
    (the columns of each id).
-#}
{% macro listing_id() -%}
    md5(to_json({{ struct_of([
        ['model_id', 'model_id'],
        ['tags', 'tags'],
        ['card_license_name', 'card_license_name'],
        ['base_models_json', 'base_models_json'],
        ['eval_results_json', 'eval_results_json'],
        ['model_index_json', 'model_index_json'],
    ]) }}))
{%- endmacro %}


{#-
    Post-hook of int_model_listings: after a window's delete+insert, remove the listings that no row of
    int_model_snapshots_daily references (that model runs first: int_model_listings refs it here). Only an
    incremental run can leave any: a full build selects exactly the referenced ones.
-#}
{% macro delete_unreferenced_listings() -%}
    {%- if execute and is_incremental() and listings_incremental() -%}
        delete from {{ this }}
        where listing_id not in (select listing_id from {{ ref('int_model_snapshots_daily') }})
    {%- endif -%}
{%- endmacro %}


{#-
    Whether int_model_listings is built a window at a time (DuckDB: delete+insert of the window's listings, the
    post-hook deleting the unreferenced ones) or whole on every run (Spark: a Parquet table has no delete, and
    Spark refuses to overwrite a table a query reads; whole, it reads every raw partition again, as DuckDB's did
    before the table existed: the daily cost on Spark still grows with the history).
-#}
{% macro listings_incremental() -%}
    {{ return(adapter.dispatch('listings_incremental', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__listings_incremental() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro default__listings_incremental() -%}
    {{ return(false) }}
{%- endmacro %}
