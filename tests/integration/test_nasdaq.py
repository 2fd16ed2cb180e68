"""Nasdaq Data Link connector against a real HTTP server on 127.0.0.1 serving the vendor's
documented payloads: table cursor paging, time series, daily bars at the close across a DST
change, every ``quandl_error`` shape, retries, and the API key's origin and absence from errors."""

from __future__ import annotations

import doctest
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from vendor_server import FakeClock, Reply, VendorServer

from midfreq.connectors.http import RetryPolicy
from midfreq.connectors.nasdaq import (
    API_KEY_ENV,
    NasdaqDataLinkClient,
    bars_from_timeseries,
    fetch_timeseries_to_catalog,
)
from midfreq.connectors.nasdaq import client as nasdaq_module
from midfreq.core.errors import ConfigError, DataError, VenueError
from midfreq.data.catalog import ParquetCatalog
from midfreq.infra.logging import configure_logging

KEY = "NDLKEY-b71d02"
TABLE_PATH = "/api/v3/datatables/SHARADAR/SEP.json"
SERIES_PATH = "/api/v3/datasets/EOD/AAPL/data.json"

# Hand-computed UTC seconds: 2024-03-08T00:00Z = 1_709_856_000 (2024-01-01 = 1_704_067_200, plus
# 67 days); US daylight saving began on 2024-03-10, so New York is UTC-5 on the 8th and UTC-4 on
# the 11th, and Chicago UTC-6 and UTC-5.
MAR_08 = 1_709_856_000
MAR_11 = MAR_08 + 3 * 86_400
S = 10**9

COLUMNS = [
    {"name": "ticker", "type": "String"},
    {"name": "date", "type": "Date"},
    {"name": "close", "type": "BigDecimal(34,12)"},
    {"name": "volume", "type": "BigDecimal(34,12)"},
]
SERIES_COLUMNS = ["Date", "Open", "High", "Low", "Close", "Volume"]


def table_page(rows: list[list[Any]], cursor: str | None) -> dict[str, Any]:
    return {"datatable": {"data": rows, "columns": COLUMNS}, "meta": {"next_cursor_id": cursor}}


