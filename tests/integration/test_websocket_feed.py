"""`WebSocketFeedClient` against a real `websockets` server on loopback: subscriptions, repeated
disconnects with replays and gaps, staleness, error frames, and giving up on a dead address."""

from __future__ import annotations

import asyncio
import contextlib
import doctest
import json
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from types import ModuleType
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from midfreq.core.clock import NANOS_PER_SECOND, SimulatedClock
from midfreq.data.live import (
    BackoffPolicy,
    FeedItem,
    FeedUnavailable,
    FreshData,
    RejectReason,
    StaleData,
    ValidatedData,
    WebSocketFeedClient,
)
from midfreq.data.live import client as client_module
from midfreq.data.live import websocket as websocket_module
from midfreq.model.data import QuoteTick
from midfreq.model.identifiers import InstrumentId

NOW = 1_700_000_000 * NANOS_PER_SECOND
SYMBOLS = ["AAPL", "MSFT", "GOOGL"]
FAST_BACKOFF = BackoffPolicy(initial=0.002, maximum=0.02, multiplier=2.0, jitter=0.5)
TIMEOUT = 10.0

Handler = Callable[[ServerConnection], Awaitable[None]]


def quote_message(index: int, symbol: str, ts: int) -> dict[str, Any]:
    bid = round(100.0 + index * 0.01, 2)
    return {
        "type": "quote",
        "symbol": symbol,
        "bid": bid,
        "ask": round(bid + 0.02, 2),
        "bid_size": 100 + index,
        "ask_size": 200,
        "ts": ts,
    }


def expected_quote(message: dict[str, Any], ts_init: int = NOW) -> QuoteTick:
    return QuoteTick(
        InstrumentId(f"{message['symbol']}.SIM"),
        float(message["bid"]),
        float(message["ask"]),
        float(message["bid_size"]),
        float(message["ask_size"]),
        message["ts"],
        ts_init,
    )


def market_data(items: list[FeedItem]) -> list[ValidatedData]:
    return [item for item in items if not isinstance(item, StaleData | FreshData)]


@contextlib.asynccontextmanager
async def feed_server(handler: Handler) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


async def collect(client: WebSocketFeedClient, until: Callable[[list[FeedItem]], bool]) -> Any:
    items: list[FeedItem] = []
    async with contextlib.aclosing(client.stream()) as stream:
        async for batch in stream:
            items.extend(batch)
            if until(items):
                break
    return items


async def wait_for_condition(condition: Callable[[], bool]) -> None:
    # Bounded by the caller's asyncio.wait_for; yields to the feed between checks.
    while not condition():
        await asyncio.sleep(0.002)


# ---- reconnects: re-subscribe, replay de-duplication, exactly once in order ---------------------
def test_reconnects_resubscribe_and_deliver_every_message_exactly_once_in_order() -> None:
    total, per_connection, drops, replay = 300, 50, 5, 3
    messages = [quote_message(i, SYMBOLS[i % 3], NOW - 10**9 + i * 1_000) for i in range(total)]
    subscriptions: list[dict[str, Any]] = []
    sent = 0

    async def handler(connection: ServerConnection) -> None:
        nonlocal sent
        subscriptions.append(json.loads(await connection.recv()))
        number = len(subscriptions)
        for message in messages[max(0, sent - replay) : sent]:  # already delivered: replayed
            await connection.send(json.dumps(message))
        end = sent + per_connection if number <= drops else total
        for message in messages[sent:end]:
            await connection.send(json.dumps(message))
        sent = end
        if number <= drops:
            await connection.close()
        else:
            await connection.wait_closed()

    async def session() -> tuple[list[FeedItem], WebSocketFeedClient]:
        async with feed_server(handler) as url:
            client = WebSocketFeedClient(
                url,
                SYMBOLS,
                clock=SimulatedClock(NOW),
                backoff=FAST_BACKOFF,
                rng=random.Random(7),
            )
            items = await asyncio.wait_for(
                collect(client, lambda items: len(items) >= total), TIMEOUT
            )
            return items, client

    items, client = asyncio.run(session())

    assert items == [expected_quote(message) for message in messages]
    assert subscriptions == [{"action": "subscribe", "symbols": SYMBOLS}] * (drops + 1)
    assert client.stats.reconnects == drops
    assert client.stats.duplicates_dropped == drops * replay
    assert client.stats.accepted == total
    assert client.stats.messages_received == total + drops * replay
    assert client.stats.rejected == 0
    assert client.stats.connection_failures == 0
    for symbol in SYMBOLS:
        ts = [item.ts_event for item in market_data(items) if item.instrument_id.symbol == symbol]
        assert ts == sorted(set(ts)) and len(ts) == total // 3


