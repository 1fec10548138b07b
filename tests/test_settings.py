"""One home per setting: every variable is a field of `Settings`, validated once with a clear error, documented in
`.env.example` and the README with its default; the Hub token never enters it; the constants SQL and Python share
are read from dbt_project.yml by both."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest
import yaml

from orchestration import settings
from orchestration.hub.scope import Scope
from orchestration.resources import hub_client_from_env
from orchestration.settings import QualityThresholds, Settings, SettingsError, get_settings

ENV_EXAMPLE = settings.PROJECT_ROOT / ".env.example"
README = settings.PROJECT_ROOT / "README.md"
ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def _documented() -> tuple[set[str], dict[str, str]]:
    """Every variable `.env.example` names (commented or not), and the values of the lines that set one."""
    names, values = set(), {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line.strip())
        if match:
            names.add(match.group(2))
            if not match.group(1):
                values[match.group(2)] = match.group(3)
    return names, values


def test_env_example_documents_every_setting_and_nothing_else():
    names, _values = _documented()
    known = set(Settings.variables()) | set(settings.NOT_SETTINGS)
    assert set(Settings.variables()) - names == set(), "settings missing from .env.example"
    assert names - known == set(), "variables in .env.example that no setting reads"
    assert len(Settings.variables()) == len(set(Settings.variables()))


def test_env_example_shows_the_defaults():
    _names, values = _documented()
    assert values, ".env.example sets no variable"
    defaults = Settings.from_env({})
    for name, value in values.items():
        assert Settings.from_env({name: value}) == defaults, f"{name}={value} in .env.example is not the default"


def test_readme_configuration_names_every_setting():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Configuration\n"):]
    section = section[: section.index("\n## ", 1)]
    top_level = [v for v in Settings.variables() if not v.startswith(settings.QUALITY_PREFIX)]
    missing = [v for v in [*top_level, *settings.NOT_SETTINGS] if f"`{v}" not in section]
    assert missing == []
    assert "HUBPULSE_QUALITY_<FIELD>" in section


def test_every_field_has_a_variable_a_description_and_an_accepted_form():
    for name, info in Settings.model_fields.items():
        assert info.description, name
        if name != "quality":
            assert info.alias and info.json_schema_extra["accepted"], name
    assert all(info.description for info in QualityThresholds.model_fields.values())


def test_defaults_and_derived_values():
    s = Settings.from_env({})
    assert s.home == Path("data").resolve() and s.archive_dir == s.home / "archive"
    assert (s.source, s.endpoint, s.start_date.isoformat()) == ("local", None, "2024-10-01")
    assert (s.daily_cron, s.schedules_running, s.automation, s.automation_interval_seconds) == (
        "0 2 * * *", False, "running", 60)
    assert (s.ingest_retries, s.ingest_retry_delay_seconds, s.freshness_max_age_hours) == (3, 120.0, 36.0)
    assert s.quality == QualityThresholds()
    assert Settings.from_env({"HUBPULSE_SOURCE": " LIVE "}).schedules_running
    assert not Settings.from_env({"HUBPULSE_SOURCE": "live", "HUBPULSE_SCHEDULES": "stopped"}).schedules_running
    live = Settings.from_env({"HUBPULSE_SOURCE": "live", "HF_ENDPOINT": "https://hf.example/",
                              "HUBPULSE_LOCAL_ENDPOINT": "http://127.0.0.1:1"})
    assert live.endpoint == "https://hf.example"
    # A blank value is the default, as if unset.
    assert Settings.from_env({"HUBPULSE_HOME": "  ", "HUBPULSE_TOP_N": "", "HUBPULSE_QUALITY_MIN_ROWS": " "}) == s


def test_scope_settings_resolve_into_the_scope_resource(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HUBPULSE_SCOPE_ORGS", "Qwen, zai-org")
    monkeypatch.setenv("HUBPULSE_TOP_N", "5")
    monkeypatch.setenv("HUBPULSE_TOP_N_LIKES", "2")
    monkeypatch.setenv("HUBPULSE_FULL_CRAWL", "yes")
    scope = Scope.from_env()
    assert (scope.organisations, scope.top_n_downloads, scope.top_n_likes, scope.top_n_trending, scope.full) == (
        ["Qwen", "zai-org"], 5, 2, 5, True)
    monkeypatch.setenv("HUBPULSE_SCOPE_ORGS", "seed")
    monkeypatch.setenv("HUBPULSE_FULL_CRAWL", "off")
    scope = Scope.from_env()
    assert scope.organisations is None and scope.tracked()[:1] and not scope.full
    assert [q.name for q in scope.queries()][: len(scope.tracked())] == [f"author:{o}" for o in scope.tracked()]


@pytest.mark.parametrize(("environ", "message"), [
    ({"HUBPULSE_SOURCE": "remote"}, "HUBPULSE_SOURCE must be 'live' or 'local', got 'remote'"),
    ({"HUBPULSE_TOP_N_LIKES": "ten"}, "HUBPULSE_TOP_N_LIKES must be a whole number, got 'ten'"),
    ({"HUBPULSE_FULL_CRAWL": "maybe"}, "HUBPULSE_FULL_CRAWL must be 1 or 0"),
    ({"HUBPULSE_DAILY_AT": "7pm"}, "HUBPULSE_DAILY_AT must be a UTC time of day as HH:MM"),
    ({"HUBPULSE_SCHEDULES": "paused"}, "HUBPULSE_SCHEDULES must be `running` or `stopped`"),
    ({"HUBPULSE_AUTOMATION": "off"}, "HUBPULSE_AUTOMATION must be `running` or `stopped`"),
    ({"HUBPULSE_AUTOMATION_INTERVAL_SECONDS": "1"}, "whole seconds in 5..86400"),
    ({"HUBPULSE_INGEST_RETRIES": "-1"}, "HUBPULSE_INGEST_RETRIES must be >= 0"),
    ({"HUBPULSE_INGEST_RETRY_DELAY_SECONDS": "soon"}, "HUBPULSE_INGEST_RETRY_DELAY_SECONDS must be a number"),
    ({"HUBPULSE_FRESHNESS_MAX_AGE_HOURS": "0"}, "HUBPULSE_FRESHNESS_MAX_AGE_HOURS must be positive"),
    ({"HUBPULSE_START_DATE": "2024-02-30"}, "HUBPULSE_START_DATE: not a valid calendar date"),
    ({"HUBPULSE_LOCAL_ENDPOINT": "localhost:8765"}, "HUBPULSE_LOCAL_ENDPOINT must be an http"),
    ({"HUBPULSE_DUCKDB_MEMORY_LIMIT": "lots"}, "HUBPULSE_DUCKDB_MEMORY_LIMIT must be a DuckDB size"),
    ({"HUBPULSE_QUALITY_EXAMPLES": "0"}, "HUBPULSE_QUALITY_EXAMPLES"),
    ({"HUBPULSE_QUALITY_DATA_DOCS": "maybe"}, "HUBPULSE_QUALITY_DATA_DOCS='maybe' is not a valid bool"),
])  # fmt: skip
def test_a_wrong_value_names_its_variable_and_the_accepted_form(environ: dict, message: str):
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env(environ)


def test_every_wrong_value_is_reported_at_once():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"HUBPULSE_TOP_N": "-3", "HUBPULSE_DAILY_AT": "25:00", "HUBPULSE_QUALITY_NOPE": "1"})
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert any("HUBPULSE_TOP_N" in line for line in lines) and any("HUBPULSE_DAILY_AT" in line for line in lines)
    assert any("unknown quality setting(s) HUBPULSE_QUALITY_NOPE" in line for line in lines)


def test_settings_are_read_once_per_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("HUBPULSE_HOME", str(tmp_path / "a"))
    first = get_settings()
    assert get_settings() is first and first.home == tmp_path / "a"
    monkeypatch.setenv("HUBPULSE_HOME", str(tmp_path / "b"))
    assert get_settings().home == tmp_path / "b" and settings.hubpulse_home() == tmp_path / "b"
    monkeypatch.setenv("HUBPULSE_INGEST_RETRIES", "x")
    with pytest.raises(SettingsError, match="HUBPULSE_INGEST_RETRIES"):
        get_settings()


def test_the_hub_token_never_enters_the_settings(monkeypatch: pytest.MonkeyPatch):
    secret = "hf_settings_must_not_hold_this"
    monkeypatch.setenv("HF_TOKEN", secret)
    monkeypatch.setenv("HUBPULSE_SOURCE", "live")
    assert secret not in repr(get_settings()) and secret not in get_settings().model_dump_json()
    client = hub_client_from_env()
    assert isinstance(client.token, dg.EnvVar) and client.token == "HF_TOKEN"


# ------------------------------------------------------------------------------------------ shared constants


def test_python_reads_the_constants_the_sql_reads():
    shared = yaml.safe_load((settings.DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    assert settings.R1_RELEASE_DATE == shared["r1_release_date"] == "2025-01-20"
    assert settings.PLACEHOLDER_CREATED_AT == shared["placeholder_created_at"] == "2022-03-02T23:29:04.000Z"
    assert settings.ATTRIBUTED_REGIONS == tuple(shared["attributed_regions"])
    assert settings.UNATTRIBUTED_REGIONS == tuple(shared["unattributed_regions"])


def test_the_dbt_sql_has_no_copy_of_the_shared_constants():
    """Comments may name the dates; SQL literals may not (they read `var(...)`)."""
    literals = re.compile(r"'2025-01-20'|'2022-03-02[ T]23:29:04|\('us', 'china'")
    copies = []
    for path in sorted((settings.DBT_PROJECT_DIR / "models").rglob("*.sql")) + sorted(
            (settings.DBT_PROJECT_DIR / "macros").rglob("*.sql")):
        text = re.sub(r"--[^\n]*|\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        copies += [f"{path.name}: {m.group(0)}" for m in literals.finditer(text)]
    assert copies == []
