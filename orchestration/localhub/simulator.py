"""A deterministic simulator of the Hugging Face Hub's history, written as an archive plus its ground truth.

`simulate(SimulationConfig(start, end, seed=...), out)` builds one simulated Hub and writes, for every UTC
date of `[start, end]` except the configured missing dates, the whole Hub as it stood at the end of that day:

    out/YYYY-MM-DD.jsonl.gz     one Hub API model item per line (`archive.write_snapshot`), sorted by `id`

Each item carries every field `GET /api/models?expand=...` returns for the fields the project asks for:
`_id, id, modelId, author, createdAt, lastModified, private, disabled, gated, pipeline_tag, library_name, tags,
downloads, downloadsAllTime, likes, trendingScore, safetensors, baseModels, cardData, evalResults, model-index`.
Optional keys are *absent* (never null) when they do not apply or are "missing": `library_name` (a few models
never show it), `safetensors` (unknown size: GGUF repos, LoRA adapters, some others),
`baseModels` (originals), `evalResults` / `model-index` (only models with benchmark results: catalogue models
of the Open LLM Leaderboard v2 export and a few community finetunes of them), and `downloadsAllTime` on a
small share of items (a per item and day omission).

Same config -> byte-identical files (numpy PCG64 streams named per component, sorted iteration, gzip
without timestamps). The simulated world:

* **Catalogue**: the 1,772 real ids of `reference/tracked_models.csv` (optionally a deterministic share),
  owned by their real organisations, region from `dbt_project/seeds/organization_regions.csv`. THUDM and
  zai-org are one lab (Zhipu): names are deduplicated and every Zhipu repo's final id is `zai-org/NAME`.
  Each organisation releases on its own inhomogeneous Poisson process over [first activity, 2026-08-01] whose
  rate changes on 2025-01-20 (DeepSeek-R1): Chinese labs speed up (baidu, ByteDance-Seed, XiaomiMiMo,
  MiniMaxAI, moonshotai start from zero), US labs slow down. Catalogue models are placed on that timeline in
  version order; those after `end` do not exist yet (dropped), those before `start` exist before the window.
  A few famous families carry their real dates (DeepSeek-V3 2024-12-26, DeepSeek-R1 and its distills
  2025-01-20, Qwen3 2025-04-29, Llama 4 2025-04-05, ...). Repos created before 2022-03-02 show the Hub's
  placeholder `createdAt` `2022-03-02T23:29:04.000Z` (their `_id` then starts with that timestamp too, and
  their `lastModified` can be earlier than the placeholder, as on the real Hub). `_id` is otherwise the
  Mongo-style hex of the creation time plus random bytes, stable for the repo's life (also across the rename).
* **Lineage**: an organisation's instruct/chat/thinking release tags itself as a `finetune` of its own base and
  its FP8/AWQ/GGUF/Int4 releases as `quantized` (most organisations do; a few never tag). Names that embed
  another family (`...-Qwen-...`, `...Llama...`, `...Mistral...`) are cross-organisation finetunes of that
  family's best matching base (R1 distills use their real bases).
* **Community**: `community_authors` synthetic accounts (region `unclassified`), mostly publishing
  derivatives of existing models (finetunes, GGUF/AWQ/MLX quantizations, LoRA adapters, two-parent merges)
  a few days to weeks after the base, heavy-tailed by base popularity, plus some originals; derivatives of
  community finetunes form a second generation.
* **Downloads**: per model a lognormal popularity, a launch spike decaying over days, a slow ageing decay,
  weekly seasonality, gamma-Poisson noise; integer daily downloads (the truth); `downloadsAllTime` = an
  initial count for repos older than the simulated span + the cumulative truth - recount offsets;
  `downloads` = the truth summed over the 30 days ending that day. Chinese organisations' downloads grow
  after R1 (and US ones shrink) at a rate calibrated so that China's 28-day velocity overtakes the US's
  around `china_overtakes_on` (default 2025-07-01). `likes` = a concave function of cumulative downloads,
  `trendingScore` = likes gained over the last 7 days.
* **Quirks**: the THUDM -> zai-org rename on `rename_at` of the window (same `_id`, new `id`/`author`;
  derivatives created before the rename keep tagging `base_model:THUDM/NAME`, as card metadata is not
  rewritten); deleted models (absent from their deletion date on); models becoming gated (false -> "manual" /
  "auto"; meta-llama and gemma repos are "manual" from creation, some mistralai ones "auto"); gated repos
  lose a quarter of their downloads from then on; `downloadsAllTime` recounts (on that day the
  reported cumulative drops below the previous day's and continues from there); missing fields; missing
  snapshot dates (no file).

Scenario options (off by default; a default archive and its ground truth are byte for byte what they were):

* `rename_also=(old, new)`: a second namespace renamed on the rename day (`rename_at`), like THUDM -> zai-org
  but with no alias in `organization_aliases.csv`, so the warehouse sees a new organisation (`unclassified`
  unless the seed knows `new`). The ground truth's `author` is the new namespace, `region` the lab's own.
* `recreated=k`: k repos older than the window, none of them a base of another repo, deleted inside the window
  and re-created later under the same id: a new object (new `_id`, new `createdAt`, downloads from zero).
* `gate_org=ORG` (from `gate_org_on`, default the window's middle, for `gate_org_days`, default 7): every model
  of ORG shows `gated: "manual"` meanwhile and keeps a quarter of its downloads (only accepted users).
  Gating does not remove a repo from `GET /api/models` on the Hub (the server lists gated repos with `gated`
  set), so by default the models stay listed; `gate_org_hidden=True` makes them vanish from the listings for
  those days (what an anonymous crawl sees when an organisation switches its repos to private), the hard case
  for scope churn. Hidden days are `in_snapshot=false` in `daily_downloads.csv.gz`.
* `trimmed=True`: items carry only `id, createdAt, pipeline_tag, library_name, downloads, likes` (the list
  snapshots of other trackers: no `_id`, `author`, `tags`, `downloadsAllTime`, `cardData`); the ground truth's
  `reported_downloads_all_time` is then empty.
* `fetch_at=dt.time(2, 0)`: emulate a crawl at that UTC time of day, as the daily schedule fetches live
  (HUBPULSE_DAILY_AT, 02:00 by default): snapshot d lists the repos created at or before d at `fetch_at`, so a
  repo created later on day d is first listed in snapshot d+1 (its `first_date`; `in_snapshot=false` on d in
  `daily_downloads.csv.gz`). Only which repos a snapshot lists moves: the counters stay the day grid's (the
  simulated Hub counts downloads per day), and deletions, gating and recounts fall on days a repo is listed.
  Each date's file gets a sidecar `YYYY-MM-DD.meta.json` stating the instant (`archive.snapshot_taken_at`).
  Without the option (None) a snapshot is the Hub at the end of its day and no sidecar is written (the archive
  format's default instant, 23:59:59.999 UTC of the date).

What each option did is in `manifest.json` (`rename_also`, `recreated`, `gate_org`, `trimmed`, `fetch_at` with
`snapshot_taken_at`, each date's instant) and in `events.csv` (`rename`, `delete` then `recreate`, `gate` then
`ungate`).

Ground truth, `out/ground_truth/` (CSV with a header, `true`/`false` booleans, empty = none):

* `models.csv`, one row per repo object ever generated, ordered by true creation time:
  object_id, model_id (final id), author (final namespace), region (`china`/`us`/`eu`/`other`/`unknown`, or
  `unclassified` for community accounts), is_catalogue, created_at (true creation, ISO), reported_created_at
  (what `createdAt` shows), is_placeholder_created_at, base_model_id (final id of the first parent),
  base_model_ids (all parents, `;`-separated), relation (`original|finetune|quantized|adapter|merge`),
  origin (`same_org|cross_org`, empty for originals), pipeline_tag, library_name (as shown, empty if never
  shown), gated_initial, gated_final, gated_on (date of a false -> gated change inside the window), deleted_on
  (first date absent because deleted), renamed_from, renamed_on (first date shown under the new id),
  first_date / last_date (first / last snapshot file holding it; empty if never in a file),
  downloads_all_time_end (true cumulative at the end of the window or at deletion), has_eval_results, license
  (the `license:` tag and card licence; empty: none declared), license_name (the card's name of a custom `other`
  licence), languages (`;`-separated codes the tags and card declare; empty: none). Licences and languages shift
  after R1 as `LICENCE_LANGUAGE_SHIFT` says (the manifest repeats it); derivatives carry their parent's.
* `daily_downloads.csv.gz`, one row per (model, window date) while the model exists, including missing
  dates, ordered by date then id: snapshot_date, model_id (id as shown that day), object_id,
  true_daily_downloads, true_downloads_all_time, reported_downloads_all_time (empty when the field was omitted
  or the date has no file), downloads_30d (the `downloads` field), likes, trending_score, is_recount_day,
  in_snapshot (false on missing dates).
* `releases.csv`, one row per repo with a real (non-placeholder) creation date: model_id (final), object_id,
  id_at_creation (e.g. `THUDM/NAME` before the rename), author (final), region, created_date, relation,
  origin (`same_org|cross_org|` for originals), base_model_id, is_catalogue, in_window.
* `derivative_edges.csv`, one row per (child, parent): child_id, child_object_id, parent_id (final),
  parent_object_id, parent_id_as_tagged (what the child's tags/baseModels/cardData say), relation,
  child_created_date, parent_created_date, child_author, parent_author, child_region, parent_region, origin.
* `events.csv`: date, kind (`rename|delete|recreate|gate|ungate|recount|missing_field|missing_date`),
  model_id (as shown that day; empty for missing_date), object_id, detail (`THUDM/X -> zai-org/X`; `false -> manual`;
  `-1234` (the drop on the recount day); `downloadsAllTime` for a one-day omission, `library_name (every
  snapshot)` for a model that never shows the field).
* `eval_results.csv`: model_id (final), object_id, form (`evalResults|model-index`), benchmark, dataset_id,
  task_id, value (the normalised score as written in the items).
* `manifest.json`: generator version, the config, counts, the missing dates, and the sha256 of every snapshot
  file and of every other ground-truth file.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import gzip
import hashlib
import io
import json
import math
import re
import shutil
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from orchestration.hub import archive
from orchestration.settings import (
    ORG_REGIONS_CSV,
    PLACEHOLDER_CREATED_AT,
    R1_RELEASE_DATE,
    SEEDS_DIR,
    TRACKED_MODELS_CSV,
)

GENERATOR_VERSION = "hubpulse-simulator/1"
R1_RELEASE = dt.date.fromisoformat(R1_RELEASE_DATE)
RENAME_FROM, RENAME_TO = "THUDM", "zai-org"

LEADERBOARD_CSV = SEEDS_DIR / "open_llm_leaderboard_v2_2025-03-21.csv"

_PLACEHOLDER_TS = 1646263744  # 2022-03-02T23:29:04Z
_CATALOGUE_HORIZON = dt.date(2026, 8, 1)  # the catalogue was taken around then: later slots are "future"
_BURN_IN = 30  # days simulated before `start` so the first `downloads` (30-day sum) is complete
_DAY = 86_400


# --------------------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate. Only `start`/`end` are required; every other field has a realistic default.

    `missing_dates` is a count of window dates left without a file (chosen by the seed), or an explicit tuple.
    `rename_at` places the THUDM -> zai-org rename at that fraction of the window (None: no rename).
    Shares are fractions of the models existing in the window (at least one event each when > 0).
    """

    start: dt.date
    end: dt.date  # inclusive
    seed: int = 7
    community_authors: int = 300
    catalogue_fraction: float = 1.0
    derivative_rate: float = 1.0
    community_originals: float = 0.5  # expected originals per community account over the simulated span
    missing_dates: int | tuple[dt.date, ...] = 2
    rename_at: float | None = 0.6
    deleted_share: float = 0.01
    gated_share: float = 0.02
    recount_share: float = 0.004
    missing_downloads_all_time: float = 0.002  # share of items without `downloadsAllTime`
    missing_library_name: float = 0.03  # share of models that never show `library_name`
    china_overtakes_on: dt.date = dt.date(2025, 7, 1)
    # Scenario options (all off by default, and then absent from the manifest: the default archive is unchanged).
    rename_also: tuple[str, str] | None = None  # (namespace, new namespace) also renamed on the rename day
    recreated: int = 0  # models deleted inside the window and re-created later under the same id
    gate_org: str | None = None  # an organisation that gates all its models for `gate_org_days` days
    gate_org_on: dt.date | None = None  # first gated day (None: the window's middle day)
    gate_org_days: int = 7
    gate_org_hidden: bool = False  # the gated models vanish from listings meanwhile (a private switch)
    trimmed: bool = False  # items carry only `id, downloads, likes, createdAt, pipeline_tag, library_name`
    fetch_at: dt.time | None = None  # UTC time of day each snapshot is taken at (None: the end of the day)

    def __post_init__(self) -> None:
        if not isinstance(self.start, dt.date) or not isinstance(self.end, dt.date):
            raise TypeError("start and end must be dates")
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        if self.community_authors < 0:
            raise ValueError("community_authors must be >= 0")
        if not 0.0 < self.catalogue_fraction <= 1.0:
            raise ValueError("catalogue_fraction must be in (0, 1]")
        if self.rename_at is not None and not 0.0 < self.rename_at < 1.0:
            raise ValueError("rename_at must be in (0, 1) or None")
        for name in ("derivative_rate", "community_originals", "deleted_share", "gated_share",
                     "recount_share", "missing_downloads_all_time", "missing_library_name"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.rename_also is not None:
            old, new = (str(x) for x in self.rename_also)
            object.__setattr__(self, "rename_also", (old, new))
            if self.rename_at is None:
                raise ValueError("rename_also renames on the rename day: it needs rename_at")
            if old == new or {old, new} & {RENAME_FROM, RENAME_TO} or "/" in old + new or not old or not new:
                raise ValueError(f"rename_also must be two other, different namespaces, got {self.rename_also}")
        if self.recreated < 0:
            raise ValueError("recreated must be >= 0")
        if self.fetch_at is not None:
            if not isinstance(self.fetch_at, dt.time):
                object.__setattr__(self, "fetch_at", dt.time.fromisoformat(str(self.fetch_at)))
            if self.fetch_at.tzinfo is not None and self.fetch_at.utcoffset() != dt.timedelta(0):
                raise ValueError(f"fetch_at is a UTC time of day, got {self.fetch_at}")
            object.__setattr__(self, "fetch_at", self.fetch_at.replace(
                tzinfo=None, microsecond=self.fetch_at.microsecond // 1000 * 1000))
        if self.gate_org_days < 1:
            raise ValueError("gate_org_days must be >= 1")
        if self.gate_org_on is not None and not self.start <= self.gate_org_on <= self.end:
            raise ValueError(f"gate_org_on {self.gate_org_on} is outside the window")
        if isinstance(self.missing_dates, int):
            if self.missing_dates < 0:
                raise ValueError("missing_dates must be >= 0")
        else:
            object.__setattr__(self, "missing_dates", tuple(sorted(set(self.missing_dates))))
            for day in self.missing_dates:
                if not self.start <= day <= self.end:
                    raise ValueError(f"missing date {day} is outside the window")

    def to_json(self) -> dict:
        """The config as JSON-ready values (dates as ISO strings)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in SCENARIO_OPTIONS and value == f.default:
                continue  # scenario options appear only when used, so default manifests stay byte-identical
            if isinstance(value, (dt.date, dt.time)):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = [v.isoformat() if isinstance(v, dt.date) else v for v in value]
            out[f.name] = value
        return out


SCENARIO_OPTIONS = ("rename_also", "recreated", "gate_org", "gate_org_on", "gate_org_days", "gate_org_hidden",
                    "trimmed", "fetch_at")
TRIMMED_KEYS = ("id", "createdAt", "pipeline_tag", "library_name", "downloads", "likes")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's options (`--start --end --seed --out` and the size/quirk options) to `parser`."""
    date = archive.parse_snapshot_date
    parser.add_argument("--start", type=date, required=True, help="first snapshot date (YYYY-MM-DD)")
    parser.add_argument("--end", type=date, required=True, help="last snapshot date, inclusive")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed -> same bytes)")
    parser.add_argument("--out", type=Path, required=True, help="archive folder to write")
    parser.add_argument("--community-authors", type=int, default=300, help="number of community accounts")
    parser.add_argument("--catalogue-fraction", type=float, default=1.0,
                        help="share of the real tracked catalogue to use (0-1]")
    parser.add_argument("--derivative-rate", type=float, default=1.0,
                        help="multiplier of community derivatives per base model")
    parser.add_argument("--community-originals", type=float, default=0.5,
                        help="expected original models per community account")
    parser.add_argument("--missing-dates", type=int, default=2, help="window dates left without a file")
    parser.add_argument("--rename-at", type=float, default=0.6,
                        help="THUDM -> zai-org rename position in the window (0-1); negative disables it")


def config_from_args(args: argparse.Namespace) -> SimulationConfig:
    """Build a `SimulationConfig` from parsed `add_arguments` options."""
    rename_at = getattr(args, "rename_at", 0.6)
    return SimulationConfig(
        start=args.start,
        end=args.end,
        seed=args.seed,
        community_authors=getattr(args, "community_authors", 300),
        catalogue_fraction=getattr(args, "catalogue_fraction", 1.0),
        derivative_rate=getattr(args, "derivative_rate", 1.0),
        community_originals=getattr(args, "community_originals", 0.5),
        missing_dates=getattr(args, "missing_dates", 2),
        rename_at=None if rename_at is None or rename_at <= 0 else rename_at,
    )


# ------------------------------------------------------------------------------------- small helpers


def _rng(seed: int, stream: str) -> np.random.Generator:
    """An independent PCG64 stream per component, so changing one option does not reshuffle everything."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, zlib.crc32(stream.encode())])))


def _ts(day: dt.date) -> int:
    return (day.toordinal() - dt.date(1970, 1, 1).toordinal()) * _DAY


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _date_of(ts: int) -> dt.date:
    return dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + int(ts) // _DAY)


def _parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# ------------------------------------------------------------------------------------ reference data


@dataclass
class _Model:
    """One repo object. Mutable while the world is built; frozen into arrays afterwards."""

    name: str
    author: str  # final namespace
    region: str
    catalogue: bool
    created_ts: int = 0
    parents: list[_Model] = field(default_factory=list)
    relation: str = ""  # "" = original
    pipeline: str | None = "text-generation"
    library: str = "transformers"
    arch: str | None = None
    license: str = "apache-2.0"  # the `license:` tag ("" = none: no tag, no card licence)
    license_name: str = ""  # the card's `license_name` of a custom (`other`) licence
    langs: tuple[str, ...] = ("en",)
    params: int | None = None
    dtype: str = "BF16"
    conversational: bool = False
    popularity: float = 1.0
    spike: float = 3.0
    tau: float = 7.0
    like_coef: float = 0.3
    generation: int = 0
    in_thudm_list: bool = False
    gated_initial: object = False
    evals: list[tuple[str, float]] | None = None
    eval_form: str = ""
    idx: int = -1

    @property
    def final_id(self) -> str:
        return f"{self.author}/{self.name}"


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _load_regions() -> dict[str, str]:
    return {row["hf_org"]: row["region"] for row in _read_csv(ORG_REGIONS_CSV)}


def _load_catalogue() -> list[tuple[str, str]]:
    rows = _read_csv(TRACKED_MODELS_CSV)
    return sorted((row["org"], row["model"]) for row in rows)


_LB_BENCHMARKS = (
    # (column stem, benchmark, evalResults dataset id, task id, model-index dataset name/type, metric type)
    ("ifeval", "IFEval", "google/IFEval", "ifeval", "IFEval (0-Shot)", "HuggingFaceH4/ifeval", "inst_level_strict_acc"),
    ("bbh", "BBH", "SaylorTwift/bbh", "bbh", "BBH (3-Shot)", "BBH", "acc_norm"),
    ("math", "MATH Lvl 5", "lighteval/MATH-Hard", "math_hard", "MATH Lvl 5 (4-Shot)",
     "hendrycks/competition_math", "exact_match"),
    ("gpqa", "GPQA", "Idavidrein/gpqa", "gpqa_main", "GPQA (0-shot)", "Idavidrein/gpqa", "acc_norm"),
    ("musr", "MuSR", "TAUR-Lab/MuSR", "musr", "MuSR (0-shot)", "TAUR-Lab/MuSR", "acc_norm"),
    ("mmlu_pro", "MMLU-PRO", "TIGER-Lab/MMLU-Pro", "mmlu_pro", "MMLU-PRO (5-shot)", "TIGER-Lab/MMLU-Pro", "acc"),
)


def _load_leaderboard() -> dict[str, list[tuple[str, float]]]:
    """model_name -> [(benchmark, normalised score)], the best-average row when a model has several."""
    best: dict[str, tuple[float, str, list[tuple[str, float]]]] = {}
    for row in _read_csv(LEADERBOARD_CSV):
        try:
            avg = float(row["model_average_score"])
            scores = [(b[1], round(float(row[f"evaluations_{b[0]}_normalized_score"]), 4)) for b in _LB_BENCHMARKS]
        except (KeyError, ValueError):
            continue
        key = (avg, row["id"])
        current = best.get(row["model_name"])
        if current is None or (key[0], key[1]) > (current[0], current[1]):
            best[row["model_name"]] = (avg, row["id"], scores)
    return {name: value[2] for name, value in best.items()}


# --------------------------------------------------------------------------- names -> model attributes

_NUMBER = re.compile(r"(?<![0-9])(\d+(?:[._]\d+)?)(?![0-9])")
_SIZE = re.compile(r"(?<![A-Za-z0-9.])(?:(\d+)x)?(\d+(?:[._]\d+)?)([BbMm])(?![A-Za-z0-9])")
_QUANT_TOKENS = {"fp8", "awq", "gptq", "int4", "int8", "gguf", "bnb", "4bit", "8bit", "mlx", "w4a16", "w8a8",
                 "fp4", "nvfp4", "qat"}
_INSTRUCT_TOKENS = {"instruct", "chat", "it", "thinking", "rl", "sft", "dpo", "grpo", "reasoning", "rlvr1"}


def _version_key(name: str) -> float:
    """The release generation a name suggests (Qwen2.5 -> 2.5, Llama-3.1 -> 3.1), skipping sizes and dates."""
    for match in _NUMBER.finditer(name):
        after = name[match.end(): match.end() + 1].lower()
        before = name[match.start() - 1: match.start()] if match.start() else ""
        if after and after in "bmkex":
            continue  # 7B, 135M, 128E, 8x7B
        if before in ("A", "a", "E"):
            continue  # A3B active parameters, E2B
        value = float(match.group(1).replace("_", "."))
        if value >= 100:
            continue  # 2407 / 0528 date codes, 224/490 resolutions
        return value
    return 0.0


def _tokens(name: str) -> list[str]:
    return name.split("-")


def _is_quant_token(token: str) -> bool:
    low = token.lower()
    return low in _QUANT_TOKENS or low.startswith(("gptq", "int4", "int8", "mlx", "q4", "q8"))


def _flavour_rank(name: str) -> int:
    """Order inside a generation: bases, then plain, then instruct-like, then quantized variants."""
    toks = [t.lower() for t in _tokens(name)]
    if any(_is_quant_token(t) for t in toks):
        return 3
    if any(t in _INSTRUCT_TOKENS for t in toks):
        return 2
    if "base" in toks or "pt" in toks:
        return 0
    return 1


def _parse_params(name: str) -> int | None:
    match = _SIZE.search(name.replace("_", "."))
    if not match:
        return None
    experts, size, unit = match.groups()
    value = float(size) * (1e9 if unit in "Bb" else 1e6)
    if experts:
        value *= int(experts) * 0.8  # 8x7B mixtures share attention weights
    return int(value)


def _pipeline_and_library(name: str) -> tuple[str, str, bool]:
    """(pipeline_tag, library_name, conversational) guessed from a catalogue name."""
    low = name.lower()
    toks = set(re.split(r"[-_.]", low))
    if "gguf" in toks:
        return "text-generation", "gguf", True
    if any(k in low for k in ("cogvideo", "wan2", "hunyuanvideo")) or "video" in toks and "vl" not in toks:
        return "text-to-video", "diffusers", False
    if any(k in low for k in ("cogview", "flux", "diffusion", "hunyuandit", "sana", "image-", "kolors")):
        return "text-to-image", "diffusers", False
    if any(k in low for k in ("whisper", "parakeet", "canary", "asr", "speech", "voice", "audio", "tts")):
        return "automatic-speech-recognition", "transformers", False
    if any(k in low for k in ("embed", "bge-", "gte-", "e5-")):
        return "feature-extraction", "sentence-transformers", False
    if "rerank" in low:
        return "text-classification", "sentence-transformers", False
    if any(k in low for k in ("mambavision", "radio", "segformer", "vit-", "dino")):
        return "image-classification", "transformers", False
    if toks & {"vl", "vision", "ocr", "llava", "vlm"} or any(
        k in low for k in ("-vl", "vl2", "cogvlm", "janus", "molmo", "internvl", "qvq", "omni", "eagle2", "vila")
    ):
        return "image-text-to-text", "transformers", True
    if any(k in low for k in ("bert", "roberta", "deberta", "modernbert")):
        return "fill-mask", "transformers", False
    if re.search(r"(^|[-_])(t5|flan|mt5|ul2)", low):
        return "text2text-generation", "transformers", False
    if "reward" in low or toks & {"rm", "genrm", "prm"}:
        return "text-classification", "transformers", False
    conversational = bool(toks & _INSTRUCT_TOKENS) or "chat" in low or "instruct" in low
    return "text-generation", "transformers", conversational


_ARCH_HINTS = (
    ("distill-qwen", "qwen2"), ("distill-llama", "llama"), ("qwen3", "qwen3"), ("qwen2.5-vl", "qwen2_5_vl"),
    ("qwen2", "qwen2"), ("qwq", "qwen2"), ("qwen", "qwen"), ("llama-4", "llama4"), ("llama", "llama"),
    ("gemma-3", "gemma3"), ("gemma-2", "gemma2"), ("gemma", "gemma"), ("mixtral", "mixtral"),
    ("mistral", "mistral"), ("ministral", "mistral"), ("deepseek-v3", "deepseek_v3"),
    ("deepseek-r1", "deepseek_v3"), ("deepseek-v2", "deepseek_v2"), ("glm-4", "glm4"), ("chatglm", "chatglm"),
    ("glm", "glm"), ("ernie", "ernie4_5"), ("internlm", "internlm2"), ("internvl", "internvl_chat"),
    ("phi", "phi3"), ("granite", "granite"), ("olmo", "olmo2"), ("falcon", "falcon"), ("pythia", "gpt_neox"),
    ("gpt-neo", "gpt_neo"), ("minicpm", "minicpm"), ("kimi", "kimi_k2"), ("minimax", "minimax"),
    ("nemotron", "nemotron"), ("smollm", "llama"), ("jamba", "jamba"), ("hunyuan", "hunyuan_v1_dense"),
    ("baichuan", "baichuan"), ("llava", "llava"), ("mamba", "mamba"), ("mimo", "mimo"),
)

_ORG_LICENSE = {
    "deepseek-ai": "mit", "microsoft": "mit", "zai-org": "mit", "nvidia": "other", "tencent": "other",
    "MiniMaxAI": "mit", "moonshotai": "other", "tiiuae": "other", "openbmb": "apache-2.0", "ai21labs": "other",
    "Snowflake": "apache-2.0", "internlm": "apache-2.0", "baichuan-inc": "other", "LiquidAI": "other",
}


def _license_for(org: str, name: str) -> str:
    low = name.lower()
    if org == "meta-llama":
        for prefix, lic in (("llama-4", "llama4"), ("llama-3.3", "llama3.3"), ("llama-3.2", "llama3.2"),
                            ("llama-3.1", "llama3.1"), ("meta-llama-3", "llama3"), ("llama-2", "llama2")):
            if low.startswith(prefix):
                return lic
        return "llama2"
    if "gemma" in low:
        return "gemma"
    if org == "Qwen" and any(s in low for s in ("-72b", "-3b", "qwen-")):
        return "other"
    return _ORG_LICENSE.get(org, "apache-2.0")


# The card's `license_name` of each organisation's custom (`other`) licence, as their cards name it.
_OTHER_LICENSE_NAME = {
    "Qwen": "qwen-research", "nvidia": "nvidia-open-model-license", "tencent": "tencent-hunyuan-community",
    "moonshotai": "modified-mit", "tiiuae": "falcon-llm-license", "ai21labs": "jamba-open-model-license",
    "baichuan-inc": "baichuan-community-license", "LiquidAI": "lfm1.0",
}

# The licence and language shift after R1 (SPEC, claims 7 and 8), drawn per release from its own random stream so
# that every other draw of the world is unchanged. Per region, before and since R1: the chance a release with a
# custom licence is released under MIT instead, and the chance it declares languages beyond its region's usual ones
# (then 2 to 8 more, from `_EXTRA_LANGUAGES`). The ground truth's models.csv records each model's outcome.
LICENCE_LANGUAGE_SHIFT = {
    "to_mit": {"china": (0.0, 0.6), "us": (0.0, 0.0), "eu": (0.0, 0.1), "other": (0.0, 0.1)},
    "more_languages": {"china": (0.08, 0.45), "us": (0.08, 0.12), "eu": (0.2, 0.25), "other": (0.08, 0.1)},
}
_EXTRA_LANGUAGES = ("ar", "de", "es", "fr", "id", "it", "ja", "ko", "pt", "ru", "th", "vi")
# Community originals: (licence, share); "" = no licence declared (the unknown family).
_COMMUNITY_LICENSES = (("apache-2.0", 0.45), ("mit", 0.25), ("other", 0.08), ("cc-by-nc-4.0", 0.07),
                       ("llama3.1", 0.05), ("openrail", 0.04), ("", 0.06))


def _licences_and_languages(cfg: SimulationConfig, catalogue: list[_Model], community: list[_Model]) -> None:
    """Licence, card licence name and languages of the catalogue and the community originals (called before the
    community derivatives exist: `_derive` copies its parent's)."""
    rng = _rng(cfg.seed, "licences-languages")
    r1_ts = _ts(R1_RELEASE)
    for m in sorted(catalogue, key=lambda m: m.final_id):
        since = int(m.created_ts >= r1_ts)
        region = m.region if m.region in LICENCE_LANGUAGE_SHIFT["to_mit"] else "other"
        if m.license == "other" and rng.random() < LICENCE_LANGUAGE_SHIFT["to_mit"][region][since]:
            m.license = "mit"
        if rng.random() < LICENCE_LANGUAGE_SHIFT["more_languages"][region][since] and len(m.langs) < 3:
            extra = rng.choice(len(_EXTRA_LANGUAGES), int(rng.integers(2, 9)), replace=False)
            m.langs = m.langs + tuple(sorted(_EXTRA_LANGUAGES[k] for k in extra if _EXTRA_LANGUAGES[k] not in m.langs))
    for m in community:
        u, acc = rng.random(), 0.0
        for lic, share in _COMMUNITY_LICENSES:
            acc += share
            if u < acc:
                break
        m.license = lic
        m.langs = ("en",) if rng.random() < 0.85 else (() if rng.random() < 0.5 else ("en", "zh"))
    for m in catalogue + community:
        if m.license == "other":
            m.license_name = _OTHER_LICENSE_NAME.get(m.author, "")


def _arch_for(name: str) -> str | None:
    low = name.lower()
    for hint, arch in _ARCH_HINTS:
        if hint in low:
            return arch
    return None


# ----------------------------------------------------------------------- organisations and schedules

# Per organisation: (first activity, post-R1 rate / pre-R1 rate). inf = nothing before R1 ("from zero").
_ORG_FIRST: dict[str, str] = {
    # The catalogue is LLM-era: only EleutherAI, facebook, openbmb and Zhipu reach back before 2022-03-02.
    "facebook": "2021-06-01", "google": "2024-02-21", "microsoft": "2023-06-01", "EleutherAI": "2021-01-01",
    "allenai": "2023-02-01", "nvidia": "2023-01-15", "zai-org": "2021-06-01", "openbmb": "2021-09-01",
    "mistral-community": "2023-12-01", "mistralai": "2023-09-27", "meta-llama": "2023-07-18",
    "Qwen": "2023-08-03", "deepseek-ai": "2023-10-30", "internlm": "2023-07-01", "tiiuae": "2023-05-01",
    "ibm-granite": "2024-04-01", "HuggingFaceTB": "2024-07-01", "llava-hf": "2023-12-01",
    "ai21labs": "2024-03-28", "baichuan-inc": "2023-06-15", "Snowflake": "2024-04-01", "OpenGVLab": "2023-06-01",
    "tencent": "2023-06-01", "Skywork": "2023-10-01", "arcee-ai": "2024-05-01", "inclusionAI": "2024-03-01",
    "vikhyatk": "2024-01-15", "moondream": "2024-06-01", "poolside": "2025-03-01", "openai": "2025-08-01",
    "LiquidAI": "2024-10-01", "rednote-hilab": "2025-01-20",
}
_ORG_RATIO: dict[str, float] = {
    "baidu": math.inf, "XiaomiMiMo": math.inf, "ByteDance-Seed": math.inf, "MiniMaxAI": math.inf,
    "moonshotai": math.inf, "rednote-hilab": math.inf, "tencent": 8.0, "Qwen": 4.0, "deepseek-ai": 3.0,
    "zai-org": 4.0, "inclusionAI": 6.0, "meta-llama": 0.3, "EleutherAI": 0.2, "facebook": 0.0,
}
_REGION_RATIO = {"china": 4.0, "us": 0.6, "eu": 1.0, "other": 1.0, "unknown": 0.5}
_ORG_BOOST = {
    "Qwen": 3.0, "meta-llama": 3.5, "deepseek-ai": 2.5, "google": 2.0, "microsoft": 1.5, "mistralai": 1.8,
    "zai-org": 1.2, "nvidia": 0.8, "HuggingFaceTB": 1.2, "ibm-granite": 0.8, "EleutherAI": 1.0,
    "facebook": 2.0, "openai": 2.0, "moonshotai": 1.5, "baidu": 0.8, "tencent": 0.8,
}
# Popularity (expected plateau daily downloads): lognormal medians and spreads, calibrated so the top ~200
# repos take about half of the downloads and half of all repos stay under ~200 downloads in total.
_CATALOGUE_POP = (250.0, 0.75)
_COMMUNITY_POP = (0.2, 1.7)
_ORIGINAL_POP = (0.15, 1.6)
_DERIVATIVES_PER_BASE = 1.35  # expected community derivatives of a base of median catalogue popularity
_CHINA_GROWTH = 1.0  # per year after R1 (on top of the growth that more Chinese releases bring)
_US_DECLINE = 0.3  # per year after R1
_NEVER_SELF_TAG = {"tiiuae", "EleutherAI", "internlm", "baichuan-inc", "llava-hf"}

# Real release dates of a few families everybody remembers (org, name regex, date, spread in days).
_ANCHORS: tuple[tuple[str, str, str, int], ...] = (
    ("deepseek-ai", r"^DeepSeek-R1(-Zero|-Distill-.*)?$", "2025-01-20", 0),
    ("deepseek-ai", r"^DeepSeek-R1-0528", "2025-05-28", 1),
    ("deepseek-ai", r"^DeepSeek-V3(-Base)?$", "2024-12-26", 0),
    ("deepseek-ai", r"^DeepSeek-V3-0324$", "2025-03-24", 0),
    ("deepseek-ai", r"^DeepSeek-V2\.5-1210$", "2024-12-10", 0),
    ("deepseek-ai", r"^DeepSeek-V3\.1(-Base)?$", "2025-08-21", 1),
    ("deepseek-ai", r"^DeepSeek-V3\.1-Terminus$", "2025-09-22", 0),
    ("deepseek-ai", r"^DeepSeek-V3\.2-Exp", "2025-09-29", 0),
    ("deepseek-ai", r"^DeepSeek-V3\.2(-Speciale)?$", "2025-12-01", 0),
    ("deepseek-ai", r"^Janus-Pro-", "2025-01-27", 0),
    ("Qwen", r"^Qwen2\.5-(Math-)?\d+(\.\d+)?B(-Instruct)?$", "2024-09-19", 1),
    ("Qwen", r"^Qwen2\.5-Coder-", "2024-11-12", 2),
    ("Qwen", r"^Qwen2\.5-VL-", "2025-01-28", 2),
    ("Qwen", r"^QwQ-32B-Preview$", "2024-11-27", 0),
    ("Qwen", r"^QwQ-32B$", "2025-03-05", 0),
    ("Qwen", r"^QVQ-72B-Preview$", "2024-12-24", 0),
    ("Qwen", r"^Qwen3-\d+(\.\d+)?B(-A\d+B)?(-Base|-FP8|-AWQ|-GGUF)?$", "2025-04-29", 3),
    ("Qwen", r"^Qwen3-.*2507", "2025-07-25", 6),
    ("Qwen", r"^Qwen3-Coder-", "2025-07-22", 8),
    ("meta-llama", r"^Llama-2-", "2023-07-18", 2),
    ("meta-llama", r"^CodeLlama-", "2023-08-24", 4),
    ("meta-llama", r"^Meta-Llama-3-", "2024-04-18", 1),
    ("meta-llama", r"^Llama-3\.1-", "2024-07-23", 1),
    ("meta-llama", r"^Llama-3\.2-", "2024-09-25", 1),
    ("meta-llama", r"^Llama-3\.3-", "2024-12-06", 0),
    ("meta-llama", r"^Llama-4-", "2025-04-05", 2),
    ("baidu", r"^ERNIE-4\.5-(?!.*Thinking)", "2025-06-30", 1),
    ("moonshotai", r"^Kimi-K2-(Base|Instruct)$", "2025-07-11", 0),
    ("zai-org", r"^GLM-4\.5", "2025-07-28", 3),
    ("MiniMaxAI", r"^MiniMax-M1", "2025-06-16", 1),
)

# R1 distills and other explicit parents (child final id -> [(parent final id, relation)]).
_EXPLICIT_PARENTS = {
    "deepseek-ai/DeepSeek-R1": "deepseek-ai/DeepSeek-V3-Base",
    "deepseek-ai/DeepSeek-R1-Zero": "deepseek-ai/DeepSeek-V3-Base",
    "deepseek-ai/DeepSeek-V3": "deepseek-ai/DeepSeek-V3-Base",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B": "Qwen/Qwen2.5-Math-1.5B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B": "Qwen/Qwen2.5-Math-7B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B": "Qwen/Qwen2.5-14B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B": "Qwen/Qwen2.5-32B",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-8B": "meta-llama/Llama-3.1-8B",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-70B": "meta-llama/Llama-3.3-70B-Instruct",
    "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B": "Qwen/Qwen3-8B",
}
_REQUIRED = ("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-V3-Base")
# Sizes of flagship repos whose names do not say it (org, name regex, total parameters).
_KNOWN_SIZES = (
    ("deepseek-ai", r"^DeepSeek-(R1(-Zero|-0528)?|V3(\.\d)?(-Base|-0324|-Terminus|-Exp|-Exp-Base|-Speciale)?)$",
     684_531_386_000),
    ("moonshotai", r"^Kimi-K2", 1_026_408_232_448),
    ("MiniMaxAI", r"^MiniMax-(M1|Text-01)", 456_090_000_000),
    ("zai-org", r"^GLM-4\.5$", 358_337_791_296),
)


def _sample_piecewise_times(rng: np.random.Generator, n: int, lo: int, hi: int, ratio: float) -> np.ndarray:
    """n sorted times (unix seconds) from a rate that is 1 before R1 and `ratio` after, on [lo, hi)."""
    r1 = _ts(R1_RELEASE)
    if ratio == math.inf:
        lo = max(lo, r1)
    if n == 0 or hi <= lo:
        return np.full(n, max(lo, min(hi, r1)), dtype=np.int64)
    pre = max(0, min(hi, r1) - lo)
    post = max(0, hi - max(lo, r1))
    w_pre = 0.0 if ratio == math.inf else float(pre)
    w_post = float(post) * (1.0 if ratio == math.inf else ratio)
    total = w_pre + w_post
    if total <= 0:
        return np.sort(rng.integers(lo, hi, size=n)).astype(np.int64)
    u = np.sort(rng.random(n)) * total
    times = np.where(
        u < w_pre,
        lo + u / max(w_pre, 1e-9) * pre,
        max(lo, r1) + (u - w_pre) / max(w_post, 1e-9) * post,
    )
    return times.astype(np.int64)


def _schedule_catalogue(cfg: SimulationConfig, regions: dict[str, str], end_ts: int) -> list[_Model]:
    """Place every catalogue model on its organisation's release timeline; drop the ones after `end`."""
    rng = _rng(cfg.seed, "catalogue")
    by_org: dict[str, dict[str, _Model]] = {}
    for org, name in _load_catalogue():
        lab = RENAME_TO if org in (RENAME_FROM, RENAME_TO) else org
        region = regions.get(lab, regions.get(org, "unknown"))
        models = by_org.setdefault(lab, {})
        model = models.get(name)
        if model is None:
            model = models[name] = _Model(name=name, author=lab, region=region, catalogue=True)
        if org == RENAME_FROM:
            model.in_thudm_list = True

    # A deterministic share of the catalogue (always keeping R1 and its base).
    all_models = [m for org in sorted(by_org) for m in sorted(by_org[org].values(), key=lambda m: m.name)]
    if cfg.catalogue_fraction < 1.0:
        keep_n = max(1, round(cfg.catalogue_fraction * len(all_models)))
        order = _rng(cfg.seed, "catalogue-fraction").permutation(len(all_models))
        kept = {all_models[i].final_id for i in order[:keep_n]} | set(_REQUIRED)
        all_models = [m for m in all_models if m.final_id in kept]

    horizon = _ts(_CATALOGUE_HORIZON)
    anchors = [(org, re.compile(rx), _parse_date(day), spread) for org, rx, day, spread in _ANCHORS]
    scheduled: list[_Model] = []
    for org in sorted({m.author for m in all_models}):
        models = [m for m in all_models if m.author == org]
        free: list[_Model] = []
        for m in models:
            anchor = next((a for a in anchors if a[0] == org and a[1].search(m.name)), None)
            if anchor is None:
                free.append(m)
                continue
            day = anchor[2] + dt.timedelta(days=int(rng.integers(0, anchor[3] + 1)))
            m.created_ts = _ts(day) + int(rng.integers(6 * 3600, 18 * 3600))
        # Older-looking names first; Zhipu's THUDM-era names before the zai-org-only ones.
        free.sort(key=lambda m: (not m.in_thudm_list, _version_key(m.name), _flavour_rank(m.name), m.name))
        first = _ts(_parse_date(_ORG_FIRST.get(org, "2023-06-01")))
        ratio = _ORG_RATIO.get(org, _REGION_RATIO.get(regions.get(org, "unknown"), 1.0))
        times = _sample_piecewise_times(rng, len(free), first, horizon, ratio)
        # Releases come in batches (a family on one day): members share their leader's day.
        i = 0
        while i < len(free):
            size = min(len(free) - i, int(rng.geometric(0.45)) + int(rng.random() < 0.5))
            leader_day = int(times[i]) // _DAY * _DAY
            clock = int(rng.integers(7 * 3600, 16 * 3600))
            for j in range(i, i + size):
                free[j].created_ts = leader_day + clock
                clock = min(clock + int(rng.integers(60, 1800)), _DAY - 1)
            i += size
        scheduled.extend(models)
    return [m for m in scheduled if m.created_ts < end_ts]


def _candidate_bases(name: str) -> tuple[str, list[str]]:
    """(relation, candidate base names in the same organisation) suggested by a catalogue name."""
    toks = _tokens(name)
    low = [t.lower() for t in toks]
    for i, tok in enumerate(low):
        if _is_quant_token(tok):
            return "quantized", ["-".join(toks[:i]), "-".join(toks[:i] + toks[i + 1:])]
    for i, tok in enumerate(low):
        if tok in _INSTRUCT_TOKENS:
            rest = toks[:i] + toks[i + 1:]
            return "finetune", [
                "-".join(rest), "-".join(toks[:i] + ["Base"] + toks[i + 1:]),
                "-".join(toks[:i] + ["base"] + toks[i + 1:]), "-".join(toks[:i]), "-".join(toks[:i] + ["Base"]),
                "-".join(rest) + "-Base", "-".join(toks[:i] + ["pt"] + toks[i + 1:]),
            ]
    if "base" in low or "pt" in low:
        return "", []
    return "finetune", [name + "-Base", name + "-base", "-".join(toks[:-1] + ["Base"] + toks[-1:])]


def _catalogue_lineage(cfg: SimulationConfig, models: list[_Model]) -> None:
    """Same-org instruct/quantized edges, R1 distills, and cross-org finetunes named after a family."""
    rng = _rng(cfg.seed, "lineage")
    by_id = {m.final_id: m for m in models}
    by_org: dict[str, dict[str, _Model]] = {}
    for m in models:
        by_org.setdefault(m.author, {})[m.name] = m
    orgs = sorted(by_org)
    self_taggers = {o for o in orgs if o not in _NEVER_SELF_TAG and (rng.random() < 0.85 or o in (
        "Qwen", "meta-llama", "deepseek-ai", "zai-org", "google", "baidu"))}

    for m in models:
        explicit = _EXPLICIT_PARENTS.get(m.final_id)
        if explicit is not None:
            parent = by_id.get(explicit)
            if parent is not None and parent.created_ts < m.created_ts:
                m.parents, m.relation = [parent], "finetune"
            continue
        if m.author not in self_taggers:
            continue
        relation, names = _candidate_bases(m.name)
        for cand in names:
            parent = by_org[m.author].get(cand)
            if parent is not None and parent is not m and parent.created_ts < m.created_ts:
                m.parents, m.relation = [parent], relation
                break

    families = (("qwen", "Qwen"), ("llama", "meta-llama"), ("mistral", "mistralai"))
    for m in models:
        if m.parents:
            continue
        low = m.name.lower()
        for hint, family_org in families:
            if hint not in low or m.author == family_org or family_org not in by_org:
                continue
            size = _parse_params(m.name)
            cands = [p for p in by_org[family_org].values()
                     if not p.parents and p.created_ts < m.created_ts and p.pipeline == "text-generation"
                     and _flavour_rank(p.name) != 3]
            if not cands:
                continue

            def distance(p: _Model, size: int | None = size) -> tuple[float, float, str]:
                ps = p.params or _parse_params(p.name)
                gap = abs(math.log((ps or 7e9) / (size or 7e9)))
                return (round(gap, 3), -p.created_ts, p.name)

            m.parents, m.relation = [min(cands, key=distance)], "finetune"
            break


def _catalogue_attributes(cfg: SimulationConfig, models: list[_Model], leaderboard: dict) -> None:
    """Pipeline, library, tags material, size, popularity and benchmark results of the catalogue."""
    rng = _rng(cfg.seed, "catalogue-attributes")
    for m in sorted(models, key=lambda m: m.final_id):
        m.pipeline, m.library, m.conversational = _pipeline_and_library(m.name)
        m.arch = _arch_for(m.name)
        m.license = _license_for(m.author, m.name)
        m.langs = ("en", "zh") if m.region == "china" else ("en",)
        if rng.random() < 0.08:
            m.langs = m.langs + tuple(sorted(rng.choice(["de", "es", "fr", "it", "ja", "ko", "pt"], 3,
                                                        replace=False).tolist()))
        m.params = _parse_params(m.name)
        known = next((size for org, rx, size in _KNOWN_SIZES if org == m.author and re.search(rx, m.name)), None)
        if known is not None:
            m.params = known
        elif m.params is not None:
            m.params = int(m.params * rng.uniform(0.93, 1.08))
        elif m.library != "gguf" and rng.random() < 0.5:
            m.params = int(np.exp(rng.uniform(np.log(3e8), np.log(7e10))))
        year = _date_of(m.created_ts).year
        low = [t.lower() for t in _tokens(m.name)]
        m.dtype = "F8_E4M3" if "fp8" in low else ("F32" if year < 2023 else ("F16" if year < 2024 else "BF16"))
        if m.author == "meta-llama" or "gemma" in m.name.lower():
            m.gated_initial = "manual"
        elif m.author == "mistralai" and rng.random() < 0.3:
            m.gated_initial = "auto"
        flavour = _flavour_rank(m.name)
        factor = _ORG_BOOST.get(m.author, 0.7) * (0.25, 1.0, 1.8, 0.3)[flavour]
        if m.params:
            factor *= 2.0 if m.params <= 9e9 else (0.5 if m.params > 2e11 else 1.0)
        m.popularity = float(np.exp(rng.normal(np.log(_CATALOGUE_POP[0]), _CATALOGUE_POP[1])) * factor)
        m.spike = float(rng.uniform(3.0, 12.0))
        m.tau = float(rng.uniform(4.0, 16.0))
        m.like_coef = float(np.exp(rng.normal(np.log(0.35), 0.6)))
        scores = leaderboard.get(m.final_id) or (leaderboard.get(f"{RENAME_FROM}/{m.name}")
                                                 if m.author == RENAME_TO else None)
        if scores:
            m.evals = scores
            m.eval_form = "evalResults" if rng.random() < 0.5 else "model-index"
    for m in models:
        if m.final_id == "deepseek-ai/DeepSeek-R1":
            # The most-liked model on the Hub, with a huge launch.
            m.popularity, m.spike, m.tau, m.like_coef = 9_000.0, 8.0, 15.0, 4.0


# ---------------------------------------------------------------------------------------- community

_SYLLABLES = ("ka", "zu", "mi", "ro", "te", "na", "vo", "li", "sa", "den", "mar", "tok", "rin", "bel", "qua",
              "fen", "jo", "xi", "lum", "nor", "pix", "ark", "sol", "ven", "tha", "gro", "kel", "dra", "hy", "ozo")
_FT_SUFFIX = ("-SFT", "-DPO", "-GRPO", "-reasoning", "-math", "-coder", "-roleplay", "-abliterated",
              "-uncensored", "-distill", "-chat", "-v1", "-v2", "-ft", "-ja", "-ko", "-medical", "-legal",
              "-tool-use", "-R1-distill")
_GGUF_SUFFIX = ("-GGUF", "-Q4_K_M-GGUF", "-Q8_0-GGUF", "-i1-GGUF", "-imat-GGUF")
_TQ_SUFFIX = ("-AWQ", "-GPTQ-Int4", "-bnb-4bit", "-FP8-dynamic")
_MLX_SUFFIX = ("-4bit", "-8bit", "-MLX")
_ADAPTER_SUFFIX = ("-lora", "-LoRA", "-qlora", "-adapter", "-peft")
_MERGE_SUFFIX = ("-merge", "-slerp", "-ties", "-dare")
_ROLES = ("finetuner", "quantizer", "merger", "lab")


def _community_authors(cfg: SimulationConfig, taken: set[str]) -> list[tuple[str, str, float]]:
    """(name, role, activity weight) of the community accounts; names never clash with real orgs."""
    rng = _rng(cfg.seed, "community-authors")
    seen = {t.lower() for t in taken}
    out: list[tuple[str, str, float]] = []
    while len(out) < cfg.community_authors:
        kind = rng.random()
        syl = [str(s) for s in rng.choice(_SYLLABLES, 3)]
        if kind < 0.25:
            name = f"user-{int(rng.integers(0, 10_000)):04d}"
        elif kind < 0.55:
            name = "".join(syl)
        elif kind < 0.72:
            name = f"{syl[0]}{syl[1]}-ai"
        elif kind < 0.88:
            name = f"lab-{syl[0]}{syl[1]}{syl[2][0]}"
        else:
            name = f"{syl[0].title()}{syl[1]}Research"
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        role = _ROLES[int(rng.choice(4, p=[0.55, 0.18, 0.12, 0.15]))]
        out.append((name, role, 0.0))
    # Zipf activity inside each role: a few accounts publish most of the derivatives (think quantizers).
    ranked: list[tuple[str, str, float]] = []
    for role in _ROLES:
        members = [a for a in out if a[1] == role]
        for rank, (name, r, _) in enumerate(members, start=1):
            ranked.append((name, r, 1.0 / rank ** 1.1))
    return sorted(ranked)


def _community(cfg: SimulationConfig, catalogue: list[_Model], lo_ts: int, end_ts: int) -> list[_Model]:
    """Community originals and two generations of derivatives of everything that exists."""
    rng = _rng(cfg.seed, "community")
    authors = _community_authors(cfg, {m.author for m in catalogue} | set(_load_regions()))
    if not authors:
        return []
    role_authors = {role: [a for a in authors if a[1] == role] for role in _ROLES}
    role_weights = {}
    for role, members in role_authors.items():
        w = np.array([a[2] for a in members], dtype=float)
        role_weights[role] = w / w.sum() if len(w) else w
    used = {m.final_id.lower() for m in catalogue}

    def pick_author(role: str) -> str:
        members = role_authors[role] or authors
        weights = role_weights[role] if role_authors[role] else None
        return members[int(rng.choice(len(members), p=weights))][0]

    def unique(author: str, name: str) -> str:
        base, n = name[:90], 2
        while f"{author}/{name}".lower() in used:
            name, n = f"{base}-v{n}", n + 1
        used.add(f"{author}/{name}".lower())
        return name

    models: list[_Model] = []
    # Originals, spread over the simulated span (older ones exist before `start`).
    n_orig = int(rng.poisson(cfg.community_originals * len(authors)))
    first = _ts(dt.date(2021, 6, 1))
    for _ in range(n_orig):
        author = pick_author("lab")
        word = "".join(str(s) for s in rng.choice(_SYLLABLES, 2)).title()
        size = float(rng.choice([0.5, 1, 1.5, 3, 7, 8, 13, 14, 32, 70]))
        name = unique(author, f"{word}-{size:g}B" + ("-Instruct" if rng.random() < 0.4 else ""))
        m = _Model(name=name, author=author, region="unclassified", catalogue=False)
        m.created_ts = int(rng.integers(first, end_ts))
        m.params = int(size * 1e9 * rng.uniform(0.93, 1.08))
        m.arch = str(rng.choice(["llama", "mistral", "qwen2", "gpt2"]))
        m.conversational = name.endswith("Instruct")
        m.popularity = float(np.exp(rng.normal(np.log(_ORIGINAL_POP[0]), _ORIGINAL_POP[1])))
        m.spike, m.tau = float(rng.uniform(1, 5)), float(rng.uniform(3, 10))
        m.like_coef = float(np.exp(rng.normal(np.log(0.25), 0.7)))
        models.append(m)
    models.sort(key=lambda m: (m.created_ts, m.final_id))
    _licences_and_languages(cfg, catalogue, models)

    r1_ts = _ts(R1_RELEASE)
    text_gen = sorted((m for m in catalogue + models if m.pipeline == "text-generation" and m.library != "gguf"
                       and m.relation != "quantized" and _flavour_rank(m.name) != 3),
                      key=lambda m: (m.created_ts, m.final_id))
    tg_weights = np.array([m.popularity ** 0.7 for m in text_gen])
    tg_weights /= tg_weights.sum()

    def children_of(parents: list[_Model], scale: float, generation: int) -> list[_Model]:
        out: list[_Model] = []
        for parent in parents:
            if parent.relation in ("quantized", "adapter") or parent.library == "gguf":
                continue
            k = cfg.derivative_rate * scale * _DERIVATIVES_PER_BASE * (parent.popularity / 250.0) ** 0.55
            if parent.region == "china" and parent.created_ts >= r1_ts:
                k *= 1.6
            if parent.pipeline not in ("text-generation", "image-text-to-text"):
                k *= 0.4
            n = int(rng.poisson(min(k, 120.0)))
            for _ in range(n):
                lag_days = (float(rng.lognormal(np.log(6.0), 1.0)) if rng.random() < 0.65
                            else float(rng.uniform(0.3, 540.0)))
                created = parent.created_ts + max(int(lag_days * _DAY), 1800)
                if created >= end_ts or created < lo_ts:
                    continue
                child = _derive(parent, created)
                if child is not None:
                    child.generation = generation
                    out.append(child)
        return out

    def _derive(parent: _Model, created: int) -> _Model | None:
        u = rng.random()
        if parent.pipeline != "text-generation":
            u = 0.0 if u < 0.5 else 0.45  # non-text models: finetunes and quantizations only
        parents = [parent]
        if u < 0.42:
            relation, author = "finetune", pick_author("finetuner")
            name = parent.name + str(rng.choice(_FT_SUFFIX))
        elif u < 0.76:
            relation, author = "quantized", pick_author("quantizer")
            kind = rng.random()
            suffixes = _GGUF_SUFFIX if kind < 0.7 else (_TQ_SUFFIX if kind < 0.9 else _MLX_SUFFIX)
            name = parent.name + str(rng.choice(suffixes))
        elif u < 0.9:
            relation, author = "adapter", pick_author("finetuner")
            name = parent.name + str(rng.choice(_ADAPTER_SUFFIX))
        else:
            relation, author = "merge", pick_author("merger")
            other = None
            for _ in range(30):
                cand = text_gen[int(rng.choice(len(text_gen), p=tg_weights))]
                # mergekit needs the same architecture size: keep parents within a factor of ~1.5
                similar = (cand.params or 7e9) / (parent.params or 7e9)
                if cand is not parent and cand.created_ts < created and 0.66 < similar < 1.5:
                    other = cand
                    break
            if other is None:
                relation, name = "finetune", parent.name + str(rng.choice(_FT_SUFFIX))
            else:
                parents = sorted([parent, other], key=lambda p: p.final_id)
                short = other.name.split("-")[0]
                name = f"{parent.name}-{short}" + str(rng.choice(_MERGE_SUFFIX))
        child = _Model(name=unique(author, name), author=author, region="unclassified", catalogue=False)
        child.created_ts, child.parents, child.relation = created, parents, relation
        child.pipeline, child.arch, child.license = parent.pipeline, parent.arch, parent.license
        child.license_name = parent.license_name
        child.langs, child.conversational, child.dtype = parent.langs, parent.conversational, "BF16"
        rel_factor = {"finetune": 1.0, "quantized": 1.6, "adapter": 0.4, "merge": 0.5}[relation]
        child.popularity = float(np.exp(rng.normal(np.log(_COMMUNITY_POP[0]), _COMMUNITY_POP[1])) * rel_factor
                                 * (parent.popularity / 250.0) ** 0.35)
        child.spike, child.tau = float(rng.uniform(1.5, 6.0)), float(rng.uniform(2.0, 10.0))
        child.like_coef = float(np.exp(rng.normal(np.log(0.2), 0.7)))
        if relation == "quantized":
            low = name.lower()
            child.library = "gguf" if "gguf" in low else ("mlx" if ("mlx" in low or low.endswith("bit")
                                                                    and "bnb" not in low) else "transformers")
            child.params = None if child.library == "gguf" else parent.params
            child.dtype = "I32" if child.library != "gguf" else "BF16"
        elif relation == "adapter":
            child.library, child.params = "peft", None
        else:
            child.library = parent.library if parent.library != "gguf" else "transformers"
            child.params = parent.params
        if relation in ("finetune", "merge") and parent.evals and rng.random() < 0.15:
            child.evals = [(b, round(max(0.0, v + float(rng.normal(0.5, 2.0))), 4)) for b, v in parent.evals]
            child.eval_form = "model-index"
        return child

    roots = sorted(catalogue + models, key=lambda m: (m.created_ts, m.final_id))
    gen1 = children_of(roots, 1.0, 1)
    gen1.sort(key=lambda m: (m.created_ts, m.final_id))
    gen2 = children_of([m for m in gen1 if m.relation in ("finetune", "merge")], 0.35, 2)
    return models + gen1 + gen2


# --------------------------------------------------------------------------------------- the world


@dataclass
class _World:
    """Everything the writers need: per-model static material and (model x day) matrices."""

    cfg: SimulationConfig
    models: list[_Model]
    days: list[dt.date]  # window days
    missing: set[int]  # window indices without a file
    rename_w: int | None  # window index of the first day under the new namespace
    object_ids: list[str]
    created_iso: list[str]
    reported_created_iso: list[str]
    created_w: np.ndarray  # window index of the creation day (negative: before start)
    listed_w: np.ndarray  # window index of the first snapshot that can list it (created_w, +1 after `fetch_at`)
    deleted_w: np.ndarray  # window index of the first absent day (len(days) if never)
    renamed: np.ndarray  # bool
    gated_w: np.ndarray  # window index of a false -> gated change (len(days) if none)
    gated_value: list[object]
    missing_library: np.ndarray  # bool
    daily: np.ndarray  # (M, T) true daily downloads, T = burn-in + window
    cum_true: np.ndarray  # (M, T) true cumulative (including the initial count)
    reported: np.ndarray  # (M, T) reported cumulative (true - recount offsets)
    d30: np.ndarray  # (M, T)
    likes: np.ndarray  # (M, T)
    trending: np.ndarray  # (M, T)
    omit_dat: np.ndarray  # (M, D) bool: downloadsAllTime omitted that day
    recount: np.ndarray  # (M, D) bool
    lm_iso: list[list[str]]
    lm_index: np.ndarray  # (M, D) index into lm_iso[m]
    ids_before: list[str]
    ids_after: list[str]
    rank_before: np.ndarray
    rank_after: np.ndarray
    tagged_parent_ids: list[list[str]]
    recreated: list[tuple[int, int, int, int]] = field(default_factory=list)  # (old, new, deleted_w, back_w)
    org_gated: np.ndarray | None = None  # bool (M,): the models `gate_org` gates
    gate_span: tuple[int, int] | None = None  # [first, end) window indices of the organisation's gating
    hidden: np.ndarray | None = None  # (M, D) bool: absent from the listings that day (gate_org_hidden)
    static_mid: list[dict] = field(default_factory=list)
    static_tail: list[dict] = field(default_factory=list)


def _object_ids(seed: int, reported_ts: Sequence[int]) -> list[str]:
    """Mongo-style 24-hex ids whose first 4 bytes are the (reported) creation time, like the Hub's."""
    rng = _rng(seed, "object-ids")
    seen: set[str] = set()
    out = []
    for ts in reported_ts:
        while True:
            oid = f"{int(ts) & 0xFFFFFFFF:08x}{int(rng.integers(0, 2**63)):016x}"
            if oid not in seen:
                break
        seen.add(oid)
        out.append(oid)
    return out


def _profile(age: np.ndarray, spike: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Launch spike decaying over days, on top of a slow ageing decay."""
    return (1.0 + spike[:, None] * np.exp(-age / tau[:, None])) * (1.0 + age / 180.0) ** -0.6


def _expected_rates(pop, spike, tau, created_ts, day_end_ts, region_factor=None):
    """Expected daily downloads (M x len(day_end_ts)) before noise, zero before creation."""
    age_end = (day_end_ts[None, :] - created_ts[:, None]) / _DAY
    exposure = np.clip(age_end, 0.0, 1.0)
    age = np.maximum(age_end - 0.5, 0.0)
    lam = pop[:, None] * _profile(age, spike, tau) * exposure
    if region_factor is not None:
        lam *= region_factor
    return lam


_WEEKDAY = np.array([1.0, 1.03, 1.04, 1.02, 0.97, 0.8, 0.78])


def _recreate(cfg: SimulationConfig, models: list[_Model], days: list[dt.date], start_ts: int,
              renamed_authors: set[str]) -> list[tuple[_Model, _Model, int, int]]:
    """`cfg.recreated` models deleted inside the window and re-created later under the same id.

    Chosen among repos older than the window that no other repo derives from (so every edge keeps one parent
    object) and outside renamed namespaces; the new repo is a new object (new `_id`, new `createdAt`, downloads
    from zero) with the old one's name, card and tags. Returns (old, new, deletion index, re-creation index).
    """
    n_days = len(days)
    if cfg.recreated <= 0 or n_days < 3:
        return []
    rng = _rng(cfg.seed, "recreate")
    parents = {id(p) for m in models for p in m.parents}
    spare = {"deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-V3-Base"}
    pool = [m for m in models if m.created_ts < start_ts - _DAY and id(m) not in parents
            and m.author not in renamed_authors and m.final_id not in spare]
    out = []
    for k in sorted(rng.choice(len(pool), size=min(cfg.recreated, len(pool)), replace=False).tolist()):
        old = pool[k]
        gone = int(rng.integers(1, n_days - 1))
        back = int(rng.integers(gone + 1, n_days))
        new = dataclasses.replace(old, created_ts=_ts(days[back]) + int(rng.integers(6 * 3600, 18 * 3600)),
                                  popularity=old.popularity * 0.5, idx=-1)
        out.append((old, new, gone, back))
    return out


def _build_world(cfg: SimulationConfig, log: Callable[[str], None]) -> _World:
    regions = _load_regions()
    leaderboard = _load_leaderboard()
    days = [cfg.start + dt.timedelta(days=i) for i in range((cfg.end - cfg.start).days + 1)]
    n_days = len(days)
    start_ts, end_ts = _ts(cfg.start), _ts(cfg.end) + _DAY
    axis0_ts = start_ts - _BURN_IN * _DAY

    catalogue = _schedule_catalogue(cfg, regions, end_ts)
    _catalogue_attributes(cfg, catalogue, leaderboard)
    _catalogue_lineage(cfg, catalogue)
    community = _community(cfg, catalogue, -(2**62), end_ts)
    old_namespace = {RENAME_TO: RENAME_FROM}
    if cfg.rename_also is not None:
        # A second namespace renamed on the same day, after everything else was drawn: only the names change.
        old, new = cfg.rename_also
        for m in catalogue:
            if m.author == old:
                m.author = new
        old_namespace[new] = old
    models = sorted(catalogue + community, key=lambda m: (m.created_ts, m.final_id))
    recreated = _recreate(cfg, models, days, start_ts, set(old_namespace))
    if recreated:
        models = sorted(models + [clone for _, clone, _, _ in recreated], key=lambda m: (m.created_ts, m.final_id))
    for i, m in enumerate(models):
        m.idx = i
    n = len(models)
    log(f"simulator: {n} models ({len(catalogue)} catalogue, {len(community)} community), {n_days} days")

    created_ts = np.array([m.created_ts for m in models], dtype=np.int64)
    created_w = np.floor_divide(created_ts - start_ts, _DAY)
    listed_w = created_w.copy()
    if cfg.fetch_at is not None:
        # Snapshot d is taken at d + fetch_at: a repo created later that day is first listed on d + 1.
        fetch_offset = (cfg.fetch_at.hour * 3600 + cfg.fetch_at.minute * 60 + cfg.fetch_at.second
                        + cfg.fetch_at.microsecond / 1e6)
        listed_w = listed_w + ((created_ts - start_ts) - created_w * _DAY > fetch_offset)
    reported_ts = np.where(created_ts < _PLACEHOLDER_TS, _PLACEHOLDER_TS, created_ts)
    object_ids = _object_ids(cfg.seed, reported_ts.tolist())
    created_iso = [_iso(t) for t in created_ts.tolist()]
    reported_created_iso = [PLACEHOLDER_CREATED_AT if t < _PLACEHOLDER_TS else _iso(t) for t in created_ts.tolist()]

    q = _rng(cfg.seed, "quirks")
    # Missing dates: interior days, never the first/last two, R1 or the rename day.
    rename_w = None
    if cfg.rename_at is not None and n_days >= 3:
        rename_w = max(1, min(n_days - 1, int(cfg.rename_at * (n_days - 1))))
    if isinstance(cfg.missing_dates, int):
        protected = {0, 1, n_days - 2, n_days - 1, rename_w, (R1_RELEASE - cfg.start).days}
        pool = [w for w in range(n_days) if w not in protected]
        k = min(cfg.missing_dates, len(pool))
        missing = {int(w) for w in q.choice(pool, size=k, replace=False)} if k else set()
    else:
        missing = {(d - cfg.start).days for d in cfg.missing_dates}

    # Deletions and gating: among models existing in the window (R1, anchors and famous bases spared).
    exists_in_window = created_w < n_days
    spare = {"deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-V3-Base"} | {o.final_id for o, _, _, _ in recreated}
    eligible = [i for i in range(n) if exists_in_window[i] and models[i].final_id not in spare]
    deleted_w = np.full(n, n_days, dtype=np.int64)
    gated_w = np.full(n, n_days, dtype=np.int64)
    gated_value: list[object] = [m.gated_initial for m in models]

    def pick(share: float, pool: list[int]) -> list[int]:
        if share <= 0 or not pool:
            return []
        k = min(len(pool), max(1, round(share * len(pool))))
        return sorted(int(i) for i in q.choice(pool, size=k, replace=False))

    for i in pick(cfg.deleted_share, [i for i in eligible if n_days >= 2]):
        lo = max(1, int(listed_w[i]) + 1)
        if lo < n_days:
            deleted_w[i] = int(q.integers(lo, n_days))
    gate_pool = [i for i in eligible if models[i].gated_initial is False and deleted_w[i] == n_days]
    for i in pick(cfg.gated_share, gate_pool):
        lo = max(1, int(listed_w[i]) + 1)
        if lo < n_days:
            gated_w[i] = int(q.integers(lo, n_days))
            gated_value[i] = "manual" if q.random() < 0.5 else "auto"
    for orig, _clone, gone_w, _back_w in recreated:
        deleted_w[orig.idx] = gone_w
    # The rename moves every Zhipu repo created before it (and not deleted by then) to the new namespace.
    renamed = np.zeros(n, dtype=bool)
    if rename_w is not None:
        renamed = (np.array([m.author in old_namespace for m in models]) & (created_w < rename_w)
                   & (deleted_w > rename_w))
    ids_after = [m.final_id for m in models]
    ids_before = [f"{old_namespace[m.author]}/{m.name}" if renamed[i] else m.final_id for i, m in enumerate(models)]
    # An organisation gating all its models for a while (listed with `gated`, or hidden from listings).
    org_gated = np.zeros(n, dtype=bool)
    gate_span = None
    hidden = np.zeros((n, n_days), dtype=bool)
    if cfg.gate_org is not None:
        g0 = (cfg.gate_org_on - cfg.start).days if cfg.gate_org_on is not None else (n_days - 1) // 2
        g1 = min(n_days, g0 + cfg.gate_org_days)
        gate_span = (g0, g1)
        org_gated = np.array([m.author == cfg.gate_org for m in models]) & (created_w < g1) & (deleted_w > g0)
        if cfg.gate_org_hidden:
            hidden[org_gated, g0:g1] = True
    missing_library = np.zeros(n, dtype=bool)
    lib_pool = [i for i in range(n) if models[i].library != "gguf" and exists_in_window[i]]
    for i in pick(cfg.missing_library_name, lib_pool):
        missing_library[i] = True

    # ---- downloads: vectorised over (model x day) on the burn-in + window axis.
    T = _BURN_IN + n_days
    day_end_ts = axis0_ts + _DAY * (np.arange(T, dtype=np.int64) + 1)
    ordinals = cfg.start.toordinal() - _BURN_IN + np.arange(T)
    season = _WEEKDAY[np.array([dt.date.fromordinal(int(o)).weekday() for o in ordinals])]
    pop = np.array([m.popularity for m in models])
    spike = np.array([m.spike for m in models])
    tau = np.array([m.tau for m in models])
    region = np.array([m.region for m in models])
    china, us = region == "china", region == "us"

    # Calibrate China's download level (behind the US before R1) and its post-R1 growth so that its 28-day
    # velocity meets the US's on `china_overtakes_on`, whatever the popularity draws were.
    years_after_r1 = np.maximum(ordinals - R1_RELEASE.toordinal(), 0) / 365.25
    us_decline = _US_DECLINE
    target = cfg.china_overtakes_on
    x = max((target - R1_RELEASE).days, 1) / 365.25
    alive = deleted_w == n_days

    def region_sums(center: dt.date) -> tuple[float, float]:
        # 56 days centred on the date: one launch spike should not decide the level
        ends = _ts(center) + _DAY * (np.arange(-27, 29, dtype=np.int64) + 1)
        rates = _expected_rates(pop, spike, tau, created_ts, ends)
        return float(rates[china & alive].sum()), float(rates[us & alive].sum())

    # China's level is solved so that level * C(target) * e^(growth x) = U(target) * e^(-us_decline x).
    growth = _CHINA_GROWTH
    c_sum, u_sum = region_sums(target)
    level = 1.0
    if c_sum > 0 and u_sum > 0:
        level = float(np.clip(u_sum / c_sum * math.exp(-(growth + us_decline) * x), 0.02, 5.0))
    region_factor = np.ones((n, T))
    region_factor[china] = level * np.exp(growth * years_after_r1)[None, :]
    region_factor[us] = np.exp(-us_decline * years_after_r1)[None, :]
    gate_t = gated_w + _BURN_IN
    region_factor *= np.where(np.arange(T)[None, :] >= gate_t[:, None], 0.75, 1.0)
    if gate_span is not None:  # while the whole organisation is gated, only accepted users download
        region_factor[org_gated, gate_span[0] + _BURN_IN: gate_span[1] + _BURN_IN] *= 0.25

    lam = _expected_rates(pop, spike, tau, created_ts, day_end_ts, region_factor) * season[None, :]
    del_t = deleted_w + _BURN_IN
    lam[np.arange(T)[None, :] >= del_t[:, None]] = 0.0
    dl = _rng(cfg.seed, "downloads")
    lam *= dl.gamma(8.0, 1.0 / 8.0, size=lam.shape)
    daily = dl.poisson(lam).astype(np.int64)
    del lam

    # Downloads before the simulated axis for older repos: the integral of the same curve, with noise.
    age0 = np.maximum((axis0_ts - created_ts) / _DAY, 0.0)
    integral = 180.0 / 0.4 * ((1.0 + age0 / 180.0) ** 0.4 - 1.0) + spike * tau * (age0 > 0)
    initial = np.where(age0 > 0, np.round(pop * integral * dl.lognormal(0.0, 0.3, size=n)), 0).astype(np.int64)
    csum = np.cumsum(daily, axis=1)
    cum_true = initial[:, None] + csum
    d30 = csum.copy()
    d30[:, 30:] -= csum[:, :-30]

    # Recounts: the reported cumulative drops on that day (a few percent of it) and continues from there.
    offset = np.zeros((n, T), dtype=np.int64)
    recount = np.zeros((n, n_days), dtype=bool)
    rc_pool = [i for i in eligible if cum_true[i, -1] > 1000]
    for i in pick(cfg.recount_share, rc_pool):
        lo = max(1, int(listed_w[i]) + 1)
        hi = min(n_days, int(deleted_w[i]))
        choices = [w for w in range(lo, hi) if w not in missing]
        if not choices:
            continue
        w = int(q.choice(choices))
        t = w + _BURN_IN
        prev = int(cum_true[i, t - 1] - offset[i, t - 1])
        drop = int(daily[i, t]) + max(1, round(q.uniform(0.02, 0.2) * prev))
        offset[i, t:] += drop
        recount[i, w] = True
    reported = cum_true - offset

    likes = np.floor(np.array([m.like_coef for m in models])[:, None] * np.power(cum_true, 0.55)).astype(np.int64)
    trending = np.zeros_like(likes)
    trending[:, 7:] = likes[:, 7:] - likes[:, :-7]

    # Items without downloadsAllTime (never on a recount day, so the drop stays visible).
    omit = q.random((n, n_days)) < cfg.missing_downloads_all_time
    wi = np.arange(n_days)[None, :]
    present = (wi >= listed_w[:, None]) & (wi < deleted_w[:, None]) & ~hidden
    file_day = np.ones(n_days, dtype=bool)
    file_day[list(missing)] = False
    omit &= present & ~recount & file_day[None, :]
    if cfg.missing_downloads_all_time > 0 and not omit.any():
        rows, cols = np.nonzero(present & ~recount & file_day[None, :])
        if len(rows):
            k = int(q.integers(0, len(rows)))
            omit[rows[k], cols[k]] = True

    # lastModified: the creation commit, then a few updates (most in the first weeks).
    lr = _rng(cfg.seed, "last-modified")
    lm_iso: list[list[str]] = []
    lm_index = np.zeros((n, n_days), dtype=np.int16)
    window_end = start_ts + _DAY * (np.arange(n_days, dtype=np.int64) + 1)
    for i, m in enumerate(models):
        first = m.created_ts + int(lr.integers(0, max(1, min(6 * 3600, _DAY - m.created_ts % _DAY))))
        k = int(lr.poisson(1.2))
        ups = sorted([first] + [m.created_ts + int(lr.exponential(30.0) * _DAY) + int(lr.integers(0, _DAY))
                                for _ in range(k)])
        lm_iso.append([_iso(u) for u in ups])
        lm_index[i] = np.maximum(np.searchsorted(np.array(ups), window_end, side="right") - 1, 0)

    order_before = sorted(range(n), key=lambda i: ids_before[i])
    order_after = sorted(range(n), key=lambda i: ids_after[i])
    rank_before = np.empty(n, dtype=np.int64)
    rank_before[order_before] = np.arange(n)
    rank_after = np.empty(n, dtype=np.int64)
    rank_after[order_after] = np.arange(n)

    # The parent id as the child's card wrote it: the old namespace if the child predates the rename.
    tagged: list[list[str]] = []
    for i, m in enumerate(models):
        ids = []
        for p in m.parents:
            before = renamed[p.idx] and (rename_w is None or created_w[i] < rename_w)
            ids.append(ids_before[p.idx] if before else ids_after[p.idx])
        tagged.append(ids)

    world = _World(
        cfg=cfg, models=models, days=days, missing=missing, rename_w=rename_w, object_ids=object_ids,
        created_iso=created_iso, reported_created_iso=reported_created_iso, created_w=created_w,
        listed_w=listed_w, deleted_w=deleted_w, renamed=renamed, gated_w=gated_w, gated_value=gated_value,
        missing_library=missing_library, daily=daily, cum_true=cum_true, reported=reported, d30=d30,
        likes=likes, trending=trending, omit_dat=omit, recount=recount, lm_iso=lm_iso, lm_index=lm_index,
        ids_before=ids_before, ids_after=ids_after, rank_before=rank_before, rank_after=rank_after,
        tagged_parent_ids=tagged, recreated=[(o.idx, c.idx, g, b) for o, c, g, b in recreated],
        org_gated=org_gated, gate_span=gate_span, hidden=hidden,
    )
    _static_parts(world)
    log(f"simulator: China level {level:.2f}, growth {growth:.2f}/year after R1 (overtakes on {target})")
    return world


# --------------------------------------------------------------------------------------------- items


def _tags(m: _Model, tagged: list[str]) -> list[str]:
    """Tags in the Hub's usual order: library, formats, architecture, task, languages, lineage, licence."""
    tags: list[str] = []
    if m.library == "gguf":
        tags.append("gguf")
    elif m.library:
        tags.append(m.library)
        if m.library in ("transformers", "peft", "diffusers", "sentence-transformers", "mlx"):
            tags.append("safetensors")
    if m.relation == "merge":
        tags += ["mergekit", "merge"]
    if m.relation == "adapter":
        tags.append("lora")
    if m.arch and m.library != "peft":
        tags.append(m.arch)
    if m.pipeline:
        tags.append(m.pipeline)
    if m.conversational:
        tags.append("conversational")
    tags += list(m.langs)
    for pid in tagged:
        tags += [f"base_model:{pid}", f"base_model:{m.relation}:{pid}"]
    if m.license:
        tags.append(f"license:{m.license}")
    if m.library == "transformers" and m.pipeline == "text-generation":
        tags += ["autotrain_compatible", "text-generation-inference"]
    tags += ["endpoints_compatible", "region:us"]
    return tags


def _eval_payload(m: _Model, object_date: str) -> dict:
    bench = {b[1]: b for b in _LB_BENCHMARKS}
    if m.eval_form == "evalResults":
        return {"evalResults": [
            {"dataset": {"id": bench[name][2], "task_id": bench[name][3]}, "value": value, "date": object_date,
             "source": {"url": "https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard",
                        "name": "Open LLM Leaderboard", "org": "open-llm-leaderboard"}}
            for name, value in m.evals or []
        ]}
    url = ("https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard"
           f"?query={m.final_id}")
    return {"model-index": [{"name": m.name, "results": [
        {"task": {"type": "text-generation", "name": "Text Generation"},
         "dataset": {"name": bench[name][4], "type": bench[name][5]},
         "metrics": [{"type": bench[name][6], "value": value, "name": name}],
         "source": {"url": url, "name": "Open LLM Leaderboard"}}
        for name, value in m.evals or []
    ]}]}


def _static_parts(world: _World) -> None:
    """Per model: the fields that never change (middle and tail of the item), built once."""
    for i, m in enumerate(world.models):
        tagged = world.tagged_parent_ids[i]
        mid: dict = {}
        if m.pipeline:
            mid["pipeline_tag"] = m.pipeline
        if m.library and not world.missing_library[i]:
            mid["library_name"] = m.library
        mid["tags"] = _tags(m, tagged)
        tail: dict = {}
        if m.params and m.library not in ("gguf", "peft"):
            if m.dtype == "I32":
                tail["safetensors"] = {"parameters": {"I32": m.params // 8, "F16": m.params // 40},
                                       "total": m.params // 8 + m.params // 40}
            else:
                tail["safetensors"] = {"parameters": {m.dtype: m.params}, "total": m.params}
        if tagged:
            tail["baseModels"] = {"relation": m.relation, "models": [{"id": pid} for pid in tagged]}
        card: dict = {"license": m.license} if m.license else {}
        if m.license_name:
            card["license_name"] = m.license_name
        if m.langs:
            card["language"] = list(m.langs)
        if tagged:
            card["base_model"] = tagged[0] if len(tagged) == 1 else list(tagged)
            card["base_model_relation"] = m.relation
        tail["cardData"] = card
        if m.evals:
            eval_day = _date_of(m.created_ts + 9 * _DAY).isoformat() + "T00:00:00.000Z"
            tail.update(_eval_payload(m, eval_day))
        world.static_mid.append(mid)
        world.static_tail.append(tail)


def _present(world: _World, w: int, *, listed: bool = True) -> list[int]:
    """Model indices in the snapshot of window day w, sorted by the id shown that day.

    `listed=False` also keeps the models that exist but are not listed that day (hidden, or created after the
    day's `fetch_at`)."""
    exists = ((world.listed_w if listed else world.created_w) <= w) & (w < world.deleted_w)
    if listed and world.hidden is not None:
        exists &= ~world.hidden[:, w]
    idx = np.nonzero(exists)[0]
    after = world.rename_w is not None and w >= world.rename_w
    ranks = (world.rank_after if after else world.rank_before)[idx]
    return idx[np.argsort(ranks, kind="stable")].tolist()


def _day_counts(world: _World, w: int) -> tuple[list, list, list, list, list, list]:
    """Day `w`'s columns as lists: downloads, downloadsAllTime, likes, trending, omitted, lastModified."""
    t = w + _BURN_IN
    return (world.d30[:, t].tolist(), world.reported[:, t].tolist(), world.likes[:, t].tolist(),
            world.trending[:, t].tolist(), world.omit_dat[:, w].tolist(), world.lm_index[:, w].tolist())


def _gated_on(world: _World, i: int, w: int) -> object:
    """The `gated` value model i shows on window day w."""
    span = world.gate_span
    if span is not None and world.org_gated is not None and world.org_gated[i] and span[0] <= w < span[1]:
        return "manual"
    return world.gated_value[i] if w >= world.gated_w[i] else world.models[i].gated_initial


def _items_for_day(world: _World, w: int) -> list[dict]:
    after = world.rename_w is not None and w >= world.rename_w
    ids = world.ids_after if after else world.ids_before
    d30, rep, likes, trending, omit, lmk = _day_counts(world, w)
    items = []
    for i in _present(world, w):
        mid = ids[i]
        item = {
            "_id": world.object_ids[i], "id": mid, "modelId": mid, "author": mid.split("/", 1)[0],
            "createdAt": world.reported_created_iso[i], "lastModified": world.lm_iso[i][lmk[i]],
            "private": False, "disabled": False,
            "gated": _gated_on(world, i, w),
            **world.static_mid[i],
            "downloads": d30[i],
        }
        if not omit[i]:
            item["downloadsAllTime"] = rep[i]
        item["likes"] = likes[i]
        item["trendingScore"] = trending[i]
        item.update(world.static_tail[i])
        if world.cfg.trimmed:  # another tracker's list snapshot: a few keys, in the Hub's order
            item = {key: item[key] for key in TRIMMED_KEYS if key in item}
        items.append(item)
    return items


# `archive.dumps_item` without building a JSONEncoder per call: the same text for any value.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _fields_json(fields: dict) -> str:
    """`"k":v` pairs of `fields` joined by commas, each as `archive.dumps_item` writes it inside an item."""
    return ",".join(f"{_ENCODE(k)}:{_ENCODE(v)}" for k, v in fields.items())


@dataclass
class _Lines:
    """Per model, the JSON text of an item's fields, so a day's lines are joined, not encoded, item by item.

    A line is `archive.dumps_item(item)` of `_items_for_day`'s item, byte for byte: key order and values are
    the same, and JSON of a dict is its `"key":value` pairs joined by commas within braces.
    """

    heads: tuple[list[str], list[str]]  # `{"_id":..,"id":..,"modelId":..,"author":..,"createdAt":..,"lastModified":`
    last_modified: list[list[str]]  # each lastModified value as JSON
    gated: tuple[list[str], list[str]]  # `,"private":false,"disabled":false,"gated":<initial | later>` + mid fields
    tails: list[str]  # `,` + the static tail fields + `}` (or `}` alone)


def _lines_parts(world: _World) -> _Lines | None:
    """The JSON parts of every model's item; None when a field would be written twice (then items are used)."""
    if world.cfg.trimmed or world.gate_span is not None:
        return None  # trimmed items and an organisation's gating are written item by item
    fixed = {"_id", "id", "modelId", "author", "createdAt", "lastModified", "private", "disabled", "gated",
             "downloads", "downloadsAllTime", "likes", "trendingScore"}
    for mid, tail in zip(world.static_mid, world.static_tail, strict=True):
        if (fixed & mid.keys()) or (fixed & tail.keys()) or (mid.keys() & tail.keys()):
            return None
    if any(a.dtype.kind not in "iu" for a in (world.d30, world.reported, world.likes, world.trending)):
        return None  # the counts are written as `str(int)`, which is their JSON only for integers
    heads: tuple[list[str], list[str]] = ([], [])
    for ids, out in ((world.ids_before, heads[0]), (world.ids_after, heads[1])):
        for i, repo in enumerate(ids):
            out.append(
                '{"_id":' + _ENCODE(world.object_ids[i]) + ',"id":' + _ENCODE(repo) + ',"modelId":'
                + _ENCODE(repo) + ',"author":' + _ENCODE(repo.split("/", 1)[0]) + ',"createdAt":'
                + _ENCODE(world.reported_created_iso[i]) + ',"lastModified":'
            )
    gated: tuple[list[str], list[str]] = ([], [])
    for i, m in enumerate(world.models):
        mid = _fields_json(world.static_mid[i])
        mid = "," + mid if mid else ""
        for value, out in ((m.gated_initial, gated[0]), (world.gated_value[i], gated[1])):
            out.append(',"private":false,"disabled":false,"gated":' + _ENCODE(value) + mid)
    tails = []
    for tail in world.static_tail:
        text = _fields_json(tail)
        tails.append(("," + text if text else "") + "}")
    last_modified = [[_ENCODE(v) for v in values] for values in world.lm_iso]
    return _Lines(heads=heads, last_modified=last_modified, gated=gated, tails=tails)


def _lines_for_day(world: _World, parts: _Lines, w: int) -> list[str]:
    """`archive.dumps_item` of every item of `_items_for_day(world, w)`, from the pre-encoded parts."""
    heads = parts.heads[1] if world.rename_w is not None and w >= world.rename_w else parts.heads[0]
    d30, rep, likes, trending, omit, lmk = _day_counts(world, w)
    gated_w = world.gated_w.tolist()
    gated_initial, gated_later = parts.gated
    last_modified, tails = parts.last_modified, parts.tails
    lines = []
    for i in _present(world, w):
        counts = (
            f',"downloads":{d30[i]},"likes":{likes[i]},"trendingScore":{trending[i]}'
            if omit[i]
            else f',"downloads":{d30[i]},"downloadsAllTime":{rep[i]},"likes":{likes[i]},"trendingScore":{trending[i]}'
        )
        gated = gated_later[i] if w >= gated_w[i] else gated_initial[i]
        lines.append(heads[i] + last_modified[i][lmk[i]] + gated + counts + tails[i])
    return lines


def _write_lines(archive_dir: Path, day: dt.date, lines: list[str]) -> Path:
    """`archive.write_snapshot` of the items whose `dumps_item` lines are `lines`: the same bytes, atomically."""
    payload = ("\n".join(lines) + "\n" if lines else "").encode("utf-8")
    return archive.write_snapshot_lines(archive_dir, day, payload, gz=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_day(world: _World, parts: _Lines | None, out: Path, w: int) -> tuple[int, int, str]:
    """Write day `w`'s snapshot file; return (w, items, sha256).

    In this process, one day after the other: a pool of writer processes saved about two seconds on the demo-sized
    archive (4 s in all) and hung test runs for good three times (a forked child on an inherited lock twice, then a
    fork-server worker that vanished with its task, `Pool` waiting for it forever).
    """
    if parts is not None:
        lines = _lines_for_day(world, parts, w)
        try:
            path = _write_lines(out, world.days[w], lines)
            return w, len(lines), _sha256(path)
        except UnicodeEncodeError:  # a string UTF-8 cannot carry: archive.write_snapshot escapes it
            pass
    items = _items_for_day(world, w)
    path = archive.write_snapshot(out, world.days[w], items)
    return w, len(items), _sha256(path)


# ------------------------------------------------------------------------------------ ground truth


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _origin(child: _Model) -> str:
    if not child.parents:
        return ""
    return "same_org" if all(p.author == child.author for p in child.parents) else "cross_org"


def _write_ground_truth(world: _World, gt: Path) -> dict[str, int]:
    cfg, models, days = world.cfg, world.models, world.days
    n_days = len(days)
    gt.mkdir(parents=True, exist_ok=True)
    file_days = np.array([w for w in range(n_days) if w not in world.missing], dtype=np.int64)
    dates = [d.isoformat() for d in days]
    end_t = _BURN_IN + n_days - 1

    def first_last(i: int) -> tuple[str, str]:
        inside = file_days[(file_days >= world.listed_w[i]) & (file_days < world.deleted_w[i])]
        if world.hidden is not None:
            inside = inside[~world.hidden[i, inside]]
        return (dates[inside[0]], dates[inside[-1]]) if len(inside) else ("", "")

    model_rows = []
    for i, m in enumerate(models):
        first, last = first_last(i)
        gated_on = dates[world.gated_w[i]] if world.gated_w[i] < n_days else ""
        deleted_on = dates[world.deleted_w[i]] if world.deleted_w[i] < n_days else ""
        last_t = min(end_t, int(world.deleted_w[i]) + _BURN_IN - 1)
        model_rows.append([
            world.object_ids[i], m.final_id, m.author, m.region, _fmt(m.catalogue), world.created_iso[i],
            world.reported_created_iso[i], _fmt(world.reported_created_iso[i] == PLACEHOLDER_CREATED_AT),
            m.parents[0].final_id if m.parents else "", ";".join(p.final_id for p in m.parents),
            m.relation or "original", _origin(m), m.pipeline or "",
            "" if world.missing_library[i] else m.library, _fmt(m.gated_initial),
            _fmt(world.gated_value[i] if world.gated_w[i] < n_days else m.gated_initial), gated_on, deleted_on,
            world.ids_before[i] if world.renamed[i] else "",
            dates[world.rename_w] if world.renamed[i] and world.rename_w is not None else "",
            first, last, int(world.cum_true[i, last_t]) if last_t >= 0 else 0, _fmt(bool(m.evals)),
            m.license, m.license_name, ";".join(m.langs),
        ])
    _write_csv(gt / "models.csv", [
        "object_id", "model_id", "author", "region", "is_catalogue", "created_at", "reported_created_at",
        "is_placeholder_created_at", "base_model_id", "base_model_ids", "relation", "origin", "pipeline_tag",
        "library_name", "gated_initial", "gated_final", "gated_on", "deleted_on", "renamed_from", "renamed_on",
        "first_date", "last_date", "downloads_all_time_end", "has_eval_results", "license", "license_name",
        "languages",
    ], model_rows)

    release_rows, edge_rows = [], []
    start_ts, end_ts = _ts(cfg.start), _ts(cfg.end) + _DAY
    for i, m in enumerate(models):
        if world.reported_created_iso[i] != PLACEHOLDER_CREATED_AT:
            release_rows.append([
                m.final_id, world.object_ids[i], world.ids_before[i], m.author, m.region,
                _date_of(m.created_ts).isoformat(), m.relation or "original", _origin(m),
                m.parents[0].final_id if m.parents else "", _fmt(m.catalogue),
                _fmt(start_ts <= m.created_ts < end_ts),
            ])
        for p, tagged in zip(m.parents, world.tagged_parent_ids[i], strict=True):
            edge_rows.append([
                m.final_id, world.object_ids[i], p.final_id, world.object_ids[p.idx], tagged, m.relation,
                _date_of(m.created_ts).isoformat(), _date_of(p.created_ts).isoformat(), m.author, p.author,
                m.region, p.region, "same_org" if p.author == m.author else "cross_org",
            ])
    _write_csv(gt / "releases.csv", [
        "model_id", "object_id", "id_at_creation", "author", "region", "created_date", "relation", "origin",
        "base_model_id", "is_catalogue", "in_window",
    ], release_rows)
    _write_csv(gt / "derivative_edges.csv", [
        "child_id", "child_object_id", "parent_id", "parent_object_id", "parent_id_as_tagged", "relation",
        "child_created_date", "parent_created_date", "child_author", "parent_author", "child_region",
        "parent_region", "origin",
    ], edge_rows)

    eval_rows = []
    bench = {b[1]: b for b in _LB_BENCHMARKS}
    for i, m in enumerate(models):
        for name, value in m.evals or []:
            eval_rows.append([m.final_id, world.object_ids[i], m.eval_form, name, bench[name][2],
                              bench[name][3], value])
    _write_csv(gt / "eval_results.csv",
               ["model_id", "object_id", "form", "benchmark", "dataset_id", "task_id", "value"], eval_rows)

    events = []
    for w in sorted(world.missing):
        events.append((dates[w], "missing_date", "", "", "no snapshot file"))
    for i, m in enumerate(models):
        if world.renamed[i] and world.rename_w is not None and world.deleted_w[i] > world.rename_w:
            events.append((dates[world.rename_w], "rename", world.ids_after[i], world.object_ids[i],
                           f"{world.ids_before[i]} -> {world.ids_after[i]}"))
        if world.deleted_w[i] < n_days:
            w = int(world.deleted_w[i])
            shown = world.ids_after[i] if world.rename_w is not None and w >= world.rename_w else world.ids_before[i]
            events.append((dates[w], "delete", shown, world.object_ids[i], "deleted"))
        if world.gated_w[i] < n_days:
            w = int(world.gated_w[i])
            shown = world.ids_after[i] if world.rename_w is not None and w >= world.rename_w else world.ids_before[i]
            events.append((dates[w], "gate", shown, world.object_ids[i],
                           f"{_fmt(m.gated_initial)} -> {world.gated_value[i]}"))
        if world.missing_library[i]:
            first, _ = first_last(i)
            if first:
                w = dates.index(first)
                shown = (world.ids_after[i] if world.rename_w is not None and w >= world.rename_w
                         else world.ids_before[i])
                events.append((first, "missing_field", shown, world.object_ids[i], "library_name (every snapshot)"))
    def shown_on(i: int, w: int) -> str:
        return world.ids_after[i] if world.rename_w is not None and w >= world.rename_w else world.ids_before[i]

    for old, new, gone_w, back_w in world.recreated:
        events.append((dates[back_w], "recreate", shown_on(new, back_w), world.object_ids[new],
                       f"re-created; object {world.object_ids[old]} deleted on {dates[gone_w]}"))
    if world.gate_span is not None and world.org_gated is not None:
        g0, g1 = world.gate_span
        how = "hidden from listings" if cfg.gate_org_hidden else "listed with gated"
        for i in np.nonzero(world.org_gated)[0].tolist():
            first_w = max(g0, int(world.created_w[i]))
            before = world.gated_value[i] if first_w >= world.gated_w[i] else models[i].gated_initial
            events.append((dates[first_w], "gate", shown_on(i, first_w), world.object_ids[i],
                           f"{_fmt(before)} -> manual (organisation {cfg.gate_org} until {dates[g1 - 1]}, {how})"))
            if g1 < n_days and world.deleted_w[i] > g1:
                events.append((dates[g1], "ungate", shown_on(i, g1), world.object_ids[i],
                               f"manual -> {_fmt(_gated_on(world, i, g1))}"))
    for i, w in zip(*np.nonzero(world.recount), strict=True):
        t = int(w) + _BURN_IN
        shown = world.ids_after[i] if world.rename_w is not None and w >= world.rename_w else world.ids_before[i]
        delta = int(world.reported[i, t] - world.reported[i, t - 1])
        events.append((dates[w], "recount", shown, world.object_ids[i], str(delta)))
    for i, w in zip(*np.nonzero(world.omit_dat), strict=True):
        shown = world.ids_after[i] if world.rename_w is not None and w >= world.rename_w else world.ids_before[i]
        events.append((dates[w], "missing_field", shown, world.object_ids[i], "downloadsAllTime"))
    events.sort()
    _write_csv(gt / "events.csv", ["date", "kind", "model_id", "object_id", "detail"], events)

    rows = _write_daily(world, gt / "daily_downloads.csv.gz")
    return {"events": len(events), "derivative_edges": len(edge_rows), "releases": len(release_rows),
            "daily_rows": rows}


def _write_daily(world: _World, path: Path) -> int:
    """The per (model, date) truth, ordered by date then shown id, as gzip without a timestamp.

    Built column-wise (numpy, then pyarrow's CSV writer) because it has a row per model per day.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    n_days = len(world.days)
    header = ("snapshot_date,model_id,object_id,true_daily_downloads,true_downloads_all_time,"
              "reported_downloads_all_time,downloads_30d,likes,trending_score,is_recount_day,in_snapshot\n")
    ids_before = np.array(world.ids_before, dtype=object)
    ids_after = np.array(world.ids_after, dtype=object)
    oids = np.array(world.object_ids, dtype=object)
    total = 0
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                 compresslevel=3) as zf:
        zf.write(header.encode())
        # A month of days per batch keeps memory flat and the pyarrow calls few.
        for lo in range(0, n_days, 31):
            ws = range(lo, min(n_days, lo + 31))
            sel_list = [np.array(_present(world, w, listed=False), dtype=np.int64) for w in ws]
            counts = [len(x) for x in sel_list]
            if not sum(counts):
                continue
            sel = np.concatenate(sel_list)
            w_col = np.repeat(np.fromiter(ws, dtype=np.int64), counts)
            t_col = w_col + _BURN_IN
            after = (w_col >= world.rename_w) if world.rename_w is not None else np.zeros(len(sel), dtype=bool)
            in_file = ~np.isin(w_col, np.fromiter(world.missing, dtype=np.int64, count=len(world.missing)))
            if world.hidden is not None:
                in_file &= ~world.hidden[sel, w_col]
            in_file &= world.listed_w[sel] <= w_col  # created after the day's fetch_at: listed the next day
            reported = world.reported[sel, t_col]
            null_rep = world.omit_dat[sel, w_col] | ~in_file
            if world.cfg.trimmed:
                null_rep |= True
            dates = np.array([d.isoformat() for d in world.days], dtype=object)
            table = pa.table({
                "snapshot_date": pa.array(dates[w_col], pa.string()),
                "model_id": pa.array(np.where(after, ids_after[sel], ids_before[sel]), pa.string()),
                "object_id": pa.array(oids[sel], pa.string()),
                "true_daily_downloads": pa.array(world.daily[sel, t_col]),
                "true_downloads_all_time": pa.array(world.cum_true[sel, t_col]),
                "reported_downloads_all_time": pa.array(reported, mask=null_rep),
                "downloads_30d": pa.array(world.d30[sel, t_col]),
                "likes": pa.array(world.likes[sel, t_col]),
                "trending_score": pa.array(world.trending[sel, t_col]),
                "is_recount_day": pa.array(world.recount[sel, w_col]),
                "in_snapshot": pa.array(in_file),
            })
            buf = io.BytesIO()
            pacsv.write_csv(table, buf, options)
            zf.write(buf.getvalue())
            total += len(sel)
    return total


def _scenario_manifest(world: _World) -> dict:
    """What each scenario option did (only the options in use, so a default manifest is unchanged)."""
    cfg, dates = world.cfg, [d.isoformat() for d in world.days]
    out: dict = {}
    if cfg.rename_also is not None:
        old, new = cfg.rename_also
        out["rename_also"] = {"from": old, "to": new, "date": dates[world.rename_w] if world.rename_w is not None
                              else None, "alias_in_seed": False,
                              "renamed_models": int(sum(bool(world.renamed[i]) for i, m in enumerate(world.models)
                                                        if m.author == new))}
    if cfg.recreated:
        out["recreated"] = [{"model_id": world.models[old].final_id, "old_object_id": world.object_ids[old],
                             "new_object_id": world.object_ids[new], "deleted_on": dates[gone],
                             "recreated_on": dates[back]} for old, new, gone, back in world.recreated]
    if world.gate_span is not None and world.org_gated is not None:
        g0, g1 = world.gate_span
        out["gate_org"] = {"organisation": cfg.gate_org, "first_date": dates[g0], "last_date": dates[g1 - 1],
                           "hidden_from_listings": cfg.gate_org_hidden,
                           "models": sorted(world.models[i].final_id for i in np.nonzero(world.org_gated)[0])}
    if cfg.trimmed:
        out["trimmed"] = {"keys": list(TRIMMED_KEYS)}
    if cfg.fetch_at is not None:
        out["snapshot_taken_at"] = {world.days[w].isoformat(): archive.format_instant(snapshot_instant(cfg, world.days[w]))
                                    for w in range(len(world.days)) if w not in world.missing}
    return out


def snapshot_instant(cfg: SimulationConfig, day: dt.date) -> dt.datetime:
    """The instant the simulated snapshot of `day` shows the Hub at: `day` at `fetch_at` (UTC), or the archive
    format's default, the end of the day (`archive.default_taken_at`)."""
    if cfg.fetch_at is None:
        return archive.default_taken_at(day)
    return dt.datetime.combine(day, cfg.fetch_at, tzinfo=dt.UTC)


# ----------------------------------------------------------------------------------------- simulate


def simulate(config: SimulationConfig, out: Path, *, log: Callable[[str], None] = print) -> dict:
    """Write the simulated archive and its ground truth to `out`; return a summary.

    The summary holds the window, the dates written and missing, the number of models (objects ever,
    existing at the end), items written and the wall-clock seconds. Existing snapshot files and the
    `ground_truth/` folder in `out` are replaced (other files are left alone).
    """
    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for path in out.iterdir():
        if path.is_file() and (re.fullmatch(r"\d{4}-\d{2}-\d{2}\.jsonl(\.gz)?", path.name)
                               or archive.is_meta_filename(path.name)):
            path.unlink()  # a previous run's files (and sidecars), so the missing dates really are missing
    world = _build_world(config, log)
    built = time.perf_counter()

    gt = out / "ground_truth"
    if gt.exists():
        shutil.rmtree(gt)
    parts = _lines_parts(world)
    results = [_write_day(world, parts, out, w) for w in range(len(world.days)) if w not in world.missing]
    counts = _write_ground_truth(world, gt)
    results.sort()
    if config.fetch_at is not None:  # the archive states each snapshot's instant (none: the default, end of day)
        for w, _, _ in results:
            archive.write_snapshot_taken_at(out, world.days[w], snapshot_instant(config, world.days[w]))
    log(f"simulator: {len(results)} snapshot files, {sum(r[1] for r in results)} items and the ground truth "
        f"in {time.perf_counter() - built:.1f}s (world built in {built - started:.1f}s)")
    n_days = len(world.days)
    at_end = int(((world.created_w <= n_days - 1) & (world.deleted_w >= n_days)).sum())
    manifest = {
        "generator": GENERATOR_VERSION,
        "config": config.to_json(),
        "counts": {
            "models": len(world.models),
            "catalogue_models": sum(m.catalogue for m in world.models),
            "community_models": sum(not m.catalogue for m in world.models),
            "models_at_end": at_end,
            "snapshot_files": len(results),
            "items": sum(r[1] for r in results),
            "deleted": int((world.deleted_w < n_days).sum()),
            "gated_in_window": int((world.gated_w < n_days).sum()),
            "renamed": int(world.renamed.sum()),
            "recounts": int(world.recount.sum()),
            "omitted_downloads_all_time": int(world.omit_dat.sum()),
            "placeholder_created_at": sum(x == PLACEHOLDER_CREATED_AT for x in world.reported_created_iso),
            **counts,
        },
        "rename": ({"from": RENAME_FROM, "to": RENAME_TO, "date": world.days[world.rename_w].isoformat()}
                   if world.rename_w is not None else None),
        **_scenario_manifest(world),
        "licence_language_shift": LICENCE_LANGUAGE_SHIFT,
        "missing_dates": [world.days[w].isoformat() for w in sorted(world.missing)],
        "snapshots": {world.days[w].isoformat(): sha for w, _, sha in results},
        "ground_truth": {p.name: _sha256(p) for p in sorted(gt.iterdir()) if p.is_file()},
    }
    (gt / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    seconds = round(time.perf_counter() - started, 2)
    log(f"simulator: done in {seconds}s -> {out}")
    return {
        "out": str(out),
        "start": config.start.isoformat(),
        "end": config.end.isoformat(),
        "dates": len(results),
        "missing_dates": manifest["missing_dates"],
        "models": len(world.models),
        "models_at_end": at_end,
        "items_written": manifest["counts"]["items"],
        "seconds": seconds,
    }
