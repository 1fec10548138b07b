"""The scenario matrix's shared helpers: simulate a history, build it through Dagster, compare the marts.

A scenario is a small simulated Hub history (a few organisations' worth of the catalogue, a handful of community
accounts, a few days) built end to end the way a user builds it:

* `build_live`: the local Hub serves the archive and the real `huggingface_hub` client ingests it through the
  `hub_model_snapshots` asset with a `Scope` (a full crawl, or tracked organisations + top N), in one
  Dagster run per stretch of dates the archive has, then one run of every dbt model, every check and the
  published copy over the whole window;
* `build_archive`: archive-shaped inputs (another tracker's files, trimmed items) go through `import_archive`
  into the raw layer, then the same Dagster run of dbt, checks and publishing.

`assert_marts_equal_reference(home, raw_root)` compares every relation `tests/warehouse_reference.py` returns
(whatever that set is) with the warehouse, row for row, keyed by the relation's grain. The consumers (the demo
summary, the PNG charts, every dashboard page over the published copy) are exercised by `run_summary`,
`render_charts` and `render_dashboard_pages`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import warehouse_reference as reference
from test_warehouse import RELATIONS

from orchestration.dbt.assets import dbt_daily_models, dbt_inputs, dbt_marts
from orchestration.dbt.project import dbt_cli_from_env
from orchestration.hub import archive
from orchestration.hub.assets import hub_model_snapshots
from orchestration.hub.client import HubClient
from orchestration.hub.scope import Scope
from orchestration.hub.transfer import import_archive
from orchestration.localhub.simulator import SimulationConfig, simulate
from orchestration.resources import HubpulsePaths
from orchestration.serving.assets import published_marts
from orchestration.serving.publish import read_manifest

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
WAREHOUSE_ASSETS = [dbt_inputs, dbt_daily_models, dbt_marts, published_marts]
FULL_CRAWL = Scope(organisations=[], top_n_downloads=0, top_n_likes=0, top_n_trending=0, full=True)

# The grain of every relation the reference may return (one home: tests/test_warehouse.py's RELATIONS); a
# relation not listed there is compared as a multiset of rows, doubles to the letter.
RELATION_KEYS: dict[str, list[str]] = {name: list(keys) for name, (_schema, keys) in RELATIONS.items()}


# ------------------------------------------------------------------------------------------ a scenario


@dataclass
class Scenario:
    """A built scenario: where it lives, what Dagster returned, and the simulator's truth."""

    name: str
    root: Path
    archive: Path
    home: Path
    first: dt.date
    last: dt.date
    results: list = field(default_factory=list)  # every Dagster run's ExecuteInProcessResult, in order
    seconds: float = 0.0

    @property
    def raw_root(self) -> Path:
        return self.home / "raw" / "hub_models"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    def truth(self, name: str) -> pd.DataFrame:
        path = self.archive / "ground_truth" / name
        with (gzip.open(path, "rt") if path.suffix == ".gz" else open(path)) as fh:
            return pd.read_csv(fh, keep_default_na=False, na_values=[""], dtype=str)

    def manifest(self) -> dict:
        import json

        return json.loads((self.archive / "ground_truth" / "manifest.json").read_text())

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).df()
        finally:
            con.close()


def simulate_archive(root: Path, **config) -> Path:
    """Simulate a small history into `root/archive` (ground truth included); return the archive folder."""
    out = root / "archive"
    simulate(SimulationConfig(**config), out, log=lambda _m: None)
    return out


@contextlib.contextmanager
def _environment(root: Path, home: Path) -> Iterator[None]:
    """HUBPULSE_HOME for the runs, dbt's artifacts out of the tree, no window left over from the caller."""
    saved = dict(os.environ)
    os.environ["HUBPULSE_HOME"] = str(home)
    os.environ["DBT_TARGET_PATH"] = str(root / "dbt-target")
    for name in ("HUBPULSE_WINDOW_START", "HUBPULSE_WINDOW_END"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def range_tags(first: dt.date, last: dt.date) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat()}


