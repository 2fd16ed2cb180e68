"""A strategy's routed order shows its state: the SmartOrderRouter applies the parent's events
(submitted, accepted, one fill per child fill, pending cancel, cancelled, expired, rejected) to
the strategy's `Order` and the kernel publishes them on ``events.algo.<strategy_id>``, where
`BaseStrategy.on_algo_event` hears them, as for an execution algorithm's parent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from midfreq.core.clock import SimulatedClock
from midfreq.execution.router import ParentStatus
from midfreq.model.data import QuoteTick
from midfreq.model.enums import OrderStatus, OrderType
from midfreq.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
    order_event,
)
from midfreq.model.identifiers import InstrumentId
from midfreq.model.orders import Order
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

T0 = 1_704_205_800_000_000_000
FEES = {"V1": 0.003, "V2": 0.0, "V3": 0.001}
# (bid, ask, size): after fees the asks rank V1 100.003 < V2 100.010 < V3 100.021.
BOOK = {"V1": (99.98, 100.00, 300.0), "V2": (99.97, 100.01, 500.0), "V3": (99.99, 100.02, 1000.0)}
AAPL = InstrumentId("AAPL.SIM")


class Scripted(BaseStrategy):
    """Runs queued actions on its next consolidated quote; records child fills and the
    events of its routed parents."""

    name = "scripted"

    def __init__(self) -> None:
        super().__init__({"strategy_id": "s-1"})
        self.actions: list[Callable[[Scripted], Any]] = []
        self.fills: list[OrderFilled] = []
        self.algo_events: list[OrderEvent] = []
        self.orders: list[Order] = []

    def on_quote(self, quote: QuoteTick) -> None:
        actions, self.actions = self.actions, []
        for action in actions:
            action(self)

    def on_order_filled(self, fill: OrderFilled) -> None:
        self.fills.append(fill)

    def on_algo_event(self, event: OrderEvent) -> None:
        self.algo_events.append(event)


def make_kernel() -> tuple[Kernel, Scripted]:
    execution = {
        "venues": list(FEES),
        "policy": "FEE_ADJUSTED",
        "fees": {v: {"taker_per_unit": f} for v, f in FEES.items()},
        "venue_settings": {v: {"fees": {"model": "per_share", "rate": f}} for v, f in FEES.items()},
    }
    config = parse_system_config({"data_feed": {"symbols": ["AAPL"]}, "execution": execution})
    kernel = Kernel(config, SimulatedClock(T0))
    strategy = Scripted()
    kernel.add_strategy(strategy)
    kernel.start()
    return kernel, strategy


def feed_book(kernel: Kernel, ts: int = T0) -> None:
    for venue, (bid, ask, size) in BOOK.items():
        iid = InstrumentId(f"AAPL.{venue}")
        kernel.process_quote(QuoteTick(iid, bid, ask, size, size, ts, ts))
    kernel.process_quote(QuoteTick(AAPL, 99.99, 100.00, 1800.0, 1800.0, ts, ts))


def buy(quantity: float, **kwargs: Any) -> Callable[[Scripted], Any]:
    return lambda s: s.orders.append(s.buy("AAPL", quantity, **kwargs))


def kinds(events: list[OrderEvent]) -> list[type[OrderEvent]]:
    return [type(e) for e in events]


def test_a_routed_market_buy_fills_the_strategys_order_with_one_fill_per_child_fill() -> None:
    kernel, strategy = make_kernel()
    strategy.actions.append(buy(600))
    feed_book(kernel)
    (parent,) = strategy.orders
    # V1's 300 at 100.00 (cheapest after fees), the other 300 on V2 at 100.01.
    child_fills = [(f.last_qty, f.last_px) for f in strategy.fills]
    assert child_fills == [(300.0, 100.00), (300.0, 100.01)]
    assert parent.status is OrderStatus.FILLED
    assert parent.filled_qty == 600.0
    assert parent.avg_px == pytest.approx((300 * 100.00 + 300 * 100.01) / 600)
    assert kinds(strategy.algo_events) == [
        OrderSubmitted,
        OrderAccepted,
        OrderFilled,
        OrderFilled,
    ]
    assert all(e.client_order_id == parent.client_order_id for e in strategy.algo_events)
    mirrored = [e for e in strategy.algo_events if isinstance(e, OrderFilled)]
    assert [(f.last_qty, f.last_px, f.commission, f.trade_id) for f in mirrored] == [
        (f.last_qty, f.last_px, f.commission, f.trade_id) for f in strategy.fills
    ]
    assert parent.events[1:] == strategy.algo_events  # applied, then published
    # The parent never reaches the OMS; its children do.
    assert parent.client_order_id not in kernel.cache.orders
    assert strategy.position("AAPL") == 600.0
    # Cancelling a filled parent: refused on the algo topic, the order unchanged.
    strategy.cancel_order(parent)
    assert isinstance(strategy.algo_events[-1], OrderCancelRejected)
    assert parent.status is OrderStatus.FILLED


def test_cancelling_a_resting_routed_limit_parent_cancels_it_and_its_children() -> None:
    kernel, strategy = make_kernel()
    strategy.actions.append(buy(100, order_type=OrderType.LIMIT, price=99.50))
    feed_book(kernel)
    (parent,) = strategy.orders
    assert parent.status is OrderStatus.ACCEPTED
    assert kernel.smart_router is not None
    (child,) = kernel.smart_router.children(parent.client_order_id)
    strategy.cancel_order(parent)
    kernel.tick()
    assert parent.status is OrderStatus.CANCELED and parent.filled_qty == 0.0
    assert kernel.cache.orders[child.client_order_id].status is OrderStatus.CANCELED
    assert not kernel.cache.open_orders
    assert kinds(strategy.algo_events) == [
        OrderSubmitted,
        OrderAccepted,
        OrderPendingCancel,
        OrderCanceled,
    ]


def test_a_parent_with_no_eligible_venue_is_rejected_with_the_reason() -> None:
    kernel, strategy = make_kernel()
    assert kernel.smart_router is not None
    for venue in FEES:
        kernel.smart_router.mark_venue_down(venue)
    strategy.actions.append(buy(100))
    feed_book(kernel)
    (parent,) = strategy.orders
    assert parent.status is OrderStatus.REJECTED
    assert kinds(strategy.algo_events) == [OrderSubmitted, OrderRejected]
    rejected = strategy.algo_events[-1]
    assert isinstance(rejected, OrderRejected) and rejected.reason == "no eligible venue"
    routed = kernel.smart_router.order(parent.client_order_id)
    assert routed is not None and routed.status is ParentStatus.REJECTED
    assert kernel.smart_router.children(parent.client_order_id) == []


def test_a_parent_every_venue_rejects_expires_with_the_reason_on_the_record() -> None:
    kernel, strategy = make_kernel()
    for venue in kernel.venues.values():

        def reject(order: Order, ts: int, venue: Any = venue) -> None:
            venue._emit(order_event(OrderRejected, order, ts, reason="symbol halted"))

        venue._accept = reject
    strategy.actions.append(buy(100))
    feed_book(kernel)
    (parent,) = strategy.orders
    assert kernel.smart_router is not None
    routed = kernel.smart_router.order(parent.client_order_id)
    assert routed is not None and routed.status is ParentStatus.EXHAUSTED
    assert "rejected: symbol halted" in routed.reason
    assert parent.status is OrderStatus.EXPIRED and parent.filled_qty == 0.0
    assert kinds(strategy.algo_events) == [OrderSubmitted, OrderAccepted, OrderExpired]
