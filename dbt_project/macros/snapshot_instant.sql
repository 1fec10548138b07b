{#-
    The instant a snapshot describes when its raw partition does not say (partitions written before the raw
    column `fetched_at` existed, and rows built before `int_models_daily_downloads.snapshot_fetched_at` existed):
    the end of its date, 23:59:59.999 UTC, the last instant the Hub's millisecond timestamps can express on that
    date. Then "created after the previous snapshot's instant" is exactly "created on a later date", the rule
    before instants were recorded. The same default as `orchestration.hub.archive.default_taken_at`.
-#}
{% macro default_fetched_at(date_sql) -%}
    {{ utc_instant('cast(' ~ date_sql ~ ' as timestamp) + interval 1 day - interval 1 millisecond') }}
{%- endmacro %}


{#- `fetched_at_sql`, or the default above for `date_sql` when it is null. -#}
{% macro fetched_at_or_default(fetched_at_sql, date_sql) -%}
    coalesce({{ fetched_at_sql }}, {{ default_fetched_at(date_sql) }})
{%- endmacro %}
