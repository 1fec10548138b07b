"""`hubpulse prepare`: the one-time set-up every entry point shares (make demo, make dev, make test).

- `HUBPULSE_HOME` and the persistent Dagster instance folder, with a `dagster.yaml` (telemetry off: this
  machine has no network to send it to, and a warehouse of Hub data has no business phoning home; the pools).
  Storage is Dagster's default (SQLite under the instance folder).
- The dbt manifest (`dbt parse`), so the code location never parses dbt when it loads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from orchestration import settings

CONCURRENCY_YAML = """\
# Pools (issue 5): `hub_api` around Hub requests, so two runs never exceed the Hub's rate limit together, and
# `warehouse` around every step that writes or reads warehouse.duckdb (DuckDB allows one process per file).
# Both hold one slot; `dagster instance concurrency set <pool> <n>` overrides a pool.
concurrency:
  pools:
    default_limit: 1
"""

DAGSTER_YAML = """\
# Written by `hubpulse prepare`; edit freely, it is not overwritten (a missing `concurrency` block is appended).
telemetry:
  enabled: false
""" + CONCURRENCY_YAML

# Older versions named a subclass of Dagster's SQLite event log here (`orchestration.event_storage`, removed: it
# overrode private methods). It kept Dagster's own files in Dagster's default place (history/runs under the
# instance folder), so dropping the block, with the comment written above it, is the whole migration.
OLD_HEADER = (
    "# Written by `hubpulse prepare`; edit freely, it is not overwritten (a missing `concurrency` block is appended,\n"
    "# and the `event_log_storage` block when no storage is configured).\n"
)
OLD_EVENT_LOG_BLOCK = re.compile(
    r"(?m)(?:^\n)?(?:^# Dagster's SQLite event log .*\n(?:^#.*\n)*)?"
    r"^event_log_storage:[ \t]*\n[ \t]+module: orchestration\.event_storage[ \t]*\n(?:^[ \t]+.*(?:\n|\Z))*"
)


def ensure_instance(dagster_home: Path) -> Path:
    """Create the Dagster instance folder and its dagster.yaml if missing; return the yaml path.

    An existing dagster.yaml is kept, with the pools appended when it has none and the block of the removed
    `orchestration.event_storage` taken out (the instance then reads the same files with Dagster's own storage).
    """
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
        return config
    original = config.read_text()
    text = OLD_EVENT_LOG_BLOCK.sub("", original.replace(OLD_HEADER, DAGSTER_YAML.splitlines(keepends=True)[0]))
    if not any(line.startswith("concurrency:") for line in text.splitlines()):
        text += "\n" + CONCURRENCY_YAML
    if text != original:
        config.write_text(text)
    return config


def dbt_executable() -> str:
    """The dbt of this interpreter's environment (DbtCliResource fails to load when `dbt` is not on PATH).

    `dagster dev` starts its code server with the interpreter's resolved path (the base Python, outside the
    venv's bin folder), so the interpreter's own folders are not enough: the project's `.venv` is looked at too.
    """
    folders = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent), str(settings.PROJECT_ROOT / ".venv" / "bin")]
    if os.environ.get("VIRTUAL_ENV"):
        folders.insert(0, str(Path(os.environ["VIRTUAL_ENV"]) / "bin"))
    for folder in folders:
        candidate = Path(folder) / "dbt"
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbt") or "dbt"


def _parse_command(target: Path, home: Path) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "HUBPULSE_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("DBT_PARTIAL_PARSE_FILE_PATH", None)  # a parse writes its own, it must not start from another
    command = [
        dbt_executable(), "parse", "--quiet",
        "--project-dir", str(settings.DBT_PROJECT_DIR),
        "--profiles-dir", str(settings.DBT_PROJECT_DIR),
        "--target-path", str(target),
        "--log-path", str(target / "logs"),
    ]
    return command, env


def prepare_manifest(target_dir: Path | None = None, home: Path | None = None) -> Path:
    """Run `dbt parse` and return the manifest path (default: dbt_project/target/manifest.json)."""
    target = target_dir or settings.DBT_PROJECT_DIR / "target"
    command, env = _parse_command(target, home or settings.hubpulse_home())
    subprocess.run(command, check=True, env=env)
    return target / "manifest.json"


def manifest_outdated(manifest: Path) -> bool:
    """The manifest is missing, or a file of the dbt project (models, macros, tests, seeds, YAML, profile) was
    changed after it was written (the rule `make prepare` follows)."""
    try:
        written = manifest.stat().st_mtime_ns
    except FileNotFoundError:
        return True
    skip = {"target", "logs", "dbt_packages"}
    for folder, subfolders, files in os.walk(settings.DBT_PROJECT_DIR):
        subfolders[:] = [name for name in subfolders if name not in skip and not name.startswith(".")]
        for name in files:
            if name.endswith((".sql", ".yml", ".yaml", ".csv", ".md")) and (
                    Path(folder) / name).stat().st_mtime_ns > written:
                return True
    return False


# ------------------------------------------------------------------------------------------ partial parse
#
# Dagster runs every dbt command in a new target folder, where dbt finds no partial-parse file and parses the
# whole project again: about 4 s of CPU per command (7.4 s against 3.5 s for a `dbt parse` here). dbt reads
# `partial_parse.msgpack` from its target folder (or DBT_PARTIAL_PARSE_FILE_PATH when set), writes a new one there
# whenever it parsed, and parses in full when the file does not match: another dbt version, changed files (those
# alone), or another profile. The profile names the warehouse file, that is HUBPULSE_HOME, so each home keeps its
# own parse under `<home>/dbt/parse/`: `hubpulse prepare` and the demo write it with `dbt parse`, and every dbt
# command Dagster runs starts from it (`seed_partial_parse`) and leaves its own parse there when it had to parse
# (`keep_partial_parse`), so a home's first command parses and the next ones do not.


def partial_parse_file(home: Path) -> Path:
    """The home's own partial-parse file (`<home>/dbt/parse/partial_parse.msgpack`)."""
    return Path(home) / "dbt" / "parse" / "partial_parse.msgpack"


def start_home_parse(home: Path) -> subprocess.Popen:
    """`dbt parse` for `home` into `<home>/dbt/parse`, as a background child: wait for it before dbt runs."""
    target = partial_parse_file(home).parent
    target.mkdir(parents=True, exist_ok=True)
    command, env = _parse_command(target, home)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def seed_partial_parse(target: Path, home: Path) -> os.stat_result | None:
    """Before a dbt command in `home` whose target folder is `target`: copy the best parse there, the home's own
    (else the one `hubpulse prepare` left beside the manifest). Returns the copy's stat, None when none existed."""
    for source in (partial_parse_file(home), settings.DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"):
        if source.is_file():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / source.name)
            return (target / source.name).stat()
    return None


def keep_partial_parse(target: Path, home: Path, seeded: os.stat_result | None) -> bool:
    """After the dbt command: if dbt parsed (it wrote another `partial_parse.msgpack` than the one seeded), that
    parse becomes the home's own, written whole under another name and then renamed over the old one (a command
    starting meanwhile reads the old or the new file, never half of one). Returns whether it did."""
    written = target / "partial_parse.msgpack"
    try:
        now = written.stat()
    except FileNotFoundError:
        return False
    if seeded is not None and (now.st_mtime_ns, now.st_size, now.st_ino) == (
            seeded.st_mtime_ns, seeded.st_size, seeded.st_ino):
        return False
    destination = partial_parse_file(home)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    shutil.copyfile(written, partial)
    os.replace(partial, destination)
    return True


def prepare(home: Path, with_manifest: bool = True) -> None:
    """Everything a fresh clone needs before the demo, the UI or the tests."""
    home.mkdir(parents=True, exist_ok=True)
    ensure_instance(Path(os.environ.get("DAGSTER_HOME", home / "dagster")))
    if with_manifest:
        manifest = prepare_manifest(home=home)
        # The parse was made for this home: keep its partial-parse file there too (see seed_partial_parse).
        parsed = manifest.with_name("partial_parse.msgpack")
        if parsed.is_file():
            partial_parse_file(home).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(parsed, partial_parse_file(home))
