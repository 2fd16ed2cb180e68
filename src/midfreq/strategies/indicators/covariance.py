"""Rolling correlation and regression beta of ``y`` on ``x`` over a window: bivariate Welford
updates on shifted data with exact two-pass re-computation, incremental and batch."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import numpy.typing as npt

from midfreq.strategies.indicators import _windows
from midfreq.strategies.indicators._arrays import FloatArray, as_series_pair, check_period
from midfreq.strategies.indicators.rolling import FLAT_RELATIVE_SPREAD

_SYNC_INTERVAL = 1_000
_COLLAPSE = 1e-4


class RollingCoMoments:
    """Means, variances and covariance of the last ``period`` pairs ``(x, y)``, O(1) amortised.

    The engine shared by `RollingCorrelation` and `RollingBeta`. As `RollingMoments` for one
    series, it moves the co-moments ``Sxx``, ``Syy`` and ``Sxy`` (sums of products of
    deviations from the window means) with Welford's add/remove updates on shifted values,
    recomputes them exactly from the window every ``max(1000, 4 * period)`` updates and when
    ``Sxx`` or ``Syy`` falls below 1e-4 of its peak since the last time, and sets them to
    exactly 0 while a series is constant over the window.

    A series is flat (its variance undefined as a divisor) when its sample standard deviation
    is at most 1e-12 of its mean's magnitude, as for `RollingZScore`; `beta` is then NaN if
    ``x`` is flat and `correlation` NaN if either is.

    Parameters
    ----------
    period
        Window length, >= 2.
    """

    __slots__ = (
        "_count",
        "_last_x",
        "_last_y",
        "_offset_x",
        "_offset_y",
        "_peak_xx",
        "_peak_yy",
        "_run_x",
        "_run_y",
        "_shift_x",
        "_shift_y",
        "_since_sync",
        "_sxx",
        "_sxy",
        "_sync_interval",
        "_syy",
        "_window",
        "period",
        "value",
    )

    def __init__(self, period: int) -> None:
        self.period = check_period(period, 2)
        self._window: deque[tuple[float, float]] = deque(maxlen=period)
        self._sync_interval = max(_SYNC_INTERVAL, 4 * period)
        self.reset()

    @property
    def initialized(self) -> bool:
        """Whether ``period`` pairs have been seen."""
        return self._count == self.period

    @property
    def mean_x(self) -> float:
        """Mean of ``x`` over the window (NaN before any pair)."""
        return self._shift_x + self._offset_x if self._count else math.nan

    @property
    def mean_y(self) -> float:
        """Mean of ``y`` over the window (NaN before any pair)."""
        return self._shift_y + self._offset_y if self._count else math.nan

    @property
    def covariance(self) -> float:
        """Sample covariance of ``x`` and ``y`` (``ddof=1``); NaN until `initialized`."""
        return self._sxy / (self._count - 1) if self._count == self.period else math.nan

    @property
    def beta(self) -> float:
        """Slope of the least-squares line of ``y`` on ``x``: ``cov(x, y) / var(x)``.

        NaN until `initialized` and while ``x`` is flat.
        """
        if self._count < self.period or self._flat(self._sxx, self.mean_x):
            return math.nan
        return self._sxy / self._sxx

    @property
    def alpha(self) -> float:
        """Intercept of the least-squares line: ``mean(y) - beta * mean(x)``."""
        return self.mean_y - self.beta * self.mean_x

    @property
    def correlation(self) -> float:
        """Pearson correlation in [-1, 1]; NaN until `initialized` and while a series is flat."""
        if (
            self._count < self.period
            or self._flat(self._sxx, self.mean_x)
            or self._flat(self._syy, self.mean_y)
        ):
            return math.nan
        return max(-1.0, min(1.0, self._sxy / math.sqrt(self._sxx * self._syy)))

    def _flat(self, m2: float, mean: float) -> bool:
        limit = FLAT_RELATIVE_SPREAD * mean
        return m2 / (self._count - 1) <= limit * limit

    def reset(self) -> None:
        """Forget every pair seen."""
        self._window.clear()
        self._count = 0
        self._shift_x = self._shift_y = 0.0
        self._offset_x = self._offset_y = 0.0
        self._sxx = self._syy = self._sxy = 0.0
        self._peak_xx = self._peak_yy = 0.0
        self._run_x = self._run_y = 0
        self._last_x = self._last_y = math.nan
        self._since_sync = 0
        self.value = math.nan

    def _push(self, x: float, y: float) -> None:
        window = self._window
        n = self._count
        if x == self._last_x:
            self._run_x += 1
        else:
            self._run_x = 1
            self._last_x = x
        if y == self._last_y:
            self._run_y += 1
        else:
            self._run_y = 1
            self._last_y = y
        if n == self.period:
            shift_x, shift_y = self._shift_x, self._shift_y
            old_x, old_y = window[0]
            window.append((x, y))  # the deque's maxlen drops the oldest pair
            new_x, old_x = x - shift_x, old_x - shift_x
            new_y, old_y = y - shift_y, old_y - shift_y
            step_x, step_y = new_x - old_x, new_y - old_y
            before_x, before_y = self._offset_x, self._offset_y
            offset_x = before_x + step_x / n
            offset_y = before_y + step_y / n
            sxx = self._sxx + step_x * (new_x - offset_x + old_x - before_x)
            syy = self._syy + step_y * (new_y - offset_y + old_y - before_y)
            sxy = self._sxy + step_x * (new_y - offset_y) + (old_x - before_x) * step_y
        else:
            if n == 0:
                self._shift_x, self._shift_y = x, y
            n = self._count = n + 1
            window.append((x, y))
            new_x, new_y = x - self._shift_x, y - self._shift_y
            step_x, step_y = new_x - self._offset_x, new_y - self._offset_y
            offset_x = self._offset_x + step_x / n
            offset_y = self._offset_y + step_y / n
            sxx = self._sxx + step_x * (new_x - offset_x)
            syy = self._syy + step_y * (new_y - offset_y)
            sxy = self._sxy + step_x * (new_y - offset_y)
        self._since_sync += 1
        if sxx > self._peak_xx:
            self._peak_xx = sxx
        if syy > self._peak_yy:
            self._peak_yy = syy
        if (
            sxx < _COLLAPSE * self._peak_xx
            or syy < _COLLAPSE * self._peak_yy
            or self._since_sync >= self._sync_interval
        ):
            self._resync()
        else:
            self._offset_x, self._offset_y = offset_x, offset_y
            self._sxx, self._syy, self._sxy = sxx, syy, sxy
        if self._run_x >= n:  # x is constant over the window
            self._shift_x, self._offset_x = x, 0.0
            self._sxx = self._sxy = self._peak_xx = 0.0
        if self._run_y >= n:
            self._shift_y, self._offset_y = y, 0.0
            self._syy = self._sxy = self._peak_yy = 0.0

    def _resync(self) -> None:
        window = self._window
        n = len(window)
        shift_x = math.fsum(x for x, _ in window) / n
        shift_y = math.fsum(y for _, y in window) / n
        deviations_x = [x - shift_x for x, _ in window]
        deviations_y = [y - shift_y for _, y in window]
        offset_x = math.fsum(deviations_x) / n
        offset_y = math.fsum(deviations_y) / n
        centred_x = [d - offset_x for d in deviations_x]
        centred_y = [d - offset_y for d in deviations_y]
        self._shift_x, self._shift_y = shift_x, shift_y
        self._offset_x, self._offset_y = offset_x, offset_y
        self._sxx = self._peak_xx = math.fsum([d * d for d in centred_x])
        self._syy = self._peak_yy = math.fsum([d * d for d in centred_y])
        self._sxy = math.fsum([a * b for a, b in zip(centred_x, centred_y, strict=True)])
        self._since_sync = 0


def window_co_moments(
    x: npt.ArrayLike, y: npt.ArrayLike, period: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return ``(mean_x, mean_y, sxx, syy, sxy)`` of the window ending at each pair.

    The ``s`` arrays are sums of products of deviations from the window means; all are NaN
    before ``period`` pairs. Computed in O(n) by merging Welford statistics of block halves
    (see ``_windows``), as precise as `RollingCoMoments`.

    Raises
    ------
    ValueError
        If ``period`` is not an integer >= 2 or the inputs are not 1-D, finite and of one
        length.
    """
    check_period(period, 2)
    xs, ys = as_series_pair(x, y, ("x", "y"))
    return _windows.window_co_moments(xs, ys, period)


