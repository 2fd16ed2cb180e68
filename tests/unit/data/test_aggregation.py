"""Tests of bar aggregation: batch time, quote, tick, volume and dollar bars and resampling
against pandas and hand-computed cases, the streaming builders against the batch functions,
and the validation of arguments and data."""

from __future__ import annotations

import doctest

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from midfreq.core.errors import DataError
from midfreq.data.aggregation import (
    DollarBarBuilder,
    TickBarBuilder,
    TimeBarBuilder,
    VolumeBarBuilder,
    dollar_bars,
    quote_time_bars,
    resample_bars,
    tick_bars,
    time_bars,
    volume_bars,
)
from midfreq.data.aggregation import batch as batch_module
from midfreq.data.aggregation import builders as builders_module
from midfreq.data.bars import BarArrays
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId

AAA = InstrumentId("AAA.SIM")
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

Trades = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]


def random_trades(seed: int, n: int = 5_000, *, whole_sizes: bool = True) -> Trades:
    """Trades in bursts with quiet gaps (empty intervals), repeated timestamps, prices off any
    grid, and sizes that are whole lots (exact float sums, so every summation order agrees and
    a bit-for-bit comparison with pandas' compensated sum is fair) or arbitrary floats."""
    rng = np.random.default_rng(seed)
    starts = np.sort(rng.integers(-2 * DAY, 3 * DAY, 12))
    bursts = [rng.integers(s, s + int(rng.integers(1, 4 * HOUR)), n // 12) for s in starts]
    ts = np.sort(np.concatenate(bursts)) // 1_000_000 * 1_000_000  # ms grid: repeated stamps
    price = 100.0 + np.cumsum(rng.normal(0.0, 0.05, ts.shape[0]))
    if whole_sizes:
        size = rng.integers(0, 1_000, ts.shape[0]).astype(np.float64)
    else:
        size = rng.exponential(3.7, ts.shape[0])
    return ts.astype(np.int64), price, size


def pandas_time_bars(
    ts: npt.NDArray[np.int64],
    price: npt.NDArray[np.float64],
    size: npt.NDArray[np.float64],
    interval_ns: int,
    origin_ns: int = 0,
    *,
    fill_empty: bool = False,
) -> pd.DataFrame:
    """The pandas reference: left-closed, right-labelled resample of prices and sizes."""
    index = pd.to_datetime(ts, unit="ns", utc=True)
    resampler = {
        "rule": pd.Timedelta(interval_ns, unit="ns"),
        "closed": "left",
        "label": "right",
        "origin": pd.Timestamp(origin_ns, unit="ns", tz="UTC"),
    }
    prices = pd.Series(price, index=index).resample(**resampler)  # type: ignore[arg-type]
    frame = prices.ohlc()
    frame["volume"] = pd.Series(size, index=index).resample(**resampler).sum()  # type: ignore[arg-type]
    count = prices.count()
    if fill_empty:
        close = frame["close"].ffill()
        frame["close"] = close
        for column in ("open", "high", "low"):
            frame[column] = frame[column].fillna(close)
    else:
        frame = frame[count > 0]
    frame.insert(0, "ts_event", frame.index.as_unit("ns").asi8)
    return frame.reset_index(drop=True)


def assert_bars_equal(bars: BarArrays, reference: pd.DataFrame) -> None:
    """Column by column, bit for bit."""
    frame = bars.to_frame()
    assert list(frame.columns) == list(reference.columns)
    for column in frame.columns:
        assert np.array_equal(frame[column].to_numpy(), reference[column].to_numpy()), column


def assert_ohlc_invariants(bars: BarArrays) -> None:
    assert np.all(bars.low <= bars.open) and np.all(bars.open <= bars.high)
    assert np.all(bars.low <= bars.close) and np.all(bars.close <= bars.high)
    assert np.all(bars.volume >= 0.0)


# --- time bars --------------------------------------------------------------------------------


def test_time_bars_hand_computed_left_closed_stamped_at_end() -> None:
    ts = [0, 30, 59, 60, 119, 240]
    price = [10.0, 12.0, 9.0, 11.0, 13.0, 8.0]
    size = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]

    bars = time_bars(ts, price, size, 60, AAA)

    # The trade at 60 is on the boundary: it opens [60, 120), not closes [0, 60).
    assert list(bars.iter_bars()) == [
        Bar(AAA, 10.0, 12.0, 9.0, 9.0, 6.0, 60, 60),
        Bar(AAA, 11.0, 13.0, 11.0, 13.0, 9.0, 120, 120),
        Bar(AAA, 8.0, 8.0, 8.0, 8.0, 6.0, 300, 300),
    ]


def test_time_bars_fill_empty_inserts_flat_bars_at_previous_close() -> None:
    bars = time_bars([0, 30, 200], [10.0, 12.0, 8.0], [1.0, 2.0, 3.0], 60, AAA, fill_empty=True)

    assert list(bars.iter_bars()) == [
        Bar(AAA, 10.0, 12.0, 10.0, 12.0, 3.0, 60, 60),
        Bar(AAA, 12.0, 12.0, 12.0, 12.0, 0.0, 120, 120),
        Bar(AAA, 12.0, 12.0, 12.0, 12.0, 0.0, 180, 180),
        Bar(AAA, 8.0, 8.0, 8.0, 8.0, 3.0, 240, 240),
    ]


def test_time_bars_origin_shifts_boundaries_and_floors_negative_times() -> None:
    bars = time_bars(
        [-50, -46, -45, 14, 15], [1.0, 2.0, 3.0, 4.0, 5.0], [1.0] * 5, 60, AAA, origin_ns=15
    )

    # Intervals [-105, -45), [-45, 15), [15, 75).
    assert bars.ts.tolist() == [-45, 15, 75]
    assert bars.close.tolist() == [2.0, 4.0, 5.0]
    assert bars.volume.tolist() == [2.0, 2.0, 1.0]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("interval_ns", "origin_ns"),
    [(MINUTE, 0), (5 * MINUTE, 0), (HOUR, 17 * SECOND + 3), (DAY, -7 * HOUR), (7_777_777_777, 1)],
)
@pytest.mark.parametrize("fill_empty", [False, True])
def test_time_bars_match_pandas_resample_bit_for_bit(
    seed: int, interval_ns: int, origin_ns: int, fill_empty: bool
) -> None:
    ts, price, size = random_trades(seed)

    bars = time_bars(ts, price, size, interval_ns, AAA, origin_ns=origin_ns, fill_empty=fill_empty)

    reference = pandas_time_bars(ts, price, size, interval_ns, origin_ns, fill_empty=fill_empty)
    assert len(bars) >= 3
    assert_bars_equal(bars, reference)
    assert_ohlc_invariants(bars)
    assert np.all(np.diff(bars.ts) > 0)
    assert float(bars.volume.sum()) == float(size.sum())


