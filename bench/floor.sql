-- The SQL floor of the history build: every mart of the dbt project, computed by hand from the raw Parquet
-- partitions and the seed CSVs in one DuckDB script. bench/warehouse.py runs it beside `dbt build` and compares
-- the marts of both row by row. Most of it was written by following the dbt models' rules closely, so where it
-- follows them its "marts equal" is a regression check of the dbt project, not an independent oracle (that is
-- tests/warehouse_reference.py); the sections written independently are named in BENCHMARKS.md (the velocity's
-- out-of-scope rows and 30-day measure, the overtakes, the snapshot-instant rule, the attribution marts, the
-- organisation trajectories and milestones, and sections 20-24: the licence, language and ranking marts).
--
-- How it differs from the dbt project, where that makes it faster: the raw rows are typed and deduplicated once
-- into one narrow table (the staging views are read again by every model that refers to them); the daily
-- downloads, the model-day facts and the per-model velocities come from one pass over that table each; the tag
-- and JSON columns are read only for the rows that need them (latest snapshots, listings with base models,
-- snapshots carrying results); no data tests.
--
-- `__RAW__` is the glob of the raw partitions (hive-partitioned by snapshot_date), `__SEEDS__` the seed folder.
-- Statements are separated by lines holding only `;`: bench/warehouse.py times each one.

create schema if not exists marts
;
create temp table aliases as
select legacy_namespace, organization
from read_csv('__SEEDS__/organization_aliases.csv', header = true, all_varchar = true)
;
-- The bench homes have no region override file (`<home>/reference/organization_region_overrides.csv`): the
-- seed alone decides. Only us, china, eu and other are regions a comparison takes (`attributed` below).
create temp table regions as
select hf_org, region, notes
from read_csv('__SEEDS__/organization_regions.csv', header = true, all_varchar = true)
;
create temp table attributed as
select unnest(['us', 'china', 'eu', 'other']) as region
;
create temp table benchmarks as
select benchmark, eval_results_dataset_id, model_index_dataset_type
from read_csv('__SEEDS__/open_llm_leaderboard_benchmarks.csv', header = true, all_varchar = true)
;
-- 1. One row per model (the Hub `_id`) and date: the later name wins when a rename shows both in one crawl.
create temp table snap as
with raw as (
    select
        snapshot_date,
        coalesce(object_id, id) as model_id,
        id as repo_id,
        coalesce(author, split_part(id, '/', 1)) as author,
        created_at,
        downloads as downloads_30d,
        downloads_all_time,
        likes,
        trending_score,
        gated,
        private,
        disabled,
        fetched_at
    from (
        -- Partitions from before `fetched_at` lack it (by name: whichever file comes first); none may have it.
        select * from read_parquet('__RAW__', hive_partitioning = true, hive_types = {'snapshot_date': 'date'},
                                   union_by_name = true)
        union all by name
        select cast(null as timestamptz) as fetched_at where false
    )
),
doubled as (
    select model_id, snapshot_date, max(repo_id) as kept
    from raw
    group by all
    having count(*) > 1
)
select
    raw.snapshot_date,
    raw.model_id,
    raw.repo_id,
    raw.author,
    coalesce(aliases.organization, raw.author) as organization,
    coalesce(own.region, legacy.region, 'unclassified') as region,
    raw.created_at,
    coalesce(raw.created_at = timestamptz '2022-03-02 23:29:04+00', false) as is_placeholder_created_at,
    case
        when not coalesce(raw.created_at = timestamptz '2022-03-02 23:29:04+00', false)
            then cast(timezone('UTC', raw.created_at) as date)
    end as created_date,
    raw.downloads_30d,
    raw.downloads_all_time,
    raw.likes,
    raw.trending_score,
    raw.gated as gated_mode,
    coalesce(raw.gated in ('auto', 'manual', 'true'), false) as is_gated,
    raw.private as is_private,
    raw.disabled as is_disabled,
    raw.fetched_at
from raw
left join doubled
    on raw.model_id = doubled.model_id and raw.snapshot_date = doubled.snapshot_date
left join aliases
    on raw.author = aliases.legacy_namespace
left join regions as own
    on coalesce(aliases.organization, raw.author) = own.hf_org
left join regions as legacy
    on raw.author = legacy.hf_org
where doubled.model_id is null or raw.repo_id = doubled.kept
;
-- 1b. The instant each snapshot shows the Hub at (raw `fetched_at`; without it, the last millisecond of its
-- date), and the latest instant any earlier snapshot showed: a model first listed on a date is new when it was
-- created after that, i.e. no earlier snapshot could have listed it. The first snapshot has no earlier one: a
-- snapshot a day before it stands in.
create temp table taken as
with per_date as (
    select
        raw_dates.snapshot_date,
        coalesce(raw_dates.fetched_at,
                 timezone('UTC', raw_dates.snapshot_date + time '23:59:59.999')) as taken_at
    from (select snapshot_date, max(fetched_at) as fetched_at from snap group by snapshot_date) as raw_dates
)
select
    snapshot_date,
    coalesce(max(taken_at) over (order by snapshot_date rows between unbounded preceding and 1 preceding),
             taken_at - interval 1 day) as listable_until
from per_date
;
-- 2. Each snapshot row with its model's previous snapshot, and how its interval is counted (SPEC).
create temp table intervals as
with lagged as (
    select
        snap.*,
        lag(snap.snapshot_date) over by_model as previous_snapshot_date,
        lag(snap.downloads_all_time) over by_model as previous_downloads_all_time,
        -- First listed here, and created when no earlier snapshot could list it yet (never the placeholder).
        coalesce(snap.created_date is not null and snap.created_at > taken.listable_until, false) as created_since
    from snap
    inner join taken
        on snap.snapshot_date = taken.snapshot_date
    window by_model as (partition by snap.model_id order by snap.snapshot_date)
)
select
    lagged.* exclude (created_since, fetched_at),
    case
        when previous_snapshot_date is not null then previous_snapshot_date + 1
        when created_since then least(created_date, lagged.snapshot_date)
        else lagged.snapshot_date
    end as first_download_date,
    case
        when previous_snapshot_date is not null then downloads_all_time - previous_downloads_all_time
        when created_since then downloads_all_time
    end as interval_downloads,
    previous_snapshot_date is null and created_since as is_new_model,
    previous_snapshot_date is null and not created_since as is_entered_scope
from lagged
;
-- 3. The model-day facts: every snapshot row with the daily downloads of its own day.
create table marts.fct_model_daily as
select
    model_id,
    snapshot_date,
    repo_id,
    organization,
    region,
    downloads_30d,
    downloads_all_time,
    case
        when interval_downloads < 0 then 0.0
        else interval_downloads / (date_diff('day', first_download_date, snapshot_date) + 1)
    end as daily_downloads,
    first_download_date < snapshot_date as is_interpolated,
    coalesce(interval_downloads < 0, false) as is_recount,
    is_new_model,
    is_entered_scope,
    likes,
    trending_score,
    is_gated,
    is_private,
    is_disabled
from intervals
;
-- 4. Daily downloads on every day of every interval (a gap of k days spreads the delta over the k days).
create temp table daily as
with spread as (
    select
        model_id,
        repo_id,
        organization,
        region,
        snapshot_date,
        first_download_date,
        case
            when interval_downloads < 0 then 0.0
            else interval_downloads / (date_diff('day', first_download_date, snapshot_date) + 1)
        end as daily_downloads
    from intervals
)
select model_id, repo_id, organization, region, snapshot_date as download_date, daily_downloads
from spread
where first_download_date = snapshot_date
union all
select
    model_id,
    repo_id,
    organization,
    region,
    cast(first_download_date + cast(unnest(range(date_diff('day', first_download_date, snapshot_date) + 1)) as integer)
        as date) as download_date,
    daily_downloads
