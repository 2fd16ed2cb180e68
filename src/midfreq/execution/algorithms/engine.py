"""The ExecAlgorithmEngine: holds every parent order worked by an execution algorithm, sends
its children through the risk gate, folds the children's fills into the parent, and cancels
children when the parent is cancelled.

A parent never reaches a venue nor the cache: it lives here, in an `AlgoRun`, and its own
events (submitted, accepted, each child fill mirrored, pending cancel, cancelled, expired) are
applied to it and published on ``events.algo.<strategy_id>``. Children are ordinary orders with
the strategy's id and ``parent_order_id`` set; their events go out on ``events.order.<id>`` as
usual, so positions and P&L are the strategy's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock, TimeEvent
from midfreq.core.errors import ConfigError
from midfreq.execution.algorithms.framework import (
    CANCEL_ALL_ENDPOINT,
    CANCEL_ENDPOINT,
    SUBMIT_ENDPOINT,
    ChildRejectPolicy,
    ExecAlgorithm,
    SubmitAlgoOrder,
    algo_events_topic,
)
from midfreq.infra.config import parse_model
from midfreq.model.commands import CancelAllOrders, CancelOrder
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import OrderStatus, OrderType
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
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId, VenueOrderId
from midfreq.model.instruments import Instrument
from midfreq.model.orders import Order

AlgorithmFactory = Callable[[Any], ExecAlgorithm]


class AlgoRun:
    """One parent order being worked: its algorithm, children, alerts and progress.

    Algorithms act through `send_child`, `cancel_children`, `set_alert` and `finish`; they
    read `remaining`, `committed` and `now`.
    """

    def __init__(
        self,
        engine: ExecAlgorithmEngine,
        parent: Order,
        algorithm: ExecAlgorithm,
        instrument: Instrument,
    ) -> None:
        self._engine = engine
        self.parent = parent
        self.algorithm = algorithm
        self.instrument = instrument
        self.start_ns = engine.clock.timestamp_ns()
        self.children: list[Order] = []
        self.working: dict[ClientOrderId, Order] = {}
        self.rejections = 0
        self.finished = False  # no more children will be sent
        self.cancelling = False
        self.stop_reason: str | None = None
        self._alerts: set[str] = set()
        self._alert_count = 0
        self._cancel_requested: set[ClientOrderId] = set()

    # ---- reading ------------------------------------------------------------------------------
    def now(self) -> int:
        """The kernel time in UTC nanoseconds."""
        return self._engine.clock.timestamp_ns()

    @property
    def active(self) -> bool:
        """Whether the algorithm may still send children."""
        return not self.finished and not self.cancelling and self.parent.is_open

    @property
    def committed(self) -> float:
        """Filled quantity plus what working children may still fill."""
        working = sum(child.leaves_qty for child in self.working.values())
        return round(self.parent.filled_qty + working, self.parent.size_precision)

    @property
    def remaining(self) -> float:
        """Parent quantity not yet filled nor working in a child."""
        return round(self.parent.quantity - self.committed, self.parent.size_precision)

    @property
    def displayed(self) -> float:
        """Quantity working at the venue in children (what the market can see)."""
        return round(
            sum(child.leaves_qty for child in self.working.values()), self.parent.size_precision
        )

    def volume_profile(self, lookback_days: int, bucket_seconds: int) -> Any | None:
        """The engine's intraday volume profile of the parent's instrument before the start,
        or None when the engine has no profile source or the source has no history."""
        source = self._engine.profile_source
        if source is None:
            return None
        return source(self.parent.instrument_id, self.start_ns, lookback_days, bucket_seconds)

    # ---- acting --------------------------------------------------------------------------------
    def send_child(self, quantity: float) -> Order | None:
        """Send a child of ``quantity`` (rounded down to the lot, capped at `remaining`).

        Returns the child, or None when nothing is left to send after rounding or the
        algorithm is no longer active. The child may already be denied when this returns.
        """
        if not self.active:
            return None
        size = float(self.instrument.make_qty(min(quantity, self.remaining)))
        if size <= 0:
            return None
        return self._engine._send_child(self, size)

    def cancel_child(self, child: Order) -> None:
        """Cancel one working child (its unfilled rest goes back to `remaining` once closed)."""
        self._engine._cancel_child(self, child)

    def cancel_children(self) -> None:
        """Cancel every working child."""
        for child in list(self.working.values()):
            self._engine._cancel_child(self, child)

    def set_alert(self, ts_ns: int) -> None:
        """Call the algorithm's ``on_time`` at ``ts_ns`` (at once if that has passed)."""
        self._alert_count += 1
        name = f"algo.{self.parent.client_order_id}.{self._alert_count}"
        self._alerts.add(name)
        self._engine.clock.set_time_alert(name, max(ts_ns, self.now()), self._on_alert)

    def finish(self) -> None:
        """Send no more children; the parent closes once the working ones have."""
        self.finished = True
        self._engine._maybe_close(self)

    def _on_alert(self, event: TimeEvent) -> None:
        self._alerts.discard(event.name)
        if self.active:
            self.algorithm.on_time(self, event)
            self._engine._maybe_close(self)

    def _cancel_alerts(self) -> None:
        clock = self._engine.clock
        for name in self._alerts:
            clock.cancel_timer(name)
        self._alerts.clear()


