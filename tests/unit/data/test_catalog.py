"""Tests of the Parquet catalog: round trips, partitioning by UTC date, appends and overwrites,
range reads, per-day bar windows, the metadata summary and the refusals."""

from __future__ import annotations

import os
import stat
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.core.errors import DataError
from midfreq.data.bars import BarArrays
from midfreq.data.catalog import CatalogEntry, ParquetCatalog
from midfreq.data.importer import import_file
from midfreq.model.identifiers import InstrumentId

AAA = InstrumentId("AAA.SIM")
BBB = InstrumentId("BBB.SIM")

SECOND = 10**9
DAY = 86_400 * SECOND
D0 = int(datetime(2024, 1, 2, tzinfo=UTC).timestamp()) * SECOND  # 2024-01-02T00:00:00Z

BAR_COLUMNS = ["ts_event", "open", "high", "low", "close", "volume"]
QUOTE_COLUMNS = ["ts_event", "bid_price", "ask_price", "bid_size", "ask_size"]
TRADE_COLUMNS = ["ts_event", "price", "size", "aggressor_side", "trade_id"]


@pytest.fixture
def catalog(tmp_path: Path) -> ParquetCatalog:
    return ParquetCatalog(tmp_path / "catalog")


def utc_day(ts: int) -> str:
    """The UTC date of ``ts`` (ns), computed with the standard library."""
    return (date(1970, 1, 1) + timedelta(days=ts // DAY)).isoformat()


def bars_frame(
    ts: list[int] | np.ndarray, seed: int = 0, volume: float | None = None
) -> pd.DataFrame:
    """Valid OHLCV rows with full-precision random prices."""
    rng = np.random.default_rng(seed)
    n = len(ts)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n)))
    open_ = close * np.exp(rng.normal(0.0, 0.0005, n))
    high = np.maximum(open_, close) * (1.0 + rng.uniform(0.0, 0.001, n))
    low = np.minimum(open_, close) * (1.0 - rng.uniform(0.0, 0.001, n))
    vol = rng.uniform(0.0, 1000.0, n) if volume is None else np.full(n, volume)
    return pd.DataFrame(
        {
            "ts_event": np.asarray(ts, dtype=np.int64),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": vol,
        }
    )


