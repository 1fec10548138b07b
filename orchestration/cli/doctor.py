"""`hubpulse doctor`: check a live set-up before the first scheduled run.

One line per check, `OK`, `WARN` or `FAIL`, with the reason and what to do; exit code 0 when nothing FAILs, 1
otherwise; `--json` prints the same as JSON. `run_checks` returns the results as `Check` objects.

- `source`: the daily schedule reads the live Hub only with `HUBPULSE_SOURCE=live`.
- `endpoint`: the live endpoint (`HF_ENDPOINT`, else huggingface_hub's default) answers, and `HF_TOKEN` is
  accepted by `GET /api/whoami-v2` (what `HfApi.whoami` calls), asked through huggingface_hub's shared session
  as `HubClient` asks its pages (`HfApi` itself would build its headers with `build_hf_headers`, which fetches a
  registry from the Hub first: see `HubClient._headers`). Without a token, one `GET /api/models?limit=1`.
  The token is never printed: `mask_token` shows its prefix and length only, and every message is redacted.
- `requests`: the requests one daily run sends, counted from the scope's own listings (`Scope.queries`,
  `Scope.children_queries`) and the client's paging (an empty first page is read twice; a top-N listing stops at
  its limit), over the newest raw partition (measured) or documented assumptions; against the account's
  rate limit (the Hub's `RateLimit-Policy` header when it sends one, else the plan's limit in HUB_API.md),
  with the run's least duration when the client waits out each exhausted window (bench/scope.py's formula).
- `disk`: raw bytes per model row measured on the raw partitions (else `ASSUMED_BYTES_PER_ROW`), per day and
  per 365 days at that scope, against the free space of the disk holding HUBPULSE_HOME.
- `schedule`: `daily_hub_snapshot`'s state in the instance at DAGSTER_HOME (or its default from the code) and
  its next tick (UTC).
- `daemon`: a dagster-daemon heartbeat for that instance within `DAEMON_HEARTBEAT_MAX_AGE_SECONDS`.
- `home`, `dagster_home`, `dbt_manifest`: HUBPULSE_HOME writable, DAGSTER_HOME set with its dagster.yaml,
  the dbt manifest prepared (`hubpulse prepare` makes all three).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from orchestration.hub.limits import RATE_LIMITS, RATE_WINDOW_SECONDS, least_run_seconds

if TYPE_CHECKING:
    from orchestration.hub.rawstore import RawRoot
    from orchestration.hub.scope import Scope
    from orchestration.settings import Settings

Status = Literal["OK", "WARN", "FAIL"]

# The limits per 5-minute window and the run's least duration live in orchestration/hub/limits.py; the Hub's own
# `RateLimit-Policy` header, when an answer carries one, wins over the published limits.
# The whole Hub (HUB_API.md: ~2.5M models), for a full crawl with no raw partition to count.
FULL_HUB_MODELS = 2_500_000
# With no raw partition yet: models per tracked organisation. The default scope over the seed's organisations
# costs about 2,100 requests a day on the simulated Hub (README, bench/scope.py): one author listing each, three
# top-N pages and one children listing per tracked model, most of them empty and so read twice, i.e. about 8
# models per organisation.
ASSUMED_MODELS_PER_ORG = 8
# With no raw partition yet: bytes of one model row in a raw partition (Parquet, zstd, the whole item JSON kept).
ASSUMED_BYTES_PER_ROW = 1_500
# A daemon heartbeat older than this is a daemon that is not running.
DAEMON_HEARTBEAT_MAX_AGE_SECONDS = 300
CHECKS = ("source", "endpoint", "requests", "disk", "home", "dagster_home", "dbt_manifest", "schedule", "daemon")


def _hub_page_size() -> int:
    """Items per listing page: the Hub's (~1,000 observed, HUB_API.md), which the client's local Hub copies."""
    from orchestration.hub.client import HubClient

    return int(HubClient.model_fields["local_page_size"].default)


@dataclass(frozen=True)
class Check:
    """One check's result: `status`, the reason (`message`), what to do about it (`action`) and figures."""

    name: str
    status: Status
    message: str
    action: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        text = f"{self.status:<4} {self.name}: {self.message}"
        return f"{text} -> {self.action}" if self.action else text


