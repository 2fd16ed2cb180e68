"""Session membership of timestamps and bars for a trading calendar, shared by imports and
backtests: which rows lie outside the exchange's sessions."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from midfreq.core.errors import DataError
from midfreq.data.bars import BarArrays
from midfreq.data.calendars import TradingCalendar
from midfreq.model.identifiers import InstrumentId

NO_TIME = int(np.iinfo(np.int64).min)
"""``previous`` when no time came before."""

_NS_PER_DAY = 86_400 * 10**9
_CALENDAR_MARGIN = timedelta(days=31)  # the calendar covers this much around the data


class SessionFilter:
    """Which times lie in a calendar's sessions, widening the calendar's range as needed.

    Quotes and trades are inside when the market is open at their time. A bar stamped ``t``
    covers ``(t - interval, t]`` and is inside when that whole interval is (see
    `TradingCalendar.session_mask_for_bars`); bars of a day or longer are inside when their
    date in ``tz`` is a session. Without ``bar_interval_ns`` the interval is the lower median
    spacing of the first times seen.

    Parameters
    ----------
    calendar : TradingCalendar
        The exchange's calendar (replaced by a wider one when data fall outside its range).
    data_type : str
        ``"bars"``, ``"quotes"`` or ``"trades"``.
    tz : str
        Time zone whose dates daily bars belong to.
    bar_interval_ns : int or None
        Bar length.
    source : str
        What the data is, named in errors.
    """

    def __init__(
        self,
        calendar: TradingCalendar,
        data_type: str,
        tz: str,
        bar_interval_ns: int | None,
        source: str,
    ) -> None:
        self.calendar = calendar
        self.data_type = data_type
        self.tz = tz
        self.interval = int(bar_interval_ns) if bar_interval_ns is not None else None
        self.source = source
        what = "bar" if data_type == "bars" else "time"
        self.problem = f"time: outside {calendar.name} session (expected a {what} inside one)"

    def inside(self, ts: npt.NDArray[np.int64], previous: int = NO_TIME) -> npt.NDArray[np.bool_]:
        """Per time, whether it lies in a session (``previous``: the last time before these,
        used to infer the bar interval across chunks)."""
        if ts.size == 0:
            return np.zeros(0, dtype=bool)
        if self.data_type != "bars":
            return self._covering(int(ts.min()), int(ts.max())).is_open_array(ts)
        if self.interval is None:
            self.interval = self._infer_interval(ts, previous)
        if self.interval >= _NS_PER_DAY:
            local = pd.DatetimeIndex(pd.to_datetime(ts, utc=True)).tz_convert(self.tz)
            days = local.tz_localize(None).to_numpy().astype("datetime64[D]")
            first, last = (d.astype(date) for d in (days.min(), days.max()))
            calendar = self._covering(int(ts.min()), int(ts.max()), first, last)
            return np.isin(days, np.array(calendar.sessions(first, last), dtype="datetime64[D]"))
        calendar = self._covering(int(ts.min()) - self.interval, int(ts.max()))
        bars = BarArrays(InstrumentId("IMPORT.SIM"), ts, *(np.zeros(len(ts)) for _ in range(5)))
        return calendar.session_mask_for_bars(bars, self.interval)

    def _infer_interval(self, ts: npt.NDArray[np.int64], previous: int) -> int:
        times = np.unique(ts if previous == NO_TIME else np.append(ts, previous))
        steps = np.diff(times)
        if not len(steps):
            raise DataError(
                f"{self.source}: bar interval: expected two or more bar times to infer it from "
                "their spacing, was one; give it (--bar-interval SECONDS)"
            )
        return int(np.sort(steps)[(len(steps) - 1) // 2])  # the lower median

    def _covering(self, first_ns: int, last_ns: int, *days: date) -> TradingCalendar:
        first = min((_to_date(first_ns), *days)) - _CALENDAR_MARGIN
        last = max((_to_date(last_ns), *days)) + _CALENDAR_MARGIN
        calendar = self.calendar
        if first < calendar.first_day or last > calendar.last_day:
            self.calendar = TradingCalendar.get(
                calendar.name,
                start=min(calendar.first_day, first - timedelta(days=365)),
                end=max(calendar.last_day, last + timedelta(days=365)),
            )
        return self.calendar


def _to_date(ts_ns: int) -> date:
    value: date = np.datetime64(ts_ns, "ns").astype("datetime64[D]").item()
    return value