from spread
where first_download_date < snapshot_date
;
-- 5. Velocities per model, organisation, region and the total: on every day the entity has a daily row (in
-- scope), and on the days after it while its 28-day window still holds known downloads (out of scope). Beside
-- them the Hub's reported 30-day downloads summed per entity and snapshot day.
create temp table entity_days as
select 'model' as entity_type, model_id as entity_id, repo_id as entity_name, download_date, daily_downloads
from daily
union all
select 'organization', organization, organization, download_date, sum(daily_downloads)
from daily group by organization, download_date
union all
select 'region', region, region, download_date, sum(daily_downloads)
from daily group by region, download_date
union all
select 'total', 'total', 'all tracked models', download_date, sum(daily_downloads)
from daily group by download_date
;
create temp table entity_tails as
-- After each day in scope, the days up to 27 later that are before the entity's next day in scope and not after
-- the history's last day.
with nexts as (
    select
        *,
        lead(download_date) over (partition by entity_type, entity_id order by download_date) as next_date
    from entity_days
)
select
    entity_type,
    entity_id,
    entity_name,
    cast(unnest(generate_series(
        download_date + 1,
        least(download_date + 27, coalesce(next_date - 1, download_date + 27), (select max(download_date) from daily)),
        interval 1 day
    )) as date) as download_date,
    cast(null as double) as daily_downloads
from nexts
;
create table marts.fct_download_velocity as
with numbered as (
    select *, true as is_in_scope, date_diff('day', date '1970-01-01', download_date) as day_number
    from entity_days
    union all
    select *, false, date_diff('day', date '1970-01-01', download_date) from entity_tails
),
velocities as (
    select
        entity_type,
        entity_id,
        entity_name,
        download_date as metric_date,
        daily_downloads,
        is_in_scope,
        sum(daily_downloads) over (by_entity range between 6 preceding and current row) as velocity_7d,
        sum(daily_downloads) over (by_entity range between 27 preceding and current row) as velocity_28d,
        sum(daily_downloads) over (by_entity range between 13 preceding and 7 preceding) as previous_velocity_7d
    from numbered
    window by_entity as (partition by entity_type, entity_id order by day_number)
),
kept as (
    select * from velocities where is_in_scope or velocity_28d is not null
),
reported as (
    select 'model' as entity_type, model_id as entity_id, snapshot_date, downloads_30d from marts.fct_model_daily
    union all
    select 'organization', organization, snapshot_date, sum(downloads_30d)
    from marts.fct_model_daily group by organization, snapshot_date
    union all
    select 'region', region, snapshot_date, sum(downloads_30d)
    from marts.fct_model_daily group by region, snapshot_date
    union all
    select 'total', 'total', snapshot_date, sum(downloads_30d)
    from marts.fct_model_daily group by snapshot_date
),
totals as (
    select kept.metric_date, kept.velocity_28d, reported.downloads_30d
    from kept
    left join reported on reported.entity_type = 'total' and reported.snapshot_date = kept.metric_date
    where kept.entity_type = 'total'
)
select
    kept.entity_type,
    kept.entity_id,
    kept.entity_name,
    kept.metric_date,
    kept.daily_downloads,
    kept.velocity_7d,
    kept.velocity_28d,
    kept.velocity_7d - kept.previous_velocity_7d as acceleration,
    case when totals.velocity_28d > 0 then kept.velocity_28d / totals.velocity_28d end as share_of_total,
    cast(reported.downloads_30d as bigint) as downloads_30d,
    case when totals.downloads_30d > 0 then reported.downloads_30d / totals.downloads_30d end
        as share_of_total_downloads_30d,
    kept.is_in_scope,
    kept.metric_date >= (select min(snapshot_date) from marts.fct_model_daily) + 28 as is_window_complete
from kept
inner join totals on kept.metric_date = totals.metric_date
left join reported
    on kept.entity_type = reported.entity_type
    and kept.entity_id = reported.entity_id
    and kept.metric_date = reported.snapshot_date
;
-- 5b. Lasting overtakes between classified regions, per measure, on comparable days only.
create table marts.fct_velocity_overtakes as
with region_days as (
    select 'velocity_28d' as measure, entity_id as region, metric_date, cast(velocity_28d as double) as v
    from marts.fct_download_velocity
    where entity_type = 'region' and entity_id not in ('unclassified', 'unknown')
        and is_window_complete and velocity_28d is not null
    union all
    select 'downloads_30d', entity_id, metric_date, cast(downloads_30d as double)
    from marts.fct_download_velocity
    where entity_type = 'region' and entity_id not in ('unclassified', 'unknown') and downloads_30d is not null
),
compared as (
    select a.measure, a.region, b.region as overtaken_region, a.metric_date, a.v as region_value,
        b.v as overtaken_value,
        -- Days on which a was not ahead, counted from the end: the overtake is the first day after the last one.
        count(*) filter (where a.v <= b.v) over (
            partition by a.measure, a.region, b.region order by a.metric_date desc
            rows between unbounded preceding and current row
        ) as not_ahead_from_here_on,
        count(*) over (partition by a.measure, a.region, b.region) as comparable_days,
        count(*) filter (where a.v <= b.v) over (partition by a.measure, a.region, b.region) as not_ahead_days,
        max(a.metric_date) over (partition by a.measure, a.region, b.region) as last_date
    from region_days as a
    inner join region_days as b
        on a.measure = b.measure and a.metric_date = b.metric_date and a.region <> b.region
)
select
    measure,
    region,
    overtaken_region,
    min(metric_date) as overtook_on,
    arg_min(region_value, metric_date) as region_value,
    arg_min(overtaken_value, metric_date) as overtaken_value,
    any_value(last_date) as last_date,
    arg_max(region_value, metric_date) as last_region_value,
    arg_max(overtaken_value, metric_date) as last_overtaken_value,
    cast(any_value(comparable_days) as integer) as comparable_days
from compared
where not_ahead_from_here_on = 0 and not_ahead_days > 0
group by measure, region, overtaken_region
;
-- 6. Per model: its latest snapshot, first name, names and snapshots seen.
create temp table models as
with seen as (
    select
        model_id,
        min(snapshot_date) as first_seen_date,
        max(snapshot_date) as last_seen_date,
        count(*) as snapshots_seen,
        count(distinct repo_id) as repo_ids_seen,
        arg_min(repo_id, snapshot_date) as first_repo_id
    from snap
    group by model_id
)
select
    snap.*,
    seen.first_seen_date,
    seen.last_seen_date,
    seen.snapshots_seen,
    seen.repo_ids_seen,
    seen.first_repo_id,
    seen.last_seen_date < max(seen.last_seen_date) over () as is_deleted
from snap
inner join seen
    on snap.model_id = seen.model_id and snap.snapshot_date = seen.last_seen_date
;
-- 7. The wide columns, read only where needed: the latest snapshot's (tags, task, library, size), the listings
-- naming base models, and the snapshots carrying benchmark results. The deduplication of step 1 applies.
create temp table wide as
with raw as (
    select
        snapshot_date,
        coalesce(object_id, id) as model_id,
        id as repo_id,
        tags,
        pipeline_tag,
        library_name,
        safetensors_total,
        base_models_json,
        eval_results_json,
        model_index_json
    from read_parquet('__RAW__', hive_partitioning = true, hive_types = {'snapshot_date': 'date'})
)
select
    raw.*,
    models.model_id is not null as is_latest
from raw
left join models
    on raw.model_id = models.model_id and raw.snapshot_date = models.snapshot_date
