"""The SmartOrderRouter: turns a parent order into child orders per venue with `allocate`, tracks
the children's fills, and re-routes an unfilled remainder (after a reject, a cancel or a timeout)
to the next best venue, skipping venues that are down.

It talks to no venue: children leave through an injected ``send_child`` callable (in the kernel:
the risk gate) and their events come back through `SmartOrderRouter.on_order_event`. A child
reaches its venue through its instrument id (``AAPL.VENUE1``), made by one small adapter,
`per_venue_instrument_id`; see docs/execution.md, "Smart order routing".

A parent routed from a strategy's `Order` (`SmartOrderRouter.route`) is kept in step with its
children like an execution algorithm's parent: submitted, accepted, one fill per child fill,
pending cancel, then filled, cancelled, expired (ended short) or rejected (nothing sendable);
each event is applied to the order and handed to ``on_parent_event``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from midfreq.core.clock import NANOS_PER_SECOND, Clock
from midfreq.core.errors import ConfigError
from midfreq.core.ids import IdGenerator
from midfreq.execution.routing.allocation import allocate, to_lots
from midfreq.execution.routing.book import ConsolidatedBook
from midfreq.execution.routing.config import SmartOrderRouterConfig, VenueFeesConfig
from midfreq.execution.routing.records import (
    ChildRecord,
    ParentStatus,
    RoutedOrder,
    venue_stats,
)
from midfreq.model.book import OrderBook
from midfreq.model.commands import CancelOrder
from midfreq.model.data import OrderBookSnapshot, QuoteTick
from midfreq.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
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
    fill_for,
    order_event,
)
from midfreq.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    StrategyId,
    Venue,
    VenueOrderId,
)
from midfreq.model.instruments import Instrument
from midfreq.model.orders import Order

_ROUTER_STRATEGY_ID = StrategyId("SOR")
E = TypeVar("E", OrderSide, OrderType, TimeInForce)

SendChild = Callable[[Order], None]
"""Sends a child order toward its venue (in the kernel: to the risk gate)."""
CancelChild = Callable[[CancelOrder], None]
"""Asks for a child order to be cancelled (in the kernel: through the risk gate)."""
ChildAddressing = Callable[[str, Venue], InstrumentId]
"""Makes the instrument id that takes a child order for ``symbol`` to ``venue``."""
ParentEventHandler = Callable[[OrderEvent], None]
"""Takes an event already applied to a routed parent `Order` (in the kernel: published on
``events.algo.<strategy_id>``, where `BaseStrategy.on_algo_event` hears it)."""

__all__ = [
    "CancelChild",
    "ChildAddressing",
    "ParentEventHandler",
    "ParentStatus",
    "RoutedOrder",
    "SendChild",
    "SmartOrderRouter",
    "SmartOrderRouterConfig",
    "VenueFeesConfig",
    "per_venue_instrument_id",
]


def per_venue_instrument_id(symbol: str, venue: Venue) -> InstrumentId:
    """Address a child by a per-venue instrument id: ``AAPL`` on ``V1`` is ``AAPL.V1``.

    The execution engine already routes by the id's venue suffix and the simulated venue
    matches against that id's quotes, so nothing downstream changes.

    Examples
    --------
    >>> per_venue_instrument_id("AAPL", Venue("V1"))
    InstrumentId('AAPL.V1')
    """
    return InstrumentId.from_parts(symbol, venue)


# ---- the router -----------------------------------------------------------------------------
class SmartOrderRouter:
    """Split orders across venues, track child fills, re-route unfilled remainders.

    Parameters
    ----------
    config : SmartOrderRouterConfig
        Venues, policy, fees, timeouts.
    clock : Clock
        Time of routing decisions, child orders and timeouts.
    instruments : iterable of Instrument
        The per-venue listings (``AAPL.V1``, ``AAPL.V2``, ...); a symbol routes to the
        configured venues it is listed on, with the listing's lot size.
    send_child : SendChild
        Called with each child `Order` (already tagged ``venue=<venue>`` and carrying
        ``parent_order_id``).
    cancel_child : CancelChild or None
        Called to cancel a child (timeouts, `cancel_order`); None: children cannot be cancelled.
    addressing : ChildAddressing
        Makes a child's instrument id (default `per_venue_instrument_id`).
    strategy_id : StrategyId
        Owner of orders made by `submit_order`.
    on_parent_event : ParentEventHandler or None
        Called with each event applied to a parent `Order` given to `route` (also settable
        later as the ``on_parent_event`` attribute); None: the events are only applied.

    Raises
    ------
    ConfigError
        If a symbol's listings disagree on lot size or size precision.
    """

    def __init__(
        self,
        config: SmartOrderRouterConfig,
        clock: Clock,
        instruments: Iterable[Instrument],
        send_child: SendChild,
        cancel_child: CancelChild | None = None,
        *,
        addressing: ChildAddressing = per_venue_instrument_id,
        strategy_id: StrategyId = _ROUTER_STRATEGY_ID,
        on_parent_event: ParentEventHandler | None = None,
    ) -> None:
        self.config = config
        self.on_parent_event = on_parent_event
        self._clock = clock
        self._send_child = send_child
        self._cancel_child = cancel_child
        self._address = addressing
        self.strategy_id = strategy_id
        self.policy = config.policy
        stale = config.stale_after_seconds
        self._stale_ns = None if stale is None else int(stale * NANOS_PER_SECOND)
        timeout = config.child_timeout_seconds
        self._timeout_ns = None if timeout is None else int(timeout * NANOS_PER_SECOND)
        self._venues = [Venue(v) for v in config.venues]
        self._books: dict[str, ConsolidatedBook] = {}
        self._lots: dict[str, tuple[float, int]] = {}
        self._listed: dict[InstrumentId, tuple[str, Venue]] = {}
        for instrument in instruments:
            self._add_listing(instrument)
        self._ids = IdGenerator(clock, "SOR", str(strategy_id))
        self._parents: dict[ClientOrderId, RoutedOrder] = {}
        self._children: dict[ClientOrderId, ChildRecord] = {}
        self._open_children: dict[ClientOrderId, ChildRecord] = {}
        self._down: set[Venue] = set()
        self.venue_stats: dict[Venue, dict[str, float]] = {v: venue_stats() for v in self._venues}

    def _add_listing(self, instrument: Instrument) -> None:
        venue = instrument.id.venue
        if venue not in self._venues:
            return
        symbol = instrument.id.symbol
        lots = (instrument.lot_size, instrument.size_precision)
        known = self._lots.setdefault(symbol, lots)
        if known != lots:
            raise ConfigError(
                f"instruments[{instrument.id}].lot_size",
                lots,
                f"the lot size and size precision of {symbol}'s other listings {known}",
            )
        book = self._books.get(symbol)
        if book is None:
            book = self._books[symbol] = ConsolidatedBook((), self._stale_ns)
        book.add_venue(venue, self.config.venue_fees(venue))
        self._listed[instrument.id] = (symbol, venue)

    # ---- market data and venue status -----------------------------------------------------
    def book(self, symbol: str) -> ConsolidatedBook:
        """The consolidated book of ``symbol``; raises `KeyError` naming the known symbols."""
        try:
            return self._books[symbol]
        except KeyError:
            known = ", ".join(sorted(self._books)) or "none"
            raise KeyError(f"symbol: expected one of {known}, was {symbol!r}") from None

    def on_quote(self, quote: QuoteTick) -> None:
        """Take a venue's top of book (ignored for instruments the router does not route)."""
        listed = self._listed.get(quote.instrument_id)
        if listed is not None:
            self._books[listed[0]].update_quote(listed[1], quote)

    def on_order_book_snapshot(self, snapshot: OrderBookSnapshot) -> None:
        """Take a venue's depth from a snapshot."""
        listed = self._listed.get(snapshot.instrument_id)
        if listed is not None:
            self._books[listed[0]].update_snapshot(listed[1], snapshot)

    def on_order_book(self, book: OrderBook, levels: int = 10) -> None:
        """Take a venue's depth from its L2 `OrderBook` (e.g. the cache's, after a delta)."""
        listed = self._listed.get(book.instrument_id)
        if listed is not None:
            self._books[listed[0]].update_order_book(listed[1], book, levels)

    def mark_venue_down(self, venue: Venue | str) -> None:
        """Route nothing more to ``venue`` (children already there keep working)."""
        self._down.add(Venue(venue))
        for book in self._books.values():
            if venue in {v.venue for v in book.venues}:
                book.mark_down(venue)

    def mark_venue_up(self, venue: Venue | str) -> None:
        """Route to ``venue`` again."""
        self._down.discard(Venue(venue))
        for book in self._books.values():
            if venue in {v.venue for v in book.venues}:
                book.mark_up(venue)

    # ---- spec facade ----------------------------------------------------------------------
    def submit_order(
        self,
        symbol: str,
        side: OrderSide | str,
        quantity: float,
        order_type: OrderType | str = OrderType.MARKET,
        price: float | None = None,
        time_in_force: TimeInForce | str = TimeInForce.GTC,
    ) -> ClientOrderId:
        """Route a new order for ``symbol`` and return its (parent) id.

        Parameters
        ----------
        symbol : str
            A symbol listed on at least one configured venue (``AAPL``), or a listing id
            (``AAPL.V1``), whose symbol is used.
        side : OrderSide or str
            ``buy`` or ``sell`` (any case).
        quantity : float
            Whole lots.
        order_type : OrderType or str
            ``market`` or ``limit``.
        price : float or None
            The limit price, for limit orders only.
        time_in_force : TimeInForce or str
            Given to every child.

        Returns
        -------
        ClientOrderId
            The parent's id, for `cancel_order` and `order`. If no venue was eligible the
            parent is already closed with status `REJECTED`.

        Raises
        ------
        ValueError
            For an unknown symbol, side or order type, a stop order, a quantity that is not
            whole lots, or a price that does not match the order type.
        """
        if "." in symbol:
            symbol = symbol.rpartition(".")[0]
        if symbol not in self._books:
            known = ", ".join(sorted(self._books)) or "none"
            raise ValueError(f"symbol: expected one of {known}, was {symbol!r}")
        order_side = _enum(OrderSide, side, "side")
        kind = _enum(OrderType, order_type, "order_type")
        tif = _enum(TimeInForce, time_in_force, "time_in_force")
        if kind not in (OrderType.MARKET, OrderType.LIMIT):
            raise ValueError(f"order_type: expected MARKET or LIMIT, was {kind.value}")
        if (kind is OrderType.LIMIT) != (price is not None):
            raise ValueError(
                f"price: expected a price for LIMIT orders only, was {price!r} for {kind.value}"
            )
        if price is not None and not price > 0:
            raise ValueError(f"price: expected > 0, was {price!r}")
        lot_size, _ = self._lots[symbol]
        to_lots(quantity, lot_size)
        parent = RoutedOrder(
            ClientOrderId(self._ids.generate()),
            self.strategy_id,
            symbol,
            order_side,
            quantity,
            kind,
            price,
            tif,
            self._clock.timestamp_ns(),
        )
        self._start(parent)
        return parent.client_order_id

    def route(self, order: Order) -> RoutedOrder:
        """Route an existing (parent) order: its symbol, side, quantity, type, price and time
        in force; its id becomes the parent id of the children.

        The order itself is not sent anywhere: the router applies the parent's events to it
        (`OrderSubmitted`, then `OrderAccepted`, or `OrderRejected` with the reason when no
        venue is eligible; one `OrderFilled` per child fill with that fill's quantity, price,
        commission and trade id; `OrderPendingCancel` and `OrderCanceled` on `cancel_order`;
        `OrderExpired` when routing gives up with quantity left, the reason in
        `RoutedOrder.reason`) and hands each to ``on_parent_event``.

        Raises
        ------
        ValueError
            If no venue lists the symbol, the order is not a new (INITIALIZED) MARKET or
            LIMIT order in whole lots, or its id was routed before.
        """
        symbol = order.instrument_id.symbol
        if symbol not in self._books:
            raise ValueError(f"{order.client_order_id}: no venue lists {symbol!r}")
        if order.order_type not in (OrderType.MARKET, OrderType.LIMIT):
            raise ValueError(
                f"{order.client_order_id} order_type: expected MARKET or LIMIT, was "
                f"{order.order_type.value}"
            )
        to_lots(order.quantity, self._lots[symbol][0])
        if order.client_order_id in self._parents:
            raise ValueError(f"{order.client_order_id}: expected a new order id, already routed")
        if order.status is not OrderStatus.INITIALIZED:
            raise ValueError(
                f"{order.client_order_id} status: expected INITIALIZED, was {order.status.value}"
            )
        parent = RoutedOrder(
            order.client_order_id,
            order.strategy_id,
            symbol,
            order.side,
            order.quantity,
            order.order_type,
            order.price,
            order.time_in_force,
            self._clock.timestamp_ns(),
            order,
        )
        self._start(parent)
        return parent

    def cancel_order(self, order_id: ClientOrderId | str) -> bool:
        """Cancel a working parent: no more routing, and a cancel for every open child.

        Returns False if the id is unknown or the parent is already closed or cancelling (a
        routed `Order` then gets an `OrderCancelRejected`, not applied, on ``on_parent_event``).
        The parent becomes `CANCELED` once every child is closed (at once if it had none open);
        its `Order` goes `PENDING_CANCEL` now and `CANCELED` then (or `FILLED` if the children's
        last fills complete it meanwhile).
        """
        parent = self._parents.get(ClientOrderId(order_id))
        if parent is None:
            return False
        if not parent.is_open or parent.cancel_requested:
            order = parent.order
            if order is not None and self.on_parent_event is not None:
                state = "cancelling" if parent.is_open else parent.status.value
                reason = f"parent is {state}"
                now = self._clock.timestamp_ns()
                self.on_parent_event(order_event(OrderCancelRejected, order, now, reason=reason))
            return False
        parent.cancel_requested = True
        self._emit(parent, OrderPendingCancel)
        for child in self._open_of(parent):
            self._request_cancel(child)
        self._settle(parent)
        return True

    def order(self, order_id: ClientOrderId | str) -> RoutedOrder | None:
        """A parent order by id."""
        return self._parents.get(ClientOrderId(order_id))

    def open_orders(
        self, strategy_id: StrategyId | str | None = None, symbol: str | None = None
    ) -> list[RoutedOrder]:
        """Parents still working, optionally only ``strategy_id``'s and only in ``symbol``."""
        return [
            p
            for p in self._parents.values()
            if p.is_open
            and (strategy_id is None or p.strategy_id == strategy_id)
            and (symbol is None or p.symbol == symbol)
        ]

    def children(self, order_id: ClientOrderId | str) -> list[Order]:
        """The child orders of a parent, in the order they were sent."""
        parent = self._parents.get(ClientOrderId(order_id))
        if parent is None:
            return []
        return [self._children[c].order for c in parent.children]

    # ---- events and timers ----------------------------------------------------------------
    def on_order_event(self, event: OrderEvent) -> bool:
        """Track a child's event; return False if it is not one of the router's children.

        Fills add to the parent; a reject, venue cancel or expiry closes the child and routes
        its unfilled rest to the next best venue (excluding that one for this parent); a
        denial by the risk gate closes the child and stops routing the parent.
        """
        child = self._children.get(event.client_order_id)
        if child is None:
            return False
        parent = child.parent
        stats = self.venue_stats[child.venue]
        if isinstance(event, OrderFilled):
            child.filled += event.last_qty
            parent.filled_qty += event.last_qty
            parent.filled_value += event.last_qty * event.last_px
            parent.commission += event.commission
            if parent.order is not None and parent.order.is_open:
                self._publish(parent.order, fill_for(parent.order, event))
            stats["fills"] += 1
            stats["filled_quantity"] += event.last_qty
            stats["commission"] += event.commission
            if child.filled >= child.quantity - 1e-9:
                self._close(child)
            self._settle(parent)
        elif isinstance(event, OrderRejected | OrderCanceled | OrderExpired | OrderDenied):
            if not child.is_open:
                return True
            self._close(child)
            if isinstance(event, OrderRejected):
                stats["rejected"] += 1
                parent.failed_venues.add(child.venue)
                parent.reason = f"{child.venue} rejected: {event.reason}"
            elif isinstance(event, OrderDenied):
                parent.reason = f"denied: {event.code.value} {event.reason}"
                parent.denied = True
            else:
                stats["canceled"] += 1
                parent.failed_venues.add(child.venue)
            self._reroute(parent)
            self._settle(parent)
        elif isinstance(event, OrderAccepted):
            pass
        return True

    def on_timer(self, now_ns: int | None = None) -> int:
        """Cancel children open longer than ``child_timeout_seconds`` (their remainder is
        re-routed when the cancel is confirmed); return how many cancels were sent."""
        if self._timeout_ns is None or self._cancel_child is None:
            return 0
        now = self._clock.timestamp_ns() if now_ns is None else now_ns
        sent = 0
        for child in list(self._open_children.values()):
            if not child.cancel_sent and now - child.ts_sent >= self._timeout_ns:
                self.venue_stats[child.venue]["timeouts"] += 1
                self._request_cancel(child)
                sent += 1
        return sent

    # ---- metrics --------------------------------------------------------------------------
    def get_performance_metrics(self) -> dict[str, Any]:
        """Fill rate, slippage against the arrival price and per-venue counts.

        Returns
        -------
        dict
            ``orders``, ``active_orders``, ``completed_orders``, ``filled_orders`` (parents
            completely filled), ``requested_quantity``, ``filled_quantity``, ``fill_rate``
            (filled / requested quantity; None before any order), ``average_slippage_bps``
            (quantity-weighted; positive means worse than the consolidated touch the order met
            on arrival; None without fills), ``reroutes``, and ``venue_performance``: per venue
            ``child_orders``, ``child_quantity``, ``fills``, ``filled_quantity``, ``rejected``,
            ``canceled``, ``timeouts``, ``commission``.
        """
        parents = list(self._parents.values())
        requested = sum(p.quantity for p in parents)
        filled = sum(p.filled_qty for p in parents)
        slip_weight = slip_sum = 0.0
        for p in parents:
            avg = p.avg_px
            if avg is None or p.arrival_price is None:
                continue
            bps = p.side.sign * (avg - p.arrival_price) / p.arrival_price * 10_000.0
            slip_sum += bps * p.filled_qty
            slip_weight += p.filled_qty
        return {
            "orders": len(parents),
            "active_orders": sum(1 for p in parents if p.is_open),
            "completed_orders": sum(1 for p in parents if not p.is_open),
            "filled_orders": sum(1 for p in parents if p.status is ParentStatus.FILLED),
            "requested_quantity": requested,
            "filled_quantity": filled,
            "fill_rate": filled / requested if requested > 0 else None,
            "average_slippage_bps": slip_sum / slip_weight if slip_weight > 0 else None,
            "reroutes": sum(p.reroutes for p in parents),
            "venue_performance": {str(v): dict(s) for v, s in self.venue_stats.items()},
        }

    def describe(self) -> dict[str, Any]:
        """Policy, venues (with fees and status) and the assumptions used, for reports."""
        return {
            "policy": self.policy.value,
            "venues": [str(v) for v in self._venues],
            "down": sorted(str(v) for v in self._down),
            "venue_weights": dict(self.config.venue_weights),
            "fees": {v: self.config.venue_fees(v) for v in self.config.venues},
            "expected_slippage": self.config.slippage,
            "child_timeout_seconds": self.config.child_timeout_seconds,
            "stale_after_seconds": self.config.stale_after_seconds,
        }

    # ---- internals ------------------------------------------------------------------------
    def _start(self, parent: RoutedOrder) -> None:
        self._parents[parent.client_order_id] = parent
        book = self._books[parent.symbol]
        parent.arrival_price = book.arrival_price(parent.side, self._clock.timestamp_ns())
        self._emit(parent, OrderSubmitted)
        batch = self._make_children(parent, parent.quantity)
        if not batch:
            parent.status = ParentStatus.REJECTED
            parent.reason = parent.reason or "no eligible venue"
            self._emit(parent, OrderRejected, reason=parent.reason)
            return
        # Accepted before any child leaves: a venue may fill (or the gate deny) inside send.
        venue_order_id = VenueOrderId(f"SOR-{parent.client_order_id}")
        self._emit(parent, OrderAccepted, venue_order_id=venue_order_id)
        for child in batch:
            self._send_child(child.order)

    def _emit(
        self, parent: RoutedOrder, kind: type[OrderEvent], ts: int | None = None, **fields: Any
    ) -> None:
        """Apply a ``kind`` event to the parent's `Order` (if routed from one) and hand it on."""
        order = parent.order
        if order is None:
            return
        now = self._clock.timestamp_ns() if ts is None else ts
        self._publish(order, order_event(kind, order, now, **fields))

    def _publish(self, order: Order, event: OrderEvent) -> None:
        order.apply(event)
        if self.on_parent_event is not None:
            self.on_parent_event(event)

    def _open_of(self, parent: RoutedOrder) -> list[ChildRecord]:
        return [self._children[c] for c in parent.children if self._children[c].is_open]

    def _unrouted(self, parent: RoutedOrder) -> float:
        _, precision = self._lots[parent.symbol]
        in_flight = sum(c.leaves for c in self._open_of(parent))
        return round(parent.quantity - parent.filled_qty - in_flight, precision)

    def _dispatch(self, parent: RoutedOrder, quantity: float) -> None:
        """Allocate ``quantity`` and send one child per venue. Every child is recorded before
        any is sent, so a venue reporting inside ``send_child`` sees the whole batch."""
        for child in self._make_children(parent, quantity):
            self._send_child(child.order)

    def _make_children(self, parent: RoutedOrder, quantity: float) -> list[ChildRecord]:
        """Allocate ``quantity`` and record one (unsent) child per venue."""
        lot_size, precision = self._lots[parent.symbol]
        now = self._clock.timestamp_ns()
        allocations = allocate(
            parent.side,
            quantity,
            self._books[parent.symbol],
            self.policy,
            now_ns=now,
            limit_price=parent.price,
            lot_size=lot_size,
            size_precision=precision,
            weights=self.config.venue_weights or None,
            exclude=parent.failed_venues,
        )
        per_venue: dict[Venue, float] = {}
        for allocation in allocations:
            per_venue[allocation.venue] = round(
                per_venue.get(allocation.venue, 0.0) + allocation.quantity, precision
            )
        batch: list[ChildRecord] = []
        for venue, qty in per_venue.items():
            number = len(parent.children) + 1
            init = OrderInitialized(
                client_order_id=ClientOrderId(f"{parent.client_order_id}-C{number}"),
                strategy_id=parent.strategy_id,
                instrument_id=self._address(parent.symbol, venue),
                side=parent.side,
                order_type=parent.order_type,
                quantity=qty,
                price=parent.price,
                time_in_force=parent.time_in_force,
                parent_order_id=parent.client_order_id,
                tags=("sor", f"venue={venue}"),
                ts_event=now,
                ts_init=now,
            )
            child = ChildRecord(Order(init, precision), venue, parent, now)
            self._children[init.client_order_id] = child
            self._open_children[init.client_order_id] = child
            parent.children.append(init.client_order_id)
            stats = self.venue_stats[venue]
            stats["child_orders"] += 1
            stats["child_quantity"] += qty
            batch.append(child)
        return batch

    def _reroute(self, parent: RoutedOrder) -> None:
        if not parent.is_open or parent.cancel_requested or parent.denied:
            return  # after a denial the gate would refuse a re-route too
        rest = self._unrouted(parent)
        if rest <= 0:
            return
        if parent.reroutes >= self.config.max_reroutes:
            parent.reason = parent.reason or "re-routes used up"
            return
        parent.reroutes += 1
        before = len(parent.children)
        self._dispatch(parent, rest)
        if len(parent.children) == before:
            parent.reason = f"{parent.reason}; no eligible venue left".lstrip("; ")

    def _request_cancel(self, child: ChildRecord) -> None:
        if self._cancel_child is None or child.cancel_sent:
            return
        child.cancel_sent = True
        order = child.order
        self._cancel_child(
            CancelOrder(
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                strategy_id=order.strategy_id,
                ts_init=self._clock.timestamp_ns(),
            )
        )

    def _close(self, child: ChildRecord) -> None:
        child.is_open = False
        self._open_children.pop(child.order.client_order_id, None)

    def _settle(self, parent: RoutedOrder) -> None:
        """Close the parent when it is filled, or nothing of it is open any more."""
        if not parent.is_open:
            return
        _, precision = self._lots[parent.symbol]
        if round(parent.quantity - parent.filled_qty, precision) <= 0:
            parent.status = ParentStatus.FILLED
        elif not self._open_of(parent):
            if parent.cancel_requested and not parent.denied:
                parent.status = ParentStatus.CANCELED
                self._emit(parent, OrderCanceled)
            else:
                # Ended short (the closest allowed transition after an accept is EXPIRED).
                parent.status = ParentStatus.EXHAUSTED
                self._emit(parent, OrderExpired)


def _enum(kind: type[E], value: E | str, name: str) -> E:
    if isinstance(value, kind):
        return value
    try:
        return kind(str(value).upper())
    except ValueError:
        allowed = ", ".join(m.value.lower() for m in kind)
        raise ValueError(f"{name}: expected one of {allowed}, was {value!r}") from None