def series_payload(names: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    return {
        "dataset_data": {
            "limit": None,
            "transform": None,
            "column_index": None,
            "column_names": names,
            "start_date": "2024-03-08",
            "end_date": "2024-03-11",
            "frequency": "daily",
            "data": rows,
            "collapse": None,
            "order": None,
        }
    }


# Newest first, the API's default order.
SERIES_ROWS = [
    ["2024-03-11", 172.94, 174.38, 172.05, 172.75, 60139473.0],
    ["2024-03-08", 169.0, 173.7, 168.94, 170.73, 76114634.0],
]


def quandl_error(status: int, code: str, message: str, **headers: str) -> Reply:
    return Reply(status, {"quandl_error": {"code": code, "message": message}}, headers)


def make_client(server: VendorServer, clock: FakeClock, **settings: Any) -> NasdaqDataLinkClient:
    settings.setdefault("retry", RetryPolicy(max_attempts=3))
    return NasdaqDataLinkClient(
        settings.pop("api_key", KEY),
        base_url=f"{server.url}/api/v3",
        clock=clock,
        sleep=clock.sleep,
        **settings,
    )


def test_docstring_examples_run() -> None:
    result = doctest.testmod(nasdaq_module)
    assert result.attempted >= 1
    assert result.failed == 0


def test_datatable_follows_the_cursor_across_three_pages(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route(
        TABLE_PATH,
        {},
        Reply(
            200,
            table_page(
                [
                    ["AAPL", "2024-03-11", 172.75, 60139473],
                    ["AAPL", "2024-03-08", 170.73, 76114634],
                ],
                "cursor-2",
            ),
        ),
    )
    server.route(
        TABLE_PATH,
        {"qopts.cursor_id": "cursor-2"},
        Reply(200, table_page([["MSFT", "2024-03-11", 404.52, 16120842]], "cursor-3")),
    )
    server.route(
        TABLE_PATH,
        {"qopts.cursor_id": "cursor-3"},
        Reply(200, table_page([["MSFT", "2024-03-08", 406.22, 18381021]], None)),
    )

    frame = make_client(server, clock).datatable(
        "SHARADAR/SEP", ticker=["AAPL", "MSFT"], **{"date.gte": "2024-03-08"}
    )

    expected = pd.DataFrame(
        {
            "ticker": ["AAPL", "AAPL", "MSFT", "MSFT"],
            "date": pd.to_datetime(["2024-03-11", "2024-03-08", "2024-03-11", "2024-03-08"]),
            "close": [172.75, 170.73, 404.52, 406.22],
            "volume": [60139473.0, 76114634.0, 16120842.0, 18381021.0],
        }
    )
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    assert frame["date"].dtype.kind == "M"
    assert frame["close"].dtype == np.float64
    assert [r.query.get("qopts.cursor_id") for r in server.requests] == [
        None,
        "cursor-2",
        "cursor-3",
    ]
    for request in server.requests:
        assert request.query["ticker"] == "AAPL,MSFT"
        assert request.query["date.gte"] == "2024-03-08"
        assert request.query["api_key"] == KEY


def test_datatable_with_no_rows_keeps_the_columns(server: VendorServer, clock: FakeClock) -> None:
    server.route(TABLE_PATH, {}, Reply(200, table_page([], None)))

    frame = make_client(server, clock).datatable("SHARADAR/SEP", ticker="NONE")

    assert list(frame.columns) == ["ticker", "date", "close", "volume"]
    assert len(frame) == 0


def test_a_cursor_that_comes_back_is_a_venue_error(server: VendorServer, clock: FakeClock) -> None:
    server.route(TABLE_PATH, {}, Reply(200, table_page([], "loop")))

    with pytest.raises(VenueError, match="cursor 'loop' came back twice"):
        make_client(server, clock).datatable("SHARADAR/SEP")

    assert len(server.requests) == 2


def test_paging_stops_at_max_pages(server: VendorServer, clock: FakeClock) -> None:
    server.route(TABLE_PATH, {}, Reply(200, table_page([], "c1")))
    server.route(TABLE_PATH, {"qopts.cursor_id": "c1"}, Reply(200, table_page([], "c2")))

    with pytest.raises(VenueError, match="more than max_pages=2 pages"):
        make_client(server, clock, max_pages=2).datatable("SHARADAR/SEP")

    assert len(server.requests) == 2


def test_timeseries_is_parsed_and_sorted_oldest_first(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route(SERIES_PATH, {}, Reply(200, series_payload(SERIES_COLUMNS, SERIES_ROWS)))

    frame = make_client(server, clock).timeseries("EOD", "AAPL", "2024-03-08", "2024-03-11")

    expected = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2024-03-08", "2024-03-11"]),
            "Open": [169.0, 172.94],
            "High": [173.7, 174.38],
            "Low": [168.94, 172.05],
            "Close": [170.73, 172.75],
            "Volume": [76114634.0, 60139473.0],
        }
    )
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    assert server.requests[0].query == {
        "start_date": "2024-03-08",
        "end_date": "2024-03-11",
        "order": "asc",
        "api_key": KEY,
    }


def test_bars_from_timeseries_close_at_16_00_new_york_across_dst(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route(SERIES_PATH, {}, Reply(200, series_payload(SERIES_COLUMNS, SERIES_ROWS)))
    frame = make_client(server, clock).timeseries("EOD", "AAPL")

    bars = bars_from_timeseries(frame, "AAPL.XNAS", "America/New_York")

    assert bars.instrument_id == "AAPL.XNAS"
    # 16:00 EST = 21:00Z on the 8th, 16:00 EDT = 20:00Z on the 11th.
    assert bars.ts.tolist() == [(MAR_08 + 21 * 3600) * S, (MAR_11 + 20 * 3600) * S]
    assert bars.ts.tolist() == [1_709_931_600 * S, 1_710_187_200 * S]
    assert bars.open.tolist() == [169.0, 172.94]
    assert bars.high.tolist() == [173.7, 174.38]
    assert bars.low.tolist() == [168.94, 172.05]
    assert bars.close.tolist() == [170.73, 172.75]
    assert bars.volume.tolist() == [76114634.0, 60139473.0]


def test_futures_series_use_last_then_settle_for_the_close() -> None:
    frame = pd.DataFrame(
        {
            "Date": ["2024-03-11", "2024-03-08"],
            "Open": [5130.0, 5160.0],
            "High": [5140.0, 5190.0],
            "Low": [5100.0, 5120.0],
            "Last": [5125.0, 5135.0],
            "Change": [None, 10.0],
            "Settle": [5124.75, 5134.5],
            "Volume": [1500000.0, 1700000.0],
            "Previous Day Open Interest": [2100000.0, 2090000.0],
        }
    )

    by_last = bars_from_timeseries(frame, "ES1.CME", "America/Chicago")
    by_settle = bars_from_timeseries(
        frame, "ES1.CME", "America/Chicago", close_time="15:00", close_column="Settle"
    )

    assert by_last.close.tolist() == [5135.0, 5125.0]
    assert by_settle.close.tolist() == [5134.5, 5124.75]
    # 16:00 CST = 22:00Z, 15:00 CDT = 20:00Z.
    assert by_last.ts.tolist() == [(MAR_08 + 22 * 3600) * S, (MAR_11 + 21 * 3600) * S]
    assert by_settle.ts.tolist() == [(MAR_08 + 21 * 3600) * S, (MAR_11 + 20 * 3600) * S]


@pytest.mark.parametrize(
    ("drop", "message"),
    [("Date", "expected a 'Date' column"), ("Close", "expected a 'Close' or 'Last' or 'Settle'")],
)
def test_bars_from_timeseries_names_a_missing_column(drop: str, message: str) -> None:
    frame = pd.DataFrame(SERIES_ROWS, columns=SERIES_COLUMNS).drop(columns=drop)

    with pytest.raises(DataError, match=message):
        bars_from_timeseries(frame, "AAPL.XNAS", "America/New_York")


def test_bars_from_timeseries_refuses_an_unknown_time_zone() -> None:
    frame = pd.DataFrame(SERIES_ROWS, columns=SERIES_COLUMNS)

    with pytest.raises(DataError, match="tz: expected a time zone"):
        bars_from_timeseries(frame, "AAPL.XNAS", "Mars/Olympus_Mons")


def test_api_key_is_read_from_the_environment(
    server: VendorServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_KEY_ENV, "FROM-ENV-99")
    server.route(SERIES_PATH, {}, Reply(200, series_payload(SERIES_COLUMNS, SERIES_ROWS)))

    make_client(server, clock, api_key=None).timeseries("EOD", "AAPL")

    assert server.requests[0].query["api_key"] == "FROM-ENV-99"


def test_missing_key_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)

    with pytest.raises(ConfigError, match=API_KEY_ENV):
        NasdaqDataLinkClient()


def test_a_rejected_key_is_a_venue_error_naming_the_variable(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route(
        SERIES_PATH,
        {},
        quandl_error(
            400,
            "QEAx01",
            "We could not recognize your API key. Please check your API key and try again.",
        ),
    )

    with pytest.raises(VenueError, match=f"QEAx01: We could not recognize.*{API_KEY_ENV}") as err:
        make_client(server, clock).timeseries("EOD", "AAPL")

    assert KEY not in str(err.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            quandl_error(
                404,
                "QECx02",
                "You have submitted an incorrect Quandl code. Please check your Quandl codes and "
                "try again.",
            ),
            "dataset EOD/AAPL: QECx02: You have submitted an incorrect Quandl code",
        ),
        (
            quandl_error(
                403,
                "QEPx04",
                "You do not have permission to view this dataset. Please subscribe to this "
                "database to get access.",
            ),
            "QEPx04: You do not have permission",
        ),
        (
            quandl_error(422, "QELx06", "You have requested too many rows of data."),
            r"QELx06: You have requested too many rows of data. \(HTTP 422\)",
        ),
    ],
)
def test_unknown_unsubscribed_or_oversized_requests_are_data_errors(
    server: VendorServer, clock: FakeClock, reply: Reply, message: str
) -> None:
    server.route(SERIES_PATH, {}, reply)

    with pytest.raises(DataError, match=message):
        make_client(server, clock).timeseries("EOD", "AAPL")

    assert len(server.requests) == 1


