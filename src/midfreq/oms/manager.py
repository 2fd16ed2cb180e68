"""The OrderManager: owns every order's lifecycle, applies events through the transition table,
keeps parent/child links, and publishes each applied event on ``events.order.<strategy_id>``.

Endpoints: ``OrderManager.submit`` (an order the gate approved), ``OrderManager.deny`` (an order
and its denial), ``OrderManager.process`` (an event from the execution engine),
``OrderManager.cancel`` and ``OrderManager.cancel_all`` (commands).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock
from midfreq.core.errors import InvalidStateTransition
from midfreq.model.commands import CancelAllOrders, CancelOrder
from midfreq.model.enums import DenialCode
from midfreq.model.events import (
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderEventRefused,
    order_event,
)
from midfreq.model.identifiers import ClientOrderId
from midfreq.model.orders import Order

REFUSED_TOPIC = "events.refused"


def order_events_topic(strategy_id: str) -> str:
    """Topic on which a strategy's order events are published."""
    return f"events.order.{strategy_id}"


class OrderManager:
    """Registers orders, applies their events, and forwards commands to the execution engine."""

    def __init__(self, bus: MessageBus, cache: Cache, clock: Clock) -> None:
        self._bus = bus
        self._cache = cache
        self._clock = clock
        self._children: dict[ClientOrderId, list[ClientOrderId]] = defaultdict(list)
        self.refused: list[OrderEventRefused] = []
        self._topics: dict[str, str] = {}
        self.event_count = 0
        bus.register("OrderManager.submit", self.submit)
        bus.register("OrderManager.deny", self._on_deny)
        bus.register("OrderManager.process", self.process)
        bus.register("OrderManager.cancel", self.cancel)
        bus.register("OrderManager.cancel_all", self.cancel_all)

    # ---- queries --------------------------------------------------------------------------
    def children_of(self, parent_id: ClientOrderId) -> list[Order]:
        """Child orders spawned for ``parent_id``, in creation order."""
        orders = self._cache.orders
        return [orders[c] for c in self._children.get(parent_id, []) if c in orders]

    # ---- intake ---------------------------------------------------------------------------
    def _register(self, order: Order) -> bool:
        if order.client_order_id in self._cache.orders:
            return False
        self._cache.add_order(order)
        if order.parent_order_id is not None:
            self._children[order.parent_order_id].append(order.client_order_id)
        return True

    def submit(self, order: Order) -> None:
        """Register an approved order and send it to the execution engine."""
        if not self._register(order):
            self.deny(order, DenialCode.DUPLICATE_CLIENT_ORDER_ID, "client order id already used")
            return
        self._bus.send("ExecutionEngine.submit", order)

    def _on_deny(self, message: tuple[Order, DenialCode, str]) -> None:
        order, code, reason = message
        self.deny(order, code, reason)

    def deny(self, order: Order, code: DenialCode, reason: str) -> None:
        """Apply an `OrderDenied` event to ``order``, registering it first if it is new.

        A copy submitted under an id already in use is denied without being registered, so
        the original order is untouched.
        """
        now = self._clock.timestamp_ns()
        event = order_event(OrderDenied, order, now, code=code, reason=reason)
        existing = self._cache.orders.get(order.client_order_id)
        if existing is not None:
            # A copy takes the denial; the registered order (even if resubmitted) is untouched.
            if existing is not order:
                order.apply(event)
            self._bus.publish(order_events_topic(order.strategy_id), event)
            return
        self._register(order)
        self.process(event)

    def process(self, event: OrderEvent) -> None:
        """Apply ``event`` to its order, cache, then publish; refuse illegal events."""
        order = self._cache.orders.get(event.client_order_id)
        if order is None:
            self._refuse(event, "UNKNOWN", "no such order")
            return
        if type(event) is OrderCancelRejected and order.is_closed:
            # A cancel that lost the race with a fill or expiry: the order stays final, as for
            # a cancel of a closed order refused here (see `cancel`); the strategy is told.
            self._bus.publish(order_events_topic(order.strategy_id), event)
            return
        try:
            order.apply(event)
        except InvalidStateTransition as exc:
            self._refuse(event, order.status.value, str(exc))
            return
        self.event_count += 1
        self._cache.update_order(order)
        topic = self._topics.get(order.strategy_id)
        if topic is None:
            topic = self._topics[order.strategy_id] = order_events_topic(order.strategy_id)
        self._bus.publish(topic, event)

    def _refuse(self, event: OrderEvent, status: str, reason: str) -> None:
        refused = OrderEventRefused(event=event, status=status, reason=reason)
        self.refused.append(refused)
        self._bus.publish(REFUSED_TOPIC, refused)

    # ---- commands -------------------------------------------------------------------------
    def cancel(self, command: CancelOrder) -> None:
        """Forward a cancel for an open order; a cancel for a closed or unknown one is rejected."""
        order = self._cache.orders.get(command.client_order_id)
        if order is None or not order.is_open:
            if order is not None:
                now = self._clock.timestamp_ns()
                self._bus.publish(
                    order_events_topic(order.strategy_id),
                    order_event(
                        OrderCancelRejected, order, now, reason=f"order is {order.status.value}"
                    ),
                )
            return
        self._bus.send("ExecutionEngine.cancel", command)

    def cancel_all(self, command: CancelAllOrders) -> None:
        """Cancel every open order matching the command's filters."""
        for order in self._cache.orders_open(command.strategy_id, command.instrument_id):
            self.cancel(
                CancelOrder(
                    client_order_id=order.client_order_id,
                    instrument_id=order.instrument_id,
                    strategy_id=order.strategy_id,
                    ts_init=command.ts_init,
                )
            )

    def snapshot(self) -> dict[str, Any]:
        """Counts for status displays."""
        return {
            "orders": len(self._cache.orders),
            "open_orders": len(self._cache.open_orders),
            "events": self.event_count,
            "refused_events": len(self.refused),
        }
