"""Raw partitions on an S3-compatible object store (HUBPULSE_RAW_URI=s3://bucket/prefix).

The store is moto's S3 server, started here on 127.0.0.1 on a free port (no other network); botocore finds it
through AWS_ENDPOINT_URL, as it would MinIO or any S3-compatible server. Proved against it: simulated days
ingested into the bucket through the real asset and the real huggingface_hub client against the local Hub;
`hubpulse import-archive` into the bucket and back out; a SIGKILL in the middle of a partition write leaves
nothing a build reads (and its leftover is cleaned by the next write); a dbt build reading the bucket equals,
row for row, the same history built from local disk, also when a late day's window is
built over the bucket; the AWS credentials reach no log, event, metadata or file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import dagster as dg
import duckdb
import pytest
from moto.server import ThreadedMotoServer

from orchestration.cli import doctor, summary
from orchestration.cli.prepare import ensure_instance
from orchestration.hub import rawstore
from orchestration.hub.archive import read_snapshot, write_snapshot
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient
from orchestration.hub.scope import Scope
from orchestration.hub.snapshots import EXPAND_FIELDS, list_partitions, read_partition_items
from orchestration.hub.transfer import import_archive
from orchestration.localhub.simulator import SimulationConfig, simulate
from orchestration.quality.checks import hub_model_snapshots_quality
from orchestration.quality.config import QualityConfig
from orchestration.resources import HubpulsePaths
from orchestration.settings import Settings, SettingsError
from tests.conftest import DAY1, DAY2, tiny_hub_items
from tests.test_warehouse import (
    COMPACT_MODELS,
    INCREMENTAL_MODELS,
    RELATIONS,
    assert_same_rows,
    read_relations,
    run_dbt,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUCKET = "hubpulse-raw"
KEY_ID = "AKIA" + secrets.token_hex(8).upper()
SECRET = secrets.token_urlsafe(30).replace("-", "x").replace("_", "y")
AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
                 "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "NO_PROXY", "no_proxy")
FULL_SCOPE = Scope(organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory) -> str:
    """moto's S3 server on loopback, and the AWS environment that points botocore at it (restored after)."""
    port = _free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = {name: os.environ.get(name) for name in AWS_VARIABLES}
    nowhere = tmp_path_factory.mktemp("aws") / "none"  # no ~/.aws file of the machine is read
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
                      AWS_ENDPOINT_URL=endpoint, AWS_CONFIG_FILE=str(nowhere), AWS_SHARED_CREDENTIALS_FILE=str(nowhere),
                      NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    try:
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


@pytest.fixture
def raw_uri(s3_endpoint) -> str:
    """A fresh prefix of the bucket for one test."""
    return f"s3://{BUCKET}/t-{uuid.uuid4().hex[:12]}"


def _keys(uri: str) -> list[str]:
    """Every key under an s3:// prefix, relative to it, as the server lists them (not through the code under test)."""
    prefix = uri.split("/", 3)[3] + "/"
    keys = []
    for page in boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        keys += [item["Key"][len(prefix):] for item in page.get("Contents", [])]
    return sorted(keys)


def _object(uri: str, key: str) -> bytes:
    prefix = uri.split("/", 3)[3]
    return boto3.client("s3").get_object(Bucket=BUCKET, Key=f"{prefix}/{key}")["Body"].read()


def _visible_rows(raw_models: str) -> dict[dt.date, int]:
    """What a build sees: DuckDB over the partition glob through the registered fsspec filesystem, as dbt reads."""
    con = duckdb.connect()
    try:
        rawstore.register(con, raw_models)
        return dict(con.execute(
            "select snapshot_date, count(*) from read_parquet(?, hive_partitioning = true, "
            "hive_types = {'snapshot_date': 'date'}) group by 1 order by 1",
            [f"{raw_models}/snapshot_date=*/*.parquet"]).fetchall())
    finally:
        con.close()


def _projection(item: dict) -> dict:
    keep = set(EXPAND_FIELDS) | {"_id", "id", "modelId"}
    return {k: v for k, v in item.items() if k in keep}


