{#- Aggregate: one relation for a model with several base-model edges, the most specific first
    (merge, adapter, quantized, finetune). Used wherever a model, not an edge, is classified. -#}
{% macro most_specific_relation(relation) -%}
    case
        when bool_or({{ relation }} = 'merge') then 'merge'
        when bool_or({{ relation }} = 'adapter') then 'adapter'
        when bool_or({{ relation }} = 'quantized') then 'quantized'
        else 'finetune'
    end
{%- endmacro %}