def test_time_bars_of_no_trades_are_empty() -> None:
    bars = time_bars(np.empty(0, dtype=np.int64), [], [], MINUTE, AAA, fill_empty=True)

    assert len(bars) == 0
    assert bars.ts.dtype == np.int64


def test_time_bars_volume_is_the_in_order_sum_of_sizes() -> None:
    # 1e16 + 1 + 1 in order is 1e16 (each 1 is lost to rounding); pairwise would give 1e16 + 2.
    sizes = [1e16] + [1.0] * 20
    bars = time_bars(list(range(21)), [1.0] * 21, sizes, MINUTE, AAA)

    expected = 0.0
    for s in sizes:
        expected += s
    assert bars.volume.tolist() == [expected]
    assert expected == 1e16


# --- quote bars -------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["mid", "bid", "ask"])
@pytest.mark.parametrize("seed", [3, 4])
def test_quote_time_bars_match_pandas_with_quote_count_as_volume(which: str, seed: int) -> None:
    ts, bid, _ = random_trades(seed)
    ask = bid + np.random.default_rng(seed).uniform(0.01, 0.2, bid.shape[0])
    price = {"mid": (bid + ask) / 2.0, "bid": bid, "ask": ask}[which]

    bars = quote_time_bars(ts, bid, ask, MINUTE, AAA, price=which)  # type: ignore[arg-type]

    reference = pandas_time_bars(ts, price, np.ones(ts.shape[0]), MINUTE)
    index = pd.to_datetime(ts, unit="ns", utc=True)
    counts = (
        pd.Series(price, index=index)
        .resample(pd.Timedelta(MINUTE, unit="ns"), closed="left", label="right")
        .count()
    )
    reference["volume"] = counts[counts > 0].to_numpy(dtype=np.float64)
    assert_bars_equal(bars, reference)
    assert float(bars.volume.sum()) == ts.shape[0]


def test_quote_time_bars_mid_is_quote_tick_mid() -> None:
    bars = quote_time_bars([1, 2], [99.0, 99.5], [100.0, 100.25], 10, AAA)

    assert bars.open.tolist() == [99.5]
    assert bars.close.tolist() == [99.875]
    assert bars.volume.tolist() == [2.0]


# --- tick, volume and dollar bars -------------------------------------------------------------