def quotes_frame(ts: list[int], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(ts)
    bid = 100.0 + rng.uniform(-1.0, 1.0, n)
    return pd.DataFrame(
        {
            "ts_event": np.asarray(ts, dtype=np.int64),
            "bid_price": bid,
            "ask_price": bid + rng.uniform(0.01, 0.05, n),
            "bid_size": rng.uniform(1.0, 500.0, n),
            "ask_size": rng.uniform(1.0, 500.0, n),
        }
    )


def trades_frame(ts: list[int], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(ts)
    sides = ["BUYER", "SELLER", "NO_AGGRESSOR"]
    return pd.DataFrame(
        {
            "ts_event": np.asarray(ts, dtype=np.int64),
            "price": 100.0 + rng.uniform(-1.0, 1.0, n),
            "size": rng.uniform(1.0, 500.0, n),
            "aggressor_side": [sides[i % 3] for i in range(n)],
            "trade_id": [f"T{seed}-{i}" for i in range(n)],
        }
    )


FRAMES = {"bars": bars_frame, "quotes": quotes_frame, "trades": trades_frame}


def all_files(root: Path) -> list[str]:
    """Every file under ``root`` as a relative path, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def snapshot(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in all_files(root)}


def assert_same_rows(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns, same values exactly (strings compared as Python lists)."""
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected)
    for column in expected.columns:
        left, right = actual[column], expected[column]
        if column in ("aggressor_side", "trade_id"):
            assert left.tolist() == right.tolist(), column
        else:
            assert np.array_equal(left.to_numpy(), right.to_numpy()), column


# ---- round trips --------------------------------------------------------------------------


def bars_source(n: int = 400) -> pd.DataFrame:
    """Bars over three UTC days at irregular, nanosecond-precise times."""
    rng = np.random.default_rng(7)
    steps = rng.integers(1, 3 * 3600 * SECOND // 4, n)  # under 45 min apart
    ts = D0 + 12_345 + np.cumsum(steps)
    return bars_frame(ts, seed=3)


@pytest.mark.parametrize("time_form", ["iso", "epoch_ns"])
def test_csv_import_then_read_bars_gives_back_the_source_values(
    tmp_path: Path, catalog: ParquetCatalog, time_form: str
) -> None:
    source = bars_source()
    ts = source["ts_event"].to_numpy()
    assert utc_day(int(ts[0])) != utc_day(int(ts[-1]))  # the data spans several days
    if time_form == "iso":
        times = np.datetime_as_string(ts.astype("datetime64[ns]"), timezone="UTC").tolist()
    else:
        times = [str(t) for t in ts.tolist()]
    lines = ["timestamp,open,high,low,close,volume"]
    for t, row in zip(times, source[BAR_COLUMNS[1:]].itertuples(index=False), strict=True):
        lines.append(",".join([t, *(repr(float(x)) for x in row)]))
    path = tmp_path / "aaa.csv"
    path.write_text("\n".join(lines) + "\n")

    report = import_file(catalog, path, AAA)
    bars = catalog.read_bars(AAA)

    assert report.rows_written == len(source)
    assert bars.instrument_id == AAA
    for name in BAR_COLUMNS:
        attr = "ts" if name == "ts_event" else name
        assert np.array_equal(getattr(bars, attr), source[name].to_numpy()), name


@pytest.mark.parametrize("data_type", ["bars", "quotes", "trades"])
def test_write_then_read_gives_back_the_rows(catalog: ParquetCatalog, data_type: str) -> None:
    ts = [D0 + 1, D0 + DAY // 2, D0 + DAY + 7, D0 + 2 * DAY + 999]
    frame = FRAMES[data_type](ts, seed=11)

    written = catalog.write(data_type, AAA, frame)  # type: ignore[arg-type]

    assert written == 4
    assert_same_rows(catalog.read(data_type, AAA), frame)  # type: ignore[arg-type]


def test_quotes_and_trades_round_trip_through_csv_import(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    quotes = quotes_frame([D0 + i * 250_000_000 for i in range(50)], seed=5)
    path = tmp_path / "quotes.csv"
    with path.open("w") as file:
        file.write("ts_event,bid_price,ask_price,bid_size,ask_size\n")
        for row in quotes.itertuples(index=False):
            file.write(f"{row[0]},{row[1]!r},{row[2]!r},{row[3]!r},{row[4]!r}\n")
    trades = trades_frame([D0 + i * 100_000_000 for i in range(30)], seed=6)
    trades_path = tmp_path / "trades.csv"
    with trades_path.open("w") as file:
        file.write("ts_event,price,size,aggressor_side,trade_id\n")
        for row in trades.itertuples(index=False):
            file.write(f"{row[0]},{row[1]!r},{row[2]!r},{row[3]},{row[4]}\n")

    import_file(catalog, path, AAA, data_type="quotes")
    import_file(catalog, trades_path, AAA, data_type="trades")

    assert_same_rows(catalog.read("quotes", AAA), quotes)
    assert_same_rows(catalog.read("trades", AAA), trades)


@settings(max_examples=25, deadline=None)
@given(
    offsets=st.lists(
        st.integers(min_value=-2 * DAY, max_value=4 * DAY), min_size=1, max_size=60, unique=True
    )
)
def test_any_sorted_bars_round_trip_with_one_partition_per_utc_day(offsets: list[int]) -> None:
    ts = np.array(sorted(D0 + x for x in offsets), dtype=np.int64)
    frame = bars_frame(ts, seed=len(ts))
    bars = BarArrays.from_frame(AAA, frame)
    with tempfile.TemporaryDirectory() as root:
        catalog = ParquetCatalog(root)

        catalog.write_bars(bars)
        back = catalog.read_bars(AAA)
        names = [p.name for p in catalog.partitions("bars", AAA)]

    assert np.array_equal(back.ts, bars.ts)
    assert np.array_equal(back.close, bars.close)
    assert np.array_equal(back.volume, bars.volume)
    assert names == [f"{day}.parquet" for day in sorted({utc_day(int(t)) for t in ts})]


# ---- partitioning -------------------------------------------------------------------------


def test_partitions_are_utc_dates_each_holding_its_days_rows(catalog: ParquetCatalog) -> None:
    # The first and last nanosecond of a UTC day, the next day's first, and one before 1970.
    ts = [-1, D0, D0 + DAY - 1, D0 + DAY, D0 + 5 * DAY + 17]
    frame = bars_frame(ts)

    catalog.write("bars", AAA, frame)

    files = catalog.partitions("bars", AAA)
    assert [p.name for p in files] == [
        "1969-12-31.parquet",
        "2024-01-02.parquet",
        "2024-01-03.parquet",
        "2024-01-07.parquet",
    ]
    assert all(p.parent == catalog.root / "bars" / "AAA.SIM" for p in files)
    stored = {p.stem: pq.read_table(p).column("ts_event").to_pylist() for p in files}
    assert stored == {
        "1969-12-31": [-1],
        "2024-01-02": [D0, D0 + DAY - 1],
        "2024-01-03": [D0 + DAY],
        "2024-01-07": [D0 + 5 * DAY + 17],
    }
    assert {utc_day(t) for t in ts} == set(stored)


def test_types_and_instruments_have_separate_folders(catalog: ParquetCatalog) -> None:
    catalog.write("bars", AAA, bars_frame([D0]))
    catalog.write("quotes", AAA, quotes_frame([D0]))
    catalog.write("bars", BBB, bars_frame([D0 + DAY]))

    assert all_files(catalog.root) == [
        "bars/AAA.SIM/2024-01-02.parquet",
        "bars/BBB.SIM/2024-01-03.parquet",
        "quotes/AAA.SIM/2024-01-02.parquet",
    ]


# ---- append and overwrite -----------------------------------------------------------------


def test_append_merges_rows_into_existing_partitions_in_time_order(
    catalog: ParquetCatalog,
) -> None:
    first = bars_frame([D0 + 10, D0 + 30], seed=1)
    second = bars_frame([D0 + 20, D0 + 40, D0 + DAY + 1], seed=2)

    catalog.write("bars", AAA, first)
    catalog.write("bars", AAA, second, mode="append")

    expected = (
        pd.concat([first, second]).sort_values("ts_event", ignore_index=True).reset_index(drop=True)
    )
    assert_same_rows(catalog.read("bars", AAA), expected)
    assert len(catalog.partitions("bars", AAA)) == 2


def test_append_refuses_a_bar_already_stored_and_leaves_the_partition_unchanged(
    catalog: ParquetCatalog,
) -> None:
    catalog.write("bars", AAA, bars_frame([D0 + SECOND, D0 + 2 * SECOND], seed=1))
    before = snapshot(catalog.root)

    with pytest.raises(DataError) as caught:
        catalog.write("bars", AAA, bars_frame([D0 + 2 * SECOND, D0 + 3 * SECOND], seed=2))

    message = str(caught.value)
    assert "AAA.SIM bars" in message
    assert "2024-01-02T00:00:02+00:00 already stored" in message
    assert "overwrite" in message
    assert snapshot(catalog.root) == before


def test_refused_multi_day_append_writes_none_of_its_days(catalog: ParquetCatalog) -> None:
    # The clash is on the second day: the first (new) day must not be written either.
    catalog.write("bars", AAA, bars_frame([D0 + DAY + 5]))
    before = snapshot(catalog.root)

    with pytest.raises(DataError, match="already stored"):
        catalog.write("bars", AAA, bars_frame([D0 + 5, D0 + DAY + 5], seed=4))

    assert snapshot(catalog.root) == before
    assert [p.name for p in catalog.partitions("bars", AAA)] == ["2024-01-03.parquet"]


@pytest.mark.parametrize("mode", ["append", "overwrite"])
def test_bars_repeating_a_timestamp_are_refused(catalog: ParquetCatalog, mode: str) -> None:
    with pytest.raises(DataError, match="expected strictly increasing timestamps"):
        catalog.write("bars", AAA, bars_frame([D0, D0 + 1, D0 + 1]), mode=mode)  # type: ignore[arg-type]

    assert all_files(catalog.root) == []


@pytest.mark.parametrize("data_type", ["quotes", "trades"])
def test_quotes_and_trades_may_share_a_timestamp_across_appends(
    catalog: ParquetCatalog, data_type: str
) -> None:
    make = FRAMES[data_type]
    catalog.write(data_type, AAA, make([D0, D0 + 5], seed=1))  # type: ignore[arg-type]
    catalog.write(data_type, AAA, make([D0 + 5, D0 + 5], seed=2))  # type: ignore[arg-type]

    assert catalog.read(data_type, AAA)["ts_event"].tolist() == [D0, D0 + 5, D0 + 5, D0 + 5]  # type: ignore[arg-type]


def test_overwrite_replaces_the_touched_days_only(catalog: ParquetCatalog) -> None:
    catalog.write("bars", AAA, bars_frame([D0 + 1, D0 + DAY + 1, D0 + DAY + 2, D0 + 2 * DAY + 1]))
    before = snapshot(catalog.root)
    replacement = bars_frame([D0 + DAY + 2, D0 + DAY + 3], seed=9)

    written = catalog.write("bars", AAA, replacement, mode="overwrite")

    after = snapshot(catalog.root)
    day1, day2, day3 = (f"bars/AAA.SIM/2024-01-0{d}.parquet" for d in (2, 3, 4))
    assert written == 2
    assert after[day1] == before[day1]
    assert after[day3] == before[day3]
    assert after[day2] != before[day2]
    assert_same_rows(catalog.read("bars", AAA, D0 + DAY, D0 + 2 * DAY - 1), replacement)
    assert catalog.read("bars", AAA)["ts_event"].tolist() == [
        D0 + 1,
        D0 + DAY + 2,
        D0 + DAY + 3,
        D0 + 2 * DAY + 1,
    ]


# ---- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("data_type", ["bars", "quotes", "trades"])
def test_unsorted_rows_are_refused_and_nothing_is_written(
    catalog: ParquetCatalog, data_type: str
) -> None:
    frame = FRAMES[data_type]([D0 + 3 * DAY, D0, D0 + DAY])

    with pytest.raises(DataError, match="ts_event: expected non-decreasing timestamps"):
        catalog.write(data_type, AAA, frame)  # type: ignore[arg-type]

    assert all_files(catalog.root) == []


def test_missing_columns_are_named(catalog: ParquetCatalog) -> None:
    frame = bars_frame([D0]).drop(columns=["low", "volume"])

    with pytest.raises(DataError, match=r"missing \['low', 'volume'\]"):
        catalog.write("bars", AAA, frame)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.write("candles", AAA, bars_frame([D0])),
        lambda c: c.read("candles", AAA),
        lambda c: list(c.iter_frames("candles", AAA)),
        lambda c: c.partitions("candles", AAA),
    ],
    ids=["write", "read", "iter_frames", "partitions"],
)
def test_unknown_data_type_is_refused_with_the_accepted_ones(
    catalog: ParquetCatalog, call: object
) -> None:
    with pytest.raises(DataError) as caught:
        call(catalog)  # type: ignore[operator]

    assert str(caught.value) == "data type: expected one of bars, quotes, trades, was 'candles'"


def test_writes_leave_no_temporary_files(catalog: ParquetCatalog) -> None:
    catalog.write("bars", AAA, bars_frame([D0, D0 + DAY]))
    catalog.write("bars", AAA, bars_frame([D0 + 1, D0 + 2 * DAY]))
    catalog.write("bars", AAA, bars_frame([D0 + 1]), mode="overwrite")
    with pytest.raises(DataError):
        catalog.write("bars", AAA, bars_frame([D0 + 1]))
    catalog.write("trades", BBB, trades_frame([D0, D0]))
    catalog.set_asset_class(AAA, "equity")
    catalog.set_asset_class(BBB, "fx")

    assert all_files(catalog.root) == [
        "bars/AAA.SIM/2024-01-02.parquet",
        "bars/AAA.SIM/2024-01-03.parquet",
        "bars/AAA.SIM/2024-01-04.parquet",
        "instruments.json",
        "trades/BBB.SIM/2024-01-02.parquet",
    ]


# ---- range reads --------------------------------------------------------------------------

# Rows on three UTC days with an empty day between the second and third.
RANGE_TS = [D0 + 5, D0 + DAY - 1, D0 + DAY, D0 + DAY + 100, D0 + 3 * DAY, D0 + 3 * DAY + 9]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (None, None),
        (D0 + 5, D0 + DAY),  # both ends exactly on rows: included
        (D0 + 6, D0 + DAY + 99),  # just inside: first and last excluded
        (D0 + DAY - 1, None),  # the last nanosecond of a day
        (None, D0 + DAY),  # the first nanosecond of the next day
        (D0 + DAY + 100, D0 + DAY + 100),  # a single instant
        (D0 + 2 * DAY, D0 + 3 * DAY - 1),  # the empty day
        (D0 + 3 * DAY + 10, None),  # after everything
        (None, D0 + 4),  # before everything
        (D0 - 10 * DAY, D0 + 10 * DAY),  # wider than the data
    ],
)
def test_read_keeps_rows_in_the_inclusive_range(
    catalog: ParquetCatalog, start: int | None, end: int | None
) -> None:
    frame = bars_frame(RANGE_TS)
    catalog.write("bars", AAA, frame)
    ts = frame["ts_event"]
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        keep &= ts >= start
    if end is not None:
        keep &= ts <= end
    expected = frame[keep].reset_index(drop=True)

    assert_same_rows(catalog.read("bars", AAA, start, end), expected)
    bars = catalog.read_bars(AAA, start, end)
    assert bars.ts.tolist() == expected["ts_event"].tolist()
    assert np.array_equal(bars.high, expected["high"].to_numpy())
    streamed = list(catalog.iter_frames("bars", AAA, start, end))
    assert all(len(part) > 0 for part in streamed)
    joined = [t for part in streamed for t in part["ts_event"].tolist()]
    assert joined == expected["ts_event"].tolist()
    # One frame per UTC day that has rows in the range, in date order.
    days = [{utc_day(t) for t in part["ts_event"].tolist()} for part in streamed]
    assert all(len(d) == 1 for d in days)
    assert [d.pop() for d in days] == sorted({utc_day(t) for t in joined})


