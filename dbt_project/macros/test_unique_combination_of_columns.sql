{#- Generic test: no two rows share the same values of `combination_of_columns` (a grain). Written here
    because the project installs no dbt packages (dbt_utils has the same test).
    The keys are read once (materialized), grouped first on one integer hash of the combination (cheap), and
    only the rows whose hash repeats are grouped on the columns themselves (a hash collision is not reported:
    the second grouping checks the real values), so a test on millions of rows costs one narrow pass. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    with

    keyed as {{ computed_once() }} (
        select hash({{ columns }}) as combination_hash, {{ columns }}
        from {{ model }}
    ),

    repeated as (
        select combination_hash
        from keyed
        group by combination_hash
        having count(*) > 1
    )

    select
        {{ columns }},
        count(*) as duplicate_rows
    from keyed
    where combination_hash in (select combination_hash from repeated)
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