def test_tick_bars_hand_computed_with_and_without_partial() -> None:
    ts = [1, 2, 3, 4, 5, 6, 7]
    price = [10.0, 11.0, 9.0, 10.0, 12.0, 13.0, 7.0]
    size = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]

    full = tick_bars(ts, price, size, 3, AAA)
    partial = tick_bars(ts, price, size, 3, AAA, include_partial=True)

    assert list(full.iter_bars()) == [
        Bar(AAA, 10.0, 11.0, 9.0, 9.0, 6.0, 3, 3),
        Bar(AAA, 10.0, 13.0, 10.0, 13.0, 15.0, 6, 6),
    ]
    assert list(partial.iter_bars())[2:] == [Bar(AAA, 7.0, 7.0, 7.0, 7.0, 7.0, 7, 7)]
    assert len(tick_bars(ts[:6], price[:6], size[:6], 3, AAA, include_partial=True)) == 2


def test_volume_bars_hand_computed_keep_crossing_trade_whole() -> None:
    ts = [1, 2, 3, 4, 5, 6, 7, 8]
    price = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0]
    size = [60.0, 60.0, 150.0, 10.0, 30.0, 60.0, 50.0, 40.0]

    bars = volume_bars(ts, price, size, 100.0, AAA)

    # 60 + 60 = 120 closes at ts 2; 150 alone at ts 3; 10 + 30 + 60 = 100 (exactly reached) at
    # ts 6; 50 + 40 = 90 never reaches 100 and is left out.
    assert list(bars.iter_bars()) == [
        Bar(AAA, 10.0, 11.0, 10.0, 11.0, 120.0, 2, 2),
        Bar(AAA, 12.0, 12.0, 12.0, 12.0, 150.0, 3, 3),
        Bar(AAA, 13.0, 15.0, 13.0, 15.0, 100.0, 6, 6),
    ]
    partial = volume_bars(ts, price, size, 100.0, AAA, include_partial=True)
    assert list(partial.iter_bars())[3:] == [Bar(AAA, 16.0, 17.0, 16.0, 17.0, 90.0, 8, 8)]


def test_dollar_bars_hand_computed_count_price_times_size() -> None:
    ts = [1, 2, 2, 3, 4]
    price = [10.0, 20.0, 5.0, 50.0, 1.0]
    size = [4.0, 3.0, 8.0, 1.0, 100.0]

    bars = dollar_bars(ts, price, size, 100.0, AAA)

    # Values 40, 60 | 40, 50, 100: the first bar reaches 100 exactly at the second trade; the
    # second bar reaches 190 on the last trade; volume is the sum of sizes, not of values.
    assert list(bars.iter_bars()) == [
        Bar(AAA, 10.0, 20.0, 10.0, 20.0, 7.0, 2, 2),
        Bar(AAA, 5.0, 50.0, 1.0, 1.0, 109.0, 4, 4),
    ]


@pytest.mark.parametrize(("volume_per_bar", "bar_length"), [(100.0, 10), (200.0, 20)])
def test_volume_bars_close_on_the_trade_reaching_the_threshold_exactly(
    volume_per_bar: float, bar_length: int
) -> None:
    # 64 trades of 10: bars of 10 trades (many bars) or of 20 (few bars), each ending on an
    # exact hit; the 4 (or 3 * 20 + 4) trailing trades are short of a bar.
    ts = np.arange(64, dtype=np.int64) * 5
    price = np.arange(64, dtype=np.float64) + 1.0

    bars = volume_bars(ts, price, np.full(64, 10.0), volume_per_bar, AAA)

    ends = np.arange(bar_length - 1, 64, bar_length)
    assert bars.ts.tolist() == ts[ends].tolist()
    assert bars.close.tolist() == price[ends].tolist()
    assert bars.volume.tolist() == [volume_per_bar] * ends.shape[0]


