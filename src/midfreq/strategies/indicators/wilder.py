"""Wilder's oscillators (1978), with TA-Lib's seeding: the relative strength index and the
average true range, both smoothed with ``alpha = 1 / period`` after a simple-mean seed."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from midfreq.strategies.indicators._arrays import (
    FloatArray,
    as_series,
    as_series_pair,
    check_period,
)


class RelativeStrengthIndex:
    """Wilder's RSI of closing prices, in [0, 100].

    Changes are split into gains and losses; their averages are seeded with the simple mean of
    the first ``period`` changes and then smoothed as
    ``average = ((period - 1) * average + change) / period`` (Wilder 1978; TA-Lib's ``RSI``).
    ``RSI = 100 * average_gain / (average_gain + average_loss)``. `value` is NaN until
    ``period + 1`` closes have been seen, and while both averages are zero (no movement: the
    RSI is undefined, where TA-Lib reports 0).

    Parameters
    ----------
    period
        Smoothing period, >= 1 (14 by default).

    Examples
    --------
    >>> rsi = RelativeStrengthIndex(2)
    >>> [rsi.update(close) for close in (1.0, 2.0, 3.0, 2.0)]
    [nan, nan, 100.0, 50.0]
    """

    __slots__ = (
        "_average_gain",
        "_average_loss",
        "_previous",
        "count",
        "period",
        "value",
    )

    def __init__(self, period: int = 14) -> None:
        self.period = check_period(period, 1)
        self.reset()

    @property
    def initialized(self) -> bool:
        """Whether ``period + 1`` closes (``period`` changes) have been seen."""
        return self.count > self.period

    def reset(self) -> None:
        """Forget every close seen."""
        self.count = 0
        self._previous = math.nan
        self._average_gain = 0.0
        self._average_loss = 0.0
        self.value = math.nan

    def update(self, close: float) -> float:
        """Add a close; return the RSI."""
        count = self.count = self.count + 1
        change = close - self._previous
        self._previous = close
        if count == 1:
            return math.nan
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        period = self.period
        if count > period + 1:
            self._average_gain = ((period - 1) * self._average_gain + gain) / period
            self._average_loss = ((period - 1) * self._average_loss + loss) / period
        else:  # the seed: running sums of the first `period` gains and losses, then their means
            self._average_gain += gain
            self._average_loss += loss
            if count <= period:
                return math.nan
            self._average_gain /= period
            self._average_loss /= period
        total = self._average_gain + self._average_loss
        self.value = 100.0 * self._average_gain / total if total > 0.0 else math.nan
        return self.value

    @classmethod
    def batch(cls, close: npt.ArrayLike, period: int = 14) -> FloatArray:
        """Return the RSI after each close, as `update` would (identical numbers).

        Returns
        -------
        numpy.ndarray
            Same length as ``close``; NaN for the first ``period`` closes.

        Raises
        ------
        ValueError
            If ``period`` is not an integer >= 1 or ``close`` is not 1-D and finite.
        """
        rsi = cls(period)
        update = rsi.update
        # A recursion: run `update` itself, which makes the numbers identical.
        return np.array([update(c) for c in as_series(close, "close").tolist()])


class AverageTrueRange:
    """Wilder's average true range of bars.

    The true range of a bar is ``max(high - low, |high - previous close|, |low - previous
    close|)``; the first bar has no previous close and no true range. The average is seeded
    with the simple mean of the first ``period`` true ranges and then smoothed as
    ``average = ((period - 1) * average + true_range) / period`` (Wilder 1978; TA-Lib's
    ``ATR``), so `value` is NaN until ``period + 1`` bars have been seen.

    Parameters
    ----------
    period
        Smoothing period, >= 1 (14 by default).

    Examples
    --------
    >>> atr = AverageTrueRange(2)
    >>> bars = [(10.0, 9.0, 9.5), (11.0, 10.0, 10.5), (10.5, 8.5, 9.0), (9.5, 9.0, 9.2)]
    >>> [atr.update(high, low, close) for high, low, close in bars]
    [nan, nan, 1.75, 1.125]
    """

    __slots__ = ("_previous_close", "_seed_sum", "count", "period", "true_range", "value")

    def __init__(self, period: int = 14) -> None:
        self.period = check_period(period, 1)
        self.reset()

    @property
    def initialized(self) -> bool:
        """Whether ``period + 1`` bars (``period`` true ranges) have been seen."""
        return self.count > self.period

    def reset(self) -> None:
        """Forget every bar seen."""
        self.count = 0
        self._previous_close = math.nan
        self._seed_sum = 0.0
        self.true_range = math.nan
        self.value = math.nan

    def update(self, high: float, low: float, close: float) -> float:
        """Add a bar; return the average true range."""
        count = self.count = self.count + 1
        previous = self._previous_close
        self._previous_close = close
        if count == 1:
            return math.nan
        true_range = self.true_range = max(high - low, abs(high - previous), abs(low - previous))
        period = self.period
        if count > period + 1:
            self.value = ((period - 1) * self.value + true_range) / period
        else:  # the seed: a running sum of the first `period` true ranges, then their mean
            self._seed_sum += true_range
            if count == period + 1:
                self.value = self._seed_sum / period
        return self.value

    @classmethod
    def batch(
        cls, high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
    ) -> FloatArray:
        """Return the average true range after each bar, as `update` would (identical numbers).

        Returns
        -------
        numpy.ndarray
            Same length as the inputs; NaN for the first ``period`` bars.

        Raises
        ------
        ValueError
            If ``period`` is not an integer >= 1 or the inputs are not 1-D, finite and of one
            length.
        """
        atr = cls(period)
        highs, lows = as_series_pair(high, low, ("high", "low"))
        _, closes = as_series_pair(highs, close, ("high", "close"))
        update = atr.update
        bars = zip(highs.tolist(), lows.tolist(), closes.tolist(), strict=True)
        return np.array([update(h, lo, c) for h, lo, c in bars])
