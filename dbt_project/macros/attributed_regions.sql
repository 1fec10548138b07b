{#-
    The regions an analysis compares, as a SQL list: `region in {{ attributed_regions() }}`. `unknown` (the
    region seed says it cannot tell) and `unclassified` (neither the seed nor the override file knows the
    organisation) are not regions: a pair with either side among them is unattributed, reported beside the
    shares, never inside them.
-#}
{% macro attributed_regions() -%}
    {{ sql_list(var('attributed_regions')) }}
{%- endmacro %}
