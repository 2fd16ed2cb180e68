"""Moving averages: simple (the rolling mean), exponential (span convention, first-value or SMA
seed) and Wilder's smoothing, each updated in O(1) with a batch form over numpy arrays."""

from __future__ import annotations

import math
from collections import deque
from typing import Literal

import numpy as np
import numpy.typing as npt

from midfreq.strategies.indicators._arrays import (
    FloatArray,
    as_series,
    check_period,
    nan_array,
    window_chunks,
)

EmaSeed = Literal["first", "sma"]

# The running sum is re-added exactly this often, so floating-point drift cannot accumulate.
_RESUM_INTERVAL = 10_000


def _seed(values: list[float], period: int) -> tuple[list[float], float]:
    """The warm-up NaNs and the seed: the mean of the first ``period`` values, as ``update``
    computes it (a running sum from zero, then one division), so batch numbers are identical."""
    total = 0.0
    for value in values[: period - 1]:
        total += value
    return [math.nan] * (period - 1), (total + values[period - 1]) / period


class SimpleMovingAverage:
    """Mean of the last ``period`` values (the rolling mean).

    Before ``period`` values have been seen, `value` is the mean of those seen so far (as
    pandas ``rolling(period, min_periods=1).mean()``) and `initialized` is False.

    Parameters
    ----------
    period
        Number of values averaged, >= 1.

    Examples
    --------
    >>> sma = SimpleMovingAverage(3)
    >>> [sma.update(v) for v in (1.0, 2.0, 6.0, 10.0)]
    [1.0, 1.5, 3.0, 6.0]
    >>> SimpleMovingAverage.batch([1.0, 2.0, 6.0, 10.0], period=3).tolist()
    [1.0, 1.5, 3.0, 6.0]
    """

    __slots__ = ("_count", "_since_resum", "_sum", "_window", "period", "value")

    def __init__(self, period: int) -> None:
        self.period = check_period(period, 1)
        self._window: deque[float] = deque(maxlen=period)
        self._sum = 0.0
        self._count = 0
        self._since_resum = 0
        self.value = math.nan

    @property
    def initialized(self) -> bool:
        """Whether ``period`` values have been seen."""
        return self._count == self.period

    @property
    def is_ready(self) -> bool:
        """Alias of `initialized`, kept for existing strategies."""
        return self._count == self.period

    def reset(self) -> None:
        """Forget every value seen."""
        self._window.clear()
        self._sum = 0.0
        self._count = 0
        self._since_resum = 0
        self.value = math.nan

    def update(self, value: float) -> float:
        """Add a value; return the new average."""
        window = self._window
        count = self._count
        if count == self.period:
            self._sum += value - window[0]
        else:
            self._sum += value
            count = self._count = count + 1
        window.append(value)  # the deque's maxlen drops the oldest value
        self._since_resum += 1
        if self._since_resum == _RESUM_INTERVAL:  # bound floating-point drift of the running sum
            self._since_resum = 0
            self._sum = math.fsum(window)
        self.value = value = self._sum / count
        return value

    @classmethod
    def batch(cls, values: npt.ArrayLike, period: int) -> FloatArray:
        """Return the average after each of ``values``, as `update` would.

        Parameters
        ----------
        values
            1-D array of finite numbers.
        period
            Number of values averaged, >= 1.

        Returns
        -------
        numpy.ndarray
            Same length as ``values``; partial means before ``period`` values.

        Raises
        ------
        ValueError
            If ``period`` is not an integer >= 1 or ``values`` is not 1-D and finite.
        """
        check_period(period, 1)
        array = as_series(values)
        out = nan_array(array.size)
        head = min(period - 1, array.size)
        # The warm-up is a sequential running sum, as in `update`.
        out[:head] = np.cumsum(array[:head]) / np.arange(1, head + 1)
        for start, rows in window_chunks(array, period):
            first = start + period - 1
            out[first : first + rows.shape[0]] = rows.sum(axis=1) / period
        return out


