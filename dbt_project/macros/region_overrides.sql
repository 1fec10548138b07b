{#-
    The organisation-region override file: `$HUBPULSE_HOME/reference/organization_region_overrides.csv`, with
    the header `namespace,region,source`, one row per namespace. It lives in the home (not the repository), so a
    user extends attribution without touching code, and a test writes it under its own tmp home.

    HUBPULSE_HOME is read only while executing (as build_window.sql reads the window), so it never invalidates
    dbt's partial parse. A home without the file has no overrides: the relation is then an empty typed select
    (DuckDB's read_csv fails on a missing file, hence the glob() check at run time).
-#}
{% macro region_overrides_path() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(env_var('HUBPULSE_HOME', 'data') | trim ~ '/reference/organization_region_overrides.csv') }}
{%- endmacro %}


{% macro region_overrides_relation() -%}
    {{ return(adapter.dispatch('region_overrides_relation', 'hubpulse')()) }}
{%- endmacro %}


{#- Spark: the table the on-run-start hook registers over the file (on_run_start_sources; empty without it). -#}
{% macro spark__region_overrides_relation() -%}
    reference.organization_region_overrides
{%- endmacro %}


{% macro duckdb__region_overrides_relation() -%}
    {%- set path = region_overrides_path() -%}
    {%- set found = 0 -%}
    {%- if execute and path -%}
        {%- set found = run_query(
            "select count(*) from glob('" ~ path | replace("'", "''") ~ "')").columns[0].values()[0] -%}
    {%- endif -%}
    {%- if found -%}
        read_csv(
            '{{ path | replace("'", "''") }}',
            header = true,
            auto_detect = false,
            columns = {'namespace': 'varchar', 'region': 'varchar', 'source': 'varchar'},
            -- a missing column or a stray one is a clear read error, not a silently shifted row
            null_padding = false,
            strict_mode = true
        )
    {%- else -%}
        (select null::varchar as namespace, null::varchar as region, null::varchar as source where false)
    {%- endif -%}
{%- endmacro %}
