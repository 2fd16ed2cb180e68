"""Tests of reading bars from CSV and Parquet files and writing them back."""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from midfreq.core.errors import ConfigError, DataError
from midfreq.data.bars import BarArrays
from midfreq.data.loaders import read_bars, write_bars_csv, write_bars_parquet
from midfreq.data.synthetic import SyntheticMarketConfig, generate_bars
from midfreq.model.identifiers import InstrumentId

AAA = InstrumentId("AAA.SIM")

# Three rows used by the layout tests: 2024-01-02 14:30, 14:31, 14:32 UTC.
T0 = int(datetime(2024, 1, 2, 14, 30, tzinfo=UTC).timestamp()) * 10**9
MINUTE = 60 * 10**9
ROWS = [
    ("1.0", "2.0", "0.5", "1.5", "100"),
    ("1.5", "2.5", "1.25", "2.25", "0"),
    ("2.25", "3.0", "2.0", "2.5", "7.5"),
]


def write(path: Path, header: str, times: list[str], rows: list[tuple[str, ...]] = ROWS) -> Path:
    lines = [header] + [",".join((t, *row)) for t, row in zip(times, rows, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def assert_rows(bars: BarArrays, *, ts: list[int], volume: bool = True) -> None:
    assert bars.instrument_id == AAA
    assert bars.ts.tolist() == ts
    assert bars.open.tolist() == [1.0, 1.5, 2.25]
    assert bars.high.tolist() == [2.0, 2.5, 3.0]
    assert bars.low.tolist() == [0.5, 1.25, 2.0]
    assert bars.close.tolist() == [1.5, 2.25, 2.5]
    assert bars.volume.tolist() == ([100.0, 0.0, 7.5] if volume else [0.0, 0.0, 0.0])


UTC_ISO = ["2024-01-02T14:30:00Z", "2024-01-02T14:31:00Z", "2024-01-02T14:32:00Z"]
EXPECTED = [T0, T0 + MINUTE, T0 + 2 * MINUTE]


@pytest.mark.parametrize(
    "header",
    [
        "timestamp,open,high,low,close,volume",
        "Time,Open,High,Low,Close,Volume",
        "DateTime,OPEN,HIGH,LOW,LAST,VOL",
        "date,o,h,l,c,v",
        "ts_event,open,high,low,price,volume",
        "ts, Open , High, Low, Close, Vol",
    ],
)
def test_reads_each_alias_layout(tmp_path: Path, header: str) -> None:
    path = write(tmp_path / "bars.csv", header, UTC_ISO)

    assert_rows(read_bars(path, AAA), ts=EXPECTED)


def test_volume_is_optional(tmp_path: Path) -> None:
    rows = [row[:4] for row in ROWS]
    path = write(tmp_path / "bars.csv", "timestamp,open,high,low,close", UTC_ISO, rows)

    assert_rows(read_bars(path, AAA), ts=EXPECTED, volume=False)


def test_explicit_columns_override_aliases(tmp_path: Path) -> None:
    # "close" exists but holds something else; the mapping points at the real close.
    rows = [(*row[:3], "99.0", row[3], row[4]) for row in ROWS]
    header = "Zeit,Eroeffnung,Hoch,Tief,close,Schluss,Umsatz"
    path = write(tmp_path / "bars.csv", header, UTC_ISO, rows)
    columns = {
        "ts_event": "zeit",  # matched case-insensitively
        "open": "Eroeffnung",
        "high": "Hoch",
        "low": "Tief",
        "close": "Schluss",
        "volume": "Umsatz",
    }

    assert_rows(read_bars(path, AAA, columns=columns), ts=EXPECTED)


def test_explicit_column_not_in_file_lists_found_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "bars.csv", "timestamp,open,high,low,close,volume", UTC_ISO)

    with pytest.raises(DataError) as caught:
        read_bars(path, AAA, columns={"close": "Settle"})

    message = str(caught.value)
    assert str(path) in message
    assert "'Settle' given for close not found" in message
    assert "['timestamp', 'open', 'high', 'low', 'close', 'volume']" in message


def test_unknown_key_in_columns_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "bars.csv", "timestamp,open,high,low,close,volume", UTC_ISO)

    with pytest.raises(DataError, match=r"expected keys among .*was \['adj_close'\]"):
        read_bars(path, AAA, columns={"adj_close": "close"})


def _utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp()) * 10**9  # type: ignore[misc]


