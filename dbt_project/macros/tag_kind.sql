{#- The kind of a Hub tag: license (`license:x`), base_model, dataset, arxiv, hosting_region (`region:us`:
    where the repo is hosted, not the organisation's region), language (a bare ISO 639-1 code such as `en`,
    or `multilingual`; `tf` is TensorFlow), or other. One definition for every model that reads tags. -#}
{% macro tag_kind(tag) -%}
    case
        when {{ starts_with(tag, "'license:'") }} then 'license'
        when {{ starts_with(tag, "'base_model:'") }} then 'base_model'
        when {{ starts_with(tag, "'dataset:'") }} then 'dataset'
        when {{ starts_with(tag, "'arxiv:'") }} then 'arxiv'
        when {{ starts_with(tag, "'region:'") }} then 'hosting_region'
        when ({{ regexp_full_match(tag, '[a-z]{2}') }} and {{ tag }} != 'tf') or {{ tag }} = 'multilingual'
            then 'language'
        else 'other'
    end
{%- endmacro %}


{#- The tag without its `kind:` prefix (the licence id, the base-model reference, ...); the tag itself otherwise. -#}
{% macro tag_value(tag) -%}
    case
        when {{ tag_kind(tag) }} in ('license', 'dataset', 'arxiv', 'hosting_region', 'base_model')
            then substr({{ tag }}, {{ dbt.position("':'", tag) }} + 1)
        else {{ tag }}
    end
{%- endmacro %}