@pytest.mark.parametrize(
    ("sizes", "threshold"),
    [
        ([1e20, 1.0, 0.0, 1.0, 3.0], 1.0),  # threshold lost in the running total's rounding
        ([0.0, 0.0, 5.0, 0.0, 5.0, 10.0, 0.0], 5.0),
        ([3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 9.0),
        ([0.1] * 50, 0.3),  # inexact float sums
    ],
)
def test_both_walks_over_the_running_total_agree(sizes: list[float], threshold: float) -> None:
    cumulative = np.cumsum(np.array(sizes))
    by_search: list[int] = []
    by_table: list[int] = []

    stop_search = batch_module._walk_by_search(cumulative, threshold, by_search)
    stop_table = batch_module._walk_by_table(cumulative, threshold, by_table)

    assert (by_search, stop_search) == (by_table, stop_table)
    # The same bars as a running total from the first trade, tested trade by trade.
    expected_ends: list[int] = []
    total, target = 0.0, threshold
    for i, size in enumerate(sizes):
        total += size
        if total >= target:
            expected_ends.append(i)
            target = total + threshold
    assert by_search == expected_ends


def test_threshold_bars_stamped_alike_when_trades_share_a_timestamp() -> None:
    bars = tick_bars([5, 5, 5, 9], [1.0, 2.0, 3.0, 4.0], [1.0] * 4, 1, AAA)

    assert bars.ts.tolist() == [5, 5, 5, 9]


def python_threshold_bars(
    ts: npt.NDArray[np.int64],
    price: npt.NDArray[np.float64],
    size: npt.NDArray[np.float64],
    increments: npt.NDArray[np.float64],
    threshold: float,
    include_partial: bool,
) -> pd.DataFrame:
    """Reference: the textbook loop (running total of the bar, reset after each bar) labels the
    trades, and pandas groupby computes each bar's OHLCV."""
    labels = np.full(ts.shape[0], -1)
    bar, total, last_end = 0, 0.0, -1
    for i, increment in enumerate(increments.tolist()):
        labels[i] = bar
        total += increment
        if total >= threshold:
            bar, total, last_end = bar + 1, 0.0, i
    keep = slice(None) if include_partial else slice(0, last_end + 1)
    frame = pd.DataFrame({"ts": ts, "price": price, "size": size, "bar": labels})[keep]
    grouped = frame.groupby("bar", sort=True)
    return pd.DataFrame(
        {
            "ts_event": grouped["ts"].last().to_numpy(),
            "open": grouped["price"].first().to_numpy(),
            "high": grouped["price"].max().to_numpy(),
            "low": grouped["price"].min().to_numpy(),
            "close": grouped["price"].last().to_numpy(),
            "volume": grouped["size"].sum().to_numpy(),
        }
    )


# 2_000 closes a bar every few trades (table walk); 300_000 every few hundred (search walk).
@pytest.mark.parametrize("volume_per_bar", [2_000.0, 300_000.0, 1.0, 499.5])
@pytest.mark.parametrize("include_partial", [False, True])
@pytest.mark.parametrize("seed", [5, 6])
def test_volume_bars_match_textbook_loop(
    volume_per_bar: float, include_partial: bool, seed: int
) -> None:
    ts, price, size = random_trades(seed)

    bars = volume_bars(ts, price, size, volume_per_bar, AAA, include_partial=include_partial)

    reference = python_threshold_bars(ts, price, size, size, volume_per_bar, include_partial)
    assert len(bars) > 5
    assert_bars_equal(bars, reference)
    assert_ohlc_invariants(bars)
    complete = bars if not include_partial else volume_bars(ts, price, size, volume_per_bar, AAA)
    assert np.all(complete.volume >= volume_per_bar)
    assert len(bars) - len(complete) in (0, 1)


@pytest.mark.parametrize("value_per_bar", [1e5, 3e7])
@pytest.mark.parametrize("include_partial", [False, True])
def test_dollar_bars_match_textbook_loop(value_per_bar: float, include_partial: bool) -> None:
    ts, price, size = random_trades(7)
    price = np.round(price, 2)  # cent prices: values price * size with exact sums

    bars = dollar_bars(ts, price, size, value_per_bar, AAA, include_partial=include_partial)

    reference = python_threshold_bars(ts, price, size, price * size, value_per_bar, include_partial)
    assert len(bars) > 5
    assert_bars_equal(bars, reference)


@pytest.mark.parametrize("seed", [8, 9])
def test_threshold_bars_conserve_volume_of_the_trades_they_include(seed: int) -> None:
    ts, price, size = random_trades(seed)
    n = ts.shape[0]

    for include_partial in (False, True):
        for bars in (
            tick_bars(ts, price, size, 7, AAA, include_partial=include_partial),
            volume_bars(ts, price, size, 5_000.0, AAA, include_partial=include_partial),
            dollar_bars(ts, price, size, 4e5, AAA, include_partial=include_partial),
        ):
            # The last bar's closing trade is the last included trade.
            included = n if include_partial else int(np.flatnonzero(ts == bars.ts[-1])[-1]) + 1
            assert float(bars.volume.sum()) == float(size[:included].sum())
            assert_ohlc_invariants(bars)


def test_tick_bars_match_pandas_groupby_of_fixed_blocks() -> None:
    ts, price, size = random_trades(10)
    n = ts.shape[0] - ts.shape[0] % 13

    bars = tick_bars(ts, price, size, 13, AAA)

    blocks = pd.DataFrame({"ts": ts[:n], "price": price[:n], "size": size[:n]}).groupby(
        np.arange(n) // 13
    )
    reference = pd.DataFrame(
        {
            "ts_event": blocks["ts"].last().to_numpy(),
            "open": blocks["price"].first().to_numpy(),
            "high": blocks["price"].max().to_numpy(),
            "low": blocks["price"].min().to_numpy(),
            "close": blocks["price"].last().to_numpy(),
            "volume": blocks["size"].sum().to_numpy(),
        }
    )
    assert_bars_equal(bars, reference)


# --- resampling -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval_ns", "origin_ns"),
    [(5 * MINUTE, 0), (HOUR, 0), (DAY, 0), (DAY, 21 * HOUR), (15 * MINUTE, -3 * MINUTE)],
)
@pytest.mark.parametrize("seed", [11, 12])
def test_resample_bars_match_pandas_and_direct_aggregation(
    interval_ns: int, origin_ns: int, seed: int
) -> None:
    ts, price, size = random_trades(seed)
    minute = time_bars(ts, price, size, MINUTE, AAA)

    bars = resample_bars(minute, interval_ns, origin_ns=origin_ns)

    frame = minute.to_frame()
    frame.index = pd.to_datetime(frame["ts_event"] - MINUTE, unit="ns", utc=True)  # open time
    reference = (
        frame.drop(columns="ts_event")
        .resample(
            pd.Timedelta(interval_ns, unit="ns"),
            closed="left",
            label="right",
            origin=pd.Timestamp(origin_ns, unit="ns", tz="UTC"),
        )
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        .dropna(subset=["open"])
    )
    reference.insert(0, "ts_event", reference.index.as_unit("ns").asi8)
    assert_bars_equal(bars, reference.reset_index(drop=True))
    # Resampling minute bars is aggregating the trades at the longer interval directly.
    direct = time_bars(ts, price, size, interval_ns, AAA, origin_ns=origin_ns)
    assert_bars_equal(bars, direct.to_frame())


