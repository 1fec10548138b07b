"""Shared fixtures: small hand-made archives and a local Hub on loopback. Tests write only under tmp_path."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path

import pytest

# The ingestion step's retry policy waits minutes between attempts; a test that expects a failed partition must
# see it at once. Set before any test imports the assets (the policy is read when they are defined);
# tests/test_operations.py runs the policy itself in a process of its own.
os.environ.setdefault("HUBPULSE_INGEST_RETRIES", "0")
# No test may reach the network beyond loopback; huggingface_hub would otherwise send telemetry.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# Hypothesis keeps its cache outside the working tree, as every test does (read when first needed, not on import).
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "hubpulse-hypothesis"))

from orchestration.hub.archive import write_snapshot


def pytest_configure(config):
    """Make sure the code location can load: it needs a dbt manifest, which `make test` prepares.

    When the suite runs without `make` (plain `pytest`) and no manifest exists, parse one into a temporary
    folder rather than into the working tree.
    """
    from orchestration import settings

    if (settings.DBT_PROJECT_DIR / "target" / "manifest.json").exists() or os.environ.get("HUBPULSE_DBT_MANIFEST_DIR"):
        return
    from orchestration.cli.prepare import prepare_manifest

    target = Path(tempfile.mkdtemp(prefix="hubpulse-manifest-"))
    prepare_manifest(target_dir=target, home=target)
    os.environ["HUBPULSE_DBT_MANIFEST_DIR"] = str(target)


# The longest files, longest first (worker time each in a full run, measured: test_daemon.py 382 s,
# test_warehouse.py 245 s, the two scenario files 202 and 162 s, ... test_crash.py 29 s). `make test` hands whole
# files to two workers in collection order (`--dist loadfile --no-loadscope-reorder`: by default pytest-xdist
# reorders the files by their number of tests, which started test_daemon.py's single long test last, alone,
# measured), so these start first and the many short files fill in around them instead of leaving one long file
# alone at the end.
SLOW_FILES_FIRST = ("test_daemon.py", "test_warehouse.py", "test_scenarios_live.py", "test_scenarios_archive.py",
                    "test_pipeline.py", "test_object_store.py", "test_arrival_order.py", "test_console.py",
                    "test_webserver.py", "test_bench_smoke.py", "test_bench_demo.py", "test_snapshot_instant.py",
                    "test_server.py", "test_dashboard.py", "test_dashboard_browser.py", "test_trackers.py",
                    "test_crash.py")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        name = Path(str(item.fspath)).name
        return SLOW_FILES_FIRST.index(name) if name in SLOW_FILES_FIRST else len(SLOW_FILES_FIRST)

    items.sort(key=rank)  # stable: the order within a file, and among the other files, is kept


DAY1 = dt.date(2025, 3, 1)
DAY2 = dt.date(2025, 3, 2)


def make_item(model_id: str, *, downloads_all_time: int, created_at: str = "2024-12-01T10:00:00.000Z",
              downloads: int | None = None, likes: int = 3, trending: float = 1.0, tags: list[str] | None = None,
              **extra) -> dict:
    """A Hub API model item in the wire shape `/api/models?expand=...` returns."""
    author = model_id.split("/", 1)[0]
    item = {
        "_id": hashlib.sha1(model_id.encode()).hexdigest()[:24],
        "id": model_id,
        "modelId": model_id,
        "author": author,
        "createdAt": created_at,
        "lastModified": created_at,
        "downloads": downloads if downloads is not None else downloads_all_time // 3,
        "downloadsAllTime": downloads_all_time,
        "likes": likes,
        "trendingScore": trending,
        "tags": tags if tags is not None else ["transformers", "text-generation", "license:apache-2.0", "en"],
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "gated": False,
        "private": False,
        "disabled": False,
        "sha": "0" * 40,
    }
    item.update(extra)
    return item


def tiny_hub_items(day_index: int, n_models: int = 40) -> list[dict]:
    """A deterministic little Hub: a few tracked orgs and many community models, growing by day."""
    orgs = ["Qwen", "deepseek-ai", "meta-llama", "mistralai"]
    items = []
    for i in range(n_models):
        org = orgs[i % len(orgs)] if i < 16 else f"user-{i:03d}"
        base = 1000 * (n_models - i) ** 2
        extra = {}
        if i >= 16 and i % 3 == 0:
            parent = f"{orgs[i % 4]}/model-{i % 4:03d}"
            extra = {
                "baseModels": {"relation": "quantized", "models": [{"id": parent}]},
                "tags": ["gguf", f"base_model:{parent}", f"base_model:quantized:{parent}", "license:mit"],
                "library_name": "gguf",
            }
        items.append(make_item(f"{org}/model-{i:03d}", downloads_all_time=base + day_index * (n_models - i) * 10,
                               likes=(n_models - i) + day_index, trending=float(i % 7), **extra))
    return items


@pytest.fixture
def tiny_archive(tmp_path: Path) -> Path:
    """Two snapshot dates of a 40-model Hub."""
    archive = tmp_path / "archive"
    write_snapshot(archive, DAY1, tiny_hub_items(0))
    write_snapshot(archive, DAY2, tiny_hub_items(1))
    return archive
