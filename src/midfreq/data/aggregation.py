"""Bar aggregation: trades and quotes into time, tick, volume and dollar bars, and bars into
longer bars. Vectorised batch functions work on NumPy columns and return `BarArrays`; streaming
builders take one event at a time and emit the same `Bar`s, for live data.

Semantics shared by every function here:

- Time bars cover left-closed intervals ``[start, end)`` aligned on ``origin_ns`` and are stamped
  with ``end`` (pandas ``resample(closed="left", label="right")``): a trade exactly at ``end``
  opens the next bar, so a bar stamped ``t`` holds only events before ``t``.
- Threshold bars (tick, volume, dollar) close on the trade that reaches the threshold and are
  stamped with that trade's timestamp. A trade that crosses the threshold is kept whole in the
  bar it completes (never split); the excess does not carry over, the next bar starts from zero.
- Volume is the float64 sum of sizes added in trade order (``v += size``), so batch and streaming
  agree to the bit. Quote bars have no traded size: their volume is the number of quotes.
- Timestamps are int UTC nanoseconds and must not decrease; prices and sizes must be finite,
  sizes >= 0. Bad arguments raise ``ValueError``, bad data raises `DataError`, both saying
  "expected X, was Y".
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import DataError, expected
from midfreq.data.bars import BarArrays
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId

__all__ = [
    "DollarBarBuilder",
    "QuotePrice",
    "TickBarBuilder",
    "TimeBarBuilder",
    "VolumeBarBuilder",
    "dollar_bars",
    "quote_time_bars",
    "resample_bars",
    "tick_bars",
    "time_bars",
    "volume_bars",
]

QuotePrice = Literal["mid", "bid", "ask"]
"""Which quote price `quote_time_bars` aggregates: ``(bid + ask) / 2``, the bid or the ask."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_INF = math.inf
_MIN_TS = -(2**63)


# --- validation -------------------------------------------------------------------------------


