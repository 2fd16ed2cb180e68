"""The Order aggregate. Its state changes only by `apply(event)` through one literal transition
table with FIX OrdStatus semantics; an illegal transition or an overfill raises
`InvalidStateTransition` and leaves the order unchanged."""

from __future__ import annotations

from midfreq.core.errors import InvalidStateTransition
from midfreq.model.enums import (
    TERMINAL_ORDER_STATUSES,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from midfreq.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderInitialized,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
    OrderUpdated,
)
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId, VenueOrderId

S = OrderStatus
# A fill maps to PARTIALLY_FILLED and becomes FILLED when nothing is left.
# A cancel reject maps to None: the order returns to the status it had before PENDING_CANCEL.
# The venue's accept or reject of a new order can overtake a cancel sent right after it.
TRANSITIONS: dict[tuple[OrderStatus, type[OrderEvent]], OrderStatus | None] = {
    (S.INITIALIZED, OrderDenied): S.DENIED,
    (S.INITIALIZED, OrderSubmitted): S.SUBMITTED,
    (S.INITIALIZED, OrderRejected): S.REJECTED,
    (S.INITIALIZED, OrderCanceled): S.CANCELED,
    (S.SUBMITTED, OrderAccepted): S.ACCEPTED,
    (S.SUBMITTED, OrderRejected): S.REJECTED,
    (S.SUBMITTED, OrderPendingCancel): S.PENDING_CANCEL,
    (S.SUBMITTED, OrderCanceled): S.CANCELED,
    (S.SUBMITTED, OrderExpired): S.EXPIRED,
    (S.SUBMITTED, OrderFilled): S.PARTIALLY_FILLED,
    (S.ACCEPTED, OrderPendingCancel): S.PENDING_CANCEL,
    (S.ACCEPTED, OrderCanceled): S.CANCELED,
    (S.ACCEPTED, OrderExpired): S.EXPIRED,
    (S.ACCEPTED, OrderTriggered): S.TRIGGERED,
    (S.ACCEPTED, OrderUpdated): S.ACCEPTED,
    (S.ACCEPTED, OrderFilled): S.PARTIALLY_FILLED,
    (S.TRIGGERED, OrderPendingCancel): S.PENDING_CANCEL,
    (S.TRIGGERED, OrderCanceled): S.CANCELED,
    (S.TRIGGERED, OrderExpired): S.EXPIRED,
    (S.TRIGGERED, OrderUpdated): S.TRIGGERED,
    (S.TRIGGERED, OrderFilled): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, OrderPendingCancel): S.PENDING_CANCEL,
    (S.PARTIALLY_FILLED, OrderCanceled): S.CANCELED,
    (S.PARTIALLY_FILLED, OrderExpired): S.EXPIRED,
    (S.PARTIALLY_FILLED, OrderUpdated): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, OrderFilled): S.PARTIALLY_FILLED,
    (S.PENDING_CANCEL, OrderAccepted): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, OrderTriggered): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, OrderRejected): S.REJECTED,
    (S.PENDING_CANCEL, OrderCanceled): S.CANCELED,
    (S.PENDING_CANCEL, OrderCancelRejected): None,
    (S.PENDING_CANCEL, OrderExpired): S.EXPIRED,
    (S.PENDING_CANCEL, OrderFilled): S.PARTIALLY_FILLED,
}


