{#- A repo id with its namespace replaced by the organisation it was renamed to (THUDM/x -> zai-org/x);
    `organization` is the aliases seed's organisation joined on the namespace (null when not renamed).
    An id without a namespace (pre-2023 root repos such as `gpt2`) is returned unchanged. -#}
{% macro canonical_repo_id(repo_id, organization) -%}
    case
        when {{ dbt.position("'/'", repo_id) }} > 0
            then coalesce({{ organization }}, split_part({{ repo_id }}, '/', 1))
                || substr({{ repo_id }}, {{ dbt.position("'/'", repo_id) }})
        else {{ repo_id }}
    end
{%- endmacro %}