def stretches(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Runs of consecutive dates, as (first, last) pairs."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if out and day == out[-1][1] + dt.timedelta(days=1):
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def _build_warehouse(scenario: Scenario, instance: dg.DagsterInstance) -> None:
    resources = {"paths": HubpulsePaths(home=str(scenario.home)), "dbt": dbt_cli_from_env()}
    scenario.results.append(dg.materialize(WAREHOUSE_ASSETS, resources=resources, instance=instance,
                                           tags=range_tags(scenario.first, scenario.last), raise_on_error=False))


def build_live(name: str, root: Path, archive_dir: Path, scope: Scope) -> Scenario:
    """Ingest every date of the archive through the local Hub with `scope`, then build and publish."""
    import time

    started = time.perf_counter()
    days = sorted(archive.list_snapshots(archive_dir))
    home = root / "home"
    scenario = Scenario(name, root, archive_dir, home, days[0], days[-1])
    instance = dg.DagsterInstance.ephemeral()
    with _environment(root, home):
        resources = {"hub": HubClient(source="local", archive_dir=str(archive_dir)), "scope": scope,
                     "paths": HubpulsePaths(home=str(home))}
        for first, last in stretches(days):
            scenario.results.append(dg.materialize([hub_model_snapshots], resources=resources, instance=instance,
                                                   tags=range_tags(first, last), raise_on_error=False))
        _build_warehouse(scenario, instance)
    scenario.seconds = time.perf_counter() - started
    return scenario


def build_archive(name: str, root: Path, archive_dir: Path,
                  transform: Callable[[dt.date, list[dict]], list[dict]] | None = None) -> Scenario:
    """Import the archive (each day's items through `transform` first, if given), then build and publish."""
    import time

    started = time.perf_counter()
    source = archive_dir
    if transform is not None:
        source = root / "archive-transformed"
        for day, path in archive.list_snapshots(archive_dir).items():
            items = transform(day, archive.read_snapshot(path))
            if items:
                archive.write_snapshot(source, day, items)
    days = sorted(archive.list_snapshots(source))
    home = root / "home"
    scenario = Scenario(name, root, archive_dir, home, days[0], days[-1])
    import_archive(source, home / "raw" / "hub_models", home / "raw" / "hub_models_rejects", log=lambda _m: None)
    with _environment(root, home):
        _build_warehouse(scenario, dg.DagsterInstance.ephemeral())
    scenario.seconds = time.perf_counter() - started
    return scenario


# --------------------------------------------------------------------------------------- run outcomes


def run_problems(scenario: Scenario) -> list[str]:
    """Every failed run step and every asset check that did not pass (blocking or warn), as readable lines."""
    problems = []
    for index, result in enumerate(scenario.results):
        if not result.success:
            problems += [f"run {index}: {e.message}"[:600] for e in result.all_events if e.is_failure]
            problems.append(f"run {index} failed")
        for event in result.all_events:
            if event.event_type_value == "ASSET_CHECK_EVALUATION":
                ev = event.event_specific_data
                if not ev.passed:
                    problems.append(f"run {index}: check {ev.asset_key.to_user_string()}:{ev.check_name} "
                                    f"({ev.severity.value}) failed")
    return problems


def check_evaluations(scenario: Scenario) -> int:
    return sum(e.event_type_value == "ASSET_CHECK_EVALUATION" for r in scenario.results for e in r.all_events)


def assert_published(scenario: Scenario) -> dict:
    """The serving copy exists, describes the scenario's last day, and holds every mart with its row count."""
    manifest = read_manifest(scenario.home / "serving")
    assert manifest is not None, f"{scenario.name}: nothing was published"
    assert manifest["newest_snapshot_date"] == scenario.last.isoformat(), manifest["newest_snapshot_date"]
    con = duckdb.connect(str(scenario.warehouse), read_only=True)
    try:
        for name, entry in manifest["tables"].items():
            parquet = Path(manifest["directory"]) / entry["parquet"]
            assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall()[0][0] == entry["rows"], name
            assert con.execute(f"select count(*) from marts.{name}").fetchone()[0] == entry["rows"], name
    finally:
        con.close()
    return manifest


# ------------------------------------------------------------------------------ marts vs the reference


_value = reference.comparable
_same = reference.same_value


def relation_differences(actual: list[dict], columns: list[str], expected: pd.DataFrame | list[dict],
                         keys: list[str] | None, name: str) -> list[str]:
    """What differs between a warehouse relation and its reference (empty: equal row for row)."""
    expected_rows = expected.to_dict("records") if isinstance(expected, pd.DataFrame) else list(expected)
    if not actual and not expected_rows:
        return []
    expected_columns = (list(expected.columns) if isinstance(expected, pd.DataFrame) and len(expected.columns)
                        else list(expected_rows[0]) if expected_rows else [])
    out = []
    if expected_columns and set(columns) != set(expected_columns):
        return [(f"{name}: columns differ: only in dbt {sorted(set(columns) - set(expected_columns))}, "
                f"only in reference {sorted(set(expected_columns) - set(columns))}")]
    if len(actual) != len(expected_rows):
        out.append(f"{name}: {len(actual)} rows in dbt, {len(expected_rows)} in the reference")
    if keys is None or not all(k in columns for k in keys):
        def canon(rows):
            return sorted(tuple(repr(_value(r[c])) for c in sorted(columns)) for r in rows)
        if canon(actual) != canon(expected_rows):
            out.append(f"{name}: the rows differ (compared as a multiset: no known grain)")
        return out

    def keyed(rows, side):
        found: dict = {}
        for row in rows:
            key = tuple(_value(row[k]) for k in keys)
            if key in found:
                out.append(f"{name}: duplicate key {key} in {side}")
            found[key] = row
        return found

    a, e = keyed(actual, "dbt"), keyed(expected_rows, "the reference")
    if set(a) != set(e):
        only_a, only_e = sorted(set(a) - set(e), key=str), sorted(set(e) - set(a), key=str)
        out.append(f"{name}: {len(only_a)} keys only in dbt, e.g. {only_a[:4]}; "
                   f"{len(only_e)} only in the reference, e.g. {only_e[:4]}")
    mismatches = [(key, column, a[key][column], e[key][column])
                  for key in sorted(set(a) & set(e), key=str) for column in columns
                  if not _same(a[key][column], e[key][column])]
    if mismatches:
        by_column: dict[str, int] = {}
        for _key, column, _x, _y in mismatches:
            by_column[column] = by_column.get(column, 0) + 1
        out.append(f"{name}: {len(mismatches)} values differ (by column {by_column}), e.g. {mismatches[:4]}")
    return out


def read_relation(con: duckdb.DuckDBPyConnection, name: str) -> tuple[list[dict], list[str]] | None:
    """Rows and columns of the warehouse relation `name`, whatever its schema; None when it does not exist."""
    found = con.execute("select table_schema from information_schema.tables where table_name = ? "
                        "and table_schema in ('marts', 'intermediate', 'staging') order by table_schema = 'marts' "
                        "desc", [name]).fetchall()
    if not found:
        return None
    cursor = con.execute(f'select * from "{found[0][0]}"."{name}"')
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()], columns


