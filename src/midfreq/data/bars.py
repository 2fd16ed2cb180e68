"""Columnar OHLCV bars (`BarArrays`): one instrument's bars as NumPy columns, their validation,
and the time-ordered merge of many instruments into one stream of `Bar` objects."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from midfreq.core.errors import DataError
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId

FRAME_COLUMNS = ("ts_event", "open", "high", "low", "close", "volume")
"""Column names of `BarArrays.to_frame` (``ts_event`` is int64 UTC nanoseconds)."""

_PRICE_COLUMNS = ("open", "high", "low", "close")

# Bars per window of `merge_bars`: bounds the memory of the Python lists built per window.
_MERGE_WINDOW = 1 << 16


@dataclass(frozen=True, slots=True)
class BarArrays:
    """One instrument's OHLCV bars as equal-length NumPy columns.

    Parameters
    ----------
    instrument_id : InstrumentId
        The instrument every bar belongs to.
    ts : numpy.ndarray
        Bar close times, int64 UTC nanoseconds, strictly increasing (see `validate`).
    open, high, low, close, volume : numpy.ndarray
        float64 columns.

    Raises
    ------
    ValueError
        If a column is not one-dimensional, ``ts`` is not integer, or the lengths differ.

    Examples
    --------
    >>> import numpy as np
    >>> bars = BarArrays(
    ...     InstrumentId("AAPL.SIM"), np.array([60, 120]), np.array([1.0, 2.0]),
    ...     np.array([2.0, 3.0]), np.array([1.0, 2.0]), np.array([2.0, 3.0]), np.array([5.0, 6.0]))
    >>> len(bars), next(bars.iter_bars()).close
    (2, 2.0)
    """

    instrument_id: InstrumentId
    ts: npt.NDArray[np.int64]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        ts = np.asarray(self.ts)
        if ts.ndim != 1 or not (np.issubdtype(ts.dtype, np.integer) or ts.size == 0):
            raise ValueError(
                f"{self.instrument_id} bars: ts: expected a 1-D integer array of UTC "
                f"nanoseconds, was {ts.ndim}-D {ts.dtype}"
            )
        # Frozen dataclass: normalising dtypes in __post_init__ needs object.__setattr__.
        object.__setattr__(self, "ts", np.ascontiguousarray(ts, dtype=np.int64))
        for name in (*_PRICE_COLUMNS, "volume"):
            column = np.ascontiguousarray(getattr(self, name), dtype=np.float64)
            if column.shape != ts.shape:
                raise ValueError(
                    f"{self.instrument_id} bars: {name}: expected shape {ts.shape} like ts, "
                    f"was {column.shape}"
                )
            object.__setattr__(self, name, column)

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def iter_bars(self, ts_init_offset: int = 0) -> Iterator[Bar]:
        """Yield the bars as `Bar` objects in order.

        Parameters
        ----------
        ts_init_offset : int, default 0
            Nanoseconds added to ``ts_event`` to give ``ts_init``.

        Returns
        -------
        Iterator[Bar]
        """
        iid = self.instrument_id
        ts = self.ts.tolist()
        ts_init = ts if ts_init_offset == 0 else (self.ts + ts_init_offset).tolist()
        columns = zip(
            self.open.tolist(),
            self.high.tolist(),
            self.low.tolist(),
            self.close.tolist(),
            self.volume.tolist(),
            ts,
            ts_init,
            strict=True,
        )
        for o, h, lo, c, v, t, ti in columns:
            yield Bar(iid, o, h, lo, c, v, t, ti)

    def slice_time(self, start_ns: int | None, end_ns: int | None) -> BarArrays:
        """Return the bars with ``start_ns <= ts <= end_ns`` (views, not copies).

        Parameters
        ----------
        start_ns, end_ns : int or None
            Inclusive bounds in UTC nanoseconds; None leaves that side open.

        Returns
        -------
        BarArrays
        """
        lo = 0 if start_ns is None else int(np.searchsorted(self.ts, start_ns, side="left"))
        hi = len(self) if end_ns is None else int(np.searchsorted(self.ts, end_ns, side="right"))
        hi = max(lo, hi)
        return BarArrays(
            self.instrument_id,
            self.ts[lo:hi],
            self.open[lo:hi],
            self.high[lo:hi],
            self.low[lo:hi],
            self.close[lo:hi],
            self.volume[lo:hi],
        )

    def to_frame(self) -> pd.DataFrame:
        """Return a DataFrame with columns ``ts_event`` (int64 ns) and open..volume (float64)."""
        return pd.DataFrame(
            {
                "ts_event": self.ts,
                "open": self.open,
                "high": self.high,
                "low": self.low,
                "close": self.close,
                "volume": self.volume,
            }
        )

    @classmethod
    def from_frame(cls, instrument_id: InstrumentId, frame: pd.DataFrame) -> BarArrays:
        """Build from a frame with the columns of `to_frame`.

        ``ts_event`` may be int64 UTC nanoseconds or a timezone-aware datetime column.

        Parameters
        ----------
        instrument_id : InstrumentId
            The instrument of every row.
        frame : pandas.DataFrame
            Columns ``ts_event, open, high, low, close, volume``.

        Returns
        -------
        BarArrays

        Raises
        ------
        DataError
            If a column is missing or ``ts_event`` is a naive datetime column.
        """
        missing = [name for name in FRAME_COLUMNS if name not in frame.columns]
        if missing:
            raise DataError(
                f"{instrument_id} bars: expected columns {list(FRAME_COLUMNS)}, missing "
                f"{missing} (found {[str(c) for c in frame.columns]})"
            )
        ts_column = frame["ts_event"]
        if isinstance(ts_column.dtype, pd.DatetimeTZDtype):
            ts = ts_column.dt.tz_convert("UTC").dt.as_unit("ns").to_numpy(dtype=np.int64)
        elif pd.api.types.is_datetime64_dtype(ts_column.dtype):
            raise DataError(
                f"{instrument_id} bars: ts_event: expected int64 UTC nanoseconds or a "
                f"timezone-aware datetime column, was naive {ts_column.dtype}"
            )
        else:
            ts = ts_column.to_numpy(dtype=np.int64)
        return cls(
            instrument_id,
            ts,
            frame["open"].to_numpy(dtype=np.float64),
            frame["high"].to_numpy(dtype=np.float64),
            frame["low"].to_numpy(dtype=np.float64),
            frame["close"].to_numpy(dtype=np.float64),
            frame["volume"].to_numpy(dtype=np.float64),
        )

    def validate(self, source: str) -> None:
        """Check every row and raise on the first bad one.

        The problems checked, in this order within a row: a NaN or infinite value, a price
        <= 0, a negative volume, high < low, open or close outside [low, high], a timestamp
        equal to (duplicate) or before (out of order) the previous row's.

        Parameters
        ----------
        source : str
            Where the bars came from (a file path), named in the message.

        Raises
        ------
        DataError
            ``"<source>: row <i>: <problem>"`` for the lowest bad row ``i`` (0-based data row).
        """
        n = len(self)
        if n == 0:
            return
        o, h, lo, c, v, ts = self.open, self.high, self.low, self.close, self.volume, self.ts
        not_finite = ~(
            np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & np.isfinite(c) & np.isfinite(v)
        )
        # NaN compares False, so the comparisons below only flag finite values.
        not_positive = (o <= 0) | (h <= 0) | (lo <= 0) | (c <= 0)
        negative_volume = v < 0
        high_below_low = h < lo
        outside_range = (o < lo) | (o > h) | (c < lo) | (c > h)
        step = np.zeros(n, dtype=np.int64)
        step[1:] = np.diff(ts)
        not_increasing = np.zeros(n, dtype=bool)
        not_increasing[1:] = step[1:] <= 0
        bad = not_finite | not_positive | negative_volume | high_below_low | outside_range
        bad |= not_increasing
        if not bad.any():
            return
        i = int(np.argmax(bad))
        row = {name: float(getattr(self, name)[i]) for name in (*_PRICE_COLUMNS, "volume")}
        values = ", ".join(f"{k}={x!r}" for k, x in row.items())
        if not_finite[i]:
            names = [k for k, x in row.items() if not np.isfinite(x)]
            problem = f"expected finite numbers, was NaN or inf in {', '.join(names)} ({values})"
        elif not_positive[i]:
            names = [k for k in _PRICE_COLUMNS if row[k] <= 0]
            problem = f"expected prices > 0, was {', '.join(f'{k}={row[k]!r}' for k in names)}"
        elif negative_volume[i]:
            problem = f"expected volume >= 0, was {float(v[i])!r}"
        elif high_below_low[i]:
            problem = f"expected high >= low, was high={float(h[i])!r} < low={float(lo[i])!r}"
        elif outside_range[i]:
            problem = f"expected open and close within [low, high], was {values}"
        elif step[i] == 0:
            problem = f"duplicate timestamp {int(ts[i])} (same as row {i - 1})"
        else:
            problem = (
                f"timestamp out of order: expected > {int(ts[i - 1])} (row {i - 1}), "
                f"was {int(ts[i])}"
            )
        raise DataError(f"{source}: row {i}: {problem}")


def merge_bars(streams: Sequence[BarArrays], ts_init_offset: int = 0) -> Iterator[Bar]:
    """Yield the bars of all streams in time order.

    Bars with equal timestamps come in the order of ``streams`` (a stable merge). Memory stays
    bounded: the merge walks the streams in time windows of about 65,000 bars.

    Parameters
    ----------
    streams : Sequence[BarArrays]
        Each with strictly increasing ``ts`` (see `BarArrays.validate`).
    ts_init_offset : int, default 0
        Nanoseconds added to ``ts_event`` to give ``ts_init``.

    Returns
    -------
    Iterator[Bar]

    Examples
    --------
    >>> import numpy as np
    >>> def bars(symbol, ts):
    ...     ones = np.ones(len(ts))
    ...     return BarArrays(InstrumentId(symbol), np.array(ts), ones, ones, ones, ones, ones)
    >>> merged = merge_bars([bars("A.X", [2]), bars("B.X", [1, 2])])
    >>> [(bar.instrument_id, bar.ts_event) for bar in merged]
    [(InstrumentId('B.X'), 1), (InstrumentId('A.X'), 2), (InstrumentId('B.X'), 2)]
    """
    live = [s for s in streams if len(s) > 0]
    ids = [s.instrument_id for s in live]
    positions = [0] * len(live)
    while live:
        # Window end: the smallest timestamp `step` bars ahead in any stream. Every stream then
        # contributes at most step + 1 bars and the one defining the end exactly step + 1.
        step = max(1, _MERGE_WINDOW // len(live))
        end = min(
            int(s.ts[min(p + step, len(s) - 1)]) for s, p in zip(live, positions, strict=True)
        )
        parts: list[tuple[int, int, int]] = []
        for k, (s, p) in enumerate(zip(live, positions, strict=True)):
            stop = int(np.searchsorted(s.ts, end, side="right"))
            if stop > p:
                parts.append((k, p, stop))
        ts = np.concatenate([live[k].ts[p:q] for k, p, q in parts])
        order = np.argsort(ts, kind="stable")
        columns = [
            np.concatenate([getattr(live[k], name)[p:q] for k, p, q in parts])[order].tolist()
            for name in (*_PRICE_COLUMNS, "volume")
        ]
        stream_index = np.repeat([k for k, _, _ in parts], [q - p for _, p, q in parts])
        iids = np.array(ids, dtype=object)[stream_index[order]].tolist()
        ts_sorted = ts[order]
        ts_list = ts_sorted.tolist()
        ts_init = ts_list if ts_init_offset == 0 else (ts_sorted + ts_init_offset).tolist()
        for iid, o, h, lo, c, v, t, ti in zip(iids, *columns, ts_list, ts_init, strict=True):
            yield Bar(iid, o, h, lo, c, v, t, ti)
        for k, _, q in parts:
            positions[k] = q
        keep = [k for k, s in enumerate(live) if positions[k] < len(s)]
        live = [live[k] for k in keep]
        ids = [ids[k] for k in keep]
        positions = [positions[k] for k in keep]
