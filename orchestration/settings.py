"""Every setting of hubpulse, read from the environment once, in one typed object: `Settings`.

`get_settings()` is the one reader: every module asks it instead of `os.environ`, and the Dagster resources
are built from it (`orchestration/resources.py`). Each field names its variable (`alias`), its default and its
description; `.env.example` documents the same variables (a test keeps the two equal). A wrong value fails with
one `SettingsError` naming the variable and the accepted form. The Hub token is not a setting: it stays a
`dg.EnvVar("HF_TOKEN")`, so its value never enters this object, its repr or a log.

The constants SQL and Python share (the regions, DeepSeek-R1's release date, the Hub's placeholder creation
time) live as `vars:` in `dbt_project/dbt_project.yml`, read here once at import.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

if TYPE_CHECKING:
    import dagster as dg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
ORG_REGIONS_CSV = SEEDS_DIR / "organization_regions.csv"
TRACKED_MODELS_CSV = Path(__file__).resolve().parent / "hub" / "reference" / "tracked_models.csv"


@functools.cache
def dbt_vars() -> dict[str, Any]:
    """The `vars:` of `dbt_project/dbt_project.yml`: the constants the SQL (`{{ var('...') }}`) and Python share."""
    with open(DBT_PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh)["vars"])


# The Hub's placeholder creation time for every repo older than 2022-03-02: not a real release date.
PLACEHOLDER_CREATED_AT: str = dbt_vars()["placeholder_created_at"]
# DeepSeek-R1's release, the pivot date of every before/after comparison.
R1_RELEASE_DATE: str = dbt_vars()["r1_release_date"]
# The regions an analysis compares; `unknown` (the seed cannot tell) and `unclassified` (no seed knows the
# organisation) are region values that are not regions: reported beside the shares, never inside them.
ATTRIBUTED_REGIONS: tuple[str, ...] = tuple(dbt_vars()["attributed_regions"])
UNATTRIBUTED_REGIONS: tuple[str, ...] = tuple(dbt_vars()["unattributed_regions"])

# dbt-duckdb reads raw partitions through a glob pattern quoted in SQL (`read_parquet('<home>/raw/...*.parquet')`):
# a quote would end the literal, and a glob character would widen what is read beyond HUBPULSE_HOME.
_UNSAFE_PATH_CHARACTERS = frozenset("'\"*?[]{}\\")


def validate_home(path: str | Path, name: str = "HUBPULSE_HOME") -> Path:
    """`path` made absolute, after refusing characters that would change what SQL or a glob over it reads."""
    text = str(path)
    if not text.strip():
        raise ValueError(f"{name} is empty: give a folder (default ./data)")
    bad = sorted({c for c in text if c in _UNSAFE_PATH_CHARACTERS or ord(c) < 32 or ord(c) == 127})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(
            f"{name} {text!r} contains {shown}: dbt and DuckDB read raw partitions through a glob quoted in SQL, "
            "where quotes, glob characters and control characters would change what is read; choose a path without them"
        )
    resolved = Path(text).expanduser().resolve()
    if resolved == Path(resolved.anchor):
        raise ValueError(f"{name} must not be the filesystem root ({resolved})")
    return resolved


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def validate_raw_uri(value: str | Path, name: str = "HUBPULSE_RAW_URI") -> str:
    """Where raw partitions live: `s3://bucket[/prefix]` (without its trailing slash) or a local folder (made
    absolute). Credentials never belong in it: they come from the AWS environment variables (botocore's own)."""
    text = str(value).strip()
    if not text.startswith("s3://"):
        if "://" in text:
            raise ValueError(f"{name} must be s3://bucket/prefix or a local folder, got {text!r}")
        return str(validate_home(text, name))
    parts = urlsplit(text)
    # Checked first, and the value never repeated: a URI with credentials in it must not reach a log.
    if "@" in parts.netloc or parts.query or parts.fragment or "?" in text or "#" in text:
        raise ValueError(f"{name} must be a plain s3://bucket/prefix (no user:password@, query or fragment): "
                         "credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
    if not _BUCKET.fullmatch(parts.netloc or ""):
        raise ValueError(f"{name}: {parts.netloc!r} is not an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
    prefix = parts.path.strip("/")
    bad = sorted({c for c in prefix if c in _UNSAFE_PATH_CHARACTERS or ord(c) < 32 or ord(c) == 127})
    if bad or "//" in prefix:
        raise ValueError(f"{name}: the prefix {prefix!r} has an empty segment or a quote, glob or control character "
                         "(dbt reads raw partitions through a glob quoted in SQL)")
    return f"s3://{parts.netloc}/{prefix}" if prefix else f"s3://{parts.netloc}"


def validate_url(value: str, name: str) -> str:
    """An http(s) URL with a host and nothing after it but a path (no credentials, query or fragment, which
    would end up in logs), without its trailing slash."""
    parts = urlsplit(value)
    # Checked first, and the value never repeated: a URL with credentials in it must not reach a log.
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{name} must be a plain URL (no user:password@, query or fragment)")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an http(s) URL such as https://huggingface.co, got {value!r}")
    return value.rstrip("/")


def daily_cron(value: str, name: str = "HUBPULSE_DAILY_AT") -> str:
    """The cron expression of a UTC time of day given as HH:MM."""
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if not match:
        raise ValueError(f"{name} must be a UTC time of day as HH:MM, got {value!r}")
    return f"{int(match.group(2))} {int(match.group(1))} * * *"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_flag(text: str, name: str) -> bool:
    """A yes/no value: `1/true/yes/on` or `0/false/no/off`, any case."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), got {text!r}")


def parse_org_list(value: str, name: str = "HUBPULSE_SCOPE_ORGS") -> tuple[str, ...] | None:
    """`seed` (None: every namespace of the organisations seed) or a comma-separated list of Hub namespaces."""
    if value.strip() in ("", "seed"):
        return None
    orgs = tuple(part.strip() for part in value.split(",") if part.strip())
    for org in orgs:
        if "/" in org or not org.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"{name}: {org!r} is not a Hub namespace")
    return orgs


# Variables hubpulse documents but does not read as settings (`.env.example` lists them too).
NOT_SETTINGS = {
    "HF_TOKEN": "the live Hub's token: a secret, read only through dg.EnvVar, never into Settings or a log",
    "DAGSTER_HOME": "Dagster's own instance folder",
    "HUBPULSE_DBT_MANIFEST_DIR": "where the prepared dbt manifest is (orchestration/dbt/project.py); tests set it",
    "HUBPULSE_WINDOW_START": "the window Dagster hands each dbt run (orchestration/dbt/assets.py), set per run",
    "HUBPULSE_WINDOW_END": "the window Dagster hands each dbt run (orchestration/dbt/assets.py), set per run",
    "HUBPULSE_SPARK_HOST": "the Thrift server of HUBPULSE_DBT_TARGET=spark_thrift, read by dbt_project/profiles.yml only",
    "HUBPULSE_SPARK_PORT": "its port (default 10000), read by dbt_project/profiles.yml only",
    "AWS_ACCESS_KEY_ID": "object-store credentials for an s3:// HUBPULSE_RAW_URI, read by botocore only, never logged",
    "AWS_SECRET_ACCESS_KEY": "object-store credentials for an s3:// HUBPULSE_RAW_URI, read by botocore only, never logged",
    "AWS_DEFAULT_REGION": "the object store's region, read by botocore",
    "AWS_ENDPOINT_URL": "an S3-compatible server (MinIO, Ceph, moto) instead of AWS, read by botocore",
}


class SettingsError(ValueError):
    """A setting in the environment has a value hubpulse cannot use (the message names each one and says why)."""


QUALITY_PREFIX = "HUBPULSE_QUALITY_"


class QualityThresholds(BaseModel):
    """Thresholds of the Great Expectations suites, each set as `HUBPULSE_QUALITY_<FIELD IN CAPITALS>`.

    The `quality` resource (`orchestration.quality.config.QualityConfig`) is this model as a Dagster resource.
    """

    model_config = ConfigDict(frozen=True)

    min_row_ratio: float = Field(
        default=0.8, ge=0.0, le=1.0,
        description="a raw partition needs at least this share of the previous existing partition's rows "
        "(a crawl that lost pages fails)",
    )
    max_row_ratio: float = Field(
        default=1.5, ge=1.0, description="... and at most this multiple of them (a scope gone wrong)"
    )
    min_rows: int = Field(default=1, ge=0, description="fewest rows of any raw partition (the first one included)")
    max_missing_downloads_all_time_share: float = Field(
        default=0.05, ge=0.0, le=1.0, description="largest share of a partition's models without downloadsAllTime"
    )
    created_at_grace_hours: float = Field(
        default=0.0, ge=0.0, description="how far past the end of the snapshot date a createdAt may be"
    )
    max_unclassified_download_share: float = Field(
        default=0.5, ge=0.0, le=1.0,
        description="largest share of a partition's 30-day downloads whose author no organisation seed knows "
        "(over it: a WARN, never a failure)",
    )
    examples: int = Field(default=10, ge=1, le=1000, description="failing values shown per expectation")
    data_docs: bool = Field(default=True, description="write Great Expectations Data Docs under $HUBPULSE_HOME/quality")
    data_docs_index_limit: int = Field(
        default=500, ge=1, description="validations listed on the Data Docs index page (newest first)"
    )
    raw_batch_rows: int = Field(
        default=2_000_000, ge=1,
        description="a ranged run's raw partitions are validated together, in batches of whole partitions of "
        "at most this many rows",
    )

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of a field: `HUBPULSE_QUALITY_<FIELD>`."""
        return QUALITY_PREFIX + field.upper()

    @classmethod
    def from_strings(cls, values: Mapping[str, str]) -> dict[str, Any]:
        """Field values parsed from `{variable: text}` (unknown `HUBPULSE_QUALITY_*` names are refused)."""
        known = {cls.variable(name): name for name in cls.model_fields}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown quality setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
        parsed = {}
        for variable, text in values.items():
            name = known[variable]
            kind = cls.model_fields[name].annotation
            try:
                if kind is bool:
                    parsed[name] = parse_flag(text, variable)
                else:
                    parsed[name] = kind(text.strip())
            except ValueError as exc:
                raise ValueError(f"{variable}={text!r} is not a valid {kind.__name__}: {exc}") from None
        return parsed


def _setting(default: Any, variable: str, description: str, accepted: str, **constraints) -> Any:
    """A field read from `variable`; `accepted` is the form error messages and the docs state."""
    return Field(default, alias=variable, description=description, json_schema_extra={"accepted": accepted},
                 **constraints)


class Settings(BaseModel):
    """The whole configuration, validated once. Fields take their names in Python, aliases in the environment."""

    # validate_default: the defaults go through the same checks (HUBPULSE_HOME's default is made absolute).
    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True, validate_default=True)

    # Where things are.
    home: Path = _setting(
        Path("data"), "HUBPULSE_HOME",
        "Root of everything hubpulse writes: raw partitions, warehouse, quality docs, serving copies, Dagster instance.",
        "a folder path without quotes, glob or control characters, not the filesystem root",
    )
    raw_uri: str | None = _setting(
        None, "HUBPULSE_RAW_URI",
        "Where raw partitions live (default $HUBPULSE_HOME/raw): a local folder or an S3-compatible bucket and "
        "prefix, `s3://bucket/prefix` (credentials and endpoint from the AWS_* variables).",
        "s3://bucket[/prefix] or a folder path without quotes, glob or control characters",
    )
    source: Literal["local", "live"] = _setting(
        "local", "HUBPULSE_SOURCE",
        "Source of snapshots: `local` (an archive served by the project's own Hub on loopback) or `live`.",
        "'live' or 'local'",
    )
    archive: Path | None = _setting(
        None, "HUBPULSE_ARCHIVE", "Archive the local source serves (default $HUBPULSE_HOME/archive).", "a folder path"
    )
    local_endpoint: str | None = _setting(
        None, "HUBPULSE_LOCAL_ENDPOINT",
        "A running `hubpulse serve-hub` to use instead of an in-process local Hub.", "an http(s) URL",
    )
    hf_endpoint: str | None = _setting(
        None, "HF_ENDPOINT", "The live Hub's endpoint (default https://huggingface.co).", "an http(s) URL"
    )
    start_date: dt.date = _setting(
        dt.date(2024, 10, 1), "HUBPULSE_START_DATE", "First daily partition.", "a YYYY-MM-DD date"
    )
    duckdb_memory_limit: str = _setting(
        "2GB", "HUBPULSE_DUCKDB_MEMORY_LIMIT",
        "DuckDB's memory limit for dbt (read by dbt_project/profiles.yml).", "a DuckDB size such as 2GB or 512MB",
    )
    dbt_target: Literal["duckdb", "spark", "spark_thrift"] = _setting(
        "duckdb", "HUBPULSE_DBT_TARGET",
        "The engine dbt builds the warehouse on (the output of dbt_project/profiles.yml it selects): `duckdb`, "
        "`spark` (an in-process Spark session, its warehouse under $HUBPULSE_HOME/spark) or `spark_thrift` (a "
        "cluster's Thrift server, HUBPULSE_SPARK_HOST / HUBPULSE_SPARK_PORT).",
        "`duckdb`, `spark` or `spark_thrift`",
    )
    # What a snapshot covers.
    scope_orgs: tuple[str, ...] | None = _setting(
        None, "HUBPULSE_SCOPE_ORGS",
        "Tracked organisations: `seed` (every namespace of dbt_project/seeds/organization_regions.csv) or a "
        "comma-separated list of Hub namespaces.",
        "`seed` or a comma-separated list of Hub namespaces",
    )
    top_n: int = _setting(1000, "HUBPULSE_TOP_N", "Hub-wide top N by downloads, likes and trending score.",
                          "a whole number >= 0")
    top_n_downloads: int | None = _setting(None, "HUBPULSE_TOP_N_DOWNLOADS", "HUBPULSE_TOP_N for downloads.",
                                           "a whole number >= 0")
    top_n_likes: int | None = _setting(None, "HUBPULSE_TOP_N_LIKES", "HUBPULSE_TOP_N for likes.",
                                       "a whole number >= 0")
    top_n_trending: int | None = _setting(None, "HUBPULSE_TOP_N_TRENDING", "HUBPULSE_TOP_N for trending score.",
                                          "a whole number >= 0")
    scope_derivatives: bool = _setting(
        True, "HUBPULSE_SCOPE_DERIVATIVES",
        "Also list the children of every tracked organisation's model (`filter=base_model:ORG/NAME`).",
        "1 or 0 (true/false, yes/no, on/off)",
    )
    full_crawl: bool = _setting(
        False, "HUBPULSE_FULL_CRAWL", "Crawl the whole Hub instead (opt-in; ~2,500 pages on the real Hub).",
        "1 or 0 (true/false, yes/no, on/off)",
    )
    # How it runs.
    daily_at: str = _setting("02:00", "HUBPULSE_DAILY_AT", "Time of the daily run (UTC).", "HH:MM")
    schedules: Literal["running", "stopped"] | None = _setting(
        None, "HUBPULSE_SCHEDULES",
        "Default state of the schedules: running with HUBPULSE_SOURCE=live, stopped with the local archive.",
        "`running` or `stopped`",
    )
    automation: Literal["running", "stopped"] = _setting(
        "running", "HUBPULSE_AUTOMATION",
        "The automation sensor that rebuilds models after raw days change.", "`running` or `stopped`",
    )
    automation_interval_seconds: int = _setting(
        60, "HUBPULSE_AUTOMATION_INTERVAL_SECONDS", "How often the automation sensor evaluates.",
        "whole seconds in 5..86400",
    )
    ingest_retries: int = _setting(
        3, "HUBPULSE_INGEST_RETRIES",
        "Retries of the ingestion step after the client's own per-request retries gave up.", "a whole number >= 0",
    )
    ingest_retry_delay_seconds: float = _setting(
        120.0, "HUBPULSE_INGEST_RETRY_DELAY_SECONDS", "First delay between those retries (doubles, with jitter).",
        "a number of seconds >= 0",
    )
    freshness_max_age_hours: float = _setting(
        36.0, "HUBPULSE_FRESHNESS_MAX_AGE_HOURS",
        "The raw freshness check warns when the newest raw partition is older than this.", "a positive number of hours",
    )
    quality: QualityThresholds = Field(
        default_factory=QualityThresholds, description="HUBPULSE_QUALITY_<FIELD>: the quality checks' thresholds"
    )

    # ------------------------------------------------------------------------------------- parsing and checks

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of a field."""
        return cls.model_fields[field].alias or field

    @field_validator("home", mode="before")
    @classmethod
    def _home(cls, value, info: ValidationInfo):
        return validate_home(value, cls.variable(info.field_name))

    @field_validator("raw_uri", mode="before")
    @classmethod
    def _raw_uri(cls, value, info: ValidationInfo):
        return validate_raw_uri(value, cls.variable(info.field_name)) if value is not None else None

    @field_validator("source", "schedules", "automation", "dbt_target", mode="before")
    @classmethod
    def _choice(cls, value, info: ValidationInfo):
        if value is None:
            return None
        name = cls.variable(info.field_name)
        text = value.strip().lower() if isinstance(value, str) else value
        accepted = {
            "source": ("live", "local"),
            "dbt_target": ("duckdb", "spark", "spark_thrift"),
        }.get(info.field_name, ("running", "stopped"))
        if text not in accepted:
            if info.field_name == "source":
                raise ValueError(f"{name} must be 'live' or 'local', got {text!r}")
            if info.field_name == "dbt_target":
                raise ValueError(f"{name} must be `duckdb`, `spark` or `spark_thrift`, got {text!r}")
            raise ValueError(f"{name} must be `running` or `stopped`, got {text!r}")
        return text

    @field_validator("archive", mode="before")
    @classmethod
    def _archive(cls, value):
        return Path(value).expanduser().resolve() if value is not None else None

    @field_validator("local_endpoint", "hf_endpoint", mode="before")
    @classmethod
    def _url(cls, value, info: ValidationInfo):
        return validate_url(value.strip(), cls.variable(info.field_name)) if value is not None else None

    @field_validator("start_date", mode="before")
    @classmethod
    def _date(cls, value, info: ValidationInfo):
        if isinstance(value, dt.date):
            return value
        name, text = cls.variable(info.field_name), str(value).strip()
        if not _DATE.fullmatch(text):
            raise ValueError(f"{name}: not a YYYY-MM-DD date: {text!r}")
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{name}: not a valid calendar date: {text!r}") from None

    @field_validator("duckdb_memory_limit", mode="before")
    @classmethod
    def _size(cls, value, info: ValidationInfo):
        if not re.fullmatch(r"\d+(\.\d+)?\s*[A-Za-z]*", str(value).strip()):
            raise ValueError(f"{cls.variable(info.field_name)} must be a DuckDB size such as 2GB or 512MB, got {value!r}")
        return str(value).strip()

    @field_validator("scope_orgs", mode="before")
    @classmethod
    def _orgs(cls, value, info: ValidationInfo):
        if isinstance(value, str):
            return parse_org_list(value, cls.variable(info.field_name))
        return value

    @field_validator("top_n", "top_n_downloads", "top_n_likes", "top_n_trending", "ingest_retries", mode="before")
    @classmethod
    def _count(cls, value, info: ValidationInfo):
        name = cls.variable(info.field_name)
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise ValueError(f"{name} must be a whole number, got {value!r}") from None
        if value is not None and value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
        return value

    @field_validator("scope_derivatives", "full_crawl", mode="before")
    @classmethod
    def _flag(cls, value, info: ValidationInfo):
        return parse_flag(value, cls.variable(info.field_name)) if isinstance(value, str) else value

    @field_validator("daily_at", mode="before")
    @classmethod
    def _time_of_day(cls, value, info: ValidationInfo):
        daily_cron(value, cls.variable(info.field_name))
        return value.strip()

    @field_validator("automation_interval_seconds", mode="before")
    @classmethod
    def _interval(cls, value, info: ValidationInfo):
        text = str(value).strip()
        if not text.isdigit() or not 5 <= int(text) <= 86400:
            raise ValueError(f"{cls.variable(info.field_name)} must be whole seconds in 5..86400, got {text!r}")
        return int(text)

    @field_validator("ingest_retry_delay_seconds", "freshness_max_age_hours", mode="before")
    @classmethod
    def _number(cls, value, info: ValidationInfo):
        name = cls.variable(info.field_name)
        unit = "hours" if info.field_name == "freshness_max_age_hours" else "seconds"
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number of {unit}, got {value!r}") from None
        if info.field_name == "freshness_max_age_hours" and not number > 0:
            raise ValueError(f"{name} must be positive, got {value!r}")
        if not number >= 0:
            raise ValueError(f"{name} must not be negative, got {value!r}")
        return number

    # --------------------------------------------------------------------------------------------- reading

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """Every variable a setting is read from (each quality threshold included)."""
        top = tuple(info.alias for info in cls.model_fields.values() if info.alias)
        return top + tuple(QualityThresholds.variable(name) for name in QualityThresholds.model_fields)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings `environ` gives: a variable unset or blank takes its default. One `SettingsError` lists
        every unusable value, each with its variable and the accepted form."""
        values: dict[str, Any] = {}
        for info in cls.model_fields.values():
            text = environ.get(info.alias) if info.alias else None
            if text is not None and text.strip():
                values[info.alias] = text
        quality = {k: v for k, v in environ.items() if k.startswith(QUALITY_PREFIX) and v.strip()}
        problems = []
        try:
            values["quality"] = QualityThresholds(**QualityThresholds.from_strings(quality))
        except ValidationError as error:
            problems += [_describe(e, QualityThresholds.variable(str(e["loc"][0]))) for e in error.errors()]
        except ValueError as error:
            problems.append(str(error))
        try:
            settings = cls.model_validate(values)
        except ValidationError as error:
            problems += [_describe(e, str(e["loc"][0]), cls._accepted(str(e["loc"][0]))) for e in error.errors()]
        if problems:
            raise SettingsError("\n".join(problems))
        return settings

    @classmethod
    def _accepted(cls, variable: str) -> str:
        for info in cls.model_fields.values():
            if info.alias == variable and isinstance(info.json_schema_extra, dict):
                return str(info.json_schema_extra["accepted"])
        return ""

    # ------------------------------------------------------------------------------------ derived values

    @property
    def raw_root(self) -> str | Path:
        """Root of the raw layer: HUBPULSE_RAW_URI (`s3://...` stays a string), else `<home>/raw`."""
        if self.raw_uri is None:
            return self.home / "raw"
        return self.raw_uri if "://" in self.raw_uri else Path(self.raw_uri)

    @property
    def archive_dir(self) -> Path:
        """The archive the local Hub serves: HUBPULSE_ARCHIVE, else `<home>/archive`."""
        return self.archive or self.home / "archive"

    @property
    def endpoint(self) -> str | None:
        """The Hub endpoint of the configured source (None: the client's default for it)."""
        return self.local_endpoint if self.source == "local" else self.hf_endpoint

    @property
    def schedules_running(self) -> bool:
        """Whether the schedules start running: as HUBPULSE_SCHEDULES says, else with the live source only."""
        return self.schedules == "running" if self.schedules else self.source == "live"

    @property
    def daily_cron(self) -> str:
        """The daily run's cron expression (UTC)."""
        return daily_cron(self.daily_at)


def _describe(error: dict, variable: str, accepted: str = "") -> str:
    """One line of a `SettingsError`: our own message when a validator raised it, else pydantic's, with the
    variable, the value given and the accepted form."""
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    expected = f" (expected {accepted})" if accepted else ""
    return f"{variable}={error.get('input')!r}: {error['msg']}{expected}"


@functools.lru_cache(maxsize=16)
def _settings_for(cwd: str, environment: tuple[tuple[str, str], ...]) -> Settings:
    return Settings.from_env(dict(environment))


def get_settings() -> Settings:
    """The settings of the current environment, parsed and validated once per distinct environment and working
    folder (relative paths resolve against it): a test that changes a variable gets fresh settings, everything
    else reads the cached object."""
    names = set(Settings.variables())
    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k in names or k.startswith(QUALITY_PREFIX)))
    return _settings_for(os.getcwd(), environment)


