"""Clocks: the only place that reads the wall clock, plus timers driven by the kernel.

`SimulatedClock` is moved by the backtest loop; `LiveClock` reads ``time.time_ns`` and fires due
timers when the live runner calls `advance_time`. Time is integer UTC nanoseconds.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field

NANOS_PER_SECOND = 1_000_000_000
NANOS_PER_MINUTE = 60 * NANOS_PER_SECOND
NANOS_PER_DAY = 86_400 * NANOS_PER_SECOND


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeEvent:
    """A timer fired: its name and the scheduled time (ns) it fired for."""

    name: str
    ts_event: int


TimerCallback = Callable[[TimeEvent], None]


@dataclass(order=True, slots=True)
class _Timer:
    next_ns: int
    seq: int
    name: str = field(compare=False)
    interval_ns: int = field(compare=False)
    stop_ns: int | None = field(compare=False)
    callback: TimerCallback = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class Clock:
    """Base clock: timers in a heap, fired in time order by `advance_time`."""

    def __init__(self) -> None:
        self._heap: list[_Timer] = []
        self._timers: dict[str, _Timer] = {}
        self._seq = 0
        self._next_due: int | None = None

    def timestamp_ns(self) -> int:
        """Return the current time as UTC nanoseconds."""
        raise NotImplementedError

    @property
    def timer_names(self) -> list[str]:
        """Names of the active timers."""
        return sorted(self._timers)

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        callback: TimerCallback,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None:
        """Call ``callback`` every ``interval_ns`` from ``start_ns`` (default: now) on.

        Raises
        ------
        ValueError
            If the interval is not positive, a timer with that name exists, or ``stop_ns`` is
            before the first fire time.
        """
        if interval_ns <= 0:
            raise ValueError(f"interval_ns: expected a positive integer, was {interval_ns!r}")
        if name in self._timers:
            raise ValueError(f"timer name: expected a new name, was {name!r} (already set)")
        first = (start_ns if start_ns is not None else self.timestamp_ns()) + interval_ns
        if stop_ns is not None and stop_ns < first:
            raise ValueError(f"stop_ns: expected >= the first fire time {first}, was {stop_ns}")
        self._push(_Timer(first, 0, name, interval_ns, stop_ns, callback))

    def set_time_alert(self, name: str, alert_ns: int, callback: TimerCallback) -> None:
        """Call ``callback`` once at ``alert_ns``."""
        if name in self._timers:
            raise ValueError(f"timer name: expected a new name, was {name!r} (already set)")
        self._push(_Timer(alert_ns, 0, name, 0, alert_ns, callback))

    def cancel_timer(self, name: str) -> None:
        """Cancel the timer ``name``; unknown names are ignored."""
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancelled = True

    def cancel_timers(self) -> None:
        """Cancel every timer."""
        for name in list(self._timers):
            self.cancel_timer(name)

    def next_due_ns(self) -> int | None:
        """Return when the next timer fires, or None."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].next_ns if self._heap else None

    def _push(self, timer: _Timer) -> None:
        self._seq += 1
        timer.seq = self._seq
        self._timers[timer.name] = timer
        heapq.heappush(self._heap, timer)
        self._next_due = self._heap[0].next_ns

    def _fire_due(self, up_to_ns: int, set_now: Callable[[int], None]) -> int:
        """Fire every timer due at or before ``up_to_ns`` in order, moving time to each."""
        fired = 0
        heap = self._heap
        while heap and heap[0].next_ns <= up_to_ns:
            timer = heapq.heappop(heap)
            if timer.cancelled:
                continue
            set_now(timer.next_ns)
            event = TimeEvent(name=timer.name, ts_event=timer.next_ns)
            if timer.interval_ns > 0 and (
                timer.stop_ns is None or timer.next_ns + timer.interval_ns <= timer.stop_ns
            ):
                timer.next_ns += timer.interval_ns
                self._seq += 1
                timer.seq = self._seq
                heapq.heappush(heap, timer)
            else:
                self._timers.pop(timer.name, None)
            timer.callback(event)
            fired += 1
        self._next_due = heap[0].next_ns if heap else None
        return fired


class SimulatedClock(Clock):
    """A clock moved explicitly; used by backtests and deterministic tests."""

    def __init__(self, start_ns: int = 0) -> None:
        super().__init__()
        self._now = start_ns

    def timestamp_ns(self) -> int:
        """Return the simulated time."""
        return self._now

    def set_time(self, ts_ns: int) -> None:
        """Move time to ``ts_ns`` without firing timers."""
        self._now = ts_ns

    def advance_time(self, to_ns: int) -> int:
        """Fire due timers in order, then move time to ``to_ns``; return timers fired.

        Raises
        ------
        ValueError
            If ``to_ns`` is earlier than the current time.
        """
        if to_ns < self._now:
            raise ValueError(f"to_ns: expected >= current time {self._now}, was {to_ns}")
        fired = 0
        due = self._next_due
        if due is not None and due <= to_ns:
            fired = self._fire_due(to_ns, self._move_forward)
        self._now = to_ns
        return fired

    def _move_forward(self, ts_ns: int) -> None:
        # A timer scheduled in the past fires at the current time: the clock never goes back.
        if ts_ns > self._now:
            self._now = ts_ns


class LiveClock(Clock):
    """The wall clock; timers fire when the live runner calls `advance_time`."""

    def timestamp_ns(self) -> int:
        """Return the wall-clock time in UTC nanoseconds."""
        return time.time_ns()

    def advance_time(self, to_ns: int | None = None) -> int:
        """Fire the timers due by now (or ``to_ns``); return how many fired."""
        due = self._next_due
        now = time.time_ns() if to_ns is None else to_ns
        if due is None or due > now:
            return 0
        return self._fire_due(now, lambda _ts: None)
