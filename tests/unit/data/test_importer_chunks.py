"""Tests of the importer's streaming: checks that carry across chunk boundaries, whole days
written however many chunks they span, nothing written when a late chunk has a bad row, and
results that do not depend on the chunk size."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from midfreq.core.errors import DataError
from midfreq.data.bars import BarArrays
from midfreq.data.catalog import ParquetCatalog
from midfreq.data.importer import import_file
from midfreq.data.loaders import write_bars_csv, write_bars_parquet
from midfreq.model.identifiers import InstrumentId

AAA = InstrumentId("AAA.SIM")
SECOND = 10**9
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
BARS = "timestamp,open,high,low,close,volume"
QUOTES = "timestamp,bid_price,ask_price,bid_size,ask_size"
TRADES = "timestamp,price,size"
DUPLICATE = "time: expected a new timestamp, was a duplicate"
OUT_OF_ORDER = "time: expected timestamps in order, was earlier than a previous row"
EXACT_DUPLICATE = "row: expected a new row, was an exact duplicate"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()) * SECOND


T0 = utc(2024, 1, 2, 14, 30)


@pytest.fixture
def catalog(tmp_path: Path) -> ParquetCatalog:
    return ParquetCatalog(tmp_path / "catalog")


def iso(ts: int) -> str:
    return pd.Timestamp(ts, tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def bar_rows(times: list[int], volume: int = 100) -> list[str]:
    return [f"{iso(t)},10,11,9,10.5,{volume + i}" for i, t in enumerate(times)]


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def rejects_of(path: str | None) -> list[tuple[int, str]]:
    assert path is not None
    frame = pd.read_csv(path)
    return list(zip(frame["row"].tolist(), frame["problem"].tolist(), strict=True))


# ---- order checks across chunk boundaries --------------------------------------------------


@pytest.mark.parametrize(
    ("times", "problem"),
    [
        ([T0, T0 + MINUTE, T0 + MINUTE, T0 + 2 * MINUTE], DUPLICATE),
        ([T0, T0 + 2 * MINUTE, T0 + MINUTE, T0 + 3 * MINUTE], OUT_OF_ORDER),
    ],
    ids=["duplicate", "out-of-order"],
)
def test_a_bar_repeating_or_preceding_the_last_row_of_the_previous_chunk_is_bad(
    tmp_path: Path, catalog: ParquetCatalog, times: list[int], problem: str
) -> None:
    # Chunks of two rows: row 2 opens the second chunk and clashes with row 1, the last of the
    # first chunk.
    path = write_csv(tmp_path / "bars.csv", BARS, bar_rows(times))

    with pytest.raises(DataError) as caught:
        import_file(catalog, path, AAA, chunk_rows=2)
    report = import_file(catalog, path, AAA, chunk_rows=2, on_error="skip")

    assert str(caught.value).startswith(f"{path}: row 2 (line 4): {problem}; 1 of 4 rows")
    assert rejects_of(report.rejects_path) == [(2, problem)]
    assert catalog.read("bars", AAA)["ts_event"].tolist() == [times[0], times[1], times[3]]


def test_the_running_latest_time_spans_many_chunks(tmp_path: Path, catalog: ParquetCatalog) -> None:
    # Row 1 sets the latest time; rows 2..5 (one per chunk) are all earlier than it.
    times = [T0, T0 + 10 * MINUTE, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE, T0 + 11 * MINUTE]
    path = write_csv(tmp_path / "bars.csv", BARS, bar_rows(times))

    report = import_file(catalog, path, AAA, chunk_rows=1, on_error="skip")

    assert rejects_of(report.rejects_path) == [(i, OUT_OF_ORDER) for i in (2, 3, 4)]
    assert (report.first_ts, report.last_ts) == (T0, T0 + 11 * MINUTE)


def test_a_quote_repeating_one_accepted_chunks_earlier_at_the_same_time_is_a_duplicate(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    t = iso(T0)
    rows = [
        f"{t},10,10.1,5,6",  # 0
        f"{t},10,10.1,5,7",  # 1 another ask size
        f"{t},10,10.1,5,8",  # 2
        f"{t},10,10.1,5,6",  # 3 row 0 again, three chunks later
        f"{t},10,10.1,5,7",  # 4 row 1 again
        f"{iso(T0 + SECOND)},10,10.1,5,6",  # 5 a new time: no longer a duplicate
    ]
    path = write_csv(tmp_path / "quotes.csv", QUOTES, rows)

    report = import_file(catalog, path, AAA, data_type="quotes", chunk_rows=1, on_error="skip")

    assert rejects_of(report.rejects_path) == [(3, EXACT_DUPLICATE), (4, EXACT_DUPLICATE)]
    assert catalog.read("quotes", AAA)["ask_size"].tolist() == [6.0, 7.0, 8.0, 6.0]


def test_trade_ids_given_to_trades_without_them_count_on_across_chunks(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    rows = [f"{iso(T0 + i * SECOND)},10,{i + 1}" for i in range(5)]
    rows.insert(2, f"{iso(T0)},10,0")  # a bad row (size 0) is not numbered
    path = write_csv(tmp_path / "trades.csv", TRADES, rows)

    import_file(catalog, path, AAA, data_type="trades", chunk_rows=2, on_error="skip")

    frame = catalog.read("trades", AAA)
    assert frame["trade_id"].tolist() == ["0", "1", "2", "3", "4"]
    assert frame["size"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


# ---- whole days ------------------------------------------------------------------------------


def day_times(day: int, count: int, start_hour: int = 14) -> list[int]:
    return [utc(2024, 1, day, start_hour) + i * MINUTE for i in range(count)]


def test_a_day_spanning_several_chunks_is_written_whole(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    times = day_times(2, 7) + day_times(3, 5)
    path = write_csv(tmp_path / "bars.csv", BARS, bar_rows(times))

    report = import_file(catalog, path, AAA, chunk_rows=3)

    assert report.rows_written == 12
    assert [p.stem for p in catalog.partitions("bars", AAA)] == ["2024-01-02", "2024-01-03"]
    assert catalog.read("bars", AAA)["ts_event"].tolist() == times


def test_overwrite_replaces_a_day_with_all_of_its_rows_from_every_chunk(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    stored = day_times(2, 4, start_hour=10) + day_times(3, 2)
    import_file(catalog, write_csv(tmp_path / "old.csv", BARS, bar_rows(stored)), AAA)
    # The new file's Jan 2 spans chunks 1..3 (chunks of 2 rows); Jan 3 is not in it.
    new = day_times(2, 5)
    path = write_csv(tmp_path / "new.csv", BARS, bar_rows(new, volume=500))

    report = import_file(catalog, path, AAA, chunk_rows=2, mode="overwrite")

    assert report.rows_written == 5
    frame = catalog.read("bars", AAA)
    assert frame["ts_event"].tolist() == new + stored[4:]
    assert frame["volume"].tolist() == [500.0, 501.0, 502.0, 503.0, 504.0, 104.0, 105.0]


def test_append_merges_each_day_once(tmp_path: Path, catalog: ParquetCatalog) -> None:
    first = day_times(2, 3)
    import_file(catalog, write_csv(tmp_path / "a.csv", BARS, bar_rows(first)), AAA)
    later = [t + 30 * MINUTE for t in day_times(2, 4)] + day_times(3, 3)
    path = write_csv(tmp_path / "b.csv", BARS, bar_rows(later))

    import_file(catalog, path, AAA, chunk_rows=2)

    assert catalog.read("bars", AAA)["ts_event"].tolist() == first + later


def test_an_append_clashing_on_a_later_day_writes_no_day_at_all(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    import_file(catalog, write_csv(tmp_path / "a.csv", BARS, bar_rows(day_times(5, 2))), AAA)
    before = {p.name: p.read_bytes() for p in catalog.partitions("bars", AAA)}
    # Jan 2..4 are new; Jan 5 repeats a stored bar.
    times = day_times(2, 2) + day_times(3, 2) + day_times(4, 2) + day_times(5, 1)
    path = write_csv(tmp_path / "b.csv", BARS, bar_rows(times))

    with pytest.raises(DataError, match="2024-01-05T14:00:00\\+00:00 already stored"):
        import_file(catalog, path, AAA, chunk_rows=2)

    assert {p.name: p.read_bytes() for p in catalog.partitions("bars", AAA)} == before


# ---- stop writes nothing; skip's rejects file --------------------------------------------------


def test_stop_writes_nothing_when_the_only_bad_row_is_in_the_last_chunk(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    import_file(catalog, write_csv(tmp_path / "a.csv", BARS, bar_rows(day_times(2, 2))), AAA)
    before = sorted(
        (str(p.relative_to(catalog.root)), p.read_bytes())
        for p in catalog.root.rglob("*")
        if p.is_file()
    )
    rows = bar_rows(day_times(3, 4) + day_times(4, 4))
    rows.append(f"{iso(utc(2024, 1, 5))},10,11,9,12,1")  # close above high, in chunk 3
    path = write_csv(tmp_path / "b.csv", BARS, rows)

    with pytest.raises(DataError, match=r"row 8 \(line 10\): close: expected low <= close"):
        import_file(catalog, path, AAA, chunk_rows=4)

    after = sorted(
        (str(p.relative_to(catalog.root)), p.read_bytes())
        for p in catalog.root.rglob("*")
        if p.is_file()
    )
    assert after == before  # no new day, no staging left behind
    assert not path.with_name("b.csv.rejects.csv").exists()


def test_stop_on_a_new_catalog_leaves_no_catalog_folder(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    rows = [*bar_rows(day_times(2, 5)), "later,10,11,9,10,1"]
    path = write_csv(tmp_path / "bars.csv", BARS, rows)

    with pytest.raises(DataError, match="row 5"):
        import_file(catalog, path, AAA, chunk_rows=2)

    assert not catalog.root.exists()


def test_skip_writes_every_chunks_bad_rows_to_one_rejects_file_with_their_own_text(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    rows = [
        "2024-01-02T14:30:00Z,10,11,9,10.5,1",  # 0
        "2024-01-02T14:31:00Z,ten,11,9,10.5,2",  # 1 chunk 1
        "2024-01-02T14:32:00Z,10,11,9,10.5,3",  # 2
        " 2024-01-02T14:32:00Z,10,11,9,10.5,4",  # 3 chunk 2: duplicate of row 2
        "2024-01-02T14:33:00Z,10,11,9,10.5,5",  # 4
        "2024-01-02T14:34:00Z,10,11,9,10.5,6",  # 5 chunk 3
        "not a time,10,11,9,10.5,7",  # 6
        "2024-01-02T14:35:00Z,10,11,9,10.5,8",  # 7 chunk 4
    ]
    path = write_csv(tmp_path / "bars.csv", BARS, rows)

    report = import_file(catalog, path, AAA, chunk_rows=2, on_error="skip")

    text = Path(report.rejects_path or "").read_text().splitlines()
    assert text == [
        "row,problem,timestamp,open,high,low,close,volume",
        '1,"open: expected a number, was NaN or infinite",2024-01-02T14:31:00Z,ten,11,9,10.5,2',
        f'3,"{DUPLICATE}",2024-01-02T14:32:00Z,10,11,9,10.5,4',
        "6,time 'timestamp': expected a readable timestamp,not a time,10,11,9,10.5,7",
    ]
    assert (report.rows_read, report.rows_written, report.rows_rejected) == (8, 5, 3)


def test_a_refused_append_leaves_no_rejects_file(tmp_path: Path, catalog: ParquetCatalog) -> None:
    import_file(catalog, write_csv(tmp_path / "a.csv", BARS, bar_rows(day_times(2, 2))), AAA)
    rows = [*bar_rows(day_times(2, 2)), "bad,1,1,1,1,1"]
    path = write_csv(tmp_path / "b.csv", BARS, rows)

    with pytest.raises(DataError, match="already stored"):
        import_file(catalog, path, AAA, chunk_rows=1, on_error="skip")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv", "catalog"]


# ---- the chunk size changes nothing ----------------------------------------------------------

MESSY = [
    "2024-01-02T14:30:00Z,10,11,9,10.5,100",
    "2024-01-02T14:31:00Z,10,11,9,10.5,-5",
    "2024-01-02T14:31:00Z,10,11,9,10.5,5",
    "2024-01-02T14:31:00Z,10,11,9,10.5,6",
    "garbage,10,11,9,10.5,6",
    "2024-01-02T23:59:00Z,10,11,9,10.5,6",
    "2024-01-02T14:33:00Z,10,11,9,10.5,6",
    "2024-01-03T00:00:00Z,10,9,11,10,6",
    "2024-01-03T00:01:00Z,0,11,9,10,6",
    "2024-01-03T00:02:00Z,10,11,9,10,",
    "2024-01-03T00:03:00Z,10.25,11,9,10,7",
    "2024-01-03T00:03:00Z,10.25,11,9,10,7",
    "2024-01-04T09:00:00Z,10.5,11,9,10,8",
]


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 5, 12, 100])
def test_results_do_not_depend_on_the_chunk_size(
    tmp_path: Path, catalog: ParquetCatalog, chunk_rows: int
) -> None:
    path = write_csv(tmp_path / "bars.csv", BARS, MESSY)

    report = import_file(catalog, path, AAA, chunk_rows=chunk_rows, on_error="skip")

    assert rejects_of(report.rejects_path) == [
        (1, "volume: expected a number >= 0"),
        (3, DUPLICATE),
        (4, "time 'timestamp': expected a readable timestamp"),
        (6, OUT_OF_ORDER),
        (7, "high: expected high >= low"),
        (8, "open: expected a price > 0"),
        (9, "volume: expected a number >= 0"),
        (11, DUPLICATE),
    ]
    bars = catalog.read_bars(AAA)
    assert bars.ts.tolist() == [
        utc(2024, 1, 2, 14, 30),
        utc(2024, 1, 2, 14, 31),
        utc(2024, 1, 2, 23, 59),
        utc(2024, 1, 3, 0, 3),
        utc(2024, 1, 4, 9),
    ]
    assert bars.volume.tolist() == [100.0, 5.0, 6.0, 7.0, 8.0]
    assert len(catalog.partitions("bars", AAA)) == 3


# ---- round trips ------------------------------------------------------------------------------


def random_bars(count: int, seed: int) -> BarArrays:
    rng = np.random.default_rng(seed)
    # Irregular times over several days, to the nanosecond, and prices with full float bits.
    ts = utc(2024, 1, 2) + np.cumsum(rng.integers(1, 3 * HOUR, count))
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, count)))
    open_ = close * np.exp(rng.normal(0, 0.002, count))
    high = np.maximum(open_, close) * (1 + rng.random(count) / 100)
    low = np.minimum(open_, close) * (1 - rng.random(count) / 100)
    volume = rng.random(count) * 1e6
    return BarArrays(AAA, ts, open_, high, low, close, volume)


@pytest.mark.parametrize("suffix", ["csv", "csv.gz", "parquet"])
@pytest.mark.parametrize("chunk_rows", [7, 1000])
def test_a_file_round_trips_through_the_catalog_exactly(
    tmp_path: Path, catalog: ParquetCatalog, suffix: str, chunk_rows: int
) -> None:
    bars = random_bars(400, seed=11)
    path = tmp_path / f"bars.{suffix}"
    if suffix == "parquet":
        write_bars_parquet(bars, path)
    elif suffix == "csv":
        write_bars_csv(bars, path)
    else:
        plain = tmp_path / "plain.csv"
        write_bars_csv(bars, plain)
        pd.read_csv(plain, dtype=str).to_csv(path, index=False, compression="gzip")

    report = import_file(catalog, path, AAA, chunk_rows=chunk_rows)

    assert (report.rows_read, report.rows_written, report.rows_rejected) == (400, 400, 0)
    stored = catalog.read_bars(AAA)
    for name in ("ts", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(stored, name), getattr(bars, name), err_msg=name)
    assert len(catalog.partitions("bars", AAA)) > 2
    assert (report.first_ts, report.last_ts) == (int(bars.ts[0]), int(bars.ts[-1]))


# ---- times across chunks ----------------------------------------------------------------------


def test_compact_dates_stay_dates_when_a_row_has_no_time(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    rows = ["20240102,10,11,9,10.5,1", ",10,11,9,10.5,2", "20240103,10,11,9,10.5,3"]
    path = write_csv(tmp_path / "daily.csv", BARS, rows)

    report = import_file(catalog, path, AAA, tz="America/New_York", on_error="skip")

    assert rejects_of(report.rejects_path) == [
        (1, "time 'timestamp': expected a readable timestamp")
    ]
    # Midnight in New York is 05:00 UTC in January (not 1970: the numbers are dates).
    assert catalog.read("bars", AAA)["ts_event"].tolist() == [
        utc(2024, 1, 2, 5),
        utc(2024, 1, 3, 5),
    ]


def test_epoch_nanoseconds_stay_exact_in_a_chunk_with_a_blank_time(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    times = [str(T0 + 1), str(T0 + 2), "", str(T0 + 123_456_789)]
    rows = [f"{t},10,11,9,10.5,{i}" for i, t in enumerate(times)]
    path = write_csv(tmp_path / "bars.csv", BARS, rows)

    import_file(catalog, path, AAA, chunk_rows=2, on_error="skip")

    assert catalog.read("bars", AAA)["ts_event"].tolist() == [T0 + 1, T0 + 2, T0 + 123_456_789]


def test_parquet_row_groups_and_batches_are_read_in_order_with_exact_times(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    times: list[int | None] = [T0 + 123_456_789 * i + 1 for i in range(10)]
    times[4] = None  # in the second row group
    path = tmp_path / "quotes.parquet"
    table = pa.table(
        {
            "ts_event": pa.array(times, pa.int64()),
            "bid": [10.0 + i for i in range(10)],
            "ask": [10.5 + i for i in range(10)],
        }
    )
    pq.write_table(table, path, row_group_size=3)
    assert pq.ParquetFile(path).num_row_groups == 4

    report = import_file(catalog, path, AAA, data_type="quotes", chunk_rows=2, on_error="skip")

    assert rejects_of(report.rejects_path) == [
        (4, "time 'ts_event': expected a readable timestamp")
    ]
    frame = catalog.read("quotes", AAA)
    assert frame["ts_event"].tolist() == [t for t in times if t is not None]
    assert frame["bid_price"].tolist() == [10.0 + i for i in range(10) if i != 4]