def test_resample_bars_hand_computed_with_given_source_interval() -> None:
    ones = np.ones(3)
    minute = BarArrays(
        AAA,
        np.array([MINUTE, 2 * MINUTE, 6 * MINUTE]),
        np.array([1.0, 2.0, 3.0]),
        np.array([4.0, 6.0, 5.0]),
        np.array([0.5, 0.25, 1.0]),
        np.array([2.0, 3.0, 4.0]),
        ones,
    )

    bars = resample_bars(minute, 5 * MINUTE, source_interval_ns=MINUTE)

    assert list(bars.iter_bars()) == [
        Bar(AAA, 1.0, 6.0, 0.25, 3.0, 2.0, 5 * MINUTE, 5 * MINUTE),
        Bar(AAA, 3.0, 5.0, 1.0, 4.0, 1.0, 10 * MINUTE, 10 * MINUTE),
    ]
    # Inferred from the spacing: the bar stamped 6 min opens at 5 min, so it goes to [5, 10).
    assert list(resample_bars(minute, 5 * MINUTE).iter_bars()) == list(bars.iter_bars())


def test_resample_bars_refuses_straddling_and_uninferable_sources() -> None:
    ones = np.ones(3)
    minute = BarArrays(AAA, np.array([1, 2, 3]) * MINUTE, ones, ones, ones, ones, ones)

    with pytest.raises(ValueError, match=r"expected every source bar inside one target interval"):
        resample_bars(minute, 90 * SECOND)
    with pytest.raises(ValueError, match=r"was bar 0 \[0, 60000000000\) across 30000000000"):
        resample_bars(minute, 5 * MINUTE, origin_ns=30 * SECOND)
    uneven = BarArrays(AAA, np.array([60, 120, 210]) * SECOND, ones, ones, ones, ones, ones)
    with pytest.raises(
        ValueError, match=r"multiples of the smallest, 60000000000, was 90000000000"
    ):
        resample_bars(uneven, 5 * MINUTE)
    single = minute.slice_time(None, MINUTE)
    with pytest.raises(ValueError, match=r"source_interval_ns: expected an integer > 0 when"):
        resample_bars(single, 5 * MINUTE)
    assert len(resample_bars(single, 5 * MINUTE, source_interval_ns=MINUTE)) == 1
    assert len(resample_bars(minute.slice_time(0, 0), 5 * MINUTE)) == 0


