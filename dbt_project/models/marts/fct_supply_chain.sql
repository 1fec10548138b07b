{#-
    Grain: month x child_region x base_region x relation. A new derivative is a base-model edge whose child
    was created (real createdAt) in the month; new_derivatives counts edges (once per child and parent),
    new_derivative_models counts distinct children, and derivative_downloads sums those children's known
    daily downloads within the month, each child once per cell (null when none is known, e.g. before tracking).
-#}

with

lineage as not materialized (

    select * from {{ ref('int_model_lineage') }}

),

daily_downloads as not materialized (

    select * from {{ ref('int_models_daily_downloads') }}

),

new_edges as (

    select
        cast(date_trunc('month', child_created_date) as date) as month_start,
        child_region,
        parent_region as base_region,
        relation,
        child_model_id
    from lineage
    where child_created_date is not null

),

cells as (

    select
        month_start,
        child_region,
        base_region,
        relation,
        count(*) as new_derivatives,
        count(distinct child_model_id) as new_derivative_models
    from new_edges
    group by month_start, child_region, base_region, relation

),

cell_children as (

    select distinct
        month_start,
        child_region,
        base_region,
        relation,
        child_model_id
    from new_edges

),

child_month_downloads as (

    select
        cell_children.month_start,
        cell_children.child_region,
        cell_children.base_region,
        cell_children.relation,
        sum(daily_downloads.daily_downloads) as derivative_downloads
    from cell_children
    inner join daily_downloads
        on cell_children.child_model_id = daily_downloads.model_id
        and cast(date_trunc('month', daily_downloads.download_date) as date) = cell_children.month_start
    group by cell_children.month_start, cell_children.child_region, cell_children.base_region, cell_children.relation

),

final as (

    select
        cells.month_start,
        cells.child_region,
        cells.base_region,
        cells.relation,
        cells.child_region != cells.base_region as is_cross_region,
        cells.new_derivatives,
        cells.new_derivative_models,
        child_month_downloads.derivative_downloads
    from cells
    left join child_month_downloads
        on cells.month_start = child_month_downloads.month_start
        and cells.child_region = child_month_downloads.child_region
        and cells.base_region = child_month_downloads.base_region
        and cells.relation = child_month_downloads.relation

)

select * from final