@dataclass(frozen=True)
class RequestEstimate:
    """What one daily run of a scope asks the Hub: requests (pages, re-reads included), listings, models."""

    requests: int
    listings: int
    models: int
    by_kind: dict[str, int]
    measured_on: dt.date | None = None  # the raw partition counted; None: ASSUMED_MODELS_PER_ORG / FULL_HUB_MODELS


def mask_token(token: str) -> str:
    """A token as it may be shown: its `hf_` prefix if any and its length, never a character of the secret."""
    prefix = "hf_" if token.startswith("hf_") else ""
    return f"{prefix}*** ({len(token)} characters)"


# --------------------------------------------------------------------------------------------- requests


def _listing_requests(matching: int, page_size: int, limit: int | None = None) -> int:
    """Requests the client sends for one listing of `matching` models: one per page, stopping at `limit`
    (which also caps the page size), and two for an empty first page (read again before it is believed)."""
    if limit:
        matching, page_size = min(matching, limit), min(page_size, limit)
    return 2 if matching == 0 else math.ceil(matching / page_size)


def count_requests(scope: Scope, items: Iterable[dict], page_size: int | None = None,
                   measured_on: dt.date | None = None) -> RequestEstimate:
    """The requests one run of `scope` sends when the Hub holds `items` (dicts with `id` and `tags`; a day's raw
    partition holds every model the scope's listings return), as `HubClient.fetch_snapshot` pages them."""
    size = page_size or _hub_page_size()
    items = [item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
    by_author = Counter(item["id"].partition("/")[0] for item in items)
    by_tag = Counter(tag for item in items for tag in set(item.get("tags") or ()) if isinstance(tag, str))
    by_kind: Counter[str] = Counter()
    queries = scope.queries()
    for query in queries:
        if query.author:
            matching = by_author[query.author]
        elif query.filter:
            matching = by_tag[query.filter]
        else:
            matching = len(items)
        by_kind[query.name.split(":", 1)[0]] += _listing_requests(matching, size, query.limit)
    children = scope.children_queries(items)
    for query in children:
        by_kind["children"] += _listing_requests(by_tag[query.filter], size, query.limit)
    return RequestEstimate(sum(by_kind.values()), len(queries) + len(children), len(items), dict(by_kind),
                           measured_on)


def assumed_requests(scope: Scope, page_size: int | None = None) -> RequestEstimate:
    """`count_requests` with no partition to count: `FULL_HUB_MODELS` for a full crawl, else
    `ASSUMED_MODELS_PER_ORG` models per tracked organisation, each with a children listing that is empty."""
    size = page_size or _hub_page_size()
    if scope.full:
        return RequestEstimate(_listing_requests(FULL_HUB_MODELS, size), 1, FULL_HUB_MODELS,
                               {"full-hub": _listing_requests(FULL_HUB_MODELS, size)})
    orgs = len(scope.tracked())
    by_kind: Counter[str] = Counter()
    models = orgs * ASSUMED_MODELS_PER_ORG
    by_kind["author"] = orgs * _listing_requests(ASSUMED_MODELS_PER_ORG, size)
    listings = orgs
    for query in scope.queries():
        if query.limit:
            by_kind["top"] += _listing_requests(query.limit, size, query.limit)
            models += query.limit
            listings += 1
    if scope.derivatives:
        by_kind["children"] = orgs * ASSUMED_MODELS_PER_ORG * _listing_requests(0, size)
        listings += orgs * ASSUMED_MODELS_PER_ORG
    return RequestEstimate(sum(by_kind.values()), listings, models, dict(by_kind))


def newest_partition_items(raw_root: RawRoot) -> tuple[dt.date | None, list[dict]]:
    """(date, [{id, tags}]) of the newest raw partition, or (None, []) when there is none."""
    from orchestration.hub import rawstore

    days = rawstore.list_partitions(raw_root)
    if not days:
        return None, []
    table = rawstore.read_table(rawstore.partition_file(raw_root, days[-1]), ["id", "tags"])
    return days[-1], table.to_pylist()


# --------------------------------------------------------------------------------------------- endpoint


@dataclass
class _Probe:
    check: Check
    limit: int | None = None
    window: int | None = None
    plan: str = "anonymous"


def _endpoint_check(endpoint: str, token: str | None, timeout: float) -> _Probe:
    import httpx2
    from huggingface_hub.utils import get_session, parse_ratelimit_headers

    from orchestration.hub.client import HubClient, InsecureEndpointError

    def redact(text: str) -> str:
        return text.replace(token, "<redacted>") if token else text

    shown = f"token {mask_token(token)}" if token else "no token"
    try:
        HubClient(source="live", endpoint=endpoint, token=token).check_token_transport()
    except InsecureEndpointError as exc:
        return _Probe(Check("endpoint", "FAIL", redact(str(exc)), "use https:// in HF_ENDPOINT"))
    url = f"{endpoint}/api/whoami-v2" if token else f"{endpoint}/api/models"
    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        answer = get_session().get(url, headers=headers, params=None if token else {"limit": 1}, timeout=timeout)
    except httpx2.TimeoutException:
        return _Probe(Check("endpoint", "FAIL", f"{endpoint} did not answer within {timeout:g}s (timeout)",
                            "check HF_ENDPOINT, the network and any proxy", {"endpoint": endpoint}))
    except httpx2.TransportError as exc:
        reason = " ".join(redact(f"{type(exc).__name__}: {exc}").split())[:200]
        return _Probe(Check("endpoint", "FAIL", f"{endpoint} is unreachable ({reason})",
                            "check HF_ENDPOINT (a typo, DNS, a closed port), the network and any proxy",
                            {"endpoint": endpoint}))
    info = parse_ratelimit_headers(answer.headers)
    probe = _Probe(Check("endpoint", "OK", ""), info.limit if info else None, info.window_seconds if info else None)
    details = {"endpoint": endpoint, "status": answer.status_code, "token": mask_token(token) if token else None}
    if answer.status_code == 401:
        probe.check = Check("endpoint", "FAIL", f"{endpoint} refused {shown}: HTTP 401 (invalid token)",
                            "create a read token at https://huggingface.co/settings/tokens and export HF_TOKEN",
                            details)
    elif answer.status_code != 200:
        probe.check = Check("endpoint", "FAIL", f"{endpoint} answered HTTP {answer.status_code} to {url}",
                            "check HF_ENDPOINT: it must be the Hub's API root", details)
    elif not token:
        probe.check = Check("endpoint", "WARN", f"{endpoint} reachable; no token: anonymous rate limits "
                            f"({RATE_LIMITS['anonymous']} requests per 5 minutes per IP)",
                            "export HF_TOKEN=<a read token> for a higher limit", details)
    else:
        try:
            account = answer.json()
        except ValueError:
            account = {}
        name = account.get("name") if isinstance(account, dict) else None
        probe.plan = "PRO" if isinstance(account, dict) and account.get("isPro") else "free"
        probe.check = Check("endpoint", "OK", f"{endpoint} reachable; {shown} accepted: account {name!r} "
                            f"({probe.plan} plan)", "", {**details, "account": name, "plan": probe.plan})
    return probe


# --------------------------------------------------------------------------------------------- checks


def _requests_check(scope: Scope, raw_root: RawRoot, probe: _Probe, page_size: int | None) -> tuple[Check, RequestEstimate]:
    day, items = newest_partition_items(raw_root)
    estimate = count_requests(scope, items, page_size, day) if day else assumed_requests(scope, page_size)
    if probe.limit:
        limit, window, source = probe.limit, probe.window or RATE_WINDOW_SECONDS, "the Hub's RateLimit-Policy header"
    else:
        limit, window, source = RATE_LIMITS[probe.plan], RATE_WINDOW_SECONDS, f"the {probe.plan} plan, HUB_API.md"
    seconds = least_run_seconds(estimate.requests, limit, window)
    basis = f"counted on the raw partition of {day}" if day else "estimated: no raw partition yet"
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(estimate.by_kind.items()))
    message = (f"{estimate.requests:,} requests a day ({kinds}; {estimate.listings:,} listings, {basis}) against "
               f"{limit:,} per {window}s ({source}): a run takes at least {seconds / 60:.1f} min")
    details = {**dataclasses.asdict(estimate), "limit": limit, "window_seconds": window, "least_run_seconds": seconds}
    details["measured_on"] = day.isoformat() if day else None
    problems = []
    if estimate.requests > limit:
        problems.append(f"over the limit: the client waits out {math.ceil(estimate.requests / limit) - 1} window(s)")
    if seconds > 3600:
        problems.append("over an hour")
    if problems:
        return Check("requests", "WARN", f"{message}; {', '.join(problems)}",
                     "a token (or a PRO token) raises the limit; a smaller scope (HUBPULSE_TOP_N, "
                     "HUBPULSE_SCOPE_ORGS, HUBPULSE_SCOPE_DERIVATIVES=0) needs fewer requests", details), estimate
    return Check("requests", "OK", message, "", details), estimate


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _disk_check(raw_root: RawRoot, home: Path, models: int) -> Check:
    from orchestration.hub import rawstore

    files = [rawstore.partition_file(raw_root, day) for day in rawstore.list_partitions(raw_root)]
    rows = sum(rawstore.num_rows(path) for path in files)
    if rows:
        per_row = sum(rawstore.size(path) for path in files) / rows
        basis = f"measured on {len(files)} raw partition(s)"
    else:
        per_row, basis = float(ASSUMED_BYTES_PER_ROW), "assumed, no raw partition yet"
    per_day = per_row * models
    per_year = per_day * 365
    if rawstore.is_remote(raw_root):
        details = {"bytes_per_row": per_row, "models_per_day": models, "bytes_per_day": per_day,
                   "bytes_per_year": per_year, "measured": bool(rows)}
        return Check("disk", "OK", f"raw {per_row:,.0f} bytes per model row ({basis}) x {models:,} models: "
                     f"{_size(per_day)} a day, {_size(per_year)} a year, in {raw_root} (object storage, not this "
                     f"disk; the warehouse and published copies stay under {home})", "", details)
    free = shutil.disk_usage(_existing_parent(home)).free
    message = (f"raw {per_row:,.0f} bytes per model row ({basis}) x {models:,} models: {_size(per_day)} a day, "
               f"{_size(per_year)} a year; {_size(free)} free on the disk of {home}")
    details = {"bytes_per_row": per_row, "models_per_day": models, "bytes_per_day": per_day,
               "bytes_per_year": per_year, "free_bytes": free, "measured": bool(rows)}
    if per_year > free:
        return Check("disk", "WARN", f"{message}: a year does not fit",
                     "free space, move HUBPULSE_HOME to a larger disk, or narrow the scope", details)
    return Check("disk", "OK", message + " (the warehouse and published copies come on top)", "", details)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} TB"


