{#-
    First day a windowed fct_download_velocity run rebuilds: the window start, or earlier when the window's
    snapshots wrote daily downloads for earlier days (a missing date, a model back after an absence), or when a
    window of int_models_daily_downloads since the velocities' last build deleted rows of earlier days (a
    re-crawl or a withdrawn day without a model whose gap reached back: velocity_replaced_from).
    A date literal, looked up when the model runs (used by the model and by its pre-hook that deletes the rows it
    rebuilds; nothing they run changes int_models_daily_downloads in between, so both see the same date). A
    literal, not a scalar subquery: DuckDB pushes a constant bound into the scans of the daily tables, which then
    read only the rows of the window and its 27-day look-back; a subquery's bound made them read every column of
    every day of the history first (the daily cost grew with the history, issue 18).
-#}
{% macro velocity_recompute_from() -%}
    {%- set window = build_window() -%}
    {%- if window is none -%}
        cast(null as date)
    {%- else -%}
        {%- set found = run_query(
            "select min(download_date) from " ~ ref('int_models_daily_downloads')
            ~ " where snapshot_date between date '" ~ window.start ~ "' and date '" ~ window.end ~ "'") -%}
        {%- set candidates = [window.start] -%}
        {%- for earlier in [found.columns[0].values()[0] if found.rows | length > 0 else none,
                            velocity_replaced_from()] -%}
            {%- if earlier is not none -%}
                {%- do candidates.append(earlier | string) -%}
            {%- endif -%}
        {%- endfor -%}
        date '{{ candidates | min }}'
    {%- endif -%}
{%- endmacro %}


{#- The earliest download date of the rows int_models_daily_downloads' windows replaced since fct_download_velocity
    was last built, from their log daily_downloads_window_log (macros/window_log.sql), or none. DuckDB only; on Spark nothing is
    logged (a re-crawl there leaves the velocities of the days before the window as they were). -#}
{% macro velocity_replaced_from() -%}
    {{ return(adapter.dispatch('velocity_replaced_from', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__velocity_replaced_from() -%}
    {%- set daily = ref('int_models_daily_downloads') -%}
    {%- set window_log = daily_window_log(daily, 'daily_downloads_window_log') -%}
    {%- if not window_log_columns(window_log) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set replaced = run_query(
        "select min(windows.replaced_from) from " ~ window_log ~ " as windows "
        ~ "where windows.relation = '" ~ daily.identifier ~ "' and windows.log_id > coalesce(("
        ~ "select max(built.log_id) from " ~ window_log ~ " as built where built.relation = '" ~ this.identifier
        ~ "'), 0)") -%}
    {{ return(replaced.columns[0].values()[0] if replaced.rows | length > 0 else none) }}
{%- endmacro %}

{% macro default__velocity_replaced_from() -%}
    {{ return(none) }}
{%- endmacro %}
