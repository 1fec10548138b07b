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

    Each window's row also counts the daily rows it was about to replace (`replaced_rows`, 0 for a new day), and
    int_model_listings logs its builds here too: its cleanup of unreferenced listings, an anti-join over every daily
    row, runs only after a window replaced rows (macros/listings.sql).

    int_models_daily_downloads keeps a log of its own beside it, `daily_downloads_window_log` (the same columns),
    which fct_download_velocity and int_models_monthly_downloads read and write (log_replaced_download_days,
    below).

    Spark: the state is a table rebuilt whole on every run (model_names_seen_incremental), and nothing is logged.
-#}

{#- The log table, in int_model_snapshots_daily's schema (`daily` is that model's relation). -#}
{% macro daily_window_log(daily, name='daily_window_log') -%}
    {{ return(api.Relation.create(database=daily.database, schema=daily.schema, identifier=name)) }}
{%- endmacro %}


{#- The columns of a log (`daily_window_log(...)`), none when it does not exist: a rule or a post-hook that reads
    or writes a log it did not create asks first (a warehouse from before the log or one of its columns). -#}
{% macro window_log_columns(log) -%}
    {%- set found = run_query(
        "select column_name from information_schema.columns where table_catalog = '" ~ log.database
        ~ "' and table_schema = '" ~ log.schema ~ "' and table_name = '" ~ log.identifier ~ "'") -%}
    {{ return(found.columns[0].values() | list) }}
{%- endmacro %}


{#- Creates the log when missing. A hook: each statement of the log is a hook of its own. -#}
{% macro create_daily_window_log(daily, name='daily_window_log') -%}
    {{ return(adapter.dispatch('create_daily_window_log', 'hubpulse')(daily, name)) }}
{%- endmacro %}

{% macro duckdb__create_daily_window_log(daily, name='daily_window_log') -%}
    create table if not exists {{ daily_window_log(daily, name) }} (
        log_id bigint,
        relation varchar,
        window_start date,
        window_end date,
        logged_at timestamptz,
        replaced_rows bigint,
        replaced_from date
    )
{%- endmacro %}

{% macro default__create_daily_window_log(daily, name='daily_window_log') -%}
{%- endmacro %}


{#- The hook after create_daily_window_log: a log created before `replaced_rows` and `replaced_from` existed gets
    them (null on its old rows, which the rules read as "rows replaced"). Runs its statements itself (the log
    exists: the previous hook ran) and renders none. Only int_model_snapshots_daily's pre-hook alters the log
    (int_model_names_seen, which runs after it, creates it when missing; int_model_listings only writes to it):
    DuckDB refuses two transactions that both create or alter a table (a catalog write-write conflict), and the
    models that write to it run after that one (they depend on it). -#}
{% macro upgrade_daily_window_log(daily) -%}
    {{ return(adapter.dispatch('upgrade_daily_window_log', 'hubpulse')(daily)) }}
{%- endmacro %}

{% macro duckdb__upgrade_daily_window_log(daily) -%}
    {%- if execute -%}
        {%- for column, type in [('replaced_rows', 'bigint'), ('replaced_from', 'date')] -%}
            {%- do run_query("alter table " ~ daily_window_log(daily) ~ " add column if not exists "
                             ~ column ~ " " ~ type) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{% macro default__upgrade_daily_window_log(daily) -%}
{%- endmacro %}


{#- One row of the log: `relation` built for the window [start, end] (none, none: whole), ids in order;
    `replaced_sql` the rows of the window the build is about to replace and `replaced_from_sql` the earliest date
    they hold (SQL; not given: null, and the columns are not named, so a log from before them takes the row). -#}
{% macro insert_daily_window_log(daily, relation, start, end, replaced_sql=none, replaced_from_sql=none,
                                 name='daily_window_log') -%}
    {%- set log = daily_window_log(daily, name) -%}
    insert into {{ log }} (log_id, relation, window_start, window_end, logged_at
        {{- ', replaced_rows' if replaced_sql is not none }}{{ ', replaced_from' if replaced_from_sql is not none }})
    select
        coalesce(max(log_id), 0) + 1,
        '{{ relation }}',
        {{ "date '" ~ start ~ "'" if start else 'null' }},
        {{ "date '" ~ end ~ "'" if end else 'null' }},
        now()
        {{- ', ' ~ replaced_sql if replaced_sql is not none -}}
        {{- ', ' ~ replaced_from_sql if replaced_from_sql is not none }}
    from {{ log }}
{%- endmacro %}


{#- Pre-hook of int_model_snapshots_daily, before its delete: the window about to be rebuilt (null, null when the
    whole table is, no window or not incremental) and how many of its rows are already there (0 for a new day:
    nothing a later model derived from the daily rows can lose). -#}
{% macro log_daily_window() -%}
    {{ return(adapter.dispatch('log_daily_window', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__log_daily_window() -%}
    {%- if execute -%}
        {%- set window = build_window() if is_incremental() else none -%}
        {%- set replaced = none -%}
        {%- if window -%}
            {%- set replaced = "(select count(*) from " ~ this ~ " where snapshot_date between date '" ~ window.start
                               ~ "' and date '" ~ window.end ~ "')" -%}
        {%- endif -%}
        {{ insert_daily_window_log(this, this.identifier, window.start if window else none,
                                   window.end if window else none, replaced or 'null') }}
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
    {%- if not window_log_columns(log) -%}
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


{#- Post-hook of a model that follows a log (int_model_names_seen and int_model_listings int_model_snapshots_daily's,
    fct_download_velocity int_models_daily_downloads'): its build, logged after its rows are written, in the same
    transaction, when the log exists (`daily` and `name` name it). -#}
{% macro log_build(daily, name='daily_window_log') -%}
    {{ return(adapter.dispatch('log_build', 'hubpulse')(daily, name)) }}
{%- endmacro %}

{% macro duckdb__log_build(daily, name='daily_window_log') -%}
    {%- if execute and window_log_columns(daily_window_log(daily, name)) -%}
        {{ insert_daily_window_log(daily, this.identifier, none, none, name=name) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__log_build(daily, name='daily_window_log') -%}
{%- endmacro %}


{#- Pre-hook of int_models_daily_downloads, before its delete: its window (null, null: the whole table), how many
    rows it is about to replace and the earliest download date they hold. A snapshot's rows reach back before
    the window (a gap spread over the days since the model's previous snapshot), and a re-crawl without the model
    deletes them with nothing in their place: fct_download_velocity recomputes from that date, and
    int_models_monthly_downloads from its month (macros/downloads_recompute_from.sql). Not before the first build
    (nothing to replace). A log of its own, `daily_downloads_window_log` (created by the hook before this one):
    int_models_daily_downloads may run beside int_model_snapshots_daily, and two transactions creating one table
    conflict. -#}
{% macro log_replaced_download_days() -%}
    {{ return(adapter.dispatch('log_replaced_download_days', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__log_replaced_download_days() -%}
    {%- if execute and is_incremental() -%}
        {%- set window = build_window() -%}
        {%- set where = "snapshot_date between date '" ~ window.start ~ "' and date '" ~ window.end ~ "'"
                        if window else "true" -%}
        {{ insert_daily_window_log(this, this.identifier, window.start if window else none,
                                   window.end if window else none,
                                   "(select count(*) from " ~ this ~ " where " ~ where ~ ")",
                                   "(select min(download_date) from " ~ this ~ " where " ~ where ~ ")",
                                   name='daily_downloads_window_log') }}
    {%- endif -%}
{%- endmacro %}

{% macro default__log_replaced_download_days() -%}
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
