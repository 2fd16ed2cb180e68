"""Tests of deterministic id generation from the injected clock."""

from __future__ import annotations

from midfreq.core.clock import NANOS_PER_SECOND, SimulatedClock
from midfreq.core.ids import IdGenerator

# 2024-01-02 03:04:05 UTC = 1_704_067_200 (2024-01-01) + 86_400 + 3*3600 + 4*60 + 5.
TS = (1_704_067_200 + 86_400 + 3 * 3_600 + 4 * 60 + 5) * NANOS_PER_SECOND


def test_id_has_prefix_utc_stamp_tag_and_counter() -> None:
    ids = IdGenerator(SimulatedClock(TS + 999_999_999), "O", "S1")
    assert ids.generate() == "O-20240102-030405-S1-1"
    assert ids.generate() == "O-20240102-030405-S1-2"
    assert ids.count == 2


def test_stamp_follows_the_clock() -> None:
    clock = SimulatedClock(TS)
    ids = IdGenerator(clock, "O", "T")
    first = ids.generate()
    clock.set_time(TS + 61 * NANOS_PER_SECOND)
    assert first == "O-20240102-030405-T-1"
    assert ids.generate() == "O-20240102-030506-T-2"


def test_two_runs_with_the_same_clock_give_identical_ids() -> None:
    def run() -> list[str]:
        clock = SimulatedClock(TS)
        ids = IdGenerator(clock, "O", "mean_reversion")
        out = []
        for step in range(5):
            clock.set_time(TS + step * 7 * NANOS_PER_SECOND)
            out.append(ids.generate())
        return out

    first, second = run(), run()
    assert first == second
    assert len(set(first)) == 5


def test_reset_restarts_the_counter() -> None:
    ids = IdGenerator(SimulatedClock(0), "P", "x")
    ids.generate()
    ids.reset()
    assert ids.count == 0
    assert ids.generate() == "P-19700101-000000-x-1"
