"""Trading calendars: a typed wrapper over exchange-calendars (`TradingCalendar`) answering which
days are sessions, when the market is open, and which bars fall inside sessions, vectorised for
millions of timestamps; plus `session_bar_times`, the bar grid of a calendar's sessions.

All instants are int64 UTC nanoseconds. A session is open on the half-open interval
``[open, close)`` (minus its lunch break ``[break_start, break_end)`` where the exchange has one):
the open instant is inside, the close instant is not, so that an instant belongs to at most one
session even where sessions touch (24/7, CME Globex).
"""

from __future__ import annotations

import difflib
import warnings
from datetime import date, datetime
from typing import Any, ClassVar

import exchange_calendars as xc
import numpy as np
import numpy.typing as npt
import pandas as pd

from midfreq.core.errors import ConfigError, DataError
from midfreq.data.bars import BarArrays

DEFAULT_START = date(2000, 1, 1)
"""First day a calendar covers when `TradingCalendar.get` is not given ``start``."""

DEFAULT_END = date(2035, 12, 31)
"""Last day a calendar covers when `TradingCalendar.get` is not given ``end``."""

_EXAMPLE_NAMES = ("XNYS", "XNAS", "XLON", "CMES", "XHKG", "24/7")

# exchange-calendars marks "no break" with NaT, which is int64 min as nanoseconds.
_NAT = np.iinfo(np.int64).min

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class TradingCalendar:
    """One exchange's sessions over a range of days, with break- and early-close-aware queries.

    Build one with `get` (cached per name and bounds), not with the constructor.

    Parameters
    ----------
    name : str
        An exchange-calendars name or alias (``"XNYS"``, ``"XLON"``, ``"CMES"``, ``"24/7"``).
    start, end : datetime.date
        The first and last day the calendar covers.

    Notes
    -----
    Queries outside the covered range raise `DataError` rather than guess: there may be sessions
    there that the calendar was not built for. Instants are covered from the first session's open
    to the last session's close.
    """

    _cache: ClassVar[dict[tuple[str, date | None, date | None], TradingCalendar]] = {}

    def __init__(self, name: str, start: date, end: date) -> None:
        calendar = _build(name, start, end)
        self._name = name
        self._tz = str(calendar.tz)
        self._weekmask = str(calendar.weekmask)
        self._first_day = start
        self._last_day = end
        self._days: npt.NDArray[np.datetime64] = (
            pd.DatetimeIndex(calendar.sessions).to_numpy().astype("datetime64[D]")
        )
        schedule = calendar.schedule
        self._opens = _nanos(schedule["open"])
        self._closes = _nanos(schedule["close"])
        self._break_starts = _nanos(schedule["break_start"])
        self._break_ends = _nanos(schedule["break_end"])
        self._has_break = (self._break_starts != _NAT) & (self._break_ends != _NAT)
        self._early_closes = (
            pd.DatetimeIndex(calendar.early_closes).to_numpy().astype("datetime64[D]")
        )
        segment_starts, segment_ends = self._segments(0, len(self._days))
        self._starts, self._ends = _merge_touching(segment_starts, segment_ends)

    @classmethod
    def get(
        cls, name: str, *, start: date | None = None, end: date | None = None
    ) -> TradingCalendar:
        """Return the calendar ``name`` covering ``start..end`` (cached per arguments).

        Parameters
        ----------
        name : str
            An exchange-calendars name or alias, for example ``"XNYS"``, ``"XNAS"``,
            ``"XLON"``, ``"CMES"``, ``"XHKG"`` or ``"24/7"``.
        start, end : datetime.date, optional
            Days to cover, by default `DEFAULT_START` and `DEFAULT_END`. Where exchange-calendars
            refuses those defaults (some exchanges' rules start later or end sooner) its own
            default range is used instead, which runs from 20 years before today to a year
            ahead; pass both bounds for a range that does not depend on today.

        Returns
        -------
        TradingCalendar

        Raises
        ------
        ConfigError
            If ``name`` is not a calendar (field ``calendar``) or the calendar cannot be built
            for the range asked.

        Examples
        --------
        >>> from datetime import date
        >>> TradingCalendar.get("XNYS").is_session(date(2024, 7, 4))
        False
        """
        key = (name, start, end)
        cached = cls._cache.get(key)
        if cached is not None:
            return cached
        names = list(xc.get_calendar_names(include_aliases=True))
        if name not in names:
            close = difflib.get_close_matches(name, names, n=3)
            hint = f" (closest: {', '.join(close)})" if close else ""
            raise ConfigError(
                "calendar",
                name,
                f"an exchange-calendars name such as {', '.join(_EXAMPLE_NAMES)}{hint}",
            )
        if start is not None and end is not None and start > end:
            raise ConfigError("calendar.start", start, f"a day on or before end {end}")
        calendar = cls._create(name, start, end)
        cls._cache[key] = calendar
        return calendar

    @classmethod
    def _create(cls, name: str, start: date | None, end: date | None) -> TradingCalendar:
        if start is not None and end is not None:
            return cls(name, start, end)
        try:
            return cls(name, start or DEFAULT_START, end or DEFAULT_END)
        except ConfigError:
            # Some exchanges' rules cover less (AIXK starts in 2017, XSHG's holidays are known
            # only to the coming year): fall back to exchange-calendars' own default range.
            default = _build(name, None, None)
            return cls(
                name,
                start or _to_date(default.first_session),
                end or _to_date(default.last_session),
            )

    @property
    def name(self) -> str:
        """The name the calendar was asked for (``"XNYS"``)."""
        return self._name

    @property
    def tz(self) -> str:
        """The exchange's time zone (``"America/New_York"``)."""
        return self._tz

    @property
    def first_day(self) -> date:
        """The first day covered."""
        return self._first_day

    @property
    def last_day(self) -> date:
        """The last day covered."""
        return self._last_day

    @property
    def has_breaks(self) -> bool:
        """Whether any covered session has a lunch break."""
        return bool(self._has_break.any())

    def sessions(self, start: date, end: date) -> list[date]:
        """Return the sessions from ``start`` to ``end`` inclusive, in order.

        Parameters
        ----------
        start, end : datetime.date
            Within the covered days.

        Returns
        -------
        list[datetime.date]

        Raises
        ------
        DataError
            If a day is outside the covered range.
        """
        lo, hi = self._session_range(start, end)
        return _dates(self._days[lo:hi])

    def is_session(self, day: date) -> bool:
        """Return whether ``day`` is a trading session.

        Raises
        ------
        DataError
            If ``day`` is outside the covered range.
        """
        lo, hi = self._session_range(day, day)
        return hi > lo

    def session_bounds(self, day: date) -> tuple[int, int]:
        """Return the open and close of session ``day`` in UTC ns (early closes respected).

        Raises
        ------
        DataError
            If ``day`` is not a session or is outside the covered range.

        Examples
        --------
        >>> from datetime import date
        >>> import pandas as pd
        >>> open_ns, close_ns = TradingCalendar.get("XNYS").session_bounds(date(2024, 7, 3))
        >>> pd.Timestamp(close_ns, tz="UTC").tz_convert("America/New_York").strftime("%H:%M")
        '13:00'
        """
        lo, hi = self._session_range(day, day)
        if hi == lo:
            raise DataError(f"{self._name}: expected a session day, was {day} (not a session)")
        return int(self._opens[lo]), int(self._closes[lo])

    def is_open(self, ts_ns: int) -> bool:
        """Return whether the market is open at ``ts_ns``: ``open <= ts_ns < close``, not in a
        break.

        Raises
        ------
        DataError
            If ``ts_ns`` is outside the covered range.
        """
        return bool(self.is_open_array(np.array([ts_ns], dtype=np.int64))[0])

    def is_open_array(self, ts: npt.ArrayLike) -> BoolArray:
        """Return, for each UTC ns timestamp, whether the market is open then (as `is_open`).

        Parameters
        ----------
        ts : array_like of int
            UTC nanoseconds, in any order.

        Returns
        -------
        numpy.ndarray of bool

        Raises
        ------
        DataError
            If a timestamp is outside the covered range.
        """
        values = np.asarray(ts, dtype=np.int64)
        if values.size == 0:
            return np.zeros(values.shape, dtype=np.bool_)
        self._check_instants(int(values.min()), int(values.max()))
        period = np.searchsorted(self._starts, values, side="right") - 1
        result: BoolArray = (period >= 0) & (values < self._ends[np.maximum(period, 0)])
        return result

    def next_open(self, ts_ns: int) -> int:
        """Return the first session open strictly after ``ts_ns``.

        Breaks are not opens: during a lunch break this is the next session's open.

        Raises
        ------
        DataError
            If ``ts_ns`` is outside the covered range or no covered session opens after it.
        """
        ts_ns = int(ts_ns)
        self._check_instants(ts_ns, ts_ns)
        i = int(np.searchsorted(self._opens, ts_ns, side="right"))
        if i == len(self._opens):
            raise DataError(
                f"{self._name}: no session opens after {_show(ts_ns)} before the calendar ends "
                f"on {self._last_day}; pass a later end to TradingCalendar.get"
            )
        return int(self._opens[i])

    def previous_close(self, ts_ns: int) -> int:
        """Return the last session close at or before ``ts_ns``.

        At a close instant the market has just closed, so that close is returned.

        Raises
        ------
        DataError
            If ``ts_ns`` is outside the covered range or no covered session closes by then.
        """
        ts_ns = int(ts_ns)
        self._check_instants(ts_ns, ts_ns)
        i = int(np.searchsorted(self._closes, ts_ns, side="right")) - 1
        if i < 0:
            raise DataError(
                f"{self._name}: no session closes by {_show(ts_ns)} after the calendar starts "
                f"on {self._first_day}; pass an earlier start to TradingCalendar.get"
            )
        return int(self._closes[i])

    def early_closes(self, start: date, end: date) -> list[date]:
        """Return the sessions from ``start`` to ``end`` that close earlier than usual.

        Raises
        ------
        DataError
            If a day is outside the covered range.
        """
        self._session_range(start, end)
        days = self._early_closes
        lo = int(np.searchsorted(days, np.datetime64(start, "D"), side="left"))
        hi = int(np.searchsorted(days, np.datetime64(end, "D"), side="right"))
        return _dates(days[lo:hi])

    def holidays(self, start: date, end: date) -> list[date]:
        """Return the days from ``start`` to ``end`` that are not sessions although the
        exchange's regular week (Monday to Friday for most) would trade on them.

        Raises
        ------
        DataError
            If a day is outside the covered range.
        """
        lo, hi = self._session_range(start, end)
        all_days = np.arange(
            np.datetime64(start, "D"), np.datetime64(end, "D") + 1, dtype="datetime64[D]"
        )
        weekdays = all_days[np.is_busday(all_days, weekmask=self._weekmask)]
        return _dates(np.setdiff1d(weekdays, self._days[lo:hi], assume_unique=True))

    def session_mask_for_bars(self, bars: BarArrays, bar_interval_ns: int) -> BoolArray:
        """Return, per bar, whether its interval ``(ts - bar_interval_ns, ts]`` lies in a session.

        A bar is stamped at its close, so the last bar of a day may end exactly at the close.
        Sessions that touch (24/7, CME Globex) count as one stretch of trading, so a bar across
        their boundary is inside; a bar overlapping a lunch break is outside.

        Parameters
        ----------
        bars : BarArrays
            Bars with increasing ``ts`` (see `BarArrays.validate`).
        bar_interval_ns : int
            The bars' length in nanoseconds, > 0.

        Returns
        -------
        numpy.ndarray of bool

        Raises
        ------
        ValueError
            If ``bar_interval_ns`` is not a positive integer.
        DataError
            If a bar is outside the covered range.
        """
        interval = _positive_interval(bar_interval_ns, "bar_interval_ns")
        ts = bars.ts
        if ts.size == 0:
            return np.zeros(0, dtype=np.bool_)
        self._check_instants(int(ts.min()) - interval, int(ts.max()))
        # The only period that can hold the bar is the first one ending at or after its close.
        period = np.searchsorted(self._ends, ts, side="left")
        inside = period < len(self._ends)
        starts = self._starts[np.minimum(period, len(self._starts) - 1)]
        result: BoolArray = inside & (starts <= ts - interval)
        return result

    def flag_bars_outside_sessions(self, bars: BarArrays, bar_interval_ns: int) -> IntArray:
        """Return the indices of the bars not inside a session (see `session_mask_for_bars`).

        Returns
        -------
        numpy.ndarray of int64
            Increasing row indices.
        """
        mask = self.session_mask_for_bars(bars, bar_interval_ns)
        return np.flatnonzero(~mask).astype(np.int64)

    def bar_times(self, start: date, end: date, interval_ns: int) -> IntArray:
        """Return the close times of the full bars of ``interval_ns`` in the sessions
        ``start..end`` (see `session_bar_times`)."""
        interval = _positive_interval(interval_ns, "interval_ns")
        lo, hi = self._session_range(start, end)
        seg_starts, seg_ends = self._segments(lo, hi)
        counts = np.maximum((seg_ends - seg_starts) // interval, 0)
        total = int(counts.sum())
        first_of_segment = np.cumsum(counts) - counts
        step = np.arange(total, dtype=np.int64) - np.repeat(first_of_segment, counts)
        result: IntArray = np.repeat(seg_starts, counts) + (step + 1) * interval
        return result

    def _segments(self, lo: int, hi: int) -> tuple[IntArray, IntArray]:
        # Trading stretches of sessions lo..hi-1: [open, close), or [open, break_start) and
        # [break_end, close) for a session with a break; sorted by start.
        opens, closes = self._opens[lo:hi], self._closes[lo:hi]
        has_break = self._has_break[lo:hi]
        first_ends = np.where(has_break, self._break_starts[lo:hi], closes)
        starts = np.concatenate([opens, self._break_ends[lo:hi][has_break]])
        ends = np.concatenate([first_ends, closes[has_break]])
        order = np.argsort(starts, kind="stable")
        return starts[order], ends[order]

    def _session_range(self, start: date, end: date) -> tuple[int, int]:
        for day in (start, end):
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"day: expected a datetime.date, was {day!r}")
            if not self._first_day <= day <= self._last_day:
                raise DataError(
                    f"{self._name}: expected a day from {self._first_day} to {self._last_day} "
                    f"(the days this calendar covers; pass start/end to TradingCalendar.get "
                    f"for others), was {day}"
                )
        if start > end:
            raise ValueError(f"start: expected a day on or before end {end}, was {start}")
        lo = int(np.searchsorted(self._days, np.datetime64(start, "D"), side="left"))
        hi = int(np.searchsorted(self._days, np.datetime64(end, "D"), side="right"))
        return lo, hi

    def _check_instants(self, first_ns: int, last_ns: int) -> None:
        lo, hi = int(self._opens[0]), int(self._closes[-1])
        if first_ns < lo or last_ns > hi:
            bad = first_ns if first_ns < lo else last_ns
            raise DataError(
                f"{self._name}: expected instants from {_show(lo)} to {_show(hi)} (the first "
                f"open and last close this calendar covers; pass start/end to "
                f"TradingCalendar.get for others), was {_show(bad)}"
            )


