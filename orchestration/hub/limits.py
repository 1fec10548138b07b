"""The Hub's API rate limits and the least time a crawl takes under them: one home for `hubpulse doctor` and the
scope benchmark (bench/scope.py).

The published limits (../shared/HUB_API.md): calls to the API per 5-minute window, per account plan, per IP for
anonymous use. The client paces itself by the `RateLimit` headers the Hub sends (client.py), so a run that needs
more calls than a window holds waits out each exhausted window.
"""

from __future__ import annotations

import math

RATE_WINDOW_SECONDS = 300
RATE_LIMITS = {"anonymous": 500, "free": 1_000, "PRO": 2_500, "Team": 3_000, "Enterprise": 6_000}
SECONDS_PER_REQUEST = 1.0  # a live listing page of 1,000 models, answered and parsed (an assumption, not measured here)


def least_run_seconds(requests: int, per_window: int, window_seconds: int = RATE_WINDOW_SECONDS,
                      seconds_per_request: float = SECONDS_PER_REQUEST) -> float:
    """Least time `requests` take when at most `per_window` fit in a window: each exhausted window is waited out
    (or takes longer, when its requests alone outlast it), the last one partly used."""
    full_windows = max(0, math.ceil(requests / per_window) - 1)
    busy = max(window_seconds, per_window * seconds_per_request)
    return full_windows * busy + (requests - full_windows * per_window) * seconds_per_request
