"""Backfill of the Alpaca stream after a reconnect, against loopback servers playing Alpaca's
documented protocol: the v2 WebSocket stream, and the REST history
(``/v2/stocks/{symbol}/trades|quotes|bars`` with ``start``/``end``/``limit``/``feed``,
``page_token``/``next_page_token`` paging, ``{"message": ...}`` error bodies, 429 with the
``X-Ratelimit-*`` headers). A dropped connection's missed trades come back exactly once; paging,
rate limits, retries, failures, bad records and the window bound are each checked."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import doctest
import io
import json
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pandas as pd
import pytest
from vendor_server import FakeClock, Reply, Request, VendorServer
from websockets.asyncio.server import ServerConnection, serve

from midfreq.connectors.alpaca import AlpacaMarketDataClient, AlpacaStreamClient
from midfreq.connectors.alpaca import stream as stream_module
from midfreq.connectors.http import RateLimiter, RetryPolicy
from midfreq.core.clock import SimulatedClock
from midfreq.data.live import BackoffPolicy, FeedItem, RejectReason
from midfreq.infra.logging import configure_logging
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId

KEY_ID = "PKBACKFILL1"
SECRET = "SKBACKFILL2"
S = 10**9
MS = 10**6
# 2024-01-02T15:00:00Z: 2024-01-01T00:00Z is 1_704_067_200 s, plus one day and 15 hours.
NOW = (1_704_067_200 + 86_400 + 15 * 3600) * S
NOW_TEXT = "2024-01-02T15:00:00.000000000Z"
AAPL = InstrumentId("AAPL.SIM")
MSFT = InstrumentId("MSFT.SIM")
FAST_BACKOFF = BackoffPolicy(initial=0.002, maximum=0.02, multiplier=2.0, jitter=0.5)
FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
TIMEOUT = 10.0
AUTH = {"action": "auth", "key": KEY_ID, "secret": SECRET}
RATE_LIMITED = {
    "X-Ratelimit-Limit": "200",
    "X-Ratelimit-Remaining": "0",
    "X-Ratelimit-Reset": str(NOW // S + 60),
}

Handler = Callable[[ServerConnection], Awaitable[None]]


# ---- Alpaca's side ---------------------------------------------------------------------------
def trade_record(i: int) -> dict[str, Any]:
    """Trade ``i`` as the REST history lists it: 1 ms apart from 14:59:50Z, nanosecond times."""
    seconds, nanos = divmod(i * MS + 7, S)
    return {
        "t": f"2024-01-02T14:59:{50 + seconds:02d}.{nanos:09d}Z",
        "x": "V",
        "p": round(187.0 + i * 0.01, 2),
        "s": 100 + i,
        "c": ["@"],
        "i": 5000 + i,
        "z": "C",
    }


def trade_tick(i: int, symbol: InstrumentId = AAPL) -> TradeTick:
    """Trade ``i`` as the client must deliver it (hand-computed from the record)."""
    ts = NOW - 10 * S + i * MS + 7
    price = round(187.0 + i * 0.01, 2)
    return TradeTick(symbol, price, 100.0 + i, AggressorSide.NO_AGGRESSOR, str(5000 + i), ts, NOW)


class Tape:
    """A symbol's trades as they happen on the server, served by the REST trades endpoint.

    Filters on ``start <= t <= end`` (RFC-3339, parsed by pandas), pages by
    ``min(limit, page_size)`` with opaque tokens, and checks the key headers.
    """

    def __init__(self, symbol: str, page_size: int) -> None:
        self.symbol = symbol
        self.page_size = page_size
        self.trades: list[dict[str, Any]] = []
        self.pages: list[int] = []
        """The number of trades on each page served."""
        self.last_page_served = threading.Event()
        self._lock = threading.Lock()

    def happen(self, trades: list[dict[str, Any]]) -> None:
        with self._lock:
            self.trades.extend(trades)

    def reply(self, request: Request) -> Reply:
        if (request.headers.get("apca-api-key-id"), request.headers.get("apca-api-secret-key")) != (
            KEY_ID,
            SECRET,
        ):
            return Reply(401, {"code": 40110000, "message": "request is not authorized"})
        start = pd.Timestamp(request.query["start"]).value
        end = pd.Timestamp(request.query["end"]).value
        with self._lock:
            matching = [r for r in self.trades if start <= pd.Timestamp(r["t"]).value <= end]
        token = request.query.get("page_token")
        offset = int(base64.urlsafe_b64decode(token).decode().split("|")[1]) if token else 0
        size = min(int(request.query["limit"]), self.page_size)
        page = matching[offset : offset + size]
        self.pages.append(len(page))
        following = offset + size
        next_token = None
        if following < len(matching):
            next_token = base64.urlsafe_b64encode(f"{self.symbol}|{following}".encode()).decode()
        else:
            self.last_page_served.set()
        return Reply(200, {"trades": page, "symbol": self.symbol, "next_page_token": next_token})


@contextlib.asynccontextmanager
async def stream_server(handler: Handler) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0, compression=None) as running:
        port = running.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v2/iex"


async def handshake(connection: ServerConnection, subscriptions: list[Any]) -> None:
    await connection.send(json.dumps([{"T": "success", "msg": "connected"}]))
    assert json.loads(await connection.recv()) == AUTH
    await connection.send(json.dumps([{"T": "success", "msg": "authenticated"}]))
    subscribe = json.loads(await connection.recv())
    subscriptions.append(subscribe)
    ack = {"T": "subscription", **{k: v for k, v in subscribe.items() if k != "action"}}
    await connection.send(json.dumps([ack]))


async def send_trades(
    connection: ServerConnection, symbol: str, records: list[dict[str, Any]]
) -> None:
    for chunk in (records[: len(records) // 2], records[len(records) // 2 :]):
        await connection.send(json.dumps([{"T": "t", "S": symbol, **r} for r in chunk]))


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    # Bounded: the caller's assertions report what did not happen.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.002)


# ---- the client's side -----------------------------------------------------------------------
def make_stream(url: str, rest_url: str, **settings: Any) -> AlpacaStreamClient:
    settings.setdefault("rest_retry", FAST_RETRY)
    settings.setdefault("rate_limiter", RateLimiter(60_000))
    return AlpacaStreamClient(
        settings.pop("symbols", ["AAPL"]),
        KEY_ID,
        SECRET,
        url=url,
        rest_url=rest_url,
        channels=settings.pop("channels", ("trades",)),
        clock=SimulatedClock(NOW),
        backoff=FAST_BACKOFF,
        rng=random.Random(5),
        **settings,
    )


async def collect(client: AlpacaStreamClient, count: int) -> list[FeedItem]:
    items: list[FeedItem] = []
    async with contextlib.aclosing(client.stream()) as stream:
        async for batch in stream:
            items.extend(batch)
            if len(items) >= count:
                break
    await client.close()
    return items


@pytest.fixture
def logs(restore_logging: None) -> Callable[[], list[dict[str, Any]]]:
    """The JSON log lines written during the test, parsed (logging is put back afterwards)."""
    stream = io.StringIO()
    configure_logging("DEBUG", console_format="json", stream=stream)
    return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]


def events(records: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r for r in records if r["event"] == name]


# ---- the gap of a dropped connection is filled exactly once ----------------------------------
def test_trades_missed_while_disconnected_are_backfilled_across_pages_exactly_once(
    server: VendorServer,
) -> None:
    tape = Tape("AAPL", page_size=4)
    server.route("/v2/stocks/AAPL/trades", {}, tape.reply)
    records = [trade_record(i) for i in range(30)]
    subscriptions: list[Any] = []
    connections = 0
    client: AlpacaStreamClient | None = None
    limiter_clock = FakeClock()

    async def handler(connection: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        await handshake(connection, subscriptions)
        if connections == 1:
            tape.happen(records[:10])
            await send_trades(connection, "AAPL", records[:10])
            await until(lambda: client is not None and client.stats.accepted >= 10)
            tape.happen(records[10:20])  # printed while the client is away
            connection.transport.abort()  # a drop: no close frame
            return
        # The client reads the stream only once its backfill is done; to pin the counts, the
        # next trades print after the REST history was read.
        await asyncio.to_thread(tape.last_page_served.wait, 5.0)
        tape.happen(records[20:])
        await send_trades(connection, "AAPL", records[20:])
        await connection.wait_closed()

    async def session() -> list[FeedItem]:
        nonlocal client
        async with stream_server(handler) as url:
            client = make_stream(
                url,
                server.url,
                rate_limiter=RateLimiter(120, clock=limiter_clock, sleep=limiter_clock.sleep),
            )
            return await asyncio.wait_for(collect(client, len(records)), TIMEOUT)

    items = asyncio.run(session())

    assert client is not None
    assert items == [trade_tick(i) for i in range(30)]
    assert [item.trade_id for item in items] == [str(r["i"]) for r in tape.trades]  # the tape
    assert subscriptions == [{"action": "subscribe", "trades": ["AAPL"]}] * 2
    requests = server.requests_to("/v2/stocks/AAPL/trades")
    # From the last trade delivered (the 10th, again: inclusive) to the clock: 11 records.
    assert tape.pages == [4, 4, 3]
    tokens = [r.query.get("page_token") for r in requests]
    assert tokens[0] is None and len(set(tokens)) == 3
    for request in requests:
        assert request.query["start"] == "2024-01-02T14:59:50.009000007Z"
        assert request.query["end"] == NOW_TEXT
        assert request.query["feed"] == "iex"
        assert request.query["limit"] == "10000"
        assert KEY_ID not in request.raw_path and SECRET not in request.raw_path
    assert limiter_clock.sleeps == [0.5, 0.5]  # 120 a minute: one request every half second
    assert client.stats.reconnects == 1
    assert client.stats.backfilled == 10
    assert client.stats.duplicates_dropped == 1  # the 10th trade, delivered before the drop
    assert client.stats.rejected == 0


# ---- every channel, each from its own last update --------------------------------------------
def test_backfill_reads_quotes_trades_and_bars_each_from_its_last_update(
    server: VendorServer,
) -> None:
    quotes = [
        {"t": "2024-01-02T14:59:58.100000000Z", "ax": "V", "ap": 187.12, "as": 2, "bx": "V",
         "bp": 187.1, "bs": 1, "c": ["R"], "z": "C"},
        {"t": "2024-01-02T14:59:59.5Z", "ax": "Q", "ap": 187.14, "as": 3, "bx": "K",
         "bp": 187.11, "bs": 4, "c": ["R"], "z": "C"},
    ]  # fmt: skip
    trades = [trade_record(8_000)]  # 14:59:58.000000007
    bars = [
        {"t": "2024-01-02T14:58:00Z", "o": 187.0, "h": 187.3, "l": 186.9, "c": 187.2,
         "v": 4200, "n": 31, "vw": 187.1},
        {"t": "2024-01-02T14:59:00Z", "o": 187.2, "h": 187.4, "l": 187.1, "c": 187.3,
         "v": 3100, "n": 22, "vw": 187.25},
    ]  # fmt: skip
    for dataset, page in (("quotes", quotes), ("trades", trades), ("bars", bars)):
        body = {dataset: page, "symbol": "AAPL", "next_page_token": None}
        server.route(f"/v2/stocks/AAPL/{dataset}", {}, Reply(200, body))
    client = make_stream("ws://127.0.0.1:9", server.url, channels=("quotes", "trades", "bars"))
    since = NOW - 2 * S  # the symbol's last update delivered, at 14:59:58
    # Delivered before the drop: no trade; a bar closed at 14:58 (the one closing at 14:59
    # was still on its way); a quote ten minutes old (quotes were quiet, not cut off).
    client.validator.admit(Bar(AAPL, 1.0, 1.0, 1.0, 1.0, 1.0, NOW - 120 * S, NOW))
    client.validator.admit(QuoteTick(AAPL, 1.0, 1.1, 1.0, 1.0, NOW - 600 * S, NOW))

    items = asyncio.run(client.backfill("AAPL", since, NOW))

    assert items == [
        QuoteTick(AAPL, 187.1, 187.12, 1.0, 2.0, NOW - 2 * S + 100 * MS, NOW),
        QuoteTick(AAPL, 187.11, 187.14, 4.0, 3.0, NOW - S // 2, NOW),
        trade_tick(8_000),
        Bar(AAPL, 187.0, 187.3, 186.9, 187.2, 4200.0, NOW - 60 * S, NOW),
        Bar(AAPL, 187.2, 187.4, 187.1, 187.3, 3100.0, NOW, NOW),
    ]
    (quote_request,) = server.requests_to("/v2/stocks/AAPL/quotes")
    (trade_request,) = server.requests_to("/v2/stocks/AAPL/trades")
    (bar_request,) = server.requests_to("/v2/stocks/AAPL/bars")
    assert quote_request.query["start"] == "2024-01-02T14:58:58.000000000Z"  # a minute back
    assert trade_request.query["start"] == "2024-01-02T14:59:58.000000000Z"
    # Bars by their start: those closing from 14:58:58 (a minute before 14:59:58) to 15:00.
    assert bar_request.query["start"] == "2024-01-02T14:57:58.000000000Z"
    assert bar_request.query["end"] == "2024-01-02T14:59:00.000000000Z"
    assert bar_request.query["timeframe"] == "1Min"
    assert bar_request.query["adjustment"] == "raw"
    for request in (quote_request, trade_request):
        assert request.query["end"] == NOW_TEXT
        assert "timeframe" not in request.query and "adjustment" not in request.query
    assert {r.query["feed"] for r in server.requests} == {"iex"}


# ---- rate limits, failures ------------------------------------------------------------------
def test_a_429_is_retried_and_the_backfill_succeeds(
    server: VendorServer, logs: Callable[[], list[dict[str, Any]]]
) -> None:
    page = {"trades": [trade_record(1), trade_record(2)], "symbol": "AAPL", "next_page_token": None}
    server.route(
        "/v2/stocks/AAPL/trades",
        {},
        Reply(429, {"message": "too many requests."}, RATE_LIMITED),
        Reply(200, page),
    )
    client = make_stream("ws://127.0.0.1:9", server.url)

    items = asyncio.run(client.backfill("AAPL", NOW - 10 * S, NOW))

    assert items == [trade_tick(1), trade_tick(2)]
    assert len(server.requests) == 2
    (retry,) = events(logs(), "http_retry")
    assert retry["vendor"] == "Alpaca" and "HTTP 429" in retry["reason"]
    assert not events(logs(), "feed_backfill_request_failed")


def drop_once(rest_url: str, **settings: Any) -> tuple[list[FeedItem], AlpacaStreamClient]:
    """Stream AAPL trades 0-4, drop the connection, then stream 10-14: 5-9 only REST has."""
    aapl = [trade_record(i) for i in range(15)]
    connections = 0
    client: AlpacaStreamClient | None = None

    async def handler(connection: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        await handshake(connection, [])
        if connections == 1:
            await send_trades(connection, "AAPL", aapl[:5])
            await until(lambda: client is not None and client.stats.accepted >= 5)
            connection.transport.abort()
            return
        await send_trades(connection, "AAPL", aapl[10:])
        await connection.wait_closed()

    async def session() -> tuple[list[FeedItem], AlpacaStreamClient]:
        nonlocal client
        async with stream_server(handler) as url:
            client = make_stream(url, rest_url, **settings)
            return await asyncio.wait_for(collect(client, 10), TIMEOUT), client

    return asyncio.run(session())


def test_a_rest_failure_during_backfill_is_logged_and_the_stream_goes_on(
    server: VendorServer, logs: Callable[[], list[dict[str, Any]]]
) -> None:
    # The outage echoes the credentials: they must not reach the log.
    server.route("/v2/stocks/AAPL/trades", {}, Reply(503, f"upstream failed for {KEY_ID}:{SECRET}"))
    server.route("/v2/stocks/MSFT/trades", {}, Reply(200, {"trades": [], "next_page_token": None}))

    items, client = drop_once(server.url, symbols=["AAPL", "MSFT"])

    assert items == [trade_tick(i) for i in (*range(5), *range(10, 15))]  # 5-9 stay missing
    assert len(server.requests_to("/v2/stocks/AAPL/trades")) == FAST_RETRY.max_attempts
    # An outage is not MSFT's own: its request is skipped, not retried through again.
    assert server.requests_to("/v2/stocks/MSFT/trades") == []
    records = logs()
    (failed,) = events(records, "feed_backfill_request_failed")
    assert failed["level"] == "warning"
    assert (failed["symbol"], failed["channel"]) == ("AAPL", "trades")
    assert failed["gap_start"] == "2024-01-02T14:59:50.004000007Z"  # the 5th trade
    assert failed["gap_end"] == NOW_TEXT
    assert "HTTP 503" in failed["error"] and "***" in failed["error"]
    (skipped,) = events(records, "feed_backfill_skipped")
    assert (skipped["symbol"], skipped["gap_end"]) == ("MSFT", NOW_TEXT)
    # The test server's own websockets log shows the auth frame it received: not ours.
    text = json.dumps([r for r in records if r.get("logger") != "websockets.server"])
    assert "HTTP Request" in text  # httpx's log is in
    assert KEY_ID not in text and SECRET not in text
    assert client.stats.reconnects == 1 and client.stats.backfilled == 0


def test_an_unexpected_backfill_error_is_caught_by_the_feed(
    server: VendorServer,
    logs: Callable[[], list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Not an error of Alpaca's: `LiveFeedClient` catches it, logs it and reads the stream on.
    def broken(*args: Any, **kwargs: Any) -> list[Any]:
        raise RuntimeError("a bug in the REST layer")

    monkeypatch.setattr(AlpacaMarketDataClient, "records", broken)

    items, client = drop_once(server.url)

    assert items == [trade_tick(i) for i in (*range(5), *range(10, 15))]
    (failed,) = events(logs(), "feed_backfill_failed")
    assert failed["level"] == "warning" and failed["symbol"] == "AAPL"
    assert "a bug in the REST layer" in failed["error"]
    assert client.stats.reconnects == 1


def test_a_symbols_own_error_does_not_skip_the_other_symbols(
    server: VendorServer, logs: Callable[[], list[dict[str, Any]]]
) -> None:
    server.route(
        "/v2/stocks/AAPL/trades", {}, Reply(422, {"code": 42210000, "message": "invalid symbol"})
    )
    server.route(
        "/v2/stocks/MSFT/trades",
        {},
        Reply(200, {"trades": [trade_record(3)], "symbol": "MSFT", "next_page_token": None}),
    )
    client = make_stream("ws://127.0.0.1:9", server.url, symbols=["AAPL", "MSFT"])

    async def one_round() -> tuple[list[Any], list[Any]]:
        return (
            await client.backfill("AAPL", NOW - 10 * S, NOW),
            await client.backfill("MSFT", NOW - 10 * S, NOW),
        )

    aapl, msft = asyncio.run(one_round())

    assert aapl == [] and msft == [trade_tick(3, MSFT)]
    assert len(server.requests_to("/v2/stocks/AAPL/trades")) == 1  # a 4xx is not retried
    (failed,) = events(logs(), "feed_backfill_request_failed")
    assert "HTTP 422: invalid symbol (code 42210000)" in failed["error"]
    assert not events(logs(), "feed_backfill_skipped")


# ---- bad records ----------------------------------------------------------------------------
def test_bad_records_are_rejected_with_a_counted_reason(server: VendorServer) -> None:
    good = trade_record(1)
    trades = [
        good,
        {**trade_record(2), "p": 0},
        {**trade_record(3), "s": -100},
        {k: v for k, v in trade_record(4).items() if k != "i"},
        {**trade_record(5), "t": "yesterday"},
        {**trade_record(6), "t": "2024-01-02T15:00:30Z"},  # 30 s ahead of the clock
        {**trade_record(7), "p": "187.07"},
        "garbage",
    ]
    quotes = [{"t": "2024-01-02T14:59:55Z", "ap": 187.0, "as": 1, "bp": 187.2, "bs": 1}]
    bars = [{"t": "2024-01-02T14:58:00Z", "o": 187.0, "h": 186.0, "l": 185.0, "c": 187.0, "v": 1}]
    for dataset, page in (("quotes", quotes), ("trades", trades), ("bars", bars)):
        server.route(
            f"/v2/stocks/AAPL/{dataset}", {}, Reply(200, {dataset: page, "next_page_token": None})
        )
    client = make_stream("ws://127.0.0.1:9", server.url, channels=("quotes", "trades", "bars"))

    items = asyncio.run(client.backfill("AAPL", NOW - 10 * S, NOW))

    assert items == [trade_tick(1)]
    assert dict(client.validator.rejections) == {
        RejectReason.CROSSED_QUOTE: 1,
        RejectReason.INVALID_PRICE: 1,
        RejectReason.INVALID_SIZE: 1,
        RejectReason.MISSING_FIELD: 1,
        RejectReason.INVALID_TIMESTAMP: 1,
        RejectReason.FUTURE_TIMESTAMP: 1,
        RejectReason.WRONG_TYPE: 2,
        RejectReason.INCONSISTENT_BAR: 1,
    }
    assert client.stats.rejected == 9


# ---- the window bound -----------------------------------------------------------------------
def test_the_window_reaches_back_at_most_max_backfill_seconds(
    server: VendorServer, logs: Callable[[], list[dict[str, Any]]]
) -> None:
    server.route(
        "/v2/stocks/AAPL/trades",
        {},
        Reply(200, {"trades": [trade_record(0)], "symbol": "AAPL", "next_page_token": None}),
    )
    client = make_stream("ws://127.0.0.1:9", server.url, max_backfill_seconds=60)

    items = asyncio.run(client.backfill("AAPL", NOW - 3600 * S, NOW))  # an hour away

    assert items == [trade_tick(0)]
    (request,) = server.requests
    assert request.query["start"] == "2024-01-02T14:59:00.000000000Z"
    assert request.query["end"] == NOW_TEXT
    (capped,) = events(logs(), "feed_backfill_capped")
    assert capped["level"] == "warning"
    assert (capped["symbol"], capped["channel"]) == ("AAPL", "trades")
    assert capped["gap_start"] == "2024-01-02T14:00:00.000000000Z"  # not backfilled: an hour
    assert capped["gap_end"] == "2024-01-02T14:59:00.000000000Z"  # less the last minute
    assert capped["max_backfill_seconds"] == 60


def test_a_window_within_the_bound_is_not_capped(
    server: VendorServer, logs: Callable[[], list[dict[str, Any]]]
) -> None:
    server.route(
        "/v2/stocks/AAPL/trades", {}, Reply(200, {"trades": None, "next_page_token": None})
    )
    client = make_stream("ws://127.0.0.1:9", server.url, max_backfill_seconds=60)

    assert asyncio.run(client.backfill("AAPL", NOW - 60 * S, NOW)) == []

    assert server.requests[0].query["start"] == "2024-01-02T14:59:00.000000000Z"
    assert not events(logs(), "feed_backfill_capped")


@pytest.mark.parametrize(
    ("feed", "seconds"), [("iex", 0.0), ("test", 300.0), ("delayed_sip", 300.0)]
)
def test_backfill_off_or_without_history_asks_nothing(
    server: VendorServer, feed: str, seconds: float
) -> None:
    client = make_stream("ws://127.0.0.1:9", server.url, feed=feed, max_backfill_seconds=seconds)

    assert asyncio.run(client.backfill("AAPL", NOW - 10 * S, NOW)) == []

    assert server.requests == []


def test_stream_docstring_examples_run() -> None:
    result = doctest.testmod(stream_module)
    assert result.attempted > 0 and result.failed == 0
