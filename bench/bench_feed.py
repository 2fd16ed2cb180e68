"""Live feed throughput: a WebSocket server on loopback sends quotes at a target rate (one JSON
message per frame, several symbols, increasing timestamps) for a fixed time; the
`WebSocketFeedClient` receives, validates and de-duplicates them and hands batches to a consumer,
as the paper-trading edge does. Reports the rate delivered and whether the client kept up
(lag of the last message behind the server's clock). The server runs in its own process, as a
vendor would; both share this machine's two cores.

Usage: python bench/bench_feed.py [--rate 50000] [--seconds 10] [--symbols 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from multiprocessing import Process, Queue

import websockets

from midfreq.data.live import WebSocketFeedClient
from midfreq.model.data import QuoteTick


def _server_process(rate: int, seconds: float, symbols: list[str], ports: Queue[int]) -> None:
    asyncio.run(_serve(rate, seconds, symbols, ports))


async def _serve(rate: int, seconds: float, symbols: list[str], ports: Queue[int]) -> None:
    async def handler(socket: websockets.ServerConnection) -> None:
        await socket.recv()  # the subscribe message
        sent = 0
        started = time.perf_counter()
        total = int(rate * seconds)
        chunk = max(1, rate // 200)  # send in 5 ms slices
        while sent < total:
            for _ in range(min(chunk, total - sent)):
                symbol = symbols[sent % len(symbols)]
                price = 100.0 + (sent % 100) * 0.01
                message = {
                    "type": "quote",
                    "symbol": symbol,
                    "bid": round(price, 2),
                    "ask": round(price + 0.01, 2),
                    "bid_size": 100,
                    "ask_size": 200,
                    "ts": time.time_ns(),
                }
                await socket.send(json.dumps(message))
                sent += 1
            ahead = sent / rate - (time.perf_counter() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
        await socket.close()

    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        ports.put(server.sockets[0].getsockname()[1])
        await asyncio.sleep(seconds + 30)


async def run(rate: int, seconds: float, count: int) -> dict[str, object]:
    """Serve and consume; return the measured figures."""
    symbols = [f"S{i:02d}" for i in range(count)]
    ports: Queue[int] = Queue()
    server = Process(target=_server_process, args=(rate, seconds, symbols, ports), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    client = WebSocketFeedClient(f"ws://127.0.0.1:{port}", symbols, ping_interval=None)
    received = 0
    lag_ns = 0
    expected = int(rate * seconds)
    started = time.perf_counter()
    async for batch in client.stream():
        for item in batch:
            if isinstance(item, QuoteTick):
                received += 1
                lag_ns = time.time_ns() - item.ts_event
        if received >= expected:
            break
    elapsed = time.perf_counter() - started
    await client.close()
    server.terminate()
    return {
        "target_rate": rate,
        "quotes": received,
        "seconds": round(elapsed, 2),
        "quotes_per_second": round(received / elapsed),
        "final_lag_ms": round(lag_ns / 1e6, 1),
        "rejected": client.stats.rejected,
    }


def main() -> None:
    """Parse arguments and print one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--symbols", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.rate, args.seconds, args.symbols))))


if __name__ == "__main__":
    main()
