{#- DeepSeek-R1's release (a Monday, the `r1_release_date` var): the pivot of every before/after comparison. -#}
{% macro r1_release_date() -%}
    date '{{ var('r1_release_date') }}'
{%- endmacro %}