def _flat(m2: FloatArray, mean: FloatArray, period: int) -> npt.NDArray[np.bool_]:
    flat: npt.NDArray[np.bool_] = m2 / (period - 1) <= (FLAT_RELATIVE_SPREAD * mean) ** 2
    return flat


class RollingCorrelation(RollingCoMoments):
    """Pearson correlation of ``x`` and ``y`` over the last ``period`` pairs.

    `value` is in [-1, 1], NaN until ``period`` pairs have been seen and while either series
    is flat over the window. `beta`, `alpha` and `covariance` are available too.

    Parameters
    ----------
    period
        Window length, >= 2.

    Examples
    --------
    >>> correlation = RollingCorrelation(3)
    >>> pairs = ((1.0, 2.0), (2.0, 4.0), (3.0, 6.5), (4.0, 8.0))
    >>> [round(correlation.update(x, y), 6) for x, y in pairs]
    [nan, nan, 0.997949, 0.989743]
    """

    __slots__ = ()

    def update(self, x: float, y: float) -> float:
        """Add a pair; return the correlation."""
        self._push(x, y)
        self.value = self.correlation
        return self.value

    @classmethod
    def batch(cls, x: npt.ArrayLike, y: npt.ArrayLike, period: int) -> FloatArray:
        """Return the correlation after each pair, as `update` would (1e-9 absolute).

        Returns
        -------
        numpy.ndarray
            Same length as the inputs; NaN before ``period`` pairs and where a series is flat.

        Raises
        ------
        ValueError
            If ``period`` is not an integer >= 2 or the inputs are not 1-D, finite and of one
            length.
        """
        mean_x, mean_y, sxx, syy, sxy = window_co_moments(x, y, period)
        undefined = _flat(sxx, mean_x, period) | _flat(syy, mean_y, period)
        with np.errstate(divide="ignore", invalid="ignore"):
            correlation = np.clip(sxy / np.sqrt(sxx * syy), -1.0, 1.0)
        result: FloatArray = np.where(undefined, np.nan, correlation)
        return result


