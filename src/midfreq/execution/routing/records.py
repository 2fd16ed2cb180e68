"""The router's records of parent orders (`RoutedOrder`, `ParentStatus`) and of their children.

A parent routed from a strategy's `Order` keeps that order (`RoutedOrder.order`); the router
applies the parent's own events to it, so the strategy sees its order's state."""

from __future__ import annotations

from enum import StrEnum

from midfreq.model.enums import OrderSide, OrderType, TimeInForce
from midfreq.model.identifiers import ClientOrderId, StrategyId, Venue
from midfreq.model.orders import Order


class ParentStatus(StrEnum):
    """State of a routed (parent) order."""

    WORKING = "WORKING"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXHAUSTED = "EXHAUSTED"
    """Closed with quantity unfilled: no eligible venue left, re-routes used up, or a child
    was denied by the risk gate. The parent `Order` is `EXPIRED`."""
    REJECTED = "REJECTED"
    """No child could be sent: no eligible venue when it arrived. The parent `Order` is
    `REJECTED` with that reason."""


class RoutedOrder:
    """The router's record of a parent order and its children (read it; do not change it).

    ``order`` is the strategy's `Order` the parent was routed from (`SmartOrderRouter.route`),
    whose state the router keeps in step (submitted, accepted, one fill per child fill, pending
    cancel, then filled, cancelled, expired or rejected); None for `submit_order` parents.
    """

    __slots__ = (
        "arrival_price",
        "cancel_requested",
        "children",
        "client_order_id",
        "commission",
        "denied",
        "failed_venues",
        "filled_qty",
        "filled_value",
        "order",
        "order_type",
        "price",
        "quantity",
        "reason",
        "reroutes",
        "side",
        "status",
        "strategy_id",
        "symbol",
        "time_in_force",
        "ts_init",
    )

    def __init__(
        self,
        client_order_id: ClientOrderId,
        strategy_id: StrategyId,
        symbol: str,
        side: OrderSide,
        quantity: float,
        order_type: OrderType,
        price: float | None,
        time_in_force: TimeInForce,
        ts_init: int,
        order: Order | None = None,
    ) -> None:
        self.order = order
        self.client_order_id = client_order_id
        self.strategy_id = strategy_id
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.order_type = order_type
        self.price = price
        self.time_in_force = time_in_force
        self.ts_init = ts_init
        self.arrival_price: float | None = None
        self.status = ParentStatus.WORKING
        self.filled_qty = 0.0
        self.filled_value = 0.0
        self.commission = 0.0
        self.children: list[ClientOrderId] = []
        self.failed_venues: set[Venue] = set()
        self.reroutes = 0
        self.cancel_requested = False
        self.denied = False
        self.reason = ""

    @property
    def avg_px(self) -> float | None:
        """Average fill price across children, None before a fill."""
        return self.filled_value / self.filled_qty if self.filled_qty > 0 else None

    @property
    def is_open(self) -> bool:
        """Whether the parent is still working."""
        return self.status is ParentStatus.WORKING

    def __repr__(self) -> str:
        return (
            f"RoutedOrder({self.client_order_id} {self.side.value} {self.quantity} {self.symbol} "
            f"{self.status.value} filled={self.filled_qty} children={len(self.children)})"
        )


class ChildRecord:
    __slots__ = (
        "cancel_sent",
        "filled",
        "is_open",
        "order",
        "parent",
        "quantity",
        "ts_sent",
        "venue",
    )

    def __init__(self, order: Order, venue: Venue, parent: RoutedOrder, ts_sent: int) -> None:
        self.order = order
        self.venue = venue
        self.parent = parent
        self.quantity = order.quantity
        self.filled = 0.0
        self.ts_sent = ts_sent
        self.cancel_sent = False
        self.is_open = True

    @property
    def leaves(self) -> float:
        return max(self.quantity - self.filled, 0.0) if self.is_open else 0.0


def venue_stats() -> dict[str, float]:
    return {
        "child_orders": 0,
        "child_quantity": 0.0,
        "fills": 0,
        "filled_quantity": 0.0,
        "rejected": 0,
        "canceled": 0,
        "timeouts": 0,
        "commission": 0.0,
    }