# ------------------------------------------------------------------------------------------------- settings


def test_raw_uri_setting_takes_a_bucket_and_prefix_or_a_folder_and_never_echoes_credentials(tmp_path: Path):
    home = tmp_path / "home"
    default = Settings.from_env({"HUBPULSE_HOME": str(home)})
    assert default.raw_uri is None and default.raw_root == home / "raw"
    s3 = Settings.from_env({"HUBPULSE_RAW_URI": " s3://my-bucket/hub/pulse/ "})
    assert (s3.raw_uri, s3.raw_root) == ("s3://my-bucket/hub/pulse", "s3://my-bucket/hub/pulse")
    folder = Settings.from_env({"HUBPULSE_RAW_URI": str(tmp_path / "elsewhere")})
    assert folder.raw_root == tmp_path / "elsewhere"
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"HUBPULSE_RAW_URI": f"s3://{KEY_ID}:{SECRET}@my-bucket/x"})
    assert SECRET not in str(error.value) and KEY_ID not in str(error.value) and "AWS_ACCESS_KEY_ID" in str(error.value)
    for bad in ("s3://My_Bucket/x", "s3://bucket/it's", "s3://bucket/a/*/b", "gs://bucket/x"):
        with pytest.raises(SettingsError, match="HUBPULSE_RAW_URI"):
            Settings.from_env({"HUBPULSE_RAW_URI": bad})


# ------------------------------------------------------------------------------------------------ ingestion


def test_simulated_days_ingest_into_the_bucket_and_pass_the_raw_checks(raw_uri: str, tmp_path: Path):
    days = [dt.date(2025, 2, 1), dt.date(2025, 2, 2), dt.date(2025, 2, 3)]
    archive = tmp_path / "archive"
    simulate(SimulationConfig(start=days[0], end=days[-1], seed=9, community_authors=20, catalogue_fraction=0.1,
                              missing_dates=0, rename_at=None), archive, log=lambda _m: None)
    home = tmp_path / "home"
    paths = HubpulsePaths(home=str(home), raw_uri=raw_uri)
    resources = {"hub": HubClient(source="local", archive_dir=str(archive), local_page_size=100),
                 "scope": FULL_SCOPE, "paths": paths, "quality": QualityConfig(data_docs=False)}
    for day in days:
        result = dg.materialize([hub_model_snapshots, hub_model_snapshots_quality], resources=resources,
                                partition_key=day.isoformat())
        assert result.success
        [materialization] = result.asset_materializations_for_node("hub_model_snapshots")
        assert materialization.metadata["path"].value == f"{raw_uri}/hub_models/snapshot_date={day}/part-0.parquet"
        checks = result.get_asset_check_evaluations()
        assert checks and all(check.passed for check in checks), [c.check_name for c in checks if not c.passed]

    # Exactly the final keys, nothing staged left, nothing written to the local disk's raw folder.
    assert _keys(raw_uri) == [f"hub_models/snapshot_date={day}/part-0.parquet" for day in days]
    assert not (home / "raw").exists()
    assert list_partitions(paths.raw_models) == days
    for day in days:
        expected = {item["id"]: _projection(item) for item in read_snapshot(archive / f"{day}.jsonl.gz")}
        ingested = {item["id"]: item for item in read_partition_items(paths.raw_models, day)}
        assert len(expected) > 200 and ingested == expected
    assert _visible_rows(paths.raw_models) == {
        day: len(read_snapshot(archive / f"{day}.jsonl.gz")) for day in days}


# --------------------------------------------------------------------------------------------------- import


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestration.cli.main", *args], check=False, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "DAGSTER_HOME": "", **env})


