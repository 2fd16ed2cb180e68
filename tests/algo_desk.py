"""A trading desk for execution-algorithm tests: a kernel on a simulated clock with one
strategy that records its parent (algorithm) and child order events."""

from __future__ import annotations

from typing import Any

from midfreq.core.clock import NANOS_PER_MINUTE, SimulatedClock
from midfreq.model.data import Bar
from midfreq.model.enums import OrderSide, OrderType
from midfreq.model.events import OrderEvent
from midfreq.model.identifiers import InstrumentId
from midfreq.model.orders import Order
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

T0 = 1_704_205_800_000_000_000  # 2024-01-02 14:30 UTC
MIN = NANOS_PER_MINUTE
AAA = InstrumentId("AAA.SIM")


class Trader(BaseStrategy):
    name = "trader"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.algo_events: list[OrderEvent] = []
        self.order_events: list[OrderEvent] = []

    def on_algo_event(self, event: OrderEvent) -> None:
        self.algo_events.append(event)

    def on_order_event(self, event: OrderEvent) -> None:
        self.order_events.append(event)


class Desk:
    """A kernel on a simulated clock with one `Trader`; bar ``i`` closes at T0 + (i+1) min."""

    def __init__(self, start_ns: int = T0, **config: Any) -> None:
        self.clock = SimulatedClock(start_ns)
        data = {"data_feed": {"symbols": ["AAA"]}, **config}
        self.kernel = Kernel(parse_system_config(data), self.clock)
        self.trader = Trader({"strategy_id": "algo-001", "symbols": ["AAA"]})
        self.kernel.add_strategy(self.trader)
        self.kernel.start()
        self.steps = 0

    def bar(self, close: float = 100.0, *, low: float | None = None, volume: float = 1e6) -> None:
        ts = T0 + (self.steps + 1) * MIN
        self.steps += 1
        lo = close if low is None else low
        self.kernel.process_bar(Bar(AAA, close, close, lo, close, volume, ts, ts))

    def submit(
        self, quantity: float, algo: str, params: dict[str, Any], price: float | None = None
    ) -> Order:
        order_type = OrderType.MARKET if price is None else OrderType.LIMIT
        order = self.trader.make_order(
            "AAA", OrderSide.BUY, quantity, order_type=order_type, price=price
        )
        return self.trader.submit_order(order, exec_algorithm=algo, exec_params=params)

    def children(self, parent: Order) -> list[Order]:
        return self.kernel.algorithms.run(parent.client_order_id).children
