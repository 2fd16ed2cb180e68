"""Market history the gate keeps for its checks: recent bar volumes per instrument (liquidity)
and bar-to-bar returns fed to a correlation source (correlation), plus `RollingCorrelation`, a
small rolling estimator of return correlations and volatilities."""

from __future__ import annotations

import math
import operator
from collections import deque
from typing import Protocol

from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId


class CorrelationSource(Protocol):
    """Return statistics fed one return at a time.

    ``update`` receives the simple return of ``instrument_id`` over the period ending at
    ``ts``; ``correlation`` and ``volatility`` answer None while there is too little data.
    """

    def update(self, instrument_id: InstrumentId, ts: int, value: float) -> None:
        """Add one period's return."""
        ...

    def correlation(self, a: InstrumentId, b: InstrumentId) -> float | None:
        """Correlation of the two instruments' returns."""
        ...

    def volatility(self, instrument_id: InstrumentId) -> float | None:
        """Standard deviation of the instrument's returns (per period)."""
        ...


class RollingCorrelation:
    """Pearson correlation and sample volatility over each instrument's last ``window`` returns.

    A pair is estimated from the periods (return timestamps) both instruments have in their
    windows, and only when there are at least ``min_periods`` of them. Estimates are memoised
    until either instrument receives a new return.

    Examples
    --------
    >>> from midfreq.model.identifiers import InstrumentId
    >>> a, b = InstrumentId("A.SIM"), InstrumentId("B.SIM")
    >>> source = RollingCorrelation(window=10, min_periods=3)
    >>> for ts, (x, y) in enumerate([(0.01, 0.02), (-0.02, -0.04), (0.03, 0.06), (0.0, 0.0)]):
    ...     source.update(a, ts, x)
    ...     source.update(b, ts, y)
    >>> round(source.correlation(a, b), 12)
    1.0
    """

    def __init__(self, window: int, min_periods: int) -> None:
        if not 2 <= min_periods <= window:
            raise ValueError(
                f"min_periods: expected 2 <= min_periods <= window ({window}), was {min_periods}"
            )
        self.window = window
        self.min_periods = min_periods
        self._returns: dict[InstrumentId, dict[int, float]] = {}
        self._versions: dict[InstrumentId, int] = {}
        self._pairs: dict[tuple[InstrumentId, InstrumentId], tuple[int, int, float | None]] = {}
        self._vols: dict[
            InstrumentId, tuple[int, tuple[tuple[int, ...], list[float] | None, float] | None]
        ] = {}
        self.version = 0  # changes with every update: estimates may be reused while it holds

    def update(self, instrument_id: InstrumentId, ts: int, value: float) -> None:
        """Add the return of the period ending at ``ts`` (a repeated ``ts`` replaces it)."""
        returns = self._returns.get(instrument_id)
        if returns is None:
            returns = self._returns[instrument_id] = {}
        returns.pop(ts, None)
        returns[ts] = value
        if len(returns) > self.window:
            del returns[next(iter(returns))]
        self._versions[instrument_id] = self._versions.get(instrument_id, 0) + 1
        self.version += 1

    def correlation(self, a: InstrumentId, b: InstrumentId) -> float | None:
        """Correlation over the shared periods, or None with fewer than ``min_periods``."""
        if a == b:
            standardized = self._standardized(a)
            return 1.0 if standardized is not None and standardized[1] is not None else None
        key = (a, b) if a < b else (b, a)
        va, vb = self._versions.get(key[0], 0), self._versions.get(key[1], 0)
        memo = self._pairs.get(key)
        if memo is not None and memo[0] == va and memo[1] == vb:
            return memo[2]
        value = self._pearson(key[0], key[1])
        self._pairs[key] = (va, vb, value)
        return value

    def volatility(self, instrument_id: InstrumentId) -> float | None:
        """Sample standard deviation of the window's returns (None with too few)."""
        standardized = self._standardized(instrument_id)
        return standardized[2] if standardized is not None else None

    def _standardized(
        self, instrument_id: InstrumentId
    ) -> tuple[tuple[int, ...], list[float] | None, float] | None:
        # The window's timestamps, its returns centred and scaled to unit length (None if
        # constant) and the sample volatility; None with fewer than min_periods returns.
        version = self._versions.get(instrument_id, 0)
        memo = self._vols.get(instrument_id)
        if memo is not None and memo[0] == version:
            return memo[1]
        returns = self._returns.get(instrument_id, {})
        result = None
        n = len(returns)
        if n >= self.min_periods:
            values = list(returns.values())
            mean = sum(values) / n
            centred = [v - mean for v in values]
            squares = sum(map(operator.mul, centred, centred))
            norm = math.sqrt(squares)
            unit = [c / norm for c in centred] if norm > 0 else None
            result = (tuple(returns), unit, math.sqrt(squares / (n - 1)))
        self._vols[instrument_id] = (version, result)
        return result

    def _pearson(self, a: InstrumentId, b: InstrumentId) -> float | None:
        sa, sb = self._standardized(a), self._standardized(b)
        if sa is not None and sb is not None and sa[0] == sb[0]:
            # The same periods in both windows (bars arriving together): a dot product.
            if sa[1] is None or sb[1] is None:
                return None
            dot: float = sum(map(operator.mul, sa[1], sb[1]))
            return max(-1.0, min(1.0, dot))
        ra, rb = self._returns.get(a), self._returns.get(b)
        if not ra or not rb:
            return None
        common = ra.keys() & rb.keys()
        n = len(common)
        if n < self.min_periods:
            return None
        xs = [ra[ts] for ts in common]
        ys = [rb[ts] for ts in common]
        mx, my = sum(xs) / n, sum(ys) / n
        sxy = sxx = syy = 0.0
        for x, y in zip(xs, ys, strict=True):
            dx, dy = x - mx, y - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        if sxx <= 0 or syy <= 0:
            return None
        return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


