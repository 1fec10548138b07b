"""`hubpulse docs` (`make docs`): the dbt docs and the Great Expectations Data Docs, static and offline, and the
Dagster assets' links to them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg

from orchestration.cli.docs import dbt_docs_page, dbt_docs_url
from orchestration.definitions import defs

PROJECT = Path(__file__).resolve().parents[1]


def test_docs_builds_both_sites_offline_in_a_fresh_home(tmp_path: Path):
    home = tmp_path / "home"
    env = {**os.environ, "HUBPULSE_HOME": str(home)}
    result = subprocess.run([sys.executable, "-m", "orchestration.cli", "docs", "--home", str(home)], cwd=PROJECT,
                            env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    page = dbt_docs_page(home)
    assert f"dbt docs (models, columns, tests, lineage): {page}" in result.stdout
    assert (home / "quality" / "data_docs" / "index.html").is_file()
    assert "Great Expectations Data Docs" in result.stdout
    text = page.read_text()
    # One self-contained page: nothing fetched from a network (no script, stylesheet or font from a server).
    assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', text)
    assert "fonts.googleapis" not in text
    # The project's own documentation is inside: a model's description and a column's, and the lineage.
    manifest = json.loads((home / "dbt_docs" / "manifest.json").read_text())
    dim_models = manifest["nodes"]["model.hubpulse.dim_models"]
    assert dim_models["description"].split(":")[0] in text
    column, doc = next((name, c["description"]) for name, c in dim_models["columns"].items() if c["description"])
    assert json.dumps(doc)[1:40] in text, column
    assert "model.hubpulse.int_model_lineage" in manifest["child_map"]["model.hubpulse.int_models_profiled"]


def test_every_dbt_asset_links_to_its_page_and_shows_its_columns():
    graph = defs.resolve_asset_graph()
    home = Path(graph.get(dg.AssetKey(["marts", "dim_models"])).metadata["dbt_docs"].url.split("/dbt_docs/")[0]
                .removeprefix("file://"))
    linked = 0
    for key in graph.get_all_asset_keys():
        metadata = graph.get(key).metadata
        unique_id = metadata.get("dagster_dbt/unique_id")
        if unique_id is None:
            continue
        kind = unique_id.split(".")[0]
        assert metadata["dbt_docs"].url == dbt_docs_url(home, unique_id, kind), key
        linked += 1
        if kind in ("model", "seed") and key.path[0] in ("marts", "seeds"):
            # The documented columns show on the asset page (column schema), with their descriptions.
            columns = metadata["dagster/column_schema"].columns
            assert columns and all(c.description for c in columns), key
    assert linked > 25
    assert dbt_docs_url(home, "model.hubpulse.dim_models", "model") == \
        f"{(home / 'dbt_docs' / 'static_index.html').as_uri()}#!/model/model.hubpulse.dim_models"
