{#-
    First day a windowed run of a model built from int_models_daily_downloads rebuilds (fct_download_velocity
    its days, int_models_monthly_downloads the months from this day's): the window start, or earlier when the
    window's snapshots wrote daily downloads for earlier days (a missing date, a model back after an absence), or
    when a window of int_models_daily_downloads since the model's last build deleted rows of earlier days (a
    re-crawl or a withdrawn day without a model whose gap reached back: downloads_replaced_from).
    A date literal, looked up when the model runs (used by the model and by its pre-hook that deletes the rows it
    rebuilds; nothing they run changes int_models_daily_downloads in between, so both see the same date); with
    `month`, the first day of that day's month. A literal, not a scalar subquery: DuckDB pushes a constant bound
    into the scans of the daily tables, which then read only the rows of the window (and the velocities' 27-day
    look-back); a subquery's bound made them read every column of every day of the history first (the daily cost
    grew with the history, issue 18).
-#}
{% macro downloads_recompute_from(month=false) -%}
    {%- set window = build_window() -%}
    {%- if window is none -%}
        cast(null as date)
    {%- else -%}
        {%- set found = run_query(
            "select min(download_date) from " ~ ref('int_models_daily_downloads')
            ~ " where snapshot_date between date '" ~ window.start ~ "' and date '" ~ window.end ~ "'") -%}
        {%- set candidates = [window.start] -%}
        {%- for earlier in [found.columns[0].values()[0] if found.rows | length > 0 else none,
                            downloads_replaced_from()] -%}
            {%- if earlier is not none -%}
                {%- do candidates.append(earlier | string) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set first = candidates | min -%}
        date '{{ first[:8] ~ '01' if month else first }}'
    {%- endif -%}
{%- endmacro %}


{#- The earliest download date of the rows int_models_daily_downloads' windows replaced since the running model
    (fct_download_velocity, int_models_monthly_downloads) was last built, from their log daily_downloads_window_log
    (macros/window_log.sql), or none. DuckDB only; on Spark nothing is logged (a re-crawl there leaves the
    velocities of the days before the window, and the monthly downloads of the months before its own, as they
    were). -#}
{% macro downloads_replaced_from() -%}
    {{ return(adapter.dispatch('downloads_replaced_from', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__downloads_replaced_from() -%}
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

{% macro default__downloads_replaced_from() -%}
    {{ return(none) }}
{%- endmacro %}