where models.model_id is not null
    or raw.base_models_json is not null
    or raw.eval_results_json is not null
    or raw.model_index_json is not null
    or len(list_filter(raw.tags, lambda tag: starts_with(tag, 'base_model:'))) > 0
;
delete from wide
where not exists (
    select 1 from snap
    where snap.model_id = wide.model_id and snap.snapshot_date = wide.snapshot_date and snap.repo_id = wide.repo_id
)
;
-- 8. Names: each canonical repo id (renamed namespaces folded) belongs to the model that carried it last.
create temp table owners as
select canonical_repo_id, model_id
from (
    select
        names.model_id,
        case
            when strpos(names.repo_id, '/') > 0
                then coalesce(aliases.organization, split_part(names.repo_id, '/', 1))
                    || substr(names.repo_id, strpos(names.repo_id, '/'))
            else names.repo_id
        end as canonical_repo_id,
        names.first_seen_date,
        names.last_seen_date
    from (
        select model_id, repo_id, min(snapshot_date) as first_seen_date, max(snapshot_date) as last_seen_date
        from snap
        group by model_id, repo_id
    ) as names
    left join aliases
        on split_part(names.repo_id, '/', 1) = aliases.legacy_namespace
)
qualify row_number() over (
    partition by canonical_repo_id order by last_seen_date desc, first_seen_date desc, model_id
) = 1
;
-- 9. Lineage: one edge per (child, parent), with the relation of the child's latest listing naming it.
create temp table lineage as
with listings as (
    select model_id, tags, base_models_json, min(snapshot_date) as first_seen, max(snapshot_date) as last_seen
    from wide
    where base_models_json is not null
        or len(list_filter(tags, lambda tag: starts_with(tag, 'base_model:'))) > 0
    group by model_id, tags, base_models_json
),
named as (
    select model_id, first_seen, last_seen, substr(tag, 12) as reference
    from (select model_id, first_seen, last_seen, unnest(list_distinct(tags)) as tag from listings)
    where starts_with(tag, 'base_model:')
),
tag_edges as (
    select
        model_id,
        first_seen,
        last_seen,
        case when strpos(reference, ':') > 0 then substr(reference, strpos(reference, ':') + 1) else reference end
            as parent,
        case when strpos(reference, ':') > 0 then split_part(reference, ':', 1) end as tagged,
        null as listed
    from named
),
field_edges as (
    select
        model_id,
        first_seen,
        last_seen,
        unnest(json_extract_string(base_models_json, '$.models[*].id')) as parent,
        null as tagged,
        json_extract_string(base_models_json, '$.relation') as listed
    from listings
    where base_models_json is not null
),
listing_edges as (
    select
        model_id,
        parent,
        last_seen,
        first_seen,
        coalesce(
            case
                when bool_or(tagged = 'merge') then 'merge'
                when bool_or(tagged = 'adapter') then 'adapter'
                when bool_or(tagged = 'quantized') then 'quantized'
                when bool_or(tagged = 'finetune') then 'finetune'
            end,
            case
                when bool_or(listed = 'merge') then 'merge'
                when bool_or(listed = 'adapter') then 'adapter'
                when bool_or(listed = 'quantized') then 'quantized'
                when bool_or(listed = 'finetune') then 'finetune'
            end,
            'finetune'
        ) as relation
    from (select * from tag_edges union all select * from field_edges)
    where parent like '%/%'
    group by model_id, parent, first_seen, last_seen
),
named_edges as (
    -- One row per (child, parent name): the latest listing's relation.
    select
        model_id,
        parent,
        arg_max(relation, last_seen) as relation,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen
    from listing_edges
    group by model_id, parent
),
canonical_edges as (
    select
        named_edges.*,
        coalesce(aliases.organization, split_part(named_edges.parent, '/', 1))
            || substr(named_edges.parent, strpos(named_edges.parent, '/')) as canonical_repo_id
    from named_edges
    left join aliases
        on split_part(named_edges.parent, '/', 1) = aliases.legacy_namespace
),
resolved as (
    select
        canonical_edges.*,
        owners.model_id as parent_model_id,
        coalesce(owners.model_id, canonical_edges.canonical_repo_id) as parent_key
    from canonical_edges
    left join owners
        on canonical_edges.canonical_repo_id = owners.canonical_repo_id
    where owners.model_id is null or owners.model_id != canonical_edges.model_id
),
edges as (
    -- Two names of one parent are one edge: the most recently listed name (then the most specific) wins.
    select
        model_id,
        parent_key,
        parent_model_id,
        parent,
        canonical_repo_id,
        relation,
        min(first_seen) over per_edge as first_seen,
        max(last_seen) over per_edge as last_seen
    from resolved
    window per_edge as (partition by model_id, parent_key)
    qualify row_number() over (
        partition by model_id, parent_key
        order by
            last_seen desc,
            case relation when 'merge' then 1 when 'adapter' then 2 when 'quantized' then 3 else 4 end,
            parent desc
    ) = 1
)
select
    edges.model_id as child_model_id,
    edges.parent_key,
    edges.parent_model_id,
    children.organization as child_organization,
    children.region as child_region,
    children.created_date as child_created_date,
    coalesce(parents.repo_id, edges.canonical_repo_id) as parent_repo_id,
    coalesce(parents.organization, split_part(edges.canonical_repo_id, '/', 1)) as parent_organization,
    coalesce(parents.region, parent_regions.region, 'unclassified') as parent_region,
    parents.created_date as parent_created_date,
    edges.relation,
    children.organization
        = coalesce(parents.organization, split_part(edges.canonical_repo_id, '/', 1)) as is_same_org
from edges
inner join models as children
    on edges.model_id = children.model_id
left join models as parents
    on edges.parent_model_id = parents.model_id
left join regions as parent_regions
    on split_part(edges.canonical_repo_id, '/', 1) = parent_regions.hf_org
;
-- 10. Per derived model: its most specific relation, same- or cross-organisation, number of bases.
create temp table derived as
select
    child_model_id as model_id,
    count(*) as base_models,
    case
        when bool_or(relation = 'merge') then 'merge'
        when bool_or(relation = 'adapter') then 'adapter'
        when bool_or(relation = 'quantized') then 'quantized'
        else 'finetune'
    end as relation,
    case when bool_and(is_same_org) then 'same_org' else 'cross_org' end as origin
from lineage
group by child_model_id
;
-- 11. Releases: models with a real createdAt.
create temp table releases as
select
    models.model_id,
    models.organization,
    models.region,
    models.created_at,
    models.created_date as release_date,
    cast(date_trunc('week', models.created_date) as date) as release_week,
    cast(date_trunc('month', models.created_date) as date) as release_month,
    coalesce(derived.relation, 'original') as relation,
    derived.origin,
    latest.pipeline_tag
from models
left join derived
    on models.model_id = derived.model_id
left join wide as latest
    on models.model_id = latest.model_id and latest.is_latest