@pytest.mark.parametrize(
    ("times", "tz", "expected"),
    [
        (UTC_ISO, "UTC", EXPECTED),
        (
            ["2024-01-02T15:30:00+01:00", "2024-01-02 14:31:00+00:00", "2024-01-02T09:32-05:00"],
            "Asia/Tokyo",  # ignored: every string has an offset
            EXPECTED,
        ),
        (
            ["2024-01-02T09:30:00", "2024-01-02T09:31:00", "2024-01-02 09:32:00"],
            "America/New_York",
            EXPECTED,
        ),
        (
            # Across the 2024-03-10 daylight-saving change, in local time and with offsets.
            ["2024-03-09T16:00:00-05:00", "2024-03-10T16:00:00-04:00", "2024-03-11T16:00-04:00"],
            "UTC",
            [_utc(2024, 3, 9, 21), _utc(2024, 3, 10, 20), _utc(2024, 3, 11, 20)],
        ),
        (
            ["2024-03-09 16:00", "2024-03-10 16:00", "2024-03-11 16:00"],
            "America/New_York",
            [_utc(2024, 3, 9, 21), _utc(2024, 3, 10, 20), _utc(2024, 3, 11, 20)],
        ),
        (
            ["2024-01-02", "2024-01-03", "2024-01-04"],
            "UTC",
            [_utc(2024, 1, 2), _utc(2024, 1, 3), _utc(2024, 1, 4)],
        ),
        (
            ["2024-01-02", "2024-01-03", "2024-01-04"],
            "Europe/Berlin",
            [_utc(2024, 1, 1, 23), _utc(2024, 1, 2, 23), _utc(2024, 1, 3, 23)],
        ),
        (["2024-01-02T14:30:00.123456789Z", *UTC_ISO[1:]], "UTC", [T0 + 123456789, *EXPECTED[1:]]),
        ([str(t // 10**9) for t in EXPECTED], "UTC", EXPECTED),
        ([str(t // 10**6) for t in EXPECTED], "UTC", EXPECTED),
        ([str(t // 10**3) for t in EXPECTED], "UTC", EXPECTED),
        ([str(t) for t in EXPECTED], "UTC", EXPECTED),
        ([str(t) for t in EXPECTED], "America/New_York", EXPECTED),  # epochs are UTC
        (
            ["20240102", "20240103", "20240104"],
            "America/New_York",
            [_utc(2024, 1, 2, 5), _utc(2024, 1, 3, 5), _utc(2024, 1, 4, 5)],
        ),
        (["20240102143000", "20240102143100", "20240102143200"], "UTC", EXPECTED),
        (
            ["1704205800.1", "1704205860", "1704205920.123456"],
            "UTC",
            [T0 + 100_000_000, T0 + MINUTE, T0 + 2 * MINUTE + 123_456_000],
        ),
        (
            ["1704205800000.5", "1704205860000", "1704205920000.25"],
            "UTC",
            [T0 + 500_000, T0 + MINUTE, T0 + 2 * MINUTE + 250_000],
        ),
    ],
)
def test_reads_each_timestamp_form(
    tmp_path: Path, times: list[str], tz: str, expected: list[int]
) -> None:
    path = write(tmp_path / "bars.csv", "timestamp,open,high,low,close,volume", times)

    assert read_bars(path, AAA, tz=tz).ts.tolist() == expected


def test_joins_separate_date_and_time_columns(tmp_path: Path) -> None:
    rows = [(f"09:3{i}:00", *row) for i, row in enumerate(ROWS)]
    path = write(
        tmp_path / "bars.csv", "Date,Time,Open,High,Low,Close,Volume", ["2024-01-02"] * 3, rows
    )

    assert_rows(read_bars(path, AAA, tz="America/New_York"), ts=EXPECTED)


def _frame(ts: object) -> pd.DataFrame:
    frame = pd.DataFrame(
        [[float(x) for x in row] for row in ROWS],
        columns=["Open", "High", "Low", "Close", "Volume"],
    )
    frame.insert(0, "Timestamp", ts)
    return frame


@pytest.mark.parametrize(
    ("ts", "tz"),
    [
        (pd.to_datetime(EXPECTED, unit="ns", utc=True), "Asia/Tokyo"),
        (pd.to_datetime(EXPECTED, unit="ns", utc=True).tz_convert("America/Chicago"), "UTC"),
        (
            pd.to_datetime(EXPECTED, unit="ns", utc=True)
            .tz_convert("America/New_York")
            .tz_localize(None)
            .as_unit("ms"),
            "America/New_York",
        ),
        ([t // 10**6 for t in EXPECTED], "UTC"),
        ([float(t // 10**9) for t in EXPECTED], "UTC"),
    ],
)
def test_reads_parquet_datetime_and_integer_columns(tmp_path: Path, ts: object, tz: str) -> None:
    path = tmp_path / "bars.parquet"
    _frame(ts).to_parquet(path)

    assert_rows(read_bars(path, AAA, tz=tz), ts=EXPECTED)


HEADER = "timestamp,open,high,low,close,volume"
GOOD = [f"{t},{','.join(row)}" for t, row in zip(UTC_ISO, ROWS, strict=True)]


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        ("2024-01-02T14:33:00Z,2.5,3.5,2.0,,1", "NaN or inf in close"),
        ("2024-01-02T14:33:00Z,2.5,inf,2.0,3,1", "NaN or inf in high"),
        ("2024-01-02T14:33:00Z,0,3.5,0,3,1", "expected prices > 0, was open=0.0, low=0.0"),
        ("2024-01-02T14:33:00Z,2.5,3.5,2.0,3,-10", "expected volume >= 0, was -10.0"),
        ("2024-01-02T14:33:00Z,2.5,1.5,2.0,2,1", "expected high >= low, was high=1.5 < low=2.0"),
        ("2024-01-02T14:33:00Z,2.5,3.5,2.0,3.75,1", "expected open and close within [low, high]"),
        ("2024-01-02T14:33:00Z,1.5,3.5,2.0,3,1", "expected open and close within [low, high]"),
        ("2024-01-02T14:32:00Z,2.5,3.5,2.0,3,1", "duplicate timestamp"),
        ("2024-01-02T14:31:30Z,2.5,3.5,2.0,3,1", "timestamp out of order"),
        ("2024-01-02T14:33:00Z,2.5,3.5,abc,3,1", "column 'low': expected a number, was 'abc'"),
        (
            "not-a-time,2.5,3.5,2.0,3,1",
            "column 'timestamp': expected an ISO 8601 timestamp or date, or epoch "
            "seconds/ms/us/ns, was 'not-a-time'",
        ),
        (",2.5,3.5,2.0,3,1", "column 'timestamp': expected an ISO 8601 timestamp"),
        ("01/02/2024 14:33,2.5,3.5,2.0,3,1", "was '01/02/2024 14:33'"),
        ("2024-01-02T14:33:00,2.5,3.5,2.0,3,1", "mixes times with and without"),
        ("2500-01-01T00:00:00Z,2.5,3.5,2.0,3,1", "int64 nanosecond range"),
    ],
)
def test_bad_row_is_reported_with_file_and_row(tmp_path: Path, bad_line: str, problem: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([HEADER, *GOOD, bad_line, GOOD[0].replace("14:30", "14:59")]))

    with pytest.raises(DataError) as caught:
        read_bars(path, AAA)

    assert str(caught.value).startswith(f"{path}: row 3: ")
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("bad_value", "problem"),
    [("1704205980x", "was '1704205980x'"), ("", "was None"), ("9999999999999", "range")],
)
def test_bad_epoch_value_is_reported_with_row(tmp_path: Path, bad_value: str, problem: str) -> None:
    times = [str(t // 10**9) for t in EXPECTED]
    path = tmp_path / "bad.csv"
    lines = [HEADER] + [",".join((t, *row)) for t, row in zip(times, ROWS, strict=True)]
    path.write_text("\n".join([*lines, f"{bad_value},2.5,3.5,2.0,3,1"]) + "\n")

    with pytest.raises(DataError, match=rf"^{path}: row 3: .*{problem}"):
        read_bars(path, AAA)


def test_nonexistent_local_time_is_reported(tmp_path: Path) -> None:
    times = ["2024-03-10T01:00:00", "2024-03-10T01:30:00", "2024-03-10T02:30:00"]
    path = write(tmp_path / "dst.csv", HEADER, times)

    with pytest.raises(DataError, match=r"row 2: .*daylight-saving.*'2024-03-10T02:30:00'"):
        read_bars(path, AAA, tz="America/New_York")


def test_missing_required_column_lists_columns_found(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text("Date,Open,High,Close\n2024-01-02,1,2,1.5\n")

    with pytest.raises(DataError) as caught:
        read_bars(path, AAA)

    message = str(caught.value)
    assert message.startswith(f"{path}: missing required column(s) ['low']")
    assert "found columns ['Date', 'Open', 'High', 'Close']" in message


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.csv", "", "file is empty"),
        ("header.csv", HEADER + "\n", "no data rows"),
        ("bars.txt", HEADER + "\n", "expected a file ending in one of .csv, .csv.gz, .parquet"),
        ("bars", HEADER + "\n", "was 'no suffix'"),
        ("broken.parquet", "not parquet at all", "cannot read as Parquet"),
        ("empty.parquet", "", "file is empty"),
    ],
)
def test_unusable_files_are_data_errors_naming_the_path(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(content)

    with pytest.raises(DataError) as caught:
        read_bars(path, AAA)

    assert str(caught.value).startswith(str(path))
    assert problem in str(caught.value)


def test_missing_file_and_parquet_without_rows(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_bars(tmp_path / "absent.csv", AAA)
    path = tmp_path / "none.parquet"
    write_bars_parquet(BarArrays(AAA, *([np.array([], dtype=np.int64)] * 6)), path)
    with pytest.raises(DataError, match="no data rows"):
        read_bars(path, AAA)


def test_unknown_time_zone_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path / "bars.csv", HEADER, UTC_ISO)

    with pytest.raises(ConfigError, match="tz: expected an IANA time zone name"):
        read_bars(path, AAA, tz="Mars/Olympus")


def _assert_identical(a: BarArrays, b: BarArrays) -> None:
    assert a.instrument_id == b.instrument_id
    for name in ("ts", "open", "high", "low", "close", "volume"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype
        assert np.array_equal(left, right), name


def _awkward_bars() -> BarArrays:
    """Full-precision floats and timestamps with ns digits, before 1973 and before 1970."""
    rng = np.random.default_rng(11)
    n = 50
    ts = -5 * 10**9 + np.cumsum(rng.integers(1, 10**12, n))
    low = rng.uniform(0.001, 1000.0, n)
    high = low * rng.uniform(1.0, 1.1, n)
    return BarArrays(
        AAA,
        ts,
        rng.uniform(low, high),
        high,
        low,
        rng.uniform(low, high),
        rng.exponential(1e6, n),
    )


@pytest.mark.parametrize("writer", [write_bars_csv, write_bars_parquet])
@pytest.mark.parametrize("kind", ["synthetic", "awkward"])
def test_round_trip_is_identical(tmp_path: Path, writer: object, kind: str) -> None:
    if kind == "synthetic":
        config = SyntheticMarketConfig(symbols=["AAA"], seed=5)
        bars = generate_bars(config, start_ns=T0, count=2_000)[0]
    else:
        bars = _awkward_bars()
    suffix = ".csv" if writer is write_bars_csv else ".parquet"
    path = tmp_path / f"bars{suffix}"

    writer(bars, path)  # type: ignore[operator]

    _assert_identical(read_bars(path, AAA), bars)


def test_csv_holds_iso_utc_and_parquet_int64_nanoseconds(tmp_path: Path) -> None:
    bars = BarArrays(
        AAA,
        np.array([T0, T0 + 1_500_000]),
        np.array([1.0, 1.5]),
        np.array([2.0, 2.0]),
        np.array([0.5, 1.0]),
        np.array([1.5, 1.25]),
        np.array([10.0, 0.0]),
    )
    write_bars_csv(bars, tmp_path / "b.csv")
    write_bars_parquet(bars, tmp_path / "b.parquet")

    lines = (tmp_path / "b.csv").read_text().splitlines()
    assert lines == [
        "ts_event,open,high,low,close,volume",
        "2024-01-02T14:30:00.000000Z,1,2,0.5,1.5,10",  # microseconds: the finest needed
        "2024-01-02T14:30:00.001500Z,1.5,2,1,1.25,0",
    ]
    table = pq.read_table(tmp_path / "b.parquet")
    assert table.schema.field("ts_event").type == pa.int64()
    assert table.column("ts_event").to_pylist() == [T0, T0 + 1_500_000]


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.integers(min_value=1, max_value=20),
        elements=st.floats(min_value=1e-9, max_value=1e12, allow_nan=False),
    ),
    st.integers(min_value=-(10**18), max_value=10**18),
)
def test_csv_round_trip_is_exact_for_any_positive_floats(prices: np.ndarray, start: int) -> None:
    n = len(prices)
    ts = start + np.arange(n, dtype=np.int64) * 999_999_937
    bars = BarArrays(AAA, ts, prices, prices, prices, prices, prices * 3.0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bars.csv"
        write_bars_csv(bars, path)
        back = read_bars(path, AAA)

    _assert_identical(back, bars)
    assert math.isclose(float(back.volume[0]), float(prices[0]) * 3.0)
