"""Paper trading on Alpaca's market data stream (a local server plays Alpaca's documented
protocol): the client authenticates and subscribes, quotes reach the kernel, strategies trade."""

from __future__ import annotations

import asyncio
import json
import time

import websockets

from midfreq.system.config import parse_system_config
from midfreq.system.trading_system import TradingSystem


def test_paper_trading_on_the_alpaca_stream(monkeypatch) -> None:
    monkeypatch.setenv("APCA_API_KEY_ID", "AKID-paper")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "SECRET-paper")
    received: list[dict] = []

    async def alpaca(connection: websockets.ServerConnection) -> None:
        await connection.send(json.dumps([{"T": "success", "msg": "connected"}]))
        received.append(json.loads(await connection.recv()))
        await connection.send(json.dumps([{"T": "success", "msg": "authenticated"}]))
        received.append(json.loads(await connection.recv()))
        await connection.send(json.dumps([{"T": "subscription", "quotes": ["AAA"]}]))
        for i in range(300):
            mid = 100.0 + (i if i < 150 else 300 - i) * 0.05
            quote = {
                "T": "q",
                "S": "AAA",
                "bp": round(mid - 0.01, 2),
                "bs": 1,
                "ap": round(mid + 0.01, 2),
                "as": 2,
                "t": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
                + f".{time.time_ns() % 10**9:09d}Z",
            }
            await connection.send(json.dumps([quote]))
            await asyncio.sleep(0.003)
        await asyncio.sleep(30)

    async def session() -> tuple[dict, dict]:
        async with websockets.serve(alpaca, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            config = parse_system_config(
                {
                    "data_feed": {
                        "provider": "alpaca",
                        "url": f"ws://127.0.0.1:{port}/v2/iex",
                        "symbols": ["AAA"],
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
                if status["orders"]["orders"] >= 2:
                    break
            return status, await system.stop()

    status, summary = asyncio.run(session())
    assert received[0] == {"action": "auth", "key": "AKID-paper", "secret": "SECRET-paper"}
    assert received[1]["action"] == "subscribe"
    assert received[1]["quotes"] == ["AAA"]
    assert status["data_feed"]["provider"] == "alpaca"
    assert status["data_feed"]["messages"] > 50
    assert status["orders"]["orders"] >= 2
    assert summary["open_orders"] == 0