class ExponentialMovingAverage:
    """Exponential moving average with ``alpha = 2 / (period + 1)`` (pandas ``span=period``).

    Each value moves the average by ``alpha * (value - average)``. The seed is chosen with
    ``seed``:

    - ``"first"`` (default): the first value, so the average is defined from the first update,
      as pandas ``ewm(span=period, adjust=False)``; `initialized` turns True after ``period``
      values.
    - ``"sma"``: the simple mean of the first ``period`` values, as TA-Lib's ``EMA``; `value` is
      NaN before that.

    Parameters
    ----------
    period
        Span of the average, >= 1.
    seed
        ``"first"`` or ``"sma"``.

    Examples
    --------
    >>> ema = ExponentialMovingAverage(3)  # alpha = 0.5
    >>> [ema.update(v) for v in (10.0, 20.0, 0.0)]
    [10.0, 15.0, 7.5]
    >>> ExponentialMovingAverage.batch([10.0, 20.0, 0.0, 4.0], period=3, seed="sma").tolist()
    [nan, nan, 10.0, 7.0]
    """

    __slots__ = ("_alpha", "_seed_sum", "_sma_seed", "count", "period", "seed", "value")

    def __init__(self, period: int, seed: EmaSeed = "first") -> None:
        self.period = check_period(period, 1)
        if seed not in ("first", "sma"):
            raise ValueError(f"seed: expected 'first' or 'sma', was {seed!r}")
        self.seed = seed
        self._sma_seed = seed == "sma"
        self._alpha = 2.0 / (period + 1.0)
        self._seed_sum = 0.0
        self.count = 0
        self.value = math.nan

    @property
    def initialized(self) -> bool:
        """Whether ``period`` values have been seen."""
        return self.count >= self.period

    @property
    def is_ready(self) -> bool:
        """Alias of `initialized`, kept for existing strategies."""
        return self.count >= self.period

    def reset(self) -> None:
        """Forget every value seen."""
        self._seed_sum = 0.0
        self.count = 0
        self.value = math.nan

    def update(self, value: float) -> float:
        """Add a value; return the new average."""
        count = self.count = self.count + 1
        if count > self.period or (count > 1 and not self._sma_seed):
            self.value += self._alpha * (value - self.value)
        elif not self._sma_seed:
            self.value = value
        elif count < self.period:
            self._seed_sum += value
        else:
            self.value = (self._seed_sum + value) / self.period
        return self.value

    @classmethod
    def batch(cls, values: npt.ArrayLike, period: int, seed: EmaSeed = "first") -> FloatArray:
        """Return the average after each of ``values``, as `update` would (identical numbers).

        Parameters
        ----------
        values
            1-D array of finite numbers.
        period
            Span of the average, >= 1.
        seed
            ``"first"`` or ``"sma"``.

        Returns
        -------
        numpy.ndarray
            Same length as ``values``.

        Raises
        ------
        ValueError
            If a parameter is invalid or ``values`` is not 1-D and finite.
        """
        cls(period, seed)  # checks the parameters
        series = as_series(values).tolist()
        start = 1 if seed == "first" else period
        if len(series) < start:
            return np.full(len(series), np.nan)
        path, average = ([], series[0]) if seed == "first" else _seed(series, period)
        path.append(average)
        alpha = 2.0 / (period + 1.0)
        # The recursion of `update`, written out: the same operations, so the same numbers.
        for value in series[start:]:
            average += alpha * (value - average)
            path.append(average)
        return np.array(path, dtype=np.float64)


class WilderMovingAverage:
    """Wilder's smoothing (1978), as in TA-Lib's RSI and ATR: ``alpha = 1 / period``.

    The first value is the simple mean of the first ``period`` values (NaN before); after it,
    ``average = ((period - 1) * average + value) / period``.

    Parameters
    ----------
    period
        Smoothing period, >= 1.

    Examples
    --------
    >>> wilder = WilderMovingAverage(2)
    >>> [wilder.update(v) for v in (1.0, 3.0, 6.0)]
    [nan, 2.0, 4.0]
    """

    __slots__ = ("_seed_sum", "count", "period", "value")

    def __init__(self, period: int) -> None:
        self.period = check_period(period, 1)
        self._seed_sum = 0.0
        self.count = 0
        self.value = math.nan

    @property
    def initialized(self) -> bool:
        """Whether ``period`` values have been seen."""
        return self.count >= self.period

    def reset(self) -> None:
        """Forget every value seen."""
        self._seed_sum = 0.0
        self.count = 0
        self.value = math.nan

    def update(self, value: float) -> float:
        """Add a value; return the new average."""
        period = self.period
        count = self.count = self.count + 1
        if count > period:
            self.value = ((period - 1) * self.value + value) / period
        elif count < period:
            self._seed_sum += value
        else:
            self.value = (self._seed_sum + value) / period
        return self.value

    @classmethod
    def batch(cls, values: npt.ArrayLike, period: int) -> FloatArray:
        """Return the average after each of ``values``, as `update` would (identical numbers).

        Raises
        ------
        ValueError
            If ``period`` is not an integer >= 1 or ``values`` is not 1-D and finite.
        """
        cls(period)  # checks the parameter
        series = as_series(values).tolist()
        if len(series) < period:
            return np.full(len(series), np.nan)
        path, average = _seed(series, period)
        path.append(average)
        keep = period - 1
        # The recursion of `update`, written out: the same operations, so the same numbers.
        for value in series[period:]:
            average = (keep * average + value) / period
            path.append(average)
        return np.array(path, dtype=np.float64)
