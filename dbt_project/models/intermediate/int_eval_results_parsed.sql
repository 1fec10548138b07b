{#-
    A table, not a view: its tests and the benchmark scores read it; parsed from the listings (one row per model
    and distinct listing), not from the snapshots of the whole history.
-#}
{{ config(materialized='table') }}

with

listings as {{ inlined() }} (

    select * from {{ ref('int_model_listings_deduplicated') }}

),

result_versions as (

    -- Each distinct payload of a model's results once, with the dates it covers.
    select
        model_id,
        eval_results_json,
        model_index_json,
        min(first_seen_date) as first_seen_date,
        max(last_seen_date) as last_seen_date
    from listings
    where eval_results_json is not null
        or model_index_json is not null
    group by model_id, eval_results_json, model_index_json

),

eval_results_lists as (

    -- `evalResults` (the Hub's Eval Results, Dec 2025): a list of {dataset{id, task_id}, value, date, source}.
    select
        model_id,
        first_seen_date,
        last_seen_date,
        {{ json_array_elements('eval_results_json') }} as results
    from result_versions
    where eval_results_json is not null
        and {{ json_is_array('eval_results_json') }}

),

eval_results_unnested as (

    select
        model_id,
        first_seen_date,
        last_seen_date,
        {{ unnest_with_position('results', 'result_position', 'result') }}
    from eval_results_lists

),

eval_results as (

    select
        model_id,
        first_seen_date,
        last_seen_date,
        'evalResults' as result_format,
        result_position,
        {{ json_text('result', '$.dataset.id') }} as dataset_id,
        cast(null as {{ dbt.type_string() }}) as dataset_name,
        {{ json_text('result', '$.dataset.task_id') }} as task_id,
        cast(null as {{ dbt.type_string() }}) as metric_type,
        try_cast({{ json_text('result', '$.value') }} as double) as result_value,
        try_cast(left({{ json_text('result', '$.date') }}, 10) as date) as result_date,
        {{ json_text('result', '$.source.name') }} as source_name,
        {{ json_text('result', '$.source.url') }} as source_url
    from eval_results_unnested

),

model_index_lists as (

    -- Legacy `model-index`: [{name, results: [{task, dataset{name, type}, metrics[{type, value}], source}]}],
    -- flattened to one row per metric.
    select
        model_id,
        first_seen_date,
        last_seen_date,
        {{ json_nested_array_elements('model_index_json', 'results') }} as results
    from result_versions
    where model_index_json is not null
        and {{ json_is_array('model_index_json') }}

),

model_index_results as (

    select
        model_id,
        first_seen_date,
        last_seen_date,
        {{ unnest_with_position('results', 'result_index', 'result') }}
    from model_index_lists

),

model_index_metric_lists as (

    select
        *,
        {{ json_array_elements('result', '$.metrics', or_empty=true) }} as metrics
    from model_index_results

),

model_index_metrics as (

    select
        model_id,
        first_seen_date,
        last_seen_date,
        result_index,
        result,
        {{ unnest_with_position('metrics', 'metric_index', 'metric') }}
    from model_index_metric_lists

),

model_index as (

    select
        model_id,
        first_seen_date,
        last_seen_date,
        'model-index' as result_format,
        row_number() over (
            partition by model_id, first_seen_date order by result_index, metric_index
        ) as result_position,
        {{ json_text('result', '$.dataset.type') }} as dataset_id,
        {{ json_text('result', '$.dataset.name') }} as dataset_name,
        {{ json_text('result', '$.task.type') }} as task_id,
        {{ json_text('metric', '$.type') }} as metric_type,
        try_cast({{ json_text('metric', '$.value') }} as double) as result_value,
        cast(null as date) as result_date,
        {{ json_text('result', '$.source.name') }} as source_name,
        {{ json_text('result', '$.source.url') }} as source_url
    from model_index_metrics

),

unioned as (

    select * from eval_results
    {{ union_all_by_name() }}
    select * from model_index

),

final as (

    select
        model_id,
        first_seen_date,
        last_seen_date,
        result_format,
        cast(result_position as integer) as result_position,
        dataset_id,
        dataset_name,
        task_id,
        metric_type,
        result_value,
        result_date,
        source_name,
        source_url
    from unioned

)

select * from final
