{#-
    Generic test: no row meets any of `conditions`, a mapping from the problem in words to a SQL condition on
    the model's columns. Returns each offending row with its first problem (in the mapping's order).
-#}
{% test no_rows_where(model, conditions) %}
    with

    judged as (
        select
            *,
            case
                {%- for problem, condition in conditions.items() %}
                when coalesce({{ condition }}, false) then '{{ problem | replace("'", "''") }}'
                {%- endfor %}
            end as problem
        from {{ model }}
    )

    select *
    from judged
    where problem is not null
{% endtest %}
