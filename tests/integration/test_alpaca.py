"""Alpaca connectors against loopback servers replaying the documented payloads: REST bars (paging,
null pages, close-time stamping across a DST change, error bodies, credentials in headers and
never in errors or logs) and the v2 WebSocket stream (auth, subscribe, data arrays, auth failure,
reconnects with re-auth, re-subscribe and replays, error frames). Backfill over REST after a
reconnect is in test_alpaca_backfill.py."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from vendor_server import FakeClock, Reply, VendorServer
from websockets.asyncio.server import ServerConnection, serve

from midfreq.connectors.alpaca import (
    KEY_ID_ENV,
    SECRET_KEY_ENV,
    AlpacaMarketDataClient,
    AlpacaStreamClient,
    fetch_bars_to_catalog,
)
from midfreq.connectors.http import RetryPolicy
from midfreq.core.clock import SimulatedClock
from midfreq.core.errors import ConfigError, DataError, VenueError
from midfreq.data.catalog import ParquetCatalog
from midfreq.data.live import BackoffPolicy, FeedItem, FeedUnavailable
from midfreq.infra.logging import configure_logging
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId

KEY_ID = "PKTEST7Q2W"
SECRET = "SKTEST9x8y"
S = 10**9

# Hand-computed UTC seconds. 2024-01-01T00:00Z = 1_704_067_200; + 1 day = 2024-01-02.
# 2024-03-08 = 1_709_856_000 (+ 67 days); US daylight saving began on Sunday 2024-03-10, so
# New York is UTC-5 on the 8th and UTC-4 on the 11th (= MAR_08 + 3 days).
JAN_02 = 1_704_153_600
MAR_08 = 1_709_856_000
MAR_11 = MAR_08 + 3 * 86_400
PATH = "/v2/stocks/AAPL/bars"


def alpaca_bar(t: str, o: float, h: float, lo: float, c: float, v: int) -> dict[str, Any]:
    return {"t": t, "o": o, "h": h, "l": lo, "c": c, "v": v, "n": 30, "vw": round((h + lo) / 2, 3)}


# ---- REST -----------------------------------------------------------------------------------
def make_client(server: VendorServer, clock: FakeClock, **settings: Any) -> AlpacaMarketDataClient:
    settings.setdefault("retry", RetryPolicy(max_attempts=3))
    return AlpacaMarketDataClient(
        settings.pop("key_id", KEY_ID),
        settings.pop("secret", SECRET),
        base_url=server.url,
        clock=clock,
        sleep=clock.sleep,
        **settings,
    )


def test_bars_follow_three_pages_send_auth_headers_and_stamp_at_close(
    server: VendorServer, clock: FakeClock
) -> None:
    # 09:30 New York on both sides of the DST change: 14:30Z on the 8th, 13:30Z on the 11th.
    page1 = [alpaca_bar("2024-03-08T14:30:00Z", 170.0, 170.5, 169.9, 170.2, 1000)]
    page2 = [alpaca_bar("2024-03-08T20:59:00Z", 171.0, 171.2, 170.8, 171.1, 2000)]
    page3 = [
        alpaca_bar("2024-03-11T13:30:00Z", 172.0, 172.4, 171.5, 172.3, 3000),
        alpaca_bar("2024-03-11T13:31:00Z", 172.3, 172.6, 172.1, 172.5, 4000),
    ]
    server.route(PATH, {}, Reply(200, {"bars": page1, "symbol": "AAPL", "next_page_token": "p2"}))
    server.route(
        PATH,
        {"page_token": "p2"},
        Reply(200, {"bars": page2, "symbol": "AAPL", "next_page_token": "p3"}),
    )
    server.route(
        PATH,
        {"page_token": "p3"},
        Reply(200, {"bars": page3, "symbol": "AAPL", "next_page_token": None}),
    )

    bars = make_client(server, clock, feed="sip").bars(
        "AAPL",
        "1Min",
        datetime(2024, 3, 8, 14, 30, tzinfo=UTC),
        "2024-03-11T20:00:00Z",
        adjustment="split",
        venue="XNAS",
    )

    assert bars.instrument_id == InstrumentId("AAPL.XNAS")
    assert bars.ts.tolist() == [
        (MAR_08 + 14 * 3600 + 31 * 60) * S,
        (MAR_08 + 21 * 3600) * S,
        (MAR_11 + 13 * 3600 + 31 * 60) * S,
        (MAR_11 + 13 * 3600 + 32 * 60) * S,
    ]
    np.testing.assert_array_equal(bars.open, [170.0, 171.0, 172.0, 172.3])
    np.testing.assert_array_equal(bars.high, [170.5, 171.2, 172.4, 172.6])
    np.testing.assert_array_equal(bars.low, [169.9, 170.8, 171.5, 172.1])
    np.testing.assert_array_equal(bars.close, [170.2, 171.1, 172.3, 172.5])
    np.testing.assert_array_equal(bars.volume, [1000, 2000, 3000, 4000])
    requests = server.requests_to(PATH)
    assert [r.query.get("page_token") for r in requests] == [None, "p2", "p3"]
    for request in requests:
        assert request.query["timeframe"] == "1Min"
        assert request.query["start"] == "2024-03-08T14:30:00.000000Z"
        assert request.query["end"] == "2024-03-11T20:00:00Z"
        assert request.query["limit"] == "10000"
        assert request.query["adjustment"] == "split"
        assert request.query["feed"] == "sip"
        assert request.headers["apca-api-key-id"] == KEY_ID
        assert request.headers["apca-api-secret-key"] == SECRET
        assert KEY_ID not in request.raw_path and SECRET not in request.raw_path


def test_daily_bars_close_at_four_pm_new_york_across_the_dst_change(
    server: VendorServer, clock: FakeClock
) -> None:
    # Alpaca starts daily bars at midnight New York: 05:00Z in EST, 04:00Z in EDT.
    days = [
        alpaca_bar("2024-03-08T05:00:00Z", 170.0, 173.0, 168.0, 170.7, 90_000),
        alpaca_bar("2024-03-11T04:00:00Z", 168.0, 174.0, 167.0, 172.8, 80_000),
    ]
    server.route(PATH, {"timeframe": "1Day"}, Reply(200, {"bars": days, "next_page_token": None}))

    bars = make_client(server, clock).bars("AAPL", "1Day", "2024-03-08", "2024-03-11")

    # 16:00 EST = 21:00Z; 16:00 EDT = 20:00Z.
    assert bars.ts.tolist() == [(MAR_08 + 21 * 3600) * S, (MAR_11 + 20 * 3600) * S]
    np.testing.assert_array_equal(bars.close, [170.7, 172.8])


def test_hourly_bars_end_one_hour_after_their_start(server: VendorServer, clock: FakeClock) -> None:
    hour = [alpaca_bar("2024-01-02T14:00:00Z", 187.15, 187.2, 187.0, 187.1, 2000)]
    server.route(PATH, {}, Reply(200, {"bars": hour, "next_page_token": None}))

    bars = make_client(server, clock).bars("AAPL", "1Hour", "2024-01-02", "2024-01-03")

    assert bars.ts.tolist() == [(JAN_02 + 15 * 3600) * S]


def test_null_bars_give_an_empty_result_after_one_request(
    server: VendorServer, clock: FakeClock
) -> None:
    server.route(PATH, {}, Reply(200, {"bars": None, "symbol": "AAPL", "next_page_token": None}))

    bars = make_client(server, clock).bars("AAPL", "5Min", "2024-01-06", "2024-01-07")

    assert len(bars) == 0
    assert len(server.requests) == 1


def test_paging_stops_at_max_pages(server: VendorServer, clock: FakeClock) -> None:
    server.route(PATH, {}, Reply(200, {"bars": None, "next_page_token": "again"}))

    with pytest.raises(VenueError, match="max_pages=3"):
        make_client(server, clock, max_pages=3).bars("AAPL", "1Min", "2024-01-02", "2024-01-03")

    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("status", "body", "error", "pattern"),
    [
        (
            400,
            {"code": 40010001, "message": "invalid symbol: AAPL$"},
            DataError,
            r"HTTP 400: invalid symbol: AAPL\$ \(code 40010001\)",
        ),
        (
            422,
            {"code": 42210000, "message": "invalid timeframe"},
            DataError,
            r"HTTP 422: invalid timeframe \(code 42210000\)",
        ),
        (
            401,
            {"code": 40110000, "message": "request is not authorized"},
            VenueError,
            f"HTTP 401: credentials refused.*{KEY_ID_ENV} and {SECRET_KEY_ENV}",
        ),
        (
            403,
            {"message": "forbidden"},
            VenueError,
            f"HTTP 403: credentials refused: forbidden.*{KEY_ID_ENV} and {SECRET_KEY_ENV}",
        ),
    ],
)
def test_error_bodies_become_data_or_venue_errors(
    server: VendorServer,
    clock: FakeClock,
    status: int,
    body: dict[str, Any],
    error: type[Exception],
    pattern: str,
) -> None:
    server.route(PATH, {}, Reply(status, body))

    with pytest.raises(error, match=pattern) as raised:
        make_client(server, clock).bars("AAPL", "1Min", "2024-01-02", "2024-01-03")

    assert type(raised.value) is error
    assert len(server.requests) == 1  # a 4xx is not retried


def test_rate_limits_are_retried(server: VendorServer, clock: FakeClock) -> None:
    page = [alpaca_bar("2024-01-02T14:30:00Z", 187.15, 187.2, 187.0, 187.1, 2000)]
    server.route(
        PATH,
        {},
        Reply(429, {"message": "too many requests."}, {"Retry-After": "3"}),
        Reply(200, {"bars": page, "next_page_token": None}),
    )

    bars = make_client(server, clock).bars("AAPL", "1Min", "2024-01-02", "2024-01-03")

    assert bars.ts.tolist() == [(JAN_02 + 14 * 3600 + 31 * 60) * S]
    assert 3.0 in clock.sleeps
    assert len(server.requests) == 2


def test_credentials_never_appear_in_errors_or_logs(
    server: VendorServer, clock: FakeClock, restore_logging: None
) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    server.route(
        PATH,
        {},
        Reply(503, f"upstream failed for {KEY_ID}:{SECRET}"),
        Reply(403, {"message": f"key {KEY_ID} with secret {SECRET} is forbidden"}),
    )
    client = make_client(server, clock)

    with pytest.raises(VenueError) as raised:
        client.bars("AAPL", "1Min", "2024-01-02", "2024-01-03")

    logs = stream.getvalue()
    assert "http_retry" in logs and "HTTP Request" in logs  # the loggers did write
    assert "***" in str(raised.value)
    for secret in (KEY_ID, SECRET):
        assert secret not in str(raised.value)
        assert secret not in logs
        assert secret not in repr(client)


def test_credentials_are_read_from_the_environment(
    server: VendorServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ID_ENV, "PKENV1")
    monkeypatch.setenv(SECRET_KEY_ENV, "SKENV2")
    server.route(PATH, {}, Reply(200, {"bars": None, "next_page_token": None}))

    AlpacaMarketDataClient(base_url=server.url, clock=clock, sleep=clock.sleep).bars(
        "AAPL", "1Min", "2024-01-02", "2024-01-03"
    )

    assert server.requests[0].headers["apca-api-key-id"] == "PKENV1"
    assert server.requests[0].headers["apca-api-secret-key"] == "SKENV2"


@pytest.mark.parametrize(
    ("present", "missing"), [({}, KEY_ID_ENV), ({KEY_ID_ENV: "PKENV1"}, SECRET_KEY_ENV)]
)
def test_missing_credentials_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, present: dict[str, str], missing: str
) -> None:
    monkeypatch.delenv(KEY_ID_ENV, raising=False)
    monkeypatch.delenv(SECRET_KEY_ENV, raising=False)
    for name, value in present.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=f"^{missing}: expected .* {missing}"):
        AlpacaMarketDataClient()
    with pytest.raises(ConfigError, match=f"^{missing}: expected"):
        AlpacaStreamClient(["AAPL"])


def test_fetch_bars_to_catalog_stores_each_symbol(
    server: VendorServer, clock: FakeClock, tmp_path: Path
) -> None:
    aapl = [alpaca_bar("2024-01-02T14:30:00Z", 187.15, 187.2, 187.0, 187.1, 2000)]
    msft = [
        alpaca_bar("2024-01-02T14:30:00Z", 370.0, 370.5, 369.5, 370.2, 500),
        alpaca_bar("2024-01-02T14:31:00Z", 370.2, 370.9, 370.1, 370.8, 700),
    ]
    server.route(PATH, {}, Reply(200, {"bars": aapl, "next_page_token": None}))
    server.route("/v2/stocks/MSFT/bars", {}, Reply(200, {"bars": msft, "next_page_token": None}))
    server.route("/v2/stocks/NONE/bars", {}, Reply(200, {"bars": None, "next_page_token": None}))
    catalog = ParquetCatalog(tmp_path / "catalog")
    progress: list[tuple[int, int]] = []

    written = fetch_bars_to_catalog(
        make_client(server, clock),
        catalog,
        ["AAPL", "MSFT", "NONE"],
        "1Min",
        "2024-01-02",
        "2024-01-03",
        "XNAS",
        lambda done, total: progress.append((done, total)),
    )

    assert written == 3
    assert progress == [(1, 3), (2, 3), (3, 3)]
    stored = catalog.read_bars("MSFT.XNAS")
    first_close = JAN_02 + 14 * 3600 + 31 * 60
    assert stored.ts.tolist() == [first_close * S, (first_close + 60) * S]
    np.testing.assert_array_equal(stored.close, [370.2, 370.8])
    assert catalog.read_bars("AAPL.XNAS").close.tolist() == [187.1]


# ---- WebSocket stream ------------------------------------------------------------------------
NOW = (JAN_02 + 15 * 3600) * S  # 2024-01-02T15:00:00Z
T0 = "2024-01-02T14:30:00"
FAST_BACKOFF = BackoffPolicy(initial=0.002, maximum=0.02, multiplier=2.0, jitter=0.5)
TIMEOUT = 10.0
AUTH = {"action": "auth", "key": KEY_ID, "secret": SECRET}

Handler = Callable[[ServerConnection], Awaitable[None]]


@contextlib.asynccontextmanager
async def alpaca_server(handler: Handler) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0, compression=None) as running:
        port = running.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v2/iex"


async def handshake(connection: ServerConnection, received: list[Any]) -> bool:
    """Play Alpaca's side of connect + auth + subscribe; record what the client sent."""
    await connection.send(json.dumps([{"T": "success", "msg": "connected"}]))
    auth = json.loads(await connection.recv())
    received.append(auth)
    if auth != AUTH:
        await connection.send(json.dumps([{"T": "error", "code": 402, "msg": "auth failed"}]))
        return False
    await connection.send(json.dumps([{"T": "success", "msg": "authenticated"}]))
    subscribe = json.loads(await connection.recv())
    received.append(subscribe)
    ack = {"T": "subscription", **{k: v for k, v in subscribe.items() if k != "action"}}
    await connection.send(json.dumps([ack]))
    return True


