"""Benchmark: what the live default scope costs a day, and whether it captures the derivatives of tracked bases.

A simulated Hub (`orchestration.localhub.simulator.simulate`, the real catalogue, `SimulationConfig` defaults over
`--days` days ending `--end`; the THUDM -> zai-org rename falls inside the window) is served by the local Hub
with the Hub's page size (`--page-size`, ~1,000 observed). Each day is crawled twice by `HubClient.fetch_snapshot`:

- the default scope (`HUBPULSE_FULL_CRAWL` unset): every namespace of the organisations seed, the top
  `--top-n` by downloads, likes and trending score, and the children listings
  (`filter=base_model:ORG/NAME`) of every tracked organisation's model of that day, plus its pre-rename name;
- the full crawl, the reference for what exists.

Printed per day: listings and requests by kind (author, top-N, children; requests include the immediate
re-read of an empty first page), the minimum wall time of those requests under each rate-limit budget of
../shared/HUB_API.md (anonymous 500, free 1,000, PRO 2,500 calls per 5-minute window: a crawl of R requests
waits out ceil(R / L) - 1 full windows), and the share of the full crawl's derivative edges on tracked bases
(child -> `base_model:P` with P in a tracked namespace) that the default scope's snapshot holds. Target: 100%
for the bases that exist that day (under their current or pre-rename name). Edges to a base deleted before that
day cannot be found from that day's listings; they are counted apart.

Also measured: the cheaper rule "skip tracked models that are themselves quantized or adapter derivatives (or
GGUF repos)": how many listings it would save and how many children those models have.

    .venv/bin/python bench/scope.py [--end 2026-01-31] [--days 4] [--top-n 1000] [--page-size 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orchestration.hub.limits import RATE_LIMITS, least_run_seconds

BUDGETS = tuple((plan, RATE_LIMITS[plan]) for plan in ("anonymous", "free", "PRO"))


def kind_of(listing: str) -> str:
    return listing.split(":", 1)[0]


def plain_base_tags(item: dict) -> set[str]:
    """Parents named by `base_model:ORG/NAME` tags (the typed `base_model:REL:ORG/NAME` repeats them)."""
    return {t.split(":", 1)[1] for t in item.get("tags") or []
            if isinstance(t, str) and t.startswith("base_model:") and t.count(":") == 1}


def is_quantized_or_adapter(item: dict) -> bool:
    tags = item.get("tags") or []
    return (item.get("library_name") == "gguf" or "gguf" in tags
            or any(isinstance(t, str) and t.startswith(("base_model:quantized:", "base_model:adapter:")) for t in tags))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 1, 31))
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--top-n", type=int, default=1000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="write the simulated archive here and keep it")
    args = parser.parse_args(argv)

    from orchestration.hub.archive import read_snapshot
    from orchestration.hub.client import HubClient
    from orchestration.hub.scope import Scope, seed_aliases, seed_organisations
    from orchestration.localhub.server import LocalHub
    from orchestration.localhub.simulator import SimulationConfig, simulate

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="hubpulse-bench-scope-"))
    archive = workdir / "archive"
    start = args.end - dt.timedelta(days=args.days - 1)
    summary = simulate(SimulationConfig(start=start, end=args.end), archive, log=lambda _m: None)
    orgs = seed_organisations()
    tracked_ns = set(orgs)
    legacy = {new: old for old, new in seed_aliases() if new in tracked_ns}
    scope = Scope(organisations=tuple(orgs), top_n_downloads=args.top_n, top_n_likes=args.top_n,
                  top_n_trending=args.top_n)
    print(f"simulated Hub: {start} .. {args.end}, {summary['dates']} snapshot files, {summary['models']:,} models "
          f"(SimulationConfig defaults); scope: {len(orgs)} organisations of the seed, top {args.top_n} x 3, "
          f"children listings on; page size {args.page_size}")

    totals: Counter = Counter()
    days_run = 0
    try:
        with LocalHub(archive, page_size=args.page_size) as hub:
            client = HubClient(source="local", endpoint=hub.url)
            sleeps: list[float] = []
            client._sleep = sleeps.append  # record the client's waits (none expected) instead of sleeping
            with client.serving() as endpoint_for:
                for day in (start + dt.timedelta(days=n) for n in range(args.days)):
                    if not (archive / f"{day}.jsonl.gz").exists():
                        print(f"\n{day}: no snapshot file (a missing date of the simulation)")
                        continue
                    days_run += 1
                    hub.preload(day)
                    hub.reset_stats()
                    t0 = time.perf_counter()
                    items, stats = client.fetch_snapshot(day, scope, endpoint_for(day))
                    seconds = time.perf_counter() - t0
                    served = hub.stats["list_requests"]
                    full_items, _full_stats = client.fetch_snapshot(day, Scope(organisations=(), full=True),
                                                                    endpoint_for(day))
                    totals += report_day(day, items, stats, seconds, served, full_items, tracked_ns, legacy,
                                         args.page_size, sleeps)
                    sleeps.clear()
                    assert {i["id"]: i for i in full_items} == {i["id"]: i for i in read_snapshot(
                        archive / f"{day}.jsonl.gz")}, "the full crawl is not the archive"
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)

    if days_run:
        print(f"\nover {days_run} day(s): {totals['requests'] / days_run:,.0f} requests a day on average "
              f"({totals['listings'] / days_run:,.0f} listings, of which {totals['children'] / days_run:,.0f} children "
              f"listings; {totals['rereads'] / days_run:,.0f} re-reads of an empty first page)")
        captured, edges = totals["captured_present"], totals["edges_present"]
        print(f"derivative edges on tracked bases present that day, captured: {captured:,} / {edges:,} = "
              f"{100 * captured / max(edges, 1):.2f}% (target 100%)")
        print(f"  edges on tracked bases deleted before that day (not findable from that day's listings): "
              f"{totals['captured_gone']:,} / {totals['edges_gone']:,} captured anyway (found by another listing)")
    return 0


def report_day(day, items, stats, seconds, served, full_items, tracked_ns, legacy, page_size, sleeps) -> Counter:
    """Print one day's figures; return the counters summed over the window."""
    per_kind: dict[str, Counter] = {}
    for name, n in stats.per_query.items():
        c = per_kind.setdefault(kind_of(name), Counter())
        pages = max(1, math.ceil(n / page_size))
        c["listings"] += 1
        c["pages"] += pages
        c["items"] += n
        c["empty"] += n == 0
        c["requests"] += pages + (n == 0)  # an empty first page is read twice
    derived = sum(c["requests"] for c in per_kind.values())
    print(f"\n{day}: {stats.listings:,} listings, {stats.requests:,} requests ({stats.pages:,} pages + "
          f"{stats.empty_pages_reread:,} re-reads of an empty first page), {len(items):,} items "
          f"({len({i['id'] for i in items}):,} distinct), {seconds:.2f}s on loopback; "
          f"requests summed by listing kind vs the client's and the server's count: "
          f"{'consistent' if derived == stats.requests == served else 'DIFFERENT'} "
          f"({derived:,} / {stats.requests:,} / {served:,})")
    for kind in ("author", "top", "children"):
        c = per_kind.get(kind, Counter())
        print(f"  {kind:<9} {c['listings']:>6,} listings {c['pages']:>6,} pages {c['empty']:>6,} empty "
              f"{c['requests']:>6,} requests {c['items']:>7,} items")
    per_request = seconds / max(stats.requests, 1)
    for label, limit in BUDGETS:
        wall = least_run_seconds(stats.requests, limit, seconds_per_request=per_request)
        print(f"  {label:<9} budget {limit:>5,} / 5 min: at least {wall / 60:5.1f} min a day "
              f"({math.ceil(stats.requests / limit)} window(s), {100 * stats.requests / (limit * 288):.2f}% of "
              "the day's calls)")
    print(f"  client sleeps: {len(sleeps)} ({sum(sleeps):.1f}s); a fixed ~1 s backoff before each re-read of an "
          f"empty first page would have cost ~{stats.empty_pages_reread:,} s")

    # Derivative edges of the full crawl on tracked bases, and which the default scope captured.
    present = {i["id"] for i in full_items}
    tracked_models = {m for m in present if m.split("/")[0] in tracked_ns}
    names = set(tracked_models)
    names |= {f"{legacy[m.split('/')[0]]}/{m.split('/', 1)[1]}" for m in tracked_models if m.split("/")[0] in legacy}
    got = {i["id"] for i in items}
    out: Counter = Counter(requests=stats.requests, listings=stats.listings, children=stats.children_listings,
                           rereads=stats.empty_pages_reread)
    renamed = Counter()
    for item in full_items:
        for parent in plain_base_tags(item):
            if parent.split("/")[0] not in tracked_ns or parent == item["id"]:
                continue
            key = "present" if parent in names else "gone"
            out[f"edges_{key}"] += 1
            out[f"captured_{key}"] += item["id"] in got
            if parent in names and parent not in tracked_models:
                renamed["edges"] += 1
                renamed["captured"] += item["id"] in got
    print(f"  derivative edges on tracked bases present that day: {out['captured_present']:,} / "
          f"{out['edges_present']:,} captured ({renamed['captured']:,} / {renamed['edges']:,} tagged with a "
          f"pre-rename name); on bases deleted before: {out['captured_gone']:,} / {out['edges_gone']:,}")

    # The cheaper rule: no children listing for tracked quantized / adapter / GGUF repos.
    skippable = {i["id"] for i in full_items if i["id"] in tracked_models and is_quantized_or_adapter(i)}
    their_children = sum(1 for i in full_items if plain_base_tags(i) & skippable)
    print(f"  cheaper rule (skip tracked quantized/adapter/GGUF repos): {len(skippable):,} of "
          f"{stats.children_listings:,} children listings saved "
          f"({100 * len(skippable) / max(stats.children_listings, 1):.1f}%), their children: {their_children:,}")
    return out


if __name__ == "__main__":
    sys.exit(main())