where models.created_date is not null
;
-- 12. Benchmark scores: the leaderboard's best average by Hub id, or the six benchmarks a model carries.
create temp table scores as
with board as (
    select
        owners.model_id,
        max(cast(board.model_average_score as double)) as leaderboard_score
    from read_csv('__SEEDS__/open_llm_leaderboard_v2_2025-03-21.csv', header = true, auto_detect = true) as board
    left join aliases
        on split_part(board.model_name, '/', 1) = aliases.legacy_namespace
    inner join owners
        on case
            when strpos(board.model_name, '/') > 0
                then coalesce(aliases.organization, split_part(board.model_name, '/', 1))
                    || substr(board.model_name, strpos(board.model_name, '/'))
            else board.model_name
        end = owners.canonical_repo_id
    where not coalesce(cast(board.features_is_flagged as boolean), false)
    group by owners.model_id
),
payloads as (
    select model_id, eval_results_json, model_index_json, max(snapshot_date) as last_seen
    from wide
    where eval_results_json is not null or model_index_json is not null
    group by model_id, eval_results_json, model_index_json
),
values_carried as (
    select model_id, last_seen, json_extract_string(result, '$.dataset.id') as dataset, 'evalResults' as form,
        try_cast(json_extract_string(result, '$.value') as double) as value
    from (
        select model_id, last_seen, unnest(cast(json_extract(eval_results_json, '$[*]') as json[])) as result
        from payloads
        where eval_results_json is not null and json_type(eval_results_json) = 'ARRAY'
    )
    union all
    select model_id, last_seen, json_extract_string(result, '$.dataset.type'), 'model-index',
        try_cast(json_extract_string(metric, '$.value') as double)
    from (
        select
            model_id,
            last_seen,
            result,
            unnest(cast(coalesce(json_extract(result, '$.metrics[*]'), []) as json[])) as metric
        from (
            select model_id, last_seen, unnest(cast(json_extract(model_index_json, '$[*].results[*]') as json[])) as result
            from payloads
            where model_index_json is not null and json_type(model_index_json) = 'ARRAY'
        )
    )
),
benchmarked as (
    select values_carried.model_id, values_carried.last_seen, benchmarks.benchmark, values_carried.value
    from values_carried
    inner join benchmarks
        on (values_carried.form = 'evalResults' and values_carried.dataset = benchmarks.eval_results_dataset_id)
        or (values_carried.form = 'model-index' and values_carried.dataset = benchmarks.model_index_dataset_type)
    where values_carried.value is not null
    qualify values_carried.last_seen = max(values_carried.last_seen) over (partition by values_carried.model_id)
),
carried as (
    select model_id, avg(value) as carried_score
    from (select model_id, benchmark, max(value) as value from benchmarked group by all)
    group by model_id
    having count(*) = (select count(*) from benchmarks)
)
select
    models.model_id,
    board.leaderboard_score,
    carried.carried_score,
    greatest(board.leaderboard_score, carried.carried_score) as benchmark_score
from models
left join board on models.model_id = board.model_id
left join carried on models.model_id = carried.model_id
;
-- 13. The model dimension.
create table marts.dim_models as
with current_tags as (
    select
        model_id,
        min(substr(tag, 9)) filter (where starts_with(tag, 'license:')) as license,
        list(tag order by tag) filter (
            where (regexp_full_match(tag, '[a-z]{2}') and tag != 'tf') or tag = 'multilingual'
        ) as languages
    from (select model_id, unnest(list_distinct(tags)) as tag from wide where is_latest)
    where tag is not null
    group by model_id
)
select
    models.model_id,
    models.repo_id,
    models.first_repo_id,
    models.repo_ids_seen,
    models.author,
    models.organization,
    models.region,
    models.created_at,
    models.created_date,
    models.is_placeholder_created_at,
    models.created_date is not null as is_release,
    coalesce(derived.relation, 'original') as relation,
    derived.origin,
    coalesce(derived.base_models, 0) as base_models,
    latest.pipeline_tag,
    latest.library_name,
    current_tags.license,
    current_tags.languages,
    latest.safetensors_total as parameter_count,
    models.is_gated,
    models.gated_mode,
    models.downloads_all_time,
    models.downloads_30d,
    models.likes,
    models.trending_score,
    scores.leaderboard_score,
    scores.carried_score,
    scores.benchmark_score,
    models.first_seen_date,
    models.last_seen_date,
    models.snapshots_seen,
    models.is_deleted
from models
left join derived on models.model_id = derived.model_id
left join wide as latest on models.model_id = latest.model_id and latest.is_latest
left join current_tags on models.model_id = current_tags.model_id
left join scores on models.model_id = scores.model_id
;
-- 14. The organisation dimension: every seeded namespace (renamed ones folded) and every observed organisation.
create table marts.dim_organizations as
with observed as (
    select organization, min(snapshot_date) as first_seen_date, max(snapshot_date) as last_seen_date
    from snap
    group by organization
),
organizations as (
    select hf_org as organization from regions where hf_org not in (select legacy_namespace from aliases)
    union
    select organization from observed
),
legacy as (
    select
        aliases.organization,
        string_agg(aliases.legacy_namespace, ', ' order by aliases.legacy_namespace) as legacy_namespaces,
        min(regions.region) as region,
        min(regions.notes) as notes
    from aliases
    left join regions on aliases.legacy_namespace = regions.hf_org
    group by aliases.organization
),
counts as (
    select organization, count(*) as models, count(*) filter (where not is_deleted) as live_models
    from models group by organization
),
released as (
    select organization, count(*) as releases, min(release_date) as first_release_date,
        max(release_date) as last_release_date
    from releases group by organization
)
select
    organizations.organization,
    coalesce(own.region, legacy.region, 'unclassified') as region,
    coalesce(own.region, legacy.region) is not null as is_region_classified,
    coalesce(own.region, legacy.region, 'unclassified') in (select region from attributed) as is_region_attributed,
    case when coalesce(own.region, legacy.region) is not null then 'seed' end as region_source,
    case when own.hf_org is not null then own.notes else legacy.notes end as region_notes,
    legacy.legacy_namespaces,
    coalesce(counts.models, 0) as models,
    coalesce(counts.live_models, 0) as live_models,
    coalesce(released.releases, 0) as releases,
    released.first_release_date,
    released.last_release_date,
    observed.first_seen_date,
    observed.last_seen_date,
    observed.organization is not null as is_observed
from organizations
left join regions as own on organizations.organization = own.hf_org
left join legacy on organizations.organization = legacy.organization
left join counts on organizations.organization = counts.organization
left join released on organizations.organization = released.organization
left join observed on organizations.organization = observed.organization
;
-- 15. Release cadence per organisation and region and ISO week, from the first release to the latest snapshot.
create table marts.fct_release_cadence as
with entity_releases as (
    select 'organization' as entity_type, organization as entity_id, * from releases
    union all
    select 'region', region, * from releases
),
gaps as (
    select
        *,
        date_diff('day', lag(release_date) over (partition by entity_type, entity_id order by created_at, model_id),
            release_date) as gap
    from entity_releases
),
weekly as (
    select
        entity_type,
        entity_id,
        release_week as week_start,
        count(*) as releases,
        count(*) filter (where relation = 'original') as releases_original,
        count(*) filter (where relation = 'finetune') as releases_finetune,
        count(*) filter (where relation = 'quantized') as releases_quantized,
        count(*) filter (where relation = 'adapter') as releases_adapter,
        count(*) filter (where relation = 'merge') as releases_merge,
        count(*) filter (where origin = 'same_org') as releases_same_org,
        count(*) filter (where origin = 'cross_org') as releases_cross_org,
        median(gap) as median_days_between_releases
    from gaps
    group by all
),
weeks as (
    select
        entity_type,
        entity_id,
        cast(unnest(generate_series(first_week, greatest(first_week, last_week), interval 7 day)) as date)
            as week_start
    from (
        select
            entity_type,
            entity_id,
            min(week_start) as first_week,
            (select cast(date_trunc('week', max(snapshot_date)) as date) from snap) as last_week
        from weekly
        group by all
    )
),
dense as (
    select
        weeks.entity_type,
        weeks.entity_id,
        weeks.week_start,
        coalesce(weekly.releases, 0) as releases,
        coalesce(weekly.releases_original, 0) as releases_original,
        coalesce(weekly.releases_finetune, 0) as releases_finetune,
        coalesce(weekly.releases_quantized, 0) as releases_quantized,
        coalesce(weekly.releases_adapter, 0) as releases_adapter,
        coalesce(weekly.releases_merge, 0) as releases_merge,
        coalesce(weekly.releases_same_org, 0) as releases_same_org,
        coalesce(weekly.releases_cross_org, 0) as releases_cross_org,
        weekly.releases is not null as is_active_week,
        weekly.median_days_between_releases
    from weeks
    left join weekly using (entity_type, entity_id, week_start)
),
streaks as (
    select
        *,
        count(*) filter (where not is_active_week) over (
            partition by entity_type, entity_id order by week_start rows unbounded preceding
        ) as streak
    from dense
)
select
    entity_type,
    entity_id,
    week_start,
    cast(isoyear(week_start) as integer) as iso_year,
    cast(week(week_start) as integer) as iso_week,
    releases,
    releases_original,
    releases_finetune,
    releases_quantized,
    releases_adapter,
    releases_merge,
    releases_same_org,
    releases_cross_org,
    is_active_week,
    cast(count(*) filter (where is_active_week) over (
        partition by entity_type, entity_id, streak order by week_start rows unbounded preceding
    ) as integer) as active_week_streak,
    median_days_between_releases,
    week_start >= date '2025-01-20' as is_post_r1
