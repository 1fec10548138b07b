"""The demo's overtake finder, on series whose answer is known by construction."""

from __future__ import annotations

import datetime as dt

from orchestration.summary import overtakes

D = [dt.date(2025, 7, 1) + dt.timedelta(days=i) for i in range(6)]


def test_reports_the_day_after_the_leader_was_last_behind():
    series = {
        "china": list(zip(D, [1, 3, 2, 4, 5, 6], strict=True)),  # ahead on day 2, behind on day 3, ahead from day 4
        "us": list(zip(D, [2, 2, 3, 3, 3, 3], strict=True)),
    }
    assert overtakes(series) == [("china", "us", D[3], 4, 3)]


def test_no_overtake_when_the_leader_was_always_ahead_or_ends_behind():
    always = {"a": list(zip(D, [5] * 6, strict=True)), "b": list(zip(D, [1] * 6, strict=True))}
    assert overtakes(always) == []
    falls_back = {"a": list(zip(D, [1, 5, 5, 5, 5, 0], strict=True)), "b": list(zip(D, [2] * 6, strict=True))}
    assert overtakes(falls_back) == [("b", "a", D[5], 2, 0)]
