{#-
    on-run-start: let DuckDB find the reference files kept in the dbt project folder (the Open LLM Leaderboard
    export) by their path relative to that folder, whatever the working directory dbt was started from.
    dbt does not change directory; DuckDB resolves the project folder as dbt was given it (`--project-dir`,
    else the working directory). GLOBAL, so every thread's connection sees it.
-#}
{% macro set_file_search_path() -%}
    {%- set project_dir = invocation_args_dict.get('project_dir') or '.' -%}
    set global file_search_path = '{{ project_dir | replace("'", "''") }}'
{%- endmacro %}
