"""Volume-weighted average price: cumulative over a session (reset at each session start) and
over a rolling window of the last ``period`` values, incremental and batch."""

from __future__ import annotations

import itertools
import math
from collections import deque

import numpy as np
import numpy.typing as npt

from midfreq.strategies.indicators._arrays import (
    FloatArray,
    as_series_pair,
    check_period,
    nan_array,
    window_chunks,
)

# Re-add the window's sums exactly at least this often, and whenever the volume sum falls below
# this fraction of its peak since the last time (the rounding left by large volumes that have
# left the window is relative to that peak).
_SYNC_INTERVAL = 1_000
_COLLAPSE = 1e-4


class VolumeWeightedAveragePrice:
    """Session VWAP: ``sum(price * volume) / sum(volume)`` since the last `reset`.

    Call `reset` at the start of each session (such as each trading day). `value` is NaN while
    the session's volume is zero. Pass the price you weight: the trade price for ticks, or
    for bars the typical price ``(high + low + close) / 3`` or the close.

    Examples
    --------
    >>> vwap = VolumeWeightedAveragePrice()
    >>> [vwap.update(price, volume) for price, volume in ((10.0, 100.0), (13.0, 200.0))]
    [10.0, 12.0]
    >>> vwap.reset()  # a new session
    >>> vwap.update(20.0, 0.0)
    nan
    """

    __slots__ = ("_value_traded", "_volume", "count", "value")

    def __init__(self) -> None:
        self.reset()

    @property
    def initialized(self) -> bool:
        """Whether the session has traded some volume."""
        return self._volume > 0.0

    def reset(self) -> None:
        """Start a new session."""
        self._value_traded = 0.0
        self._volume = 0.0
        self.count = 0
        self.value = math.nan

    def update(self, price: float, volume: float) -> float:
        """Add a trade or bar; return the session VWAP."""
        self.count += 1
        self._value_traded += price * volume
        self._volume += volume
        self.value = self._value_traded / self._volume if self._volume > 0.0 else math.nan
        return self.value

    @classmethod
    def batch(
        cls,
        price: npt.ArrayLike,
        volume: npt.ArrayLike,
        session_start: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Return the session VWAP after each value, as `update` would (identical numbers).

        Parameters
        ----------
        price, volume
            1-D arrays of finite numbers, of one length.
        session_start
            Booleans, True where a new session begins (`reset` before that value), such as
            ``np.r_[True, dates[1:] != dates[:-1]]``; None for one session.

        Returns
        -------
        numpy.ndarray
            Same length as ``price``; NaN while a session's volume is zero.

        Raises
        ------
        ValueError
            If the inputs are not 1-D, finite and of one length.
        """
        prices, volumes = as_series_pair(price, volume, ("price", "volume"))
        starts = [0]
        if session_start is not None:
            flags = np.asarray(session_start, dtype=np.bool_)
            if flags.shape != prices.shape:
                raise ValueError(
                    f"session_start: expected the shape of price {prices.shape}, was {flags.shape}"
                )
            starts += [int(i) for i in np.flatnonzero(flags) if i > 0]
        starts.append(prices.size)
        value_traded = np.empty(prices.size)
        cumulative_volume = np.empty(prices.size)
        traded = prices * volumes
        for begin, end in itertools.pairwise(starts):
            # Sequential sums from zero, as `update` adds: the same numbers, not just close.
            np.cumsum(traded[begin:end], out=value_traded[begin:end])
            np.cumsum(volumes[begin:end], out=cumulative_volume[begin:end])
        positive = cumulative_volume > 0.0
        out = nan_array(prices.size)
        np.divide(value_traded, cumulative_volume, out=out, where=positive)
        return out


class RollingVolumeWeightedAveragePrice:
    """VWAP of the last ``period`` values: ``sum(price * volume) / sum(volume)`` over the window.

    `value` is NaN until ``period`` values have been seen and while the window's volume is zero.
    The running sums are re-added exactly every ``max(1000, 4 * period)`` updates and whenever
    the volume sum has fallen below 1e-4 of its peak since the last time.

    Parameters
    ----------
    period
        Window length, >= 1.

    Examples
    --------
    >>> vwap = RollingVolumeWeightedAveragePrice(2)
    >>> [vwap.update(p, v) for p, v in ((10.0, 100.0), (13.0, 200.0), (16.0, 100.0))]
    [nan, 12.0, 14.0]
    """

    __slots__ = (
        "_peak",
        "_since_sync",
        "_sync_interval",
        "_value_traded",
        "_volume",
        "_window",
        "count",
        "period",
        "value",
    )

    def __init__(self, period: int) -> None:
        self.period = check_period(period, 1)
        self._window: deque[tuple[float, float]] = deque(maxlen=period)
        self._sync_interval = max(_SYNC_INTERVAL, 4 * period)
        self.reset()

    @property
    def initialized(self) -> bool:
        """Whether ``period`` values have been seen."""
        return self.count >= self.period

    def reset(self) -> None:
        """Forget every value seen."""
        self._window.clear()
        self._value_traded = 0.0
        self._volume = 0.0
        self._peak = 0.0
        self._since_sync = 0
        self.count = 0
        self.value = math.nan

    def update(self, price: float, volume: float) -> float:
        """Add a trade or bar; return the VWAP of the window."""
        window = self._window
        traded = price * volume
        self.count += 1
        if len(window) == self.period:
            old_traded, old_volume = window[0]
            self._value_traded += traded - old_traded
            self._volume += volume - old_volume
        else:
            self._value_traded += traded
            self._volume += volume
        window.append((traded, volume))
        self._since_sync += 1
        total = self._volume
        if total > self._peak:
            self._peak = total
        if total < _COLLAPSE * self._peak or self._since_sync >= self._sync_interval:
            self._value_traded = math.fsum(t for t, _ in window)
            self._volume = self._peak = total = math.fsum(v for _, v in window)
            self._since_sync = 0
        if self.count < self.period or total <= 0.0:
            self.value = math.nan
        else:
            self.value = self._value_traded / total
        return self.value

    @classmethod
    def batch(cls, price: npt.ArrayLike, volume: npt.ArrayLike, period: int) -> FloatArray:
        """Return the rolling VWAP after each value, as `update` would (1e-9 relative).

        Returns
        -------
        numpy.ndarray
            Same length as ``price``; NaN before ``period`` values and where the window's
            volume is zero.

        Raises
        ------
        ValueError
            If ``period`` is invalid or the inputs are not 1-D, finite and of one length.
        """
        check_period(period, 1)
        prices, volumes = as_series_pair(price, volume, ("price", "volume"))
        traded = prices * volumes
        out = nan_array(prices.size)
        for (start, traded_rows), (_, volume_rows) in zip(
            window_chunks(traded, period), window_chunks(volumes, period), strict=True
        ):
            first = start + period - 1
            total = volume_rows.sum(axis=1)
            vwap = nan_array(total.size)
            np.divide(traded_rows.sum(axis=1), total, out=vwap, where=total > 0.0)
            out[first : first + total.size] = vwap
        return out