def session_bar_times(
    calendar: TradingCalendar | str, start: date, end: date, interval_ns: int
) -> IntArray:
    """Return the close times (UTC ns) of every full bar of ``interval_ns`` inside the sessions
    from ``start`` to ``end`` inclusive.

    Bars are aligned to each session's open (and to the end of a lunch break); only whole bars
    are produced, so an interval that does not divide a session leaves its last part uncovered.
    Every time returned is inside a session by `TradingCalendar.session_mask_for_bars`.

    Parameters
    ----------
    calendar : TradingCalendar or str
        A calendar or a name for `TradingCalendar.get`.
    start, end : datetime.date
        Session days, inclusive.
    interval_ns : int
        Bar length in nanoseconds, > 0.

    Returns
    -------
    numpy.ndarray of int64
        Increasing close times.

    Raises
    ------
    ValueError
        If ``interval_ns`` is not a positive integer.
    DataError
        If a day is outside the calendar's covered range.

    Examples
    --------
    >>> from datetime import date
    >>> minute = 60_000_000_000
    >>> len(session_bar_times("XNYS", date(2024, 7, 3), date(2024, 7, 5), minute))
    600
    """
    resolved = calendar if isinstance(calendar, TradingCalendar) else TradingCalendar.get(calendar)
    return resolved.bar_times(start, end, interval_ns)


