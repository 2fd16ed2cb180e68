"""Property tests of bar aggregation on arbitrary trade sequences.

- time bars equal pandas ``resample(closed="left", label="right")`` bit for bit, with and
  without filling empty intervals;
- every streaming builder emits exactly the batch function's bars, for any float sizes;
- threshold bars hold their volume invariants (each complete bar reaches the threshold, and
  would not without its closing trade; the bars' volumes add up to the included trades');
- resampling time bars to a multiple interval equals aggregating the trades at that interval.

Sizes are whole lots where a result is compared with a float sum computed another way (every
summation order then gives the same float); the builder comparisons use arbitrary floats.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.data.aggregation import (
    DollarBarBuilder,
    TickBarBuilder,
    TimeBarBuilder,
    VolumeBarBuilder,
    dollar_bars,
    resample_bars,
    tick_bars,
    time_bars,
    volume_bars,
)
from midfreq.data.bars import BarArrays
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId

AAA = InstrumentId("AAA.SIM")

Columns = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]

prices = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
whole_sizes = st.integers(0, 10_000).map(float)
any_sizes = st.floats(0.0, 1e4, allow_nan=False, allow_infinity=False)


@st.composite
def trades(draw: st.DrawFn, sizes: st.SearchStrategy[float] = whole_sizes) -> Columns:
    """Trades with repeated timestamps (gap 0) and gaps of several intervals of 1 to 1000 ns."""
    rows = draw(st.lists(st.tuples(st.integers(0, 3_000), prices, sizes), min_size=0, max_size=200))
    start = draw(st.integers(-(10**6), 10**6))
    ts = start + np.cumsum(np.array([0] + [gap for gap, _, _ in rows], dtype=np.int64))[1:]
    price = np.array([p for _, p, _ in rows], dtype=np.float64)
    size = np.array([s for _, _, s in rows], dtype=np.float64)
    return ts.astype(np.int64), price, size


def pandas_reference(
    ts: npt.NDArray[np.int64],
    price: npt.NDArray[np.float64],
    size: npt.NDArray[np.float64],
    interval_ns: int,
    origin_ns: int,
    fill_empty: bool,
) -> pd.DataFrame:
    index = pd.to_datetime(ts, unit="ns", utc=True)
    options = {
        "rule": pd.Timedelta(interval_ns, unit="ns"),
        "closed": "left",
        "label": "right",
        "origin": pd.Timestamp(origin_ns, unit="ns", tz="UTC"),
    }
    by_price = pd.Series(price, index=index).resample(**options)  # type: ignore[arg-type]
    frame = by_price.ohlc()
    frame["volume"] = pd.Series(size, index=index).resample(**options).sum()  # type: ignore[arg-type]
    if fill_empty:
        frame["close"] = frame["close"].ffill()
        for column in ("open", "high", "low"):
            frame[column] = frame[column].fillna(frame["close"])
    else:
        frame = frame[by_price.count() > 0]
    frame.insert(0, "ts_event", frame.index.as_unit("ns").asi8)
    return frame.reset_index(drop=True)


def assert_equal_columns(bars: BarArrays, reference: pd.DataFrame) -> None:
    frame = bars.to_frame()
    for column in frame.columns:
        assert np.array_equal(frame[column].to_numpy(), reference[column].to_numpy()), column


@settings(max_examples=200, deadline=None)
@given(
    trades(),
    st.integers(1, 1_000),
    st.integers(-(10**7), 10**7),
    st.booleans(),
)
def test_time_bars_equal_pandas_resample(
    data: Columns, interval_ns: int, origin_ns: int, fill_empty: bool
) -> None:
    ts, price, size = data

    bars = time_bars(ts, price, size, interval_ns, AAA, origin_ns=origin_ns, fill_empty=fill_empty)

    if ts.shape[0] == 0:
        assert len(bars) == 0
        return
    assert_equal_columns(
        bars, pandas_reference(ts, price, size, interval_ns, origin_ns, fill_empty)
    )
    assert np.all(bars.low <= bars.open) and np.all(bars.open <= bars.high)
    assert np.all(bars.low <= bars.close) and np.all(bars.close <= bars.high)
    assert float(bars.volume.sum()) == float(size.sum())
    # Each bar holds only trades before its stamp and at or after the previous interval's end.
    assert np.all(bars.ts - interval_ns <= ts[-1])
    assert bars.ts[0] - interval_ns <= ts[0] < bars.ts[0]


@settings(max_examples=200, deadline=None)
@given(trades(any_sizes), st.integers(1, 1_000), st.integers(-500, 500), st.booleans())
def test_time_bar_builder_equals_batch(
    data: Columns, interval_ns: int, origin_ns: int, fill_empty: bool
) -> None:
    ts, price, size = data
    builder = TimeBarBuilder(AAA, interval_ns, origin_ns=origin_ns, fill_empty=fill_empty)

    streamed: list[Bar] = []
    for p, s, t in zip(price.tolist(), size.tolist(), ts.tolist(), strict=True):
        streamed.extend(builder.update(p, s, t))
    if ts.shape[0]:
        # The end of the last trade's interval: later it would also flush empty intervals.
        streamed.extend(
            builder.flush(origin_ns + ((int(ts[-1]) - origin_ns) // interval_ns + 1) * interval_ns)
        )

    batch = time_bars(ts, price, size, interval_ns, AAA, origin_ns=origin_ns, fill_empty=fill_empty)
    assert streamed == list(batch.iter_bars())


@settings(max_examples=200, deadline=None)
@given(trades(any_sizes), st.integers(1, 20), st.floats(0.5, 5e4), st.booleans())
def test_threshold_builders_equal_batch(
    data: Columns, ticks: int, threshold: float, include_partial: bool
) -> None:
    ts, price, size = data
    price = np.abs(price)  # dollar bars need prices >= 0
    cases = [
        (TickBarBuilder(AAA, ticks), tick_bars, ticks),
        (VolumeBarBuilder(AAA, threshold), volume_bars, threshold),
        (DollarBarBuilder(AAA, threshold * 100), dollar_bars, threshold * 100),
    ]
    for builder, batch_function, parameter in cases:
        streamed: list[Bar] = []
        for p, s, t in zip(price.tolist(), size.tolist(), ts.tolist(), strict=True):
            bar = builder.update(p, s, t)
            if bar is not None:
                streamed.append(bar)
        last = builder.flush() if include_partial else None
        if last is not None:
            streamed.append(last)

        batch = batch_function(ts, price, size, parameter, AAA, include_partial=include_partial)
        assert streamed == list(batch.iter_bars()), type(builder).__name__


@settings(max_examples=200, deadline=None)
@given(trades(), st.integers(1, 30_000))
def test_volume_bars_reach_the_threshold_only_on_their_closing_trade(
    data: Columns, volume_per_bar: int
) -> None:
    ts, price, size = data

    bars = volume_bars(ts, price, size, float(volume_per_bar), AAA)

    if len(bars) == 0:
        assert float(size.sum()) < volume_per_bar
        return
    # Trade index of each bar's close: the bars partition a prefix of the trades.
    ends: list[int] = []
    start = 0
    for volume in bars.volume.tolist():
        total, i = 0.0, start
        while total < volume_per_bar:
            total += float(size[i])
            i += 1
        assert total == volume  # the bar is exactly the trades up to the first reaching it
        ends.append(i - 1)
        start = i
    assert bars.ts.tolist() == ts[ends].tolist()
    assert bars.close.tolist() == price[ends].tolist()
    assert float(size[start:].sum()) < volume_per_bar  # the remainder is short of a bar
    assert float(bars.volume.sum()) == float(size[:start].sum())


@settings(max_examples=200, deadline=None)
@given(trades(), st.integers(1, 300), st.integers(2, 12), st.integers(-5, 5))
def test_resampled_time_bars_equal_time_bars_of_the_longer_interval(
    data: Columns, source_ns: int, factor: int, shift: int
) -> None:
    ts, price, size = data
    origin = shift * source_ns
    source = time_bars(ts, price, size, source_ns, AAA, origin_ns=origin)

    bars = resample_bars(source, factor * source_ns, origin_ns=origin, source_interval_ns=source_ns)

    direct = time_bars(ts, price, size, factor * source_ns, AAA, origin_ns=origin)
    assert_equal_columns(bars, direct.to_frame())
