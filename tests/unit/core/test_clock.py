"""Tests of the clocks: timers fire in time order with the clock at each timer's time."""

from __future__ import annotations

import pytest

from midfreq.core.clock import (
    NANOS_PER_DAY,
    NANOS_PER_MINUTE,
    NANOS_PER_SECOND,
    LiveClock,
    SimulatedClock,
    TimeEvent,
)

START = 1_000


class Recorder:
    """Timer callback stub recording (timer name, event time, clock time when called)."""

    def __init__(self, clock: SimulatedClock | LiveClock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, event: TimeEvent) -> None:
        self.calls.append((event.name, event.ts_event, self.clock.timestamp_ns()))


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def recorder(clock: SimulatedClock) -> Recorder:
    return Recorder(clock)


def test_time_constants() -> None:
    assert NANOS_PER_SECOND == 10**9
    assert NANOS_PER_MINUTE == 60 * 10**9
    assert NANOS_PER_DAY == 86_400 * 10**9


def test_simulated_clock_starts_at_given_time_and_set_time_moves_it() -> None:
    clock = SimulatedClock(123)
    assert clock.timestamp_ns() == 123
    clock.set_time(456)
    assert clock.timestamp_ns() == 456
    assert SimulatedClock().timestamp_ns() == 0


def test_advance_without_timers_moves_time_and_fires_nothing(clock: SimulatedClock) -> None:
    assert clock.advance_time(5_000) == 0
    assert clock.timestamp_ns() == 5_000
    assert clock.next_due_ns() is None


def test_timers_fire_in_time_order_with_clock_at_each_time(
    clock: SimulatedClock, recorder: Recorder
) -> None:
    # Set out of order on purpose: b fires at 1_030, a at 1_050, c at 1_070.
    clock.set_time_alert("a", 1_050, recorder)
    clock.set_time_alert("c", 1_070, recorder)
    clock.set_time_alert("b", 1_030, recorder)

    fired = clock.advance_time(2_000)

    assert fired == 3
    assert recorder.calls == [("b", 1_030, 1_030), ("a", 1_050, 1_050), ("c", 1_070, 1_070)]
    assert clock.timestamp_ns() == 2_000
    assert clock.timer_names == []


def test_alerts_at_the_same_time_fire_in_the_order_they_were_set(
    clock: SimulatedClock, recorder: Recorder
) -> None:
    for name in ("z", "m", "a"):
        clock.set_time_alert(name, 1_500, recorder)
    clock.advance_time(1_500)
    assert [name for name, _, _ in recorder.calls] == ["z", "m", "a"]


def test_alert_fires_exactly_at_its_time_not_before(
    clock: SimulatedClock, recorder: Recorder
) -> None:
    clock.set_time_alert("a", 1_100, recorder)
    assert clock.advance_time(1_099) == 0
    assert recorder.calls == []
    assert clock.advance_time(1_100) == 1
    assert recorder.calls == [("a", 1_100, 1_100)]
    assert clock.advance_time(5_000) == 0  # an alert fires once


def test_repeating_timer_fires_every_interval_from_now(
    clock: SimulatedClock, recorder: Recorder
) -> None:
    clock.set_timer("tick", 100, recorder)
    assert clock.next_due_ns() == 1_100

    fired = clock.advance_time(1_350)

    assert fired == 3
    assert recorder.calls == [
        ("tick", 1_100, 1_100),
        ("tick", 1_200, 1_200),
        ("tick", 1_300, 1_300),
    ]
    assert clock.timer_names == ["tick"]
    assert clock.next_due_ns() == 1_400


def test_repeating_timer_from_explicit_start(clock: SimulatedClock, recorder: Recorder) -> None:
    clock.set_timer("tick", 50, recorder, start_ns=2_000)
    clock.advance_time(2_120)
    assert [ts for _, ts, _ in recorder.calls] == [2_050, 2_100]