from streaks
;
-- 16. Derivatives per tracked base model.
create table marts.fct_derivatives as
with children as (
    select
        parent_model_id,
        count(*) as derivatives,
        count(*) filter (where relation = 'finetune') as derivatives_finetune,
        count(*) filter (where relation = 'quantized') as derivatives_quantized,
        count(*) filter (where relation = 'adapter') as derivatives_adapter,
        count(*) filter (where relation = 'merge') as derivatives_merge,
        count(*) filter (where is_same_org) as derivatives_same_org,
        count(*) filter (where not is_same_org) as derivatives_cross_org,
        count(*) filter (where pair_attributed) as derivatives_classified_pair,
        count(*) filter (where pair_attributed and child_region <> parent_region) as derivatives_cross_region,
        min(child_created_date) as first_derivative_date,
        count(*) filter (where date_diff('day', parent_created_date, child_created_date) between 0 and 42)
            as derivatives_within_42_days
    from (
        select
            *,
            child_region in (select region from attributed) and parent_region in (select region from attributed)
                as pair_attributed
        from lineage
    )
    where parent_model_id is not null
    group by parent_model_id
)
select
    models.model_id as base_model_id,
    models.repo_id as base_repo_id,
    models.organization,
    models.region,
    models.created_date as release_date,
    models.is_placeholder_created_at,
    coalesce(children.derivatives, 0) as derivatives,
    coalesce(children.derivatives_finetune, 0) as derivatives_finetune,
    coalesce(children.derivatives_quantized, 0) as derivatives_quantized,
    coalesce(children.derivatives_adapter, 0) as derivatives_adapter,
    coalesce(children.derivatives_merge, 0) as derivatives_merge,
    coalesce(children.derivatives_same_org, 0) as derivatives_same_org,
    coalesce(children.derivatives_cross_org, 0) as derivatives_cross_org,
    children.derivatives_cross_org / children.derivatives as share_by_other_organizations,
    coalesce(children.derivatives_classified_pair, 0) as derivatives_classified_pair,
    coalesce(children.derivatives_cross_region, 0) as derivatives_cross_region,
    coalesce(children.derivatives, 0) - coalesce(children.derivatives_classified_pair, 0) as derivatives_unattributed,
    children.derivatives_cross_region / nullif(children.derivatives_classified_pair, 0) as share_cross_region,
    children.first_derivative_date,
    date_diff('day', models.created_date, children.first_derivative_date) as days_to_first_derivative,
    case when models.created_date is not null then coalesce(children.derivatives_within_42_days, 0) end
        as derivatives_within_42_days
from models
left join children on models.model_id = children.parent_model_id
;
-- 17. Supply chain: new derivative edges per month, child region, base region and relation, from the first
--     snapshot's month (earlier months would count only the derivatives that survived until tracking began).
create table marts.fct_supply_chain as
with span as (
    select min(snapshot_date) as first_day, max(snapshot_date) as last_day from snap
),
new_edges as (
    select
        cast(date_trunc('month', child_created_date) as date) as month_start,
        child_region,
        parent_region as base_region,
        relation,
        child_model_id
    from lineage, span
    where child_created_date >= date_trunc('month', span.first_day)
),
cells as (
    select month_start, child_region, base_region, relation, count(*) as new_derivatives,
        count(distinct child_model_id) as new_derivative_models
    from new_edges
    group by all
),
child_months as (
    select model_id, cast(date_trunc('month', download_date) as date) as month_start, sum(daily_downloads) as downloads
    from daily
    where model_id in (select child_model_id from new_edges)
    group by all
),
cell_downloads as (
    select cell.month_start, child_region, base_region, relation, sum(child_months.downloads) as derivative_downloads
    from (select distinct month_start, child_region, base_region, relation, child_model_id from new_edges) as cell
    inner join child_months
        on cell.child_model_id = child_months.model_id and cell.month_start = child_months.month_start
    group by all
)
select
    cells.month_start,
    cells.child_region,
    cells.base_region,
    cells.relation,
    a.region is not null and b.region is not null as is_classified_pair,
    case when a.region is not null and b.region is not null then cells.child_region <> cells.base_region end
        as is_cross_region,
    cells.month_start >= span.first_day and last_day(cells.month_start) <= span.last_day as is_month_fully_observed,
    cells.new_derivatives,
    cells.new_derivative_models,
    cell_downloads.derivative_downloads
from cells
cross join span
left join attributed as a on cells.child_region = a.region
left join attributed as b on cells.base_region = b.region
left join cell_downloads using (month_start, child_region, base_region, relation)
;
-- 17b. Attribution coverage: per day of the snapshots' span and per month it touches, what organisations
--      without a region (unclassified, or unknown to the seed) hold of the downloads, releases and new derivatives.
create table marts.fct_attribution_coverage as
with span as (
    select min(snapshot_date) as first_day, max(snapshot_date) as last_day from snap
),
calendar as (
    select cast(unnest(range(span.first_day, span.last_day + 1, interval 1 day)) as date) as day from span
),
facts as (
    select download_date as day, daily_downloads as downloads,
        case when region in (select region from attributed) then 0.0 else daily_downloads end as unattributed_downloads,
        0 as releases, 0 as unattributed_releases, 0 as derivatives, 0 as unattributed_derivatives,
        0 as unattributed_pairs
    from daily where daily_downloads is not null
    union all
    select release_date, null, null, 1, (region not in (select region from attributed))::int, 0, 0, 0
    from releases
    union all
    select child_created_date, null, null, 0, 0, 1, (child_region not in (select region from attributed))::int,
        (child_region not in (select region from attributed) or parent_region not in (select region from attributed))::int
    from lineage where child_created_date is not null
),
by_day as (
    select calendar.day, sum(facts.downloads) as downloads, sum(facts.unattributed_downloads) as unattributed_downloads,
        coalesce(sum(facts.releases), 0) as releases, coalesce(sum(facts.unattributed_releases), 0) as unattributed_releases,
        coalesce(sum(facts.derivatives), 0) as derivatives,
        coalesce(sum(facts.unattributed_derivatives), 0) as unattributed_derivatives,
        coalesce(sum(facts.unattributed_pairs), 0) as unattributed_pairs
    from calendar left join facts on calendar.day = facts.day
    group by calendar.day
),
velocity_share as (
    select metric_date as day,
        coalesce(sum(velocity_28d) filter (where entity_id not in (select region from attributed)), 0)
            / nullif(sum(velocity_28d), 0) as unattributed_velocity_28d_share
    from marts.fct_download_velocity
    where entity_type = 'region'
    group by metric_date
    having sum(velocity_28d) > 0
),
periods as (
    select 'day' as period_type, day as period_start, day as period_end, by_day.*, velocity_share.unattributed_velocity_28d_share
    from by_day left join velocity_share using (day)
    union all
    select 'month', cast(date_trunc('month', day) as date), cast(last_day(day) as date), null, sum(downloads),
        sum(unattributed_downloads), sum(releases), sum(unattributed_releases), sum(derivatives),
        sum(unattributed_derivatives), sum(unattributed_pairs), null
    from by_day group by all
)
select
    period_type,
    period_start,
    period_end,
    period_start >= span.first_day and period_end <= span.last_day as is_period_fully_observed,
    downloads,
    unattributed_downloads,
    unattributed_downloads / nullif(downloads, 0) as unattributed_download_share,
    cast(releases as bigint) as releases,
    cast(unattributed_releases as bigint) as unattributed_releases,
    unattributed_releases / nullif(releases, 0) as unattributed_release_share,
    cast(derivatives as bigint) as derivatives,
    cast(unattributed_derivatives as bigint) as unattributed_derivatives,
    unattributed_derivatives / nullif(derivatives, 0) as unattributed_derivative_share,
    cast(unattributed_pairs as bigint) as unattributed_pairs,
    unattributed_pairs / nullif(derivatives, 0) as unattributed_pair_share,
    unattributed_velocity_28d_share
