"""Providers for risk tests: a gate environment (bus, cache with an equity and a future, a
hand-written portfolio stub, recorded approvals and denials) and a small real kernel."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import NANOS_PER_MINUTE, SimulatedClock
from midfreq.model.data import Bar
from midfreq.model.enums import DenialCode, OrderSide, OrderType
from midfreq.model.events import (
    OrderAccepted,
    OrderEvent,
    OrderFilled,
    OrderInitialized,
    OrderSubmitted,
)
from midfreq.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TradeId,
    VenueOrderId,
)
from midfreq.model.instruments import Future, equity
from midfreq.model.orders import Order
from midfreq.risk.config import RiskGateConfig
from midfreq.risk.gate import RiskGate
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

T0 = 1_704_205_800_000_000_000  # 2024-01-02 14:30 UTC
AAA = InstrumentId("AAA.SIM")
ES = InstrumentId("ES.SIM")
STRATEGY = StrategyId("s-1")


class StubPortfolio:
    """The two figures the gate reads, set by hand."""

    def __init__(self) -> None:
        self.net: dict[InstrumentId, float] = {}
        self.gross = 0.0

    def net_quantity(self, instrument_id: InstrumentId) -> float:
        return self.net.get(instrument_id, 0.0)

    def gross_exposure(self) -> float:
        return self.gross


@dataclass
class GateEnv:
    bus: MessageBus
    cache: Cache
    portfolio: StubPortfolio
    clock: SimulatedClock
    approved: list[Order] = field(default_factory=list)
    denied: list[tuple[Order, DenialCode, str]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def gate(self, checks: list[Any] | None = None, **limits: Any) -> RiskGate:
        return RiskGate(
            RiskGateConfig(**limits), self.bus, self.cache, self.portfolio, self.clock, checks
        )

    def order(
        self,
        side: OrderSide,
        quantity: float,
        *,
        order_type: OrderType = OrderType.MARKET,
        price: float | None = None,
        trigger_price: float | None = None,
        instrument_id: InstrumentId = AAA,
        reduce_only: bool = False,
    ) -> Order:
        init = OrderInitialized(
            client_order_id=ClientOrderId(f"O-{next(self._ids)}"),
            strategy_id=STRATEGY,
            instrument_id=instrument_id,
            side=side,
            order_type=order_type,
            quantity=quantity,
            price=price,
            trigger_price=trigger_price,
            reduce_only=reduce_only,
            ts_event=self.clock.timestamp_ns(),
            ts_init=self.clock.timestamp_ns(),
        )
        return Order(init)

    def working(self, side: OrderSide, quantity: float, filled: float = 0.0, **kw: Any) -> Order:
        """An order accepted by the venue (optionally partly filled), in the cache."""
        order = self.order(side, quantity, **kw)
        common = {
            "client_order_id": order.client_order_id,
            "strategy_id": order.strategy_id,
            "instrument_id": order.instrument_id,
            "ts_event": 0,
            "ts_init": 0,
        }
        order.apply(OrderSubmitted(**common))
        order.apply(OrderAccepted(venue_order_id=VenueOrderId("V-1"), **common))
        if filled:
            order.apply(
                OrderFilled(
                    venue_order_id=VenueOrderId("V-1"),
                    trade_id=TradeId("T-1"),
                    side=side,
                    last_qty=filled,
                    last_px=100.0,
                    commission=0.0,
                    **common,
                )
            )
        self.cache.add_order(order)
        return order

    def last_price(self, instrument_id: InstrumentId, price: float) -> None:
        self.cache.add_bar(Bar(instrument_id, price, price, price, price, 1_000.0, T0, T0))

    def execute(self, gate: RiskGate, order: Order) -> tuple[DenialCode, str] | None:
        """Run ``order`` through ``gate``; return its denial (code, reason) or None."""
        denied_before = len(self.denied)
        gate.execute(order)
        if len(self.denied) > denied_before:
            _, code, reason = self.denied[-1]
            return code, reason
        assert self.approved[-1] is order
        return None


@pytest.fixture
def env() -> GateEnv:
    bus = MessageBus()
    cache = Cache()
    cache.add_instrument(equity("AAA"))
    cache.add_instrument(Future(id=ES, underlying="ES", expiry_ns=0, tick_size=0.25, multiplier=50))
    result = GateEnv(bus, cache, StubPortfolio(), SimulatedClock(T0))
    bus.register("OrderManager.submit", result.approved.append)
    bus.register("OrderManager.deny", result.denied.append)
    return result


class RecordingStrategy(BaseStrategy):
    """A strategy driven from the test; it records its order events."""

    name = "recording"

    def __init__(self) -> None:
        super().__init__({"strategy_id": "t-1", "symbols": ["AAA"]})
        self.received: list[OrderEvent] = []

    def on_order_event(self, event: OrderEvent) -> None:
        self.received.append(event)


class KernelHarness:
    def __init__(self, **config: Any) -> None:
        data = {"data_feed": {"symbols": ["AAA"]}, **config}
        self.clock = SimulatedClock(T0 - NANOS_PER_MINUTE)
        self.kernel = Kernel(parse_system_config(data), self.clock)
        self.strategy = RecordingStrategy()
        self.kernel.add_strategy(self.strategy)
        self.kernel.start()

    def submit(self, side: OrderSide, quantity: float, **kwargs: Any) -> Order:
        order = self.strategy.make_order(AAA, side, quantity, **kwargs)
        return self.strategy.submit_order(order)

    def bar(self, minute: int, o: float, h: float, low: float, c: float) -> None:
        ts = T0 + minute * NANOS_PER_MINUTE
        self.kernel.process_bar(Bar(AAA, o, h, low, c, 1_000_000.0, ts, ts))


@pytest.fixture
def make_kernel() -> Callable[..., KernelHarness]:
    """Build a kernel trading ``AAA.SIM`` with one `RecordingStrategy`; keywords are sections
    of the system config."""
    return KernelHarness
