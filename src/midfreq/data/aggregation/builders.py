"""Streaming bar builders: one trade (or quote) at a time, emitting the same `Bar`s as the batch
functions (semantics: `midfreq.data.aggregation`)."""

from __future__ import annotations

from midfreq.core.errors import DataError
from midfreq.data.aggregation._validation import (
    _INF,
    _MIN_TS,
    _check_event,
    _int_arg,
    _positive_float,
    _positive_int,
)
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId


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
