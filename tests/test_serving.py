"""Publishing the read-only serving copy: complete versions, an atomic switch, nothing lost on failure."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.serving.publish import (
    PublishError,
    current_version_dir,
    list_versions,
    publish,
    read_manifest,
    serving_dir,
)


def _warehouse(path: Path, days: int, extra_models: int = 0) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute(
        "create or replace table marts.fct_model_daily as select 'org/m' || (i % 5) as model_id, "
        "date '2025-01-01' + (i // 5)::int as snapshot_date, i * 10 as daily_downloads "
        f"from range({days * 5}) t(i)"
    )
    con.execute(
        "create or replace table marts.dim_models as select 'org/m' || i as model_id, 'org' as organization, "
        f"'it''s ok' as note from range({5 + extra_models}) t(i)"
    )
    con.execute("create or replace view marts.v_top as select * from marts.dim_models limit 2")
    con.execute("create schema if not exists staging")
    con.execute("create or replace table staging.not_published as select 1 as x")
    con.close()
    return path


def _rows(database: Path | duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every row of the two mart tables, sorted: what a reader of that file sees."""
    con = duckdb.connect(str(database), read_only=True) if isinstance(database, Path) else database
    try:
        return {name: sorted(con.execute(f"select * from marts.{name}").fetchall())
                for name in ("fct_model_daily", "dim_models")}
    finally:
        if isinstance(database, Path):
            con.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    _warehouse(tmp_path / "warehouse.duckdb", days=3)
    return tmp_path


def test_publish_copies_every_mart_to_duckdb_and_parquet(home: Path):
    serving = serving_dir(home)
    publication = publish(home / "warehouse.duckdb", serving, run_id="run-1")
    assert publication.tables == {"dim_models": 5, "fct_model_daily": 15, "v_top": 2}
    assert (publication.oldest_snapshot_date, publication.newest_snapshot_date) == ("2025-01-01", "2025-01-03")

    manifest = json.loads((serving / "manifest.json").read_text())
    assert manifest["version"] == publication.version and manifest["run_id"] == "run-1"
    assert manifest["tables"]["fct_model_daily"] == {"rows": 15, "parquet": "parquet/fct_model_daily.parquet"}

    warehouse = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    copy = duckdb.connect(str(serving / "hubpulse.duckdb"), read_only=True)
    for name in ("fct_model_daily", "dim_models", "v_top"):
        expected = sorted(warehouse.execute(f"select * from marts.{name}").fetchall())
        assert sorted(copy.execute(f"select * from marts.{name}").fetchall()) == expected
        parquet = serving / "parquet" / f"{name}.parquet"
        assert sorted(duckdb.sql(f"select * from '{parquet}'").fetchall()) == expected
        assert pq.read_metadata(parquet).metadata[b"hubpulse_version"] == publication.version.encode()
    assert copy.execute("select version, run_id from meta.publication").fetchone() == (publication.version, "run-1")
    assert dict(copy.execute("select * from meta.tables").fetchall()) == publication.tables
    # Only the marts are published, and in the storage format DuckDB 1.x readers understand.
    assert copy.execute("select count(*) from information_schema.tables where table_schema = 'staging'").fetchone() == (0,)
    copy.close()
    storage = duckdb.connect()
    storage.execute(f"attach '{serving / 'hubpulse.duckdb'}' as pub (read_only)")
    assert storage.execute("select tags['storage_version'] from duckdb_databases() where database_name = 'pub'"
                           ).fetchone()[0].startswith("v1.0.0")


def test_a_new_publish_switches_current_and_keeps_the_last_versions(home: Path):
    serving = serving_dir(home)
    first = publish(home / "warehouse.duckdb", serving)
    held = duckdb.connect(str(serving / "hubpulse.duckdb"), read_only=True)  # a BI tool holding the file open
    old_rows, new_rows = _rows(home / "warehouse.duckdb"), _rows(_warehouse(home / "new.duckdb", 4, 2))
    assert old_rows != new_rows
    _warehouse(home / "warehouse.duckdb", days=4, extra_models=2)
    second = publish(home / "warehouse.duckdb", serving)
    assert second.version > first.version
    assert current_version_dir(serving) == second.directory
    assert read_manifest(serving)["tables"]["dim_models"]["rows"] == 7
    # The reader that opened the old version still reads it whole; new readers get the new one, row for row.
    assert _rows(held) == old_rows
    assert _rows(serving / "hubpulse.duckdb") == new_rows
    for _ in range(3):
        publish(home / "warehouse.duckdb", serving, keep=3)
    versions = list_versions(serving)
    assert len(versions) == 3 and first.version not in versions and second.version not in versions
    assert _rows(held) == old_rows  # open files survive pruning
    # Published files are read-only, and the stable paths are links through `current`.
    assert not os.access(current_version_dir(serving) / "hubpulse.duckdb", os.W_OK) or os.geteuid() == 0
    assert oct(os.stat(current_version_dir(serving) / "hubpulse.duckdb").st_mode)[-3:] == "444"
    assert all((serving / name).is_symlink() for name in ("current", "hubpulse.duckdb", "parquet", "manifest.json"))


def test_failed_publish_keeps_the_previous_version_and_leaves_nothing_behind(home: Path):
    serving = serving_dir(home)
    good = publish(home / "warehouse.duckdb", serving)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    con.execute("drop schema marts cascade")
    con.close()
    with pytest.raises(PublishError, match="no relations in schema `marts`"):
        publish(home / "warehouse.duckdb", serving)
    assert current_version_dir(serving) == good.directory
    assert list_versions(serving) == [good.version]
    assert not [p for p in (serving / "versions").iterdir() if p.name.startswith(".tmp-")]
    with pytest.raises(PublishError, match="no warehouse at"):
        publish(home / "missing.duckdb", serving)


def test_leftovers_of_an_interrupted_publish_are_removed_by_the_next(home: Path):
    serving = serving_dir(home)
    publish(home / "warehouse.duckdb", serving)
    leftover = serving / "versions" / ".tmp-20990101T000000000000Z"
    (leftover / "parquet").mkdir(parents=True)
    (leftover / "parquet" / "half.parquet").write_bytes(b"PAR1")
    os.symlink("versions/nowhere", serving / ".tmp-current-deadbeef")
    publish(home / "warehouse.duckdb", serving)
    assert not leftover.exists()
    assert not list(serving.glob(".tmp-*"))


def test_a_regular_file_in_place_of_a_link_is_refused_not_overwritten(home: Path):
    serving = serving_dir(home)
    serving.mkdir()
    (serving / "hubpulse.duckdb").write_text("someone's own file")
    with pytest.raises(PublishError, match="is a regular file or folder"):
        publish(home / "warehouse.duckdb", serving)
    assert (serving / "hubpulse.duckdb").read_text() == "someone's own file"
    assert read_manifest(serving) is None


def test_nothing_published_reads_as_none(tmp_path: Path):
    assert read_manifest(serving_dir(tmp_path)) is None
    assert current_version_dir(serving_dir(tmp_path)) is None
    assert list_versions(serving_dir(tmp_path)) == []
