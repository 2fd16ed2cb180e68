"""Tests of session flagging on import: rows outside an exchange calendar's sessions (holidays,
early closes, after hours) counted and kept, or rejected like bad rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from midfreq.core.errors import ConfigError, DataError
from midfreq.data.catalog import ParquetCatalog
from midfreq.data.importer import import_file
from midfreq.model.identifiers import InstrumentId

AAA = InstrumentId("AAA.SIM")
SECOND = 10**9
MINUTE = 60 * SECOND
NEW_YORK = "America/New_York"
BARS = "timestamp,open,high,low,close,volume"
OUTSIDE_BAR = "time: outside XNYS session (expected a bar inside one)"


@pytest.fixture
def catalog(tmp_path: Path) -> ParquetCatalog:
    return ParquetCatalog(tmp_path / "catalog")


def ns(local: str, tz: str = NEW_YORK) -> int:
    """UTC nanoseconds of a wall time, via pandas (independent of the calendar)."""
    return int(pd.Timestamp(local, tz=tz).value)


def write_bars(path: Path, times: list[str]) -> Path:
    rows = [f"{t},10,11,9,10.5,{i}" for i, t in enumerate(times)]
    path.write_text("\n".join([BARS, *rows]) + "\n")
    return path


# One-minute bars stamped at their close, New York wall time, and whether each is inside an NYSE
# session (09:30-16:00; 2023-07-03 and 2023-11-24 close at 13:00; 2023-07-04 is a holiday).
MINUTE_BARS = [
    ("2023-07-03 09:30", False),  # covers 09:29-09:30, before the open
    ("2023-07-03 09:31", True),
    ("2023-07-03 13:00", True),  # the last bar of an early close
    ("2023-07-03 13:01", False),
    ("2023-07-04 10:00", False),  # Independence Day
    ("2023-07-04 12:00", False),
    ("2023-07-05 16:00", True),
    ("2023-07-05 16:01", False),  # after hours
    ("2023-07-05 17:30", False),
    ("2023-11-24 12:59", True),
    ("2023-11-24 13:00", True),
    ("2023-11-24 13:01", False),  # the day after Thanksgiving closes at 13:00
    ("2023-11-24 16:00", False),
]
OUTSIDE_ROWS = [i for i, (_, inside) in enumerate(MINUTE_BARS) if not inside]


def test_bars_outside_sessions_are_counted_and_kept(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    path = write_bars(tmp_path / "bars.csv", [t for t, _ in MINUTE_BARS])

    report = import_file(catalog, path, AAA, tz=NEW_YORK, calendar="XNYS", bar_interval_ns=MINUTE)

    assert (report.rows_written, report.rows_rejected) == (len(MINUTE_BARS), 0)
    assert report.rows_outside_session == len(OUTSIDE_ROWS) == 8
    assert report.outside_session_examples == tuple(
        (i, ns(MINUTE_BARS[i][0])) for i in OUTSIDE_ROWS[:5]
    )
    assert (report.calendar, report.outside_session, report.bar_interval_ns) == (
        "XNYS",
        "keep",
        MINUTE,
    )


@pytest.mark.parametrize("chunk_rows", [1, 3, 1000])
def test_bars_outside_sessions_are_rejected_when_asked(
    tmp_path: Path, catalog: ParquetCatalog, chunk_rows: int
) -> None:
    path = write_bars(tmp_path / "bars.csv", [t for t, _ in MINUTE_BARS])

    with pytest.raises(DataError) as caught:
        import_file(
            catalog,
            path,
            AAA,
            tz=NEW_YORK,
            calendar="XNYS",
            outside_session="reject",
            bar_interval_ns=MINUTE,
            chunk_rows=chunk_rows,
        )
    report = import_file(
        catalog,
        path,
        AAA,
        tz=NEW_YORK,
        calendar="XNYS",
        outside_session="reject",
        bar_interval_ns=MINUTE,
        on_error="skip",
        chunk_rows=chunk_rows,
    )

    assert str(caught.value).startswith(f"{path}: row 0 (line 2): {OUTSIDE_BAR}; 8 of 13 rows")
    rejects = pd.read_csv(report.rejects_path)  # type: ignore[arg-type]
    assert rejects["row"].tolist() == OUTSIDE_ROWS
    assert set(rejects["problem"]) == {OUTSIDE_BAR}
    inside = [ns(t) for t, keep in MINUTE_BARS if keep]
    assert catalog.read("bars", AAA)["ts_event"].tolist() == inside
    assert report.rows_outside_session == 8


@pytest.mark.parametrize("chunk_rows", [2, 1000])
def test_the_bar_interval_is_the_median_spacing_of_the_times(
    tmp_path: Path, catalog: ParquetCatalog, chunk_rows: int
) -> None:
    # Five-minute bars on the early close of 2023-11-24, 09:35 to 13:10, one missing.
    stamps = pd.date_range("2023-11-24 09:35", "2023-11-24 13:10", freq="5min")
    times = [t.strftime("%Y-%m-%d %H:%M") for t in stamps if t.strftime("%H:%M") != "11:00"]
    path = write_bars(tmp_path / "bars.csv", times)

    report = import_file(catalog, path, AAA, tz=NEW_YORK, calendar="XNYS", chunk_rows=chunk_rows)

    assert report.bar_interval_ns == 5 * MINUTE
    # 13:05 and 13:10 end after the 13:00 close.
    assert report.rows_outside_session == 2
    assert [row for row, _ in report.outside_session_examples] == [len(times) - 2, len(times) - 1]


def test_a_given_bar_interval_overrides_the_spacing(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    path = write_bars(tmp_path / "bars.csv", ["2023-11-22 09:31", "2023-11-22 09:32"])

    # As one-minute bars both are inside; as 90-second bars 09:31 began before the open.
    minute = import_file(catalog, path, AAA, tz=NEW_YORK, calendar="XNYS")
    longer = import_file(
        catalog,
        path,
        AAA,
        tz=NEW_YORK,
        calendar="XNYS",
        bar_interval_ns=90 * SECOND,
        mode="overwrite",
    )

    assert (minute.bar_interval_ns, minute.rows_outside_session) == (MINUTE, 0)
    assert longer.rows_outside_session == 1
    assert longer.outside_session_examples == ((0, ns("2023-11-22 09:31")),)


def test_daily_bars_are_inside_on_session_days(tmp_path: Path, catalog: ParquetCatalog) -> None:
    days = ["2023-07-03", "2023-07-04", "2023-07-05", "2023-07-07", "2023-07-08", "2023-07-10"]
    path = write_bars(tmp_path / "daily.csv", days)

    report = import_file(catalog, path, AAA, tz=NEW_YORK, calendar="XNYS")

    assert report.bar_interval_ns == 86_400 * SECOND
    # The holiday and a Saturday.
    assert [row for row, _ in report.outside_session_examples] == [1, 4]


def test_the_calendar_widens_to_cover_old_data(tmp_path: Path, catalog: ParquetCatalog) -> None:
    # Before 2000, where the calendar starts by default; 1995-07-04 was a holiday too.
    path = write_bars(tmp_path / "daily.csv", ["1995-07-03", "1995-07-04", "1995-07-05"])

    report = import_file(catalog, path, AAA, tz=NEW_YORK, calendar="XNYS")

    assert report.rows_outside_session == 1
    assert report.outside_session_examples == ((1, ns("1995-07-04")),)


def test_quotes_and_trades_are_inside_while_the_market_is_open(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    times = [
        ("2023-11-24T09:29:59.999999999-05:00", False),
        ("2023-11-24T09:30:00-05:00", True),  # the open is inside
        ("2023-11-24T12:59:59-05:00", True),
        ("2023-11-24T13:00:00-05:00", False),  # the (early) close is not
        ("2023-11-27T11:00:00-05:00", True),
        ("2023-11-27T16:00:00-05:00", False),
    ]
    quotes = tmp_path / "quotes.csv"
    quotes.write_text("time,bid,ask\n" + "".join(f"{t},10,10.1\n" for t, _ in times))
    trades = tmp_path / "trades.csv"
    trades.write_text("time,price,size\n" + "".join(f"{t},10,5\n" for t, _ in times))
    outside = [i for i, (_, inside) in enumerate(times) if not inside]

    for path, data_type in ((quotes, "quotes"), (trades, "trades")):
        report = import_file(
            catalog,
            path,
            AAA,
            data_type=data_type,  # type: ignore[arg-type]
            calendar="XNYS",
            outside_session="reject",
            on_error="skip",
        )
        rejects = pd.read_csv(report.rejects_path)  # type: ignore[arg-type]
        assert rejects["row"].tolist() == outside
        assert set(rejects["problem"]) == {
            "time: outside XNYS session (expected a time inside one)"
        }
        assert report.bar_interval_ns is None


def test_rows_with_other_problems_are_not_counted_as_outside(
    tmp_path: Path, catalog: ParquetCatalog
) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(
        f"{BARS}\n"
        "2023-07-04 10:00,10,11,9,12,1\n"  # close above high, on a holiday
        "2023-07-04 10:01,10,11,9,10,1\n"  # outside
        "2023-07-05 10:00,10,11,9,10,1\n"
        "2023-07-05 10:00,10,11,9,10,1\n"  # duplicate
    )

    report = import_file(
        catalog,
        path,
        AAA,
        tz=NEW_YORK,
        calendar="XNYS",
        bar_interval_ns=MINUTE,
        on_error="skip",
    )

    assert report.rows_rejected == 2
    assert report.rows_outside_session == 1
    assert report.outside_session_examples == ((1, ns("2023-07-04 10:01")),)


def test_one_bar_without_an_interval_is_refused(tmp_path: Path, catalog: ParquetCatalog) -> None:
    path = write_bars(tmp_path / "bars.csv", ["2023-11-22 10:00"])

    with pytest.raises(DataError, match="bar interval: expected two or more bar times"):
        import_file(catalog, path, AAA, tz=NEW_YORK, calendar="XNYS")

    assert not catalog.root.exists()


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"calendar": "XNYZ"}, "calendar"),
        ({"outside_session": "reject"}, "outside_session"),
        ({"calendar": "XNYS", "outside_session": "drop"}, "outside_session"),
        ({"calendar": "XNYS", "bar_interval_ns": 0}, "bar_interval_ns"),
        ({"chunk_rows": 0}, "chunk_rows"),
    ],
)
def test_bad_session_settings_are_refused(
    tmp_path: Path, catalog: ParquetCatalog, settings: dict[str, object], field: str
) -> None:
    path = write_bars(tmp_path / "bars.csv", ["2023-11-22 10:00", "2023-11-22 10:01"])

    with pytest.raises(ConfigError) as caught:
        import_file(catalog, path, AAA, **settings)  # type: ignore[arg-type]

    assert caught.value.field == field
    assert not catalog.root.exists()
