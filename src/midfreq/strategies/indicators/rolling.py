"""Rolling mean, variance, standard deviation and z-score over a window, numerically stable
(Welford add/remove updates on shifted data, with exact two-pass re-computation), and the
one-shot `z_score` of a list."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import numpy.typing as npt

from midfreq.strategies.indicators import _windows
from midfreq.strategies.indicators._arrays import FloatArray, as_series, check_ddof, check_period

# A spread below this fraction of the mean is rounding noise: the z-score is undefined (NaN).
FLAT_RELATIVE_SPREAD = 1e-12

# Recompute the moments exactly (two passes, `math.fsum`) at least this often ...
_SYNC_INTERVAL = 1_000
# ... and whenever the sum of squared deviations falls below this fraction of its peak since the
# last re-computation: past rounding errors scale with that peak, not with the current spread.
_COLLAPSE = 1e-4


class RollingMoments:
    """Mean and variance of the last ``period`` values, updated in O(1) amortised.

    The engine shared by `RollingStandardDeviation`, `RollingZScore` and `BollingerBands`,
    which differ only in what their ``update`` reports as `value`. It keeps a
    shift ``s`` (a recent mean), the window mean's offset from it and the sum of squared
    deviations ``M2``, and moves them with Welford's add/remove updates on ``value - s``, so a
    large common offset (prices near 1e9) costs no precision. Every ``max(1000, 4 * period)``
    updates, and whenever ``M2`` has fallen below 1e-4 of its peak since the last time (the
    rounding left by large values that have left the window is relative to that peak), the
    moments are recomputed exactly from the window. A window of equal values has variance
    exactly 0 and mean exactly that value.

    Parameters
    ----------
    period
        Window length, > ``ddof``.
    ddof
        Delta degrees of freedom of the variance: 1 (sample, ``M2 / (n - 1)``) or 0
        (population, ``M2 / n``).
    """

    __slots__ = (
        "_count",
        "_last",
        "_m2",
        "_offset",
        "_peak",
        "_run",
        "_shift",
        "_since_sync",
        "_sync_interval",
        "_window",
        "ddof",
        "period",
        "value",
    )

    def __init__(self, period: int, ddof: int = 1) -> None:
        self.period = check_period(period, 1)
        self.ddof = check_ddof(ddof, period)
        self._window: deque[float] = deque(maxlen=period)
        self._sync_interval = max(_SYNC_INTERVAL, 4 * period)
        self.value = math.nan
        self._clear()

    def _clear(self) -> None:
        self._window.clear()
        self._count = 0
        self._shift = 0.0
        self._offset = 0.0
        self._m2 = 0.0
        self._peak = 0.0
        self._run = 0
        self._last = math.nan
        self._since_sync = 0

    @property
    def initialized(self) -> bool:
        """Whether ``period`` values have been seen."""
        return self._count == self.period

    @property
    def is_ready(self) -> bool:
        """Alias of `initialized`, kept for existing strategies."""
        return self._count == self.period

    @property
    def mean(self) -> float:
        """Mean of the window (of the values seen while fewer than ``period``; NaN if none)."""
        return self._shift + self._offset if self._count else math.nan

    @property
    def variance(self) -> float:
        """Variance of the window with ``ddof``; NaN until `initialized`."""
        if self._count < self.period:
            return math.nan
        return self._m2 / (self._count - self.ddof)

    @property
    def std(self) -> float:
        """Standard deviation of the window with ``ddof``; NaN until `initialized`."""
        return math.sqrt(self.variance)

    def reset(self) -> None:
        """Forget every value seen."""
        self._clear()
        self.value = math.nan

    def _push(self, value: float) -> float:
        """Add a value to the window; return its deviation from the new mean."""
        window = self._window
        n = self._count
        if value == self._last:
            self._run += 1
        else:
            self._run = 1
            self._last = value
        if n == self.period:
            shift = self._shift
            new = value - shift
            old = window[0] - shift
            window.append(value)  # the deque's maxlen drops the oldest value
            step = new - old
            offset_before = self._offset
            offset = offset_before + step / n
            m2 = self._m2 + step * (new - offset + old - offset_before)
        else:
            if n == 0:
                self._shift = value
            shift = self._shift
            n = self._count = n + 1
            window.append(value)
            new = value - shift
            step = new - self._offset
            offset = self._offset + step / n
            m2 = self._m2 + step * (new - offset)
        if self._run >= n:  # every value in the window is equal
            self._shift = value
            self._offset = 0.0
            self._m2 = 0.0
            self._peak = 0.0
            return 0.0
        self._since_sync += 1
        if m2 > self._peak:
            self._peak = m2
        if m2 < _COLLAPSE * self._peak or self._since_sync >= self._sync_interval:
            return self._resync(value)
        self._offset = offset
        self._m2 = m2
        return new - offset

    def _resync(self, value: float) -> float:
        window = self._window
        n = len(window)
        shift = math.fsum(window) / n
        deviations = [v - shift for v in window]
        offset = math.fsum(deviations) / n
        m2 = math.fsum([(d - offset) ** 2 for d in deviations])
        self._shift = shift
        self._offset = offset
        self._m2 = self._peak = m2
        self._since_sync = 0
        return (value - shift) - offset


class RollingStandardDeviation(RollingMoments):
    """Standard deviation of the last ``period`` values; sample (``ddof=1``) by default.

    `value` is NaN until ``period`` values have been seen and exactly 0 for a window of equal
    values; `mean` and `variance` are available too. See `RollingMoments` for the numerics.

    Parameters
    ----------
    period
        Window length, > ``ddof``.
    ddof
        1 for the sample standard deviation (pandas' default), 0 for the population one
        (numpy's default).

    Examples
    --------
    >>> std = RollingStandardDeviation(3)
    >>> [round(std.update(v), 6) for v in (1.0, 2.0, 6.0, 6.0)]  # sqrt(7), sqrt(16 / 3)
    [nan, nan, 2.645751, 2.309401]
    """

    __slots__ = ()

    def update(self, value: float) -> float:
        """Add a value; return the new standard deviation."""
        self._push(value)
        n = self._count
        self.value = math.sqrt(self._m2 / (n - self.ddof)) if n == self.period else math.nan
        return self.value

    @classmethod
    def batch(cls, values: npt.ArrayLike, period: int, ddof: int = 1) -> FloatArray:
        """Return the standard deviation after each of ``values``, as `update` would.

        Exact per window (two-pass), so equal to `update` within rounding (1e-9 relative).

        Returns
        -------
        numpy.ndarray
            Same length as ``values``; NaN before ``period`` values.

        Raises
        ------
        ValueError
            If a parameter is invalid or ``values`` is not 1-D and finite.
        """
        check_ddof(ddof, check_period(period, 1))
        _, m2, _ = window_moments(values, period)
        result: FloatArray = np.sqrt(m2 / (period - ddof))
        return result


class RollingZScore(RollingMoments):
    """Z-score of the latest value against the last ``period`` values (itself included).

    ``(value - mean) / std`` with the sample standard deviation (``ddof=1``). `value` is NaN
    until ``period`` values have been seen and while the window is flat: all values equal, or
    a standard deviation at most 1e-12 of the mean's magnitude (rounding noise, not a spread).

    Parameters
    ----------
    period
        Window length, >= 2.

    Examples
    --------
    >>> z = RollingZScore(3)
    >>> [round(z.update(v), 6) for v in (1.0, 2.0, 6.0)]  # mean 3, variance 7: 3 / sqrt(7)
    [nan, nan, 1.133893]
    >>> [float(v) for v in RollingZScore.batch([5.0, 5.0, 5.0], period=2)]
    [nan, nan, nan]
    """

    __slots__ = ()

    def __init__(self, period: int) -> None:
        super().__init__(check_period(period, 2), ddof=1)

    def update(self, value: float) -> float:
        """Add a value; return its z-score (NaN until ready or while the window is flat)."""
        deviation = self._push(value)
        n = self._count
        if n < self.period:
            self.value = math.nan
            return math.nan
        variance = self._m2 / (n - 1)
        limit = FLAT_RELATIVE_SPREAD * (self._shift + self._offset)
        if variance <= limit * limit:
            self.value = math.nan
        else:
            self.value = deviation / math.sqrt(variance)
        return self.value

    @classmethod
    def batch(cls, values: npt.ArrayLike, period: int) -> FloatArray:
        """Return the z-score after each of ``values``, as `update` would (1e-9 relative).

        Returns
        -------
        numpy.ndarray
            Same length as ``values``; NaN before ``period`` values and for flat windows.

        Raises
        ------
        ValueError
            If ``period`` is not an integer >= 2 or ``values`` is not 1-D and finite.
        """
        check_period(period, 2)
        mean, m2, last = window_moments(values, period)
        variance = m2 / (period - 1)
        flat = variance <= (FLAT_RELATIVE_SPREAD * mean) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            result: FloatArray = np.where(flat, np.nan, last / np.sqrt(variance))
        return result


def window_moments(values: npt.ArrayLike, period: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return ``(mean, m2, last_deviation)`` of the window ending at each of ``values``.

    ``m2`` is the sum of squared deviations from the window mean and ``last_deviation`` the
    window's last value minus that mean; all three are NaN before ``period`` values. Computed
    in O(n) by merging Welford statistics of block halves (see ``_windows``), as precise as
    `RollingMoments`.

    Raises
    ------
    ValueError
        If ``period`` is not an integer >= 1 or ``values`` is not 1-D and finite.
    """
    return _windows.window_moments(as_series(values), check_period(period, 1))


def z_score(values: list[float] | tuple[float, ...]) -> float:
    """Return the z-score of the last of ``values`` against all of them (sample std).

    NaN with fewer than two values, or when the spread is at most 1e-12 of the mean (a flat
    window whose mean is off by an ulp would otherwise score equal values as about +-0.8).

    Examples
    --------
    >>> z_score([1.0, 2.0, 3.0])
    1.0
    >>> z_score([100.1, 100.1, 100.1])
    nan
    """
    n = len(values)
    if n < 2:
        return math.nan
    mean = math.fsum(values) / n
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    # A flat window's mean can be off by an ulp, leaving a rounding-noise variance that would
    # score equal values as about +-0.8: below a relative 1e-12 the spread is zero.
    if variance <= (FLAT_RELATIVE_SPREAD * mean) ** 2:
        return math.nan
    return (values[-1] - mean) / math.sqrt(variance)
