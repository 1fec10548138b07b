{#-
    The SQL the models write differently on DuckDB (the default target) and Spark (HUBPULSE_DBT_TARGET=spark),
    one dispatch macro per construct: `duckdb__x` renders exactly the DuckDB SQL the models held before Spark was
    a target, `spark__x` its Spark equivalent. Constructs both engines write the same way stay plain SQL, and
    dbt's own cross-database macros (dbt.datediff, dbt.position, dbt.type_string) are used where they give the
    same results. A construct missing here is DuckDB-only: it fails on Spark at the model that uses it.
-#}

{#- A CTE the engine must inline (DuckDB materializes a CTE read twice; Spark always inlines). -#}
{% macro inlined() -%}
    {{ return(adapter.dispatch('inlined', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__inlined() -%}
    not materialized
{%- endmacro %}

{% macro default__inlined() -%}
{%- endmacro %}


{#- A CTE the engine should compute once (DuckDB's hint; Spark decides itself). -#}
{% macro computed_once() -%}
    {{ return(adapter.dispatch('computed_once', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__computed_once() -%}
    materialized
{%- endmacro %}

{% macro default__computed_once() -%}
{%- endmacro %}


{#- `union all` matching columns by name. On Spark, by position: the caller lists the same columns in the same
    order on both sides. -#}
{% macro union_all_by_name() -%}
    {{ return(adapter.dispatch('union_all_by_name', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__union_all_by_name() -%}
    union all by name
{%- endmacro %}

{% macro default__union_all_by_name() -%}
    union all
{%- endmacro %}


{#- Every row of `relation` with `null_columns` (a select list of typed nulls) added when the relation lacks them
    (a raw partition or a table from before a column existed). On Spark the relation always has them: the raw
    table is registered with them (on_run_start_sources) and a table built by dbt-spark gets new columns added. -#}
{% macro select_with_columns(relation, null_columns) -%}
    {{ return(adapter.dispatch('select_with_columns', 'hubpulse')(relation, null_columns)) }}
{%- endmacro %}

{% macro duckdb__select_with_columns(relation, null_columns) -%}
    select * from {{ relation }}
    union all by name
    select {{ null_columns }}
    where false
{%- endmacro %}

{% macro default__select_with_columns(relation, null_columns) -%}
    select * from {{ relation }}
{%- endmacro %}


{#- The instant type (DuckDB's timestamptz; Spark's TIMESTAMP is an instant shown in the session's time zone, UTC). -#}
{% macro type_instant() -%}
    {{ return(adapter.dispatch('type_instant', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__type_instant() -%}
    timestamptz
{%- endmacro %}

{% macro default__type_instant() -%}
    timestamp
{%- endmacro %}


{#- A list of strings type (DuckDB `varchar[]`, Spark `array<string>`). -#}
{% macro type_string_list() -%}
    {{ return(adapter.dispatch('type_string_list', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__type_string_list() -%}
    varchar[]
{%- endmacro %}

{% macro default__type_string_list() -%}
    array<string>
{%- endmacro %}


{#- The UTC wall-clock timestamp of an instant (DuckDB `timezone('UTC', x)`); Spark's session zone is UTC. -#}
{% macro utc_timestamp(instant) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'hubpulse')(instant)) }}
{%- endmacro %}

{% macro duckdb__utc_timestamp(instant) -%}
    timezone('UTC', {{ instant }})
{%- endmacro %}

{% macro default__utc_timestamp(instant) -%}
    {{ instant }}
{%- endmacro %}


{#- The instant of a UTC wall-clock timestamp (DuckDB `timezone('UTC', x)` on a timestamp without zone). -#}
{% macro utc_instant(timestamp) -%}
    {{ return(adapter.dispatch('utc_instant', 'hubpulse')(timestamp)) }}
{%- endmacro %}

{% macro duckdb__utc_instant(timestamp) -%}
    timezone('UTC', {{ timestamp }})
{%- endmacro %}

{% macro default__utc_instant(timestamp) -%}
    {{ timestamp }}
{%- endmacro %}


{#- Prefix and whole-string regex tests. -#}
{% macro starts_with(text, prefix) -%}
    {{ return(adapter.dispatch('starts_with', 'hubpulse')(text, prefix)) }}
{%- endmacro %}

{% macro duckdb__starts_with(text, prefix) -%}
    starts_with({{ text }}, {{ prefix }})
{%- endmacro %}

{% macro default__starts_with(text, prefix) -%}
    startswith({{ text }}, {{ prefix }})
{%- endmacro %}


{% macro regexp_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'hubpulse')(text, pattern)) }}
{%- endmacro %}

{% macro duckdb__regexp_full_match(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro default__regexp_full_match(text, pattern) -%}
    ({{ text }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}


{#- The value of `value` on the row with the largest `ordering`, skipping rows whose value is null (DuckDB
    arg_max); `arg_max_null` keeps them; `arg_min` the smallest, skipping nulls. -#}
{% macro arg_max(value, ordering) -%}
    {{ return(adapter.dispatch('arg_max', 'hubpulse')(value, ordering)) }}
{%- endmacro %}

{% macro duckdb__arg_max(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro default__arg_max(value, ordering) -%}
    max_by({{ value }}, case when {{ value }} is not null then {{ ordering }} end)
{%- endmacro %}


{% macro arg_max_null(value, ordering) -%}
    {{ return(adapter.dispatch('arg_max_null', 'hubpulse')(value, ordering)) }}
{%- endmacro %}

{% macro duckdb__arg_max_null(value, ordering) -%}
    arg_max_null({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro default__arg_max_null(value, ordering) -%}
    max_by({{ value }}, {{ ordering }})
{%- endmacro %}


{% macro arg_min(value, ordering) -%}
    {{ return(adapter.dispatch('arg_min', 'hubpulse')(value, ordering)) }}
{%- endmacro %}

{% macro duckdb__arg_min(value, ordering) -%}
    arg_min({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro default__arg_min(value, ordering) -%}
    min_by({{ value }}, case when {{ value }} is not null then {{ ordering }} end)
{%- endmacro %}


{#- A struct value from `fields`, a list of [name, SQL expression] pairs (order kept). -#}
{% macro struct_of(fields) -%}
    {{ return(adapter.dispatch('struct_of', 'hubpulse')(fields)) }}
{%- endmacro %}

{% macro duckdb__struct_of(fields) -%}
    {
    {%- for name, expression in fields %}
        '{{ name }}': {{ expression }}{{ "," if not loop.last }}
    {%- endfor %}
    }
{%- endmacro %}

{% macro default__struct_of(fields) -%}
    named_struct(
    {%- for name, expression in fields %}
        '{{ name }}', {{ expression }}{{ "," if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}


{#- Select-list `unnest` of a list: one row per element (none for an empty or null list). -#}
{% macro unnest(list) -%}
    {{ return(adapter.dispatch('unnest', 'hubpulse')(list)) }}
{%- endmacro %}

{% macro duckdb__unnest(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro default__unnest(list) -%}
    explode({{ list }})
{%- endmacro %}


{#- Select-list: one row per element of `list` with its 1-based position, as columns `position_alias` and
    `element_alias`. -#}
{% macro unnest_with_position(list, position_alias, element_alias) -%}
    {{ return(adapter.dispatch('unnest_with_position', 'hubpulse')(list, position_alias, element_alias)) }}
{%- endmacro %}

{% macro duckdb__unnest_with_position(list, position_alias, element_alias) -%}
    unnest(generate_series(1, len({{ list }}))) as {{ position_alias }},
        unnest({{ list }}) as {{ element_alias }}
{%- endmacro %}

{% macro default__unnest_with_position(list, position_alias, element_alias) -%}
    inline(transform({{ list }}, (element, position) -> named_struct(
            '{{ position_alias }}', position + 1, '{{ element_alias }}', element
        ))) as ({{ position_alias }}, {{ element_alias }})
{%- endmacro %}


{#- Select-list: one row per date of start..stop (inclusive) by `step` (an interval), as a date. -#}
{% macro unnest_date_series(start, stop, step) -%}
    {{ return(adapter.dispatch('unnest_date_series', 'hubpulse')(start, stop, step)) }}
{%- endmacro %}

{% macro duckdb__unnest_date_series(start, stop, step) -%}
    cast(unnest(generate_series({{ start }}, {{ stop }}, {{ step }})) as date)
{%- endmacro %}

{% macro default__unnest_date_series(start, stop, step) -%}
    explode(sequence({{ start }}, {{ stop }}, {{ step }}))
{%- endmacro %}


{#- A select of one row per day from `start_column` to `end_column` (dates) of the one-row `relation`, as the
    date column `alias`. -#}
{% macro select_calendar_dates(relation, start_column, end_column, alias) -%}
    {{ return(adapter.dispatch('select_calendar_dates', 'hubpulse')(relation, start_column, end_column, alias)) }}
{%- endmacro %}

{% macro duckdb__select_calendar_dates(relation, start_column, end_column, alias) -%}
    select cast(date_series.generate_series as date) as {{ alias }}
    from {{ relation }}
    cross join generate_series({{ relation }}.{{ start_column }}, {{ relation }}.{{ end_column }}, interval 1 day) as date_series
{%- endmacro %}

{% macro default__select_calendar_dates(relation, start_column, end_column, alias) -%}
    select explode(sequence({{ relation }}.{{ start_column }}, {{ relation }}.{{ end_column }}, interval 1 day))
        as {{ alias }}
    from {{ relation }}
{%- endmacro %}


{#- A list literal of SQL expressions, and list functions. -#}
{% macro list_of(expressions) -%}
    {{ return(adapter.dispatch('list_of', 'hubpulse')(expressions)) }}
{%- endmacro %}

{% macro duckdb__list_of(expressions) -%}
    [{{ expressions | join(', ') }}]
{%- endmacro %}

{% macro default__list_of(expressions) -%}
    array({{ expressions | join(', ') }})
{%- endmacro %}


{% macro list_length(list) -%}
    {{ return(adapter.dispatch('list_length', 'hubpulse')(list)) }}
{%- endmacro %}

{% macro duckdb__list_length(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro default__list_length(list) -%}
    size({{ list }})
{%- endmacro %}


{% macro list_distinct(list) -%}
    {{ return(adapter.dispatch('list_distinct', 'hubpulse')(list)) }}
{%- endmacro %}

{% macro duckdb__list_distinct(list) -%}
    list_distinct({{ list }})
{%- endmacro %}

{% macro default__list_distinct(list) -%}
    array_distinct({{ list }})
{%- endmacro %}


{% macro list_contains(list, element) -%}
    {{ return(adapter.dispatch('list_contains', 'hubpulse')(list, element)) }}
{%- endmacro %}

{% macro duckdb__list_contains(list, element) -%}
    list_contains({{ list }}, {{ element }})
{%- endmacro %}

{% macro default__list_contains(list, element) -%}
    array_contains({{ list }}, {{ element }})
{%- endmacro %}


{#- The elements of `list` for which `condition` (SQL over the lambda variable `variable`) holds. -#}
{% macro list_filter(list, variable, condition) -%}
    {{ return(adapter.dispatch('list_filter', 'hubpulse')(list, variable, condition)) }}
{%- endmacro %}

{% macro duckdb__list_filter(list, variable, condition) -%}
    list_filter({{ list }}, lambda {{ variable }}: {{ condition }})
{%- endmacro %}

{% macro default__list_filter(list, variable, condition) -%}
    filter({{ list }}, {{ variable }} -> {{ condition }})
{%- endmacro %}


{#- Aggregate: the distinct values of `expression`, sorted (DuckDB `list_sort(list_distinct(list(x)))`). -#}
{% macro sorted_distinct_list(expression) -%}
    {{ return(adapter.dispatch('sorted_distinct_list', 'hubpulse')(expression)) }}
{%- endmacro %}

{% macro duckdb__sorted_distinct_list(expression) -%}
    list_sort(list_distinct(list({{ expression }})))
{%- endmacro %}

{% macro default__sorted_distinct_list(expression) -%}
    array_sort(array_distinct(collect_list({{ expression }})))
{%- endmacro %}


{#- Aggregate: the values of `expression` on the rows where `condition` holds, sorted; null when there is none
    (DuckDB `list(x order by x) filter (where c)`). -#}
{% macro sorted_list_where(expression, condition) -%}
    {{ return(adapter.dispatch('sorted_list_where', 'hubpulse')(expression, condition)) }}
{%- endmacro %}

{% macro duckdb__sorted_list_where(expression, condition) -%}
    list({{ expression }} order by {{ expression }}) filter (where {{ condition }})
{%- endmacro %}

{% macro default__sorted_list_where(expression, condition) -%}
    case
        when count(*) filter (where {{ condition }}) > 0
            then array_sort(collect_list({{ expression }}) filter (where {{ condition }}))
    end
{%- endmacro %}


{#- Aggregate: the values of `expression` joined by `separator`, sorted; null when there is none. -#}
{% macro sorted_string_agg(expression, separator) -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'hubpulse')(expression, separator)) }}
{%- endmacro %}

{% macro duckdb__sorted_string_agg(expression, separator) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ expression }})
{%- endmacro %}

{% macro default__sorted_string_agg(expression, separator) -%}
    case
        when count({{ expression }}) > 0 then array_join(array_sort(collect_list({{ expression }})), {{ separator }})
    end
{%- endmacro %}


{#- JSON: a path's value as text (null when missing), the elements of a JSON array as a list of JSON texts, whether
    a JSON text is an array, and the `id` of every object of an array at `path` (a list of strings). -#}
{% macro json_text(json, path) -%}
    {{ return(adapter.dispatch('json_text', 'hubpulse')(json, path)) }}
{%- endmacro %}

{% macro duckdb__json_text(json, path) -%}
    json_extract_string({{ json }}, '{{ path }}')
{%- endmacro %}

{% macro default__json_text(json, path) -%}
    get_json_object({{ json }}, '{{ path }}')
{%- endmacro %}


{% macro json_is_array(json) -%}
    {{ return(adapter.dispatch('json_is_array', 'hubpulse')(json)) }}
{%- endmacro %}

{% macro duckdb__json_is_array(json) -%}
    json_type({{ json }}) = 'ARRAY'
{%- endmacro %}

{#- Spark's from_json reads an object as a one-element array, so the text itself says: a JSON array starts with `[`. -#}
{% macro default__json_is_array(json) -%}
    left(ltrim({{ json }}), 1) = '['
{%- endmacro %}


{#- The elements of the JSON array at `path` (`$` the document itself) as a list of JSON texts; `or_empty`: an
    empty list instead of null when the path is missing. -#}
{% macro json_array_elements(json, path='$', or_empty=false) -%}
    {{ return(adapter.dispatch('json_array_elements', 'hubpulse')(json, path, or_empty)) }}
{%- endmacro %}

{% macro duckdb__json_array_elements(json, path, or_empty) -%}
    {%- if or_empty -%}
        cast(coalesce(json_extract({{ json }}, '{{ path }}[*]'), []) as json[])
    {%- else -%}
        cast(json_extract({{ json }}, '{{ path }}[*]') as json[])
    {%- endif -%}
{%- endmacro %}

{% macro default__json_array_elements(json, path, or_empty) -%}
    {%- set document = json if path == '$' else "get_json_object(" ~ json ~ ", '" ~ path ~ "')" -%}
    {%- if or_empty -%}
        coalesce(from_json({{ document }}, 'array<string>'), cast(array() as array<string>))
    {%- else -%}
        from_json({{ document }}, 'array<string>')
    {%- endif -%}
{%- endmacro %}


{#- The `field` (a text) of every element of every array at `path` of the elements of a JSON array (DuckDB
    `json_extract(x, '$[*].results[*]')`, `path` = 'results'), as a list of JSON texts. -#}
{% macro json_nested_array_elements(json, field) -%}
    {{ return(adapter.dispatch('json_nested_array_elements', 'hubpulse')(json, field)) }}
{%- endmacro %}

{% macro duckdb__json_nested_array_elements(json, field) -%}
    cast(json_extract({{ json }}, '$[*].{{ field }}[*]') as json[])
{%- endmacro %}

{% macro default__json_nested_array_elements(json, field) -%}
    flatten(transform(
        from_json({{ json }}, 'array<string>'),
        element -> coalesce(
            from_json(get_json_object(element, '$.{{ field }}'), 'array<string>'), cast(array() as array<string>)
        )
    ))
{%- endmacro %}


{% macro json_ids_at(json, path) -%}
    {{ return(adapter.dispatch('json_ids_at', 'hubpulse')(json, path)) }}
{%- endmacro %}

{% macro duckdb__json_ids_at(json, path) -%}
    json_extract_string({{ json }}, '{{ path }}[*].id')
{%- endmacro %}

{% macro default__json_ids_at(json, path) -%}
    transform(
        from_json(get_json_object({{ json }}, '{{ path }}'), 'array<string>'),
        element -> get_json_object(element, '$.id')
    )
{%- endmacro %}


{#- The function that fails the query with its message when evaluated: `{{ error_function() }}('...')`. -#}
{% macro error_function() -%}
    {{ return(adapter.dispatch('error_function', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__error_function() -%}
    error
{%- endmacro %}

{% macro default__error_function() -%}
    raise_error
{%- endmacro %}


{#- `*` without some columns. -#}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except', 'hubpulse')(columns)) }}
{%- endmacro %}

{% macro duckdb__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro default__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}


{#- Select-list: one row per whole number 0 .. count - 1 (DuckDB `unnest(range(count))`). -#}
{% macro unnest_range(count) -%}
    {{ return(adapter.dispatch('unnest_range', 'hubpulse')(count)) }}
{%- endmacro %}

{% macro duckdb__unnest_range(count) -%}
    unnest(range({{ count }}))
{%- endmacro %}

{% macro default__unnest_range(count) -%}
    explode(case when ({{ count }}) > 0 then sequence(0, ({{ count }}) - 1) end)
{%- endmacro %}


{#- Window function: the last non-null value of `expression` in the frame (followed by `over (...)`). -#}
{% macro last_value_ignore_nulls(expression) -%}
    {{ return(adapter.dispatch('last_value_ignore_nulls', 'hubpulse')(expression)) }}
{%- endmacro %}

{% macro duckdb__last_value_ignore_nulls(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}

{% macro default__last_value_ignore_nulls(expression) -%}
    last_value({{ expression }}, true)
{%- endmacro %}


{#- The ISO 8601 week-numbering year and week of a date. -#}
{% macro iso_year(date) -%}
    {{ return(adapter.dispatch('iso_year', 'hubpulse')(date)) }}
{%- endmacro %}

{% macro duckdb__iso_year(date) -%}
    isoyear({{ date }})
{%- endmacro %}

{% macro default__iso_year(date) -%}
    extract(yearofweek from {{ date }})
{%- endmacro %}


{% macro iso_week(date) -%}
    {{ return(adapter.dispatch('iso_week', 'hubpulse')(date)) }}
{%- endmacro %}

{% macro duckdb__iso_week(date) -%}
    week({{ date }})
{%- endmacro %}

{% macro default__iso_week(date) -%}
    weekofyear({{ date }})
{%- endmacro %}
