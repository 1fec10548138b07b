{#-
    The build window of the daily-partitioned incremental models (tag `daily_partitioned`).

    Contract with the Dagster side: the window is passed as the environment variables
    HUBPULSE_WINDOW_START and HUBPULSE_WINDOW_END, inclusive ISO dates (YYYY-MM-DD), both or neither.
    Unset (or a `--full-refresh` run of a model) means the whole history.

    The variables are read only while executing (`execute`), never while parsing, so changing them
    between runs does not invalidate dbt's partial parse (unlike `--vars`).

    Days arrive in any order (a day backfilled after an outage, a day re-ingested): a raw day changes the daily
    rows of the next snapshots after it (their previous snapshot, the dataset's previous date, the spread of a
    gap) and the velocities 27 days beyond. So when raw partitions exist after the requested end, the window
    runs through the last of them: `end` is the effective end (the requested one when the window is the newest
    day, the ordinary daily run), `requested_end` what the caller asked for. Incremental then equals a full
    refresh whatever the order of arrival. The raw partitions are the reference because they do not change
    during a dbt run (the built tables do: each model's pre-hook deletes the rows it rebuilds).
    Returns none (whole history) or {'start', 'end', 'requested_end'} as 'YYYY-MM-DD' strings.
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
            {{ exceptions.raise_compiler_error(
                "HUBPULSE_WINDOW_START/END must be YYYY-MM-DD dates, got '" ~ value ~ "'") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set start_date = modules.datetime.date.fromisoformat(start) -%}
    {%- set end_date = modules.datetime.date.fromisoformat(end) -%}
    {%- if start_date > end_date -%}
        {{ exceptions.raise_compiler_error("HUBPULSE_WINDOW_START " ~ start ~ " is after HUBPULSE_WINDOW_END " ~ end) }}
    {%- endif -%}
    {{ return({'start': start, 'end': last_raw_snapshot_after(end) or end, 'requested_end': end}) }}
{% endmacro %}


{#-
    The last raw snapshot date after `day` ('YYYY-MM-DD'), or none: the latest `snapshot_date=YYYY-MM-DD` folder
    after `day` among the raw partition files, listed with DuckDB's glob() on the raw source's own path (the
    `external_location` of source hub.hub_model_snapshots, its one home). Only file names are read, no Parquet
    footer: every data test of a windowed run asks for the window, and reading the source (`union_by_name`
    opens every partition's schema) cost 0.2 s per call at 365 partitions, growing with the history. A partition
    file exists only whole (the writer renames it into place), as the source reads it. None in a unit test.
    An `s3://` raw location (HUBPULSE_RAW_URI) is globbed the same way through the fsspec filesystem profiles.yml
    registers: a key listing, no object read; the writer's temporaries under `_staging/` match no
    `snapshot_date=*` pattern (tests/test_object_store.py builds a late day's window over a bucket).
-#}
{% macro last_raw_snapshot_after(day) %}
    {#- A unit test has no graph: its inputs are fixtures, not the raw partitions. -#}
    {%- if graph.nodes is not defined -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.dispatch('last_raw_snapshot_after', 'hubpulse')(day)) }}
{% endmacro %}

{% macro duckdb__last_raw_snapshot_after(day) %}
    {%- set found = run_query(
        "select cast(max(day) as varchar) from (select try_cast(regexp_extract(file, "
        ~ "'snapshot_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date) as day from glob('"
        ~ raw_partition_glob() ~ "')) where day > date '" ~ day ~ "'") -%}
    {%- set last = found.columns[0].values()[0] if found is not none and found.rows | length > 0 else none -%}
    {{ return(last if last else none) }}
{% endmacro %}

{#- Spark: the newest snapshot_date after `day` in the raw table the on-run-start hook registered (the filter
    skips the other days' row groups by their Parquet statistics). -#}
{% macro spark__last_raw_snapshot_after(day) %}
    {%- set found = run_query(
        "select cast(max(snapshot_date) as string) from hub.hub_model_snapshots where snapshot_date > date '"
        ~ day ~ "'") -%}
    {%- set last = found.columns[0].values()[0] if found is not none and found.rows | length > 0 else none -%}
    {{ return(last if last else none) }}
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
    {{ return(adapter.dispatch('delete_build_window', 'hubpulse')(column, from_sql)) }}
{%- endmacro %}

{% macro duckdb__delete_build_window(column, from_sql=none) -%}
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


{#-
    Spark: the windowed incrementals are Parquet tables partitioned by `column`, rebuilt with `insert_overwrite`,
    which replaces only the partitions the new rows fall in. So the pre-hook drops every partition of the
    window first (`from_sql` evaluated here), as DuckDB's deletes its rows: a day of the window that no longer
    has rows (a raw partition re-ingested empty, a model gone) keeps no stale partition. Without a window every
    partition goes. It renders no SQL of its own.
-#}
{% macro spark__delete_build_window(column, from_sql=none) -%}
    {%- if execute and is_incremental() -%}
        {%- set window = build_window() -%}
        {%- if window is none -%}
            {%- do run_query("truncate table " ~ this) -%}
        {%- else -%}
            {%- set first = window.start -%}
            {%- if from_sql is not none -%}
                {%- set found = run_query("select cast(" ~ from_sql ~ " as string)").columns[0].values()[0] -%}
                {%- set first = found or window.start -%}
            {%- endif -%}
            {%- set existing = run_query("show partitions " ~ this) -%}
            {%- set doomed = [] -%}
            {%- for row in existing.rows -%}
                {%- set value = row[0].split('=')[-1] -%}
                {%- if first <= value <= window.end -%}
                    {%- do doomed.append("partition (" ~ column ~ " = date '" ~ value ~ "')") -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if doomed -%}
                {%- do run_query("alter table " ~ this ~ " drop if exists " ~ doomed | join(', ')) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The incremental strategy and partitioning of the windowed models: delete+insert of the window's rows on
    DuckDB (after the pre-hook's delete), partitions overwritten on Spark. -#}
{% macro windowed_incremental_strategy() -%}
    {{ return(adapter.dispatch('windowed_incremental_strategy', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__windowed_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__windowed_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{% macro windowed_partition_by(column) -%}
    {{ return(adapter.dispatch('windowed_partition_by', 'hubpulse')(column)) }}
{%- endmacro %}

{% macro duckdb__windowed_partition_by(column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__windowed_partition_by(column) -%}
    {{ return([column]) }}
{%- endmacro %}


{#- The last day of the month of `day` ('YYYY-MM-DD'), as 'YYYY-MM-DD'. -#}
{% macro month_end(day) -%}
    {%- set first_of_next = (modules.datetime.date.fromisoformat(day).replace(day=28)
                             + modules.datetime.timedelta(days=4)).replace(day=1) -%}
    {{ return((first_of_next - modules.datetime.timedelta(days=1)).isoformat()) }}
{%- endmacro %}
