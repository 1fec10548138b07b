{#-
    Generic test: no row meets any of `conditions`, a list of {problem: the problem in words, when: a SQL
    condition on the model's columns}. Returns each offending row with its first problem (in the list's order).
-#}
{% test no_rows_where(model, conditions) %}
    with

    judged as (
        select
            *,
            case
                {%- for condition in conditions %}
                when coalesce({{ condition.when }}, false) then '{{ condition.problem | replace("'", "''") }}'
                {%- endfor %}
            end as problem
        from {{ model }}
    )

    select *
    from judged
    where problem is not null
{% endtest %}
