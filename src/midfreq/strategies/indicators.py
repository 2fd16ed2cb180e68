"""Small incremental indicators with ``update(value)`` and ``is_ready``; O(1) per update."""

from __future__ import annotations

import math
from collections import deque


class SimpleMovingAverage:
    """Mean of the last ``period`` values."""

    __slots__ = ("_count", "_since_resum", "_sum", "_window", "period", "value")

    def __init__(self, period: int) -> None:
        if not isinstance(period, int) or period < 1:
            raise ValueError(f"period: expected an integer >= 1, was {period!r}")
        self.period = period
        self._window: deque[float] = deque(maxlen=period)
        self._sum = 0.0
        self._count = 0
        self._since_resum = 0
        self.value = math.nan

    @property
    def is_ready(self) -> bool:
        """Whether ``period`` values have been seen."""
        return self._count == self.period

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
        if self._since_resum == 10_000:  # bound floating-point drift of the running sum
            self._since_resum = 0
            self._sum = math.fsum(window)
        self.value = value = self._sum / count
        return value


class ExponentialMovingAverage:
    """EMA with ``alpha = 2 / (period + 1)``, seeded with the first value."""

    __slots__ = ("_alpha", "count", "period", "value")

    def __init__(self, period: int) -> None:
        if not isinstance(period, int) or period < 1:
            raise ValueError(f"period: expected an integer >= 1, was {period!r}")
        self.period = period
        self._alpha = 2.0 / (period + 1.0)
        self.count = 0
        self.value = math.nan

    @property
    def is_ready(self) -> bool:
        """Whether ``period`` values have been seen."""
        return self.count >= self.period

    def update(self, value: float) -> float:
        """Add a value; return the new average."""
        self.count += 1
        if self.count == 1:
            self.value = value
        else:
            self.value += self._alpha * (value - self.value)
        return self.value


class RollingZScore:
    """Z-score of the latest value against the last ``period`` values (sample std, ddof=1)."""

    __slots__ = ("_count", "_since_resum", "_sum", "_sumsq", "_window", "period", "value")

    def __init__(self, period: int) -> None:
        if not isinstance(period, int) or period < 2:
            raise ValueError(f"period: expected an integer >= 2, was {period!r}")
        self.period = period
        self._window: deque[float] = deque(maxlen=period)
        self._count = 0
        self._sum = 0.0
        self._sumsq = 0.0
        self._since_resum = 0
        self.value = math.nan

    @property
    def is_ready(self) -> bool:
        """Whether ``period`` values have been seen."""
        return self._count == self.period

    @property
    def mean(self) -> float:
        """Mean of the window."""
        return self._sum / self._count if self._count else math.nan

    def update(self, value: float) -> float:
        """Add a value; return its z-score (nan until ready or when the window is flat)."""
        window = self._window
        n = self._count
        if n == self.period:
            old = window[0]
            self._sum += value - old
            self._sumsq += value * value - old * old
        else:
            self._sum += value
            self._sumsq += value * value
            n = self._count = n + 1
        window.append(value)  # the deque's maxlen drops the oldest value
        self._since_resum += 1
        if self._since_resum == 10_000:  # bound floating-point drift of the running sums
            self._since_resum = 0
            self._sum = math.fsum(window)
            self._sumsq = math.fsum(v * v for v in window)
        if n < self.period:
            self.value = math.nan
            return math.nan
        mean = self._sum / n
        variance = (self._sumsq - n * mean * mean) / (n - 1)
        if variance <= 1e-12 * max(1.0, mean * mean):
            self.value = math.nan
        else:
            self.value = (value - mean) / math.sqrt(variance)
        return self.value


def z_score(values: list[float] | tuple[float, ...]) -> float:
    """Z-score of the last value against all of ``values`` (sample std); nan if undefined."""
    n = len(values)
    if n < 2:
        return math.nan
    mean = math.fsum(values) / n
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    # A flat window's mean can be off by an ulp, leaving a rounding-noise variance that would
    # score equal values as about +-0.8: below a relative 1e-12 the spread is zero.
    if variance <= (1e-12 * mean) ** 2:
        return math.nan
    return (values[-1] - mean) / math.sqrt(variance)
