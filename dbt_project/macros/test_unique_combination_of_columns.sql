{#- Generic test: no two rows share the same values of `combination_of_columns` (a grain). Written here
    because the project installs no dbt packages (dbt_utils has the same test). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    select
        {{ columns }},
        count(*) as duplicate_rows
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
