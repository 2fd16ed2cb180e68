"""The ExecutionEngine between a real OrderManager and hand-written venue clients: routing by the
instrument's venue, OrderRejected when no client serves a venue, and OrderSubmitted /
OrderPendingCancel recorded before whatever the venue reports."""

from __future__ import annotations

import pytest

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import SimulatedClock
from midfreq.core.errors import ConfigError
from midfreq.execution.engine import ExecutionEngine
from midfreq.model.commands import CancelOrder
from midfreq.model.enums import OrderSide, OrderStatus, OrderType
from midfreq.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderInitialized,
    OrderRejected,
)
from midfreq.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    StrategyId,
    Venue,
    VenueOrderId,
)
from midfreq.model.instruments import equity
from midfreq.model.orders import Order
from midfreq.oms.manager import OrderManager

T0 = 1_704_205_800_000_000_000


class AckingClient:
    """A venue client that acknowledges orders and cancels synchronously, inside the call."""

    def __init__(self, venue: str) -> None:
        self.venue = Venue(venue)
        self.orders: list[Order] = []
        self.cancels: list[CancelOrder] = []
        self.status_seen_on_submit: list[OrderStatus] = []
        self._report = None

    def connect(self, report) -> None:
        self._report = report

    def submit_order(self, order: Order) -> None:
        self.orders.append(order)
        self.status_seen_on_submit.append(order.status)
        self._report(
            OrderAccepted(
                client_order_id=order.client_order_id,
                strategy_id=order.strategy_id,
                instrument_id=order.instrument_id,
                venue_order_id=VenueOrderId(f"{self.venue}-{len(self.orders)}"),
                ts_event=T0,
                ts_init=T0,
            )
        )

    def cancel_order(self, command: CancelOrder) -> None:
        self.cancels.append(command)
        self._report(
            OrderCanceled(
                client_order_id=command.client_order_id,
                strategy_id=command.strategy_id,
                instrument_id=command.instrument_id,
                ts_event=T0,
                ts_init=T0,
            )
        )


@pytest.fixture
def wiring():
    bus = MessageBus()
    cache = Cache()
    cache.add_instrument(equity("AAA", "SIM"))
    cache.add_instrument(equity("BBB", "XNAS"))
    cache.add_instrument(equity("CCC", "NOWHERE"))
    clock = SimulatedClock(T0)
    oms = OrderManager(bus, cache, clock)
    engine = ExecutionEngine(bus, clock)
    published: list[OrderEvent] = []
    bus.subscribe("events.order.*", published.append)
    return bus, cache, oms, engine, published


def _order(client_order_id: str, instrument: str) -> Order:
    return Order(
        OrderInitialized(
            client_order_id=ClientOrderId(client_order_id),
            strategy_id=StrategyId("s-1"),
            instrument_id=InstrumentId(instrument),
            side=OrderSide.BUY,
            order_type=OrderType.MARKET,
            quantity=10,
            ts_event=T0,
            ts_init=T0,
        )
    )


def test_order_for_a_venue_without_a_client_is_rejected(wiring):
    bus, _, _, engine, published = wiring
    engine.register_client(AckingClient("SIM"))
    order = _order("O-1", "CCC.NOWHERE")

    bus.send("OrderManager.submit", order)

    assert order.status is OrderStatus.REJECTED
    assert [type(e) for e in order.events] == [OrderInitialized, OrderRejected]
    assert order.events[-1].reason == "no execution client for venue NOWHERE"
    assert published == [order.events[-1]]
    assert engine.submitted_count == 0


def test_order_submitted_is_recorded_before_the_venue_reports(wiring):
    bus, _, _, engine, published = wiring
    client = AckingClient("SIM")
    engine.register_client(client)
    order = _order("O-1", "AAA.SIM")

    bus.send("OrderManager.submit", order)

    assert client.status_seen_on_submit == [OrderStatus.SUBMITTED]
    assert [type(e).__name__ for e in order.events] == [
        "OrderInitialized",
        "OrderSubmitted",
        "OrderAccepted",
    ]
    assert [type(e).__name__ for e in published] == ["OrderSubmitted", "OrderAccepted"]
    assert order.venue_order_id == "SIM-1"
    assert engine.submitted_count == 1
    assert engine.report_count == 2


def test_orders_are_routed_by_their_instruments_venue(wiring):
    bus, _, _, engine, _ = wiring
    sim, xnas = AckingClient("SIM"), AckingClient("XNAS")
    engine.register_client(sim)
    engine.register_client(xnas)
    on_sim = _order("O-1", "AAA.SIM")
    on_xnas = _order("O-2", "BBB.XNAS")

    bus.send("OrderManager.submit", on_sim)
    bus.send("OrderManager.submit", on_xnas)

    assert sim.orders == [on_sim]
    assert xnas.orders == [on_xnas]
    assert set(engine.clients) == {Venue("SIM"), Venue("XNAS")}


def test_cancel_is_marked_pending_before_the_venue_cancels(wiring):
    bus, _, _, engine, _ = wiring
    client = AckingClient("SIM")
    engine.register_client(client)
    order = _order("O-1", "AAA.SIM")
    bus.send("OrderManager.submit", order)

    bus.send(
        "OrderManager.cancel",
        CancelOrder(
            client_order_id=order.client_order_id,
            instrument_id=order.instrument_id,
            strategy_id=order.strategy_id,
            ts_init=T0,
        ),
    )

    assert [type(e).__name__ for e in order.events][-2:] == [
        "OrderPendingCancel",
        "OrderCanceled",
    ]
    assert order.status is OrderStatus.CANCELED
    assert [c.client_order_id for c in client.cancels] == ["O-1"]


def test_a_venue_is_registered_once(wiring):
    _, _, _, engine, _ = wiring
    engine.register_client(AckingClient("SIM"))

    with pytest.raises(ConfigError, match=r"execution\.venues"):
        engine.register_client(AckingClient("SIM"))


def test_clients_view_is_a_copy(wiring):
    _, _, _, engine, _ = wiring
    engine.register_client(AckingClient("SIM"))

    engine.clients.clear()

    assert list(engine.clients) == [Venue("SIM")]