def test_resample_bars_refuses_invalid_source_bars() -> None:
    ones = np.ones(2)
    backwards = BarArrays(AAA, np.array([2, 1]) * MINUTE, ones, ones, ones, ones, ones)
    with_nan = BarArrays(
        AAA, np.array([1, 2]) * MINUTE, ones, ones, ones, np.array([1.0, np.nan]), ones
    )

    with pytest.raises(
        DataError,
        match=r"ts: expected strictly increasing timestamps, was "
        r"60000000000 at row 1 after 120000000000 at row 0",
    ):
        resample_bars(backwards, 5 * MINUTE)
    with pytest.raises(DataError, match=r"close: expected finite values, was nan at row 1"):
        resample_bars(with_nan, 5 * MINUTE)
    repeated = BarArrays(AAA, np.array([1, 1]) * MINUTE, ones, ones, ones, ones, ones)
    with pytest.raises(DataError, match=r"was 60000000000 at row 1 after 60000000000 at row 0"):
        resample_bars(repeated, 5 * MINUTE)
    negative = BarArrays(AAA, np.array([1, 2]) * MINUTE, ones, ones, ones, ones, -ones)
    with pytest.raises(DataError, match=r"volume: expected finite values >= 0, was -1.0 at row 0"):
        resample_bars(negative, 5 * MINUTE)


# --- streaming builders -----------------------------------------------------------------------


