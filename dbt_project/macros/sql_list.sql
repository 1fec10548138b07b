{#- A list of strings as a SQL tuple of literals: `sql_list(['us', 'eu'])` renders `('us', 'eu')`. -#}
{% macro sql_list(values) -%}
    ({% for value in values %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
