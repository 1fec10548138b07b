"""dbt's `var()`, `adapter.dispatch` and cross-database macros for sqlfluff's jinja templater (`make lint`): `var()`
from the `vars:` of dbt_project/dbt_project.yml, the others as dbt renders them for the DuckDB target.

sqlfluff's dbt builtins render every `var()` as a placeholder string; the project's shared constants include
lists (`attributed_regions`), which the macros iterate, so the linter reads the real values.
"""

from pathlib import Path

import jinja2


def var(name, default=None):
    """The value dbt would give `var(name)`: the project's vars, else `default`."""
    import yaml

    project = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"
    values = yaml.safe_load(project.read_text(encoding="utf-8")).get("vars") or {}
    return values.get(name, default)


class _Adapter:
    """dbt's `adapter` for the lint: `adapter.dispatch('x', 'hubpulse')` finds `duckdb__x` (the lint's dialect is
    DuckDB's), else `default__x`, among the project's macros, as dbt does for the DuckDB target."""

    @staticmethod
    def _resolve(context, name):
        for candidate in (f"duckdb__{name}", f"default__{name}"):
            macro = context.resolve_or_missing(candidate)
            if macro is not jinja2.runtime.missing:
                return macro
        raise KeyError(f"adapter.dispatch: no duckdb__{name} or default__{name} macro")

    @jinja2.pass_context
    def dispatch(self, context, macro_name, macro_namespace=None):
        return self._resolve(context, macro_name)


class _Dbt:
    """dbt's cross-database macros the models call (`dbt.datediff`, ...), as dbt-duckdb renders them."""

    @staticmethod
    def datediff(first_date, second_date, datepart):
        return f"(date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp ))"

    @staticmethod
    def position(substring_text, string_text):
        return f"position({substring_text} in {string_text})"

    @staticmethod
    def type_string():
        return "varchar"

adapter = _Adapter()
dbt = _Dbt()