def test_timers_and_alerts_interleave_in_time_order(
    clock: SimulatedClock, recorder: Recorder
) -> None:
    clock.set_timer("every_40", 40, recorder)  # 1_040, 1_080, 1_120
    clock.set_timer("every_70", 70, recorder)  # 1_070, 1_140
    clock.set_time_alert("alert", 1_075, recorder)
    clock.advance_time(1_140)
    assert [(name, ts) for name, ts, _ in recorder.calls] == [
        ("every_40", 1_040),
        ("every_70", 1_070),
        ("alert", 1_075),
        ("every_40", 1_080),
        ("every_40", 1_120),
        ("every_70", 1_140),
    ]
    assert all(ts == now for _, ts, now in recorder.calls)


def test_timer_stops_at_stop_ns_inclusive(clock: SimulatedClock, recorder: Recorder) -> None:
    clock.set_timer("t", 100, recorder, stop_ns=1_300)
    fired = clock.advance_time(10_000)
    assert fired == 3
    assert [ts for _, ts, _ in recorder.calls] == [1_100, 1_200, 1_300]
    assert clock.timer_names == []
    assert clock.next_due_ns() is None


def test_timer_with_stop_between_ticks_fires_only_before_stop(
    clock: SimulatedClock, recorder: Recorder
) -> None:
    clock.set_timer("t", 100, recorder, stop_ns=1_250)
    clock.advance_time(10_000)
    assert [ts for _, ts, _ in recorder.calls] == [1_100, 1_200]


def test_timer_with_stop_before_its_first_fire_is_refused(clock: SimulatedClock) -> None:
    with pytest.raises(ValueError, match="stop_ns"):
        clock.set_timer("t", 100, lambda e: None, stop_ns=1_050)
    assert clock.timer_names == []


def test_cancel_timer_stops_it_and_frees_the_name(
    clock: SimulatedClock, recorder: Recorder
) -> None:
    clock.set_timer("t", 100, recorder)
    clock.advance_time(1_100)
    clock.cancel_timer("t")
    assert clock.timer_names == []
    assert clock.advance_time(2_000) == 0
    assert recorder.calls == [("t", 1_100, 1_100)]
    clock.set_timer("t", 10, recorder)  # name can be reused
    assert clock.next_due_ns() == 2_010


def test_cancel_unknown_timer_is_ignored(clock: SimulatedClock) -> None:
    clock.cancel_timer("nope")
    assert clock.timer_names == []


def test_cancel_timers_cancels_all(clock: SimulatedClock, recorder: Recorder) -> None:
    clock.set_timer("a", 10, recorder)
    clock.set_time_alert("b", 1_005, recorder)
    clock.cancel_timers()
    assert clock.timer_names == []
    assert clock.next_due_ns() is None
    assert clock.advance_time(10_000) == 0
    assert recorder.calls == []


def test_callback_can_cancel_its_own_repeating_timer(clock: SimulatedClock) -> None:
    calls: list[int] = []

    def callback(event: TimeEvent) -> None:
        calls.append(event.ts_event)
        if len(calls) == 2:
            clock.cancel_timer("t")

    clock.set_timer("t", 10, callback)
    clock.advance_time(1_100)
    assert calls == [1_010, 1_020]


def test_callback_can_set_a_timer_that_fires_in_the_same_advance(
    clock: SimulatedClock, recorder: Recorder
) -> None:
    def chain(event: TimeEvent) -> None:
        recorder(event)
        clock.set_time_alert("second", event.ts_event + 5, recorder)

    clock.set_time_alert("first", 1_010, chain)
    assert clock.advance_time(1_100) == 2
    assert recorder.calls == [("first", 1_010, 1_010), ("second", 1_015, 1_015)]


def test_timer_names_are_sorted_active_timers(clock: SimulatedClock) -> None:
    clock.set_timer("b", 10, lambda e: None)
    clock.set_time_alert("a", 2_000, lambda e: None)
    assert clock.timer_names == ["a", "b"]