# ---- per-day bar windows ------------------------------------------------------------------


def test_iter_bar_windows_yields_each_day_in_order_with_each_instruments_bars(
    catalog: ParquetCatalog,
) -> None:
    a = bars_frame([D0 + 10, D0 + 20, D0 + DAY + 10], seed=1)
    b = bars_frame([D0 + DAY + 5, D0 + DAY + 15, D0 + 2 * DAY], seed=2)
    catalog.write("bars", AAA, a)
    catalog.write("bars", BBB, b)

    windows = list(catalog.iter_bar_windows([AAA, BBB]))

    assert [[(bars.instrument_id, bars.ts.tolist()) for bars in w] for w in windows] == [
        [(AAA, [D0 + 10, D0 + 20])],
        [(AAA, [D0 + DAY + 10]), (BBB, [D0 + DAY + 5, D0 + DAY + 15])],
        [(BBB, [D0 + 2 * DAY])],
    ]
    # The bars' values are the stored ones.
    assert np.array_equal(windows[1][0].close, a["close"].to_numpy()[2:])
    assert np.array_equal(windows[1][1].volume, b["volume"].to_numpy()[:2])
    # Windows follow each other in time: every bar of a window is after every bar before it.
    ends = [max(int(bars.ts[-1]) for bars in w) for w in windows]
    starts = [min(int(bars.ts[0]) for bars in w) for w in windows]
    assert all(starts[i + 1] > ends[i] for i in range(len(windows) - 1))


