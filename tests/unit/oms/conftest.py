"""Providers for OrderManager tests: a bus, a cache, a simulated clock, the OMS under test, and
recorders standing in for the execution engine's endpoints and for subscribers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import SimulatedClock
from midfreq.model.commands import CancelOrder
from midfreq.model.enums import LiquiditySide, OrderSide, OrderType
from midfreq.model.events import (
    OrderAccepted,
    OrderEvent,
    OrderEventRefused,
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
from midfreq.model.instruments import equity
from midfreq.model.orders import Order
from midfreq.oms.manager import REFUSED_TOPIC, OrderManager

T0 = 1_704_205_800_000_000_000


@dataclass
class OmsEnv:
    bus: MessageBus
    cache: Cache
    clock: SimulatedClock
    oms: OrderManager
    sent_to_venue: list[Order] = field(default_factory=list)
    cancels_sent: list[CancelOrder] = field(default_factory=list)
    published: list[OrderEvent] = field(default_factory=list)
    refused: list[OrderEventRefused] = field(default_factory=list)

    def order(
        self,
        client_order_id: str,
        *,
        strategy_id: str = "s-1",
        symbol: str = "AAA",
        side: OrderSide = OrderSide.BUY,
        quantity: float = 100.0,
        parent: str | None = None,
        price: float | None = None,
    ) -> Order:
        init = OrderInitialized(
            client_order_id=ClientOrderId(client_order_id),
            strategy_id=StrategyId(strategy_id),
            instrument_id=InstrumentId.from_parts(symbol, "SIM"),
            side=side,
            order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
            quantity=quantity,
            price=price,
            parent_order_id=ClientOrderId(parent) if parent else None,
            ts_event=T0,
            ts_init=T0,
        )
        return Order(init)

    @staticmethod
    def fields(order: Order) -> dict[str, Any]:
        return {
            "client_order_id": order.client_order_id,
            "strategy_id": order.strategy_id,
            "instrument_id": order.instrument_id,
            "ts_event": T0,
            "ts_init": T0,
        }

    def submitted(self, order: Order) -> OrderSubmitted:
        return OrderSubmitted(**self.fields(order))

    def accepted(self, order: Order) -> OrderAccepted:
        return OrderAccepted(
            venue_order_id=VenueOrderId(f"V-{order.client_order_id}"), **self.fields(order)
        )

    def filled(self, order: Order, quantity: float, price: float = 10.0) -> OrderFilled:
        return OrderFilled(
            venue_order_id=VenueOrderId(f"V-{order.client_order_id}"),
            trade_id=TradeId(f"T-{order.client_order_id}-{quantity}"),
            side=order.side,
            last_qty=quantity,
            last_px=price,
            commission=0.0,
            liquidity_side=LiquiditySide.TAKER,
            **self.fields(order),
        )

    def working(self, order: Order) -> Order:
        """Submit ``order`` and let the venue accept it."""
        self.oms.submit(order)
        self.oms.process(self.submitted(order))
        self.oms.process(self.accepted(order))
        return order


@pytest.fixture
def env() -> OmsEnv:
    bus = MessageBus()
    cache = Cache()
    for symbol in ("AAA", "BBB"):
        cache.add_instrument(equity(symbol))
    clock = SimulatedClock(T0)
    result = OmsEnv(bus, cache, clock, OrderManager(bus, cache, clock))
    bus.register("ExecutionEngine.submit", result.sent_to_venue.append)
    bus.register("ExecutionEngine.cancel", result.cancels_sent.append)
    bus.subscribe("events.order.*", result.published.append)
    bus.subscribe(REFUSED_TOPIC, result.refused.append)
    return result