def make_stream(url: str, **settings: Any) -> AlpacaStreamClient:
    # These tests have no REST side: backfill (test_alpaca_backfill.py) is off.
    settings.setdefault("max_backfill_seconds", 0)
    return AlpacaStreamClient(
        settings.pop("symbols", ["AAPL", "MSFT"]),
        settings.pop("key_id", KEY_ID),
        SECRET,
        url=url,
        clock=SimulatedClock(NOW),
        backoff=settings.pop("backoff", FAST_BACKOFF),
        rng=random.Random(3),
        **settings,
    )


async def collect(client: AlpacaStreamClient, count: int) -> list[FeedItem]:
    items: list[FeedItem] = []
    async with contextlib.aclosing(client.stream()) as stream:
        async for batch in stream:
            items.extend(batch)
            if len(items) >= count:
                break
    return items


def test_stream_authenticates_subscribes_and_maps_quotes_trades_and_bars(
    caplog: pytest.LogCaptureFixture,
) -> None:
    received: list[Any] = []
    frame = [
        {
            "T": "q",
            "S": "AAPL",
            "bx": "V",
            "bp": 187.1,
            "bs": 1,
            "ax": "V",
            "ap": 187.12,
            "as": 2,
            "t": f"{T0}.123456789Z",
            "c": ["R"],
            "z": "C",
        },
        {
            "T": "t",
            "S": "MSFT",
            "i": 52983525029461,
            "x": "V",
            "p": 370.11,
            "s": 100,
            "t": f"{T0}.5Z",
            "c": ["@"],
            "z": "C",
        },
        {"T": "error", "code": 407, "msg": "slow client"},
        {"T": "b", "S": "AAPL", "o": 187.0, "h": 187.3, "l": 186.9, "c": 187.2, "v": 4200,
         "t": f"{T0}Z", "n": 31, "vw": 187.1},
    ]  # fmt: skip

    async def handler(connection: ServerConnection) -> None:
        if await handshake(connection, received):
            await connection.send(json.dumps(frame))
        await connection.wait_closed()

    async def session() -> tuple[list[FeedItem], AlpacaStreamClient]:
        async with alpaca_server(handler) as url:
            client = make_stream(url, channels=("quotes", "trades", "bars"))
            return await asyncio.wait_for(collect(client, 3), TIMEOUT), client

    caplog.set_level(logging.DEBUG, logger="websockets")
    items, client = asyncio.run(session())

    start = (JAN_02 + 14 * 3600 + 30 * 60) * S
    assert items == [
        QuoteTick(InstrumentId("AAPL.SIM"), 187.1, 187.12, 1.0, 2.0, start + 123_456_789, NOW),
        TradeTick(
            InstrumentId("MSFT.SIM"),
            370.11,
            100.0,
            AggressorSide.NO_AGGRESSOR,
            "52983525029461",
            start + 500_000_000,
            NOW,
        ),
        Bar(InstrumentId("AAPL.SIM"), 187.0, 187.3, 186.9, 187.2, 4200.0, start + 60 * S, NOW),
    ]
    symbols = ["AAPL", "MSFT"]
    assert received == [
        AUTH,
        {"action": "subscribe", "quotes": symbols, "trades": symbols, "bars": symbols},
    ]
    assert client.stats.error_frames == 1
    assert client.stats.rejected == 0
    # The client's websockets log shows the frames it sent, not the credentials (the test
    # server's own log, websockets.server, does show them: that side is not ours).
    client_log = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("websockets.client")
    )
    assert '> TEXT \'{"action":"auth"' in client_log
    assert KEY_ID not in client_log and SECRET not in client_log