def feed_time_builder(
    builder: TimeBarBuilder,
    ts: npt.NDArray[np.int64],
    price: npt.NDArray[np.float64],
    size: npt.NDArray[np.float64],
) -> list[Bar]:
    out: list[Bar] = []
    for p, s, t in zip(price.tolist(), size.tolist(), ts.tolist(), strict=True):
        out.extend(builder.update(p, s, t))
    if ts.shape[0]:
        last_end = (int(ts[-1]) // builder.interval_ns + 1) * builder.interval_ns
        out.extend(builder.flush(last_end))
    return out


@pytest.mark.parametrize("whole_sizes", [True, False])
@pytest.mark.parametrize("fill_empty", [False, True])
@pytest.mark.parametrize("interval_ns", [MINUTE, 7_777_777_777])
def test_time_bar_builder_equals_batch(
    whole_sizes: bool, fill_empty: bool, interval_ns: int
) -> None:
    ts, price, size = random_trades(13, whole_sizes=whole_sizes)
    builder = TimeBarBuilder(AAA, interval_ns, fill_empty=fill_empty)

    streamed = feed_time_builder(builder, ts, price, size)

    batch = time_bars(ts, price, size, interval_ns, AAA, fill_empty=fill_empty)
    assert streamed == list(batch.iter_bars())
    assert len(streamed) > 10


def test_time_bar_builder_with_origin_and_quotes_equals_quote_batch() -> None:
    ts, bid, _ = random_trades(14)
    ask = bid + 0.03
    builder = TimeBarBuilder(AAA, HOUR, origin_ns=5 * MINUTE)

    streamed: list[Bar] = []
    for b, a, t in zip(bid.tolist(), ask.tolist(), ts.tolist(), strict=True):
        streamed.extend(builder.update((b + a) / 2.0, 1.0, t))
    streamed.extend(builder.flush(10 * DAY))

    batch = quote_time_bars(ts, bid, ask, HOUR, AAA, origin_ns=5 * MINUTE)
    assert streamed == list(batch.iter_bars())


@pytest.mark.parametrize("whole_sizes", [True, False])
@pytest.mark.parametrize("include_partial", [False, True])
def test_threshold_builders_equal_batch(whole_sizes: bool, include_partial: bool) -> None:
    ts, price, size = random_trades(15, whole_sizes=whole_sizes)
    mean_size = float(size.mean())
    cases = [
        (
            TickBarBuilder(AAA, 17),
            tick_bars(ts, price, size, 17, AAA, include_partial=include_partial),
        ),
        (
            TickBarBuilder(AAA, 1),
            tick_bars(ts, price, size, 1, AAA, include_partial=include_partial),
        ),
        (
            VolumeBarBuilder(AAA, 3.5 * mean_size),
            volume_bars(ts, price, size, 3.5 * mean_size, AAA, include_partial=include_partial),
        ),
        (
            VolumeBarBuilder(AAA, 500 * mean_size),
            volume_bars(ts, price, size, 500 * mean_size, AAA, include_partial=include_partial),
        ),
        (
            DollarBarBuilder(AAA, 300 * mean_size),
            dollar_bars(ts, price, size, 300 * mean_size, AAA, include_partial=include_partial),
        ),
        (
            DollarBarBuilder(AAA, 40_000 * mean_size),
            dollar_bars(ts, price, size, 40_000 * mean_size, AAA, include_partial=include_partial),
        ),
    ]

    for builder, batch in cases:
        streamed: list[Bar] = []
        for p, s, t in zip(price.tolist(), size.tolist(), ts.tolist(), strict=True):
            bar = builder.update(p, s, t)
            if bar is not None:
                streamed.append(bar)
        if include_partial:
            last = builder.flush()
            if last is not None:
                streamed.append(last)
        assert streamed == list(batch.iter_bars()), type(builder).__name__
        assert len(streamed) > 5


def test_threshold_builders_close_on_tiny_threshold_like_batch() -> None:
    # The threshold is below the rounding of the running total: every trade closes a bar.
    ts = np.arange(4, dtype=np.int64)
    price = np.array([1.0, 2.0, 3.0, 4.0])
    size = np.array([1e20, 1.0, 0.0, 1.0])
    builder = VolumeBarBuilder(AAA, 1.0)

    streamed = [builder.update(p, s, t) for p, s, t in zip(price, size, ts.tolist(), strict=True)]

    batch = volume_bars(ts, price, size, 1.0, AAA)
    assert batch.ts.tolist() == [0, 1, 2, 3]
    assert streamed == list(batch.iter_bars())


def test_time_bar_builder_flush_closes_on_time_and_refuses_late_trades() -> None:
    builder = TimeBarBuilder(AAA, 60)
    assert builder.flush(1_000) == ()
    assert builder.update(10.0, 1.0, 61) == ()

    assert builder.flush(119) == ()
    assert builder.flush(120) == (Bar(AAA, 10.0, 10.0, 10.0, 10.0, 1.0, 120, 120),)
    assert builder.flush(500) == ()
    with pytest.raises(DataError, match=r"ts: expected >= 120 .*, was 119"):
        builder.update(11.0, 1.0, 119)
    assert builder.update(11.0, 1.0, 120) == ()
    assert builder.update(12.0, 1.0, 300) == (Bar(AAA, 11.0, 11.0, 11.0, 11.0, 1.0, 180, 180),)


def test_time_bar_builder_fill_empty_flushes_flat_bars_up_to_now() -> None:
    builder = TimeBarBuilder(AAA, 60, fill_empty=True)
    builder.update(10.0, 2.0, 30)

    flushed = builder.flush(190)

    assert flushed == (
        Bar(AAA, 10.0, 10.0, 10.0, 10.0, 2.0, 60, 60),
        Bar(AAA, 10.0, 10.0, 10.0, 10.0, 0.0, 120, 120),
        Bar(AAA, 10.0, 10.0, 10.0, 10.0, 0.0, 180, 180),
    )
    assert builder.update(9.0, 1.0, 250) == (Bar(AAA, 10.0, 10.0, 10.0, 10.0, 0.0, 240, 240),)
    assert builder.flush(300) == (Bar(AAA, 9.0, 9.0, 9.0, 9.0, 1.0, 300, 300),)


@pytest.mark.parametrize(
    ("price", "size", "ts", "message"),
    [
        (float("nan"), 1.0, 10, r"price: expected a finite number, was nan"),
        (float("inf"), 1.0, 10, r"price: expected a finite number, was inf"),
        (1.0, -1.0, 10, r"size: expected a finite number >= 0, was -1.0"),
        (1.0, float("nan"), 10, r"size: expected a finite number >= 0, was nan"),
        (1.0, 1.0, 4, r"ts: expected >= 5 .*, was 4"),
    ],
)
def test_builders_refuse_bad_events_and_stay_unchanged(
    price: float, size: float, ts: int, message: str
) -> None:
    builders = [
        TimeBarBuilder(AAA, 100),
        TickBarBuilder(AAA, 2),
        VolumeBarBuilder(AAA, 2.0),
        DollarBarBuilder(AAA, 20.0),
    ]
    for builder in builders:
        assert not builder.update(10.0, 1.0, 5)
        with pytest.raises(DataError, match=message):
            builder.update(price, size, ts)
        # Unchanged: the next good trade completes the bar exactly as without the refusal.
        if isinstance(builder, TimeBarBuilder):
            completed = builder.flush(100)
            assert completed == (Bar(AAA, 10.0, 10.0, 10.0, 10.0, 1.0, 100, 100),)
        else:
            assert builder.update(10.0, 1.0, 6) == Bar(AAA, 10.0, 10.0, 10.0, 10.0, 2.0, 6, 6)


def test_dollar_bar_builder_refuses_negative_price() -> None:
    with pytest.raises(DataError, match=r"price: expected a finite number >= 0, was -1.0"):
        DollarBarBuilder(AAA, 10.0).update(-1.0, 1.0, 1)


@pytest.mark.parametrize("bad", [0, -5, True, 1.5, "60"])
def test_builders_refuse_bad_intervals_and_counts(bad: object) -> None:
    with pytest.raises(ValueError, match=r"interval_ns: expected an integer > 0, was"):
        TimeBarBuilder(AAA, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"ticks_per_bar: expected an integer > 0, was"):
        TickBarBuilder(AAA, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), True, "1"])
def test_builders_refuse_bad_thresholds(bad: object) -> None:
    with pytest.raises(ValueError, match=r"volume_per_bar: expected a finite number > 0, was"):
        VolumeBarBuilder(AAA, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"value_per_bar: expected a finite number > 0, was"):
        DollarBarBuilder(AAA, bad)  # type: ignore[arg-type]