def test_iter_bar_windows_clips_to_the_range_and_skips_empty_days(
    catalog: ParquetCatalog,
) -> None:
    catalog.write("bars", AAA, bars_frame([D0 + 10, D0 + 20, D0 + DAY + 10, D0 + 2 * DAY + 1]))
    catalog.write("bars", BBB, bars_frame([D0 + 5, D0 + DAY + 11], seed=2))

    windows = list(catalog.iter_bar_windows([BBB, AAA], D0 + 11, D0 + DAY + 10))

    assert [[(bars.instrument_id, bars.ts.tolist()) for bars in w] for w in windows] == [
        [(AAA, [D0 + 20])],  # BBB's only bar that day is before the start
        [(AAA, [D0 + DAY + 10])],  # BBB's bar that day is after the end
    ]


def test_iter_bar_windows_of_instruments_without_data_yields_nothing(
    catalog: ParquetCatalog,
) -> None:
    catalog.write("bars", AAA, bars_frame([D0]))

    assert list(catalog.iter_bar_windows([BBB])) == []
    assert list(catalog.iter_bar_windows([AAA], D0 + 1)) == []


# ---- describing ---------------------------------------------------------------------------


def test_entries_summarise_each_type_and_instrument(catalog: ParquetCatalog) -> None:
    catalog.write("bars", BBB, bars_frame([D0 + 3, D0 + DAY + 4, D0 + 2 * DAY + 5]))
    catalog.write("bars", AAA, bars_frame([D0 + 1, D0 + 2]))
    catalog.write("trades", AAA, trades_frame([D0 + 7, D0 + 7, D0 + 9 * DAY]))
    catalog.set_asset_class(AAA, "equity")
    catalog.set_asset_class(BBB, "fx")
    catalog.set_asset_class(AAA, "future")  # the latest wins

    assert catalog.entries() == [
        CatalogEntry(
            instrument_id="AAA.SIM",
            data_type="bars",
            asset_class="future",
            first_ts=D0 + 1,
            last_ts=D0 + 2,
            rows=2,
            partitions=1,
        ),
        CatalogEntry(
            instrument_id="BBB.SIM",
            data_type="bars",
            asset_class="fx",
            first_ts=D0 + 3,
            last_ts=D0 + 2 * DAY + 5,
            rows=3,
            partitions=3,
        ),
        CatalogEntry(
            instrument_id="AAA.SIM",
            data_type="trades",
            asset_class="future",
            first_ts=D0 + 7,
            last_ts=D0 + 9 * DAY,
            rows=3,
            partitions=2,
        ),
    ]
    assert catalog.instruments() == {
        "AAA.SIM": {"asset_class": "future"},
        "BBB.SIM": {"asset_class": "fx"},
    }