def test_rate_limit_429_with_retry_after_is_retried(server: VendorServer, clock: FakeClock) -> None:
    server.route(
        SERIES_PATH,
        {},
        quandl_error(
            429,
            "QELx01",
            "You have exceeded the anonymous user limit of 50 calls per day.",
            **{"Retry-After": "5"},
        ),
        Reply(200, series_payload(SERIES_COLUMNS, SERIES_ROWS)),
    )

    frame = make_client(server, clock).timeseries("EOD", "AAPL")

    assert len(frame) == 2
    assert len(server.requests) == 2
    assert clock.sleeps == [5.0]


def test_persistent_rate_limit_ends_in_a_venue_error_with_the_vendor_text(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route(
        TABLE_PATH,
        {},
        quandl_error(429, "QELx04", "You have exceeded your 10-minute call limit."),
    )

    with pytest.raises(VenueError, match=r"HTTP 429 .*QELx04.*10-minute call limit"):
        make_client(server, clock).datatable("SHARADAR/SEP")

    assert len(server.requests) == 3


def test_persistent_500_is_a_venue_error_after_the_attempts(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route(SERIES_PATH, {}, Reply(500, "<html>Internal Server Error</html>"))

    with pytest.raises(VenueError) as raised:
        make_client(server, clock, retry=RetryPolicy(max_attempts=5)).timeseries("EOD", "AAPL")

    assert len(server.requests) == 5
    message = str(raised.value)
    assert "Nasdaq Data Link: GET /api/v3/datasets/EOD/AAPL/data.json?" in message
    assert "api_key=***" in message
    assert "HTTP 500" in message
    assert "after 5 attempts" in message
    assert KEY not in message
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]


def test_a_non_json_client_error_is_a_venue_error(server: VendorServer, clock: FakeClock) -> None:
    server.route(SERIES_PATH, {}, Reply(404, "<html>Not Found</html>"))

    with pytest.raises(VenueError, match=r"expected a JSON object, was HTTP 404 \(<html>"):
        make_client(server, clock).timeseries("EOD", "AAPL")


def test_requests_are_spaced_by_the_client_side_limit(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route(SERIES_PATH, {}, Reply(200, series_payload(SERIES_COLUMNS, SERIES_ROWS)))
    client = make_client(server, clock, requests_per_minute=30)

    for _ in range(3):
        client.timeseries("EOD", "AAPL")

    assert clock.sleeps == [2.0, 2.0]


def test_the_key_never_appears_in_captured_logs(
    server: VendorServer, clock: FakeClock, restore_logging: None
) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    server.route(
        SERIES_PATH,
        {},
        Reply(503, {"quandl_error": {"code": "QEMx01", "message": f"key {KEY} hit maintenance"}}),
    )

    with pytest.raises(VenueError) as raised:
        make_client(server, clock).timeseries("EOD", "AAPL")

    logs = stream.getvalue()
    assert "http_retry" in logs
    assert "api_key=***" in logs
    assert KEY not in logs
    assert KEY not in str(raised.value)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({"start_date": "08/03/2024"}, "start_date"), ({"dataset": "A?B"}, "dataset")],
)
def test_bad_arguments_are_refused_before_any_request(
    server: VendorServer, clock: FakeClock, arguments: dict[str, Any], field: str
) -> None:
    call = {"database": "EOD", "dataset": "AAPL", **arguments}

    with pytest.raises(ConfigError, match=f"^{field}: expected"):
        make_client(server, clock).timeseries(**call)

    assert server.requests == []


