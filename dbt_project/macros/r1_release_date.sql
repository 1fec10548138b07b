{#- DeepSeek-R1's release (2025-01-20, a Monday): the pivot of every before/after comparison. -#}
{% macro r1_release_date() -%}
    date '2025-01-20'
{%- endmacro %}
