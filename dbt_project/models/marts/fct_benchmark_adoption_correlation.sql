{#-
    Spearman's rank correlation between benchmark rank and ecosystem rank across
    the organisations ranked on both that month (Pearson correlation of their average ranks, so ties are
    handled the standard way). Null with fewer than 3 organisations or when either ranking has no spread.
-#}

with

ecosystem_vs_benchmark as {{ inlined() }} (

    select * from {{ ref('fct_ecosystem_vs_benchmark') }}

),

months as (

    select distinct month_start
    from ecosystem_vs_benchmark

),

ranked as (

    select
        month_start,
        count(*) as organizations_ranked,
        corr(benchmark_rank, ecosystem_rank) as raw_correlation,
        var_pop(benchmark_rank) as benchmark_rank_variance,
        var_pop(ecosystem_rank) as ecosystem_rank_variance
    from ecosystem_vs_benchmark
    where benchmark_rank is not null
        and ecosystem_rank is not null
    group by month_start

),

final as (

    select
        months.month_start,
        coalesce(ranked.organizations_ranked, 0) as organizations_ranked,
        case
            when ranked.organizations_ranked >= 3
                and ranked.benchmark_rank_variance > 0
                and ranked.ecosystem_rank_variance > 0
                then ranked.raw_correlation
        end as spearman_rank_correlation
    from months
    left join ranked
        on months.month_start = ranked.month_start

)

select * from final
