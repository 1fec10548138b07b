"""The hubpulse dashboard: a Streamlit app over the published serving data, one page per question of the SPEC.

`hubpulse dashboard` (or `make dashboard`) runs `APP` with `streamlit run`. The app reads only
`<HUBPULSE_HOME>/serving/` (the read-only copy a run publishes), never the warehouse a run writes, so it can
stay open while the pipeline runs; a new publish shows up on the next reload.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

APP = Path(__file__).resolve().parent / "app.py"
VIEWS = APP.parent / "views"

# Streamlit options the app runs with, wherever it runs (`hubpulse dashboard` passes them as flags; the AppTest suite
# patches them in). No "magic": the pages call `st.*` explicitly, and with magic on Streamlit compiles every page
# through `ast.parse`, whose AST state CPython 3.11 shares between threads: two sessions (script threads) parsing at
# once fail with "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905 and its follow-ups;
# seen once in a loaded double run of the suite). Without magic a page is compiled straight to bytecode.
STREAMLIT_OPTIONS: dict[str, object] = {"runner.magicEnabled": False}


class Page(NamedTuple):
    """One page: its script under views/, title, URL path and icon."""

    file: str
    title: str
    url_path: str
    icon: str


# In the order of the SPEC's questions, then the seed's claims; the first is the default page (served at "/").
PAGES = (
    Page("release_cadence.py", "Release cadence", "release-cadence", ":material/calendar_month:"),
    Page("download_velocity.py", "Download velocity", "download-velocity", ":material/trending_up:"),
    Page("ecosystem_vs_benchmark.py", "Ecosystem vs benchmark", "ecosystem-vs-benchmark", ":material/leaderboard:"),
    Page("derivatives.py", "Derivatives", "derivatives", ":material/account_tree:"),
    Page("supply_chain.py", "Supply chain", "supply-chain", ":material/hub:"),
    Page("trajectories.py", "Trajectories", "trajectories", ":material/stacked_line_chart:"),
    Page("claims.py", "Claims", "claims", ":material/fact_check:"),
)
