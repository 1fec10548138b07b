{#-
    Data tests in a windowed run (HUBPULSE_WINDOW_START/END set: the Dagster daily run, a backfill) test the rows
    that run reads or writes, not the whole history, so a day's tests cost the same on day 400 as on day 30.

    dbt builds every generic test's `model` with this macro (its `where` config). When a window is set and the
    tested relation is one of the daily-partitioned models, the snapshot views or the raw source, the test
    reads only the window's rows:
      - the snapshot views (stg_hub__model_snapshots, int_model_snapshots_attributed), the raw source,
        int_model_snapshots_daily, fct_model_daily: snapshot_date within the window;
      - int_models_daily_downloads: every row on a download date the window's snapshots wrote (old rows on those
        dates too, so a duplicate across the window's start is still found);
      - fct_download_velocity: every row from the first day the run rebuilt (see downloads_recompute_from);
      - int_models_monthly_downloads: every row of the months from that day's through the window end's.
    Without a window (a full refresh, or `dbt build` alone) every test reads every row, as dbt's own macro does.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set name = relation.identifier if relation.identifier is defined else none -%}
    {%- set by_snapshot_date = (
        'stg_hub__model_snapshots', 'int_model_snapshots_attributed', 'hub_model_snapshots',
        'int_model_snapshots_daily', 'fct_model_daily') -%}
    {%- set by_download_date = (
        'int_models_daily_downloads', 'fct_download_velocity', 'int_models_monthly_downloads') -%}
    {#- The window only for the relations it narrows: every other test (seeds, marts) skips its look-up. -#}
    {%- set window = build_window() if name in by_snapshot_date or name in by_download_date else none -%}
    {%- set window_filter = none -%}
    {%- if window is not none -%}
        {%- set start = "date '" ~ window.start ~ "'" -%}
        {%- set end = "date '" ~ window.end ~ "'" -%}
        {%- if name in by_snapshot_date -%}
            {%- set window_filter = "snapshot_date between " ~ start ~ " and " ~ end -%}
        {%- elif name in by_download_date -%}
            {%- set node = graph.nodes['model.' ~ project_name ~ '.int_models_daily_downloads'] -%}
            {%- set daily = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) -%}
            {%- set first_day -%}
                least({{ start }}, coalesce(
                    (select min(download_date) from {{ daily }} where snapshot_date between {{ start }} and {{ end }}),
                    {{ start }}))
            {%- endset -%}
            {%- if name == 'int_models_monthly_downloads' -%}
                {%- set window_filter = "month_start between cast(date_trunc('month', " ~ first_day ~ ") as date) and "
                                        ~ end -%}
            {%- else -%}
                {%- set column = 'download_date' if name == 'int_models_daily_downloads' else 'metric_date' -%}
                {%- set window_filter = column ~ " between " ~ first_day ~ " and " ~ end -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if window_filter is not none and where -%}
        {%- set where = "(" ~ where ~ ") and (" ~ window_filter ~ ")" -%}
    {%- elif window_filter is not none -%}
        {%- set where = window_filter -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
