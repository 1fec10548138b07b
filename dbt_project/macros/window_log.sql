{#-
    The log of the windows int_model_snapshots_daily was built for, and the rule by which int_model_names_seen (a
    state folded from the daily rows) merges only the new days or recomputes itself whole.

    int_model_names_seen holds, per model and repo id, the first and last snapshot dates, the snapshots counted
    and the attributes of the name's last snapshot. A run may merge only the daily rows after the state's last
    snapshot date (first_seen kept, last_seen and the latest attributes taken from the new rows, the counts added)
    when every date the state has not merged is after that date and no date it merged was rewritten since. A
    window of int_model_snapshots_daily deletes and re-inserts its dates, and a late day, a day re-crawled with
    the same models but other counters or a day withdrawn cannot be told from the rows (nor by counting them).
    So int_model_snapshots_daily logs each build's window (start and end; both null for a build without a window
    or a full refresh) before its delete, in `daily_window_log` beside it, and the state logs its own builds
    there too (post-hook, in the same transaction as its rows). A run of the state merges when it was built
    before and every window logged since its last build starts after its last snapshot date; any other window
    (a date on or before it, a whole build) makes it recompute whole, its pre-hook deleting every row first so
    names that vanished go. A failed daily run leaves a logged window at worst: one recompute more, never a
    stale state. The rule reads only the log and the state, never the window environment: Dagster builds the
    state in an invocation of its own, without a window, and a ranged backfill logs a multi-day window.

    Spark: the state is a table rebuilt whole on every run (model_names_seen_incremental), and nothing is logged.
-#}

{#- The log table, in int_model_snapshots_daily's schema (`daily` is that model's relation). -#}
{% macro daily_window_log(daily) -%}
    {{ return(api.Relation.create(database=daily.database, schema=daily.schema, identifier='daily_window_log')) }}
{%- endmacro %}


{#- Creates the log when missing. A hook: each statement of the log is a hook of its own. -#}
{% macro create_daily_window_log(daily) -%}
    {{ return(adapter.dispatch('create_daily_window_log', 'hubpulse')(daily)) }}
{%- endmacro %}

{% macro duckdb__create_daily_window_log(daily) -%}
    create table if not exists {{ daily_window_log(daily) }} (
        log_id bigint,
        relation varchar,
        window_start date,
        window_end date,
        logged_at timestamptz
    )
{%- endmacro %}

{% macro default__create_daily_window_log(daily) -%}
{%- endmacro %}


{#- One row of the log: `relation` built for the window [start, end] (none, none: whole), ids in order. -#}
{% macro insert_daily_window_log(daily, relation, start, end) -%}
    {%- set log = daily_window_log(daily) -%}
    insert into {{ log }}
    select
        coalesce(max(log_id), 0) + 1,
        '{{ relation }}',
        {{ "date '" ~ start ~ "'" if start else 'null' }},
        {{ "date '" ~ end ~ "'" if end else 'null' }},
        now()
    from {{ log }}
{%- endmacro %}


{#- Pre-hook of int_model_snapshots_daily, before its delete: the window about to be rebuilt (null, null when the
    whole table is, no window or not incremental). -#}
{% macro log_daily_window() -%}
    {{ return(adapter.dispatch('log_daily_window', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__log_daily_window() -%}
    {%- if execute -%}
        {%- set window = build_window() if is_incremental() else none -%}
        {{ insert_daily_window_log(this, this.identifier, window.start if window else none,
                                   window.end if window else none) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__log_daily_window() -%}
{%- endmacro %}


{#- Whether int_model_names_seen is incremental (DuckDB) or a table rebuilt whole on every run (Spark). -#}
{% macro model_names_seen_incremental() -%}
    {{ return(adapter.dispatch('model_names_seen_incremental', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__model_names_seen_incremental() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro default__model_names_seen_incremental() -%}
    {{ return(false) }}
{%- endmacro %}


{#- Whether this run of int_model_names_seen merges the days after its last snapshot date (the rule above);
    false means a whole build. Read at execution time by the model body and its pre-hook, which see the same log
    and state (nothing writes either between them). -#}
{% macro model_names_seen_merges() -%}
    {%- if not execute or not is_incremental() or not model_names_seen_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set daily = ref('int_model_snapshots_daily') -%}
    {%- set log = daily_window_log(daily) -%}
    {%- set found = run_query(
        "select count(*) from information_schema.tables where table_catalog = '" ~ log.database
        ~ "' and table_schema = '" ~ log.schema ~ "' and table_name = '" ~ log.identifier ~ "'") -%}
    {%- if found.columns[0].values()[0] == 0 -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set merges = run_query(
        "with built as (select max(log_id) as log_id from " ~ log ~ " where relation = '" ~ this.identifier ~ "'), "
        ~ "merged as (select max(last_seen_date) as through from " ~ this ~ ") "
        ~ "select built.log_id is not null and merged.through is not null and not exists ("
        ~ "select 1 from " ~ log ~ " as windows where windows.relation = '" ~ daily.identifier ~ "' "
        ~ "and windows.log_id > built.log_id "
        ~ "and (windows.window_start is null or windows.window_start <= merged.through)) "
        ~ "from built cross join merged") -%}
    {{ return(merges.columns[0].values()[0] == true) }}
{%- endmacro %}


{#- Pre-hook of int_model_names_seen: a recompute starts from an empty state (names that vanished go). -#}
{% macro delete_model_names_seen() -%}
    {%- if execute and is_incremental() and model_names_seen_incremental() and not model_names_seen_merges() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}


{#- Post-hook of int_model_names_seen: its build, logged after its rows are written, in the same transaction. -#}
{% macro log_model_names_seen() -%}
    {%- if execute and model_names_seen_incremental() -%}
        {{ insert_daily_window_log(ref('int_model_snapshots_daily'), this.identifier, none, none) }}
    {%- endif -%}
{%- endmacro %}


{#- The struct of a snapshot's attributes that int_model_names_seen keeps per name and int_models_profiled per
    model (its latest name's), plus `extra` columns: one list for both. -#}
{% macro latest_snapshot_attributes(extra=[]) -%}
    {%- set pairs = [] -%}
    {%- for column in extra + [
            'hub_object_id', 'namespace', 'author', 'created_at', 'created_date', 'is_placeholder_created_at',
            'pipeline_tag', 'library_name', 'parameter_count', 'is_gated', 'gated_mode', 'downloads_all_time',
            'downloads_30d', 'likes', 'trending_score'] -%}
        {%- do pairs.append([column, column]) -%}
    {%- endfor -%}
    {{ return(struct_of(pairs)) }}
{%- endmacro %}