# Shorthands for the values most modules need.


def hubpulse_home() -> Path:
    """Root of everything hubpulse writes (`HUBPULSE_HOME`, default `./data`), made absolute and validated."""
    return get_settings().home


def raw_root(home: Path | None = None, settings: Settings | None = None) -> str | Path:
    """Root of the raw layer: HUBPULSE_RAW_URI when set (an `s3://` URI stays a string), else `<home>/raw`
    (`settings` default to the environment's)."""
    settings = settings or get_settings()
    if settings.raw_uri is None:
        return (home or settings.home) / "raw"
    return settings.raw_root


def raw_models_dir(home: Path | None = None, settings: Settings | None = None) -> str | Path:
    """Root of the raw `hub_model_snapshots` partitions (a folder, or an `s3://` URI)."""
    root = raw_root(home, settings)
    return f"{root}/hub_models" if isinstance(root, str) else root / "hub_models"


def raw_rejects_dir(home: Path | None = None) -> str | Path:
    """Root of the rejected items' partitions, beside the raw partitions."""
    root = raw_root(home)
    return f"{root}/hub_models_rejects" if isinstance(root, str) else root / "hub_models_rejects"


def warehouse_path(home: Path | None = None) -> Path:
    """The DuckDB file dbt builds (never read by BI tools: they read the published copy)."""
    return (home or hubpulse_home()) / "warehouse.duckdb"


def archive_dir(home: Path | None = None) -> Path:
    """The archive the local Hub serves: HUBPULSE_ARCHIVE, else `<home>/archive`."""
    settings = get_settings()
    return settings.archive or (home or settings.home) / "archive"


def schedule_status(running: bool) -> dg.DefaultScheduleStatus:
    """Dagster's default status for a schedule that should (not) start running."""
    import dagster as dg  # here, not at import: `hubpulse --help` reads settings and stays quick

    return dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED


def schedules_status() -> dg.DefaultScheduleStatus:
    """The schedules' default status: running with the live source, stopped with the local Hub."""
    return schedule_status(get_settings().schedules_running)
