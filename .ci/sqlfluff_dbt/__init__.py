"""dbt's `var()` for sqlfluff's jinja templater (`make lint`), from the `vars:` of dbt_project/dbt_project.yml.

sqlfluff's dbt builtins render every `var()` as a placeholder string; the project's shared constants include
lists (`attributed_regions`), which the macros iterate, so the linter reads the real values.
"""

from pathlib import Path


def var(name, default=None):
    """The value dbt would give `var(name)`: the project's vars, else `default`."""
    import yaml

    project = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"
    values = yaml.safe_load(project.read_text(encoding="utf-8")).get("vars") or {}
    return values.get(name, default)
