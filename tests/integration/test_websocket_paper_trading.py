"""Paper trading on a live WebSocket feed: quotes from a real server on loopback reach the
kernel, strategies trade on them, an instrument that goes quiet is reported stale, and the
session stops cleanly."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets

from midfreq.core.errors import ConfigError
from midfreq.system.config import parse_system_config
from midfreq.system.trading_system import TradingSystem


async def _feed(socket: websockets.ServerConnection) -> None:
    subscribe = json.loads(await socket.recv())
    assert subscribe["action"] == "subscribe"
    for i in range(400):
        # AAA trends up then down (the momentum strategy reverses); BBB goes quiet after 50.
        price = 100.0 + (i if i < 200 else 400 - i) * 0.05
        messages = [("AAA", price)] + ([("BBB", 50.0)] if i < 50 else [])
        for symbol, mid in messages:
            await socket.send(
                json.dumps(
                    {
                        "type": "quote",
                        "symbol": symbol,
                        "bid": round(mid - 0.01, 2),
                        "ask": round(mid + 0.01, 2),
                        "bid_size": 100,
                        "ask_size": 100,
                        "ts": time.time_ns(),
                    }
                )
            )
        await asyncio.sleep(0.004)
    await asyncio.sleep(30)


def test_paper_trading_on_a_websocket_feed() -> None:
    async def session() -> tuple[dict, dict]:
        async with websockets.serve(_feed, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            config = parse_system_config(
                {
                    "data_feed": {
                        "provider": "websocket",
                        "url": f"ws://127.0.0.1:{port}",
                        "symbols": ["AAA", "BBB"],
                        "stale_after_seconds": 0.5,
                    },
                    "strategies": {
                        "momentum": {"fast_period": 5, "slow_period": 20, "order_quantity": 10}
                    },
                    "logging": {"file": None},
                }
            )
            system = TradingSystem(config)
            await system.initialize()
            await system.start()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                status = system.get_system_status()
                if status["data_feed"]["stale"] and status["orders"]["orders"] >= 2:
                    break
            summary = await system.stop()
            return status, summary

    status, summary = asyncio.run(session())
    assert status["data_feed"]["provider"] == "websocket"
    assert status["data_feed"]["messages"] > 50
    assert status["data_feed"]["stale"] == ["BBB.SIM"]
    assert status["orders"]["orders"] >= 2  # bought the rise, reversed on the fall
    assert summary["open_orders"] == 0


@pytest.mark.parametrize(
    ("feed", "field"),
    [
        ({"provider": "websocket"}, "data_feed.url"),
        ({"provider": "websocket", "url": "http://x"}, "data_feed.url"),
        ({"stale_after_seconds": 0}, "data_feed.stale_after_seconds"),
    ],
)
def test_websocket_feed_config_mistakes(feed, field) -> None:
    with pytest.raises(ConfigError) as info:
        parse_system_config({"data_feed": feed}, "x.yaml")
    assert info.value.field == field
