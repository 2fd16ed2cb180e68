"""Tests of columnar bars: construction, iteration, slicing, frames, validation and merging."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.core.errors import DataError
from midfreq.data import bars as bars_module
from midfreq.data.bars import BarArrays, merge_bars
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId

AAA = InstrumentId("AAA.SIM")
BBB = InstrumentId("BBB.SIM")


def make_bars(iid: InstrumentId, ts: list[int], base: float = 10.0) -> BarArrays:
    """Valid bars whose close encodes the row (base + i) so merged output can be traced."""
    close = base + np.arange(len(ts), dtype=np.float64)
    return BarArrays(
        iid,
        np.array(ts, dtype=np.int64),
        close - 0.5,
        close + 1.0,
        close - 1.0,
        close,
        np.full(len(ts), 100.0),
    )


def test_columns_are_normalised_to_int64_and_float64() -> None:
    bars = BarArrays(AAA, np.array([1, 2], dtype=np.int32), *([[1, 2]] * 5))  # type: ignore[arg-type]

    assert bars.ts.dtype == np.int64
    assert bars.close.dtype == np.float64
    assert len(bars) == 2


def test_construction_rejects_float_timestamps_and_unequal_lengths() -> None:
    ones = np.ones(2)
    with pytest.raises(ValueError, match="ts: expected a 1-D integer array"):
        BarArrays(AAA, np.array([1.0, 2.0]), ones, ones, ones, ones, ones)
    with pytest.raises(ValueError, match=r"volume: expected shape \(2,\)"):
        BarArrays(AAA, np.array([1, 2]), ones, ones, ones, ones, np.ones(3))


def test_iter_bars_yields_each_row_with_ts_init_offset() -> None:
    bars = make_bars(AAA, [100, 200])

    assert list(bars.iter_bars()) == [
        Bar(AAA, 9.5, 11.0, 9.0, 10.0, 100.0, 100, 100),
        Bar(AAA, 10.5, 12.0, 10.0, 11.0, 100.0, 200, 200),
    ]
    assert [b.ts_init for b in bars.iter_bars(ts_init_offset=7)] == [107, 207]
    assert all(type(b.close) is float and type(b.ts_event) is int for b in bars.iter_bars())


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, [10, 20, 30, 40]),
        (20, 30, [20, 30]),  # both bounds inclusive
        (15, 35, [20, 30]),
        (None, 20, [10, 20]),
        (30, None, [30, 40]),
        (41, None, []),
        (None, 9, []),
        (30, 20, []),
    ],
)
def test_slice_time_keeps_bounds_inclusive(
    start: int | None, end: int | None, expected: list[int]
) -> None:
    bars = make_bars(AAA, [10, 20, 30, 40])

    sliced = bars.slice_time(start, end)

    assert sliced.ts.tolist() == expected
    assert sliced.close.tolist() == [10.0 + [10, 20, 30, 40].index(t) for t in expected]
    assert sliced.instrument_id == AAA


def test_frame_round_trip_is_exact() -> None:
    bars = make_bars(AAA, [1, 5, 9])

    frame = bars.to_frame()
    back = BarArrays.from_frame(AAA, frame)

    assert list(frame.columns) == ["ts_event", "open", "high", "low", "close", "volume"]
    assert frame["ts_event"].dtype == np.int64
    for name in ("ts", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(back, name), getattr(bars, name))


def test_from_frame_accepts_aware_datetimes_and_rejects_naive_ones() -> None:
    frame = make_bars(AAA, [0, 60_000_000_000]).to_frame()
    frame["ts_event"] = pd.to_datetime(["2024-01-02 09:30", "2024-01-02 09:31"]).tz_localize(
        "America/New_York"
    )

    bars = BarArrays.from_frame(AAA, frame)

    assert bars.ts.tolist() == [1704205800 * 10**9, 1704205860 * 10**9]  # 14:30 UTC
    frame["ts_event"] = frame["ts_event"].dt.tz_localize(None)
    with pytest.raises(DataError, match="naive"):
        BarArrays.from_frame(AAA, frame)


def test_from_frame_names_missing_columns() -> None:
    frame = make_bars(AAA, [1]).to_frame().drop(columns=["low"])

    with pytest.raises(DataError, match=r"missing \['low'\]"):
        BarArrays.from_frame(AAA, frame)


def test_validate_accepts_good_bars_and_empty_bars() -> None:
    make_bars(AAA, [1, 2, 3]).validate("good.csv")
    make_bars(AAA, []).validate("empty.csv")


def _with(bars: BarArrays, row: int, **changes: float) -> BarArrays:
    columns = {name: getattr(bars, name).copy() for name in ("open", "high", "low", "close")}
    columns["volume"] = bars.volume.copy()
    ts = bars.ts.copy()
    for name, value in changes.items():
        if name == "ts":
            ts[row] = int(value)
        else:
            columns[name][row] = value
    return BarArrays(bars.instrument_id, ts, **columns)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"close": float("nan")}, "NaN or inf in close"),
        ({"volume": float("inf")}, "NaN or inf in volume"),
        ({"open": 0.0, "low": 0.0}, "expected prices > 0, was open=0.0, low=0.0"),
        ({"low": -1.0}, "expected prices > 0, was low=-1.0"),
        ({"volume": -5.0}, "expected volume >= 0, was -5.0"),
        ({"high": 8.0}, "expected high >= low, was high=8.0 < low=11.0"),
        ({"open": 13.5}, "expected open and close within [low, high]"),
        ({"close": 10.5}, "expected open and close within [low, high]"),
        ({"ts": 20}, "duplicate timestamp 20 (same as row 1)"),
        ({"ts": 15}, "timestamp out of order: expected > 20 (row 1), was 15"),
    ],
)
def test_validate_names_source_row_and_problem(changes: dict[str, float], problem: str) -> None:
    bars = _with(make_bars(AAA, [10, 20, 30, 40]), 2, **changes)

    with pytest.raises(DataError) as caught:
        bars.validate("data/aaa.csv")

    assert str(caught.value).startswith("data/aaa.csv: row 2: ")
    assert problem in str(caught.value)


def test_validate_reports_the_first_bad_row() -> None:
    bars = _with(_with(make_bars(AAA, [10, 20, 30, 40]), 3, volume=-1.0), 1, high=0.5)

    with pytest.raises(DataError, match=r"^x: row 1: expected high >= low"):
        bars.validate("x")


def _reference_merge(streams: list[BarArrays]) -> list[tuple[str, int, float]]:
    rows = [
        (int(t), k, float(c))
        for k, s in enumerate(streams)
        for t, c in zip(s.ts, s.close, strict=True)
    ]
    rows.sort(key=lambda row: (row[0], row[1]))
    return [(str(streams[k].instrument_id), t, c) for t, k, c in rows]


def _merged(streams: list[BarArrays]) -> list[tuple[str, int, float]]:
    return [(str(b.instrument_id), b.ts_event, b.close) for b in merge_bars(streams)]


def test_merge_orders_by_time_and_breaks_ties_by_stream_order() -> None:
    first = make_bars(BBB, [2, 3, 5], base=10.0)
    second = make_bars(AAA, [1, 3, 5, 6], base=20.0)

    merged = _merged([first, second])

    assert merged == [
        ("AAA.SIM", 1, 20.0),
        ("BBB.SIM", 2, 10.0),
        ("BBB.SIM", 3, 11.0),
        ("AAA.SIM", 3, 21.0),
        ("BBB.SIM", 5, 12.0),
        ("AAA.SIM", 5, 22.0),
        ("AAA.SIM", 6, 23.0),
    ]
    assert _merged([second, first])[2:4] == [("AAA.SIM", 3, 21.0), ("BBB.SIM", 3, 11.0)]


def test_merge_of_nothing_and_of_empty_streams_is_empty() -> None:
    assert list(merge_bars([])) == []
    assert list(merge_bars([make_bars(AAA, []), make_bars(BBB, [])])) == []


def test_merge_applies_ts_init_offset() -> None:
    merged = list(merge_bars([make_bars(AAA, [5]), make_bars(BBB, [3])], ts_init_offset=2))

    assert [(b.ts_event, b.ts_init) for b in merged] == [(3, 5), (5, 7)]


def test_merge_matches_reference_across_many_windows_and_uneven_streams() -> None:
    rng = np.random.default_rng(3)
    streams = [
        make_bars(InstrumentId(f"S{k}.SIM"), sorted(rng.choice(400_000, n, replace=False)))
        for k, n in enumerate([150_000, 40_000, 10, 1, 0, 25_000])
    ]

    assert _merged(streams) == _reference_merge(streams)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sets(st.integers(min_value=-50, max_value=50), max_size=30),
        max_size=6,
    ),
    st.integers(min_value=1, max_value=8),
)
def test_merge_matches_reference_for_any_window(stream_times: list[set[int]], window: int) -> None:
    streams = [
        make_bars(InstrumentId(f"S{k}.SIM"), sorted(times), base=100.0 * k + 1.0)
        for k, times in enumerate(stream_times)
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bars_module, "_MERGE_WINDOW", window)
        merged = _merged(streams)

    assert merged == _reference_merge(streams)
