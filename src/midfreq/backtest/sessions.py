"""Session checks for backtest data: bars from the catalog or files that fall outside the
exchange's trading sessions are flagged, and kept, dropped or refused as configured."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from midfreq.core.errors import DataError
from midfreq.data.bars import BarArrays
from midfreq.data.calendars import TradingCalendar
from midfreq.data.sessions import SessionFilter

OutsideSession = Literal["keep", "drop", "error"]


class SessionCheck:
    """Flag bars outside the sessions of ``calendar``; keep, drop or refuse them.

    Parameters
    ----------
    calendar : str
        An exchange-calendars name (``"XNYS"``).
    bar_interval_ns : int
        The bars' length: a bar stamped ``t`` covers ``(t - bar_interval_ns, t]`` and is inside
        when that whole interval lies in one session; bars of a day or longer are inside when
        their date in ``tz`` is a session (`midfreq.data.sessions.SessionFilter`).
    mode : "keep", "drop" or "error"
        What to do with a bar outside: keep it (flagged), drop it (counted) or raise.
    tz : str, default "UTC"
        Time zone of daily bars' dates.

    Examples
    --------
    >>> from midfreq.model.identifiers import InstrumentId
    >>> import numpy as np, pandas as pd
    >>> ts = np.array([pd.Timestamp(f"2024-07-0{d} 15:00Z").value for d in (3, 4)])
    >>> one = np.ones(2)
    >>> bars = BarArrays(InstrumentId("AAA.SIM"), ts, one, one, one, one, one)
    >>> check = SessionCheck("XNYS", 60 * 10**9, "drop")
    >>> [len(b) for b in check.apply([bars])], check.outside
    ([1], 1)
    """

    def __init__(
        self, calendar: str, bar_interval_ns: int, mode: OutsideSession, tz: str = "UTC"
    ) -> None:
        self._sessions = SessionFilter(
            TradingCalendar.get(calendar), "bars", tz, bar_interval_ns, "backtest bars"
        )
        self.bar_interval_ns = bar_interval_ns
        self.mode = mode
        self.outside = 0
        self.by_instrument: dict[str, int] = {}
        self.first: tuple[str, int] | None = None

    def apply(self, window: Sequence[BarArrays]) -> list[BarArrays]:
        """Check one window of per-instrument bars; return it with outside bars kept or dropped.

        Raises
        ------
        DataError
            In ``error`` mode, naming the first bar outside a session; or if a bar is beyond
            the days the calendar covers.
        """
        checked = []
        for bars in window:
            if len(bars):
                mask = self._sessions.inside(bars.ts)
                outside = int(mask.size - np.count_nonzero(mask))
                if outside:
                    bars = self._flag(bars, mask, outside)
            checked.append(bars)
        return checked

    def _flag(self, bars: BarArrays, mask: np.ndarray, outside: int) -> BarArrays:
        iid = str(bars.instrument_id)
        first_ts = int(bars.ts[int(np.argmin(mask))])
        if self.mode == "error":
            name = self._sessions.calendar.name
            raise DataError(
                f"{iid}: bar at {_iso(first_ts)} is outside the {name} sessions "
                f"(backtest.data.outside_session is error; expected every bar inside a "
                f"session, or set it to keep or drop; {outside} such bars in this window)"
            )
        if self.first is None:
            self.first = (iid, first_ts)
        self.outside += outside
        self.by_instrument[iid] = self.by_instrument.get(iid, 0) + outside
        if self.mode == "keep":
            return bars
        return BarArrays(
            bars.instrument_id,
            bars.ts[mask],
            bars.open[mask],
            bars.high[mask],
            bars.low[mask],
            bars.close[mask],
            bars.volume[mask],
        )

    def windows(self, windows: Iterable[Sequence[BarArrays]]) -> Iterator[list[BarArrays]]:
        """Apply the check to each window as it streams by."""
        for window in windows:
            yield self.apply(window)

    def report(self) -> dict[str, Any]:
        """What was found, for the backtest results (JSON-safe)."""
        return {
            "calendar": self._sessions.calendar.name,
            "bars_outside_session": self.outside,
            "outside_session_action": self.mode,
            "by_instrument": dict(sorted(self.by_instrument.items())),
            "first_outside_session": (
                None
                if self.first is None
                else {"instrument_id": self.first[0], "ts": _iso(self.first[1])}
            ),
        }


def _iso(ts: int) -> str:
    return pd.Timestamp(ts, unit="ns", tz="UTC").isoformat()
