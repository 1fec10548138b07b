"""`hubpulse docs` (`make docs`): the dbt docs site and the Great Expectations Data Docs, both static and offline.

- dbt: `dbt docs generate --static` over the home's warehouse writes `<home>/dbt_docs/static_index.html`, one
  self-contained page (manifest and catalog inside: every model, column, test and the lineage graph) that opens
  from disk without a server. Each dbt asset in Dagster links to its own page there (metadata `dbt_docs`, see
  `dbt_docs_url`).
- Great Expectations: the Data Docs index under `<home>/quality/data_docs/` (the checks render each validation's
  page as they run; this rebuilds the index over the stored results).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from orchestration import settings

DBT_DOCS_DIR = "dbt_docs"
DBT_DOCS_PAGE = "static_index.html"


def dbt_docs_page(home: Path) -> Path:
    """The static dbt docs page of a home."""
    return Path(home) / DBT_DOCS_DIR / DBT_DOCS_PAGE


def dbt_docs_url(home: Path, unique_id: str, resource_type: str) -> str:
    """The `file://` address of a dbt node's page in the static docs (the site's own `#!/<type>/<id>` route)."""
    return f"{dbt_docs_page(home).as_uri()}#!/{resource_type}/{unique_id}"


def build_dbt_docs(home: Path) -> Path:
    """`dbt docs generate --static` over `home`'s warehouse (its catalog: the columns as built); returns the page."""
    from orchestration.cli.prepare import dbt_executable

    target = Path(home) / DBT_DOCS_DIR
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HUBPULSE_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        dbt_executable(), "docs", "generate", "--static", "--quiet",
        "--project-dir", str(settings.DBT_PROJECT_DIR),
        "--profiles-dir", str(settings.DBT_PROJECT_DIR),
        "--target-path", str(target),
        "--log-path", str(target / "logs"),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"dbt docs generate failed ({result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
    return dbt_docs_page(home)


def build_quality_docs(home: Path) -> Path:
    """The Great Expectations Data Docs index over the validations stored in `home`; returns the index page."""
    from orchestration.quality.checks import QUALITY_DIR
    from orchestration.quality.validation import DocsSite, build_docs_index

    return build_docs_index(DocsSite(Path(home) / QUALITY_DIR))


def run_docs(home: Path) -> int:
    """Build both sites; print where they are."""
    home.mkdir(parents=True, exist_ok=True)
    dbt_page = build_dbt_docs(home)
    print(f"dbt docs (models, columns, tests, lineage): {dbt_page}")
    quality_page = build_quality_docs(home)
    print(f"Great Expectations Data Docs (the raw checks' validations): {quality_page}")
    print("both open from disk in a browser; each dbt asset in the Dagster UI links to its page (metadata dbt_docs)")
    return 0


def register(sub, *, home_help: str, home) -> None:
    """Add `docs` to the `hubpulse` parser; `home` resolves `--home`."""
    p = sub.add_parser("docs", help="build the dbt docs site and the Great Expectations Data Docs (static, offline)")
    p.add_argument("--home", default=None, help=home_help)
    p.set_defaults(func=lambda args: run_docs(home(args)))
