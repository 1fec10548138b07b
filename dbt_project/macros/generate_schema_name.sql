{#- Each layer gets a plain schema named after it (staging, intermediate, marts, seeds), not dbt's
    default `<target schema>_<custom schema>`, so BI users find the marts in `marts`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
