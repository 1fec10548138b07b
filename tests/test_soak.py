"""Soak: 60 simulated days ingested and built repeatedly with random faults on; the end state is a fault-free run's.

Suite-sized (few models a day, a few windows); the full-size soak is `python -m tests.reliability` (RELIABILITY.md
has its command and measured result). Both run `tests.reliability.soak`.
"""

from __future__ import annotations

from tests.reliability import SUITE_PAGE_SIZE, read_marts, shared_reference, soak


def test_sixty_days_under_random_faults_end_equal_to_a_fault_free_run(tmp_path_factory, tmp_path):
    history, reference = shared_reference(tmp_path_factory)
    assert len(history.dates) == 58  # 60 days, two of them never crawled (a gap the warehouse must bridge)
    report = soak(history, reference, tmp_path / "soak", chunks=2, rounds=1, page_size=SUITE_PAGE_SIZE, seed=5,
                  log=lambda _m: None)
    assert not report.problems, report.summary()
    # The faults were real: every run saw some, several runs failed outright and were run again.
    assert report.faults_injected > 50 and report.rate_limited > 5, report.summary()
    assert report.failed_runs >= 1 and report.runs > len(history.stretches()), report.summary()
    assert report.builds == 2
    # The hostile but valid models made it through every layer verbatim, quotes and all.
    marts = read_marts(tmp_path / "soak" / "warehouse.duckdb")
    assert any("o-brien/base-model" in row for row in marts["dim_models"])