# ---- a gap after an error close is filled by backfill -----------------------------------------
class BackfillingClient(WebSocketFeedClient):
    """Answers backfill from a recorded history, as a vendor's REST endpoint would."""

    def __init__(self, history: list[QuoteTick], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.history = history
        self.calls: list[tuple[str, int, int]] = []

    async def backfill(self, symbol: str, since_ns: int, until_ns: int) -> list[ValidatedData]:
        self.calls.append((symbol, since_ns, until_ns))
        return [
            quote
            for quote in self.history
            if quote.instrument_id.symbol == symbol and since_ns <= quote.ts_event <= until_ns
        ]


def test_gap_after_an_abnormal_close_is_backfilled_without_duplicates() -> None:
    messages = [quote_message(i, SYMBOLS[i % 3], NOW - 10**9 + i * 1_000) for i in range(60)]
    first, gap_end = 20, 30
    connections = 0

    async def handler(connection: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        await connection.recv()
        if connections == 1:
            for message in messages[:first]:
                await connection.send(json.dumps(message))
            await connection.close(code=1011, reason="maintenance")
            return
        for message in messages[gap_end:]:  # messages[first:gap_end] were never sent
            await connection.send(json.dumps(message))
        await connection.wait_closed()

    async def session() -> tuple[list[FeedItem], BackfillingClient]:
        async with feed_server(handler) as url:
            client = BackfillingClient(
                [expected_quote(message, ts_init=0) for message in messages[:gap_end]],
                url,
                SYMBOLS,
                clock=SimulatedClock(NOW),
                backoff=FAST_BACKOFF,
                rng=random.Random(1),
            )
            items = await asyncio.wait_for(
                collect(client, lambda items: len(items) >= len(messages)), TIMEOUT
            )
            return items, client

    items, client = asyncio.run(session())

    last_before_drop = {m["symbol"]: m["ts"] for m in messages[:first]}
    assert client.calls == [(symbol, last_before_drop[symbol], NOW) for symbol in SYMBOLS]
    assert client.stats.reconnects == 1
    assert client.stats.backfilled == gap_end - first
    assert client.stats.duplicates_dropped == len(SYMBOLS)  # each symbol's last quote again
    delivered = sorted(market_data(items), key=lambda item: item.ts_event)
    assert [(q.instrument_id, q.bid_price, q.ts_event) for q in delivered] == [
        (InstrumentId(f"{m['symbol']}.SIM"), m["bid"], m["ts"]) for m in messages
    ]
    for symbol in SYMBOLS:
        ts = [item.ts_event for item in market_data(items) if item.instrument_id.symbol == symbol]
        assert ts == sorted(set(ts))


# ---- staleness --------------------------------------------------------------------------------
def test_a_silent_symbol_is_reported_stale_once_then_fresh_when_updates_resume() -> None:
    clock = SimulatedClock(NOW)
    outbox: asyncio.Queue[dict[str, Any]] | None = None
    subscribed = asyncio.Event()
    second = NANOS_PER_SECOND

    async def handler(connection: ServerConnection) -> None:
        assert outbox is not None
        await connection.recv()
        subscribed.set()
        closed = asyncio.ensure_future(connection.wait_closed())
        while True:
            message = asyncio.ensure_future(outbox.get())
            await asyncio.wait({message, closed}, return_when=asyncio.FIRST_COMPLETED)
            if closed.done():
                message.cancel()
                return
            await connection.send(json.dumps(message.result()))

    async def session() -> tuple[list[FeedItem], WebSocketFeedClient]:
        nonlocal outbox
        outbox = asyncio.Queue()
        items: list[FeedItem] = []
        async with feed_server(handler) as url:
            client = WebSocketFeedClient(
                url,
                ["AAPL", "MSFT"],
                clock=clock,
                backoff=FAST_BACKOFF,
                stale_after_seconds=10.0,
                poll_interval_seconds=0.002,
            )

            async def consume() -> None:
                async with contextlib.aclosing(client.stream()) as stream:
                    async for batch in stream:
                        items.extend(batch)

            async def publish(symbol: str, at_seconds: float, index: int) -> None:
                clock.set_time(NOW + int(at_seconds * second))
                message = quote_message(index, symbol, clock.timestamp_ns())
                await outbox.put(message)
                await wait_for_condition(
                    lambda: any(
                        isinstance(item, QuoteTick)
                        and item.ts_event == message["ts"]
                        and item.instrument_id.symbol == symbol
                        for item in items
                    )
                )

            consumer = asyncio.create_task(consume())
            try:
                await asyncio.wait_for(subscribed.wait(), TIMEOUT)
                await asyncio.wait_for(publish("AAPL", 1, 0), TIMEOUT)
                await asyncio.wait_for(publish("MSFT", 1, 1), TIMEOUT)
                await asyncio.wait_for(publish("AAPL", 6, 2), TIMEOUT)
                clock.set_time(NOW + int(11.5 * second))  # MSFT silent for 10.5 s, AAPL 5.5 s
                await asyncio.wait_for(
                    wait_for_condition(lambda: any(isinstance(i, StaleData) for i in items)),
                    TIMEOUT,
                )
                for index in range(3, 6):  # more batches, each one checks staleness again
                    await asyncio.wait_for(publish("AAPL", 11.5 + index / 10, index), TIMEOUT)
                await asyncio.wait_for(publish("MSFT", 12, 6), TIMEOUT)
            finally:
                consumer.cancel()
                await asyncio.wait({consumer})
        return items, client

    items, client = asyncio.run(session())

    msft = InstrumentId("MSFT.SIM")
    status = [item for item in items if isinstance(item, StaleData | FreshData)]
    assert status == [
        StaleData(msft, NOW + second, NOW + int(11.5 * second)),
        FreshData(msft, NOW + 12 * second),
    ]
    fresh_at = items.index(status[1])
    assert isinstance(items[fresh_at + 1], QuoteTick)
    assert items[fresh_at + 1].instrument_id == msft
    assert client.stats.stale_events == 1
    assert client.stale_instruments == frozenset()


# ---- control frames, bad frames and subscription changes ---------------------------------------
def test_error_heartbeat_and_bad_frames_are_counted_without_dropping_the_connection() -> None:
    commands: list[dict[str, Any]] = []
    unsubscribed = asyncio.Event()

    async def handler(connection: ServerConnection) -> None:
        commands.append(json.loads(await connection.recv()))
        frames: list[str | bytes] = [
            json.dumps({"type": "heartbeat"}),
            json.dumps({"type": "error", "code": 429, "message": "slow down"}),
            json.dumps({"type": "subscribed", "symbols": SYMBOLS}),
            '{"type": "quote", "symbol": "AAPL"',
            b"\xff\x00\x01",
            json.dumps(quote_message(0, "TSLA", NOW - 5_000)),
            json.dumps(quote_message(1, "AAPL", NOW - 4_000) | {"ask": 1.0}),
            json.dumps({"type": "quote", "pad": "x" * 70_000}),
            json.dumps(quote_message(2, "AAPL", NOW - 3_000)),
        ]
        for frame in frames:
            await connection.send(frame)
        async for raw in connection:
            commands.append(json.loads(raw))
            if commands[-1]["action"] == "unsubscribe":
                unsubscribed.set()

    async def session() -> tuple[list[FeedItem], WebSocketFeedClient]:
        async with feed_server(handler) as url:
            client = WebSocketFeedClient(url, SYMBOLS, clock=SimulatedClock(NOW))

            async def run() -> list[FeedItem]:
                items: list[FeedItem] = []
                async with contextlib.aclosing(client.stream()) as stream:
                    async for batch in stream:
                        items.extend(batch)
                        if items:
                            await client.subscribe(["TSLA", "AAPL"])
                            await client.unsubscribe(["GOOGL"])
                            await unsubscribed.wait()
                            return items
                return items

            return await asyncio.wait_for(run(), TIMEOUT), client

    items, client = asyncio.run(session())

    assert items == [expected_quote(quote_message(2, "AAPL", NOW - 3_000))]
    assert commands == [
        {"action": "subscribe", "symbols": SYMBOLS},
        {"action": "subscribe", "symbols": ["TSLA"]},
        {"action": "unsubscribe", "symbols": ["GOOGL"]},
    ]
    assert client.symbols == ("AAPL", "MSFT", "TSLA")
    assert client.stats.error_frames == 1
    assert client.stats.control_frames == 3
    assert client.stats.messages_received == 9
    assert client.stats.rejected == 5
    assert client.validator.rejections == {
        RejectReason.BAD_JSON: 2,
        RejectReason.UNKNOWN_SYMBOL: 1,
        RejectReason.CROSSED_QUOTE: 1,
        RejectReason.OVERSIZED: 1,
    }
    assert client.stats.reconnects == 0


# ---- closing -------------------------------------------------------------------------------------
def test_close_ends_the_stream_without_reconnecting() -> None:
    connections = 0

    async def handler(connection: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        await connection.recv()
        await connection.send(json.dumps(quote_message(0, "AAPL", NOW - 1_000)))
        await connection.wait_closed()

    async def session() -> tuple[list[FeedItem], WebSocketFeedClient]:
        async with feed_server(handler) as url:
            client = WebSocketFeedClient(url, SYMBOLS, clock=SimulatedClock(NOW))
            items: list[FeedItem] = []

            async def run() -> None:
                async for batch in client.stream():  # ends by itself once closed
                    items.extend(batch)
                    await client.close()

            await asyncio.wait_for(run(), TIMEOUT)
            return items, client

    items, client = asyncio.run(session())

    assert items == [expected_quote(quote_message(0, "AAPL", NOW - 1_000))]
    assert connections == 1
    assert client.stats.reconnects == 0
    assert not client.is_connected


# ---- giving up -------------------------------------------------------------------------------
def test_the_feed_gives_up_after_max_attempts_on_a_dead_address() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = WebSocketFeedClient(
        f"ws://127.0.0.1:{port}",
        SYMBOLS,
        clock=SimulatedClock(NOW),
        backoff=BackoffPolicy(0.001, 0.004, 2.0, 1.0, max_attempts=4),
        rng=random.Random(3),
    )

    async def drain() -> None:
        async for _ in client.stream():
            pass

    with pytest.raises(FeedUnavailable, match="4 consecutive attempts"):
        asyncio.run(asyncio.wait_for(drain(), TIMEOUT))
    assert client.stats.connection_failures == 4
    assert client.stats.reconnects == 0


# ---- docstring examples -----------------------------------------------------------------------
@pytest.mark.parametrize("module", [client_module, websocket_module])
def test_docstring_examples_run(module: ModuleType) -> None:
    result = doctest.testmod(module)

    assert result.attempted > 0
    assert result.failed == 0


# ---- backoff policy ----------------------------------------------------------------------------
def test_backoff_grows_exponentially_to_its_cap_with_seeded_jitter() -> None:
    policy = BackoffPolicy(initial=0.1, maximum=1.0, multiplier=3.0, jitter=0.5)
    draws = random.Random(42)
    reference = [min(1.0, 0.1 * 3.0**attempt) * (1 - 0.5 * draws.random()) for attempt in range(6)]

    rng = random.Random(42)
    delays = [policy.delay(attempt, rng) for attempt in range(6)]

    assert delays == pytest.approx(reference)
    assert all(
        0.5 * min(1.0, 0.1 * 3.0**n) <= d <= min(1.0, 0.1 * 3.0**n) for n, d in enumerate(delays)
    )
    assert BackoffPolicy(1.0, 10.0, 2.0, 0.0).delay(10_000, rng) == 10.0
    assert not BackoffPolicy(max_attempts=None).gives_up(10**6)
    assert BackoffPolicy(max_attempts=3).gives_up(3)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"initial": -1.0}, "initial"),
        ({"initial": 2.0, "maximum": 1.0}, "maximum"),
        ({"multiplier": 0.5}, "multiplier"),
        ({"jitter": 1.5}, "jitter"),
        ({"max_attempts": 0}, "max_attempts"),
    ],
)
def test_backoff_policy_rejects_bad_settings(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}: expected"):
        BackoffPolicy(**kwargs)
