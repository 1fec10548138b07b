{#-
    Generic test on a long-format fact of parts and their total (entity_type x entity_id x date): on every day
    whose total is positive, the `part_type` rows' shares of the total sum to 1 within `tolerance`, for each
    {total, share} pair of `measures`. Returns one row per failing day and measure (the sum found).

    It guards the computation of the shares: a part row lost, duplicated or summed over another window than the
    total's fails. Legitimate change never does: a part that left the scope keeps its rows while its window holds
    downloads, and a day without a positive total (the first day of a history, an archive without
    downloadsAllTime) has no shares and is left out.
-#}
{% test shares_sum_to_one(model, date_column, measures, part_type, tolerance, type_column='entity_type',
                          total_type='total') %}
    with

    fact as (
        select * from {{ model }}
    ),

    {%- for measure in measures %}

    {{ measure.total }}__totals as (
        select {{ date_column }}
        from fact
        where {{ type_column }} = '{{ total_type }}' and {{ measure.total }} > 0
    ),

    {{ measure.total }}__sums as (
        select
            {{ date_column }},
            sum({{ measure.share }}) as share_sum
        from fact
        where {{ type_column }} = '{{ part_type }}'
        group by {{ date_column }}
    ),

    {{ measure.total }}__checked as (
        select
            totals.{{ date_column }},
            '{{ measure.total }}' as measure,
            coalesce(sums.share_sum, 0) as share_sum
        from {{ measure.total }}__totals as totals
        left join {{ measure.total }}__sums as sums
            on totals.{{ date_column }} = sums.{{ date_column }}
    ),
    {%- endfor %}

    checked as (
        {%- for measure in measures %}
        select * from {{ measure.total }}__checked
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )

    select
        {{ date_column }},
        measure,
        share_sum
    from checked
    where abs(share_sum - 1) > {{ tolerance }}
{% endtest %}