def test_threshold_builder_flush_without_trades_is_none() -> None:
    builder = TickBarBuilder(AAA, 3)
    assert builder.flush() is None
    builder.update(1.0, 1.0, 1)
    assert builder.flush() == Bar(AAA, 1.0, 1.0, 1.0, 1.0, 1.0, 1, 1)
    assert builder.flush() is None


# --- batch validation -------------------------------------------------------------------------

BATCH_FUNCTIONS = [
    pytest.param(lambda ts, p, s, x: time_bars(ts, p, s, x, AAA), id="time_bars"),
    pytest.param(lambda ts, p, s, x: quote_time_bars(ts, p, s, x, AAA), id="quote_time_bars"),
    pytest.param(lambda ts, p, s, x: tick_bars(ts, p, s, x, AAA), id="tick_bars"),
    pytest.param(lambda ts, p, s, x: volume_bars(ts, p, s, x, AAA), id="volume_bars"),
    pytest.param(lambda ts, p, s, x: dollar_bars(ts, p, s, x, AAA), id="dollar_bars"),
]


@pytest.mark.parametrize("function", BATCH_FUNCTIONS)
def test_batch_functions_refuse_unsorted_timestamps(function) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(
        DataError,
        match=r"ts: expected non-decreasing timestamps, was 2 at row 2 "
        r"after 3 at row 1",
    ):
        function([1, 3, 2], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], 10)


@pytest.mark.parametrize("function", BATCH_FUNCTIONS)
def test_batch_functions_refuse_mismatched_lengths_and_float_timestamps(function) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"expected shape \(3,\) like ts, was \(2,\)"):
        function([1, 2, 3], [1.0, 1.0], [1.0, 1.0, 1.0], 10)
    with pytest.raises(ValueError, match=r"expected shape \(3,\) like ts, was \(4,\)"):
        function([1, 2, 3], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], 10)
    with pytest.raises(ValueError, match=r"ts: expected a 1-D integer array of UTC nano"):
        function([1.0, 2.0], [1.0, 1.0], [1.0, 1.0], 10)


@pytest.mark.parametrize("function", BATCH_FUNCTIONS)
def test_batch_functions_refuse_nan_prices(function) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match=r"expected finite values.*, was nan at row 1"):
        function([1, 2, 3], [1.0, np.nan, 1.0], [1.0, 1.0, 1.0], 10)
    with pytest.raises(DataError, match=r"expected finite values.*, was inf at row 2"):
        function([1, 2, 3], [1.0, 1.0, 1.0], [1.0, 1.0, np.inf], 10)


@pytest.mark.parametrize("function", BATCH_FUNCTIONS)
@pytest.mark.parametrize("bad", [0, -1, True, float("nan")])
def test_batch_functions_refuse_non_positive_intervals_and_thresholds(  # type: ignore[no-untyped-def]
    function, bad: object
) -> None:
    with pytest.raises(ValueError, match=r"expected (an integer|a finite number) > 0, was"):
        function([1, 2, 3], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], bad)


def test_trade_sizes_must_be_non_negative_and_dollar_prices_too() -> None:
    with pytest.raises(DataError, match=r"size: expected finite values >= 0, was -2.0 at row 1"):
        volume_bars([1, 2], [1.0, 1.0], [1.0, -2.0], 10.0, AAA)
    with pytest.raises(DataError, match=r"price: expected finite values >= 0, was -1.0 at row 0"):
        dollar_bars([1, 2], [-1.0, 1.0], [1.0, 1.0], 10.0, AAA)
    # Negative prices (spreads, some futures) are fine where only OHLC is taken.
    assert time_bars([1, 2], [-1.0, 1.0], [1.0, 1.0], 10, AAA).low.tolist() == [-1.0]


def test_quote_price_choice_and_origin_are_checked() -> None:
    with pytest.raises(ValueError, match=r"price: expected one of 'mid', 'bid', 'ask', was 'last'"):
        quote_time_bars([1], [1.0], [2.0], 10, AAA, price="last")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"origin_ns: expected an integer \(UTC nanoseconds\)"):
        time_bars([1], [1.0], [2.0], 10, AAA, origin_ns=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"interval_ns: expected an integer > 0, was 0"):
        resample_bars(time_bars([1], [1.0], [1.0], 10, AAA), 0)


def test_docstring_examples_run() -> None:
    attempted = failed = 0
    for module in (batch_module, builders_module):
        result = doctest.testmod(module)
        attempted += result.attempted
        failed += result.failed

    assert attempted > 10
    assert failed == 0
