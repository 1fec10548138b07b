"""What a dbt model's materialization shows in the Dagster UI after a run.

dagster-dbt reports each model as soon as dbt finishes it, while dbt still holds the warehouse's write lock.
The model outputs are therefore held back until the dbt process has exited, then sent with metadata read from
the warehouse (read-only): the row count (`dagster/row_count`), the date range, the rows of the run's window
for the daily models, a preview of the first rows, and for the mart of each question its chart as a PNG shown
inline. Reading metadata never fails the step: a failure is logged and the output goes out as dbt reported it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.dbt.charts import CHARTS, chart_markdown, render_mart_chart

# The first of these a relation has is its date column.
DATE_COLUMNS = ("snapshot_date", "metric_date", "week_start", "month_start", "release_date", "created_date")
PREVIEW_ROWS = 10
PREVIEW_COLUMNS = 12


def _value(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def relation_metadata(
    con, schema: str, name: str, window: tuple[dt.date, dt.date] | None = None
) -> dict[str, Any]:
    """Row count, date range, rows in the window and a preview of one warehouse relation."""
    relation = f"{_ident(schema)}.{_ident(name)}"
    columns = [
        (row[0], row[1])
        for row in con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, name],
        ).fetchall()
    ]
    if not columns:
        return {}
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(con.execute(f"select count(*) from {relation}").fetchone()[0]),
        "dagster/relation_identifier": f"warehouse.{schema}.{name}",
    }
    names = [c[0] for c in columns]
    date_column = next((c for c in DATE_COLUMNS if c in names), None)
    if date_column:
        low, high = con.execute(f"select min({_ident(date_column)}), max({_ident(date_column)}) from {relation}").fetchone()
        metadata["date_column"] = date_column
        metadata["date_range"] = f"{low} .. {high}" if low is not None else "empty"
        if window is not None:
            metadata["rows_in_window"] = dg.MetadataValue.int(
                con.execute(
                    f"select count(*) from {relation} where {_ident(date_column)} between ? and ?", list(window)
                ).fetchone()[0]
            )
    shown = columns[:PREVIEW_COLUMNS]
    order = f" order by {_ident(date_column)} desc" if date_column else ""
    rows = con.execute(
        f"select {', '.join(_ident(c[0]) for c in shown)} from {relation}{order} limit {PREVIEW_ROWS}"
    ).fetchall()
    metadata["preview"] = dg.MetadataValue.table(
        records=[dg.TableRecord({c[0]: _value(v) for c, v in zip(shown, row, strict=True)}) for row in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(name=c[0], type=str(c[1]).lower()) for c in shown]),
    )
    return metadata


COVERAGE_FIGURES = {
    "unattributed_download_share": "day",
    "unattributed_velocity_28d_share": "day",
    "unattributed_release_share": "month",
    "unattributed_derivative_share": "month",
    "unattributed_pair_share": "month",
}


def coverage_metadata(con) -> dict[str, Any]:
    """How much of the answers rests on attribution, from marts.fct_attribution_coverage: the shares held by
    organisations without a region on the latest day (downloads, 28-day velocity) and in the latest month
    (releases, derivatives built, derivative pairs), each labelled with its period. Empty before the mart
    exists (an older warehouse, or a run that has not built it yet)."""
    if not con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' "
        "and table_name = 'fct_attribution_coverage'"
    ).fetchone()[0]:
        return {}
    out: dict[str, Any] = {}
    for column, period in COVERAGE_FIGURES.items():
        row = con.execute(
            f"select period_start, {column} from marts.fct_attribution_coverage "
            "where period_type = ? order by period_start desc limit 1", [period]
        ).fetchone()
        if row is None:
            continue
        label = f"{row[0]:%Y-%m}" if period == "month" else row[0].isoformat()
        key = f"coverage/{column}"
        out[key] = dg.MetadataValue.float(float(row[1])) if row[1] is not None else dg.MetadataValue.text("unknown")
        out[f"{key}_period"] = label
    return out


def _relation_of(manifest: Mapping[str, Any], unique_id: str) -> tuple[str, str, str] | None:
    """(schema, relation name, materialization) of a model or seed; None for anything else."""
    node = manifest.get("nodes", {}).get(unique_id)
    if not node or node.get("resource_type") not in ("model", "seed", "snapshot"):
        return None
    materialized = node.get("config", {}).get("materialized", "seed" if node["resource_type"] == "seed" else "")
    return node["schema"], node.get("alias") or node["name"], materialized


def with_warehouse_metadata(
    events: Iterable[Any],
    manifest: Mapping[str, Any],
    warehouse: Path,
    log,
    *,
    window: tuple[dt.date, dt.date] | None = None,
    charts_dir: Path | None = None,
) -> Iterator[Any]:
    """Pass dbt's events through, holding model outputs until dbt exits, then add warehouse metadata to them."""
    held: list[dg.Output] = []
    try:
        for event in events:
            if isinstance(event, dg.Output) and "unique_id" in (event.metadata or {}):
                held.append(event)
            else:
                yield event
    except Exception:
        # dbt failed part-way (it has exited: the stream raises after the process ends). The models it did
        # build are still materialized, so their outputs go out before the failure does.
        yield from _enriched(held, manifest, warehouse, log, window, charts_dir)
        raise
    yield from _enriched(held, manifest, warehouse, log, window, charts_dir)


def _enriched(held: list[dg.Output], manifest, warehouse: Path, log, window, charts_dir) -> Iterator[Any]:
    if not held:
        return
    started = time.monotonic()
    try:
        import duckdb

        con = duckdb.connect(str(warehouse), read_only=True)
    except Exception as error:  # noqa: BLE001 - metadata is best effort; the build itself succeeded
        log.warning(f"no warehouse metadata for this run: cannot open {warehouse}: {error}")
        yield from held
        return
    try:
        for output in held:
            yield output.with_metadata({**output.metadata, **_extra(con, manifest, output, window, charts_dir, log)})
    finally:
        con.close()
    log.info(f"warehouse metadata for {len(held)} models in {time.monotonic() - started:.1f}s")


def _extra(con, manifest, output: dg.Output, window, charts_dir, log) -> dict[str, Any]:
    unique_id = output.metadata["unique_id"]
    unique_id = getattr(unique_id, "text", unique_id)
    relation = _relation_of(manifest, unique_id)
    if relation is None:
        return {}
    schema, name, materialized = relation
    extra: dict[str, Any] = {"materialized": materialized}
    try:
        if materialized == "view":
            # A view over the raw Parquet history: counting it would scan every partition.
            return extra
        extra.update(relation_metadata(con, schema, name, window))
        if name in CHARTS:
            extra.update(coverage_metadata(con))
            question = CHARTS[name][0]
            drawn = render_mart_chart(con, name, charts_dir)
            if drawn is not None:
                png, path = drawn
                extra["chart"] = dg.MetadataValue.md(chart_markdown(png, question))
                if path is not None:
                    extra["chart_path"] = dg.MetadataValue.path(str(path))
    except Exception as error:  # noqa: BLE001 - never fail a finished build over its metadata
        log.warning(f"metadata of {schema}.{name} not read: {type(error).__name__}: {error}")
    return extra
