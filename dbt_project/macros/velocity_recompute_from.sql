{#-
    First day a windowed fct_download_velocity run rebuilds: the window start, or earlier when the window's
    snapshots wrote daily downloads for earlier days (a missing date, a model back after an absence).
    A scalar SQL expression (used by the model and by its pre-hook that deletes the rows it rebuilds).
-#}
{% macro velocity_recompute_from() -%}
    {%- set window = build_window() -%}
    {%- if window is none -%}
        cast(null as date)
    {%- else -%}
        least(
            date '{{ window.start }}',
            coalesce(
                (
                    select min(download_date)
                    from {{ ref('int_models_daily_downloads') }}
                    where snapshot_date between date '{{ window.start }}' and date '{{ window.end }}'
                ),
                date '{{ window.start }}'
            )
        )
    {%- endif -%}
{%- endmacro %}
