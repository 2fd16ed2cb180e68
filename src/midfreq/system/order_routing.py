"""How orders leave a strategy in the kernel: `KernelOrderRouter` sends every command to the risk
gate, the execution-algorithm engine or the smart order router; `_ConsolidatingClient` books a
routed child's fills (on a per-venue listing) to the consolidated instrument."""

from __future__ import annotations

import msgspec

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock, TimeEvent
from midfreq.core.errors import ConfigError
from midfreq.execution.algorithms.framework import algo_events_topic
from midfreq.execution.engine import ReportHandler
from midfreq.execution.router import SmartOrderRouter
from midfreq.model.commands import CancelAllOrders, CancelOrder
from midfreq.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.model.identifiers import ClientOrderId, InstrumentId
from midfreq.model.orders import Order
from midfreq.simulation.venue import SimulatedVenue

_ROUTED_TYPES = (OrderType.MARKET, OrderType.LIMIT)
_TIMEOUT_TIMER = "SmartOrderRouter.child_timeout"


class KernelOrderRouter:
    """The order router strategies get: every command goes to the risk gate, which records a
    decision for it and passes it on to the OMS.

    With a `SmartOrderRouter` (the ``execution`` section), market and limit orders on a routed
    (consolidated) instrument become parents the router splits into per-venue children, each
    of which goes through the risk gate; cancelling a parent cancels its children. The
    strategy's parent `Order` follows its children (submitted, accepted, each child fill,
    cancelled, ...): the router applies each event to it and this router publishes it on
    ``events.algo.<strategy_id>``, as the execution-algorithm engine does for its parents, so
    `BaseStrategy.on_algo_event` hears it.
    """

    def __init__(
        self,
        bus: MessageBus,
        smart_router: SmartOrderRouter | None = None,
        routed: frozenset[InstrumentId] = frozenset(),
        cache: Cache | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._bus = bus
        self.smart_router = smart_router
        self._routed = routed
        self._cache = cache
        self._clock = clock
        self._timer_set = False
        if smart_router is not None and smart_router.on_parent_event is None:
            smart_router.on_parent_event = self._publish_parent_event

    def _publish_parent_event(self, event: OrderEvent) -> None:
        self._bus.publish(algo_events_topic(event.strategy_id), event)

    def submit(self, order: Order) -> None:
        """Send ``order`` to the risk gate (or, when routed, to the SmartOrderRouter)."""
        sor = self.smart_router
        if (
            sor is not None
            and order.instrument_id in self._routed
            and order.order_type in _ROUTED_TYPES
        ):
            try:
                sor.route(order)
            except ValueError:
                pass  # not routable (e.g. not whole lots): the gate and OMS answer it as usual
            else:
                self._ensure_timer()
                return
        self._bus.send("RiskGate.execute", order)

    def cancel(self, command: CancelOrder) -> None:
        """Send a cancel through the risk gate (recorded, never refused) to the OMS; a routed
        parent's cancel goes to the SmartOrderRouter, which cancels its open children."""
        sor = self.smart_router
        if sor is not None and sor.order(command.client_order_id) is not None:
            sor.cancel_order(command.client_order_id)
            return
        self._bus.send("RiskGate.cancel", command)

    def cancel_all(self, command: CancelAllOrders) -> None:
        """Send a cancel-all through the risk gate to the OMS (routed parents first)."""
        sor = self.smart_router
        if sor is None or self._cache is None:
            self._bus.send("RiskGate.cancel_all", command)
            return
        iid = command.instrument_id
        symbol = None if iid is None else iid.symbol
        for parent in sor.open_orders(command.strategy_id, symbol):
            sor.cancel_order(parent.client_order_id)
        # The rest one by one: children just asked to cancel are not asked twice.
        for order in self._cache.orders_open(command.strategy_id, iid):
            if order.status is not OrderStatus.PENDING_CANCEL:
                self._bus.send(
                    "RiskGate.cancel",
                    CancelOrder(
                        client_order_id=order.client_order_id,
                        instrument_id=order.instrument_id,
                        strategy_id=order.strategy_id,
                        ts_init=command.ts_init,
                    ),
                )

    def submit_order(
        self,
        symbol: str,
        side: OrderSide | str,
        quantity: float,
        order_type: OrderType | str = OrderType.MARKET,
        price: float | None = None,
        time_in_force: TimeInForce | str = TimeInForce.GTC,
    ) -> ClientOrderId:
        """Route a new order (owned by the router's own strategy id ``SOR``) and return the
        parent's id; see `SmartOrderRouter.submit_order`.

        Raises
        ------
        ConfigError
            If the kernel has no ``execution`` section.
        ValueError
            As `SmartOrderRouter.submit_order`.
        """
        sor = self.smart_router
        if sor is None:
            raise ConfigError("execution", None, "an execution section to route orders")
        parent_id = sor.submit_order(symbol, side, quantity, order_type, price, time_in_force)
        self._ensure_timer()
        return parent_id

    def _ensure_timer(self) -> None:
        # Set at the first routed order, not at build time: a simulated clock may still be at
        # its epoch then, and would fire the timer for every interval up to the first data.
        sor = self.smart_router
        if self._timer_set or sor is None or self._clock is None:
            return
        timeout = sor.config.child_timeout_seconds
        if timeout is None:
            return
        interval = max(int(timeout * 1e9) // 2, 1)

        def on_timer(_event: TimeEvent) -> None:
            sor.on_timer()

        self._clock.set_timer(_TIMEOUT_TIMER, interval, on_timer)
        self._timer_set = True

    def stop_timer(self) -> None:
        """Cancel the child-timeout timer (set again by the next routed order)."""
        if self._timer_set and self._clock is not None:
            self._clock.cancel_timer(_TIMEOUT_TIMER)
        self._timer_set = False


class _ConsolidatingClient:
    """A simulated venue as the execution engine sees it when orders are routed: fills of a
    per-venue listing (``AAPL.V1``) are reported on the consolidated instrument (``AAPL.SIM``),
    so a strategy holds one position per symbol whichever venues filled it."""

    def __init__(
        self, venue: SimulatedVenue, consolidated: dict[InstrumentId, InstrumentId]
    ) -> None:
        self.venue = venue.venue
        self._client = venue
        self._consolidated = consolidated

    def connect(self, report: ReportHandler) -> None:
        consolidated = self._consolidated

        def consolidate(event: OrderEvent) -> None:
            if type(event) is OrderFilled:
                target = consolidated.get(event.instrument_id)
                if target is not None:
                    event = msgspec.structs.replace(event, instrument_id=target)
            report(event)

        self._client.connect(consolidate)

    def submit_order(self, order: Order) -> None:
        self._client.submit_order(order)

    def cancel_order(self, command: CancelOrder) -> None:
        self._client.cancel_order(command)
