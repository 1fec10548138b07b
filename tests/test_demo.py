"""`hubpulse demo`'s windows, its guard against mixing two simulated histories in one home, and its runs' output.

The demo itself runs end to end in `tests/test_bench_demo.py` (a short window) and in `make demo`.
"""

import datetime as dt
import json
from pathlib import Path

import pytest

from orchestration.cli import demo
from orchestration.cli.main import build_parser
from orchestration.hub.snapshots import PARTITION_FILE
from orchestration.settings import raw_models_dir

R1 = dt.date(2025, 1, 20)


def test_the_default_window_has_whole_iso_weeks_around_r1_inside_the_full_history():
    start, end = demo.DEMO_WINDOW
    assert start.isoweekday() == 1 and end.isoweekday() == 7  # cadence is weekly: no partial first or last week
    assert (R1 - start).days >= 28 and (end - R1).days >= 28  # four weeks at least on each side of R1
    assert demo.FULL_WINDOW[0] <= start and end <= demo.FULL_WINDOW[1]


@pytest.mark.parametrize(
    ("argv", "window"),
    [
        (["demo"], demo.DEMO_WINDOW),
        (["demo", "--full"], demo.FULL_WINDOW),
        (["demo", "--full", "--end", "2025-06-30"], (demo.FULL_WINDOW[0], dt.date(2025, 6, 30))),
        (["demo", "--start", "2025-02-03", "--end", "2025-02-09"], (dt.date(2025, 2, 3), dt.date(2025, 2, 9))),
    ],
)
def test_the_command_line_picks_the_window(monkeypatch, tmp_path: Path, argv, window):
    seen = {}
    monkeypatch.setattr(demo, "run_demo", lambda **kwargs: seen.update(kwargs) or 0)
    args = build_parser().parse_args([*argv, "--home", str(tmp_path)])
    assert args.func(args) == 0
    assert (seen["start"], seen["end"]) == window


def _home_with_history(home: Path, start: str, end: str, seed: int, days: list[str]) -> None:
    manifest = home / "archive" / "ground_truth" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"config": {"start": start, "end": end, "seed": seed}}))
    for day in days:
        folder = raw_models_dir(home) / f"snapshot_date={day}"
        folder.mkdir(parents=True)
        (folder / PARTITION_FILE).write_bytes(b"")


def test_a_home_holding_another_simulated_history_is_refused_untouched(tmp_path: Path, capsys):
    home = tmp_path / "home"
    _home_with_history(home, "2024-10-01", "2026-01-31", 7, ["2024-10-01", "2025-01-15"])
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    start, end = demo.DEMO_WINDOW
    assert demo.run_demo(home, start, end, seed=7) == 2
    message = capsys.readouterr().out
    assert "2 raw partitions (2024-10-01 .. 2025-01-15)" in message and "Nothing was changed" in message
    assert f"{start} .. {end} (seed 7)" in message
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == before  # no instance, archive or parse
    # The same history (same window and seed) is welcome again; so is a home without raw partitions.
    assert demo.other_history(home, dt.date(2024, 10, 1), dt.date(2026, 1, 31), 7) is None
    assert demo.other_history(home, dt.date(2024, 10, 1), dt.date(2026, 1, 31), 8) is not None
    assert demo.other_history(tmp_path / "fresh", start, end, 7) is None
