"""Alpha Vantage connector against a real HTTP server on 127.0.0.1 serving the vendor's documented
payloads: bars at close time in UTC across a DST change, newest-first sorting, every error shape
(HTTP 200 notes included), retries, the API key's origin and its absence from errors and logs."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from vendor_server import FakeClock, Reply, Request, VendorServer

from midfreq.connectors.alphavantage import (
    API_KEY_ENV,
    AlphaVantageClient,
    fetch_intraday_to_catalog,
)
from midfreq.connectors.http import RetryPolicy
from midfreq.core.errors import ConfigError, DataError, VenueError
from midfreq.data.catalog import ParquetCatalog
from midfreq.infra.logging import configure_logging

KEY = "AVKEY-7f3c9e"

# Hand-computed UTC seconds. 2024-01-01T00:00Z = 1_704_067_200; + 60 days (Jan 31 + Feb 29)
# = 2024-03-01 = 1_709_251_200; + 7 days = 2024-03-08 = 1_709_856_000; + 3 days = 2024-03-11.
# US daylight saving began on Sunday 2024-03-10: New York is UTC-5 on the 8th, UTC-4 on the 11th.
MAR_08 = 1_709_856_000
MAR_11 = MAR_08 + 3 * 86_400
S = 10**9

THROTTLE_NOTE = (
    "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute "
    "and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like "
    "to target a higher API call frequency."
)
PREMIUM_INFORMATION = (
    "Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of "
    "the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium "
    "endpoints"
)
INVALID_CALL = (
    "Invalid API call. Please retry or visit the documentation "
    "(https://www.alphavantage.co/documentation/) for TIME_SERIES_INTRADAY."
)


def bar(o: str, h: str, lo: str, c: str, v: str) -> dict[str, str]:
    return {"1. open": o, "2. high": h, "3. low": lo, "4. close": c, "5. volume": v}


def intraday_payload(series: dict[str, dict[str, str]], interval: str = "1min") -> dict[str, Any]:
    return {
        "Meta Data": {
            "1. Information": f"Intraday ({interval}) open, high, low, close prices and volume",
            "2. Symbol": "IBM",
            "3. Last Refreshed": next(iter(series), ""),
            "4. Interval": interval,
            "5. Output Size": "Full size",
            "6. Time Zone": "US/Eastern",
        },
        f"Time Series ({interval})": series,
    }


# Newest first, as Alpha Vantage sends it; Friday before and Monday after the DST change.
MARCH_SERIES = {
    "2024-03-11 09:31:00": bar("191.0000", "191.5000", "190.9000", "191.2000", "1200"),
    "2024-03-11 09:30:00": bar("190.5000", "191.1000", "190.4000", "191.0000", "3400"),
    "2024-03-08 15:59:00": bar("195.0000", "195.2000", "194.8000", "195.1000", "56000"),
    "2024-03-08 09:30:00": bar("196.0000", "196.4000", "195.9000", "196.2000", "78000"),
}

DAILY_PAYLOAD = {
    "Meta Data": {
        "1. Information": "Daily Prices (open, high, low, close) and Volumes",
        "2. Symbol": "IBM",
        "3. Last Refreshed": "2024-03-11",
        "4. Output Size": "Compact",
        "5. Time Zone": "US/Eastern",
    },
    "Time Series (Daily)": {
        "2024-03-11": bar("195.0900", "197.7700", "194.6400", "191.7300", "4712688"),
        "2024-03-08": bar("196.0600", "197.7700", "195.5000", "195.9500", "3943184"),
    },
}


def make_client(server: VendorServer, clock: FakeClock, **settings: Any) -> AlphaVantageClient:
    settings.setdefault("retry", RetryPolicy(max_attempts=3))
    return AlphaVantageClient(
        settings.pop("api_key", KEY),
        base_url=server.url,
        clock=clock,
        sleep=clock.sleep,
        **settings,
    )


def test_intraday_bars_are_stamped_at_close_in_utc_across_dst_and_sorted(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route(
        "/query", {"function": "TIME_SERIES_INTRADAY"}, Reply(200, intraday_payload(MARCH_SERIES))
    )

    bars = make_client(server, clock).intraday("IBM", "1min", month="2024-03", outputsize="full")

    assert bars.instrument_id == "IBM.SIM"
    # Start 09:30 EST (UTC-5) + 1 min = 14:31Z; start 15:59 EST + 1 min = 21:00Z;
    # start 09:30 EDT (UTC-4) + 1 min = 13:31Z; start 09:31 EDT + 1 min = 13:32Z.
    assert bars.ts.tolist() == [
        (MAR_08 + 14 * 3600 + 31 * 60) * S,
        (MAR_08 + 21 * 3600) * S,
        (MAR_11 + 13 * 3600 + 31 * 60) * S,
        (MAR_11 + 13 * 3600 + 32 * 60) * S,
    ]
    assert bars.ts.tolist() == [
        1_709_908_260 * S,
        1_709_931_600 * S,
        1_710_163_860 * S,
        1_710_163_920 * S,
    ]
    assert bars.open.tolist() == [196.0, 195.0, 190.5, 191.0]
    assert bars.high.tolist() == [196.4, 195.2, 191.1, 191.5]
    assert bars.low.tolist() == [195.9, 194.8, 190.4, 190.9]
    assert bars.close.tolist() == [196.2, 195.1, 191.0, 191.2]
    assert bars.volume.tolist() == [78000.0, 56000.0, 3400.0, 1200.0]
    [request] = server.requests
    assert request.query == {
        "function": "TIME_SERIES_INTRADAY",
        "symbol": "IBM",
        "interval": "1min",
        "month": "2024-03",
        "outputsize": "full",
        "adjusted": "false",
        "extended_hours": "true",
        "datatype": "json",
        "apikey": KEY,
    }


def test_intraday_close_adds_the_interval_to_the_start(
    server: VendorServer, clock: FakeClock
) -> None:
    series = {"2024-03-11 15:55:00": bar("1", "1", "1", "1", "1")}
    server.route("/query", {"interval": "5min"}, Reply(200, intraday_payload(series, "5min")))

    bars = make_client(server, clock).intraday("IBM", "5min", venue="XNYS")

    assert bars.instrument_id == "IBM.XNYS"
    assert bars.ts.tolist() == [(MAR_11 + 20 * 3600) * S]  # 15:55 EDT + 5 min = 20:00Z
    assert "month" not in server.requests[0].query


def test_daily_bars_close_at_16_00_new_york(server: VendorServer, clock: FakeClock) -> None:
    server.route("/query", {"function": "TIME_SERIES_DAILY"}, Reply(200, DAILY_PAYLOAD))

    bars = make_client(server, clock).daily("IBM")

    # 16:00 EST = 21:00Z on the 8th; 16:00 EDT = 20:00Z on the 11th.
    assert bars.ts.tolist() == [(MAR_08 + 21 * 3600) * S, (MAR_11 + 20 * 3600) * S]
    assert bars.close.tolist() == [195.95, 191.73]
    assert bars.volume.tolist() == [3943184.0, 4712688.0]
    assert server.requests[0].query["outputsize"] == "compact"


def test_api_key_is_read_from_the_environment(
    server: VendorServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_KEY_ENV, "FROM-ENV-42")
    server.route("/query", {}, Reply(200, DAILY_PAYLOAD))

    make_client(server, clock, api_key=None).daily("IBM")

    assert server.requests[0].query["apikey"] == "FROM-ENV-42"


@pytest.mark.parametrize("value", [None, ""])
def test_missing_key_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv(API_KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(API_KEY_ENV, value)

    with pytest.raises(ConfigError, match=API_KEY_ENV) as raised:
        AlphaVantageClient()

    assert raised.value.field == API_KEY_ENV


def test_error_message_is_a_data_error_with_the_vendor_text(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route("/query", {}, Reply(200, {"Error Message": INVALID_CALL}))

    with pytest.raises(DataError, match="TIME_SERIES_INTRADAY NOSUCH: Invalid API call"):
        make_client(server, clock).intraday("NOSUCH")

    assert len(server.requests) == 1


def test_a_rejected_key_is_a_venue_error_naming_the_variable(
    server: VendorServer, clock: FakeClock
) -> None:
    message = (
        "the parameter apikey is invalid or missing. Please claim your free API key on "
        "(https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds."
    )
    server.route("/query", {}, Reply(200, {"Error Message": message}))

    with pytest.raises(VenueError, match=f"apikey is invalid.*check {API_KEY_ENV}"):
        make_client(server, clock).daily("IBM")


def test_throttling_note_is_waited_out_and_retried(server: VendorServer, clock: FakeClock) -> None:
    server.route("/query", {}, Reply(200, {"Note": THROTTLE_NOTE}), Reply(200, DAILY_PAYLOAD))

    bars = make_client(server, clock, rate_limit_wait=61.0).daily("IBM")

    assert len(bars) == 2
    assert len(server.requests) == 2
    # The note's wait, and nothing from the limiter: 61 s exceeds its 12 s spacing.
    assert clock.sleeps == [61.0]


def test_throttling_information_that_persists_ends_in_a_venue_error(
    server: VendorServer, clock: FakeClock
) -> None:
    burst = (
        "Thank you for using Alpha Vantage! Please consider spreading out your free API requests "
        "more sparingly (1 request per second)."
    )
    server.route("/query", {}, Reply(200, {"Information": burst}))

    with pytest.raises(VenueError, match=r"after 3 attempts: last HTTP 200: Information: Thank"):
        make_client(server, clock).daily("IBM")

    assert len(server.requests) == 3
    assert clock.sleeps == [60.0, 60.0]


def test_premium_information_is_a_venue_error_without_retry(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route("/query", {}, Reply(200, {"Information": PREMIUM_INFORMATION}))

    with pytest.raises(VenueError, match="This is a premium endpoint"):
        make_client(server, clock).intraday("IBM", month="2010-01")

    assert len(server.requests) == 1


def test_daily_quota_is_not_retried_and_the_echoed_key_is_scrubbed(
    server: VendorServer, clock: FakeClock
) -> None:
    def quota(request: Request) -> Reply:
        text = (
            f"We have detected your API key as {request.query['apikey']} and our standard API "
            "rate limit is 25 requests per day. Please subscribe to any of the premium plans at "
            "https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."
        )
        return Reply(200, {"Information": text})

    server.route("/query", {}, quota)

    with pytest.raises(VenueError, match="daily request quota used up") as raised:
        make_client(server, clock).daily("IBM")

    assert len(server.requests) == 1
    assert KEY not in str(raised.value)
    assert "your API key as ***" in str(raised.value)


def test_429_with_retry_after_is_retried(server: VendorServer, clock: FakeClock) -> None:
    server.route(
        "/query",
        {},
        Reply(429, "Too Many Requests", {"Retry-After": "20"}),
        Reply(200, DAILY_PAYLOAD),
    )

    bars = make_client(server, clock).daily("IBM")

    assert len(bars) == 2
    assert len(server.requests) == 2
    assert clock.sleeps == [20.0]


def test_persistent_500_is_a_venue_error_after_the_attempts(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route("/query", {}, Reply(500, "Internal Server Error"))

    with pytest.raises(VenueError) as raised:
        make_client(server, clock, retry=RetryPolicy(max_attempts=4)).daily("IBM")

    assert len(server.requests) == 4
    message = str(raised.value)
    assert message.startswith("Alpha Vantage: GET /query?")
    assert "apikey=***" in message
    assert "HTTP 500" in message
    assert "after 4 attempts" in message
    assert KEY not in message
    # Backoff 1, 2, 4 s; the limiter's 12 s spacing is covered by those waits plus its own.
    assert clock.sleeps == [1.0, 11.0, 2.0, 10.0, 4.0, 8.0]


def test_a_server_too_slow_for_the_timeout_is_retried_then_fails(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route("/query", {}, Reply(200, DAILY_PAYLOAD, delay=2.0))

    with pytest.raises(VenueError, match="after 2 attempts: last ReadTimeout"):
        make_client(server, clock, timeout=0.2, retry=RetryPolicy(max_attempts=2)).daily("IBM")

    assert len(server.requests) == 2


def test_connection_refused_is_a_venue_error(clock: FakeClock) -> None:
    with VendorServer() as stopped:
        url = stopped.url  # a port nobody listens on once the server is stopped
    client = AlphaVantageClient(
        KEY, base_url=url, clock=clock, sleep=clock.sleep, retry=RetryPolicy(max_attempts=2)
    )

    with pytest.raises(VenueError, match="after 2 attempts: last ConnectError") as raised:
        client.daily("IBM")

    assert KEY not in str(raised.value)


def test_client_side_rate_limit_spaces_requests_at_5_a_minute(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route("/query", {}, Reply(200, DAILY_PAYLOAD))
    client = make_client(server, clock)

    for _ in range(3):
        client.daily("IBM")

    assert len(server.requests) == 3
    assert clock.sleeps == [12.0, 12.0]


def test_rate_limit_is_configurable(server: VendorServer, clock: FakeClock) -> None:
    server.route("/query", {}, Reply(200, DAILY_PAYLOAD))
    client = make_client(server, clock, requests_per_minute=75)

    for _ in range(3):
        client.daily("IBM")

    assert clock.sleeps == [0.8, 0.8]


def test_the_key_never_appears_in_captured_logs(
    server: VendorServer, clock: FakeClock, restore_logging: None
) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    server.route("/query", {}, Reply(503, f"upstream failed for {KEY}"), Reply(200, DAILY_PAYLOAD))

    make_client(server, clock).daily("IBM")

    logs = stream.getvalue()
    assert "http_retry" in logs
    assert "apikey=***" in logs
    assert KEY not in logs
    assert KEY not in repr(make_client(server, clock))


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"interval": "2min"}, "interval"),
        ({"month": "2024-13"}, "month"),
        ({"month": "March"}, "month"),
        ({"outputsize": "huge"}, "outputsize"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    server: VendorServer, clock: FakeClock, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError, match=f"^{field}: expected"):
        make_client(server, clock).intraday("IBM", **arguments)

    assert server.requests == []


def test_an_answer_without_the_series_is_a_venue_error(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route("/query", {}, Reply(200, {"Meta Data": {}}))

    with pytest.raises(VenueError, match=r"expected key 'Time Series \(Daily\)'"):
        make_client(server, clock).daily("IBM")


def test_a_row_with_a_bad_number_is_a_data_error(server: VendorServer, clock: FakeClock) -> None:
    series = {"2024-03-11 09:30:00": bar("1", "x", "1", "1", "1")}
    server.route("/query", {}, Reply(200, intraday_payload(series)))

    with pytest.raises(DataError, match=r"'2\. high': expected a number"):
        make_client(server, clock).intraday("IBM")


def test_fetch_intraday_to_catalog_requests_each_month_and_stores_the_bars(
    server: VendorServer, clock: FakeClock, tmp_path: Path
) -> None:
    february = {"2024-02-29 15:59:00": bar("10", "11", "9", "10.5", "100")}
    server.route("/query", {"month": "2024-02"}, Reply(200, intraday_payload(february)))
    server.route("/query", {"month": "2024-03"}, Reply(200, intraday_payload(MARCH_SERIES)))
    catalog = ParquetCatalog(tmp_path / "catalog")
    progress: list[tuple[int, int]] = []

    written = fetch_intraday_to_catalog(
        make_client(server, clock),
        catalog,
        "IBM",
        "XNYS",
        "1min",
        ["2024-02", "2024-03"],
        lambda done, total: progress.append((done, total)),
    )

    assert written == 5
    assert progress == [(1, 2), (2, 2)]
    assert [r.query["month"] for r in server.requests] == ["2024-02", "2024-03"]
    assert all(r.query["outputsize"] == "full" for r in server.requests)
    stored = catalog.read_bars("IBM.XNYS")
    # 2024-02-29 15:59 EST + 1 min = 21:00Z, one day before 2024-03-01.
    assert stored.ts[0] == (MAR_08 - 8 * 86_400 + 21 * 3600) * S
    assert stored.ts[1:].tolist() == [
        1_709_908_260 * S,
        1_709_931_600 * S,
        1_710_163_860 * S,
        1_710_163_920 * S,
    ]
    np.testing.assert_array_equal(stored.close, [10.5, 196.2, 195.1, 191.0, 191.2])


def test_fetch_refuses_a_month_of_bad_bars_and_keeps_earlier_months(
    server: VendorServer, clock: FakeClock, tmp_path: Path
) -> None:
    good = {"2024-02-29 15:59:00": bar("10", "11", "9", "10.5", "100")}
    bad = {"2024-03-08 09:30:00": bar("10", "9", "11", "10", "100")}  # high below low
    server.route("/query", {"month": "2024-02"}, Reply(200, intraday_payload(good)))
    server.route("/query", {"month": "2024-03"}, Reply(200, intraday_payload(bad)))
    catalog = ParquetCatalog(tmp_path / "catalog")

    with pytest.raises(DataError, match="IBM 1min 2024-03: row 0: expected high >= low"):
        fetch_intraday_to_catalog(
            make_client(server, clock),
            catalog,
            "IBM",
            "XNYS",
            "1min",
            ["2024-02", "2024-03"],
            None,
        )

    assert len(catalog.read_bars("IBM.XNYS")) == 1
