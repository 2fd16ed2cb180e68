"""Tests of importing vendor files into the catalog: every bad row reported or rejected with its
problem, timestamp forms and time zones, column aliases, and trade aggressor names."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from midfreq.core.errors import ConfigError, DataError
from midfreq.data.catalog import ParquetCatalog
from midfreq.data.importer import import_file
from midfreq.model.identifiers import InstrumentId

AAA = InstrumentId("AAA.SIM")
SECOND = 10**9
MINUTE = 60 * SECOND


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """UTC nanoseconds of a calendar time, via the standard library."""
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()) * SECOND


T0 = utc(2024, 1, 2, 14, 30)


@pytest.fixture
def catalog(tmp_path: Path) -> ParquetCatalog:
    return ParquetCatalog(tmp_path / "catalog")


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


BARS = "timestamp,open,high,low,close,volume"
QUOTES = "timestamp,bid_price,ask_price,bid_size,ask_size"
TRADES = "timestamp,price,size,aggressor_side,trade_id"

# (data type, header, good first row, bad second row, good third row, problem of the bad row)
GOOD = {
    "bars": ("2024-01-02T14:30:00Z,10,11,9,10.5,100", "2024-01-02T14:32:00Z,10,11,9,10.5,100"),
    "quotes": ("2024-01-02T14:30:00Z,10,10.1,5,6", "2024-01-02T14:32:00Z,10,10.1,5,6"),
    "trades": ("2024-01-02T14:30:00Z,10,5,buy,a", "2024-01-02T14:32:00Z,10,5,sell,c"),
}
HEADERS = {"bars": BARS, "quotes": QUOTES, "trades": TRADES}
UNREADABLE = "time 'timestamp': expected a readable timestamp"
OUT_OF_ORDER = "time: expected timestamps in order, was earlier than a previous row"
EXACT_DUPLICATE = "row: expected a new row, was an exact duplicate"
CROSSED = "bid_price: expected bid < ask (crossed or locked quote)"

PROBLEMS = [
    ("bars", "not a time,10,11,9,10.5,100", UNREADABLE),
    ("bars", ",10,11,9,10.5,100", UNREADABLE),
    ("bars", "2024-01-02T25:61:00Z,10,11,9,10.5,100", UNREADABLE),
    (
        "bars",
        "2024-01-02T14:31:00Z,nan,11,9,10.5,100",
        "open: expected a number, was NaN or infinite",
    ),
    ("bars", "2024-01-02T14:31:00Z,10,11,9,,100", "close: expected a number, was NaN or infinite"),
    (
        "bars",
        "2024-01-02T14:31:00Z,10,inf,9,10.5,100",
        "high: expected a number, was NaN or infinite",
    ),
    (
        "bars",
        "2024-01-02T14:31:00Z,ten,11,9,10.5,100",
        "open: expected a number, was NaN or infinite",
    ),
    ("bars", "2024-01-02T14:31:00Z,10,11,0,10.5,100", "low: expected a price > 0"),
    ("bars", "2024-01-02T14:31:00Z,10,11,9,-10.5,100", "close: expected a price > 0"),
    ("bars", "2024-01-02T14:31:00Z,10,11,9,10.5,-1", "volume: expected a number >= 0"),
    ("bars", "2024-01-02T14:31:00Z,10,9,11,10,100", "high: expected high >= low"),
    ("bars", "2024-01-02T14:31:00Z,12,11,9,10.5,100", "open: expected low <= open <= high"),
    ("bars", "2024-01-02T14:31:00Z,8,11,9,10.5,100", "open: expected low <= open <= high"),
    ("bars", "2024-01-02T14:31:00Z,10,11,9,11.5,100", "close: expected low <= close <= high"),
    ("bars", "2024-01-02T14:31:00Z,10,11,9,8.5,100", "close: expected low <= close <= high"),
    (
        "bars",
        "2024-01-02T14:30:00Z,10,11,9,10.25,100",
        "time: expected a new timestamp, was a duplicate",
    ),
    ("bars", "2024-01-02T14:29:00Z,10,11,9,10.5,100", OUT_OF_ORDER),
    ("quotes", "2024-01-02T14:31:00Z,10.2,10.1,5,6", CROSSED),
    ("quotes", "2024-01-02T14:31:00Z,10.1,10.1,5,6", CROSSED),
    ("quotes", "2024-01-02T14:31:00Z,0,10.1,5,6", "bid_price: expected a price > 0"),
    ("quotes", "2024-01-02T14:31:00Z,10,,5,6", "ask_price: expected a number, was NaN or infinite"),
    ("quotes", "2024-01-02T14:31:00Z,10,10.1,-5,6", "bid_size: expected a number >= 0"),
    ("quotes", "2024-01-02T14:30:00Z,10,10.1,5,6", EXACT_DUPLICATE),
    ("quotes", "2024-01-02T14:29:59Z,10,10.1,5,6", OUT_OF_ORDER),
    ("quotes", "yesterday,10,10.1,5,6", UNREADABLE),
    ("trades", "2024-01-02T14:31:00Z,10,0,buy,b", "size: expected a number > 0"),
    ("trades", "2024-01-02T14:31:00Z,10,-3,buy,b", "size: expected a number > 0"),
    ("trades", "2024-01-02T14:31:00Z,-10,3,buy,b", "price: expected a price > 0"),
    ("trades", "2024-01-02T14:31:00Z,nan,3,buy,b", "price: expected a number, was NaN or infinite"),
    ("trades", "2024-01-02T14:30:00Z,10,5,buy,a", EXACT_DUPLICATE),
    ("trades", "2024-01-02T14:29:00Z,10,5,buy,b", OUT_OF_ORDER),
    ("trades", "14:31,10,5,buy,b", UNREADABLE),
]
PROBLEM_IDS = [
    f"{kind}-{problem.split(':')[0]}-{i}" for i, (kind, _, problem) in enumerate(PROBLEMS)
]


def problem_file(tmp_path: Path, data_type: str, bad_row: str) -> Path:
    first, last = GOOD[data_type]
    return write_csv(tmp_path / f"{data_type}.csv", HEADERS[data_type], [first, bad_row, last])


@pytest.mark.parametrize(("data_type", "bad_row", "problem"), PROBLEMS, ids=PROBLEM_IDS)
def test_stop_reports_the_file_row_line_and_problem_and_writes_nothing(
    tmp_path: Path, catalog: ParquetCatalog, data_type: str, bad_row: str, problem: str
) -> None:
    path = problem_file(tmp_path, data_type, bad_row)

    with pytest.raises(DataError) as caught:
        import_file(catalog, path, AAA, data_type=data_type, on_error="stop")  # type: ignore[arg-type]

    message = str(caught.value)
    assert message.startswith(f"{path}: row 1 (line 3): {problem}; 1 of 3 rows have problems")
    assert "nothing imported" in message
    assert not catalog.root.exists()
    assert catalog.entries() == []
    assert not path.with_name(path.name + ".rejects.csv").exists()


@pytest.mark.parametrize(("data_type", "bad_row", "problem"), PROBLEMS, ids=PROBLEM_IDS)
def test_skip_writes_the_good_rows_and_rejects_the_bad_one(
    tmp_path: Path, catalog: ParquetCatalog, data_type: str, bad_row: str, problem: str
) -> None:
    path = problem_file(tmp_path, data_type, bad_row)

    report = import_file(catalog, path, AAA, data_type=data_type, on_error="skip")  # type: ignore[arg-type]

    assert (report.rows_read, report.rows_written, report.rows_rejected) == (3, 2, 1)
    assert catalog.read(data_type, AAA)["ts_event"].tolist() == [T0, T0 + 2 * MINUTE]  # type: ignore[arg-type]
    assert report.rejects_path == str(path.with_name(path.name + ".rejects.csv"))
    rejects = pd.read_csv(report.rejects_path, dtype=str, keep_default_na=False)
    assert list(rejects.columns) == ["row", "problem", *HEADERS[data_type].split(",")]
    assert rejects["row"].tolist() == ["1"]
    assert rejects["problem"].tolist() == [problem]
    assert rejects["timestamp"].tolist() == [bad_row.split(",")[0]]  # the row's own time text


def test_skip_accounts_for_every_row_of_a_file_with_many_problems(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    rows = [
        "2024-01-02T14:30:00Z,10,11,9,10.5,100",  # 0 good
        "2024-01-02T14:31:00Z,10,11,9,10.5,-5",  # 1 negative volume
        "2024-01-02T14:31:00Z,10,11,9,10.5,5",  # 2 good (row 1 was rejected, so not a duplicate)
        "2024-01-02T14:31:00Z,10,11,9,10.5,6",  # 3 duplicate of row 2
        "garbage,10,11,9,10.5,6",  # 4 unreadable time
        "2024-01-02T14:35:00Z,10,11,9,10.5,6",  # 5 good
        "2024-01-02T14:33:00Z,10,11,9,10.5,6",  # 6 earlier than row 5
        "2024-01-02T14:36:00Z,10,9,11,10,6",  # 7 high < low
        "2024-01-02T14:37:00Z,0,11,9,10,6",  # 8 open not > 0
        "2024-01-02T14:38:00Z,10,11,9,10,",  # 9 volume missing
        "2024-01-02T14:39:00Z,10.25,11,9,10,7",  # 10 good
    ]
    path = write_csv(tmp_path / "many.csv", BARS, rows)
    rejects_path = tmp_path / "elsewhere" / "rejected.csv"
    rejects_path.parent.mkdir()

    report = import_file(catalog, path, AAA, on_error="skip", rejects_path=rejects_path)

    assert report.rows_read == len(rows) == report.rows_written + report.rows_rejected
    assert (report.rows_written, report.rows_rejected) == (4, 7)
    assert report.rejects_path == str(rejects_path)
    rejects = pd.read_csv(rejects_path)
    assert rejects["row"].tolist() == [1, 3, 4, 6, 7, 8, 9]
    assert rejects["problem"].tolist() == [
        "volume: expected a number >= 0",
        "time: expected a new timestamp, was a duplicate",
        UNREADABLE,
        OUT_OF_ORDER,
        "high: expected high >= low",
        "open: expected a price > 0",
        "volume: expected a number >= 0",
    ]
    bars = catalog.read_bars(AAA)
    assert bars.ts.tolist() == [T0, T0 + MINUTE, T0 + 5 * MINUTE, T0 + 9 * MINUTE]
    assert bars.volume.tolist() == [100.0, 5.0, 6.0, 7.0]
    assert bars.open.tolist() == [10.0, 10.0, 10.0, 10.25]
    assert (report.first_ts, report.last_ts) == (T0, T0 + 9 * MINUTE)


def test_stop_names_the_first_bad_row_and_counts_them_all(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    rows = [
        "2024-01-02T14:30:00Z,10,11,9,10.5,100",
        "2024-01-02T14:31:00Z,10,11,9,10.5,100",
        "2024-01-02T14:32:00Z,10,11,9,12,100",
        "2024-01-02T14:33:00Z,10,11,9,10.5,100",
        "2024-01-02T14:32:00Z,10,11,9,10.5,100",
    ]
    path = write_csv(tmp_path / "two_bad.csv", BARS, rows)

    with pytest.raises(DataError) as caught:
        import_file(catalog, path, AAA)

    assert str(caught.value).startswith(
        f"{path}: row 2 (line 4): close: expected low <= close <= high; 2 of 5 rows have problems"
    )
    assert not catalog.root.exists()


def test_parquet_rows_are_named_without_a_csv_line(tmp_path: Path, catalog: ParquetCatalog) -> None:
    path = tmp_path / "bars.parquet"
    pq.write_table(
        pa.table(
            {
                "ts_event": pa.array([T0, T0 + MINUTE, T0 + 2 * MINUTE], pa.int64()),
                "open": [10.0, 10.0, 10.0],
                "high": [11.0, 11.0, 11.0],
                "low": [9.0, 9.0, 9.0],
                "close": [10.5, 10.5, -1.0],
                "volume": [1.0, 2.0, 3.0],
            }
        ),
        path,
    )

    with pytest.raises(
        DataError, match=r"bars\.parquet: row 2 \(Parquet\): close: expected a price"
    ):
        import_file(catalog, path, AAA)

    assert not catalog.root.exists()


def test_importing_stored_bars_again_is_refused_unless_overwriting(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    path = write_csv(tmp_path / "bars.csv", BARS, list(GOOD["bars"]))
    import_file(catalog, path, AAA)
    stored = catalog.partitions("bars", AAA)[0].read_bytes()

    with pytest.raises(DataError, match="already stored"):
        import_file(catalog, path, AAA)
    assert catalog.partitions("bars", AAA)[0].read_bytes() == stored

    report = import_file(catalog, path, AAA, mode="overwrite")
    assert report.rows_written == 2
    assert catalog.read("bars", AAA)["ts_event"].tolist() == [T0, T0 + 2 * MINUTE]


def test_report_and_registry_describe_the_import(tmp_path: Path, catalog: ParquetCatalog) -> None:
    path = write_csv(tmp_path / "bars.csv", BARS, list(GOOD["bars"]))

    report = import_file(catalog, path, AAA, asset_class="crypto")

    assert report.path == str(path)
    assert report.instrument_id == "AAA.SIM"
    assert report.data_type == "bars"
    assert (report.rows_read, report.rows_written, report.rows_rejected) == (2, 2, 0)
    assert report.rejects_path is None
    assert (report.first_ts, report.last_ts) == (T0, T0 + 2 * MINUTE)
    assert catalog.instruments() == {"AAA.SIM": {"asset_class": "crypto"}}
    assert not path.with_name("bars.csv.rejects.csv").exists()


# ---- timestamps ---------------------------------------------------------------------------


def close_rows(times: list[str]) -> list[str]:
    return [f"{t},10,11,9,10.5,{i}" for i, t in enumerate(times)]


@pytest.mark.parametrize(
    ("times", "tz", "expected"),
    [
        (
            # Spring forward 2024-03-10: 01:59 EST (UTC-5), then 03:00 EDT (UTC-4).
            ["2024-03-10 01:00:00", "2024-03-10 01:59:00", "2024-03-10 03:00:00"],
            "America/New_York",
            [utc(2024, 3, 10, 6), utc(2024, 3, 10, 6, 59), utc(2024, 3, 10, 7)],
        ),
        (
            # Fall back 2024-11-03: 00:59 EDT (UTC-4), then 02:00 EST (UTC-5).
            ["2024-11-02 16:00", "2024-11-03 00:59", "2024-11-03 02:00", "2024-11-04 16:00"],
            "America/New_York",
            [
                utc(2024, 11, 2, 20),
                utc(2024, 11, 3, 4, 59),
                utc(2024, 11, 3, 7),
                utc(2024, 11, 4, 21),
            ],
        ),
        (
            # Offsets win over tz; several offsets in one column.
            [
                "2024-01-02T09:30:00-05:00",
                "2024-01-02T15:31:00+01:00",
                "2024-01-02T14:32:00Z",
                "2024-01-02T23:33:00.000000001+09:00",
            ],
            "Asia/Tokyo",
            [T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE + 1],
        ),
        (
            ["2024-01-02T09:30:00", "2024-01-02 09:31:00", "2024-01-02T09:32:00.5"],
            "America/New_York",
            [T0, T0 + MINUTE, T0 + 2 * MINUTE + SECOND // 2],
        ),
        (
            [str(T0 // SECOND + 60 * i) for i in range(3)],
            "America/New_York",
            [T0, T0 + MINUTE, T0 + 2 * MINUTE],
        ),
        (
            [str(T0 // 10**6 + 60_001 * i) for i in range(3)],
            "UTC",
            [T0, T0 + 60_001 * 10**6, T0 + 120_002 * 10**6],
        ),
        ([str(T0 // 10**3 + 7 * i) for i in range(3)], "UTC", [T0, T0 + 7_000, T0 + 14_000]),
        (
            [str(T0 + 123_456_789 * i) for i in range(3)],
            "UTC",
            [T0, T0 + 123_456_789, T0 + 246_913_578],
        ),
        (
            ["1704205800.5", "1704205860", "1704205920.25"],
            "UTC",
            [T0 + SECOND // 2, T0 + MINUTE, T0 + 2 * MINUTE + SECOND // 4],
        ),
    ],
    ids=[
        "dst-spring",
        "dst-fall",
        "iso-offsets",
        "naive-local",
        "epoch-s",
        "epoch-ms",
        "epoch-us",
        "epoch-ns",
        "epoch-float-s",
    ],
)
def test_timestamps_of_each_form_become_utc_nanoseconds(
    tmp_path: Path, catalog: ParquetCatalog, times: list[str], tz: str, expected: list[int]
) -> None:
    path = write_csv(tmp_path / "bars.csv", BARS, close_rows(times))

    report = import_file(catalog, path, AAA, tz=tz)

    assert report.rows_rejected == 0
    assert catalog.read("bars", AAA)["ts_event"].tolist() == expected


def test_local_times_skipped_or_repeated_by_dst_are_rejected(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    times = [
        "2024-03-10 01:30",  # EST
        "2024-03-10 02:30",  # does not exist in New York
        "2024-03-10 03:30",  # EDT
        "2024-11-03 01:30",  # happens twice in New York
        "2024-11-03 02:30",  # EST
    ]
    path = write_csv(tmp_path / "bars.csv", BARS, close_rows(times))

    with pytest.raises(DataError, match=r"row 1 \(line 3\): time 'timestamp'.*2 of 5 rows"):
        import_file(catalog, path, AAA, tz="America/New_York")
    report = import_file(catalog, path, AAA, tz="America/New_York", on_error="skip")

    assert pd.read_csv(report.rejects_path)["row"].tolist() == [1, 3]  # type: ignore[arg-type]
    assert catalog.read("bars", AAA)["ts_event"].tolist() == [
        utc(2024, 3, 10, 6, 30),
        utc(2024, 3, 10, 7, 30),
        utc(2024, 11, 3, 7, 30),
    ]


def test_epoch_nanoseconds_stay_exact_when_another_row_has_no_time(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    # A blank cell makes pandas read the column as float64, which cannot hold these values.
    times = [str(T0 + 123_456_789), "", str(T0 + MINUTE + 1)]
    path = write_csv(tmp_path / "bars.csv", BARS, close_rows(times))

    report = import_file(catalog, path, AAA, on_error="skip")

    assert report.rows_rejected == 1
    assert catalog.read("bars", AAA)["ts_event"].tolist() == [T0 + 123_456_789, T0 + MINUTE + 1]


def test_parquet_epoch_nanoseconds_stay_exact_when_a_time_is_null(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    path = tmp_path / "bars.parquet"
    pq.write_table(
        pa.table(
            {
                "ts_event": pa.array([T0 + 123_456_789, None, T0 + MINUTE + 1], pa.int64()),
                "open": [10.0] * 3,
                "high": [11.0] * 3,
                "low": [9.0] * 3,
                "close": [10.5] * 3,
            }
        ),
        path,
    )

    report = import_file(catalog, path, AAA, on_error="skip")

    assert (report.rows_written, report.rows_rejected) == (2, 1)
    assert catalog.read("bars", AAA)["ts_event"].tolist() == [T0 + 123_456_789, T0 + MINUTE + 1]


@pytest.mark.parametrize(
    ("column", "tz", "expected"),
    [
        (
            pa.array([T0, T0 + 1, T0 + MINUTE], pa.timestamp("ns", tz="UTC")),
            "UTC",
            [T0, T0 + 1, T0 + MINUTE],
        ),
        (
            # Naive datetimes are local in tz: 09:30 New York is 14:30 UTC in January.
            # (a naive wall time is stored as microseconds since 1970-01-01 00:00, no zone).
            pa.array(
                [utc(2024, 1, 2, 9, 30) // 1000 + k for k in (0, 1, 60 * 10**6)],
                pa.timestamp("us"),
            ),
            "America/New_York",
            [T0, T0 + 1000, T0 + MINUTE],
        ),
        (pa.array([T0, T0 + 1, T0 + MINUTE], pa.int64()), "UTC", [T0, T0 + 1, T0 + MINUTE]),
        (
            pa.array([T0 // SECOND + k for k in (0, 1, 60)], pa.int64()),
            "UTC",
            [T0, T0 + SECOND, T0 + MINUTE],
        ),
        (
            pa.array(["2024-01-02T14:30:00Z", "2024-01-02T14:30:01Z", "2024-01-02T14:31:00Z"]),
            "UTC",
            [T0, T0 + SECOND, T0 + MINUTE],
        ),
    ],
    ids=["timestamp-utc", "timestamp-naive", "int-ns", "int-s", "iso-strings"],
)
def test_parquet_input_times(
    tmp_path: Path, catalog: ParquetCatalog, column: pa.Array, tz: str, expected: list[int]
) -> None:
    path = tmp_path / "quotes.parquet"
    pq.write_table(
        pa.table(
            {
                "Time": column,
                "Bid": [10.0, 10.5, 11.0],
                "Ask": [10.1, 10.6, 11.1],
            }
        ),
        path,
    )

    report = import_file(catalog, path, AAA, data_type="quotes", tz=tz)

    frame = catalog.read("quotes", AAA)
    assert report.rows_written == 3
    assert frame["ts_event"].tolist() == expected
    assert frame["bid_price"].tolist() == [10.0, 10.5, 11.0]
    assert frame["bid_size"].tolist() == [0.0, 0.0, 0.0]  # sizes are optional


# ---- columns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("Date,Open,High,Low,Close,Adj Close,Volume", "{d},10,11,9,10.5,10.1,100"),
        ("timestamp,o,h,l,c,v", "{d},10,11,9,10.5,100"),
        ("Time,OPEN,HIGH,LOW,LAST,VOL", "{d},10,11,9,10.5,100"),
        ("ts , Open , High , Low , Close , Volume", "{d},10,11,9,10.5,100"),
    ],
    ids=["yahoo", "short", "upper-last", "padded"],
)
def test_bar_column_aliases_of_common_layouts(
    tmp_path: Path, catalog: ParquetCatalog, header: str, row: str
) -> None:
    path = write_csv(
        tmp_path / "bars.csv", header, [row.format(d=d) for d in ("2024-01-02", "2024-01-03")]
    )

    import_file(catalog, path, AAA, tz="America/New_York")

    frame = catalog.read("bars", AAA)
    assert frame["ts_event"].tolist() == [utc(2024, 1, 2, 5), utc(2024, 1, 3, 5)]
    assert frame["close"].tolist() == [10.5, 10.5]  # Close, not Adj Close
    assert frame["volume"].tolist() == [100.0, 100.0]


def test_bars_without_volume_get_zero_volume(tmp_path: Path, catalog: ParquetCatalog) -> None:
    path = write_csv(
        tmp_path / "bars.csv", "time,open,high,low,close", ["2024-01-02T14:30Z,1,2,1,2"]
    )

    import_file(catalog, path, AAA)

    assert catalog.read("bars", AAA)["volume"].tolist() == [0.0]


@pytest.mark.parametrize(
    ("header", "rows", "expected"),
    [
        (
            "time,bid,ask,bid_size,ask_size",
            ["2024-01-02T14:30:00Z,10,10.1,5,6"],
            [T0, 10.0, 10.1, 5.0, 6.0],
        ),
        ("ts,bp,ap,bs,as", ["2024-01-02T14:30:00Z,10,10.1,5,6"], [T0, 10.0, 10.1, 5.0, 6.0]),
        ("Timestamp,Bid,Offer", ["2024-01-02T14:30:00Z,10,10.1"], [T0, 10.0, 10.1, 0.0, 0.0]),
    ],
    ids=["named", "short", "offer-no-sizes"],
)
def test_quote_column_aliases(
    tmp_path: Path, catalog: ParquetCatalog, header: str, rows: list[str], expected: list[float]
) -> None:
    path = write_csv(tmp_path / "quotes.csv", header, rows)

    import_file(catalog, path, AAA, data_type="quotes")

    assert catalog.read("quotes", AAA).iloc[0].tolist() == expected


@pytest.mark.parametrize(
    ("header", "rows", "ids", "sides"),
    [
        (
            "time,px,qty,side,id",
            ["2024-01-02T14:30:00Z,10,5,buy,x1", "2024-01-02T14:30:00Z,10,6,sell,x2"],
            ["x1", "x2"],
            ["BUYER", "SELLER"],
        ),
        (
            "timestamp,price,size",
            ["2024-01-02T14:30:00Z,10,5", "2024-01-02T14:30:00Z,10,6"],
            ["0", "1"],
            ["NO_AGGRESSOR", "NO_AGGRESSOR"],
        ),
        (
            "Time,Trade_Price,Quantity,Taker_Side,Match_ID",
            ["2024-01-02T14:30:00Z,10,5,B,7", "2024-01-02T14:30:00Z,10,6,S,8"],
            ["7", "8"],
            ["BUYER", "SELLER"],
        ),
    ],
    ids=["short", "no-side-no-id", "exchange"],
)
def test_trade_column_aliases(
    tmp_path: Path,
    catalog: ParquetCatalog,
    header: str,
    rows: list[str],
    ids: list[str],
    sides: list[str],
) -> None:
    path = write_csv(tmp_path / "trades.csv", header, rows)

    import_file(catalog, path, AAA, data_type="trades")

    frame = catalog.read("trades", AAA)
    assert frame["size"].tolist() == [5.0, 6.0]
    assert frame["trade_id"].tolist() == ids
    assert frame["aggressor_side"].tolist() == sides


def test_explicit_columns_override_the_aliases(tmp_path: Path, catalog: ParquetCatalog) -> None:
    # "close" exists but is not the close; the mapping names the right columns.
    header = "When,Eroeffnung,Hoch,Tief,close,Schluss,Umsatz"
    path = write_csv(tmp_path / "bars.csv", header, ["2024-01-02T14:30:00Z,10,11,9,99,10.5,7"])
    columns = {
        "ts_event": "when",  # matched case-insensitively
        "open": "Eroeffnung",
        "high": "Hoch",
        "low": "Tief",
        "close": "Schluss",
        "volume": "Umsatz",
    }

    import_file(catalog, path, AAA, columns=columns)

    assert catalog.read("bars", AAA).iloc[0].tolist() == [T0, 10.0, 11.0, 9.0, 10.5, 7.0]


@pytest.mark.parametrize(
    ("data_type", "header", "missing"),
    [
        ("bars", "timestamp,open,high,close,volume", "['low']"),
        ("bars", "open,high,low,close", "['ts_event']"),
        ("quotes", "time,bid,bid_size", "['ask_price']"),
        ("trades", "time,side,id", "['price', 'size']"),
    ],
)
def test_missing_required_columns_are_named_with_the_columns_found(
    tmp_path: Path, catalog: ParquetCatalog, data_type: str, header: str, missing: str
) -> None:
    path = write_csv(tmp_path / "data.csv", header, [",".join("1" for _ in header.split(","))])

    with pytest.raises(DataError) as caught:
        import_file(catalog, path, AAA, data_type=data_type)  # type: ignore[arg-type]

    message = str(caught.value)
    assert message.startswith(f"{path}: missing required column(s) {missing}")
    assert f"found columns {header.split(',')}" in message
    assert not catalog.root.exists()


def test_explicit_column_absent_from_the_file_is_refused(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    path = write_csv(tmp_path / "bars.csv", BARS, [GOOD["bars"][0]])

    with pytest.raises(DataError) as caught:
        import_file(catalog, path, AAA, columns={"close": "Settle"})

    assert "'Settle' given for close not found" in str(caught.value)
    assert str(BARS.split(",")) in str(caught.value)


def test_unknown_field_in_columns_is_refused(tmp_path: Path, catalog: ParquetCatalog) -> None:
    path = write_csv(tmp_path / "bars.csv", BARS, [GOOD["bars"][0]])

    with pytest.raises(DataError, match=r"expected keys among .*was \['bid'\]"):
        import_file(catalog, path, AAA, columns={"bid": "open"})


def test_unknown_data_type_and_time_zone_are_refused(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    path = write_csv(tmp_path / "bars.csv", BARS, [GOOD["bars"][0]])

    with pytest.raises(DataError, match="expected one of bars, quotes, trades, was 'ticks'"):
        import_file(catalog, path, AAA, data_type="ticks")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        import_file(catalog, path, AAA, tz="Mars/Olympus")
    assert not catalog.root.exists()


def test_file_with_only_a_header_is_refused(tmp_path: Path, catalog: ParquetCatalog) -> None:
    path = write_csv(tmp_path / "bars.csv", BARS, [])

    with pytest.raises(DataError, match="no data rows"):
        import_file(catalog, path, AAA)


# ---- trade aggressor ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("buy", "BUYER"),
        ("BUY", "BUYER"),
        ("B", "BUYER"),
        ("b", "BUYER"),
        ("Buyer", "BUYER"),
        ("sell", "SELLER"),
        ("Sell", "SELLER"),
        ("S", "SELLER"),
        ("SELLER", "SELLER"),
        (" s ", "SELLER"),
        ("", "NO_AGGRESSOR"),
        ("unknown", "NO_AGGRESSOR"),
        ("X", "NO_AGGRESSOR"),
        ("0", "NO_AGGRESSOR"),
    ],
)
def test_trade_aggressor_names_are_normalised(
    tmp_path: Path, catalog: ParquetCatalog, raw: str, expected: str
) -> None:
    path = tmp_path / "trades.csv"
    path.write_text(f'{TRADES}\n2024-01-02T14:30:00Z,10,5,"{raw}",t1\n')

    import_file(catalog, path, AAA, data_type="trades")

    assert catalog.read("trades", AAA)["aggressor_side"].tolist() == [expected]


def test_trades_at_one_time_are_kept_unless_exact_duplicates(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    rows = [
        "2024-01-02T14:30:00Z,10,5,buy,a",
        "2024-01-02T14:30:00Z,10,5,buy,b",  # another trade id
        "2024-01-02T14:30:00Z,10,6,buy,a",  # another size
        "2024-01-02T14:30:00Z,10,5,buy,a",  # the first row again
    ]
    path = write_csv(tmp_path / "trades.csv", TRADES, rows)

    report = import_file(catalog, path, AAA, data_type="trades", on_error="skip")

    assert (report.rows_written, report.rows_rejected) == (3, 1)
    assert catalog.read("trades", AAA)["trade_id"].tolist() == ["a", "b", "a"]
    assert pd.read_csv(report.rejects_path)["problem"].tolist() == [EXACT_DUPLICATE]  # type: ignore[arg-type]


@pytest.mark.parametrize(("setting", "value"), [("on_error", "ignore"), ("mode", "replace")])
def test_unknown_settings_are_refused(tmp_path, setting, value) -> None:
    source = tmp_path / "bars.csv"
    source.write_text("time,open,high,low,close\n2024-01-02T14:30:00Z,1,1,1,1\n")
    with pytest.raises(ConfigError) as info:
        import_file(
            ParquetCatalog(tmp_path / "c"), source, InstrumentId("AAA.SIM"), **{setting: value}
        )
    assert info.value.field == setting