def compare_with_reference(home: Path, raw_root: Path) -> dict[str, list[str]]:
    """Per relation the reference returns: the differences with the warehouse (an empty list when equal)."""
    expected = reference.compute(raw_root, PROJECT_DIR)
    con = duckdb.connect(str(Path(home) / "warehouse.duckdb"), read_only=True)
    try:
        out = {}
        for name, frame in expected.items():
            relation = read_relation(con, name)
            if relation is None:
                out[name] = [f"{name}: the reference computes it, the warehouse has no such relation"]
                continue
            rows, columns = relation
            out[name] = relation_differences(rows, columns, frame, RELATION_KEYS.get(name), name)
        return out
    finally:
        con.close()


def assert_marts_equal_reference(home: Path, raw_root: Path) -> None:
    """Every relation the reference returns equals the warehouse's, row for row (floats within 1e-9)."""
    differences = compare_with_reference(home, raw_root)
    failing = {name: lines for name, lines in differences.items() if lines}
    assert not failing, "marts differ from the reference:\n" + "\n".join(
        line[:1500] for lines in failing.values() for line in lines)


# ------------------------------------------------------------------------------------------ consumers


def run_summary(home: Path) -> None:
    from orchestration.cli.summary import print_warehouse_summary

    print_warehouse_summary(home)


def render_charts(warehouse: Path) -> dict[str, bytes | None]:
    """Every chart builder of `orchestration.dbt.charts` over the warehouse: mart -> PNG (None: nothing to draw)."""
    from orchestration.dbt.charts import CHARTS

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {mart: builder(con) for mart, (_title, builder) in CHARTS.items()}
    finally:
        con.close()