from periods, span
;
-- 17c. The organisations without a region that hold the most downloads and derivatives: which to attribute first.
create table marts.fct_unattributed_organizations as
with candidates as (
    select organization, region, models, releases
    from marts.dim_organizations
    where region not in (select region from attributed)
    union
    select parent_organization, parent_region, 0, 0
    from lineage
    where parent_region not in (select region from attributed)
        and parent_organization not in (select organization from marts.dim_organizations)
),
edge_roles as (
    select child_organization as organization, 1 as built, 0 as based from lineage
    union all
    select parent_organization, 0, 1 from lineage where parent_organization <> child_organization
),
roles as (
    select organization, sum(built) as derivatives_built, sum(based) as derivatives_on_its_bases
    from edge_roles group by organization
),
downloaded as (
    select organization, sum(daily_downloads) as downloads from daily group by organization
),
scored as (
    select
        candidates.organization,
        candidates.region,
        candidates.models,
        candidates.releases,
        downloaded.downloads,
        coalesce(downloaded.downloads, 0) / nullif((select sum(daily_downloads) from daily), 0) as download_share,
        cast(coalesce(roles.derivatives_built, 0) as bigint) as derivatives_built,
        cast(coalesce(roles.derivatives_on_its_bases, 0) as bigint) as derivatives_on_its_bases,
        cast(coalesce(roles.derivatives_built, 0) + coalesce(roles.derivatives_on_its_bases, 0) as bigint)
            as unattributed_derivatives,
        (coalesce(roles.derivatives_built, 0) + coalesce(roles.derivatives_on_its_bases, 0))
            / nullif((select count(*) from lineage), 0) as derivative_share
    from candidates
    left join downloaded using (organization)
    left join roles using (organization)
)
select
    *,
    row_number() over (order by coalesce(downloads, 0) desc, unattributed_derivatives desc, organization)
        as attribution_rank
from scored
where coalesce(downloads, 0) > 0 or unattributed_derivatives > 0
;
-- 18. Ecosystem vs benchmark per organisation and month, and the monthly rank correlation.
create table marts.fct_ecosystem_vs_benchmark as
with months as (
    select distinct cast(date_trunc('month', snapshot_date) as date) as month_start,
        cast(last_day(snapshot_date) as date) as month_end
    from snap
),
organization_months as (
    select distinct organization, cast(date_trunc('month', snapshot_date) as date) as month_start from snap
),
downloads as (
    select organization, cast(date_trunc('month', download_date) as date) as month_start,
        sum(daily_downloads) as downloads
    from daily group by all
),
likes as (
    -- Each model's likes at its last snapshot of the month, under that snapshot's organisation.
    select organization, month_start, sum(likes) as likes
    from (
        select
            cast(date_trunc('month', snapshot_date) as date) as month_start,
            arg_max(organization, snapshot_date) as organization,
            arg_max_null(likes, snapshot_date) as likes
        from snap
        group by model_id, cast(date_trunc('month', snapshot_date) as date)
    )
    group by all
),
derivatives as (
    select parent_organization as organization, cast(date_trunc('month', child_created_date) as date) as month_start,
        count(*) as new_derivatives
    from lineage where child_created_date is not null group by all
),
released as (
    select organization, release_month as month_start, count(*) as releases,
        count(distinct pipeline_tag) as release_pipeline_tags
    from releases group by all
),
benchmark as (
    select months.month_start, dims.organization, max(dims.benchmark_score) as benchmark_score
    from marts.dim_models as dims
    inner join months
        on coalesce(cast(timezone('UTC', dims.created_at) as date), dims.first_seen_date) <= months.month_end
    where dims.benchmark_score is not null
    group by all
),
totals as (
    select
        months.month_start,
        (select sum(downloads) from downloads where downloads.month_start = months.month_start) as downloads,
        (select sum(likes) from likes where likes.month_start = months.month_start) as likes,
        (select sum(new_derivatives) from derivatives where derivatives.month_start = months.month_start)
            as new_derivatives
    from months
),
scored as (
    select
        om.organization,
        om.month_start,
        months.month_end,
        benchmark.benchmark_score,
        downloads.downloads,
        case when totals.downloads > 0 then downloads.downloads / totals.downloads end as ecosystem_score,
        likes.likes,
        case when totals.likes > 0 then likes.likes / totals.likes end as likes_share,
        coalesce(derivatives.new_derivatives, 0) as new_derivatives,
        case when totals.new_derivatives > 0 then coalesce(derivatives.new_derivatives, 0) / totals.new_derivatives end
            as derivative_share,
        coalesce(released.releases, 0) as releases,
        coalesce(released.release_pipeline_tags, 0) as release_pipeline_tags
    from organization_months as om
    inner join months using (month_start)
    inner join totals using (month_start)
    left join benchmark using (organization, month_start)
    left join downloads using (organization, month_start)
    left join likes using (organization, month_start)
    left join derivatives using (organization, month_start)
    left join released using (organization, month_start)
),
ranked as (
    select
        organization,
        month_start,
        rank() over (partition by month_start order by benchmark_score desc)
            + (count(*) over (partition by month_start, benchmark_score) - 1) / 2 as benchmark_rank,
        rank() over (partition by month_start order by ecosystem_score desc)
            + (count(*) over (partition by month_start, ecosystem_score) - 1) / 2 as ecosystem_rank
    from scored
    where benchmark_score is not null and ecosystem_score is not null
)
select
    scored.organization,
    scored.month_start,
    scored.month_end,
    scored.benchmark_score,
    ranked.benchmark_rank,
    scored.downloads,
    scored.ecosystem_score,
    ranked.ecosystem_rank,
    ranked.benchmark_rank - ranked.ecosystem_rank as rank_gap,
    scored.likes,
    scored.likes_share,
    scored.new_derivatives,
    scored.derivative_share,
    scored.releases,
    scored.release_pipeline_tags
from scored
left join ranked using (organization, month_start)
;
create table marts.fct_benchmark_adoption_correlation as
select
    month_start,
    count(benchmark_rank) as organizations_ranked,
    case
        when count(benchmark_rank) >= 3 and var_pop(benchmark_rank) > 0 and var_pop(ecosystem_rank) > 0
            then corr(benchmark_rank, ecosystem_rank)
    end as spearman_rank_correlation
