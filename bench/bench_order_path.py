"""Cost of one order's whole lifecycle through the kernel, and of one bar without orders.

A strategy reverses its position on every one-minute bar (one market order per bar: strategy,
risk gate, OMS, execution engine, simulated venue, fill, portfolio, risk manager); the same run
with a strategy that never trades gives the bar path alone. The difference per bar is the cost
of one order from creation to fill.

Usage: python bench/bench_order_path.py [--bars N]
"""

from __future__ import annotations

import argparse
import json
import time

from midfreq.core.clock import SimulatedClock
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

MINUTE = 60_000_000_000


class Reverser(BaseStrategy):
    """Flip between +100 and -100 on every bar."""

    keeps_price_history = False

    def on_bar(self, bar: Bar) -> None:
        """Send the order that reverses the position."""
        self.order_target(
            bar.instrument_id, -100.0 if self.position(bar.instrument_id) > 0 else 100.0
        )


class Idle(BaseStrategy):
    """Receive every bar, never trade."""

    keeps_price_history = False

    def on_bar(self, bar: Bar) -> None:
        """Do nothing."""


def _seconds(strategy_class: type[BaseStrategy], bars: list[Bar]) -> tuple[float, int]:
    config = parse_system_config(
        {
            "data_feed": {"symbols": ["AAA"]},
            "logging": {"file": None},
            "risk_management": {"max_order_quantity": 1000, "max_position": 1000},
            "venue": {"fees": {"model": "per_share", "rate": 0.005, "minimum": 1.0}},
        }
    )
    kernel = Kernel(config, SimulatedClock(0), purge_closed_orders=True)
    kernel.add_strategy(strategy_class({"strategy_id": "s-1", "symbols": ["AAA"]}))
    kernel.start()
    process = kernel.process_bar
    started = time.perf_counter()
    for bar in bars:
        process(bar)
    return time.perf_counter() - started, kernel.cache.order_count


def main() -> None:
    """Print bar-path and per-order costs in microseconds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--bars", type=int, default=200_000)
    args = parser.parse_args()
    iid = InstrumentId("AAA.SIM")
    bars = [
        Bar(iid, 100.0, 100.5, 99.5, 100.0, 1e6, (i + 1) * MINUTE, (i + 1) * MINUTE)
        for i in range(args.bars)
    ]
    idle, _ = _seconds(Idle, bars)
    busy, orders = _seconds(Reverser, bars)
    print(
        json.dumps(
            {
                "bars": args.bars,
                "orders": orders,
                "bar_path_us": round(idle / args.bars * 1e6, 2),
                "order_lifecycle_us": round((busy - idle) / orders * 1e6, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