class MarketHistory:
    """Per instrument: the volume of the last ``volume_window`` bars, and bar-to-bar returns
    passed to ``correlation`` (either part is off when not given)."""

    def __init__(
        self, volume_window: int | None = None, correlation: CorrelationSource | None = None
    ) -> None:
        self.volume_window = volume_window
        self.correlation = correlation
        self._volumes: dict[InstrumentId, deque[float]] = {}
        self._volume_sums: dict[InstrumentId, float] = {}
        self._closes: dict[InstrumentId, float] = {}

    @property
    def active(self) -> bool:
        """Whether anything is kept (the gate subscribes to bars only then)."""
        return self.volume_window is not None or self.correlation is not None

    def on_bar(self, bar: Bar) -> None:
        """Record a bar's volume and feed its return."""
        iid = bar.instrument_id
        if self.volume_window is not None:
            volumes = self._volumes.get(iid)
            if volumes is None:
                volumes = self._volumes[iid] = deque()
                self._volume_sums[iid] = 0.0
            volumes.append(bar.volume)
            if len(volumes) > self.volume_window:
                volumes.popleft()
                # Re-add from scratch so a long run accumulates no rounding drift.
                self._volume_sums[iid] = math.fsum(volumes)
            else:
                self._volume_sums[iid] += bar.volume
        if self.correlation is not None:
            previous = self._closes.get(iid)
            if previous is not None and previous > 0:
                self.correlation.update(iid, bar.ts_event, bar.close / previous - 1.0)
            self._closes[iid] = bar.close

    def close(self, instrument_id: InstrumentId) -> float | None:
        """The latest bar close seen (kept while returns are fed), None before any."""
        return self._closes.get(instrument_id)

    def recent_volume(self, instrument_id: InstrumentId) -> float | None:
        """Total volume of the last ``volume_window`` bars (fewer early on), None before any."""
        return self._volume_sums.get(instrument_id)
