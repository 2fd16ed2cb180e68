"""Vectorised aggregation: trades and quotes into time, tick, volume and dollar bars, and bars
into longer bars, on NumPy columns returning `BarArrays` (semantics: `midfreq.data.aggregation`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import DataError, expected
from midfreq.data.aggregation._validation import (
    FloatArray,
    IntArray,
    _column,
    _int_arg,
    _positive_float,
    _positive_int,
    _timestamps,
    _trades,
)
from midfreq.data.bars import BarArrays
from midfreq.model.identifiers import InstrumentId

QuotePrice = Literal["mid", "bid", "ask"]
"""Which quote price `quote_time_bars` aggregates: ``(bid + ask) / 2``, the bid or the ask."""


# --- batch kernels ----------------------------------------------------------------------------


def _empty(instrument_id: InstrumentId) -> BarArrays:
    nothing = np.empty(0, dtype=np.float64)
    return BarArrays(
        instrument_id, np.empty(0, dtype=np.int64), nothing, nothing, nothing, nothing, nothing
    )


def _segment_ohlcv(
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    starts: npt.NDArray[np.intp],
    stop: int,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """OHLCV of the consecutive segments ``[starts[k], starts[k + 1])``, the last ending at stop."""
    last = np.empty_like(starts)
    last[:-1] = starts[1:] - 1
    last[-1] = stop - 1
    # Volume: bincount adds the weights one by one in row order, exactly like `v += size`
    # (np.add.reduceat sums pairwise and would differ from the streaming builders in the last bit).
    codes = np.zeros(stop, dtype=np.intp)
    codes[starts[1:]] = 1
    np.cumsum(codes, out=codes)
    highs: FloatArray = np.maximum.reduceat(high[:stop], starts)
    lows: FloatArray = np.minimum.reduceat(low[:stop], starts)
    sums = np.bincount(codes, weights=volume[:stop], minlength=starts.shape[0])
    volumes = sums.astype(np.float64, copy=False)  # already float64 (weights); for the stubs
    return open_[starts], highs, lows, close[last], volumes


def _interval_bars(
    instrument_id: InstrumentId,
    ts: IntArray,
    price: FloatArray,
    size: FloatArray,
    interval_ns: int,
    origin_ns: int,
    fill_empty: bool,
) -> BarArrays:
    if ts.shape[0] == 0:
        return _empty(instrument_id)
    bins = (ts - origin_ns) // interval_ns
    starts = np.flatnonzero(bins[1:] != bins[:-1]) + 1
    starts = np.concatenate(([0], starts)).astype(np.intp)
    o, h, lo, c, v = _segment_ohlcv(price, price, price, price, size, starts, ts.shape[0])
    bar_bins = bins[starts]
    if fill_empty:
        o, h, lo, c, v, bar_bins = _fill_gaps(o, h, lo, c, v, bar_bins)
    return BarArrays(instrument_id, origin_ns + (bar_bins + 1) * interval_ns, o, h, lo, c, v)


def _fill_gaps(
    o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, v: FloatArray, bins: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, IntArray]:
    """Insert flat bars (OHLC = previous close, volume 0) for the empty bins between bars."""
    full = np.arange(bins[0], bins[-1] + 1, dtype=np.int64)
    at = bins - bins[0]
    filled = np.zeros(full.shape[0], dtype=bool)
    filled[at] = True
    # Index of the last real bar at or before each bin (forward fill by running maximum).
    source = np.where(filled, np.arange(full.shape[0]), 0)
    np.maximum.accumulate(source, out=source)
    previous_close = np.empty(full.shape[0], dtype=np.float64)
    previous_close[at] = c
    previous_close = previous_close[source]
    columns = []
    for column in (o, h, lo):
        out = previous_close.copy()
        out[at] = column
        columns.append(out)
    volume = np.zeros(full.shape[0], dtype=np.float64)
    volume[at] = v
    return columns[0], columns[1], columns[2], previous_close, volume, full


def _bars_at_ends(
    instrument_id: InstrumentId,
    ts: IntArray,
    price: FloatArray,
    size: FloatArray,
    ends: npt.NDArray[np.intp],
) -> BarArrays:
    """Bars ending (inclusively) at the trade indices ``ends``; the first starts at trade 0."""
    if ends.shape[0] == 0:
        return _empty(instrument_id)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    stop = int(ends[-1]) + 1
    o, h, lo, c, v = _segment_ohlcv(price, price, price, price, size, starts, stop)
    return BarArrays(instrument_id, ts[ends], o, h, lo, c, v)


def _cumulative_ends(
    increments: FloatArray, threshold: float, include_partial: bool
) -> npt.NDArray[np.intp]:
    """Last trade index of each bar: a bar opening at trade i closes at the first j >= i with
    ``cumsum[j] >= cumsum[i - 1] + threshold`` (``cumsum[-1]`` = 0), the builders' exact test.

    ``j >= i`` matters only for a threshold below the rounding of a large running total: the
    opening trade then closes its bar, as in the builders.
    """
    n = increments.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.intp)
    cumulative = np.cumsum(increments)  # sequential, like the builders' running total
    ends: list[int] = []
    if float(cumulative[-1]) / threshold <= n / 16:
        stop = _walk_by_search(cumulative, threshold, ends)
    else:
        stop = _walk_by_table(cumulative, threshold, ends)
    if include_partial and stop < n:
        ends.append(n - 1)
    return np.asarray(ends, dtype=np.intp)


def _walk_by_search(cumulative: FloatArray, threshold: float, ends: list[int]) -> int:
    """Append bar ends to ``ends`` with one binary search per bar (for few, long bars)."""
    n = cumulative.shape[0]
    search = cumulative.searchsorted
    i = 0
    base = 0.0
    while i < n:
        j = max(int(search(base + threshold, side="left")), i)
        if j >= n:
            break
        ends.append(j)
        base = float(cumulative[j])
        i = j + 1
    return i


def _walk_by_table(cumulative: FloatArray, threshold: float, ends: list[int]) -> int:
    """Append bar ends to ``ends`` from the closing trade of a bar opening at every trade."""
    n = cumulative.shape[0]
    targets = np.empty(n, dtype=np.float64)
    targets[0] = 0.0
    targets[1:] = cumulative[:-1]
    targets += threshold
    closing = np.maximum(np.searchsorted(cumulative, targets, side="left"), np.arange(n))
    chain = closing.tolist()
    i = 0
    while i < n:
        j = chain[i]
        if j >= n:
            break
        ends.append(j)
        i = j + 1
    return i


# --- batch API --------------------------------------------------------------------------------


def time_bars(
    ts: npt.ArrayLike,
    price: npt.ArrayLike,
    size: npt.ArrayLike,
    interval_ns: int,
    instrument_id: InstrumentId,
    *,
    origin_ns: int = 0,
    fill_empty: bool = False,
) -> BarArrays:
    """Aggregate trades into time bars of ``interval_ns``.

    Interval ``k`` is ``[origin_ns + k * interval_ns, origin_ns + (k + 1) * interval_ns)``
    (left-closed) and its bar is stamped with its end; a trade exactly on a boundary belongs to
    the interval it starts. This is pandas ``resample(interval, closed="left", label="right",
    origin=origin)`` with ``.ohlc()`` of prices and ``.sum()`` of sizes.

    Parameters
    ----------
    ts : array_like of int
        Trade times, UTC nanoseconds, non-decreasing (equal times allowed).
    price, size : array_like of float
        Trade prices (finite) and sizes (finite, >= 0), one per trade.
    interval_ns : int
        Bar length in nanoseconds, > 0.
    instrument_id : InstrumentId
        The instrument of the result.
    origin_ns : int, default 0
        Any interval boundary; the default aligns intervals on the Unix epoch (so 1-day bars
        run from UTC midnight to UTC midnight).
    fill_empty : bool, default False
        False omits intervals without trades. True emits a flat bar (open = high = low = close
        = the previous bar's close, volume 0) for every empty interval between the first and
        last trade; none before the first trade or after the last. That is
        ``(ts[-1] - ts[0]) / interval_ns`` bars whatever the number of trades.

    Returns
    -------
    BarArrays
        Strictly increasing ``ts``; empty when there are no trades.

    Raises
    ------
    ValueError
        If ``interval_ns`` is not an integer > 0, ``origin_ns`` is not an integer, ``ts`` is
        not 1-D integer or a column's length differs from ``ts``.
    DataError
        If ``ts`` decreases, a price is NaN or infinite, or a size is negative or not finite.

    Examples
    --------
    >>> bars = time_bars([0, 30, 60, 150], [10.0, 12.0, 11.0, 9.0], [1.0, 2.0, 3.0, 4.0], 60,
    ...                  InstrumentId("AAA.SIM"))
    >>> bars.ts.tolist(), bars.open.tolist(), bars.high.tolist(), bars.volume.tolist()
    ([60, 120, 180], [10.0, 11.0, 9.0], [12.0, 11.0, 9.0], [3.0, 3.0, 4.0])
    """
    where = "time_bars"
    interval = _positive_int(where, "interval_ns", interval_ns)
    origin = _int_arg(where, "origin_ns", origin_ns)
    stamps, prices, sizes = _trades(where, ts, price, size)
    return _interval_bars(instrument_id, stamps, prices, sizes, interval, origin, fill_empty)


def quote_time_bars(
    ts: npt.ArrayLike,
    bid: npt.ArrayLike,
    ask: npt.ArrayLike,
    interval_ns: int,
    instrument_id: InstrumentId,
    *,
    price: QuotePrice = "mid",
    origin_ns: int = 0,
    fill_empty: bool = False,
) -> BarArrays:
    """Aggregate quotes into time bars of the mid, bid or ask price.

    Intervals, stamping and ``fill_empty`` are those of `time_bars`. Quotes carry no traded
    size, so a bar's volume is the number of quotes in its interval (tick volume; 0 for a
    filled empty interval). The mid is ``(bid + ask) / 2``, as `QuoteTick.mid`; crossed or
    locked quotes are aggregated as given.

    Parameters
    ----------
    ts : array_like of int
        Quote times, UTC nanoseconds, non-decreasing.
    bid, ask : array_like of float
        Best bid and ask prices (finite), one per quote.
    interval_ns : int
        Bar length in nanoseconds, > 0.
    instrument_id : InstrumentId
        The instrument of the result.
    price : {"mid", "bid", "ask"}, default "mid"
        Which price the bars aggregate.
    origin_ns : int, default 0
        Any interval boundary.
    fill_empty : bool, default False
        Emit flat bars for empty intervals between the first and last quote.

    Returns
    -------
    BarArrays

    Raises
    ------
    ValueError
        As `time_bars`, or if ``price`` is not one of "mid", "bid", "ask".
    DataError
        If ``ts`` decreases or a bid or ask is NaN or infinite.

    Examples
    --------
    >>> bars = quote_time_bars([5, 10, 70], [9.0, 9.5, 10.0], [10.0, 10.5, 10.5], 60,
    ...                        InstrumentId("AAA.SIM"))
    >>> bars.ts.tolist(), bars.close.tolist(), bars.volume.tolist()
    ([60, 120], [10.0, 10.25], [2.0, 1.0])
    """
    where = "quote_time_bars"
    if price not in ("mid", "bid", "ask"):
        raise expected(f"{where}: price", price, "one of 'mid', 'bid', 'ask'")
    interval = _positive_int(where, "interval_ns", interval_ns)
    origin = _int_arg(where, "origin_ns", origin_ns)
    stamps = _timestamps(where, ts)
    n = stamps.shape[0]
    bids = _column(where, "bid", bid, n)
    asks = _column(where, "ask", ask, n)
    if price == "mid":
        prices = (bids + asks) / 2.0
    else:
        prices = bids if price == "bid" else asks
    counts = np.ones(n, dtype=np.float64)
    return _interval_bars(instrument_id, stamps, prices, counts, interval, origin, fill_empty)


def tick_bars(
    ts: npt.ArrayLike,
    price: npt.ArrayLike,
    size: npt.ArrayLike,
    ticks_per_bar: int,
    instrument_id: InstrumentId,
    *,
    include_partial: bool = False,
) -> BarArrays:
    """Aggregate every ``ticks_per_bar`` consecutive trades into one bar.

    A bar is stamped with the time of its last trade. Bars of trades sharing a timestamp can
    share a stamp, so ``ts`` of the result is non-decreasing, not strictly increasing.

    Parameters
    ----------
    ts : array_like of int
        Trade times, UTC nanoseconds, non-decreasing.
    price, size : array_like of float
        Trade prices (finite) and sizes (finite, >= 0).
    ticks_per_bar : int
        Trades per bar, > 0.
    instrument_id : InstrumentId
        The instrument of the result.
    include_partial : bool, default False
        False drops the trailing trades that do not fill a bar (a streaming builder would
        still be waiting for more); True emits them as a last, shorter bar stamped with the
        last trade, as `TickBarBuilder.flush`.

    Returns
    -------
    BarArrays

    Raises
    ------
    ValueError
        If ``ticks_per_bar`` is not an integer > 0 or the columns are malformed.
    DataError
        If ``ts`` decreases, a price is not finite or a size is negative or not finite.

    Examples
    --------
    >>> bars = tick_bars([1, 2, 3, 4, 5], [10.0, 11.0, 9.0, 10.0, 12.0], [1.0] * 5, 2,
    ...                  InstrumentId("AAA.SIM"))
    >>> bars.ts.tolist(), bars.low.tolist(), bars.close.tolist()
    ([2, 4], [10.0, 9.0], [11.0, 10.0])
    """
    where = "tick_bars"
    per_bar = _positive_int(where, "ticks_per_bar", ticks_per_bar)
    stamps, prices, sizes = _trades(where, ts, price, size)
    n = stamps.shape[0]
    ends = np.arange(per_bar - 1, n, per_bar, dtype=np.intp)
    if include_partial and n % per_bar:
        ends = np.append(ends, np.intp(n - 1))
    return _bars_at_ends(instrument_id, stamps, prices, sizes, ends)


def volume_bars(
    ts: npt.ArrayLike,
    price: npt.ArrayLike,
    size: npt.ArrayLike,
    volume_per_bar: float,
    instrument_id: InstrumentId,
    *,
    include_partial: bool = False,
) -> BarArrays:
    """Aggregate trades into bars of at least ``volume_per_bar`` traded size each.

    A bar closes on the trade that brings its volume to the threshold and is stamped with that
    trade's time. The closing trade is kept whole: a bar's volume can exceed the threshold and
    the excess does not count towards the next bar. Precisely, the running total is the
    float64 cumulative sum of sizes from the first trade (``np.cumsum``) and a bar opened when
    it was ``T`` closes at the first trade where it reaches ``T + volume_per_bar``; with whole
    lot sizes this is exactly "the bar's volume >= volume_per_bar".

    Parameters
    ----------
    ts : array_like of int
        Trade times, UTC nanoseconds, non-decreasing.
    price, size : array_like of float
        Trade prices (finite) and sizes (finite, >= 0).
    volume_per_bar : float
        The volume threshold, finite and > 0.
    instrument_id : InstrumentId
        The instrument of the result.
    include_partial : bool, default False
        Emit the trailing trades that do not reach the threshold as a last bar (stamped with
        the last trade), as `VolumeBarBuilder.flush`.

    Returns
    -------
    BarArrays
        Non-decreasing ``ts`` (bars closed by trades sharing a timestamp share it).

    Raises
    ------
    ValueError
        If ``volume_per_bar`` is not a finite number > 0 or the columns are malformed.
    DataError
        If ``ts`` decreases, a price is not finite or a size is negative or not finite.

    Examples
    --------
    >>> bars = volume_bars([1, 2, 3, 4], [10.0, 11.0, 12.0, 13.0], [60.0, 60.0, 150.0, 10.0],
    ...                    100.0, InstrumentId("AAA.SIM"), include_partial=True)
    >>> bars.ts.tolist(), bars.volume.tolist()
    ([2, 3, 4], [120.0, 150.0, 10.0])
    """
    where = "volume_bars"
    threshold = _positive_float(where, "volume_per_bar", volume_per_bar)
    stamps, prices, sizes = _trades(where, ts, price, size)
    ends = _cumulative_ends(sizes, threshold, include_partial)
    return _bars_at_ends(instrument_id, stamps, prices, sizes, ends)


def dollar_bars(
    ts: npt.ArrayLike,
    price: npt.ArrayLike,
    size: npt.ArrayLike,
    value_per_bar: float,
    instrument_id: InstrumentId,
    *,
    include_partial: bool = False,
) -> BarArrays:
    """Aggregate trades into bars of at least ``value_per_bar`` traded value (price * size).

    As `volume_bars` with each trade counting ``price * size`` towards the threshold; the
    bars' volume is still the sum of sizes. Prices are in quote currency per unit: multiply
    by the contract multiplier beforehand if value should be notional.

    Parameters
    ----------
    ts : array_like of int
        Trade times, UTC nanoseconds, non-decreasing.
    price, size : array_like of float
        Trade prices (finite, >= 0) and sizes (finite, >= 0).
    value_per_bar : float
        The traded-value threshold, finite and > 0.
    instrument_id : InstrumentId
        The instrument of the result.
    include_partial : bool, default False
        Emit the trailing trades that do not reach the threshold as a last bar, as
        `DollarBarBuilder.flush`.

    Returns
    -------
    BarArrays

    Raises
    ------
    ValueError
        If ``value_per_bar`` is not a finite number > 0 or the columns are malformed.
    DataError
        If ``ts`` decreases, a price is negative or not finite, or a size is negative or not
        finite.

    Examples
    --------
    >>> bars = dollar_bars([1, 2, 3], [10.0, 20.0, 10.0], [5.0, 5.0, 1.0], 100.0,
    ...                    InstrumentId("AAA.SIM"))
    >>> bars.ts.tolist(), bars.volume.tolist()
    ([2], [10.0])
    """
    where = "dollar_bars"
    threshold = _positive_float(where, "value_per_bar", value_per_bar)
    stamps = _timestamps(where, ts)
    n = stamps.shape[0]
    prices = _column(where, "price", price, n, minimum=0.0)
    sizes = _column(where, "size", size, n, minimum=0.0)
    ends = _cumulative_ends(prices * sizes, threshold, include_partial)
    return _bars_at_ends(instrument_id, stamps, prices, sizes, ends)


def resample_bars(
    bars: BarArrays,
    interval_ns: int,
    *,
    origin_ns: int = 0,
    source_interval_ns: int | None = None,
) -> BarArrays:
    """Aggregate time bars into longer time bars (1 minute to 5 minutes, 1 hour, 1 day).

    Each source bar covers ``[ts - source_interval_ns, ts)`` and goes to the target interval
    (aligned on ``origin_ns``, left-closed) containing its open time; the result is stamped
    with that interval's end. Open is the first open, high the highest high, low the lowest
    low, close the last close and volume the sum of volumes (in order). Target intervals
    without source bars are omitted. A source bar may not straddle a target boundary: that
    would put data from after a bar's stamp into it.

    Parameters
    ----------
    bars : BarArrays
        Source bars: strictly increasing ``ts``, finite prices, finite volumes >= 0.
    interval_ns : int
        Target bar length in nanoseconds, a multiple of the source length.
    origin_ns : int, default 0
        Any target boundary; the default gives UTC-midnight days. Use e.g. the session close
        to cut trading days elsewhere.
    source_interval_ns : int, optional
        Length of the source bars. When omitted it is the smallest spacing between source
        bars, which every spacing must be a multiple of (empty source intervals are allowed);
        pass it when that does not hold or there is a single bar.

    Returns
    -------
    BarArrays

    Raises
    ------
    ValueError
        If an interval is not an integer > 0, the source interval cannot be inferred, or a
        source bar straddles a target boundary (misaligned ``origin_ns`` or an interval that
        is not a multiple of the source interval).
    DataError
        If the source timestamps are not strictly increasing, a price is not finite or a
        volume is negative or not finite.

    Examples
    --------
    >>> ones = np.ones(4)
    >>> minute = BarArrays(InstrumentId("AAA.SIM"), np.array([60, 120, 180, 300]),
    ...                    np.array([1.0, 2.0, 3.0, 4.0]), ones * 5, ones, ones * 2, ones)
    >>> five = resample_bars(minute, 120)
    >>> five.ts.tolist(), five.open.tolist(), five.volume.tolist()
    ([120, 240, 360], [1.0, 3.0, 4.0], [2.0, 1.0, 1.0])
    """
    where = "resample_bars"
    interval = _positive_int(where, "interval_ns", interval_ns)
    origin = _int_arg(where, "origin_ns", origin_ns)
    _check_source_bars(where, bars)
    if len(bars) == 0:
        return _empty(bars.instrument_id)
    ts = bars.ts
    if source_interval_ns is None:
        source = _infer_source_interval(where, ts)
    else:
        source = _positive_int(where, "source_interval_ns", source_interval_ns)
    open_bins = (ts - source - origin) // interval
    close_bins = (ts - 1 - origin) // interval
    straddles = open_bins != close_bins
    if straddles.any():
        i = int(np.argmax(straddles))
        boundary = origin + int(close_bins[i]) * interval
        raise ValueError(
            f"{where}: expected every source bar inside one target interval (interval_ns "
            f"{interval} a multiple of source_interval_ns {source}, origin_ns {origin} on a "
            f"source boundary), was bar {i} [{int(ts[i]) - source}, {int(ts[i])}) across "
            f"{boundary}"
        )
    starts = np.flatnonzero(open_bins[1:] != open_bins[:-1]) + 1
    starts = np.concatenate(([0], starts)).astype(np.intp)
    o, h, lo, c, v = _segment_ohlcv(
        bars.open, bars.high, bars.low, bars.close, bars.volume, starts, len(bars)
    )
    stamps = origin + (open_bins[starts] + 1) * interval
    return BarArrays(bars.instrument_id, stamps, o, h, lo, c, v)


def _check_source_bars(where: str, bars: BarArrays) -> None:
    ts = bars.ts
    if ts.shape[0] > 1:
        not_increasing = ts[1:] <= ts[:-1]
        if not_increasing.any():
            i = int(np.argmax(not_increasing)) + 1
            raise DataError(
                f"{where}: {bars.instrument_id} bars: ts: expected strictly increasing "
                f"timestamps, was {int(ts[i])} at row {i} after {int(ts[i - 1])} at row {i - 1}"
            )
    n = ts.shape[0]
    for name in ("open", "high", "low", "close"):
        _column(f"{where}: {bars.instrument_id} bars", name, getattr(bars, name), n)
    _column(f"{where}: {bars.instrument_id} bars", "volume", bars.volume, n, minimum=0.0)


def _infer_source_interval(where: str, ts: IntArray) -> int:
    if ts.shape[0] < 2:
        raise ValueError(
            f"{where}: source_interval_ns: expected an integer > 0 when there are fewer than "
            f"2 source bars to infer it from, was None"
        )
    spacing = np.diff(ts)
    smallest = int(spacing.min())
    uneven = spacing % smallest != 0
    if uneven.any():
        i = int(np.argmax(uneven))
        raise ValueError(
            f"{where}: source_interval_ns: expected bar spacings that are multiples of the "
            f"smallest, {smallest}, was {int(spacing[i])} between bars {i} and {i + 1}; pass "
            f"source_interval_ns"
        )
    return smallest