def test_import_archive_into_the_bucket_and_export_it_back(raw_uri: str, tiny_archive: Path, tmp_path: Path):
    bad_day = dt.date(2025, 3, 3)
    write_snapshot(tiny_archive, bad_day, [*tiny_hub_items(2)[:5], {"id": "no-namespace"}])
    home = tmp_path / "home"
    env = {"HUBPULSE_HOME": str(home), "HUBPULSE_RAW_URI": raw_uri}
    done = _cli("import-archive", str(tiny_archive), "--home", str(home), "--no-dagster", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"into {raw_uri}/hub_models" in done.stdout
    assert _keys(raw_uri) == [
        *(f"hub_models/snapshot_date={d}/part-0.parquet" for d in (DAY1, DAY2, bad_day)),
        f"hub_models_rejects/snapshot_date={bad_day}/part-0.parquet",
    ]
    assert not (home / "raw").exists()
    assert _visible_rows(f"{raw_uri}/hub_models") == {DAY1: 40, DAY2: 40, bad_day: 5}
    rejects = rawstore.read_table(f"{raw_uri}/hub_models_rejects/snapshot_date={bad_day}/part-0.parquet")
    assert rejects.column("reason").to_pylist() == ["id 'no-namespace' is not of the form org/name"]

    out = tmp_path / "exported"
    exported = _cli("export-archive", "--out", str(out), "--home", str(home), env=env)
    assert exported.returncode == 0, exported.stderr[-3000:]
    for day in (DAY1, DAY2):
        assert read_snapshot(out / f"{day}.jsonl.gz") == sorted(
            read_snapshot(tiny_archive / f"{day}.jsonl.gz"), key=lambda i: i["id"])


def test_doctor_and_summary_read_the_bucket(raw_uri: str, tiny_archive: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "home"
    import_archive(tiny_archive, f"{raw_uri}/hub_models", f"{raw_uri}/hub_models_rejects", log=lambda _m: None)
    config = Settings.from_env({"HUBPULSE_HOME": str(home), "HUBPULSE_RAW_URI": raw_uri})
    [disk] = doctor.run_checks(config, home=home, token=None, dagster_home=None, scope=FULL_SCOPE, only=["disk"])
    assert disk.status == "OK" and disk.details["measured"] and raw_uri in disk.message
    expected_bytes = sum(len(_object(raw_uri, f"hub_models/snapshot_date={d}/part-0.parquet")) for d in (DAY1, DAY2))
    assert disk.details["bytes_per_row"] == expected_bytes / 80  # two 40-model days, sized in the bucket
    monkeypatch.setenv("HUBPULSE_HOME", str(home))
    monkeypatch.setenv("HUBPULSE_RAW_URI", raw_uri)
    line = summary.raw_summary(home)
    assert line.startswith(f"raw partitions: 2 snapshot dates {DAY1} .. {DAY2} (80 model rows, 40 distinct models")
    assert line.endswith(f"under {raw_uri}/hub_models")


def test_hubpulse_import_archive_then_build_over_the_bucket_publishes_the_serving_copy(
    raw_uri: str, tiny_archive: Path, tmp_path: Path
):
    """The commands README's "Scale out" gives, end to end: `hubpulse import-archive` into the bucket, then
    `hubpulse build` (Dagster's ranged job: the raw checks read the bucket, dbt reads it, the marts are published).
    The published copy stays a local folder (BI tools open it as a file); no raw folder appears under the home."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_")}  # the AWS_* stay set
    env.update(HUBPULSE_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), HUBPULSE_RAW_URI=raw_uri,
               HUBPULSE_START_DATE=DAY1.isoformat(), HUBPULSE_AUTOMATION="stopped")

    def hubpulse(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "orchestration.cli", *args, "--home", str(home)],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
        assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    hubpulse("prepare", "--no-manifest")
    hubpulse("import-archive", str(tiny_archive))
    built = hubpulse("build").stdout
    assert f"hubpulse build {DAY1} .. {DAY2} in {home}" in built
    assert f"under {raw_uri}/hub_models" in built  # the raw summary counted the bucket's partitions
    assert not (home / "raw").exists()
    manifest = json.loads((home / "serving" / "manifest.json").read_text())
    assert (manifest["oldest_snapshot_date"], manifest["newest_snapshot_date"]) == (str(DAY1), str(DAY2))
    con = duckdb.connect(str(home / "serving" / "hubpulse.duckdb"), read_only=True)
    try:
        published = con.execute("select count(*), count(distinct model_id) from marts.fct_model_daily").fetchone()
    finally:
        con.close()
    assert published == (80, 40) and manifest["tables"]["fct_model_daily"]["rows"] == 80


# ------------------------------------------------------------------------------------------------ kill -9

# `python -c WRITER ARCHIVE RAW_URI`: a process that imports an archive into a raw root, as `hubpulse import-archive`.
WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from orchestration.hub.transfer import import_archive
    import_archive(Path(sys.argv[1]), sys.argv[2] + "/hub_models", sys.argv[2] + "/hub_models_rejects",
                   log=lambda _m: None)
""")
# The same writer, dying by SIGKILL between staging a partition and publishing it: our own `rawstore.stage` is
# wrapped in this child process so that, the first time it has uploaded a whole `hub_models` temporary, the process
# kills itself before `write_snapshot_partition` can publish (copy) it. No library code is touched.
KILLED_WRITER = textwrap.dedent("""
    import os, signal
    from orchestration.hub import rawstore

    stage = rawstore.stage

    def stage_then_die(table, root, day):
        staged = stage(table, root, day)
        if str(root).endswith("/hub_models"):
            os.kill(os.getpid(), signal.SIGKILL)
        return staged

    rawstore.stage = stage_then_die
""") + WRITER


def _write(script: str, archive: Path, raw_uri: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, str(archive), raw_uri], check=False, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)


