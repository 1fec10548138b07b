"""The code location loads and names what must exist, without touching the network or parsing dbt."""

from __future__ import annotations

import dagster as dg

from orchestration.definitions import defs


def test_definitions_name_the_assets_jobs_and_resources():
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey("hub_model_snapshots") in graph.get_all_asset_keys()
    snapshots = defs.resolve_assets_def("hub_model_snapshots")
    partitions = snapshots.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    assert partitions.timezone == "UTC"
    assert snapshots.backfill_policy == dg.BackfillPolicy.single_run()
    assert defs.resolve_job_def("ingest_hub_snapshots") is not None
    assert {"hub", "scope", "paths"} <= set(defs.resources)
