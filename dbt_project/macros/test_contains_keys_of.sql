{#-
    Generic test on a dimension's key: every non-null `referencing_column` of `referencing_model` (optionally
    filtered by `referencing_where`) is a key of this model. The relationships test seen from the dimension's
    side: attached to the dimension, it runs once the dimension is rebuilt, so a daily-partitioned fact that is
    built before the dimensions in the same run (with today's new models) is not reported as orphaned.
-#}
{% test contains_keys_of(model, column_name, referencing_model, referencing_column, referencing_where=none) %}
    {#- On a new warehouse Dagster may build the dimensions before the first daily fact exists: nothing refers
        to the dimension yet, so nothing can be orphaned. -#}
    {%- if execute and load_relation(referencing_model) is none %}
    select null as orphan_key where false
    {%- else %}
    select referencing.{{ referencing_column }} as orphan_key
    from {{ referencing_model }} as referencing
    left join {{ model }} as dimension
        on referencing.{{ referencing_column }} = dimension.{{ column_name }}
    where referencing.{{ referencing_column }} is not null
        and dimension.{{ column_name }} is null
        {%- if referencing_where %}
        and ({{ referencing_where }})
        {%- endif %}
    {%- endif %}
{% endtest %}