def test_kill_9_in_the_middle_of_a_partition_write_leaves_nothing_a_build_reads(raw_uri: str, tmp_path: Path):
    v1, v2 = tmp_path / "archive-v1", tmp_path / "archive-v2"
    write_snapshot(v1, DAY1, tiny_hub_items(0, n_models=100))
    write_snapshot(v2, DAY1, tiny_hub_items(1, n_models=700))  # DAY1 crawled again, bigger
    write_snapshot(v2, DAY2, tiny_hub_items(2, n_models=700))  # a date never written before
    raw_models = f"{raw_uri}/hub_models"
    import_archive(v1, raw_models, f"{raw_uri}/hub_models_rejects", log=lambda _m: None)
    good = _object(raw_uri, f"hub_models/snapshot_date={DAY1}/part-0.parquet")

    killed = _write(KILLED_WRITER, v2, raw_uri)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]

    # The upload of the new DAY1 finished (its temporary is there: the kill came mid-write), yet the final key
    # holds the old partition byte for byte, the temporary is outside every glob, and a reader sees the old day.
    keys = _keys(raw_uri)
    staged = [k for k in keys if k.startswith("hub_models/_staging/")]
    assert len(staged) == 1 and staged[0].split("/")[-1].startswith(f"{DAY1}~"), keys
    assert [k for k in keys if k not in staged] == [f"hub_models/snapshot_date={DAY1}/part-0.parquet"]
    assert _object(raw_uri, f"hub_models/snapshot_date={DAY1}/part-0.parquet") == good
    assert list_partitions(raw_models) == [DAY1]
    assert _visible_rows(raw_models) == {DAY1: 100}

    # The next write (another process, as the next run is) removes the dead writer's leftover and publishes.
    rerun = _write(WRITER, v2, raw_uri)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert _keys(raw_uri) == [f"hub_models/snapshot_date={d}/part-0.parquet" for d in (DAY1, DAY2)]
    assert _visible_rows(raw_models) == {DAY1: 700, DAY2: 700}


# `hubpulse import-archive ARCHIVE --home HOME --no-dagster` (the CLI's own entry point), dying by SIGKILL right
# after it has uploaded the third day's whole `hub_models` temporary, before publishing it: the same wrapper of our
# own `rawstore.stage` as above, counted, so the kill lands at the same point of the import whatever the load.
KILLED_IMPORT = textwrap.dedent("""
    import os, signal, sys
    from orchestration.cli.main import main
    from orchestration.hub import rawstore

    stage, staged_days = rawstore.stage, []

    def stage_then_die(table, root, day):
        staged = stage(table, root, day)
        if str(root).endswith("/hub_models"):
            staged_days.append(day)
            if len(staged_days) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        return staged

    rawstore.stage = stage_then_die
    sys.exit(main(["import-archive", sys.argv[1], "--home", sys.argv[2], "--no-dagster"]))
""")


