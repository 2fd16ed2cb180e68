"""Events: immutable facts in the past tense. Order events are an order's audit trail."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import msgspec

from midfreq.model.enums import (
    DenialCode,
    LiquiditySide,
    OrderSide,
    OrderType,
    TimeInForce,
    TradingState,
)
from midfreq.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TradeId,
    VenueOrderId,
)


class OrderEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every order event."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    instrument_id: InstrumentId
    ts_event: int
    ts_init: int


class OrderInitialized(OrderEvent, frozen=True, kw_only=True):
    """An order was created; holds everything needed to rebuild it."""

    side: OrderSide
    order_type: OrderType
    quantity: float
    price: float | None = None
    trigger_price: float | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_time_ns: int | None = None
    reduce_only: bool = False
    parent_order_id: ClientOrderId | None = None
    tags: tuple[str, ...] = ()


class OrderDenied(OrderEvent, frozen=True, kw_only=True):
    """The pre-trade risk gate refused the order; it never reached a venue."""

    code: DenialCode
    reason: str


class OrderSubmitted(OrderEvent, frozen=True, kw_only=True):
    """The order was sent to the venue."""


class OrderAccepted(OrderEvent, frozen=True, kw_only=True):
    """The venue acknowledged the order."""

    venue_order_id: VenueOrderId


class OrderRejected(OrderEvent, frozen=True, kw_only=True):
    """The venue refused the order."""

    reason: str


class OrderTriggered(OrderEvent, frozen=True, kw_only=True):
    """A stop-limit order's trigger was hit; it now works as a limit order."""


class OrderPendingCancel(OrderEvent, frozen=True, kw_only=True):
    """A cancel request was sent."""


class OrderCancelRejected(OrderEvent, frozen=True, kw_only=True):
    """The venue refused a cancel request; the order keeps working."""

    reason: str


class OrderCanceled(OrderEvent, frozen=True, kw_only=True):
    """The order was cancelled; the unfilled rest is gone."""


class OrderExpired(OrderEvent, frozen=True, kw_only=True):
    """The order's time in force ran out (or IOC/FOK rest was removed)."""


class OrderUpdated(OrderEvent, frozen=True, kw_only=True):
    """Quantity or prices were modified."""

    quantity: float
    price: float | None = None
    trigger_price: float | None = None


class OrderFilled(OrderEvent, frozen=True, kw_only=True):
    """Part or all of the order executed."""

    venue_order_id: VenueOrderId
    trade_id: TradeId
    side: OrderSide
    last_qty: float
    last_px: float
    commission: float
    liquidity_side: LiquiditySide = LiquiditySide.TAKER


E = TypeVar("E", bound=OrderEvent)


class OrderReference(Protocol):
    """Anything naming an order: an `Order`, a `CancelOrder` command, another event."""

    @property
    def client_order_id(self) -> ClientOrderId: ...

    @property
    def strategy_id(self) -> StrategyId: ...

    @property
    def instrument_id(self) -> InstrumentId: ...


def order_event(kind: type[E], about: OrderReference, ts: int, **fields: Any) -> E:
    """Build an event of ``kind`` for the order ``about`` names, happening and seen at ``ts``.

    Example
    -------
    >>> from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId
    >>> accepted = OrderSubmitted(client_order_id=ClientOrderId("O-1"),
    ...     strategy_id=StrategyId("s-1"), instrument_id=InstrumentId("AAA.SIM"),
    ...     ts_event=1, ts_init=1)
    >>> order_event(OrderCanceled, accepted, 5).ts_event
    5
    """
    return kind(
        client_order_id=about.client_order_id,
        strategy_id=about.strategy_id,
        instrument_id=about.instrument_id,
        ts_event=ts,
        ts_init=ts,
        **fields,
    )


def fill_for(about: OrderReference, fill: OrderFilled) -> OrderFilled:
    """Restate a child order's ``fill`` for the order ``about`` names (its parent): the same
    quantity, price, commission, side, liquidity, trade and venue ids and time."""
    return order_event(
        OrderFilled,
        about,
        fill.ts_event,
        venue_order_id=fill.venue_order_id,
        trade_id=fill.trade_id,
        side=fill.side,
        last_qty=fill.last_qty,
        last_px=fill.last_px,
        commission=fill.commission,
        liquidity_side=fill.liquidity_side,
    )


class TradingStateChanged(msgspec.Struct, frozen=True, kw_only=True):
    """The risk layer changed what the gate lets through."""

    state: TradingState
    reason: str
    ts_event: int


class RiskBreach(msgspec.Struct, frozen=True, kw_only=True):
    """A portfolio risk limit was breached and the risk manager acted.

    ``metric`` is ``drawdown``, ``daily_loss`` or ``var``; ``value`` and ``limit`` are in its
    units (a fraction for drawdown, money otherwise); ``action`` is ``warn``, ``reduce`` or
    ``halt``.
    """

    metric: str
    value: float
    limit: float
    action: str
    detail: str
    ts_event: int


class OrderEventRefused(msgspec.Struct, frozen=True, kw_only=True):
    """An event was refused because it would break an order's invariants (overfill, illegal
    transition); the order is unchanged."""

    event: OrderEvent
    status: str
    reason: str
