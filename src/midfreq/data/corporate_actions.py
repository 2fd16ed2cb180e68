"""Equity corporate actions (`Split`, `CashDividend`) and the backward adjustment of bars for
them, applied when bars are read (`adjustment_factors`, `adjust_bars`); stored bars stay raw.

Adjustment is CRSP-style and anchored to the last bar given: the latest prices are the traded
ones and earlier prices are scaled so that returns across an ex-date are continuous.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from midfreq.core.errors import ConfigError, DataError
from midfreq.data.bars import BarArrays

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Split:
    """A stock split effective at the open of ``ex_date``.

    Parameters
    ----------
    ex_date : datetime.date
        The first day the shares trade split, in the exchange's time zone.
    ratio : float
        New shares per old share, > 0: 4.0 for a 4-for-1 split, 0.1 for a 1-for-10 reverse
        split.

    Raises
    ------
    DataError
        If ``ex_date`` is not a date or ``ratio`` is not a finite number > 0.
    """

    ex_date: date
    ratio: float

    def __post_init__(self) -> None:
        _check_ex_date(self, self.ex_date)
        ratio = self.ratio
        if (
            isinstance(ratio, bool)
            or not isinstance(ratio, int | float)
            or not (math.isfinite(ratio) and ratio > 0)
        ):
            raise DataError(f"{self}: ratio: expected a finite number > 0, was {ratio!r}")


@dataclass(frozen=True, slots=True)
class CashDividend:
    """A cash dividend whose shares trade without it from ``ex_date``.

    Parameters
    ----------
    ex_date : datetime.date
        The ex-dividend day, in the exchange's time zone.
    amount : float
        Cash per share, >= 0, in the price currency and in the share units trading just before
        ``ex_date`` (unadjusted for later splits), like the raw previous close it is compared to.

    Raises
    ------
    DataError
        If ``ex_date`` is not a date or ``amount`` is not a finite number >= 0. That the amount is
        below the previous close is checked by `adjustment_factors`, which has the prices.
    """

    ex_date: date
    amount: float

    def __post_init__(self) -> None:
        _check_ex_date(self, self.ex_date)
        amount = self.amount
        if (
            isinstance(amount, bool)
            or not isinstance(amount, int | float)
            or not (math.isfinite(amount) and amount >= 0)
        ):
            raise DataError(f"{self}: amount: expected a finite number >= 0, was {amount!r}")


CorporateAction: TypeAlias = Split | CashDividend
"""An action `adjustment_factors` understands."""


def adjustment_factors(
    bars: BarArrays, actions: Iterable[CorporateAction], *, tz: str = "America/New_York"
) -> FloatArray:
    """Return the backward price-adjustment factor of each bar (multiply the raw prices by it).

    A bar belongs to the day of its close time in ``tz`` and is adjusted for every action whose
    ex-date is after that day. A `Split` multiplies earlier prices by ``1 / ratio``; a
    `CashDividend` multiplies them by ``1 - amount / previous_close``, where ``previous_close``
    is the raw close of the last bar before the ex-date. Factors of several actions multiply.

    An action adjusts only if the bars span its ex-date (a bar before it and a bar on or after
    it): one before the first bar changes nothing before it, and one after the last bar is not
    applied, so the last bar always keeps its traded prices.

    Parameters
    ----------
    bars : BarArrays
        Raw bars with increasing ``ts`` (see `BarArrays.validate`).
    actions : Iterable[CorporateAction]
        In any order.
    tz : str, default "America/New_York"
        The exchange's IANA time zone, which decides the day of each bar.

    Returns
    -------
    numpy.ndarray of float64
        One factor > 0 per bar; all 1.0 without actions in range.

    Raises
    ------
    ConfigError
        If ``tz`` is not an IANA time zone (field ``tz``).
    DataError
        If an action is not a `Split` or `CashDividend`, or a dividend is not below the
        previous close (its factor would not be positive).

    Examples
    --------
    >>> import numpy as np
    >>> from datetime import date
    >>> from midfreq.model.identifiers import InstrumentId
    >>> day = 86_400 * 10**9
    >>> ts = np.array([1, 2, 3]) * day + 21 * 3_600 * 10**9  # 16:00 New York, 2-4 Jan 1970
    >>> closes = np.array([100.0, 26.0, 27.0])
    >>> bars = BarArrays(InstrumentId("AAA.SIM"), ts, closes, closes, closes, closes, closes)
    >>> adjustment_factors(bars, [Split(date(1970, 1, 3), 4.0)]).tolist()
    [0.25, 1.0, 1.0]
    """
    price, _ = _factors(bars, actions, tz)
    return price


def adjust_bars(
    bars: BarArrays,
    actions: Iterable[CorporateAction],
    *,
    tz: str = "America/New_York",
    mode: Literal["raw", "adjusted"],
) -> BarArrays:
    """Return the bars as read in ``mode``: raw (as traded) or backward-adjusted.

    Adjusted bars have open, high, low and close multiplied by `adjustment_factors` and volume
    multiplied by the split ratios after each bar, so that volume times price is unchanged by a
    split. Adjusted prices stay floats and are not rounded to the tick size: they are a
    research series, not prices that traded, and rounding them would distort the returns the
    adjustment exists to preserve (worst for old, heavily split prices of a fraction of a tick).

    Parameters
    ----------
    bars : BarArrays
        Raw bars with increasing ``ts``.
    actions : Iterable[CorporateAction]
        In any order.
    tz : str, default "America/New_York"
        The exchange's IANA time zone, which decides the day of each bar.
    mode : {"raw", "adjusted"}
        ``"raw"`` returns ``bars`` itself unchanged.

    Returns
    -------
    BarArrays

    Raises
    ------
    ConfigError
        If ``mode`` is not ``"raw"`` or ``"adjusted"`` (field ``mode``), or ``tz`` is unknown.
    DataError
        As `adjustment_factors`.
    """
    if mode == "raw":
        return bars
    if mode != "adjusted":
        raise ConfigError("mode", mode, "'raw' or 'adjusted'")
    price, volume = _factors(bars, actions, tz)
    return BarArrays(
        bars.instrument_id,
        bars.ts.copy(),
        bars.open * price,
        bars.high * price,
        bars.low * price,
        bars.close * price,
        bars.volume * volume,
    )


def _factors(
    bars: BarArrays, actions: Iterable[CorporateAction], tz: str
) -> tuple[FloatArray, FloatArray]:
    # Returns (price factors, volume factors). Each action in range multiplies the factors of
    # bars [0, cut) where cut is the first bar on or after its ex-date; the product over actions
    # is a reverse cumulative product of per-bar marks, O(bars + actions).
    _check_tz(tz)
    n = len(bars)
    price_marks = np.ones(n, dtype=np.float64)
    volume_marks = np.ones(n, dtype=np.float64)
    for action in actions:
        if not isinstance(action, Split | CashDividend):
            raise DataError(
                f"{bars.instrument_id}: actions: expected Split or CashDividend, was {action!r}"
            )
        cut = int(np.searchsorted(bars.ts, _day_start_ns(action.ex_date, tz), side="left"))
        if cut == 0 or cut == n:
            continue
        if isinstance(action, Split):
            price_marks[cut - 1] /= action.ratio
            volume_marks[cut - 1] *= action.ratio
        else:
            previous_close = float(bars.close[cut - 1])
            if not action.amount < previous_close:
                raise DataError(
                    f"{bars.instrument_id}: {action}: amount: expected less than the previous "
                    f"close {previous_close!r} (bar ts {int(bars.ts[cut - 1])}), was "
                    f"{action.amount!r}"
                )
            price_marks[cut - 1] *= 1.0 - action.amount / previous_close
    price = np.ascontiguousarray(np.cumprod(price_marks[::-1])[::-1], dtype=np.float64)
    volume = np.ascontiguousarray(np.cumprod(volume_marks[::-1])[::-1], dtype=np.float64)
    return price, volume


def _day_start_ns(day: date, tz: str) -> int:
    # The first instant of `day` in `tz`, in UTC ns; where midnight is skipped or repeated by a
    # clock change, the day starts at its first existing instant.
    local = pd.Timestamp(day.year, day.month, day.day).tz_localize(
        tz, ambiguous=True, nonexistent="shift_forward"
    )
    return int(local.tz_convert("UTC").value)


def _check_tz(tz: str) -> None:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ConfigError("tz", tz, "an IANA time zone such as 'America/New_York'") from error


def _check_ex_date(action: Split | CashDividend, ex_date: object) -> None:
    if isinstance(ex_date, datetime) or not isinstance(ex_date, date):
        raise DataError(
            f"{type(action).__name__}: ex_date: expected a datetime.date, was {ex_date!r}"
        )
