"""The synthetic market's view of a trading calendar: the bar grid of its sessions for the
historical bars (`_SessionBarClock`), and for the live stream the open stretches that map market
time to wall-clock time, with the closed gaps between them (`_TradingHours`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import DataError
from midfreq.data.synthetic._arithmetic import _NS_PER_DAY, _NS_PER_SECOND, _volume_profile
from midfreq.data.synthetic.config import SyntheticMarketConfig

if TYPE_CHECKING:
    from midfreq.data.calendars import TradingCalendar

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# exchange-calendars times sessions to the minute: runs of whole minutes are the open stretches.
_MINUTE_NS = 60 * _NS_PER_SECOND
_STREAM_CHUNK_DAYS = 28


class _SessionBarClock:
    """Close times of the session bars that open at or after ``start_ns``, in order, with each
    bar's session open and close; computed a few weeks at a time."""

    def __init__(
        self, calendar: TradingCalendar, start_ns: int, interval_ns: int, window: int
    ) -> None:
        self._calendar = calendar
        self._start_ns = start_ns
        self._interval_ns = interval_ns
        start_day = _utc_date(start_ns)
        if not calendar.first_day <= start_day <= calendar.last_day:
            raise DataError(
                f"calendar {calendar.name}: expected a start from {calendar.first_day} to "
                f"{calendar.last_day} (the days it covers), was {start_day}"
            )
        # A session may open the evening before its day (CME Globex): start a day early.
        self._next_day = max(start_day - timedelta(days=1), calendar.first_day)
        # About two windows of bars per chunk of days (a session has 6.5 hours or more).
        span = 2 * window * interval_ns // (6 * 3600 * _NS_PER_SECOND)
        self._chunk_days = int(min(366, max(7, span)))
        self._taken = 0
        empty = np.empty(0, dtype=np.int64)
        self._times, self._opens, self._closes = empty, empty, empty

    def take(
        self, n: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        while len(self._times) < n:
            self._extend(n)
        result = (self._times[:n].copy(), self._opens[:n], self._closes[:n])
        self._times, self._opens, self._closes = (
            self._times[n:],
            self._opens[n:],
            self._closes[n:],
        )
        self._taken += n
        return result

    def _extend(self, n: int) -> None:
        calendar, interval = self._calendar, self._interval_ns
        if self._next_day > calendar.last_day:
            raise DataError(
                f"calendar {calendar.name}: expected {n} more session bars after "
                f"{self._taken + len(self._times)}, was the end of the days it covers "
                f"({calendar.last_day})"
            )
        last = min(self._next_day + timedelta(days=self._chunk_days - 1), calendar.last_day)
        times = calendar.bar_times(self._next_day, last, interval)
        bounds = np.array(
            [calendar.session_bounds(day) for day in calendar.sessions(self._next_day, last)],
            dtype=np.int64,
        ).reshape(-1, 2)
        times = times[times - interval >= self._start_ns]
        session = np.searchsorted(bounds[:, 0], times - interval, side="right") - 1
        self._times = np.concatenate((self._times, times))
        self._opens = np.concatenate((self._opens, bounds[session, 0]))
        self._closes = np.concatenate((self._closes, bounds[session, 1]))
        self._next_day = last + timedelta(days=1)


def _calendar(config: SyntheticMarketConfig) -> TradingCalendar:
    from midfreq.data.calendars import TradingCalendar  # exchange-calendars is slow to load

    if config.calendar is None:
        raise ValueError("config.calendar: expected a calendar name for session bars, was None")
    return TradingCalendar.get(config.calendar)


def _utc_date(ts_ns: int) -> date:
    return date(1970, 1, 1) + timedelta(days=ts_ns // _NS_PER_DAY)


class _TradingHours:
    """The open stretches of a calendar from the stream's start on, loaded a few weeks at a time.

    Market time is the stream's start plus the open nanoseconds since: it stands still while the
    market is closed. `locate` maps it to wall-clock time. Stretch ``k`` (from 0) starts at wall
    time ``starts[k]`` and market time ``market_starts[k]``; the market was closed for
    ``closed[k] - closed[k - 1]`` ns before it (lunch breaks included; nothing before the first
    stretch), and ``common[k]`` is the sum over those gaps of ``sqrt(seconds closed) * z`` with
    one standard normal ``z`` per gap, drawn in order: the common factor of the moves while
    closed, shared by every symbol.
    """

    def __init__(
        self, calendar: TradingCalendar, start_ns: int, common_rng: np.random.Generator
    ) -> None:
        start_day = _utc_date(start_ns)
        if not calendar.first_day <= start_day <= calendar.last_day:
            raise DataError(
                f"calendar {calendar.name}: expected a start from {calendar.first_day} to "
                f"{calendar.last_day} (the days it covers), was {start_day}"
            )
        self._calendar = calendar
        self._start_ns = start_ns
        self._rng = common_rng
        # A session may open the evening before its day (CME Globex): start a day early.
        self._next_day = max(start_day - timedelta(days=1), calendar.first_day)
        empty = np.empty(0, dtype=np.int64)
        self.starts, self.market_starts, self.closed = empty, empty, empty
        self.common: FloatArray = np.empty(0)
        self._session_opens, self._session_closes = empty, empty
        self._end: int | None = None  # wall-clock end of the last stretch loaded
        self._market_end = start_ns  # market time at that end

    def locate(self, market_ns: IntArray) -> tuple[IntArray, IntArray]:
        """Return the wall-clock times and the stretches of increasing market times."""
        while self._market_end <= int(market_ns[-1]):
            self._extend()
        stretch = np.searchsorted(self.market_starts, market_ns, side="right") - 1
        wall: IntArray = self.starts[stretch] + (market_ns - self.market_starts[stretch])
        return wall, stretch

    def volume_profile(self, wall_ns: IntArray) -> FloatArray:
        """Return the intraday volume profile at these wall-clock times (inside sessions)."""
        session = np.searchsorted(self._session_opens, wall_ns, side="right") - 1
        opens = self._session_opens[session]
        fraction = (wall_ns - opens) / (self._session_closes[session] - opens)
        return _volume_profile(np.clip(fraction, 0.0, 1.0))

    def _extend(self) -> None:
        calendar = self._calendar
        if self._next_day > calendar.last_day:
            raise DataError(
                f"calendar {calendar.name}: expected sessions after "
                f"{_utc_date(self._end or self._start_ns)}, was the end of the days it covers "
                f"({calendar.last_day})"
            )
        last = min(self._next_day + timedelta(days=_STREAM_CHUNK_DAYS - 1), calendar.last_day)
        minutes = calendar.bar_times(self._next_day, last, _MINUTE_NS)
        bounds = np.array(
            [calendar.session_bounds(day) for day in calendar.sessions(self._next_day, last)],
            dtype=np.int64,
        ).reshape(-1, 2)
        self._next_day = last + timedelta(days=1)
        self._session_opens = np.concatenate((self._session_opens, bounds[:, 0]))
        self._session_closes = np.concatenate((self._session_closes, bounds[:, 1]))
        if minutes.size == 0:
            return
        run_starts = np.flatnonzero(np.diff(minutes) != _MINUTE_NS) + 1
        starts = minutes[np.concatenate(([0], run_starts))] - _MINUTE_NS
        ends = minutes[np.concatenate((run_starts - 1, [len(minutes) - 1]))]
        keep = ends > self._start_ns
        starts, ends = np.maximum(starts[keep], self._start_ns), ends[keep]
        if len(starts) and self._end is not None and starts[0] == self._end:
            # Touching stretches (a 24/7 market) are one: lengthen the last one loaded.
            self._market_end += int(ends[0] - starts[0])
            self._end = int(ends[0])
            starts, ends = starts[1:], ends[1:]
        if len(starts) == 0:
            return
        previous_ends = np.concatenate(([self._end if self._end is not None else starts[0]], ends))
        gaps = starts - previous_ends[:-1]
        lengths = ends - starts
        market_starts = self._market_end + np.concatenate(([0], np.cumsum(lengths[:-1])))
        moves = np.sqrt(gaps / _NS_PER_SECOND) * self._rng.standard_normal(len(gaps))
        self.starts = np.concatenate((self.starts, starts))
        self.market_starts = np.concatenate((self.market_starts, market_starts))
        closed_before = int(self.closed[-1]) if len(self.closed) else 0
        self.closed = np.concatenate((self.closed, closed_before + np.cumsum(gaps)))
        common_before = float(self.common[-1]) if len(self.common) else 0.0
        self.common = np.concatenate((self.common, common_before + np.cumsum(moves)))
        self._market_end = int(market_starts[-1] + lengths[-1])
        self._end = int(ends[-1])