def _home_check(home: Path) -> Check:
    if not home.is_dir():
        return Check("home", "FAIL", f"HUBPULSE_HOME {home} does not exist", f"run `hubpulse prepare --home {home}`")
    try:
        with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check("home", "FAIL", f"HUBPULSE_HOME {home} is not writable ({exc.strerror})",
                     "choose a folder this user can write (HUBPULSE_HOME)")
    return Check("home", "OK", f"HUBPULSE_HOME {home} is writable")


def _dagster_home_check(dagster_home: Path | None, home: Path) -> Check:
    if dagster_home is None:
        return Check("dagster_home", "FAIL", "DAGSTER_HOME is not set: `dagster dev` would use a throwaway instance "
                     "and the schedule's runs would be lost",
                     f"export DAGSTER_HOME={home / 'dagster'} and run `hubpulse prepare`")
    if not (dagster_home / "dagster.yaml").is_file():
        return Check("dagster_home", "FAIL", f"{dagster_home / 'dagster.yaml'} is missing",
                     "run `hubpulse prepare` with this DAGSTER_HOME")
    return Check("dagster_home", "OK", f"DAGSTER_HOME {dagster_home} has its dagster.yaml")


def _manifest_check() -> Check:
    try:
        from orchestration.dbt.project import manifest_path

        return Check("dbt_manifest", "OK", f"dbt manifest prepared ({manifest_path()})")
    except FileNotFoundError as exc:
        return Check("dbt_manifest", "FAIL", str(exc), "run `hubpulse prepare`")


