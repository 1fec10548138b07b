"""Recording work done outside a Dagster run (e.g. `hubpulse import-archive`) in the Dagster instance."""

from __future__ import annotations

import dagster as dg


def report_imported_partitions(summaries: list[dict], instance: dg.DagsterInstance | None = None) -> None:
    """Record one runless materialization of `hub_model_snapshots` per imported date, so the UI shows it."""
    instance = instance or dg.DagsterInstance.get()
    for summary in summaries:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                asset_key="hub_model_snapshots",
                partition=summary["snapshot_date"],
                description=f"imported from archive file {summary['file']}",
                metadata={
                    "rows": summary["rows"],
                    "organisations": summary["organisations"],
                    "rejected": summary["rejected"],
                    "source": "import-archive",
                },
            )
        )