def test_rejected_credentials_raise_once_without_reconnecting() -> None:
    received: list[Any] = []
    connections = 0

    async def handler(connection: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        await handshake(connection, received)
        await connection.wait_closed()

    async def session() -> None:
        async with alpaca_server(handler) as url:
            client = make_stream(url, key_id="PKWRONG")
            await asyncio.wait_for(collect(client, 1), TIMEOUT)

    with pytest.raises(VenueError, match=f"402.*{KEY_ID_ENV} and {SECRET_KEY_ENV}") as raised:
        asyncio.run(session())

    assert not isinstance(raised.value, FeedUnavailable)
    assert connections == 1
    assert received == [{"action": "auth", "key": "PKWRONG", "secret": SECRET}]


def test_reconnects_reauthenticate_resubscribe_and_drop_replayed_messages() -> None:
    def quote(i: int) -> dict[str, Any]:
        return {"T": "q", "S": "AAPL", "bp": 100 + i, "bs": 1, "ap": 100.5 + i, "as": 3,
                "t": f"{T0}.{i:03d}Z"}  # fmt: skip

    def trade(i: int) -> dict[str, Any]:
        return {"T": "t", "S": "MSFT", "i": 1000 + i, "p": 50 + i, "s": 10, "t": f"{T0}.{i:03d}Z"}

    messages = [quote(i) if i % 2 == 0 else trade(i) for i in range(12)]
    received: list[Any] = []
    sent, connections, drops, replay = 0, 0, 2, 2

    async def handler(connection: ServerConnection) -> None:
        nonlocal sent, connections
        connections += 1
        number = connections
        await handshake(connection, received)
        if sent:  # already delivered before the drop: replayed
            await connection.send(json.dumps(messages[sent - replay : sent]))
        end = sent + 4 if number <= drops else len(messages)
        for chunk in (messages[sent : end - 2], messages[end - 2 : end]):
            await connection.send(json.dumps(chunk))
        sent = end
        if number <= drops:
            await connection.close()
        else:
            await connection.wait_closed()

    async def session() -> tuple[list[FeedItem], AlpacaStreamClient]:
        async with alpaca_server(handler) as url:
            client = make_stream(url)
            return await asyncio.wait_for(collect(client, len(messages)), TIMEOUT), client

    items, client = asyncio.run(session())

    start = (JAN_02 + 14 * 3600 + 30 * 60) * S
    expected: list[FeedItem] = []
    for i in range(12):
        ts = start + i * 1_000_000
        if i % 2 == 0:
            expected.append(
                QuoteTick(InstrumentId("AAPL.SIM"), 100.0 + i, 100.5 + i, 1.0, 3.0, ts, NOW)
            )
        else:
            expected.append(
                TradeTick(
                    InstrumentId("MSFT.SIM"),
                    50.0 + i,
                    10.0,
                    AggressorSide.NO_AGGRESSOR,
                    str(1000 + i),
                    ts,
                    NOW,
                )
            )
    assert items == expected
    symbols = ["AAPL", "MSFT"]
    assert received == [AUTH, {"action": "subscribe", "quotes": symbols, "trades": symbols}] * 3
    assert client.stats.reconnects == drops
    assert client.stats.duplicates_dropped == drops * replay
    assert client.stats.rejected == 0


def test_channels_must_be_known() -> None:
    with pytest.raises(ValueError, match="channels"):
        AlpacaStreamClient(["AAPL"], KEY_ID, SECRET, channels=("quotes", "orderbooks"))


@pytest.mark.parametrize("seconds", [-1.0, float("inf"), float("nan")])
def test_max_backfill_seconds_must_be_finite_and_not_negative(seconds: float) -> None:
    with pytest.raises(ValueError, match=r"^max_backfill_seconds: expected seconds >= 0"):
        AlpacaStreamClient(["AAPL"], KEY_ID, SECRET, max_backfill_seconds=seconds)