def next_daily_tick(cron: str, now: dt.datetime) -> dt.datetime:
    """The next tick after `now` of a daily cron `M H * * *` (UTC)."""
    minute, hour = (int(part) for part in cron.split()[:2])
    now = now.astimezone(dt.UTC)
    tick = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return tick if tick > now else tick + dt.timedelta(days=1)


def _instance_checks(dagster_home: Path | None, now: dt.datetime, wanted: Collection[str]) -> list[Check]:
    """The schedule's state and next tick, and the daemon's heartbeat, in the instance at `dagster_home`."""
    if dagster_home is None or not (dagster_home / "dagster.yaml").is_file():
        why = "no Dagster instance to read (see dagster_home)"
        return [Check(name, "FAIL", why, "run `hubpulse prepare` with DAGSTER_HOME set") for name in
                ("schedule", "daemon") if name in wanted]
    import dagster as dg

    try:
        from orchestration.hub.jobs import daily_hub_snapshot
    except Exception as exc:  # noqa: BLE001 (whatever stops the code location loading is the finding)
        return [Check(name, "FAIL", f"the code location does not load: {type(exc).__name__}: {exc}"[:300],
                      "run `hubpulse prepare`, then `dagster definitions validate -m orchestration.definitions`")
                for name in ("schedule", "daemon") if name in wanted]

    checks = []
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        if "schedule" in wanted:
            states = [state for state in instance.all_instigator_state()
                      if state.name == daily_hub_snapshot.name and state.instigator_type.value == "SCHEDULE"]
            stored = {state.status.value for state in states} - {"DECLARED_IN_CODE"}
            default = daily_hub_snapshot.default_status.value.upper()
            state = ("RUNNING" if "RUNNING" in stored else "STOPPED") if stored else default
            origin = "set in the instance" if stored else "default from the code"
            tick = next_daily_tick(daily_hub_snapshot.cron_schedule, now)
            message = (f"{daily_hub_snapshot.name} is {state.lower()} ({origin}); next tick {tick:%Y-%m-%d %H:%M} "
                       f"UTC (cron {daily_hub_snapshot.cron_schedule!r}, HUBPULSE_DAILY_AT)")
            details = {"schedule": daily_hub_snapshot.name, "state": state.lower(), "origin": origin,
                       "next_tick": tick.isoformat(), "cron": daily_hub_snapshot.cron_schedule}
            if state == "RUNNING":
                checks.append(Check("schedule", "OK", message, "", details))
            else:
                checks.append(Check("schedule", "WARN", message,
                                    f"turn it on in the UI (Automation), or `dagster schedule start "
                                    f"{daily_hub_snapshot.name} -m orchestration.definitions`", details))
        if "daemon" in wanted:
            beats = instance.get_daemon_heartbeats()
            newest = max((beat.timestamp for beat in beats.values()), default=None)
            action = "run `dagster dev` or `dagster-daemon run` with this DAGSTER_HOME (and keep it running)"
            if newest is None:
                checks.append(Check("daemon", "WARN", f"no dagster-daemon has run for the instance at {dagster_home}: "
                                    "the schedule will not tick", action))
            else:
                age = now.timestamp() - newest
                details = {"heartbeat_age_seconds": round(age, 1), "daemons": sorted(beats)}
                if age > DAEMON_HEARTBEAT_MAX_AGE_SECONDS:
                    checks.append(Check("daemon", "WARN", f"the dagster-daemon's last heartbeat is {age / 60:.0f} min "
                                        "old: it is not running, so the schedule will not tick", action, details))
                else:
                    checks.append(Check("daemon", "OK", f"a dagster-daemon is running ({len(beats)} daemons, "
                                        f"heartbeat {age:.0f}s ago)", "", details))
    return checks


