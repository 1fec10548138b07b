{#-
    The build window of the daily-partitioned incremental models (tag `daily_partitioned`).

    Contract with the Dagster side: the window is passed as the environment variables
    HUBPULSE_WINDOW_START and HUBPULSE_WINDOW_END, inclusive ISO dates (YYYY-MM-DD), both or neither.
    Unset (or a `--full-refresh` run of a model) means the whole history.

    The variables are read only while executing (`execute`), never while parsing, so changing them
    between runs does not invalidate dbt's partial parse (unlike `--vars`).
    Returns none (whole history) or {'start': 'YYYY-MM-DD', 'end': 'YYYY-MM-DD'}.
-#}
{% macro build_window() %}
    {#- A unit test that overrides is_incremental() keeps its window even in a --full-refresh invocation. -#}
    {%- if not execute or (flags.FULL_REFRESH and not is_incremental()) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set start = env_var('HUBPULSE_WINDOW_START', '') | trim -%}
    {%- set end = env_var('HUBPULSE_WINDOW_END', '') | trim -%}
    {%- if start == '' and end == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if start == '' or end == '' -%}
        {{ exceptions.raise_compiler_error(
            "Set both HUBPULSE_WINDOW_START and HUBPULSE_WINDOW_END (inclusive YYYY-MM-DD) or neither; got start='"
            ~ start ~ "' end='" ~ end ~ "'") }}
    {%- endif -%}
    {%- for value in [start, end] -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
            {{ exceptions.raise_compiler_error("HUBPULSE_WINDOW_START/END must be YYYY-MM-DD dates, got '" ~ value ~ "'") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set start_date = modules.datetime.date.fromisoformat(start) -%}
    {%- set end_date = modules.datetime.date.fromisoformat(end) -%}
    {%- if start_date > end_date -%}
        {{ exceptions.raise_compiler_error("HUBPULSE_WINDOW_START " ~ start ~ " is after HUBPULSE_WINDOW_END " ~ end) }}
    {%- endif -%}
    {{ return({'start': start, 'end': end}) }}
{% endmacro %}


{#- `<column> between <start> and <end>` for the current window, or `true` when building the whole history. -#}
{% macro build_window_filter(column) -%}
    {%- set window = build_window() -%}
    {%- if window is none -%}
        true
    {%- else -%}
        {{ column }} between date '{{ window.start }}' and date '{{ window.end }}'
    {%- endif -%}
{%- endmacro %}


{#-
    Pre-hook of the windowed incrementals: before delete+insert, remove every row the window is about to
    rebuild (`column` between `from_sql` and the window end), so a raw partition re-ingested with fewer models
    leaves no stale rows behind. `from_sql` defaults to the window start; it may be a scalar subquery.
    Without a window (whole history, table already there) every row is rebuilt, so every row goes.
-#}
{% macro delete_build_window(column, from_sql=none) -%}
    {%- if execute and is_incremental() -%}
        {%- set window = build_window() -%}
        {%- if window is none -%}
            delete from {{ this }}
        {%- else -%}
            delete from {{ this }}
            where {{ column }} >= {{ from_sql if from_sql is not none else "date '" ~ window.start ~ "'" }}
                and {{ column }} <= date '{{ window.end }}'
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
