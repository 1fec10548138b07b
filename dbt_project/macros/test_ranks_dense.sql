{#-
    Generic test: each column of `ranks` is a fractional rank, dense within 1..n in each `group_by` group (n rows
    ranked, ties given their average rank: a tie of c rows starting at position p carries p + (c - 1) / 2), so a
    gap, a duplicate integer rank or a rank beyond n fails. The columns rank the same rows: a row ranked on one
    but not on another fails too. Returns one row per failing row and column, with the problem in words.
-#}
{% test ranks_dense(model, ranks, group_by) %}
    {%- set helper_columns = [] %}
    {%- for rank in ranks %}
        {%- do helper_columns.extend([rank ~ '__first_position', rank ~ '__ties', rank ~ '__ranked']) %}
    {%- endfor %}
    with

    fact as (
        select * from {{ model }}
    ),

    ranked as (
        select
            *,
            {%- for rank in ranks %}
            rank() over (partition by {{ group_by }}, {{ rank }} is null order by {{ rank }}) as {{ rank }}__first_position,
            count(*) over (partition by {{ group_by }}, {{ rank }}) as {{ rank }}__ties,
            count({{ rank }}) over (partition by {{ group_by }}) as {{ rank }}__ranked{{ "," if not loop.last }}
            {%- endfor %}
        from fact
    ),

    problems as (
        {%- for rank in ranks %}
        select
            {{ star_except(helper_columns) }},
            '{{ rank }}' as rank_column,
            case
                {%- for other in ranks if other != rank %}
                when ({{ rank }} is null) <> ({{ other }} is null)
                    then '{{ rank }} set without {{ other }} (or the reverse)'
                {%- endfor %}
                when {{ rank }} is not null
                    and abs({{ rank }} - ({{ rank }}__first_position + ({{ rank }}__ties - 1) / 2)) > 1e-9
                    then printf(
                        '{{ rank }} %g %s 1..%d (expected %g: ties averaged, no gaps)',
                        {{ rank }},
                        case when {{ rank }} < 1 or {{ rank }} > {{ rank }}__ranked then 'outside' else 'not dense in' end,
                        {{ rank }}__ranked,
                        {{ rank }}__first_position + ({{ rank }}__ties - 1) / 2
                    )
            end as problem
        from ranked
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )

    select *
    from problems
    where problem is not null
{% endtest %}
