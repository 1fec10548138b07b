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


{#-
    on-run-start: make the external sources readable by this run. DuckDB reads them in place through their
    `external_location` (dbt-duckdb), so it only needs the file search path above. Spark reads tables from its
    catalog, so the hook registers them there again on every run (dropping an external table drops no data):
      - hub.hub_model_snapshots over the raw partition folder (the one path is the source's external_location),
        every Parquet file under it, the schema merged across every partition (`mergeSchema`: partitions
        written before a column existed lack it), the columns no partition has yet (`fetched_at` in a home older
        than it) added as nulls. Not a Spark partitioned table: every file also holds `snapshot_date` itself,
        which Spark refuses beside a partition column of the same name (COLUMN_ALREADY_EXISTS), so the folders
        are read as plain files (`recursiveFileLookup`) and a window's filter on snapshot_date skips the other
        days' row groups by their Parquet statistics. Registered again per run, the files are listed again:
        a new day is read, a deleted one no longer. Its schema is read from the files, so the hook needs one raw
        partition at least (DuckDB's read_parquet fails without one too, at the first model reading it);
      - benchmarks.open_llm_leaderboard_v2 over the CSV export in the dbt project folder, every column read as
        text (the staging model casts them, as it does DuckDB's auto-detected types);
      - reference.organization_region_overrides over the home's override file (macros/region_overrides.sql).
-#}
{% macro on_run_start_sources() -%}
    {{ return(adapter.dispatch('on_run_start_sources', 'hubpulse')()) }}
{%- endmacro %}

{% macro duckdb__on_run_start_sources() -%}
    {#- Raw partitions in a bucket: one flat listing of the raw folder first (DuckDB's glob of `**` through the
        s3fs filesystem dbt-duckdb registered, with its listings cache on: profiles.yml). It fills s3fs's
        directory cache with every partition folder, so the run's later globs of `snapshot_date=*/*.parquet` and
        the size of each file it opens cost no request; without it each glob listed every partition folder again
        and each file opened was a HEAD: about 4 requests per partition per glob, 60 globs a run (BENCHMARKS.md
        section 9). The run then sees the partitions as they were when it started. -#}
    {%- if execute and raw_partition_glob().startswith('s3://') -%}
        {%- do run_query("select count(*) from glob('"
            ~ raw_partition_glob().split('/snapshot_date=')[0] | replace("'", "''") ~ "/**')") -%}
    {%- endif -%}
    {{ set_file_search_path() }}
{%- endmacro %}

{% macro spark__on_run_start_sources() -%}
    {%- if execute -%}
        {%- set raw_folder = raw_partition_glob().split('/snapshot_date=')[0] -%}
        {#- A relative project folder is relative to the working directory dbt was started from, which a Spark
            session in this process shares (a table's relative location would be relative to its database). -#}
        {%- set project_dir = invocation_args_dict.get('project_dir') or '.' -%}
        {%- if not project_dir.startswith('/') -%}
            {%- set working_dir = run_query(
                "select reflect('java.lang.System', 'getProperty', 'user.dir')").columns[0].values()[0] -%}
            {%- set project_dir = working_dir ~ '/' ~ project_dir -%}
        {%- endif -%}
        {%- set leaderboard_csv = project_dir ~ '/' ~ leaderboard_path() -%}
        {%- do run_query("create database if not exists hub") -%}
        {%- do run_query("drop table if exists hub.hub_model_snapshots") -%}
        {%- do run_query(
            "create table hub.hub_model_snapshots using parquet "
            ~ "options (mergeSchema 'true', recursiveFileLookup 'true', pathGlobFilter '*.parquet') location '"
            ~ raw_folder | replace("'", "\\'") ~ "'") -%}
        {%- set present = adapter.get_columns_in_relation(
            api.Relation.create(schema='hub', identifier='hub_model_snapshots')) | map(attribute='name') | list -%}
        {#- The columns a raw partition may lack, as stg_hub__model_snapshots adds them on DuckDB. -#}
        {%- for name, type in [['fetched_at', 'timestamp']] if name not in present -%}
            {%- do run_query("alter table hub.hub_model_snapshots add columns (" ~ name ~ " " ~ type ~ ")") -%}
        {%- endfor -%}
        {%- do run_query("create database if not exists benchmarks") -%}
        {%- do run_query("drop table if exists benchmarks.open_llm_leaderboard_v2") -%}
        {%- do run_query(
            "create table benchmarks.open_llm_leaderboard_v2 using csv options (header 'true', inferSchema 'false', "
            ~ "path '" ~ leaderboard_csv | replace("'", "\\'") ~ "')") -%}
        {#- The override file, read strictly (a header that is not namespace,region,source fails); an empty table
            when the home has none (a catalog table's missing files are no error). -#}
        {%- set overrides_path = region_overrides_path() -%}
        {%- do run_query("create database if not exists reference") -%}
        {%- do run_query("drop table if exists reference.organization_region_overrides") -%}
        {%- do run_query(
            "create table reference.organization_region_overrides (namespace string, region string, source string) "
            ~ "using csv options (header 'true', enforceSchema 'false', mode 'FAILFAST', pathGlobFilter '"
            ~ overrides_path.split('/')[-1] ~ "') location '"
            ~ overrides_path.rsplit('/', 1)[0] | replace("'", "\\'") ~ "'") -%}
    {%- endif -%}
    refresh table hub.hub_model_snapshots
{%- endmacro %}


{#- The raw partitions' glob, `<home>/raw/hub_models/snapshot_date=*/*.parquet`: the path inside the hub source's
    `external_location` (its one home). -#}
{% macro raw_partition_glob() -%}
    {%- set source_node = graph.sources['source.' ~ project_name ~ '.hub.hub_model_snapshots'] -%}
    {%- set location = source_node.meta.external_location -%}
    {%- set path = modules.re.search("read_parquet\\('([^']+)'", location) -%}
    {%- if path is none or 'snapshot_date=' not in path.group(1) -%}
        {{ exceptions.raise_compiler_error(
            "the hub source's external_location must read_parquet('<folder>/snapshot_date=*/"
            ~ "*.parquet', ...); got " ~ location) }}
    {%- endif -%}
    {{ return(path.group(1)) }}
{%- endmacro %}


{#- The leaderboard export's path relative to the dbt project folder: the one in its source's external_location. -#}
{% macro leaderboard_path() -%}
    {%- set source_node = graph.sources['source.' ~ project_name ~ '.benchmarks.open_llm_leaderboard_v2'] -%}
    {%- set path = modules.re.search("read_csv\\('([^']+)'", source_node.meta.external_location) -%}
    {{ return(path.group(1)) }}
{%- endmacro %}
