"""Every threshold of the quality checks, as one Dagster resource (key `quality`).

The thresholds, their defaults, bounds and descriptions are declared once, in
`orchestration.settings.QualityThresholds`; each is set from the environment as
`HUBPULSE_QUALITY_<FIELD NAME IN CAPITALS>` (listed in `.env.example`, e.g. `HUBPULSE_QUALITY_MIN_ROW_RATIO=0.7`).
Booleans accept true/false, 1/0, yes/no, on/off; an unknown `HUBPULSE_QUALITY_*` name is an error.
"""

from __future__ import annotations

import typing

import dagster as dg

from orchestration.settings import QualityThresholds, Settings, get_settings


class QualityConfig(dg.ConfigurableResource, QualityThresholds):
    """Thresholds of the Great Expectations suite behind the raw asset checks."""


def quality_config_from_env(environ: typing.Mapping[str, str] | None = None) -> QualityConfig:
    """The `quality` resource: defaults overridden by the `HUBPULSE_QUALITY_*` variables that are set (in
    `environ`, else in the settings of the process)."""
    settings = get_settings() if environ is None else Settings.from_env(environ)
    return QualityConfig(**settings.quality.model_dump())