_FROM_ENV: Any = object()


def run_checks(settings: Settings | None = None, *, home: Path | None = None, token: str | None = _FROM_ENV,
               dagster_home: Path | None = _FROM_ENV, scope: Scope | None = None, page_size: int | None = None,
               timeout_seconds: float = 5.0, now: dt.datetime | None = None,
               only: Collection[str] | None = None) -> list[Check]:
    """Every check (or those named in `only`, see `CHECKS`), in order.

    `settings` default to `get_settings()`, `home` to its HUBPULSE_HOME, `token` to HF_TOKEN (`dg.EnvVar`),
    `dagster_home` to DAGSTER_HOME, `scope` to `Scope.from_env()` (the process's settings, as the `scope`
    resource), `page_size` to the Hub's.
    """
    import dagster as dg

    from orchestration import settings as settings_module
    from orchestration.hub.scope import Scope

    s = settings or settings_module.get_settings()
    home = Path(home or s.home)
    if token is _FROM_ENV:
        token = dg.EnvVar("HF_TOKEN").get_value() or None
    if dagster_home is _FROM_ENV:
        dagster_home = Path(os.environ["DAGSTER_HOME"]) if os.environ.get("DAGSTER_HOME") else None
    scope = scope or Scope.from_env()
    wanted = set(only or CHECKS)
    now = now or dt.datetime.now(dt.UTC)
    raw_root = settings_module.raw_models_dir(home, s)
    checks: list[Check] = []
    if "source" in wanted:
        checks.append(Check("source", "OK", "HUBPULSE_SOURCE=live: the daily schedule reads the live Hub")
                      if s.source == "live" else
                      Check("source", "WARN", "HUBPULSE_SOURCE=local: the daily schedule would read the local archive",
                            "export HUBPULSE_SOURCE=live"))
    probe = _Probe(Check("endpoint", "OK", ""), plan="free" if token else "anonymous")
    if wanted & {"endpoint", "requests"}:
        from huggingface_hub import constants

        probe = _endpoint_check((s.hf_endpoint or constants.ENDPOINT).rstrip("/"), token, timeout_seconds)
        if "endpoint" in wanted:
            checks.append(probe.check)
    models = None
    if "requests" in wanted:
        check, estimate = _requests_check(scope, raw_root, probe, page_size)
        checks.append(check)
        models = estimate.models
    if "disk" in wanted:
        if models is None:
            day, items = newest_partition_items(raw_root)
            models = (count_requests(scope, items, page_size, day) if day else assumed_requests(scope, page_size)).models
        checks.append(_disk_check(raw_root, home, models))
    if "home" in wanted:
        checks.append(_home_check(home))
    if "dagster_home" in wanted:
        checks.append(_dagster_home_check(dagster_home, home))
    if "dbt_manifest" in wanted:
        checks.append(_manifest_check())
    if wanted & {"schedule", "daemon"}:
        checks.extend(_instance_checks(dagster_home, now, wanted))
    if token:  # belt and braces: no message may carry the secret
        checks = [dataclasses.replace(c, message=c.message.replace(token, "<redacted>"),
                                      action=c.action.replace(token, "<redacted>")) for c in checks]
    return checks


def report(checks: list[Check], as_json: bool = False) -> str:
    """The checks as text (one line each, then a count) or as JSON."""
    failed = sum(c.status == "FAIL" for c in checks)
    warned = sum(c.status == "WARN" for c in checks)
    if as_json:
        return json.dumps({"ok": not failed, "fail": failed, "warn": warned,
                           "checks": [dataclasses.asdict(c) for c in checks]}, indent=2, default=str)
    lines = [c.line() for c in checks]
    lines.append(f"doctor: {len(checks)} checks, {failed} FAIL, {warned} WARN")
    return "\n".join(lines)


def register(sub, *, home_help: str, home: Callable[[argparse.Namespace], Path]) -> None:
    """Add `doctor` to the `hubpulse` parser; `home` resolves `--home`."""

    def command(args) -> int:
        checks = run_checks(home=home(args), timeout_seconds=args.timeout)
        print(report(checks, as_json=args.json))
        return 1 if any(c.status == "FAIL" for c in checks) else 0

    p = sub.add_parser("doctor", help="check a live set-up (endpoint, token, scope, disk, schedule, daemon) "
                                      "before the first scheduled run")
    p.add_argument("--home", default=None, help=home_help)
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the endpoint (default %(default)s)")
    p.set_defaults(func=command)
