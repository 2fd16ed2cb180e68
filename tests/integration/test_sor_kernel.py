"""The SmartOrderRouter inside a running kernel: three simulated venues with different taker
fees and quoted depths; a strategy's market buy split across them as `allocate` says, the fills
booked to the strategy's consolidated position; a venue down, a rejected child re-routed, a
child timed out by the kernel's timer, cancels, `stop`, and the spec facade
``kernel.router.submit_order``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from midfreq.core.clock import SimulatedClock
from midfreq.execution.router import ParentStatus
from midfreq.model.data import QuoteTick
from midfreq.model.enums import OrderSide, OrderStatus, OrderType
from midfreq.model.events import OrderFilled, OrderRejected, order_event
from midfreq.model.identifiers import InstrumentId, StrategyId, Venue
from midfreq.model.orders import Order
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

T0 = 1_704_205_800_000_000_000
SECOND = 1_000_000_000
VENUES = ("V1", "V2", "V3")
# Taker fees per share: what the router prices and what each simulated venue charges.
FEES = {"V1": 0.003, "V2": 0.0, "V3": 0.001}
# (bid, ask, size): after fees the asks rank V1 100.003 < V2 100.010 < V3 100.021.
BOOK = {"V1": (99.98, 100.00, 300.0), "V2": (99.97, 100.01, 500.0), "V3": (99.99, 100.02, 1000.0)}
AAPL = InstrumentId("AAPL.SIM")


class Scripted(BaseStrategy):
    """Runs queued actions on its next consolidated quote; records its fills."""

    name = "scripted"

    def __init__(self) -> None:
        super().__init__({"strategy_id": "s-1"})
        self.actions: list[Callable[[Scripted], Any]] = []
        self.fills: list[OrderFilled] = []
        self.orders: list[Order] = []

    def on_quote(self, quote: QuoteTick) -> None:
        actions, self.actions = self.actions, []
        for action in actions:
            action(self)

    def on_order_filled(self, fill: OrderFilled) -> None:
        self.fills.append(fill)


def make_kernel(**execution: Any) -> tuple[Kernel, Scripted]:
    settings: dict[str, Any] = {
        "venues": list(VENUES),
        "policy": "FEE_ADJUSTED",
        "fees": {v: {"taker_per_unit": f} for v, f in FEES.items()},
        "venue_settings": {v: {"fees": {"model": "per_share", "rate": f}} for v, f in FEES.items()},
    }
    settings.update(execution)
    config = parse_system_config({"data_feed": {"symbols": ["AAPL"]}, "execution": settings})
    kernel = Kernel(config, SimulatedClock(T0))
    strategy = Scripted()
    kernel.add_strategy(strategy)
    kernel.start()
    return kernel, strategy


def quote(kernel: Kernel, iid: str, bid: float, ask: float, size: float, ts: int) -> None:
    kernel.process_quote(QuoteTick(InstrumentId(iid), bid, ask, size, size, ts, ts))


def feed_book(kernel: Kernel, ts: int = T0) -> None:
    """Per-listing quotes, then the consolidated one the strategy trades on."""
    for venue, (bid, ask, size) in BOOK.items():
        quote(kernel, f"AAPL.{venue}", bid, ask, size, ts)
    quote(kernel, "AAPL.SIM", 99.99, 100.00, 1800.0, ts)


def buy(quantity: float, **kwargs: Any) -> Callable[[Scripted], Any]:
    return lambda s: s.orders.append(s.buy("AAPL", quantity, **kwargs))


def children(kernel: Kernel, parent: Order) -> list[tuple[str, float]]:
    assert kernel.smart_router is not None
    return [
        (str(o.instrument_id), o.quantity)
        for o in kernel.smart_router.children(parent.client_order_id)
    ]


def test_market_buy_is_split_as_allocate_says_and_booked_to_the_strategy() -> None:
    kernel, strategy = make_kernel()
    strategy.actions.append(buy(1000))
    feed_book(kernel)
    (parent,) = strategy.orders
    # Hand-ranked: V1's 300 (100.003 after fees), V2's 500 (100.010), the last 200 on V3.
    assert children(kernel, parent) == [("AAPL.V1", 300.0), ("AAPL.V2", 500.0), ("AAPL.V3", 200.0)]
    fills = [(f.client_order_id.split("-")[-1], f.last_qty, f.last_px) for f in strategy.fills]
    assert fills == [("C1", 300.0, 100.00), ("C2", 500.0, 100.01), ("C3", 200.0, 100.02)]
    # Every fill is booked on the consolidated instrument the strategy trades.
    assert {f.instrument_id for f in strategy.fills} == {AAPL}
    assert strategy.position("AAPL") == 1000.0
    assert [iid for (iid, _), p in kernel.portfolio.positions.items() if p.quantity] == [AAPL]
    value = 300 * 100.00 + 500 * 100.01 + 200 * 100.02
    commission = 300 * 0.003 + 200 * 0.001
    assert kernel.portfolio.cash_raw / 1e9 == pytest.approx(1_000_000.0 - value - commission)
    routed = kernel.smart_router.order(parent.client_order_id)  # type: ignore[union-attr]
    assert routed is not None and routed.status is ParentStatus.FILLED
    assert routed.commission == pytest.approx(commission)
    # Every child passed the gate and reached the venue its id names.
    assert [kernel.venues[v].fill_count for v in VENUES] == [1, 1, 1]


def test_a_venue_marked_down_is_skipped() -> None:
    kernel, strategy = make_kernel()
    assert kernel.smart_router is not None
    kernel.smart_router.mark_venue_down("V1")
    strategy.actions.append(buy(1000))
    feed_book(kernel)
    (parent,) = strategy.orders
    assert children(kernel, parent) == [("AAPL.V2", 500.0), ("AAPL.V3", 500.0)]
    assert kernel.venues["V1"].fill_count == 0
    assert strategy.position("AAPL") == 1000.0


def test_a_rejected_child_is_rerouted_without_its_venue() -> None:
    kernel, strategy = make_kernel()
    v1 = kernel.venues["V1"]

    def reject(order: Order, ts: int) -> None:  # a venue refusing the symbol (halted)
        v1._emit(order_event(OrderRejected, order, ts, reason="symbol halted"))

    v1._accept = reject  # type: ignore[method-assign,assignment]
    strategy.actions.append(buy(1000))
    feed_book(kernel)
    (parent,) = strategy.orders
    assert kernel.smart_router is not None
    routed = kernel.smart_router.order(parent.client_order_id)
    assert routed is not None and routed.status is ParentStatus.FILLED
    assert routed.reroutes == 1 and routed.failed_venues == {Venue("V1")}
    sent = children(kernel, parent)
    assert sent[:3] == [("AAPL.V1", 300.0), ("AAPL.V2", 500.0), ("AAPL.V3", 200.0)]
    assert all(venue != "AAPL.V1" for venue, _ in sent[3:])
    assert sum(q for _, q in sent[3:]) == 300.0
    child_1 = kernel.cache.orders[
        kernel.smart_router.children(parent.client_order_id)[0].client_order_id
    ]
    assert child_1.status is OrderStatus.REJECTED
    assert v1.fill_count == 0
    assert strategy.position("AAPL") == 1000.0


def test_the_spec_facade_routes_in_a_running_kernel() -> None:
    kernel, _ = make_kernel()
    feed_book(kernel)
    parent_id = kernel.router.submit_order(
        symbol="AAPL", side="buy", quantity=100, order_type="market"
    )
    assert kernel.smart_router is not None
    assert [str(o.instrument_id) for o in kernel.smart_router.children(parent_id)] == ["AAPL.V1"]
    kernel.tick()  # the child reaches V1 (no latency) and fills against its quote
    routed = kernel.smart_router.order(parent_id)
    assert routed is not None and routed.status is ParentStatus.FILLED
    assert routed.avg_px == 100.00
    assert kernel.portfolio_view.quantity(AAPL, StrategyId("SOR")) == 100.0


def test_cancelling_a_routed_parent_cancels_its_children_without_rerouting() -> None:
    kernel, strategy = make_kernel()
    strategy.actions.append(buy(100, order_type=OrderType.LIMIT, price=99.50))
    feed_book(kernel)
    (parent,) = strategy.orders
    assert children(kernel, parent) == [("AAPL.V1", 100.0)]
    strategy.cancel_order(parent)
    kernel.tick()
    assert kernel.smart_router is not None
    routed = kernel.smart_router.order(parent.client_order_id)
    assert routed is not None and routed.status is ParentStatus.CANCELED
    assert children(kernel, parent) == [("AAPL.V1", 100.0)]
    assert not kernel.cache.open_orders


def test_stop_cancels_routed_parents_without_rerouting() -> None:
    kernel, strategy = make_kernel()
    strategy.actions.append(buy(100, order_type=OrderType.LIMIT, price=99.50))
    feed_book(kernel)
    (parent,) = strategy.orders
    kernel.stop()
    assert kernel.smart_router is not None
    routed = kernel.smart_router.order(parent.client_order_id)
    assert routed is not None and routed.status is ParentStatus.CANCELED
    assert len(children(kernel, parent)) == 1 and not kernel.cache.open_orders


def test_the_kernel_timer_times_out_a_child_and_reroutes_it() -> None:
    kernel, strategy = make_kernel(child_timeout_seconds=2.0)
    strategy.actions.append(buy(100, order_type=OrderType.LIMIT, price=99.50))
    feed_book(kernel)
    (parent,) = strategy.orders
    # Timer every second from the order: checks at +1 s (age 1) and +2 s (age 2: cancel).
    quote(kernel, "AAPL.SIM", 99.99, 100.00, 1800.0, T0 + 1 * SECOND)
    assert children(kernel, parent) == [("AAPL.V1", 100.0)]
    quote(kernel, "AAPL.SIM", 99.99, 100.00, 1800.0, T0 + 2 * SECOND)
    assert children(kernel, parent) == [("AAPL.V1", 100.0), ("AAPL.V2", 100.0)]
    first = kernel.cache.orders[parent.client_order_id + "-C1"]  # type: ignore[index]
    assert first.status is OrderStatus.CANCELED
    assert kernel.smart_router is not None
    assert kernel.smart_router.venue_stats[Venue("V1")]["timeouts"] == 1


def test_without_routing_orders_go_straight_to_the_gate() -> None:
    config = parse_system_config({"data_feed": {"symbols": ["AAPL"]}})
    kernel = Kernel(config, SimulatedClock(T0))
    strategy = Scripted()
    kernel.add_strategy(strategy)
    kernel.start()
    strategy.actions.append(buy(10))
    quote(kernel, "AAPL.SIM", 99.99, 100.00, 1800.0, T0)
    assert kernel.smart_router is None and list(kernel.venues) == ["SIM"]
    (order,) = strategy.orders
    assert kernel.cache.orders[order.client_order_id].status is OrderStatus.FILLED
    assert strategy.position("AAPL") == 10.0
    assert OrderSide.BUY is order.side