def test_kill_9_while_hubpulse_import_archive_writes_the_bucket(raw_uri: str, tmp_path: Path):
    """The same through `hubpulse import-archive` into the bucket, SIGKILLed with the third day staged: every day a
    reader sees is whole, the staged one is not among them, and a rerun completes exactly."""
    days = [DAY1 + dt.timedelta(days=i) for i in range(4)]
    archive = tmp_path / "archive"
    for index, day in enumerate(days):
        write_snapshot(archive, day, tiny_hub_items(index, n_models=3000))
    home = tmp_path / "home"
    env = {**os.environ, "DAGSTER_HOME": "", "HUBPULSE_HOME": str(home), "HUBPULSE_RAW_URI": raw_uri}
    killed = subprocess.run([sys.executable, "-c", KILLED_IMPORT, str(archive), str(home)], cwd=PROJECT_ROOT,
                            env=env, check=False, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]

    raw_models = f"{raw_uri}/hub_models"
    keys = _keys(raw_uri)
    staged = [k for k in keys if k.startswith("hub_models/_staging/")]
    assert len(staged) == 1 and staged[0].split("/")[-1].startswith(f"{days[2]}~"), keys
    assert list_partitions(raw_models) == days[:2]
    assert _visible_rows(raw_models) == {day: 3000 for day in days[:2]}  # whole days only, nothing staged read
    rerun = _write(WRITER, archive, raw_uri)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert _keys(raw_uri) == [f"hub_models/snapshot_date={day}/part-0.parquet" for day in days]
    assert _visible_rows(raw_models) == {day: 3000 for day in days}


def test_a_live_writers_temporary_is_left_alone_and_a_dead_ones_removed(raw_uri: str):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    s3 = boto3.client("s3")
    prefix = raw_uri.split("/", 3)[3] + "/hub_models/_staging/"
    host = rawstore._host()
    live = f"{DAY1}~{host}~{sleeper.pid}~abc.tmp"
    dead = f"{DAY1}~{host}~999999999~def.tmp"
    elsewhere = f"{DAY1}~another-host~1~0a1.tmp"  # another machine's writer, recent: it may be running
    try:
        for name in (live, dead, elsewhere):
            s3.put_object(Bucket=BUCKET, Key=prefix + name, Body=b"PAR1")
        removed = rawstore.remove_stale_temporaries(f"{raw_uri}/hub_models")
        assert [r.rsplit("/", 1)[-1] for r in removed] == [dead]
        assert sorted(k.rsplit("/", 1)[-1] for k in _keys(raw_uri)) == sorted([live, elsewhere])
    finally:
        sleeper.kill()
        sleeper.wait()


# ------------------------------------------------------------------------------------------------- dbt build

# `python -c DBT_IN_PROCESS PROFILES_DIR HOME`: one process builds the staging view over the raw source with dbt and
# counts its rows, then says whether s3fs was imported (dbt-duckdb imports it only to register the `filesystems:`
# of the profile). Last line of stdout: {"built", "rows", "s3fs"}.
DBT_IN_PROCESS = textwrap.dedent("""
    import json, sys
    from dbt.cli.main import dbtRunner

    profiles, home = sys.argv[1], sys.argv[2]
    common = ["--project-dir", profiles, "--profiles-dir", profiles, "--target-path", home + "/dbt_target",
              "--log-path", home + "/dbt_logs", "--quiet"]
    runner = dbtRunner()
    built = runner.invoke(["run", "--select", "stg_hub__model_snapshots", *common])
    shown = runner.invoke(["show", "--inline", "select count(*) from {{ ref('stg_hub__model_snapshots') }}", *common])
    rows = shown.result.results[0].agate_table.rows[0][0] if shown.success else None
    print(json.dumps({"built": built.success, "rows": rows, "s3fs": "s3fs" in sys.modules}))
""")