def test_entries_without_a_registry_have_no_asset_class(catalog: ParquetCatalog) -> None:
    catalog.write("quotes", AAA, quotes_frame([D0]))

    (entry,) = catalog.entries()

    assert (entry.data_type, entry.asset_class, entry.rows) == ("quotes", None, 1)


# ---- empty --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data_type", "columns"),
    [("bars", BAR_COLUMNS), ("quotes", QUOTE_COLUMNS), ("trades", TRADE_COLUMNS)],
)
def test_reading_an_instrument_without_data_gives_an_empty_result(
    catalog: ParquetCatalog, data_type: str, columns: list[str]
) -> None:
    catalog.write("bars", AAA, bars_frame([D0]))  # another instrument has data

    frame = catalog.read(data_type, BBB)  # type: ignore[arg-type]

    assert len(frame) == 0
    assert list(frame.columns) == columns
    assert frame["ts_event"].dtype == np.int64
    assert list(catalog.iter_frames(data_type, BBB)) == []  # type: ignore[arg-type]
    assert catalog.partitions(data_type, BBB) == []


def test_read_bars_without_data_is_empty(catalog: ParquetCatalog) -> None:
    bars = catalog.read_bars(AAA)

    assert len(bars) == 0
    assert bars.instrument_id == AAA
    assert bars.ts.dtype == np.int64
    assert catalog.entries() == []
    assert catalog.instruments() == {}


def test_partition_files_are_readable_like_ordinary_files(tmp_path) -> None:
    catalog = ParquetCatalog(tmp_path / "catalog")
    frame = pd.DataFrame(
        {
            "ts_event": [10**18],
            "open": [1.0],
            "high": [1.0],
            "low": [1.0],
            "close": [1.0],
            "volume": [0.0],
        }
    )
    catalog.write("bars", "AAA.SIM", frame)
    path = catalog.partitions("bars", "AAA.SIM")[0]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