def test_duplicate_timer_name_is_refused(clock: SimulatedClock) -> None:
    clock.set_timer("t", 10, lambda e: None)
    with pytest.raises(ValueError, match="already set"):
        clock.set_timer("t", 20, lambda e: None)
    with pytest.raises(ValueError, match="already set"):
        clock.set_time_alert("t", 5_000, lambda e: None)


@pytest.mark.parametrize("interval", [0, -1])
def test_non_positive_interval_is_refused(clock: SimulatedClock, interval: int) -> None:
    with pytest.raises(ValueError, match="interval_ns"):
        clock.set_timer("t", interval, lambda e: None)


def test_advancing_backwards_raises_and_keeps_time(clock: SimulatedClock) -> None:
    with pytest.raises(ValueError, match="to_ns"):
        clock.advance_time(START - 1)
    assert clock.timestamp_ns() == START


def test_advance_to_the_current_time_is_allowed(clock: SimulatedClock) -> None:
    assert clock.advance_time(START) == 0
    assert clock.timestamp_ns() == START


def test_past_alert_fires_without_moving_the_clock_backwards(
    clock: SimulatedClock, recorder: Recorder
) -> None:
    clock.set_time_alert("late", 500, recorder)
    assert clock.advance_time(2_000) == 1
    name, ts_event, now = recorder.calls[0]
    assert (name, ts_event) == ("late", 500)
    assert now == START  # never earlier than the time the clock had already reached


def test_next_due_skips_cancelled_timers(clock: SimulatedClock) -> None:
    clock.set_time_alert("early", 1_010, lambda e: None)
    clock.set_time_alert("late", 1_020, lambda e: None)
    clock.cancel_timer("early")
    assert clock.next_due_ns() == 1_020


def test_time_event_is_immutable() -> None:
    event = TimeEvent(name="t", ts_event=5)
    with pytest.raises(AttributeError):
        event.ts_event = 6  # type: ignore[misc]


def test_live_clock_reads_wall_time_in_nanoseconds() -> None:
    clock = LiveClock()
    first = clock.timestamp_ns()
    second = clock.timestamp_ns()
    assert isinstance(first, int)
    assert second >= first
    # Some time after 2020-01-01 and before 2100-01-01: nanoseconds, not seconds or micros.
    assert 1_577_836_800 * NANOS_PER_SECOND < first < 4_102_444_800 * NANOS_PER_SECOND


def test_live_clock_fires_due_timers_when_advanced_to_a_time() -> None:
    clock = LiveClock()
    recorder = Recorder(clock)
    now = clock.timestamp_ns()
    clock.set_time_alert("a", now + 10 * NANOS_PER_SECOND, recorder)
    clock.set_timer("t", NANOS_PER_SECOND, recorder, start_ns=now)
    assert clock.advance_time(now) == 0  # nothing due yet
    fired = clock.advance_time(now + 10 * NANOS_PER_SECOND)
    fired_events = [(name, ts) for name, ts, _ in recorder.calls]
    assert fired == 11
    assert fired_events[:3] == [
        ("t", now + NANOS_PER_SECOND),
        ("t", now + 2 * NANOS_PER_SECOND),
        ("t", now + 3 * NANOS_PER_SECOND),
    ]
    # The alert and the tenth tick are both due at now + 10 s.
    last = now + 10 * NANOS_PER_SECOND
    assert sorted(fired_events[-2:]) == [("a", last), ("t", last)]


def test_live_clock_advance_without_argument_fires_only_past_timers() -> None:
    clock = LiveClock()
    recorder = Recorder(clock)
    now = clock.timestamp_ns()
    clock.set_time_alert("past", now - 1, recorder)
    clock.set_time_alert("future", now + 3_600 * NANOS_PER_SECOND, recorder)
    assert clock.advance_time() == 1
    assert [name for name, _, _ in recorder.calls] == ["past"]
    assert clock.timer_names == ["future"]