from marts.fct_ecosystem_vs_benchmark
group by month_start
;
-- 18. Organisation trajectories, written independently of the dbt model: each month's cumulative counts are
--     counted directly (every release / dated derivative up to the month's end), not summed month by month.
create table marts.fct_organization_trajectories as
with activity as (
    select organization, release_month as month_start from releases
    union all
    select parent_organization, cast(date_trunc('month', child_created_date) as date)
    from lineage where child_created_date is not null
),
spans as (
    select organization, min(month_start) as first_month,
        greatest(min(month_start), (select cast(date_trunc('month', max(snapshot_date)) as date) from snap))
            as last_month
    from activity group by organization
),
calendar as (
    select organization, cast(month_start as date) as month_start
    from spans, lateral (select unnest(generate_series(first_month, last_month, interval 1 month)) as month_start)
),
release_counts as (
    select
        calendar.organization,
        calendar.month_start,
        count(releases.model_id) filter (where releases.release_month = calendar.month_start) as releases,
        count(releases.model_id) as cumulative_releases,
        count(releases.model_id) filter (where releases.release_date >= date '2025-01-20')
            as cumulative_releases_since_r1
    from calendar
    left join releases
        on releases.organization = calendar.organization and releases.release_month <= calendar.month_start
    group by all
),
derivative_counts as (
    select
        calendar.organization,
        calendar.month_start,
        count(lineage.child_model_id)
            filter (where date_trunc('month', lineage.child_created_date) = calendar.month_start) as new_derivatives,
        count(lineage.child_model_id) as cumulative_derivatives,
        count(lineage.child_model_id) filter (where lineage.child_created_date >= date '2025-01-20')
            as cumulative_derivatives_since_r1
    from calendar
    left join lineage
        on lineage.parent_organization = calendar.organization
        and lineage.child_created_date is not null
        and lineage.child_created_date <= last_day(calendar.month_start)
    group by all
)
select
    calendar.organization,
    coalesce(dims.region, 'unclassified') as region,
    calendar.month_start,
    cast(last_day(calendar.month_start) as date) as month_end,
    cast(r.releases as bigint) as releases,
    cast(r.cumulative_releases as integer) as cumulative_releases,
    cast(r.cumulative_releases_since_r1 as integer) as cumulative_releases_since_r1,
    cast(d.new_derivatives as bigint) as new_derivatives,
    cast(d.cumulative_derivatives as integer) as cumulative_derivatives,
    cast(d.cumulative_derivatives_since_r1 as integer) as cumulative_derivatives_since_r1
from calendar
inner join release_counts as r using (organization, month_start)
inner join derivative_counts as d using (organization, month_start)
left join marts.dim_organizations as dims on calendar.organization = dims.organization
;
-- 19. Organisation milestones: the month an organisation crossed 10 / 100 releases is the first month whose
--     cumulative count (above) reaches it; the growth rank is 1 + the organisations with more releases since R1
--     + half the others tied with it.
create table marts.fct_organization_milestones as
with names as (
    select organization from marts.dim_organizations
    union
    select parent_organization from lineage
),
released as (
    select organization, min(release_date) as first_release_date, max(release_date) as last_release_date,
        count(*) as releases,
        count(*) filter (where release_date < date '2025-01-20') as releases_before_r1,
        count(*) filter (where release_date >= date '2025-01-20') as releases_since_r1
    from releases group by organization
),
crossed as (
    select organization,
        min(month_start) filter (where cumulative_releases >= 10) as month_crossed_10_releases,
        min(month_start) filter (where cumulative_releases >= 100) as month_crossed_100_releases
    from marts.fct_organization_trajectories group by organization
),
derived as (
    select parent_organization as organization, min(child_created_date) as first_derivative_date,
        count(*) as derivatives,
        count(*) filter (where child_created_date < date '2025-01-20') as derivatives_before_r1,
        count(*) filter (where child_created_date >= date '2025-01-20') as derivatives_since_r1,
        count(*) filter (where child_created_date is null) as derivatives_undated
    from lineage group by parent_organization
)
select
    names.organization,
    coalesce(dims.region, 'unclassified') as region,
    coalesce(dims.is_region_attributed, false) as is_region_attributed,
    released.first_release_date,
    released.last_release_date,
    coalesce(released.releases, 0) as releases,
    coalesce(released.releases_before_r1, 0) as releases_before_r1,
    coalesce(released.releases_since_r1, 0) as releases_since_r1,
    crossed.month_crossed_10_releases,
    crossed.month_crossed_100_releases,
    derived.first_derivative_date,
    coalesce(derived.derivatives, 0) as derivatives,
    coalesce(derived.derivatives_before_r1, 0) as derivatives_before_r1,
    coalesce(derived.derivatives_since_r1, 0) as derivatives_since_r1,
    coalesce(derived.derivatives_undated, 0) as derivatives_undated,
    case when released.releases_since_r1 > 0 then
        1.0 + (select count(*) from released as other where other.releases_since_r1 > released.releases_since_r1)
        + ((select count(*) from released as other where other.releases_since_r1 = released.releases_since_r1) - 1)
        / 2.0
    end as growth_rank_since_r1
from names
left join marts.dim_organizations as dims on names.organization = dims.organization
left join released on names.organization = released.organization
left join crossed on names.organization = crossed.organization
left join derived on names.organization = derived.organization
;
-- 20. Licences and languages, written independently of the dbt models (int_models_licences_languages and the
--     four marts below): one row per model of its latest snapshot's licence family and languages. The card's
--     custom licence name is read from the raw item JSON of the latest snapshot rows tagged `license:other` only,
--     kept by step 1's rule (the row step 1 kept for the model and date). The family is looked up twice: the
--     card's name (lower case) when the licence is `other`, then the licence itself (lower case); neither found
--     (or no licence) is `unknown`.
create temp table licensing as
with cards as (
    select
        coalesce(raw.object_id, raw.id) as model_id,
        raw.snapshot_date,
        raw.id as repo_id,
        raw.item_json ->> '$.cardData.license_name' as card_license_name
    from read_parquet('__RAW__', hive_partitioning = true, hive_types = {'snapshot_date': 'date'}) as raw
    where list_contains(raw.tags, 'license:other')
        -- Only the partitions some `other`-licensed model's latest snapshot is in (DuckDB skips the other files).
        and raw.snapshot_date in (
            select distinct models.snapshot_date
            from models
            inner join marts.dim_models as dims on models.model_id = dims.model_id
            where dims.license = 'other'
        )
),
latest_cards as (
    select cards.model_id, max(cards.card_license_name) as card_license_name
    from cards
    inner join models
        on cards.model_id = models.model_id
        and cards.snapshot_date = models.snapshot_date
        and cards.repo_id = models.repo_id
    group by cards.model_id
),
families as (
    select lower(license_id) as license_id, license_family
    from read_csv('__SEEDS__/license_families.csv', header = true, all_varchar = true)
)
select
    dims.model_id,
    dims.license,
    coalesce(
        (select families.license_family from families
         where dims.license = 'other' and families.license_id = lower(latest_cards.card_license_name)),
        (select families.license_family from families where families.license_id = lower(dims.license)),
        'unknown'
    ) as license_family
from marts.dim_models as dims
left join latest_cards on dims.model_id = latest_cards.model_id
;
-- Each model's declared language codes (its latest snapshot's language tags, `multilingual` included) and their
-- families: a code the seed lacks is `unclassified`.
create temp table speaking as
with codes as (
    select model_id, unnest(languages) as language_code
    from marts.dim_models
    where languages is not null
),
seed as (
    select language_code, language_family
    from read_csv('__SEEDS__/language_families.csv', header = true, all_varchar = true)
)
select
    codes.model_id,
    codes.language_code,
    coalesce(seed.language_family, 'unclassified') as language_family