def test_fetch_timeseries_to_catalog_stores_each_dataset(
    server: VendorServer, clock: FakeClock, tmp_path: Path
) -> None:
    msft_rows = [["2024-03-11", 407.0, 409.0, 403.0, 404.52, 16120842.0]]
    server.route(SERIES_PATH, {}, Reply(200, series_payload(SERIES_COLUMNS, SERIES_ROWS)))
    server.route(
        "/api/v3/datasets/EOD/MSFT/data.json",
        {},
        Reply(200, series_payload(SERIES_COLUMNS, msft_rows)),
    )
    catalog = ParquetCatalog(tmp_path / "catalog")
    progress: list[tuple[int, int]] = []

    written = fetch_timeseries_to_catalog(
        make_client(server, clock),
        catalog,
        "EOD",
        ["AAPL", "MSFT"],
        "XNAS",
        "America/New_York",
        start_date="2024-03-01",
        progress=lambda done, total: progress.append((done, total)),
    )

    assert written == 3
    assert progress == [(1, 2), (2, 2)]
    assert [r.query["start_date"] for r in server.requests] == ["2024-03-01", "2024-03-01"]
    aapl = catalog.read_bars("AAPL.XNAS")
    assert aapl.ts.tolist() == [1_709_931_600 * S, 1_710_187_200 * S]
    assert aapl.close.tolist() == [170.73, 172.75]
    msft = catalog.read_bars("MSFT.XNAS")
    assert msft.ts.tolist() == [1_710_187_200 * S]
    assert msft.close.tolist() == [404.52]