class RollingBeta(RollingCoMoments):
    """Least-squares slope of ``y`` on ``x`` over the last ``period`` pairs: ``cov / var(x)``.

    The hedge ratio of ``y`` against ``x`` (``y ~ alpha + beta * x``). `value` is NaN until
    ``period`` pairs have been seen and while ``x`` is flat over the window. `alpha`,
    `correlation` and `covariance` are available too.

    Parameters
    ----------
    period
        Window length, >= 2.

    Examples
    --------
    >>> beta = RollingBeta(3)
    >>> pairs = ((1.0, 2.0), (2.0, 4.0), (3.0, 6.5), (4.0, 8.0))
    >>> [round(beta.update(x, y), 6) for x, y in pairs]
    [nan, nan, 2.25, 2.0]
    >>> round(beta.alpha, 6)
    0.166667
    """

    __slots__ = ()

    def update(self, x: float, y: float) -> float:
        """Add a pair; return the beta of ``y`` on ``x``."""
        self._push(x, y)
        self.value = self.beta
        return self.value

    @classmethod
    def batch(cls, x: npt.ArrayLike, y: npt.ArrayLike, period: int) -> FloatArray:
        """Return the beta after each pair, as `update` would (1e-9 relative).

        Returns
        -------
        numpy.ndarray
            Same length as the inputs; NaN before ``period`` pairs and where ``x`` is flat.

        Raises
        ------
        ValueError
            If ``period`` is not an integer >= 2 or the inputs are not 1-D, finite and of one
            length.
        """
        mean_x, _, sxx, _, sxy = window_co_moments(x, y, period)
        with np.errstate(divide="ignore", invalid="ignore"):
            result: FloatArray = np.where(_flat(sxx, mean_x, period), np.nan, sxy / sxx)
        return result
