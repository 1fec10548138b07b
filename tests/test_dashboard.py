"""The Streamlit dashboard, rendered with `streamlit.testing.v1.AppTest` over a small published warehouse.

A short simulated history spanning DeepSeek-R1 (with China's velocity set to overtake the US's inside it) is
imported, built with the real dbt project and published with `orchestration.serving.publish` into a
HUBPULSE_HOME that holds nothing but `serving/`: every page must render from the published copy alone. Each
page's headline numbers are recomputed here with pandas straight from the published Parquet marts and must
equal what the page shows, with the default filters and after changing them. The history is built once per
test session (the browser test reuses it).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from orchestration import settings
from orchestration.cli.prepare import dbt_executable
from orchestration.dashboard import APP, PAGES, STREAMLIT_OPTIONS
from orchestration.hub.transfer import import_archive
from orchestration.localhub.simulator import SimulationConfig, simulate
from orchestration.serving import publish as serving

START, END = dt.date(2024, 11, 4), dt.date(2025, 3, 9)  # spans R1 (2025-01-20) and four month boundaries
OVERTAKE = dt.date(2025, 2, 10)  # the simulator calibrates China's 28-day velocity to pass the US's about then
R1 = dt.date.fromisoformat(settings.R1_RELEASE_DATE)
TIMEOUT = 90  # seconds per AppTest run: the first run imports altair and pandas under a loaded CI machine
RELATIONS = ("original", "finetune", "quantized", "adapter", "merge")
DERIVATIVE_RELATIONS = ("finetune", "quantized", "adapter", "merge")


# ------------------------------------------------------------------------------------------ the history


def build_published_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A HUBPULSE_HOME holding only `serving/`, published from a dbt build of a short simulated history.

    Built once per session (the folder is reused when a previous call of this session finished it)."""
    root = tmp_path_factory.getbasetemp() / "dashboard_history"
    home = root / "published_home"
    if (root / "done").exists():
        return home
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    archive = root / "archive"
    simulate(SimulationConfig(start=START, end=END, seed=11, community_authors=60, catalogue_fraction=0.15,
                              china_overtakes_on=OVERTAKE), archive, log=lambda _: None)
    build = root / "build_home"
    import_archive(archive, build / "raw" / "hub_models", build / "raw" / "hub_models_rejects", log=lambda _: None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPULSE_WINDOW_")}
    env.update(HUBPULSE_HOME=str(build), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    project = str(settings.DBT_PROJECT_DIR)
    # The marts only: their tests and unit tests run in test_warehouse.py.
    result = subprocess.run(
        [dbt_executable(), "build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
         "--project-dir", project, "--profiles-dir", project,
         "--target-path", str(build / "dbt_target"), "--log-path", str(build / "dbt_logs")],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    serving.publish(build / "warehouse.duckdb", serving.serving_dir(home), run_id="dashboard-test-run")
    (root / "done").touch()
    return home


@pytest.fixture(autouse=True)
def streamlit_options():
    """The app's own Streamlit options (`STREAMLIT_OPTIONS`, which `hubpulse dashboard` passes as flags)."""
    with patch_config_options(STREAMLIT_OPTIONS):
        yield


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_published_home(tmp_path_factory)


@pytest.fixture(scope="module")
def warehouse(home) -> Path:
    """The warehouse the published copy was made from (for tests that publish again)."""
    return home.parent / "build_home" / "warehouse.duckdb"


@pytest.fixture(scope="module")
def manifest(home) -> dict:
    return json.loads((serving.serving_dir(home) / "manifest.json").read_text())


@pytest.fixture(scope="module")
def marts(home) -> dict[str, pd.DataFrame]:
    """Every published mart, read with pandas straight from its Parquet file."""
    directory = serving.current_version_dir(serving.serving_dir(home))
    return {path.stem: pd.read_parquet(path) for path in (directory / "parquet").glob("*.parquet")}


@pytest.fixture
def app(home, manifest, monkeypatch):
    """Render a page of the dashboard over the published home, `app("derivatives.py")`, checking what every
    page must show: its title, the freshness line of the published version, a headline, charts, a table."""
    monkeypatch.setenv("HUBPULSE_HOME", str(home))

    def render(page: str) -> AppTest:
        at = open_page(page)
        title = next(p.title for p in PAGES if p.file == page)
        assert at.title[0].value == title
        line = at.markdown[0].value
        assert f"**{manifest['newest_snapshot_date']}**" in line and manifest["oldest_snapshot_date"] in line
        assert manifest["version"] in line and manifest["published_at"][:16].replace("T", " ") in line
        assert at.markdown[1].value == expected_coverage_line(home), f"{title}: the coverage line is missing"
        assert len(at.metric) >= 3, f"{title}: headline metrics missing"
        assert len(charts(at)) >= 2, f"{title}: expected at least two charts"
        assert len(at.dataframe) >= 1, f"{title}: the table behind the charts is missing"
        return at

    return render


def expected_coverage_line(home: Path) -> str:
    """The coverage line every page shows beside the freshness line, recomputed from the published Parquet."""
    directory = serving.current_version_dir(serving.serving_dir(home))
    coverage = pd.read_parquet(directory / "parquet" / "fct_attribution_coverage.parquet")
    day = coverage[coverage["period_type"] == "day"].sort_values("period_start").iloc[-1]
    month = coverage[coverage["period_type"] == "month"].sort_values("period_start").iloc[-1]

    def pct(value):
        return "—" if pd.isna(value) else f"{value * 100:.1f}%"

    partial = "" if month["is_period_fully_observed"] else " (partial)"
    return (":small[:material/help: Without a region (unclassified or unknown): "
            f"{pct(day['unattributed_download_share'])} of downloads and "
            f"{pct(day['unattributed_velocity_28d_share'])} of the 28-day velocity on "
            f"{pd.Timestamp(day['period_start']):%Y-%m-%d}; {pct(month['unattributed_release_share'])} of releases, "
            f"{pct(month['unattributed_derivative_share'])} of new derivatives built and "
            f"{pct(month['unattributed_pair_share'])} of derivative pairs in "
            f"{pd.Timestamp(month['period_start']):%Y-%m}{partial}. Regions are compared without them.]")


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    if page != PAGES[0].file:
        at.switch_page(f"views/{page}").run()
    assert_clean(at)
    return at


# ------------------------------------------------------------------------------------------ helpers


def assert_clean(at: AppTest) -> None:
    """No exception and no error message on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, label: str):
    """The metric whose label is `label` (or starts with it)."""
    found = [m for m in at.metric if m.label == label] or [m for m in at.metric if m.label.startswith(label)]
    assert len(found) == 1, f"metric {label!r} not found once among {[m.label for m in at.metric]}"
    return found[0]


def number(element) -> float | None:
    """A metric's value as a number (None for the em dash of an unknown value)."""
    return None if element.value == "—" else float(element.value)


def close(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)


def charts(at: AppTest) -> list:
    return list(at.get("vega_lite_chart"))


def chart_frames(chart) -> list[pd.DataFrame]:
    """Every data set a rendered Vega-Lite chart carries (Arrow IPC streams in its proto)."""
    frames = []
    for named in chart.proto.datasets:
        frames.append(pa.ipc.open_stream(named.data.data).read_all().to_pandas())
    if chart.proto.data.data:
        frames.append(pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas())
    return frames


def markers(at: AppTest) -> dict[str, set[dt.date]]:
    """Label -> days of every dated marker (rule with a label) drawn on the page's charts."""
    out: dict[str, set[dt.date]] = {}
    for chart in charts(at):
        for frame in chart_frames(chart):
            if {"day", "label"} <= set(frame.columns):
                for day, label in zip(frame["day"], frame["label"], strict=True):
                    out.setdefault(label, set()).add(pd.Timestamp(day).date())
    return out


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.date


def top_name(frame: pd.DataFrame, value: str, name: str, largest: bool = True) -> str:
    """The name with the largest (or smallest) value, ties broken by name."""
    ordered = frame.sort_values([value, name], ascending=[not largest, True])
    return ordered[name].iloc[0]


# --------------------------------------------------------------------------------------- every page


def test_published_home_holds_nothing_but_the_serving_copy(home):
    assert sorted(p.name for p in home.iterdir()) == ["serving"]


def test_nothing_published_says_which_command_creates_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBPULSE_HOME", str(tmp_path / "fresh"))
    at = open_page(PAGES[0].file)
    for page in PAGES:
        if page != PAGES[0]:
            at.switch_page(f"views/{page.file}").run()
            assert_clean(at)
        assert at.title[0].value == page.title
        message = at.info[0].value
        assert "Nothing is published yet" in message and "make demo" in message and "Dagster" in message, page
        assert str(tmp_path / "fresh" / "serving") in message
        assert not at.metric and not charts(at) and not at.dataframe, page


def test_a_version_missing_a_mart_is_a_message_not_a_traceback(home, tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    shutil.copytree(home, broken, symlinks=True)
    version = serving.current_version_dir(serving.serving_dir(broken))
    version.chmod(0o755)
    (version / "parquet").chmod(0o755)
    (version / "parquet" / "fct_supply_chain.parquet").unlink()
    monkeypatch.setenv("HUBPULSE_HOME", str(broken))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("views/supply_chain.py").run()
    assert not at.exception
    assert "has no `fct_supply_chain` mart" in at.error[0].value and "make demo" in at.error[0].value
    at.switch_page("views/derivatives.py").run()
    assert_clean(at)


def test_a_new_publish_shows_on_the_next_run(warehouse, tmp_path, monkeypatch):
    home = tmp_path / "home"
    target = serving.serving_dir(home)
    first = serving.publish(warehouse, target)
    monkeypatch.setenv("HUBPULSE_HOME", str(home))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("views/download_velocity.py").run()
    assert_clean(at)
    total_label = next(m.label for m in at.metric if m.label.startswith("Tracked 28-day velocity on"))
    before = number(metric(at, total_label))
    assert first.version in at.markdown[0].value

    # A run rebuilds the warehouse (here: doubles the tracked total, drops the last snapshot) and publishes.
    changed = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, changed)
    con = duckdb.connect(str(changed))
    con.execute("update marts.fct_download_velocity set velocity_28d = 2 * velocity_28d where entity_type = 'total'")
    con.execute("delete from marts.fct_model_daily where snapshot_date = (select max(snapshot_date) "
                "from marts.fct_model_daily)")
    con.close()
    second = serving.publish(changed, target)
    at.run()
    assert_clean(at)
    assert second.version in at.markdown[0].value and first.version not in at.markdown[0].value
    newest = dt.date.fromisoformat(first.newest_snapshot_date) - dt.timedelta(days=1)
    assert f"**{newest.isoformat()}**" in at.markdown[0].value
    assert close(number(metric(at, total_label)), 2 * before)


# -------------------------------------------------------------------------------- 1. release cadence


def expected_cadence(marts, manifest, regions=None, relations=RELATIONS) -> dict:
    """Releases per calendar week before/since R1 from the region rows of fct_release_cadence."""
    cadence = marts["fct_release_cadence"]
    rows = cadence[cadence["entity_type"] == "region"].copy()
    rows["week"] = dates(rows["week_start"])
    last_week = rows["week"].max()
    first_week = monday(dt.date.fromisoformat(manifest["oldest_snapshot_date"]))
    rows = rows[(rows["week"] >= first_week) & (rows["week"] <= last_week)]
    if regions is not None:
        rows = rows[rows["entity_id"].isin(regions)]
    rows["chosen"] = rows[[f"releases_{r}" for r in relations]].sum(axis=1)
    weeks = pd.date_range(first_week, last_week, freq="7D").date
    before = [w for w in weeks if w < R1]
    after = [w for w in weeks if w >= R1]
    released_before = rows.loc[rows["week"] < R1, "chosen"].sum()
    released_after = rows.loc[rows["week"] >= R1, "chosen"].sum()
    organizations = cadence[cadence["entity_type"] == "organization"].copy()
    organizations["week"] = dates(organizations["week_start"])
    organizations = organizations[(organizations["week"] >= R1) & (organizations["week"] <= last_week)]
    if regions is not None:
        region_of = marts["dim_organizations"].set_index("organization")["region"]
        organizations = organizations[organizations["entity_id"].map(region_of).isin(regions)]
    organizations["chosen"] = organizations[[f"releases_{r}" for r in relations]].sum(axis=1)
    per_org = organizations.groupby("entity_id", as_index=False).agg(
        releases=("chosen", "sum"), active=("chosen", lambda s: int((s > 0).sum())))
    return {
        "before": released_before / len(before),
        "after": released_after / len(after),
        "releases": released_before + released_after,
        "weeks_after": len(after),
        "fastest": top_name(per_org, "releases", "entity_id"),
        "fastest_rate": per_org["releases"].max() / len(after),
        "steadiest": top_name(per_org, "active", "entity_id"),
        "steadiest_weeks": int(per_org["active"].max()),
    }


def assert_cadence(at, expected) -> None:
    assert close(number(metric(at, "Releases per week before R1")), expected["before"])
    assert close(number(metric(at, "Releases per week since R1")), expected["after"])
    assert number(metric(at, "Releases in range")) == expected["releases"]
    change = expected["after"] / expected["before"] - 1 if expected["before"] else None
    assert metric(at, "Releases per week since R1").delta == ("" if change is None else f"{change * 100:+,.1f}%")
    fastest = metric(at, "Most releases per week since R1")
    assert fastest.value == expected["fastest"] and fastest.delta == f"{expected['fastest_rate']:.2f} per week"
    steadiest = metric(at, "Releases in the most weeks since R1")
    assert steadiest.value == expected["steadiest"]
    assert steadiest.delta == f"{expected['steadiest_weeks']} of {expected['weeks_after']} weeks"


def test_release_cadence_headline_equals_the_marts(app, marts, manifest):
    at = app("release_cadence.py")
    expected = expected_cadence(marts, manifest)
    assert expected["releases"] > 0 and expected["before"] > 0
    assert_cadence(at, expected)
    assert R1 in markers(at)["DeepSeek-R1"]

    at.multiselect(key="cadence_regions").set_value(["china", "us"])
    at.multiselect(key="cadence_relations").set_value(["finetune", "quantized"])
    at.run()
    assert_clean(at)
    narrowed = expected_cadence(marts, manifest, regions=["china", "us"], relations=["finetune", "quantized"])
    assert 0 < narrowed["releases"] < expected["releases"] and narrowed["before"] > 0 and narrowed["after"] > 0
    assert_cadence(at, narrowed)


def test_release_cadence_organisation_filter_narrows_every_number(app, marts, manifest):
    at = app("release_cadence.py")
    cadence = marts["fct_release_cadence"]
    organization = top_name(
        cadence[cadence["entity_type"] == "organization"].groupby("entity_id", as_index=False)["releases"].sum(),
        "releases", "entity_id")
    at.multiselect(key="cadence_organizations").set_value([organization]).run()
    assert_clean(at)
    rows = cadence[(cadence["entity_type"] == "organization") & (cadence["entity_id"] == organization)]
    weeks = dates(rows["week_start"])
    first_week = monday(dt.date.fromisoformat(manifest["oldest_snapshot_date"]))
    in_range = rows[weeks >= first_week]
    assert number(metric(at, "Releases in range")) == in_range["releases"].sum()
    assert metric(at, "Most releases per week since R1").value == organization
    table = at.dataframe[0].value
    assert list(table["organization"]) == [organization]


# -------------------------------------------------------------------------------- 2. download velocity


NOT_REGIONS = ("unclassified", "unknown")
RANKED = {"velocity_28d": "28-day velocity", "downloads_30d": "reported 30-day downloads"}
SHARE_OF = {"velocity_28d": "share_of_total", "downloads_30d": "share_of_total_downloads_30d"}


def expected_lead(marts, regions=None, end=None, measure="velocity_28d") -> dict:
    """Leader and runner-up among classified regions on the last comparable day of the history (a complete
    28-day window for velocity_28d), the day the leader overtook the runner-up for good as
    fct_velocity_overtakes holds it, and the tracked total on the last day of the range (pandas)."""
    velocity = marts["fct_download_velocity"]
    rows = velocity[(velocity["entity_type"] == "region") & ~velocity["entity_id"].isin(NOT_REGIONS)].copy()
    rows["day"] = dates(rows["metric_date"])
    if regions is not None:
        rows = rows[rows["entity_id"].isin(regions)]
    rows = rows.dropna(subset=[measure])
    if measure == "velocity_28d":
        rows = rows[rows["is_window_complete"]]
    last_day = rows["day"].max()
    last = rows[rows["day"] == last_day].sort_values([measure, "entity_id"], ascending=[False, True])
    leader, runner = last["entity_id"].iloc[0], last["entity_id"].iloc[1]
    overtakes = marts["fct_velocity_overtakes"]
    row = overtakes[(overtakes["measure"] == measure) & (overtakes["region"] == leader)
                    & (overtakes["overtaken_region"] == runner)]
    overtook = dates(row["overtook_on"]).iloc[0] if len(row) else None
    share = last[SHARE_OF[measure]].iloc[0]
    totals = velocity[velocity["entity_type"] == "total"].assign(day=lambda f: dates(f["metric_date"]))
    shown_end = min(end or totals["day"].max(), totals["day"].max())
    total = totals[totals["day"] == shown_end][measure].iloc[0]
    total_before = totals[totals["day"] == shown_end - dt.timedelta(days=28)][measure].iloc[0]
    return {"leader": leader, "runner": runner, "overtook": overtook, "last_day": shown_end, "share": share,
            "total": total, "total_change": total / total_before - 1, "measure": measure}


def assert_lead(at, expected) -> None:
    label = f"{expected['leader']} overtook {expected['runner']} for good on"
    shown = metric(at, label)
    if expected["overtook"] is None:
        assert shown.value == "—" and shown.delta == f"{expected['leader']} led on every comparable day"
    else:
        assert shown.value == expected["overtook"].isoformat()
    ranked = RANKED[expected["measure"]]
    assert close(number(metric(at, f"{expected['leader']}'s share of tracked {ranked}")), expected["share"])
    total = metric(at, f"Tracked {ranked} on {expected['last_day']:%Y-%m-%d}")
    assert close(number(total), expected["total"])
    assert total.delta == f"{expected['total_change'] * 100:+,.1f}%"


def test_download_velocity_headline_equals_the_marts(app, marts):
    at = app("download_velocity.py")
    expected = expected_lead(marts)
    # The simulated Chinese and US velocities cross inside the window (the leader on the last day varies with
    # the sampled catalogue): the headline must name the mart's lasting overtake, not "led throughout".
    assert expected["overtook"] is not None and START + dt.timedelta(days=28) <= expected["overtook"] < END
    assert_lead(at, expected)
    drawn = markers(at)
    assert R1 in drawn["DeepSeek-R1"]
    assert drawn[f"{expected['leader']} overtakes {expected['runner']}"] == {expected["overtook"]}
    overtakes = at.dataframe[0].value  # every lasting overtake of the 28-day velocity, as the mart has them
    mart = marts["fct_velocity_overtakes"]
    assert len(overtakes) == (mart["measure"] == "velocity_28d").sum()

    # Top mover: the model with the largest acceleration on the last day.
    velocity = marts["fct_download_velocity"]
    models = velocity[(velocity["entity_type"] == "model") & (dates(velocity["metric_date"]) == expected["last_day"])]
    models = models.dropna(subset=["acceleration"]).merge(
        marts["dim_models"][["model_id", "repo_id"]], left_on="entity_id", right_on="model_id")
    best = models.sort_values(["acceleration", "repo_id"], ascending=[False, True]).iloc[0]
    mover = metric(at, f"Top accelerating model on {expected['last_day']:%Y-%m-%d}")
    assert mover.value == best["repo_id"] and mover.delta == f"{best['acceleration']:+,.0f} downloads / 7 days"
    movers_table = at.dataframe[1].value
    assert movers_table["name"].iloc[0] == best["repo_id"] and len(movers_table) == 15

    # The Hub's reported 30-day downloads: their own lasting overtake from the same mart.
    at.segmented_control(key="velocity_measure").set_value("downloads_30d").run()
    assert_clean(at)
    assert_lead(at, expected_lead(marts, measure="downloads_30d"))


def test_download_velocity_filters_change_the_lead_and_the_movers(app, marts):
    at = app("download_velocity.py")
    full = expected_lead(marts)
    before_overtake = full["overtook"] - dt.timedelta(days=1)
    first_day = dates(marts["fct_download_velocity"]["metric_date"]).min()
    # The lasting overtake is the whole history's: a shorter range moves the charts and the total, not it.
    at.date_input(key="velocity_days").set_value((first_day, before_overtake)).run()
    assert_clean(at)
    assert_lead(at, expected_lead(marts, end=before_overtake))
    assert full["overtook"] not in markers(at).get(f"{full['leader']} overtakes {full['runner']}", set())

    others = [r for r in ["china", "us", "eu", "other", "unknown", "unclassified"] if r != full["leader"]]
    at.multiselect(key="velocity_regions").set_value(others).run()
    assert_clean(at)
    without_leader = expected_lead(marts, regions=others, end=before_overtake)
    assert full["leader"] not in (without_leader["leader"], without_leader["runner"])
    assert_lead(at, without_leader)

    at.segmented_control(key="movers_entity").set_value("organization")
    at.segmented_control(key="movers_direction").set_value("falling").run()
    assert_clean(at)
    last_day = dates(marts["fct_download_velocity"]["metric_date"]).max()
    velocity = marts["fct_download_velocity"]
    region_of = marts["dim_organizations"].set_index("organization")["region"]
    orgs = velocity[(velocity["entity_type"] == "organization") & (dates(velocity["metric_date"]) == last_day)]
    orgs = orgs.dropna(subset=["acceleration"])
    orgs = orgs[orgs["entity_id"].map(region_of).isin(others)]
    worst = orgs.sort_values(["acceleration", "entity_id"], ascending=[True, True]).iloc[0]
    mover = metric(at, f"Top decelerating organization on {last_day:%Y-%m-%d}")
    assert mover.value == worst["entity_id"]


# ------------------------------------------------------------------- every shape of the published marts


def published_shape(tmp_path: Path, **shape) -> Path:
    """A HUBPULSE_HOME whose published copy holds marts of one shape (test_summary.build_warehouse)."""
    from test_summary import build_warehouse

    warehouse = build_warehouse(tmp_path / "warehouse.duckdb", **shape)
    home = tmp_path / "home"
    serving.publish(warehouse, serving.serving_dir(home))
    return home


def open_shape(tmp_path, monkeypatch, page: str, **shape) -> AppTest:
    monkeypatch.setenv("HUBPULSE_HOME", str(published_shape(tmp_path, **shape)))
    return open_page(page)


SHAPES = {
    "empty marts": {"days": 0},
    "all velocities null (trimmed archive), no release, derivative or benchmark": {"velocity": False,
                                                                                   "activity": False},
    "a single day": {"days": 1},
    "no complete 28-day window": {"days": 20},
    "every measure null": {"days": 3, "velocity": False, "downloads_30d": False},
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_page_renders_every_shape_of_the_marts(tmp_path, monkeypatch, shape):
    monkeypatch.setenv("HUBPULSE_HOME", str(published_shape(tmp_path, **SHAPES[shape])))
    at = open_page(PAGES[0].file)
    for page in PAGES:
        if page != PAGES[0]:
            at.switch_page(f"views/{page.file}").run()
        assert_clean(at)
        assert at.title[0].value == page.title
        # Whatever is missing is said on the page, never left blank.
        assert at.metric or at.info, page


def test_empty_marts_say_why_on_every_page(tmp_path, monkeypatch):
    at = open_shape(tmp_path, monkeypatch, "download_velocity.py", days=0)
    assert "has no region rows yet" in at.info[0].value
    for page, words in [("release_cadence.py", "no releases yet"), ("derivatives.py", "fct_derivatives"),
                        ("supply_chain.py", "no derivatives yet"), ("ecosystem_vs_benchmark.py", "ranks")]:
        at.switch_page(f"views/{page}").run()
        assert_clean(at)
        assert words in at.info[0].value, page


def test_null_velocities_rank_on_the_reported_30_day_downloads(tmp_path, monkeypatch):
    from test_summary import DOWNLOADS_30D_OVERTAKE, day

    at = open_shape(tmp_path, monkeypatch, "download_velocity.py", velocity=False)
    region, other, on = DOWNLOADS_30D_OVERTAKE
    assert metric(at, f"{region} overtook {other} for good on").value == day(on).isoformat()
    assert metric(at, "Tracked reported 30-day downloads on").value != "—"
    assert markers(at)[f"{region} overtakes {other}"] == {day(on)}
    # The exact measures are unknown: choosing one says so instead of drawing empty axes.
    at.segmented_control(key="velocity_measure").set_value("velocity_28d").run()
    assert_clean(at)
    assert any("No known 28-day velocity" in i.value for i in at.info)
    assert any("ranks regions on the Hub's reported 30-day downloads" in i.value for i in at.info)
    assert metric(at, f"{region} overtook {other} for good on").value == day(on).isoformat()


def test_windows_still_filling_are_no_lasting_overtake(tmp_path, monkeypatch):
    """china's 28-day velocity passed the US's on day 17, before any complete window: the mart has no row
    and the headline says china led on every comparable day, with no overtake computed from the series."""
    from test_summary import day

    at = open_shape(tmp_path, monkeypatch, "download_velocity.py")
    shown = metric(at, "china overtook us for good on")
    assert shown.value == "—" and shown.delta == "china led on every comparable day"
    assert not [label for label in markers(at) if "overtakes" in label]
    assert day(17) not in {d for days in markers(at).values() for d in days}


def test_the_headline_overtake_is_the_marts_row(tmp_path, monkeypatch):
    """A mart row no recomputation from the series would give (china ahead from day 17 on): the page shows it
    as it is, in the headline, on the chart and in the table of every overtake."""
    from test_summary import day

    planted = [("velocity_28d", "china", "us", day(33), 4300.0, 2340.0, day(39), 4900.0, 2220.0, 12)]
    at = open_shape(tmp_path, monkeypatch, "download_velocity.py", overtakes=planted)
    assert metric(at, "china overtook us for good on").value == day(33).isoformat()
    assert markers(at)["china overtakes us"] == {day(33)}
    table = at.dataframe[0].value
    assert list(zip(table["region"], table["overtaken_region"], dates(table["overtook_on"]), strict=True)) == [
        ("china", "us", day(33))]


def test_a_version_without_the_overtake_mart_warns_and_shows_the_rest(tmp_path, monkeypatch):
    at = open_shape(tmp_path, monkeypatch, "download_velocity.py", without=("fct_velocity_overtakes",))
    assert "has no `fct_velocity_overtakes` mart" in at.warning[0].value and "make demo" in at.warning[0].value
    shown = metric(at, "china overtook us for good on")
    assert shown.value == "—" and shown.delta.startswith("unknown")
    assert metric(at, "Tracked 28-day velocity on").value != "—" and len(charts(at)) >= 2


def test_an_older_publication_without_the_new_velocity_columns_still_renders(tmp_path, monkeypatch):
    from test_summary import build_warehouse

    warehouse = build_warehouse(tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(warehouse))
    for column in ("downloads_30d", "share_of_total_downloads_30d", "is_in_scope", "is_window_complete"):
        con.execute(f"alter table marts.fct_download_velocity drop column {column}")
    con.execute("drop table marts.fct_velocity_overtakes")
    con.close()
    serving.publish(warehouse, serving.serving_dir(tmp_path / "home"))
    monkeypatch.setenv("HUBPULSE_HOME", str(tmp_path / "home"))
    at = open_page("download_velocity.py")
    assert "has no `fct_velocity_overtakes` mart" in at.warning[0].value
    shown = metric(at, "china overtook us for good on")
    assert shown.value == "—" and shown.delta.startswith("unknown")
    assert number(metric(at, "Tracked 28-day velocity on")) == 7270


# --------------------------------------------------------------------------- 3. ecosystem vs benchmark


def spearman(rows: pd.DataFrame) -> float:
    """Pearson correlation of the two (tie-averaged) ranks, computed with pandas."""
    return float(rows["benchmark_rank"].corr(rows["ecosystem_rank"]))


def test_ecosystem_vs_benchmark_headline_equals_the_marts(app, marts):
    at = app("ecosystem_vs_benchmark.py")
    ecosystem = marts["fct_ecosystem_vs_benchmark"]
    ranked = ecosystem.dropna(subset=["benchmark_rank", "ecosystem_rank"]).copy()
    ranked["month"] = dates(ranked["month_start"])
    months = sorted(ranked["month"].unique())
    assert len(months) >= 3
    latest, previous = months[-1], months[-2]
    month_rows = ranked[ranked["month"] == latest]
    value = number(metric(at, f"Spearman rank correlation, {latest:%Y-%m}"))
    assert math.isclose(value, spearman(month_rows), abs_tol=1e-9)
    assert metric(at, "Spearman rank correlation").delta == (
        f"{spearman(month_rows) - spearman(ranked[ranked['month'] == previous]):+.2f}")
    assert number(metric(at, "Organisations ranked")) == len(month_rows)
    assert metric(at, "Adopted most beyond its benchmarks").value == top_name(month_rows, "rank_gap", "organization")
    assert metric(at, "Most overlooked for its benchmarks").value == top_name(
        month_rows, "rank_gap", "organization", largest=False)
    scatter = [f for c in charts(at) for f in chart_frames(c) if {"benchmark_rank", "ecosystem_rank"} <= set(f.columns)]
    assert len(scatter[0]) == len(month_rows)

    # An earlier month, US organisations only: the correlation stays the month's, the names are the US ones.
    at.selectbox(key="ecosystem_month").set_value(previous)
    at.multiselect(key="ecosystem_regions").set_value(["us"])
    at.run()
    assert_clean(at)
    region_of = marts["dim_organizations"].set_index("organization")["region"]
    month_rows = ranked[ranked["month"] == previous]
    us_rows = month_rows[month_rows["organization"].map(region_of) == "us"]
    assert math.isclose(number(metric(at, f"Spearman rank correlation, {previous:%Y-%m}")), spearman(month_rows),
                        abs_tol=1e-9)
    assert number(metric(at, "Organisations ranked")) == len(month_rows)
    assert metric(at, "Adopted most beyond its benchmarks").value == top_name(us_rows, "rank_gap", "organization")
    assert set(at.dataframe[0].value["organization"]) == set(us_rows["organization"])


# -------------------------------------------------------------------------------------- 4. derivatives


def expected_adoption(marts, manifest, regions=None, relations=DERIVATIVE_RELATIONS) -> dict:
    derivatives = marts["fct_derivatives"].copy()
    derivatives["released"] = dates(derivatives["release_date"])
    known = derivatives.dropna(subset=["release_date"])
    start = max(known["released"].min(), min(known["released"].max(),
                                             dt.date.fromisoformat(manifest["oldest_snapshot_date"])))
    bases = known[known["released"] >= start]
    if regions is not None:
        bases = bases[bases["region"].isin(regions)]
    within = bases["derivatives_within_42_days"].fillna(0)
    return {
        "bases": len(bases),
        "adopted": int((within > 0).sum()),
        "median_days": bases["days_to_first_derivative"].dropna().astype(float).median(),
        "within": int(within.sum()),
        "by_others": bases["derivatives_cross_org"].sum() / bases["derivatives"].sum(),
        "chosen": int(bases[[f"derivatives_{r}" for r in relations]].sum().sum()),
        "all": int(bases["derivatives"].sum()),
        "fastest": bases[bases["derivatives"] > 0].assign(
            days=lambda f: f["days_to_first_derivative"].astype("Float64").fillna(float("inf")),
            within=lambda f: f["derivatives_within_42_days"].fillna(0),
        ).sort_values(["within", "days", "base_repo_id"], ascending=[False, True, True])["base_repo_id"].tolist(),
    }


def assert_adoption(at, expected) -> None:
    assert number(metric(at, "Bases released")) == expected["bases"]
    adopted = metric(at, "Built on in 6 weeks")
    assert number(adopted) == expected["adopted"]
    assert adopted.delta == f"{expected['adopted'] / expected['bases'] * 100:,.1f}% of them"
    assert close(number(metric(at, "Median days to 1st derivative")), expected["median_days"])
    assert number(metric(at, "Derivatives in 6 weeks")) == expected["within"]
    assert close(number(metric(at, "Built by other organisations")), expected["by_others"])
    chosen = metric(at, "Derivatives of the chosen types")
    assert number(chosen) == expected["chosen"] and chosen.delta == f"of {expected['all']:,} in all"
    table = at.dataframe[0].value
    assert list(table["base_repo_id"]) == expected["fastest"]


def test_derivatives_headline_equals_the_marts(app, marts, manifest):
    at = app("derivatives.py")
    expected = expected_adoption(marts, manifest)
    assert expected["adopted"] > 0 and expected["within"] > 0
    assert_adoption(at, expected)
    ranking = next(f for c in charts(at) for f in chart_frames(c) if "derivatives_within_42_days" in f.columns)
    assert list(ranking["base_repo_id"]) == expected["fastest"][:15]

    at.multiselect(key="derivatives_regions").set_value(["china"])
    at.multiselect(key="derivatives_relations").set_value(["quantized"])
    at.run()
    assert_clean(at)
    narrowed = expected_adoption(marts, manifest, regions=["china"], relations=["quantized"])
    every_type = expected_adoption(marts, manifest, regions=["china"])
    assert 0 < narrowed["chosen"] < every_type["chosen"] and narrowed["bases"] < expected["bases"]
    assert_adoption(at, narrowed)


# ------------------------------------------------------------------------------------- 5. supply chain


def expected_supply(marts, manifest, month=None, measure="new_derivatives", builders=None) -> dict:
    supply = marts["fct_supply_chain"].copy()
    supply["month"] = dates(supply["month_start"])
    if builders is not None:
        supply = supply[supply["child_region"].isin(builders)]
    newest = dt.date.fromisoformat(manifest["newest_snapshot_date"])
    months = sorted(marts["fct_supply_chain"]["month_start"].map(lambda m: pd.Timestamp(m).date()).unique())
    if month is None:
        month = [m for m in months if (pd.Timestamp(m) + pd.offsets.MonthEnd(0)).date() <= newest][-1]
    compare = [m for m in months if m < month][-1]

    def summary(m):
        rows = supply[supply["month"] == m].assign(value=lambda f: f[measure].fillna(0))
        total = rows["value"].sum()
        # Regions compare only when both sides have one (us, china, eu, other); the rest is beside the share.
        classified = rows[rows["child_region"].isin(["us", "china", "eu", "other"])
                          & rows["base_region"].isin(["us", "china", "eu", "other"])]
        flows = rows.groupby(["child_region", "base_region"], as_index=False)["value"].sum()
        flows = flows.sort_values(["value", "child_region", "base_region"], ascending=[False, True, True])
        return {
            "total": total,
            "cross": (classified.loc[classified["child_region"] != classified["base_region"], "value"].sum()
                      / classified["value"].sum()) if classified["value"].sum() else None,
            "unattributed": total - classified["value"].sum(),
            "china": rows.loc[rows["base_region"] == "china", "value"].sum() / total,
            "flow": f"{flows['child_region'].iloc[0]} ← {flows['base_region'].iloc[0]}",
            "flows": flows.set_index(["child_region", "base_region"])["value"],
        }

    now, then = summary(month), summary(compare)
    change = now["flows"].sub(then["flows"], fill_value=0).rename("change").reset_index()
    change = change.assign(size=change["change"].abs()).sort_values(
        ["size", "child_region", "base_region"], ascending=[False, True, True]).iloc[0]
    moved = (f"{change['child_region']} ← {change['base_region']}", change["change"])
    return {"month": month, "compare": compare, "now": now, "then": then, "moved": moved}


def assert_supply(at, expected, label="New derivatives") -> None:
    now, then = expected["now"], expected["then"]
    total = metric(at, f"{label}, {expected['month']:%Y-%m}")
    assert close(number(total), now["total"])
    assert total.delta == f"{(now['total'] / then['total'] - 1) * 100:+,.1f}%"
    cross = metric(at, "Crossing regions")
    if now["cross"] is None:
        assert cross.value == "—"
    else:
        assert close(number(cross), now["cross"])
        if then["cross"] is not None:
            assert cross.delta == f"{(now['cross'] - then['cross']) * 100:+.1f} pp"
    unattributed = metric(at, "Without a region")
    assert close(number(unattributed), now["unattributed"] / now["total"])
    assert unattributed.delta.startswith(f"{now['unattributed']:,.0f} ")
    china = metric(at, "Built on Chinese bases")
    assert close(number(china), now["china"]) and china.delta == f"{(now['china'] - then['china']) * 100:+.1f} pp"
    assert metric(at, "Largest flow").value == now["flow"]
    moved = metric(at, f"Largest change vs {expected['compare']:%Y-%m}")
    assert moved.value == expected["moved"][0] and moved.delta.startswith(f"{expected['moved'][1]:+,.0f} ")


def test_supply_chain_headline_equals_the_marts(app, marts, manifest):
    at = app("supply_chain.py")
    expected = expected_supply(marts, manifest)
    assert expected["now"]["total"] > 0 and expected["then"]["total"] > 0
    assert_supply(at, expected)
    matrix = at.dataframe[1].value  # the month's matrix with its total column
    supply = marts["fct_supply_chain"]
    month_rows = supply[dates(supply["month_start"]) == expected["month"]]
    assert matrix["total"].sum() == month_rows["new_derivatives"].sum()
    for (child, base), value in month_rows.groupby(["child_region", "base_region"])["new_derivatives"].sum().items():
        assert matrix.loc[child, base] == value

    months = sorted(dates(supply["month_start"]).unique())
    earlier = months[months.index(expected["month"]) - 1]
    at.selectbox(key="supply_month").set_value(earlier)
    at.radio(key="supply_measure").set_value("new_derivative_models")
    at.multiselect(key="supply_builders").set_value(["unclassified", "china"])
    at.run()
    assert_clean(at)
    narrowed = expected_supply(marts, manifest, month=earlier, measure="new_derivative_models",
                               builders=["unclassified", "china"])
    assert_supply(at, narrowed, label="New derivative models")


# ------------------------------------------------------------------------------------------ the CLI


def test_cli_dashboard_command_is_registered():
    from orchestration.cli.main import build_parser

    args = build_parser().parse_args(["dashboard", "--home", "/tmp/somewhere", "--port", "8600"])
    assert (args.command, args.home, args.port) == ("dashboard", "/tmp/somewhere", 8600)


# ------------------------------------------------------------------------------------ pure helpers


def test_longest_run_counts_consecutive_active_calendar_weeks_only():
    from orchestration.dashboard.metrics import longest_run

    weeks = [dt.date(2025, 1, 6) + dt.timedelta(days=7 * i) for i in range(6)]
    assert longest_run(weeks, [True, True, False, True, True, True]) == 3
    assert longest_run(weeks, [False] * 6) == 0
    # A week missing from the rows breaks a run even when both sides are active.
    assert longest_run([weeks[0], weeks[1], weeks[3], weeks[4]], [True, True, True, True]) == 2


def test_last_complete_month_needs_the_month_end_snapshotted():
    from orchestration.dashboard.metrics import last_complete_month

    months = [dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1)]
    assert last_complete_month(months, dt.date(2026, 1, 31)) == dt.date(2026, 1, 1)
    assert last_complete_month(months, dt.date(2026, 1, 30)) == dt.date(2025, 12, 1)
    assert last_complete_month(months, dt.date(2025, 10, 15)) == dt.date(2026, 1, 1)  # none complete: the latest
    assert last_complete_month([], None) is None


def test_freshness_line_says_how_old_the_publish_is():
    from orchestration.dashboard.data import Release
    from orchestration.dashboard.layout import freshness_line

    published = dt.datetime(2026, 2, 1, 6, 30, tzinfo=dt.UTC)
    release = Release(directory=Path("/x"), version="v1", published_at=published,
                      oldest_snapshot_date=dt.date(2024, 10, 1), newest_snapshot_date=dt.date(2026, 1, 31),
                      run_id="0123456789abcdef")
    line = freshness_line(release, now=published + dt.timedelta(hours=3, minutes=5))
    assert "Snapshots 2024-10-01 → **2026-01-31**" in line and "published 2026-02-01 06:30 UTC (3 h ago)" in line
    assert "version `v1`" in line and "run `01234567`" in line


# ------------------------------------------------------------------------------------- 6. trajectories


def expected_trajectories(marts, regions=None, limit=8) -> dict:
    """The trajectory page's headline and its charts' organisations, from the published milestones mart."""
    milestones = marts["fct_organization_milestones"]
    if regions is not None:
        milestones = milestones[milestones["region"].isin(regions)]
    ranked = milestones.dropna(subset=["growth_rank_since_r1"]).sort_values(["growth_rank_since_r1", "organization"])
    crossed = milestones.dropna(subset=["month_crossed_100_releases"]).assign(
        month=lambda f: dates(f["month_crossed_100_releases"])).sort_values(["month", "organization"])
    return {
        "fastest": ranked["organization"].iloc[0],
        "fastest_since_r1": int(ranked["releases_since_r1"].iloc[0]),
        "releases_since_r1": int(milestones["releases_since_r1"].sum()),
        "releases": int(milestones["releases"].sum()),
        "derivatives_since_r1": int(milestones["derivatives_since_r1"].sum()),
        "crossed_10": int(milestones["month_crossed_10_releases"].notna().sum()),
        "crossed_100": len(crossed),
        "first_100": None if crossed.empty else (crossed["organization"].iloc[0], crossed["month"].iloc[0]),
        "top": list(ranked["organization"].head(limit)),
        "rows": len(milestones),
    }


def assert_trajectories(at, expected) -> None:
    fastest = metric(at, "Fastest-growing since R1")
    assert fastest.value == expected["fastest"]
    assert fastest.delta == f"{expected['fastest_since_r1']:,} releases since R1"
    since = metric(at, "Releases since R1")
    assert number(since) == expected["releases_since_r1"] and since.delta == f"of {expected['releases']:,} in all"
    crossed = metric(at, "Crossed 100 releases")
    assert number(crossed) == expected["crossed_100"]
    assert crossed.delta == (f"{expected['crossed_10']:,} crossed 10" if expected["first_100"] is None else
                             f"first: {expected['first_100'][0]} in {expected['first_100'][1]:%Y-%m}")
    assert number(metric(at, "Derivatives since R1")) == expected["derivatives_since_r1"]
    assert len(at.dataframe[0].value) == expected["rows"]


def test_trajectories_headline_equals_the_marts(app, marts):
    at = app("trajectories.py")
    expected = expected_trajectories(marts)
    assert expected["releases_since_r1"] > 0 and expected["crossed_10"] > 0
    assert_trajectories(at, expected)
    # The cumulative chart draws the fastest-growing organisations' months, as the mart holds them.
    lines = next(f for c in charts(at) for f in chart_frames(c) if "cumulative_releases" in f.columns)
    assert set(lines["organization"]) == set(expected["top"])
    trajectories = marts["fct_organization_trajectories"]
    mart = trajectories[trajectories["organization"].isin(expected["top"])]
    assert sorted(zip(lines["organization"], dates(lines["month_start"]), lines["cumulative_releases"],
                      strict=True)) == sorted(zip(mart["organization"], dates(mart["month_start"]),
                                                  mart["cumulative_releases"], strict=True))

    at.multiselect(key="trajectories_regions").set_value(["china"])
    at.slider(key="trajectories_limit").set_value(3)
    at.run()
    assert_clean(at)
    narrowed = expected_trajectories(marts, regions=["china"], limit=3)
    assert narrowed["rows"] < expected["rows"]
    assert_trajectories(at, narrowed)
    lines = next(f for c in charts(at) for f in chart_frames(c) if "cumulative_releases" in f.columns)
    assert set(lines["organization"]) == set(narrowed["top"])


def test_trajectories_of_empty_marts_and_of_a_version_without_them(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    (tmp_path / "older").mkdir()
    at = open_shape(tmp_path / "empty", monkeypatch, "trajectories.py", days=0)
    assert "fct_organization_milestones" in at.info[0].value and not at.metric
    monkeypatch.setenv("HUBPULSE_HOME", str(published_shape(tmp_path / "older",
                                                            without=("fct_organization_milestones",))))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("views/trajectories.py").run()
    assert not at.exception and not at.metric
    assert "has no `fct_organization_milestones` mart" in at.error[0].value and "make demo" in at.error[0].value


# ------------------------------------------------------------------------------------------ 7. claims

CLAIM_MARTS = ("fct_rankings", "fct_release_licences", "fct_release_languages", "fct_language_family_downloads")


def percent_text(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value * 100:,.1f}%"


def expected_claims(marts, focus="china", regions=None, period_type="release_month", measure="likes",
                    n=None) -> dict:
    """The claims page's headline, charts and tables, from the published marts (the shares are the marts')."""
    regions = list(regions or REGION_ORDER)
    rankings = marts["fct_rankings"]
    n = n or int(rankings["top_n"].min())
    ranked = rankings[(rankings["period_type"] == period_type) & (rankings["ranking_measure"] == measure)
                      & (rankings["top_n"] == n)]
    latest = ranked["period_start"].max()
    period = ranked[ranked["period_start"] == latest]
    mine = period[period["region"] == focus]
    led = {True: 0, False: 0}
    periods = {True: 0, False: 0}
    for _start, group in ranked.groupby("period_start"):
        post = bool(group["is_post_r1"].iloc[0])
        periods[post] += 1
        if focus in set(group.loc[group["best_rank"] == 1, "region"]):  # the region held the first place
            led[post] += 1

    licences = marts["fct_release_licences"]
    released = licences[(licences["region"] == focus) & licences["release_share"].notna()]
    month = released["month_start"].max()
    in_month = released[released["month_start"] == month]

    languages = marts["fct_release_languages"]
    own = languages[languages["region"] == focus].sort_values("month_start")
    last = own.iloc[-1]
    families = marts["fct_language_family_downloads"]
    downloaded = families[(families["region"] == focus) & families["download_share"].notna()]
    family_month = downloaded["month_start"].max()
    return {
        "n": n,
        "period": dates(pd.Series([latest])).iloc[0],
        "share": None if mine.empty else float(mine["share_of_top"].iloc[0]),
        "in_top": 0 if mine.empty else int(mine["models_in_top"].iloc[0]),
        "best_rank": None if mine.empty else int(mine["best_rank"].iloc[0]),
        "period_models": int(period["period_models"].iloc[0]),
        "led": led,
        "periods": periods,
        "ranking_rows": ranked[ranked["region"].isin(regions)],
        "licence_month": dates(pd.Series([month])).iloc[0],
        "licence_releases": int(in_month["releases"].sum()),
        "licence_families": {f: (float(s), int(r)) for f, s, r in
                             zip(in_month["license_family"], in_month["release_share"], in_month["releases"],
                                 strict=True)},
        "licence_rows": licences[licences["region"] == focus],
        "language_month": dates(pd.Series([last["month_start"]])).iloc[0],
        "beyond_share": float(last["share_beyond_english"]),
        "beyond": int(last["releases_beyond_english"]),
        "releases": int(last["releases"]),
        "mean_languages": last["mean_languages_declared"],
        "beyond_since_r1": int(own["releases_beyond_english_since_r1"].sum()),
        "releases_since_r1": int(own["releases_since_r1"].sum()),
        "language_rows": languages[languages["region"].isin(regions)],
        "family_rows": downloaded[downloaded["month_start"] == family_month],
    }


REGION_ORDER = ("china", "us", "eu", "other", "unknown", "unclassified")


def chart_with(at, *columns) -> pd.DataFrame:
    """The data set of the page's chart carrying every one of `columns`."""
    found = [f for c in charts(at) for f in chart_frames(c) if set(columns) <= set(f.columns)]
    assert found, f"no chart draws {columns}"
    return found[0]


def assert_claims(at, expected, focus="china", period_type="release_month") -> None:
    n = expected["n"]
    when = (f"the week of {expected['period']:%Y-%m-%d}" if period_type == "release_week"
            else f"{expected['period']:%Y-%m}")
    share = metric(at, f"Share of the top {n}")
    assert share.value == percent_text(expected["share"])
    assert share.delta == (f"{focus}: no ranked model in {when}" if expected["share"] is None else
                           f"{focus}: {expected['in_top']} of the top {n} in {when}")
    led = metric(at, "Periods led since R1")
    assert number(led) == expected["led"][True]
    assert led.delta == (f"of {expected['periods'][True]:,}; {expected['led'][False]:,} of "
                         f"{expected['periods'][False]:,} before R1")
    best = metric(at, "Best rank, latest period")
    assert best.value == ("—" if expected["best_rank"] is None else str(expected["best_rank"]))
    assert best.delta == f"of {expected['period_models']:,} models ranked in {when}"

    for family in ("permissive", "restricted", "unknown"):
        value, count = expected["licence_families"].get(family, (0.0, 0))
        shown = metric(at, f"{family.capitalize()} licence share")
        assert shown.value == percent_text(value)
        assert shown.delta == (f"{focus}: {count:,} of {expected['licence_releases']:,} releases in "
                               f"{expected['licence_month']:%Y-%m}")

    beyond = metric(at, "Beyond English, latest month")
    assert beyond.value == percent_text(expected["beyond_share"])
    assert beyond.delta == (f"{focus}: {expected['beyond']:,} of {expected['releases']:,} releases in "
                            f"{expected['language_month']:%Y-%m}")
    mean = expected["mean_languages"]
    assert metric(at, "Languages declared").value == ("—" if pd.isna(mean) else f"{mean:,.1f}")
    since = metric(at, "Beyond English since R1")
    assert number(since) == expected["beyond_since_r1"]
    assert since.delta == f"of {expected['releases_since_r1']:,} releases since R1"

    # The charts draw the marts' own shares, selected, never recomputed.
    def keyed(frame, *columns):
        return sorted(zip(*(dates(frame[c]) if c.endswith("_start") else frame[c].round(12) if
                            frame[c].dtype.kind == "f" else frame[c] for c in columns), strict=True))

    rows = expected["ranking_rows"]
    assert keyed(chart_with(at, "share_of_top", "period_end"), "period_start", "region", "share_of_top") == keyed(
        rows, "period_start", "region", "share_of_top")
    licences = expected["licence_rows"]
    releases = licences[licences["release_share"].notna()]
    drawn = chart_with(at, "license_family", "release_share")
    drawn = drawn[drawn["release_share"].notna()]
    assert keyed(drawn, "month_start", "license_family", "release_share") == keyed(
        releases, "month_start", "license_family", "release_share")
    lines = chart_with(at, "share_beyond_english")
    assert keyed(lines, "month_start", "region", "share_beyond_english") == keyed(
        expected["language_rows"], "month_start", "region", "share_beyond_english")
    bars = chart_with(at, "language_family", "download_share")
    assert keyed(bars, "language_family", "download_share") == keyed(
        expected["family_rows"], "language_family", "download_share")

    # The tables behind them: rankings and languages of the chosen regions, licences of the region in focus.
    assert [len(d.value) for d in at.dataframe] == [len(rows), len(licences), len(expected["language_rows"])]


def test_claims_headline_and_charts_equal_the_marts(app, marts):
    at = app("claims.py")
    expected = expected_claims(marts)
    assert len(expected["ranking_rows"]) > 0 and expected["releases"] > 0 and len(expected["family_rows"]) > 0
    assert_claims(at, expected)
    assert len(charts(at)) == 5

    sizes = sorted(int(n) for n in marts["fct_rankings"]["top_n"].unique())
    at.selectbox(key="claims_focus").set_value("us")
    at.multiselect(key="claims_regions").set_value(["china", "us"])
    at.segmented_control(key="claims_period").set_value("live_month")
    at.segmented_control(key="claims_measure").set_value("downloads_30d")
    at.selectbox(key="claims_top_n").set_value(sizes[-1])
    at.run()
    assert_clean(at)
    narrowed = expected_claims(marts, focus="us", regions=["china", "us"], period_type="live_month",
                               measure="downloads_30d", n=sizes[-1])
    assert len(narrowed["ranking_rows"]) < len(marts["fct_rankings"])
    assert_claims(at, narrowed, focus="us", period_type="live_month")

    at.segmented_control(key="claims_period").set_value("release_week").run()
    assert_clean(at)
    weekly = expected_claims(marts, focus="us", regions=["china", "us"], period_type="release_week",
                             measure="downloads_30d", n=sizes[-1])
    assert_claims(at, weekly, focus="us", period_type="release_week")


def test_claims_of_empty_marts_and_of_a_version_without_them(tmp_path, monkeypatch):
    from test_summary import build_warehouse

    # A version published before the claim marts: each section says so, nothing fails.
    (tmp_path / "older").mkdir()
    monkeypatch.setenv("HUBPULSE_HOME", str(published_shape(tmp_path / "older", without=CLAIM_MARTS)))
    at = open_page("claims.py")
    assert not at.metric and not charts(at)
    notes = [i.value for i in at.info]
    for mart in ("fct_rankings", "fct_release_licences", "fct_release_languages"):
        assert any(f"has no `{mart}` mart yet" in note and "make demo" in note for note in notes), mart

    # The marts built over an empty history: each section says there is nothing yet.
    warehouse = build_warehouse(tmp_path / "empty.duckdb", days=0, without=CLAIM_MARTS)
    con = duckdb.connect(str(warehouse))
    con.execute("create table marts.fct_rankings (period_type varchar, period_start date, ranking_measure varchar, "
                "top_n integer, region varchar, is_post_r1 boolean, period_models bigint, region_models bigint, "
                "models_in_top bigint, share_of_top double, best_rank bigint)")
    con.execute("create table marts.fct_release_licences (region varchar, month_start date, license_family varchar, "
                "is_post_r1 boolean, releases bigint, releases_before_r1 bigint, releases_since_r1 bigint, "
                "release_share double, downloads hugeint, downloads_before_r1 hugeint, downloads_since_r1 hugeint, "
                "download_share double)")
    con.execute("create table marts.fct_release_languages (region varchar, month_start date, is_post_r1 boolean, "
                "releases bigint, releases_before_r1 bigint, releases_since_r1 bigint, "
                "releases_declaring_languages bigint, releases_beyond_english bigint, "
                "releases_beyond_english_before_r1 bigint, releases_beyond_english_since_r1 bigint, "
                "share_beyond_english double, mean_languages_declared double, max_languages_declared bigint)")
    con.execute("create table marts.fct_language_family_downloads (region varchar, month_start date, "
                "language_family varchar, is_post_r1 boolean, models bigint, downloads hugeint, "
                "download_share double)")
    con.close()
    home = tmp_path / "empty_home"
    serving.publish(warehouse, serving.serving_dir(home))
    monkeypatch.setenv("HUBPULSE_HOME", str(home))
    at = open_page("claims.py")
    assert not at.metric and not charts(at) and not at.dataframe
    notes = " ".join(i.value for i in at.info)
    assert "No model is ranked in the published `fct_rankings` yet" in notes
    assert "`fct_release_licences` yet" in notes and "`fct_release_languages` yet" in notes


def test_pages_compile_without_ast_parse(monkeypatch):
    """With the app's options, no page goes through `ast.parse` (Streamlit's magic): CPython 3.11 shares the AST
    state between threads, and two script threads parsing at once fail with "AST constructor recursion depth
    mismatch" (seen once under load). AppTest compiles afresh on every run, so this sees every page's compile."""
    import ast

    parsed, parse = [], ast.parse

    def record(source, filename="<unknown>", *args, **kwargs):
        parsed.append(str(filename))
        return parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", record)
    for page in PAGES:
        open_page(page.file)
    assert not [name for name in parsed if name.startswith(str(APP.parent))], parsed


def test_the_dashboard_command_passes_the_apps_streamlit_options(monkeypatch, tmp_path):
    """`hubpulse dashboard` runs Streamlit with `STREAMLIT_OPTIONS`, the options the AppTest suite runs with."""
    from orchestration.cli import main as cli

    seen = {}

    def execve(path, argv, env):
        seen["argv"] = argv
        raise SystemExit(0)

    monkeypatch.setattr(os, "execve", execve)
    with pytest.raises(SystemExit):
        cli.main(["dashboard", "--home", str(tmp_path)])
    argv = seen["argv"]
    for key, value in STREAMLIT_OPTIONS.items():
        assert argv[argv.index(f"--{key}") + 1] == str(value).lower()
