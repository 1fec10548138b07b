"""The library internals of `orchestration/compat.py` were verified with the installed versions only.

An upgrade fails here first: read the section of `orchestration/compat.py` it names, check whether a public
API now does the job (then remove the section), or verify the internals again and update the version.
"""

from __future__ import annotations

import dagster as dg

from orchestration import compat


def test_dagster_is_the_version_the_check_evaluation_targets_were_verified_with():
    assert dg.__version__ == compat.DAGSTER_VERIFIED, (
        "Dagster changed: re-verify compat.target_materializations (the per-partition check evaluations of a "
        "ranged run tied to their materializations) or replace it with a public API"
    )