def _positive_int(where: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise expected(f"{where}: {name}", value, "an integer > 0")
    return int(value)


def _positive_float(where: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise expected(f"{where}: {name}", value, "a finite number > 0")
    number = float(value)
    if not (0.0 < number < _INF):
        raise expected(f"{where}: {name}", value, "a finite number > 0")
    return number


def _int_arg(where: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise expected(f"{where}: {name}", value, "an integer (UTC nanoseconds)")
    return int(value)


def _timestamps(where: str, ts: npt.ArrayLike) -> IntArray:
    array = np.asarray(ts)
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise ValueError(
            f"{where}: ts: expected a 1-D integer array of UTC nanoseconds, was "
            f"{array.ndim}-D {array.dtype}"
        )
    array = np.ascontiguousarray(array, dtype=np.int64)
    if array.size > 1:
        backwards = array[1:] < array[:-1]
        if backwards.any():
            i = int(np.argmax(backwards)) + 1
            raise DataError(
                f"{where}: ts: expected non-decreasing timestamps, was {int(array[i])} at row "
                f"{i} after {int(array[i - 1])} at row {i - 1}"
            )
    return array


def _column(
    where: str, name: str, values: npt.ArrayLike, length: int, *, minimum: float | None = None
) -> FloatArray:
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.shape != (length,):
        raise ValueError(f"{where}: {name}: expected shape ({length},) like ts, was {array.shape}")
    bad = ~np.isfinite(array)
    if minimum is not None:
        bad |= array < minimum
    if bad.any():
        i = int(np.argmax(bad))
        what = "finite values" if minimum is None else f"finite values >= {minimum:g}"
        raise DataError(f"{where}: {name}: expected {what}, was {float(array[i])!r} at row {i}")
    return array


def _trades(
    where: str, ts: npt.ArrayLike, price: npt.ArrayLike, size: npt.ArrayLike
) -> tuple[IntArray, FloatArray, FloatArray]:
    stamps = _timestamps(where, ts)
    n = stamps.shape[0]
    return stamps, _column(where, "price", price, n), _column(where, "size", size, n, minimum=0.0)


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


# --- streaming builders -----------------------------------------------------------------------


def _check_event(where: str, floor: int, price: float, size: float, ts: int) -> None:
    """Raise for the first problem of an event (called only once a cheap test has failed)."""
    if ts < floor:
        raise DataError(
            f"{where}: ts: expected >= {floor} (the last update or emitted bar end), was {ts}"
        )
    if not (-_INF < price < _INF):
        raise DataError(f"{where}: price: expected a finite number, was {price!r}")
    raise DataError(f"{where}: size: expected a finite number >= 0, was {size!r}")


class TimeBarBuilder:
    """Build time bars from trades (or quotes) one at a time, as `time_bars` does in batch.

    Feed events in time order with `update`; the bar of an interval is emitted when the first
    event at or after the interval's end arrives, or when `flush` is called with a time at or
    after the end (for live use, from a timer). ``ts_init`` of every bar equals its
    ``ts_event``, as `BarArrays.iter_bars` gives. For quote bars pass the quote's mid (or
    bid/ask) and size 1.0, which makes volume the number of quotes as in `quote_time_bars`.

    One call can complete several bars when ``fill_empty`` is on (an event after a gap), so
    `update` and `flush` return a tuple of bars, usually empty or of one.

    Parameters
    ----------
    instrument_id : InstrumentId
        The instrument of the bars.
    interval_ns : int
        Bar length in nanoseconds, > 0.
    origin_ns : int, default 0
        Any interval boundary.
    fill_empty : bool, default False
        Emit a flat bar (OHLC = previous close, volume 0) for each empty interval after the
        first event.

    Raises
    ------
    ValueError
        If ``interval_ns`` is not an integer > 0 or ``origin_ns`` is not an integer.

    Examples
    --------
    >>> builder = TimeBarBuilder(InstrumentId("AAA.SIM"), 60)
    >>> builder.update(10.0, 1.0, 0), builder.update(12.0, 2.0, 59)
    ((), ())
    >>> (bar,) = builder.update(11.0, 3.0, 60)
    >>> bar.open, bar.high, bar.low, bar.close, bar.volume, bar.ts_event
    (10.0, 12.0, 10.0, 12.0, 3.0, 60)
    >>> [bar.close for bar in builder.flush(120)]
    [11.0]
    """

    __slots__ = (
        "_close",
        "_end",
        "_fill_empty",
        "_floor",
        "_has_bar",
        "_high",
        "_instrument_id",
        "_interval",
        "_last_close",
        "_low",
        "_next_end",
        "_open",
        "_origin",
        "_volume",
        "_where",
    )

    def __init__(
        self,
        instrument_id: InstrumentId,
        interval_ns: int,
        *,
        origin_ns: int = 0,
        fill_empty: bool = False,
    ) -> None:
        where = f"TimeBarBuilder {instrument_id}"
        self._where = where
        self._instrument_id = instrument_id
        self._interval = _positive_int(where, "interval_ns", interval_ns)
        self._origin = _int_arg(where, "origin_ns", origin_ns)
        self._fill_empty = fill_empty
        self._floor = _MIN_TS
        self._has_bar = False
        self._end = 0
        # End of the first interval not yet emitted once a bar was emitted (for filling).
        self._next_end: int | None = None
        self._last_close = 0.0
        self._open = self._high = self._low = self._close = self._volume = 0.0

    @property
    def interval_ns(self) -> int:
        """Bar length in nanoseconds."""
        return self._interval

    def update(self, price: float, size: float, ts: int) -> tuple[Bar, ...]:
        """Add one trade (or quote) and return the bars it completes.

        Parameters
        ----------
        price : float
            Trade price (or the quote's mid, bid or ask), finite.
        size : float
            Trade size (1.0 for a quote), finite and >= 0.
        ts : int
            Event time, UTC nanoseconds, not before the previous event nor before the end of
            the last emitted bar.

        Returns
        -------
        tuple[Bar, ...]
            The bars of intervals ending at or before ``ts`` not yet emitted; usually empty.

        Raises
        ------
        DataError
            If ``ts`` goes back in time or into an emitted bar, ``price`` is not finite or
            ``size`` is negative or not finite. The builder is unchanged.
        """
        if not (ts >= self._floor and -_INF < price < _INF and 0.0 <= size < _INF):
            _check_event(self._where, self._floor, price, size, ts)
        self._floor = ts
        if self._has_bar:
            if ts < self._end:
                if price > self._high:
                    self._high = price
                elif price < self._low:
                    self._low = price
                self._close = price
                self._volume += size
                return ()
            done: tuple[Bar, ...] = (self._emit(),)
            if self._fill_empty and ts >= self._end + self._interval:
                done = (*done, *self._fill_until(self._end + self._interval, ts))
        elif self._fill_empty and self._next_end is not None:
            done = self._fill_until(self._next_end, ts)
        else:
            done = ()
        self._has_bar = True
        self._end = self._origin + ((ts - self._origin) // self._interval + 1) * self._interval
        self._open = self._high = self._low = self._close = price
        self._volume = 0.0 + size
        return done

    def flush(self, now_ns: int) -> tuple[Bar, ...]:
        """Emit the bars of intervals that ended at or before ``now_ns``.

        Call it from a timer in live trading so a bar closes on time even without another
        event; later events with ``ts`` before the end of an emitted bar are then refused. To
        allow late events, flush a grace period behind the clock.

        Parameters
        ----------
        now_ns : int
            The current time, UTC nanoseconds.

        Returns
        -------
        tuple[Bar, ...]
            The open interval's bar if it has ended, then with ``fill_empty`` a flat bar per
            empty interval ending at or before ``now_ns``.
        """
        done: tuple[Bar, ...] = ()
        if self._has_bar and now_ns >= self._end:
            done = (self._emit(),)
        if self._fill_empty and not self._has_bar and self._next_end is not None:
            done = (*done, *self._fill_until(self._next_end, now_ns))
        if self._next_end is not None and self._next_end - self._interval > self._floor:
            self._floor = self._next_end - self._interval
        return done

    def _emit(self) -> Bar:
        end = self._end
        self._has_bar = False
        self._next_end = end + self._interval
        self._last_close = self._close
        return Bar(
            self._instrument_id,
            self._open,
            self._high,
            self._low,
            self._close,
            self._volume,
            end,
            end,
        )

    def _fill_until(self, first_end: int, ts: int) -> tuple[Bar, ...]:
        """Flat bars for the empty intervals from the one ending at ``first_end`` to the last
        ending at or before ``ts``."""
        close = self._last_close
        iid = self._instrument_id
        ends = range(first_end, ts + 1, self._interval)
        if ends:
            self._next_end = ends[-1] + self._interval
        return tuple(Bar(iid, close, close, close, close, 0.0, end, end) for end in ends)


class _ThresholdBarBuilder:
    """State and `flush` shared by the tick, volume and dollar bar builders."""

    __slots__ = (
        "_close",
        "_count",
        "_floor",
        "_high",
        "_instrument_id",
        "_last_ts",
        "_low",
        "_open",
        "_volume",
        "_where",
    )

    def __init__(self, instrument_id: InstrumentId) -> None:
        self._where = f"{type(self).__name__} {instrument_id}"
        self._instrument_id = instrument_id
        self._floor = _MIN_TS
        self._count = 0
        self._last_ts = 0
        self._open = self._high = self._low = self._close = self._volume = 0.0

    def _add(self, price: float, size: float, ts: int) -> None:
        if not (ts >= self._floor and -_INF < price < _INF and 0.0 <= size < _INF):
            _check_event(self._where, self._floor, price, size, ts)
        self._floor = ts
        if self._count:
            if price > self._high:
                self._high = price
            elif price < self._low:
                self._low = price
            self._close = price
            self._volume += size
            self._count += 1
        else:
            self._open = self._high = self._low = self._close = price
            self._volume = 0.0 + size
            self._count = 1
        self._last_ts = ts

    def _emit(self) -> Bar:
        self._count = 0
        ts = self._last_ts
        return Bar(
            self._instrument_id,
            self._open,
            self._high,
            self._low,
            self._close,
            self._volume,
            ts,
            ts,
        )

    def flush(self) -> Bar | None:
        """Emit the bar in progress, short of its threshold, or None if it has no trades.

        Use it at the end of a session or a replay; the batch functions do the same with
        ``include_partial=True``.
        """
        return self._emit() if self._count else None


class TickBarBuilder(_ThresholdBarBuilder):
    """Build tick bars one trade at a time, as `tick_bars` does in batch.

    Parameters
    ----------
    instrument_id : InstrumentId
        The instrument of the bars.
    ticks_per_bar : int
        Trades per bar, > 0.

    Raises
    ------
    ValueError
        If ``ticks_per_bar`` is not an integer > 0.

    Examples
    --------
    >>> builder = TickBarBuilder(InstrumentId("AAA.SIM"), 2)
    >>> builder.update(10.0, 1.0, 1) is None
    True
    >>> builder.update(11.0, 1.0, 2).close
    11.0
    """

    __slots__ = ("_per_bar",)

    def __init__(self, instrument_id: InstrumentId, ticks_per_bar: int) -> None:
        super().__init__(instrument_id)
        self._per_bar = _positive_int(self._where, "ticks_per_bar", ticks_per_bar)

    def update(self, price: float, size: float, ts: int) -> Bar | None:
        """Add one trade; return the bar it completes, else None.

        Raises
        ------
        DataError
            If ``ts`` goes back in time, ``price`` is not finite or ``size`` is negative or
            not finite.
        """
        self._add(price, size, ts)
        return self._emit() if self._count == self._per_bar else None


class _CumulativeBarBuilder(_ThresholdBarBuilder):
    """A bar closes when a running total of each trade's measure reaches the bar's threshold.

    The total starts at the builder's first trade and is never reset, so the closing test is
    bit for bit the batch one (`_cumulative_ends`).
    """

    __slots__ = ("_cumulative", "_target", "_threshold")

    def __init__(self, instrument_id: InstrumentId, name: str, threshold: float) -> None:
        super().__init__(instrument_id)
        self._threshold = _positive_float(self._where, name, threshold)
        self._cumulative = 0.0
        self._target = 0.0

    def _measure(self, price: float, size: float) -> float:
        raise NotImplementedError

    def update(self, price: float, size: float, ts: int) -> Bar | None:
        """Add one trade; return the bar it completes, else None.

        Raises
        ------
        DataError
            If ``ts`` goes back in time, ``price`` is not finite (or negative, for dollar
            bars), or ``size`` is negative or not finite.
        """
        measure = self._measure(price, size)
        if not self._count:
            self._target = self._cumulative + self._threshold
        self._add(price, size, ts)
        self._cumulative += measure
        return self._emit() if self._cumulative >= self._target else None


class VolumeBarBuilder(_CumulativeBarBuilder):
    """Build volume bars one trade at a time, as `volume_bars` does in batch.

    The running total of sizes starts at the builder's first trade and is never reset, so the
    closing test is bit for bit the batch one.

    Parameters
    ----------
    instrument_id : InstrumentId
        The instrument of the bars.
    volume_per_bar : float
        The volume threshold, finite and > 0.

    Raises
    ------
    ValueError
        If ``volume_per_bar`` is not a finite number > 0.

    Examples
    --------
    >>> builder = VolumeBarBuilder(InstrumentId("AAA.SIM"), 100.0)
    >>> builder.update(10.0, 60.0, 1) is None
    True
    >>> builder.update(11.0, 60.0, 2).volume
    120.0
    """

    __slots__ = ()

    def __init__(self, instrument_id: InstrumentId, volume_per_bar: float) -> None:
        super().__init__(instrument_id, "volume_per_bar", volume_per_bar)

    def _measure(self, price: float, size: float) -> float:
        return size


class DollarBarBuilder(_CumulativeBarBuilder):
    """Build dollar (traded value) bars one trade at a time, as `dollar_bars` does in batch.

    Each trade counts ``price * size`` towards ``value_per_bar``; volume is the sum of sizes.

    Parameters
    ----------
    instrument_id : InstrumentId
        The instrument of the bars.
    value_per_bar : float
        The traded-value threshold, finite and > 0.

    Raises
    ------
    ValueError
        If ``value_per_bar`` is not a finite number > 0.

    Examples
    --------
    >>> builder = DollarBarBuilder(InstrumentId("AAA.SIM"), 100.0)
    >>> builder.update(10.0, 5.0, 1) is None
    True
    >>> builder.update(20.0, 5.0, 2).volume
    10.0
    """

    __slots__ = ()

    def __init__(self, instrument_id: InstrumentId, value_per_bar: float) -> None:
        super().__init__(instrument_id, "value_per_bar", value_per_bar)

    def _measure(self, price: float, size: float) -> float:
        if price < 0.0:
            raise DataError(f"{self._where}: price: expected a finite number >= 0, was {price!r}")
        return price * size