class ExecAlgorithmEngine:
    """Work parent orders with execution algorithms.

    Parameters
    ----------
    bus, cache, clock
        The kernel's.
    algorithms : dict, optional
        Algorithm classes by name (default: `midfreq.execution.algorithms.ALGORITHMS`).
    child_endpoint : str, default "RiskGate.execute"
        Where children are sent (a smart order router's endpoint when one sits before the gate).
    cancel_endpoint : str, default "RiskGate.cancel"
        Where child cancels are sent.
    profile_source : callable, optional
        ``(instrument_id, end_ns, lookback_days, bucket_seconds) -> VolumeProfile | None``,
        the intraday volume profile VWAP follows (the kernel learns it from the catalog).
    """

    def __init__(
        self,
        bus: MessageBus,
        cache: Cache,
        clock: Clock,
        *,
        algorithms: dict[str, type[ExecAlgorithm]] | None = None,
        child_endpoint: str = "RiskGate.execute",
        cancel_endpoint: str = "RiskGate.cancel",
        profile_source: Callable[..., Any] | None = None,
    ) -> None:
        if algorithms is None:
            from midfreq.execution.algorithms import ALGORITHMS

            algorithms = ALGORITHMS
        self._bus = bus
        self._cache = cache
        self.clock = clock
        self.algorithms = dict(algorithms)
        self.child_endpoint = child_endpoint
        self.cancel_endpoint = cancel_endpoint
        self.profile_source = profile_source
        self.runs: dict[ClientOrderId, AlgoRun] = {}
        """Every parent seen, running or closed, by its client order id."""
        self._by_child: dict[ClientOrderId, AlgoRun] = {}
        self._strategies: set[StrategyId] = set()
        self._data_runs: dict[InstrumentId, list[AlgoRun]] = {}
        bus.register(SUBMIT_ENDPOINT, self.submit)
        bus.register(CANCEL_ENDPOINT, self.cancel)
        bus.register(CANCEL_ALL_ENDPOINT, self.cancel_all)

    # ---- queries -----------------------------------------------------------------------------
    def run(self, parent_id: ClientOrderId | str) -> AlgoRun:
        """The run of parent ``parent_id`` (KeyError if unknown)."""
        return self.runs[ClientOrderId(str(parent_id))]

    def open_runs(self, strategy_id: str | None = None) -> list[AlgoRun]:
        """Runs whose parent is still open (of one strategy, or all)."""
        return [
            r
            for r in self.runs.values()
            if r.parent.is_open and (strategy_id is None or r.parent.strategy_id == strategy_id)
        ]

    # ---- commands ----------------------------------------------------------------------------
    def submit(self, command: SubmitAlgoOrder) -> None:
        """Start the algorithm for ``command.parent``.

        Raises
        ------
        ConfigError
            If the algorithm is unknown, a parameter is invalid, or the parent cannot be worked
            (not a new MARKET or LIMIT order, a quantity off the lot, a limit algorithm without
            a price). Nothing was sent then.
        """
        parent = command.parent
        name = command.exec_algorithm.lower()
        cls = self.algorithms.get(name)
        if cls is None:
            known = ", ".join(sorted(self.algorithms))
            raise ConfigError("exec_algorithm", command.exec_algorithm, f"one of {known}")
        params = parse_model(cls.params_class, command.exec_params, prefix="exec_params")
        instrument = self._check_parent(parent, cls)
        algorithm = cls(params)
        run = AlgoRun(self, parent, algorithm, instrument)
        self.runs[parent.client_order_id] = run
        self._listen(parent.strategy_id)
        now = run.start_ns
        self._apply(run, order_event(OrderSubmitted, parent, now))
        venue_id = VenueOrderId(f"ALGO-{parent.client_order_id}")
        self._apply(run, order_event(OrderAccepted, parent, now, venue_order_id=venue_id))
        if cls.wants_market_data:
            self._watch(run)
        algorithm.on_start(run)
        self._maybe_close(run)

    def _check_parent(self, parent: Order, cls: type[ExecAlgorithm]) -> Instrument:
        cid = parent.client_order_id
        if cid in self.runs or cid in self._cache.orders:
            raise ConfigError("parent.client_order_id", str(cid), "an id not used before")
        if parent.status is not OrderStatus.INITIALIZED:
            raise ConfigError("parent.status", parent.status.value, "a new (INITIALIZED) order")
        if parent.order_type not in (OrderType.MARKET, OrderType.LIMIT):
            raise ConfigError(
                "parent.order_type", parent.order_type.value, "MARKET or LIMIT for an algorithm"
            )
        if cls.needs_limit_price and parent.order_type is not OrderType.LIMIT:
            raise ConfigError("parent.order_type", parent.order_type.value, f"LIMIT for {cls.name}")
        instrument = self._cache.instrument(parent.instrument_id)
        if not instrument.is_valid_qty(parent.quantity):
            raise ConfigError(
                "parent.quantity",
                parent.quantity,
                f"a positive multiple of the lot size {instrument.lot_size}",
            )
        return instrument

    def cancel(self, command: CancelOrder, reason: str = "cancelled by the strategy") -> None:
        """Cancel the parent ``command`` names: stop scheduling, cancel its working children.

        The parent goes PENDING_CANCEL, then CANCELED once every child is closed (FILLED if
        the children's last fills complete it meanwhile). A closed or unknown parent gets an
        `OrderCancelRejected` on the algo topic (unknown: nothing).
        """
        run = self.runs.get(command.client_order_id)
        if run is None:
            return
        if not run.parent.is_open or run.cancelling:
            reason_text = f"parent is {run.parent.status.value}"
            event = order_event(
                OrderCancelRejected, run.parent, self.clock.timestamp_ns(), reason=reason_text
            )
            self._bus.publish(algo_events_topic(run.parent.strategy_id), event)
            return
        self._stop(run, reason)

    def cancel_all(self, command: CancelAllOrders) -> None:
        """Cancel every open parent matching the command's strategy and instrument filters."""
        for run in list(self.runs.values()):
            parent = run.parent
            if not parent.is_open or run.cancelling:
                continue
            if command.strategy_id is not None and parent.strategy_id != command.strategy_id:
                continue
            if command.instrument_id is not None and parent.instrument_id != command.instrument_id:
                continue
            self._stop(run, "cancel all")

    def _stop(self, run: AlgoRun, reason: str) -> None:
        run.cancelling = True
        run.stop_reason = reason
        run._cancel_alerts()
        self._unwatch(run)
        self._apply(run, order_event(OrderPendingCancel, run.parent, self.clock.timestamp_ns()))
        run.cancel_children()
        self._maybe_close(run)

    # ---- children ----------------------------------------------------------------------------
    def _send_child(self, run: AlgoRun, quantity: float) -> Order:
        parent = run.parent
        now = self.clock.timestamp_ns()
        init = OrderInitialized(
            client_order_id=ClientOrderId(f"{parent.client_order_id}-E{len(run.children) + 1}"),
            strategy_id=parent.strategy_id,
            instrument_id=parent.instrument_id,
            side=parent.side,
            order_type=parent.order_type,
            quantity=quantity,
            price=parent.price,
            time_in_force=parent.time_in_force,
            expire_time_ns=parent.expire_time_ns,
            reduce_only=parent.reduce_only,
            parent_order_id=parent.client_order_id,
            tags=(*parent.tags, f"exec_algorithm:{run.algorithm.name}"),
            ts_event=now,
            ts_init=now,
        )
        child = Order(init, parent.size_precision)
        run.children.append(child)
        run.working[child.client_order_id] = child
        self._by_child[child.client_order_id] = run
        self._bus.send(self.child_endpoint, child)
        return child

    def _cancel_child(self, run: AlgoRun, child: Order) -> None:
        if (
            child.client_order_id in run._cancel_requested
            or not child.is_open
            or child.status is OrderStatus.PENDING_CANCEL
        ):
            return
        run._cancel_requested.add(child.client_order_id)
        self._bus.send(
            self.cancel_endpoint,
            CancelOrder(
                client_order_id=child.client_order_id,
                instrument_id=child.instrument_id,
                strategy_id=child.strategy_id,
                ts_init=self.clock.timestamp_ns(),
            ),
        )

    def _on_order_event(self, event: OrderEvent) -> None:
        run = self._by_child.get(event.client_order_id)
        if run is None:
            return
        child = run.working.get(event.client_order_id)
        if child is None:
            return
        kind = type(event)
        if kind is OrderFilled:
            self._apply(run, fill_for(run.parent, event))  # type: ignore[arg-type]
        if child.is_closed:
            del run.working[child.client_order_id]
        if kind is OrderFilled:
            if run.active:
                run.algorithm.on_child_filled(run, child, event)  # type: ignore[arg-type]
        elif kind is OrderDenied or kind is OrderRejected:
            run.rejections += 1
            if run.active:
                policy = run.algorithm.params.on_child_rejected
                if policy is ChildRejectPolicy.STOP:
                    reason = getattr(event, "reason", "")
                    self._stop(run, f"child {child.client_order_id} refused: {reason}")
                else:
                    run.algorithm.on_child_rejected(run, child)
        elif (kind is OrderCanceled or kind is OrderExpired) and (
            child.client_order_id not in run._cancel_requested and run.active
        ):
            # Someone else (the kill switch, an operator, cancel-all) ended a child: stop too.
            self._stop(run, f"child {child.client_order_id} {child.status.value.lower()} outside")
        self._maybe_close(run)

    def _maybe_close(self, run: AlgoRun) -> None:
        parent = run.parent
        if parent.is_closed:
            self._close(run)
            return
        if run.working or not (run.finished or run.cancelling):
            return
        now = self.clock.timestamp_ns()
        if run.cancelling:
            self._apply(run, order_event(OrderCanceled, parent, now))
        else:
            if run.stop_reason is None:
                run.stop_reason = "schedule over before the parent filled"
            self._apply(run, order_event(OrderExpired, parent, now))
        self._close(run)

    def _close(self, run: AlgoRun) -> None:
        run._cancel_alerts()
        self._unwatch(run)
        for child_id in [c.client_order_id for c in run.children]:
            if child_id not in run.working:
                self._by_child.pop(child_id, None)

    def _apply(self, run: AlgoRun, event: OrderEvent) -> None:
        run.parent.apply(event)
        self._bus.publish(algo_events_topic(run.parent.strategy_id), event)

    # ---- subscriptions -----------------------------------------------------------------------
    def _listen(self, strategy_id: StrategyId) -> None:
        # Subscribed on the first parent of a strategy, so a kernel without algorithms pays
        # nothing on its order-event path.
        if strategy_id not in self._strategies:
            self._strategies.add(strategy_id)
            self._bus.subscribe(f"events.order.{strategy_id}", self._on_order_event)

    def _watch(self, run: AlgoRun) -> None:
        iid = run.parent.instrument_id
        runs = self._data_runs.get(iid)
        if runs is None:
            runs = self._data_runs[iid] = []
            self._bus.subscribe(f"data.bars.{iid}", self._on_bar)
            self._bus.subscribe(f"data.trades.{iid}", self._on_trade)
            self._bus.subscribe(f"data.quotes.{iid}", self._on_quote)
        if run not in runs:
            runs.append(run)

    def _unwatch(self, run: AlgoRun) -> None:
        iid = run.parent.instrument_id
        runs = self._data_runs.get(iid)
        if runs is None or run not in runs:
            return
        runs.remove(run)
        if not runs:
            del self._data_runs[iid]
            self._bus.unsubscribe(f"data.bars.{iid}", self._on_bar)
            self._bus.unsubscribe(f"data.trades.{iid}", self._on_trade)
            self._bus.unsubscribe(f"data.quotes.{iid}", self._on_quote)

    def _on_bar(self, bar: Bar) -> None:
        for run in list(self._data_runs.get(bar.instrument_id, ())):
            if run.active:
                run.algorithm.on_bar(run, bar)
                self._maybe_close(run)

    def _on_trade(self, trade: TradeTick) -> None:
        for run in list(self._data_runs.get(trade.instrument_id, ())):
            if run.active:
                run.algorithm.on_trade(run, trade)
                self._maybe_close(run)

    def _on_quote(self, quote: QuoteTick) -> None:
        for run in list(self._data_runs.get(quote.instrument_id, ())):
            if run.active:
                run.algorithm.on_quote(run, quote)
                self._maybe_close(run)