def test_dbt_registers_the_s3_filesystem_only_when_the_raw_layer_is_a_bucket(
    raw_uri: str, tiny_archive: Path, tmp_path: Path
):
    """profiles.yml lists the s3 filesystem only for an s3:// HUBPULSE_RAW_URI: a local run does not pay for
    importing s3fs (about 0.5 s a dbt start, and the suite starts dbt very often), a bucket run reads the bucket."""
    local, remote = tmp_path / "local", tmp_path / "remote"
    import_archive(tiny_archive, local / "raw" / "hub_models", local / "raw" / "hub_models_rejects",
                   log=lambda _m: None)
    import_archive(tiny_archive, f"{raw_uri}/hub_models", f"{raw_uri}/hub_models_rejects", log=lambda _m: None)
    remote.mkdir()
    outcomes = {}
    for home, raw in ((local, None), (remote, raw_uri)):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_")}  # the AWS_* stay set
        env.update(HUBPULSE_HOME=str(home), **({"HUBPULSE_RAW_URI": raw} if raw else {}))
        done = subprocess.run([sys.executable, "-c", DBT_IN_PROCESS, str(PROJECT_ROOT / "dbt_project"), str(home)],
                              check=False, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
        outcomes[home.name] = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcomes == {"local": {"built": True, "rows": 80, "s3fs": False},
                        "remote": {"built": True, "rows": 80, "s3fs": True}}
    assert not (remote / "raw").exists()



START, END = dt.date(2025, 1, 6), dt.date(2025, 2, 9)  # as tests/test_warehouse.py: spans R1 and a month end
LATE_DAY = dt.date(2025, 1, 25)  # a day in the middle, ingested into the bucket after the days around it


def test_a_windowed_dbt_build_over_the_bucket_equals_the_local_disk_build(raw_uri: str, tmp_path: Path):
    """The bucket holds every day but LATE_DAY; a full build over it, then LATE_DAY arrives and only its window
    is built (HUBPULSE_WINDOW_START = END = LATE_DAY, later partitions present): the window must run through the
    last partition (last_raw_snapshot_after lists the bucket's snapshot_date= keys with DuckDB's glob() through
    the fsspec filesystem dbt-duckdb registers), and every relation equals a full build of the local disk."""
    archive = tmp_path / "archive"
    simulate(SimulationConfig(start=START, end=END, seed=15, community_authors=30, catalogue_fraction=0.08,
                              missing_dates=(dt.date(2025, 1, 19), dt.date(2025, 2, 5)), rename_at=0.85,
                              deleted_share=0.03, recount_share=0.03, missing_downloads_all_time=0.01),
             archive, log=lambda _m: None)
    local, remote = tmp_path / "local", tmp_path / "remote"
    import_archive(archive, local / "raw" / "hub_models", local / "raw" / "hub_models_rejects", log=lambda _m: None)
    raw_models, raw_rejects = f"{raw_uri}/hub_models", f"{raw_uri}/hub_models_rejects"
    for start, end in ((START, LATE_DAY - dt.timedelta(days=1)), (LATE_DAY + dt.timedelta(days=1), END)):
        import_archive(archive, raw_models, raw_rejects, start=start, end=end, log=lambda _m: None)
    remote.mkdir()
    every_day = list_partitions(local / "raw" / "hub_models")
    assert LATE_DAY in every_day and list_partitions(raw_models) == [d for d in every_day if d != LATE_DAY]

    remote_env = {"HUBPULSE_RAW_URI": raw_uri}
    with ThreadPoolExecutor(max_workers=2) as pool:
        builds = [pool.submit(run_dbt, local, "build"), pool.submit(run_dbt, remote, "build", env_extra=remote_env)]
        for build in builds:
            build.result()
    compared = {**RELATIONS, **COMPACT_MODELS}
    local_rows = read_relations(local, compared)
    before = read_relations(remote, INCREMENTAL_MODELS)
    for name, (_schema, keys) in INCREMENTAL_MODELS.items():  # the missing day really changes every daily model
        if name == "int_model_listings":  # but the listings: the late day's are seen on the days around it
            continue
        with pytest.raises(AssertionError):
            assert_same_rows(before[name], local_rows[name], keys, name)

    import_archive(archive, raw_models, raw_rejects, start=LATE_DAY, end=LATE_DAY, log=lambda _m: None)
    run_dbt(remote, "build", window=(LATE_DAY, LATE_DAY), env_extra=remote_env)
    assert not (remote / "raw").exists()  # the remote builds had nothing local to read

    remote_rows = read_relations(remote, compared)
    for name, (_schema, keys) in compared.items():
        assert_same_rows(remote_rows[name], local_rows[name], keys, name)
        assert len(remote_rows[name]) == len(local_rows[name])
    con = duckdb.connect(str(remote / "warehouse.duckdb"), read_only=True)
    try:
        # (a table: the staging view reads the bucket, which this plain connection has no filesystem for)
        days = con.execute("select count(distinct snapshot_date) from marts.fct_model_daily").fetchone()[0]
    finally:
        con.close()
    assert days == len(every_day)


# ------------------------------------------------------------------------------------------------- secrets


def _traces(instance: dg.DagsterInstance) -> list[str]:
    out = []
    for run in instance.get_runs():
        out.append(dg.serialize_value(run))
        out.extend(dg.serialize_value(entry) for entry in instance.all_logs(run.run_id))
    return out


def test_the_aws_credentials_appear_in_no_log_event_metadata_or_file(
    raw_uri: str, tiny_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture,
):
    home = tmp_path / "home"
    monkeypatch.setenv("HUBPULSE_HOME", str(home))
    dagster_home = home / "dagster"
    ensure_instance(dagster_home)
    caplog.set_level(logging.DEBUG)
    resources = {"hub": HubClient(source="local", archive_dir=str(tiny_archive)), "scope": FULL_SCOPE,
                 "paths": HubpulsePaths(home=str(home), raw_uri=raw_uri), "quality": QualityConfig(data_docs=False)}
    missing_bucket = {**resources, "paths": HubpulsePaths(home=str(home), raw_uri="s3://no-such-bucket-here/x")}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        ok = dg.materialize([hub_model_snapshots, hub_model_snapshots_quality], resources=resources,
                            partition_key=DAY1.isoformat(), instance=instance)
        assert ok.success
        failed = dg.materialize([hub_model_snapshots], resources=missing_bucket, partition_key=DAY2.isoformat(),
                                instance=instance, raise_on_error=False)
        assert not failed.success  # an error from the store, with its message and stack, went through too
        traces = _traces(instance)
    assert any(raw_uri in trace for trace in traces)  # the search below covers the events that name the bucket
    assert any("NoSuchBucket" in trace or "no-such-bucket-here" in trace for trace in traces)
    out, err = capfd.readouterr()
    # The secret key never leaves botocore (SigV4 sends a signature): in no record, even at DEBUG. The key id is an
    # identifier AWS sends in every request's Authorization header, which botocore's own DEBUG request log prints
    # (a third-party logger, off unless asked for): in no record at INFO or above, and nowhere else.
    for secret, least_level in ((SECRET, logging.DEBUG), (KEY_ID, logging.INFO)):
        pieces = {secret[i: i + 12] for i in range(len(secret) - 11)}
        assert not [t for t in traces if any(p in t for p in pieces)]
        assert not [r for r in caplog.records
                    if r.levelno >= least_level and any(p in r.getMessage() for p in pieces)]
        assert not any(p in out or p in err for p in pieces)
        files = [p for p in home.rglob("*") if p.is_file()]
        assert [str(p) for p in files if any(p_.encode() in p.read_bytes() for p_ in pieces)] == []
    metadata = ok.asset_materializations_for_node("hub_model_snapshots")[0].metadata
    assert not [k for k, v in metadata.items() if any(s in json.dumps(str(v)) for s in (SECRET, KEY_ID))]