def render_dashboard_pages(home: Path, timeout: float = 90) -> dict[str, list[str]]:
    """Render every dashboard page over `home`'s published copy; page -> exceptions and error messages shown.

    HUBPULSE_HOME must name `home` while this runs (the pages read it)."""
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1.util import patch_config_options

    from orchestration.dashboard import APP, PAGES, STREAMLIT_OPTIONS

    assert os.environ.get("HUBPULSE_HOME") == str(home)
    out = {}
    with patch_config_options(STREAMLIT_OPTIONS):
        for page in PAGES:
            at = AppTest.from_file(str(APP), default_timeout=timeout).run()
            if page != PAGES[0]:
                at.switch_page(f"views/{page.file}").run()
            out[page.file] = [f"exception: {e.value}"[:800] for e in at.exception] + [
                f"error: {e.value}"[:800] for e in at.error]
    return out


# ------------------------------------------------------------------------------------ the simulator's truth


def counter_differences(scenario: Scenario) -> list[tuple]:
    """fct_model_daily's reported counters (`downloads`, `likes`) against the truth of the same repo and day.

    Matched on (object id, day) when the items carry `_id`, else on (repo id as shown, day)."""
    truth = scenario.truth("daily_downloads.csv.gz")
    by_object = {(r.object_id, r.snapshot_date): r for r in truth.itertuples()}
    by_repo = {(r.model_id, r.snapshot_date): r for r in truth.itertuples()}
    daily = scenario.query("select model_id, repo_id, snapshot_date, downloads_30d, likes from marts.fct_model_daily")
    wrong = []
    for row in daily.itertuples():
        day = row.snapshot_date.date().isoformat() if hasattr(row.snapshot_date, "date") else str(row.snapshot_date)
        t = by_object.get((row.model_id, day)) or by_repo.get((row.repo_id, day))
        if t is None or int(t.downloads_30d) != row.downloads_30d or int(t.likes) != row.likes:
            wrong.append((row.repo_id, day, row.downloads_30d, None if t is None else t.downloads_30d))
    return wrong


def clean_daily_download_differences(scenario: Scenario) -> tuple[int, list[tuple]]:
    """Clean (not interpolated, not recount, known) daily downloads against the true daily downloads."""
    truth = scenario.truth("daily_downloads.csv.gz")
    true_daily = {(r.object_id, r.snapshot_date): int(r.true_daily_downloads) for r in truth.itertuples()}
    rows = scenario.query("select model_id, download_date, daily_downloads from intermediate.int_models_daily_downloads "
                          "where daily_downloads is not null and not is_interpolated and not is_recount")
    wrong = []
    for r in rows.itertuples():
        day = r.download_date.date().isoformat()
        if r.daily_downloads != true_daily.get((r.model_id, day)):
            wrong.append((r.model_id, day, r.daily_downloads, true_daily.get((r.model_id, day))))
    return len(rows), wrong


# ------------------------------------------------------------- the tests every scenario runs (imported by both
# scenario files, each with its own `scenario` fixture)


def test_every_run_succeeds_and_every_check_passes(scenario):
    assert not run_problems(scenario), run_problems(scenario)
    assert check_evaluations(scenario) > 30  # dbt tests and GX checks surface as asset checks


def test_serving_copy_is_published(scenario):
    assert_published(scenario)


def test_marts_equal_the_reference(scenario):
    assert_marts_equal_reference(scenario.home, scenario.raw_root)


def test_reported_counters_equal_the_truth(scenario):
    assert not counter_differences(scenario)


def test_demo_summary_prints(scenario, capsys):
    run_summary(scenario.home)
    assert "1. Release cadence" in capsys.readouterr().out


def test_charts_render(scenario):
    charts = render_charts(scenario.warehouse)
    assert all(png is None or png[:8] == b"\x89PNG\r\n\x1a\n" for png in charts.values())


def test_dashboard_pages_render(scenario, monkeypatch):
    monkeypatch.setenv("HUBPULSE_HOME", str(scenario.home))
    problems = {page: lines for page, lines in render_dashboard_pages(scenario.home).items() if lines}
    assert not problems, problems