from codes
left join seed on codes.language_code = seed.language_code
;
-- 21. Releases and downloads per region, month and licence family: the releases (step 11) in their release
--     month, the daily downloads (step 4) of every model by its latest licence family; the shares divide by the
--     region's month counted straight from the releases and the daily downloads (every model has one family).
create table marts.fct_release_licences as
with facts as (
    select releases.region, releases.release_month as month_start, licensing.license_family,
        1 as released, releases.release_date < date '2025-01-20' as released_before_r1,
        cast(null as double) as downloads, cast(null as date) as download_date
    from releases
    inner join licensing on releases.model_id = licensing.model_id
    union all
    select daily.region, cast(date_trunc('month', daily.download_date) as date), licensing.license_family,
        0, null, daily.daily_downloads, daily.download_date
    from daily
    inner join licensing on daily.model_id = licensing.model_id
    -- A cell is a family with a release or known downloads in the region's month: a day without a known count
    -- (a model entering the scope) makes none.
    where daily.daily_downloads is not null
),
cells as (
    select
        region,
        month_start,
        license_family,
        count(*) filter (where released = 1) as releases,
        count(*) filter (where released = 1 and released_before_r1) as releases_before_r1,
        count(*) filter (where released = 1 and not released_before_r1) as releases_since_r1,
        sum(downloads) as downloads,
        sum(downloads) filter (where download_date < date '2025-01-20') as downloads_before_r1,
        sum(downloads) filter (where download_date >= date '2025-01-20') as downloads_since_r1
    from facts
    group by region, month_start, license_family
),
region_releases as (
    select region, release_month as month_start, count(*) as releases from releases group by all
),
region_downloads as (
    select region, cast(date_trunc('month', download_date) as date) as month_start, sum(daily_downloads) as downloads
    from daily group by all
)
select
    cells.region,
    cells.month_start,
    cells.license_family,
    cells.month_start >= date '2025-01-20' as is_post_r1,
    cells.releases,
    cells.releases_before_r1,
    cells.releases_since_r1,
    cells.releases / nullif(region_releases.releases, 0) as release_share,
    cells.downloads,
    cells.downloads_before_r1,
    cells.downloads_since_r1,
    cells.downloads / nullif(region_downloads.downloads, 0) as download_share
from cells
left join region_releases using (region, month_start)
left join region_downloads using (region, month_start)
;
-- 22. Releases per region and month with the languages they declare: counted from each release's list of codes
--     (beyond English: any code but `en`; the named codes: all but `multilingual`).
create table marts.fct_release_languages as
with declared as (
    select
        releases.region,
        releases.release_month,
        releases.release_date,
        coalesce(len(dims.languages), 0) as codes,
        coalesce(len(list_filter(dims.languages, lambda code: code <> 'multilingual')), 0) as named,
        coalesce(len(list_filter(dims.languages, lambda code: code <> 'en')), 0) > 0 as beyond_english
    from releases
    inner join marts.dim_models as dims on releases.model_id = dims.model_id
)
select
    region,
    release_month as month_start,
    release_month >= date '2025-01-20' as is_post_r1,
    count(*) as releases,
    count(*) filter (where release_date < date '2025-01-20') as releases_before_r1,
    count(*) filter (where release_date >= date '2025-01-20') as releases_since_r1,
    count(*) filter (where codes > 0) as releases_declaring_languages,
    count(*) filter (where beyond_english) as releases_beyond_english,
    count(*) filter (where beyond_english and release_date < date '2025-01-20') as releases_beyond_english_before_r1,
    count(*) filter (where beyond_english and release_date >= date '2025-01-20') as releases_beyond_english_since_r1,
    (count(*) filter (where beyond_english)) / count(*) as share_beyond_english,
    sum(named) filter (where named > 0) / count(*) filter (where named > 0) as mean_languages_declared,
    max(named) as max_languages_declared
from declared
group by region, release_month
;
-- 23. Downloads per region, month and language family: each model's month in the region once per family it
--     declares (`none` without languages); the share divides by the region's month of the daily downloads.
create table marts.fct_language_family_downloads as
with model_families as (
    select distinct model_id, language_family from speaking
    union all
    select model_id, 'none' from marts.dim_models where model_id not in (select model_id from speaking)
),
region_downloads as (
    select region, cast(date_trunc('month', download_date) as date) as month_start, sum(daily_downloads) as downloads
    from daily group by all
),
cells as (
    select
        daily.region,
        cast(date_trunc('month', daily.download_date) as date) as month_start,
        model_families.language_family,
        count(distinct daily.model_id) as models,
        sum(daily.daily_downloads) as downloads
    from daily
    inner join model_families on daily.model_id = model_families.model_id
    group by all
)
select
    cells.region,
    cells.month_start,
    cells.language_family,
    cells.month_start >= date '2025-01-20' as is_post_r1,
    cells.models,
    cells.downloads,
    cells.downloads / nullif(region_downloads.downloads, 0) as download_share
from cells
inner join region_downloads using (region, month_start)
;
-- 24. Rankings: per period (release month / week cohorts of every release on its own last snapshot, and each
--     month's last snapshot), measure and region, the region's places among the top 10 and top 50. A model's
--     place is the number of the period's models ahead of it or level with it and a smaller-or-equal model id
--     (a running count in that order). The sizes are the dbt var `ranking_top_n` ([10, 50] in
--     dbt_project/dbt_project.yml), hard-coded here.
create table marts.fct_rankings as
with cohorts as (
    select 'release_month' as period_type, releases.release_month as period_start, models.model_id,
        releases.region, models.likes, models.downloads_30d
    from releases
    inner join models on releases.model_id = models.model_id
    union all
    select 'release_week', releases.release_week, models.model_id, releases.region, models.likes, models.downloads_30d
    from releases
    inner join models on releases.model_id = models.model_id
    union all
    select 'live_month', cast(date_trunc('month', facts.snapshot_date) as date), facts.model_id, facts.region,
        facts.likes, facts.downloads_30d
    from marts.fct_model_daily as facts
    where facts.snapshot_date in (
        select max(snapshot_date) from marts.fct_model_daily group by date_trunc('month', snapshot_date)
    )
),
measured as (
    select period_type, period_start, model_id, region, 'likes' as ranking_measure, cast(likes as double) as v
    from cohorts where likes is not null
    union all
    select period_type, period_start, model_id, region, 'downloads_30d', cast(downloads_30d as double)
    from cohorts where downloads_30d is not null
),
placed as (
    select
        *,
        count(*) over (
            partition by period_type, period_start, ranking_measure order by v desc, model_id
            rows between unbounded preceding and current row
        ) as place
    from measured
),
periods as (
    select period_type, period_start, ranking_measure, count(*) as period_models from measured group by all
),
sizes as (
    select * from (values (10), (50)) as sizes(top_n)
)
select
    placed.period_type,
    placed.period_start,
    placed.ranking_measure,
    sizes.top_n,
    placed.region,
    placed.period_start >= date '2025-01-20' as is_post_r1,
    periods.period_models,
    count(*) as region_models,
    count(*) filter (where placed.place <= sizes.top_n) as models_in_top,
    count(*) filter (where placed.place <= sizes.top_n) / least(sizes.top_n, periods.period_models) as share_of_top,
    min(placed.place) as best_rank
from placed
inner join periods using (period_type, period_start, ranking_measure)
cross join sizes
group by placed.period_type, placed.period_start, placed.ranking_measure, sizes.top_n, placed.region,
    periods.period_models
;