def _build(name: str, start: date | None, end: date | None) -> Any:
    # Without bounds, exchange-calendars uses its own default range.
    bounds = {} if start is None or end is None else {"start": start, "end": end}
    try:
        with warnings.catch_warnings():
            # exchange-calendars 4.13 uses pandas APIs that pandas 3.1 deprecates (Series.values
            # of tz-aware columns, DatetimeIndex.weekday): warnings no user of ours can act on.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            return xc.get_calendar(name, **{k: pd.Timestamp(v) for k, v in bounds.items()})
    except Exception as error:  # exchange-calendars raises ValueError and its own errors
        span = f" from {start} to {end}" if bounds else ""
        raise ConfigError(
            "calendar",
            name,
            f"a calendar exchange-calendars can build{span} ({str(error)[:200]})",
        ) from error


def _nanos(column: Any) -> IntArray:
    # A UTC datetime column as int64 ns; NaT (no break) becomes int64 min.
    values = pd.DatetimeIndex(column).as_unit("ns").asi8
    return np.ascontiguousarray(values, dtype=np.int64)


def _merge_touching(starts: IntArray, ends: IntArray) -> tuple[IntArray, IntArray]:
    if starts.size == 0:
        return starts, ends
    new_period = np.ones(starts.size, dtype=np.bool_)
    new_period[1:] = starts[1:] > ends[:-1]
    first = np.flatnonzero(new_period)
    last = np.append(first[1:] - 1, starts.size - 1)
    return starts[first], ends[last]


def _positive_interval(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{name}: expected a positive integer of nanoseconds, was {value!r}")
    return int(value)


def _to_date(value: Any) -> date:
    stamp = pd.Timestamp(value)
    return date(stamp.year, stamp.month, stamp.day)


def _dates(days: npt.NDArray[np.datetime64]) -> list[date]:
    # datetime64[D].tolist() gives datetime.date objects.
    result: list[date] = days.astype("datetime64[D]").tolist()
    return result


def _show(ts_ns: int) -> str:
    return f"{pd.Timestamp(ts_ns, tz='UTC').isoformat()} ({ts_ns})"
