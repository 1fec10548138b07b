{#-
    A new derivative is a base-model edge whose child
    was created (real createdAt) in the month; new_derivatives counts edges (once per child and parent),
    new_derivative_models counts distinct children, and derivative_downloads sums those children's known
    daily downloads within the month, each child once per cell (null when none is known, e.g. before tracking).

    Only us, china, eu and other are regions: is_cross_region is true or false only when both the builder's and
    the base's region are one of them (is_classified_pair), and null when either is `unclassified` (an author no
    one has attributed) or `unknown` (the seed cannot tell). Cross-region shares are taken over classified
    pairs; the rest is the unattributed part, reported beside them, never folded in.

    Months start at the month of the first snapshot: a derivative created before it is known only if it still
    existed when tracking began (deleted ones never show), so earlier months would undercount by survivorship.
    is_month_fully_observed marks the months the snapshots cover from their first to their last day.
-#}

with

lineage as {{ inlined() }} (

    select * from {{ ref('int_model_lineage') }}

),

monthly_downloads as {{ inlined() }} (

    select * from {{ ref('int_models_monthly_downloads') }}

),

models as {{ inlined() }} (

    select * from {{ ref('int_models_profiled') }}

),

observed as (

    select
        min(first_seen_date) as first_snapshot_date,
        max(last_seen_date) as last_snapshot_date
    from models

),

new_edges as (

    select
        cast(date_trunc('month', lineage.child_created_date) as date) as month_start,
        lineage.child_region,
        lineage.parent_region as base_region,
        lineage.relation,
        lineage.child_model_id
    from lineage
    cross join observed
    where lineage.child_created_date is not null
        and lineage.child_created_date >= cast(date_trunc('month', observed.first_snapshot_date) as date)

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
        sum(monthly_downloads.downloads) as derivative_downloads
    from cell_children
    inner join monthly_downloads
        on cell_children.child_model_id = monthly_downloads.model_id
        and cell_children.month_start = monthly_downloads.month_start
    group by cell_children.month_start, cell_children.child_region, cell_children.base_region, cell_children.relation

),

final as (

    select
        cells.month_start,
        cells.child_region,
        cells.base_region,
        cells.relation,
        cells.child_region in {{ attributed_regions() }}
        and cells.base_region in {{ attributed_regions() }} as is_classified_pair,
        case
            when cells.child_region in {{ attributed_regions() }}
                and cells.base_region in {{ attributed_regions() }}
                then cells.child_region != cells.base_region
        end as is_cross_region,
        cells.month_start >= observed.first_snapshot_date
        and cast(cells.month_start + interval 1 month - interval 1 day as date) <= observed.last_snapshot_date
            as is_month_fully_observed,
        cells.new_derivatives,
        cells.new_derivative_models,
        child_month_downloads.derivative_downloads
    from cells
    cross join observed
    left join child_month_downloads
        on cells.month_start = child_month_downloads.month_start
        and cells.child_region = child_month_downloads.child_region
        and cells.base_region = child_month_downloads.base_region
        and cells.relation = child_month_downloads.relation

)

select * from final