class Order:
    """A working or finished order. Build with `Order.create`; change only with `apply`."""

    __slots__ = (
        "_status_before_cancel",
        "avg_px",
        "client_order_id",
        "events",
        "expire_time_ns",
        "filled_qty",
        "init",
        "instrument_id",
        "order_type",
        "parent_order_id",
        "price",
        "quantity",
        "reduce_only",
        "sequence",
        "side",
        "size_precision",
        "status",
        "strategy_id",
        "tags",
        "time_in_force",
        "trigger_price",
        "ts_init",
        "ts_last",
        "venue_order_id",
    )

    def __init__(self, init: OrderInitialized, size_precision: int = 9) -> None:
        self.init = init
        self.client_order_id: ClientOrderId = init.client_order_id
        self.strategy_id: StrategyId = init.strategy_id
        self.instrument_id: InstrumentId = init.instrument_id
        self.side: OrderSide = init.side
        self.order_type: OrderType = init.order_type
        self.quantity: float = init.quantity
        self.price: float | None = init.price
        self.trigger_price: float | None = init.trigger_price
        self.time_in_force: TimeInForce = init.time_in_force
        self.expire_time_ns: int | None = init.expire_time_ns
        self.reduce_only = init.reduce_only
        self.parent_order_id: ClientOrderId | None = init.parent_order_id
        self.tags = init.tags
        self.ts_init = init.ts_init
        self.ts_last = init.ts_event
        self.size_precision = size_precision
        self.sequence = 0  # creation order, assigned when the order is registered
        self.status = OrderStatus.INITIALIZED
        self.venue_order_id: VenueOrderId | None = None
        self.filled_qty = 0.0
        self.avg_px: float | None = None
        self.events: list[OrderEvent] = [init]
        self._status_before_cancel: OrderStatus | None = None
        _validate_init(init)

    # ---- derived --------------------------------------------------------------------------
    @property
    def leaves_qty(self) -> float:
        """Quantity still to fill (0 once the order is closed)."""
        if self.status in TERMINAL_ORDER_STATUSES:
            return 0.0
        return round(self.quantity - self.filled_qty, self.size_precision)

    @property
    def is_open(self) -> bool:
        """Whether the order can still fill."""
        return self.status not in TERMINAL_ORDER_STATUSES

    @property
    def is_closed(self) -> bool:
        """Whether the order reached a terminal status."""
        return self.status in TERMINAL_ORDER_STATUSES

    @property
    def signed_leaves(self) -> float:
        """Remaining quantity with the side's sign."""
        return self.leaves_qty * self.side.sign

    # ---- state changes --------------------------------------------------------------------
    def apply(self, event: OrderEvent) -> None:
        """Apply ``event``; raise `InvalidStateTransition` (order unchanged) if it is illegal."""
        if event.client_order_id != self.client_order_id:
            raise InvalidStateTransition(
                f"{self.client_order_id}: event for {event.client_order_id} applied to this order"
            )
        key = (self.status, type(event))
        if key not in TRANSITIONS:
            raise InvalidStateTransition(
                f"{self.client_order_id}: {type(event).__name__} not allowed when "
                f"{self.status.value}"
            )
        target = TRANSITIONS[key]
        if isinstance(event, OrderFilled):
            self._apply_fill(event)
        elif isinstance(event, OrderAccepted):
            self.venue_order_id = event.venue_order_id
        elif isinstance(event, OrderUpdated):
            self._apply_update(event)
        if target is None:
            # A cancel reject: back to where the order was, counting fills seen meanwhile.
            target = self._status_before_cancel or OrderStatus.ACCEPTED
            if self.filled_qty > 0:
                target = OrderStatus.PARTIALLY_FILLED
        elif target is OrderStatus.PENDING_CANCEL:
            if self.status is not OrderStatus.PENDING_CANCEL:
                self._status_before_cancel = self.status
            elif isinstance(event, OrderAccepted):
                # An accept that overtook the cancel: a cancel reject returns to ACCEPTED.
                self._status_before_cancel = OrderStatus.ACCEPTED
            elif isinstance(event, OrderTriggered):
                self._status_before_cancel = OrderStatus.TRIGGERED
        elif target is OrderStatus.PARTIALLY_FILLED and self.filled_qty >= self.quantity:
            target = OrderStatus.FILLED
        self.status = target
        self.ts_last = event.ts_event
        self.events.append(event)

    def _apply_fill(self, fill: OrderFilled) -> None:
        if not fill.last_qty > 0:  # also refuses NaN, which would pass every comparison
            raise InvalidStateTransition(
                f"{self.client_order_id}: fill quantity expected > 0, was {fill.last_qty}"
            )
        if not 0 < fill.last_px < float("inf"):
            raise InvalidStateTransition(
                f"{self.client_order_id}: fill price expected a positive finite number, was "
                f"{fill.last_px}"
            )
        if fill.side is not self.side:
            raise InvalidStateTransition(
                f"{self.client_order_id}: fill side expected {self.side}, was {fill.side}"
            )
        new_filled = round(self.filled_qty + fill.last_qty, self.size_precision)
        if new_filled > self.quantity:
            raise InvalidStateTransition(
                f"{self.client_order_id}: overfill: filled {self.filled_qty} + {fill.last_qty} "
                f"> quantity {self.quantity}"
            )
        previous_value = (self.avg_px or 0.0) * self.filled_qty
        self.avg_px = (previous_value + fill.last_px * fill.last_qty) / new_filled
        self.filled_qty = new_filled
        self.venue_order_id = fill.venue_order_id

    def _apply_update(self, update: OrderUpdated) -> None:
        if update.quantity < self.filled_qty or update.quantity <= 0:
            raise InvalidStateTransition(
                f"{self.client_order_id}: updated quantity expected > 0 and >= filled "
                f"{self.filled_qty}, was {update.quantity}"
            )
        self.quantity = update.quantity
        if update.price is not None:
            self.price = update.price
        if update.trigger_price is not None:
            self.trigger_price = update.trigger_price

    def __repr__(self) -> str:
        price = f" @ {self.price}" if self.price is not None else ""
        return (
            f"Order({self.client_order_id} {self.side.value} {self.quantity} {self.instrument_id} "
            f"{self.order_type.value}{price} {self.time_in_force.value} {self.status.value} "
            f"filled={self.filled_qty})"
        )


def _validate_init(init: OrderInitialized) -> None:
    name = f"order {init.client_order_id}"
    if not init.quantity > 0:
        raise ValueError(f"{name} quantity: expected > 0, was {init.quantity!r}")
    needs_price = init.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_trigger = init.order_type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)
    if needs_price and (init.price is None or not init.price > 0):
        raise ValueError(f"{name} price: expected > 0 for {init.order_type}, was {init.price!r}")
    if not needs_price and init.price is not None:
        raise ValueError(f"{name} price: expected none for {init.order_type}, was {init.price!r}")
    if needs_trigger and (init.trigger_price is None or not init.trigger_price > 0):
        raise ValueError(
            f"{name} trigger_price: expected > 0 for {init.order_type}, was {init.trigger_price!r}"
        )
    if init.time_in_force is TimeInForce.GTD and init.expire_time_ns is None:
        raise ValueError(f"{name} expire_time_ns: expected a time for GTD, was None")
