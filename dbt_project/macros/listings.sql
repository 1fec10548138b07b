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
    incremental run can leave any: a full build selects exactly the referenced ones. And only after daily rows
    were replaced: the anti-join reads every daily row's listing id (N x D rows, a cost growing with the history,
    issue 18), so it runs only when a window of int_model_snapshots_daily logged since this model's last build
    replaced rows (a late or re-crawled day, a withdrawn one, a whole build: listings_may_be_unreferenced). A
    new day's window replaces none, and the listings it adds are its own rows'.
-#}
{% macro delete_unreferenced_listings() -%}
    {%- if execute and is_incremental() and listings_incremental() and listings_may_be_unreferenced() -%}
        delete from {{ this }}
        where listing_id not in (select listing_id from {{ ref('int_model_snapshots_daily') }})
    {%- endif -%}
{%- endmacro %}


{#-
    Whether a listing may have lost its last reference since int_model_listings was last built: no build of it is
    logged yet (a warehouse from before the log, or its first incremental run), or a window of
    int_model_snapshots_daily logged after that build replaced rows, or replaced an unknown number (a whole
    build; a log row from before `replaced_rows`). The log and its rows: macros/window_log.sql. The daily rows
    are deleted only by those windows, so with none every listing referenced at the last build still is.
-#}
{% macro listings_may_be_unreferenced() -%}
    {%- set daily = ref('int_model_snapshots_daily') -%}
    {%- set window_log = daily_window_log(daily) -%}
    {%- if 'replaced_rows' not in window_log_columns(window_log) -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set needed = run_query(
        "with built as (select max(log_id) as log_id from " ~ window_log ~ " where relation = '" ~ this.identifier ~ "') "
        ~ "select built.log_id is null or exists ("
        ~ "select 1 from " ~ window_log ~ " as windows where windows.relation = '" ~ daily.identifier ~ "' "
        ~ "and windows.log_id > built.log_id "
        ~ "and (windows.window_start is null or windows.replaced_rows is null or windows.replaced_rows > 0)) "
        ~ "from built") -%}
    {%- set may = needed.columns[0].values()[0] == true -%}
    {%- do log(this.identifier ~ (': daily rows were replaced, deleting the listings no day references'
               if may else ': no daily row replaced since its last build, no listing to delete'), info=True) -%}
    {{ return(may) }}
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
