"""`BaseStrategy`: a small class with optional hooks and a few command methods. A strategy never
talks to a venue: its orders go through the order router to the risk gate.

Hooks (override what you need): ``on_start``, ``on_stop``, ``on_bar``, ``on_quote``,
``on_trade``, ``on_market_data`` (may be ``async def``), ``on_order_filled``,
``on_order_event``, ``on_algo_event``, ``on_timer``. Commands: ``submit_order`` (optionally
worked by an execution algorithm: ``exec_algorithm="twap", exec_params={...}``),
``cancel_order``, ``cancel_all_orders``, ``place_order`` (awaitable or plain call),
``order_target``, ``close_position``.
"""

from __future__ import annotations

import inspect
import math
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from midfreq.cache import CacheView
from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock, TimeEvent
from midfreq.core.errors import InvariantViolation
from midfreq.core.ids import IdGenerator
from midfreq.execution.algorithms.framework import (
    CANCEL_ALL_ENDPOINT,
    CANCEL_ENDPOINT,
    SUBMIT_ENDPOINT,
    SubmitAlgoOrder,
    algo_events_topic,
)
from midfreq.infra.config import parse_model
from midfreq.model.commands import CancelAllOrders, CancelOrder
from midfreq.model.data import Bar, FreshData, QuoteTick, StaleData, TradeTick
from midfreq.model.enums import OrderSide, OrderType, TimeInForce
from midfreq.model.events import OrderEvent, OrderFilled, OrderInitialized
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId
from midfreq.model.orders import Order
from midfreq.portfolio.portfolio import PortfolioView
from midfreq.strategies.config import OpenStrategyConfig, StrategyConfig
from midfreq.strategies.indicators import z_score

T = TypeVar("T")


class OrderRouter(Protocol):
    """Where a strategy's commands go (the kernel wires this to the risk gate)."""

    def submit(self, order: Order) -> None:
        """Send a new order toward the venue (through the risk gate)."""
        ...

    def cancel(self, command: CancelOrder) -> None:
        """Cancel an order."""
        ...

    def cancel_all(self, command: CancelAllOrders) -> None:
        """Cancel many orders."""
        ...


class Done(Generic[T]):
    """An awaitable whose work already happened: ``await`` it in async hooks or ignore it."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, T]:
        yield from ()
        return self.value


def run_hook(result: Any, name: str) -> None:
    """Drive a hook's result: plain values are ignored, coroutines run to completion now.

    The kernel is synchronous, so an ``async def`` hook may await only things that complete
    at once (such as `place_order`); awaiting real I/O inside the kernel is refused.
    """
    if result is None or not inspect.iscoroutine(result):
        return
    message = (
        f"{name}: an async hook awaited something that suspends; kernel hooks must not wait "
        "on I/O (use a data client or a timer instead)"
    )
    try:
        result.send(None)
    except StopIteration:
        return
    except RuntimeError as exc:
        # Outside an event loop, asyncio I/O (``asyncio.sleep(0.01)``, streams) fails with
        # "no running event loop" before it can suspend: the same mistake, reported the same way.
        if "no running event loop" in str(exc):
            raise InvariantViolation(message) from exc
        raise
    result.close()
    raise InvariantViolation(message)


class BaseStrategy:
    """Base of every strategy.

    Parameters
    ----------
    config : Mapping, optional
        Strategy settings, validated by ``config_class`` (see `StrategyConfig`: ``strategy_id``,
        ``symbols``, ``venue``, ``lookback_period``, ``order_quantity``,
        ``max_position_size``, plus the strategy's own parameters). A strategy without a
        ``config_class`` may read further keys from ``self.config``.
    order_router : OrderRouter, optional
        Where orders go; the kernel supplies one when the strategy is added to it.
    risk_manager : object, optional
        The portfolio risk manager, for strategies that size by it.

    Raises
    ------
    ConfigError
        If a setting is invalid or unknown to ``config_class``; the error names
        ``strategies.<strategy_id>.<key>``, the value and what was expected.
    """

    name: ClassVar[str] = "base"
    config_class: ClassVar[type[StrategyConfig] | None] = None
    """The strategy's settings model; None accepts the shared settings plus any other keys."""
    params: StrategyConfig
    """The validated settings (an instance of ``config_class``)."""
    keeps_price_history: ClassVar[bool] = True
    """Keep the last ``lookback_period`` prices per instrument for `calculate_z_score`."""

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> None:
        self.config: dict[str, Any] = dict(config or {})
        self.order_router = order_router
        self.risk_manager = risk_manager
        self.strategy_id = StrategyId(str(self.config.get("strategy_id") or f"{self.name}-001"))
        model = self.config_class or OpenStrategyConfig
        self.params = parse_model(model, self.config, prefix=f"strategies.{self.strategy_id}")
        venue = self.params.venue
        self.instrument_ids: list[InstrumentId] = [
            InstrumentId(s) if "." in s else InstrumentId.from_parts(s, venue)
            for s in self.params.symbols
        ]
        self.lookback = self.params.lookback_period
        self.order_quantity = self.params.order_quantity
        self.max_position_size = self.params.max_position_size
        self._history: dict[InstrumentId, deque[float]] = {}
        self._lookup: dict[str, InstrumentId] = {}
        self._lookup_for: list[InstrumentId] | None = None
        self._wants_market_data = type(self).on_market_data is not BaseStrategy.on_market_data
        self.clock: Clock | None = None
        self.cache: CacheView | None = None
        self.portfolio: PortfolioView | None = None
        self._bus: MessageBus | None = None
        self._ids: IdGenerator | None = None
        self._subscriptions: list[tuple[str, Callable[[Any], None]]] = []
        self._timer_names: list[str] = []
        self._algo_parents: dict[ClientOrderId, Order] = {}
        self.is_running = False

    # ---- wiring (called by the kernel) ---------------------------------------------------
    def register(
        self,
        *,
        clock: Clock,
        bus: MessageBus,
        cache: CacheView,
        portfolio: PortfolioView,
        order_router: OrderRouter,
    ) -> None:
        """Attach the strategy to a kernel."""
        self.clock = clock
        self._bus = bus
        self.cache = cache
        self.portfolio = portfolio
        if self.order_router is None:
            self.order_router = order_router
        self._ids = IdGenerator(clock, "O", str(self.strategy_id))

    def start(self) -> None:
        """Subscribe to data and events, then call `on_start`."""
        bus = self._require_bus()
        cls = type(self)
        wants_market_data = self._wants_market_data
        handlers: list[tuple[str, Callable[[Any], None]]] = []
        # Bars and quotes pass through the handlers that keep the price history, so that
        # `calculate_z_score(bar)` works from `on_bar` as well as from `on_market_data`;
        # strategies that keep their own indicators opt out (`keeps_price_history = False`)
        # and get their hooks called directly.
        direct = not self.keeps_price_history and not wants_market_data
        for iid in self.instrument_ids:
            if cls.on_bar is not BaseStrategy.on_bar or wants_market_data:
                bar_handler = self.on_bar if direct else self._handle_bar
                handlers.append((f"data.bars.{iid}", bar_handler))
            if cls.on_quote is not BaseStrategy.on_quote or wants_market_data:
                quote_handler = self.on_quote if direct else self._handle_quote
                handlers.append((f"data.quotes.{iid}", quote_handler))
            if cls.on_trade is not BaseStrategy.on_trade:
                handlers.append((f"data.trades.{iid}", self._handle_trade))
            if cls.on_data_status is not BaseStrategy.on_data_status:
                handlers.append((f"data.status.{iid}", self.on_data_status))
        if (
            cls.on_order_filled is not BaseStrategy.on_order_filled
            or cls.on_order_event is not BaseStrategy.on_order_event
        ):
            handlers.append((f"events.order.{self.strategy_id}", self._handle_order_event))
        if cls.on_algo_event is not BaseStrategy.on_algo_event:
            handlers.append((algo_events_topic(self.strategy_id), self._handle_algo_event))
        for topic, handler in handlers:
            bus.subscribe(topic, handler)
        self._subscriptions = handlers
        self.is_running = True
        run_hook(self.on_start(), f"{self.strategy_id}.on_start")

    def stop(self) -> None:
        """Call `on_stop`, cancel the parent orders still worked by execution algorithms (a
        stopped strategy sends no more orders), then unsubscribe and cancel the timers set with
        `set_timer`."""
        if not self.is_running:
            return
        run_hook(self.on_stop(), f"{self.strategy_id}.on_stop")
        self._cancel_algo_parents(None)
        bus = self._require_bus()
        for topic, handler in self._subscriptions:
            bus.unsubscribe(topic, handler)
        self._subscriptions = []
        if self.clock is not None:
            for timer_name in self._timer_names:
                self.clock.cancel_timer(timer_name)
        self._timer_names = []
        self.is_running = False

    def _require_bus(self) -> MessageBus:
        if self._bus is None:
            raise InvariantViolation(f"{self.strategy_id}: not registered with a kernel")
        return self._bus

    # ---- dispatch ----------------------------------------------------------------------------
    def _handle_bar(self, bar: Bar) -> None:
        self._remember(bar.instrument_id, bar.close)
        if self._wants_market_data:
            run_hook(self.on_market_data(bar), f"{self.strategy_id}.on_market_data")
        self.on_bar(bar)

    def _handle_quote(self, quote: QuoteTick) -> None:
        self._remember(quote.instrument_id, (quote.bid_price + quote.ask_price) / 2.0)
        if self._wants_market_data:
            run_hook(self.on_market_data(quote), f"{self.strategy_id}.on_market_data")
        self.on_quote(quote)

    def _handle_trade(self, trade: TradeTick) -> None:
        self.on_trade(trade)

    def _handle_order_event(self, event: OrderEvent) -> None:
        if type(event) is OrderFilled:
            run_hook(self.on_order_filled(event), f"{self.strategy_id}.on_order_filled")
        run_hook(self.on_order_event(event), f"{self.strategy_id}.on_order_event")

    def _handle_algo_event(self, event: OrderEvent) -> None:
        run_hook(self.on_algo_event(event), f"{self.strategy_id}.on_algo_event")

    def _remember(self, iid: InstrumentId, price: float) -> None:
        history = self._history.get(iid)
        if history is None:
            history = self._history[iid] = deque(maxlen=max(self.lookback, 2))
        history.append(price)

    # ---- hooks ---------------------------------------------------------------------------------
    def on_start(self) -> Any:
        """Run when the strategy starts."""

    def on_stop(self) -> Any:
        """Run when the strategy stops."""

    def on_bar(self, bar: Bar) -> None:
        """Handle a bar."""

    def on_quote(self, quote: QuoteTick) -> None:
        """Handle a quote."""

    def on_trade(self, trade: TradeTick) -> None:
        """Handle a trade."""

    def on_market_data(self, market_data: Bar | QuoteTick) -> Any:
        """Handle any bar or quote (may be ``async def``)."""

    def on_data_status(self, status: StaleData | FreshData) -> None:
        """Handle the live feed going stale (no recent update) or fresh again for an
        instrument (`self.cache.is_stale(instrument_id)` tells the current state)."""

    def on_order_filled(self, fill: OrderFilled) -> Any:
        """Handle a fill of one of this strategy's orders."""

    def on_order_event(self, event: OrderEvent) -> Any:
        """Handle any event of one of this strategy's orders."""

    def on_algo_event(self, event: OrderEvent) -> Any:
        """Handle an event of a parent order worked by an execution algorithm (submitted,
        accepted, each child fill mirrored, pending cancel, cancelled, expired). Child orders'
        own events arrive through `on_order_event` and `on_order_filled` as usual."""

    def on_timer(self, event: TimeEvent) -> None:
        """Handle a timer set with `set_timer`."""

    # ---- helpers -------------------------------------------------------------------------------
    def instrument_id(self, symbol: str | InstrumentId) -> InstrumentId:
        """Resolve ``AAPL`` or ``AAPL.SIM`` to one of this strategy's instruments."""
        if self._lookup_for is not self.instrument_ids:  # built again if the list is replaced
            self._lookup = {}
            for iid in self.instrument_ids:
                self._lookup[str(iid)] = iid
                self._lookup.setdefault(iid.symbol, iid)
            self._lookup_for = self.instrument_ids
        found = self._lookup.get(symbol)
        if found is not None:
            return found
        text = str(symbol)
        if "." in text:
            return InstrumentId(text)
        venue = str(self.config.get("venue", "SIM"))
        return InstrumentId.from_parts(text, venue)

    def position(self, symbol: str | InstrumentId) -> float:
        """This strategy's signed position."""
        assert self.portfolio is not None
        return self.portfolio.quantity(self.instrument_id(symbol), self.strategy_id)

    def pending_quantity(self, instrument_id: InstrumentId) -> float:
        """Signed quantity of this strategy's open orders in ``instrument_id``, the child
        orders working on its venue listings included (smart order routing)."""
        cache = self.cache
        assert cache is not None
        listings = cache.listings_of(instrument_id)
        if not listings:
            return sum(o.signed_leaves for o in cache.orders_open(self.strategy_id, instrument_id))
        ids = {instrument_id, *listings}
        return sum(
            o.signed_leaves for o in cache.orders_open(self.strategy_id) if o.instrument_id in ids
        )

    def calculate_z_score(self, data: Bar | QuoteTick | Iterable[float]) -> float:
        """Z-score of the latest price against the last ``lookback_period`` prices.

        Pass the market data just received (its instrument's history is used) or a sequence of
        prices (the last one is scored). Returns 0.0 until enough history exists.
        """
        if isinstance(data, Bar | QuoteTick):
            values: list[float] | tuple[float, ...] = tuple(
                self._history.get(data.instrument_id, ())
            )
            if len(values) < self.lookback:
                return 0.0
        else:
            values = list(data)
        score = z_score(values)
        return 0.0 if math.isnan(score) else score

    def set_timer(self, name: str, interval_seconds: float) -> None:
        """Call `on_timer` every ``interval_seconds`` of kernel time."""
        assert self.clock is not None
        timer_name = f"{self.strategy_id}.{name}"
        self.clock.set_timer(timer_name, int(interval_seconds * 1e9), self.on_timer)
        self._timer_names.append(timer_name)

    # ---- order factory -----------------------------------------------------------------------
    def make_order(
        self,
        instrument_id: InstrumentId | str,
        side: OrderSide,
        quantity: float,
        *,
        order_type: OrderType = OrderType.MARKET,
        price: float | None = None,
        trigger_price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        expire_time_ns: int | None = None,
        reduce_only: bool = False,
        tags: tuple[str, ...] = (),
    ) -> Order:
        """Build an order with the next deterministic client order id."""
        assert self.clock is not None and self._ids is not None and self.cache is not None
        iid = self.instrument_id(instrument_id)
        now = self.clock.timestamp_ns()
        instrument = self.cache.instrument(iid)
        init = OrderInitialized(
            client_order_id=ClientOrderId(self._ids.generate()),
            strategy_id=self.strategy_id,
            instrument_id=iid,
            side=side,
            order_type=order_type,
            quantity=quantity,
            price=price,
            trigger_price=trigger_price,
            time_in_force=time_in_force,
            expire_time_ns=expire_time_ns,
            reduce_only=reduce_only,
            tags=tags,
            ts_event=now,
            ts_init=now,
        )
        return Order(init, instrument.size_precision)

    # ---- commands ------------------------------------------------------------------------------
    def submit_order(
        self,
        order: Order,
        *,
        exec_algorithm: str | None = None,
        exec_params: Mapping[str, Any] | None = None,
    ) -> Order:
        """Send ``order`` through the risk gate; the result arrives as order events.

        Parameters
        ----------
        order : Order
            From `make_order`.
        exec_algorithm : str, optional
            ``"twap"``, ``"vwap"``, ``"pov"`` or ``"iceberg"``: ``order`` becomes a parent
            that never reaches a venue; the algorithm sends child orders (each through the
            risk gate, with ``parent_order_id`` set) and the returned parent shows their
            aggregate status, ``filled_qty`` and ``avg_px``. Cancel it with `cancel_order`.
        exec_params : Mapping, optional
            The algorithm's settings (see docs/execution.md, "Execution algorithms").

        Raises
        ------
        ConfigError
            If the algorithm is unknown, a setting invalid or the parent unfit for it.
        """
        if exec_algorithm is not None:
            bus = self._require_bus()
            if SUBMIT_ENDPOINT not in bus.endpoints:
                raise InvariantViolation(
                    f"{self.strategy_id}: no execution algorithm engine on this kernel"
                )
            bus.send(
                SUBMIT_ENDPOINT,
                SubmitAlgoOrder(
                    parent=order, exec_algorithm=exec_algorithm, exec_params=exec_params or {}
                ),
            )
            self._algo_parents[order.client_order_id] = order
            return order
        if self.order_router is None:
            raise InvariantViolation(f"{self.strategy_id}: no order router (not added to a kernel)")
        self.order_router.submit(order)
        return order

    def buy(self, symbol: str | InstrumentId, quantity: float, **kwargs: Any) -> Order:
        """Submit a buy order (market unless ``order_type``/``price`` say otherwise;
        ``exec_algorithm``/``exec_params`` as in `submit_order`)."""
        algo = {k: kwargs.pop(k) for k in ("exec_algorithm", "exec_params") if k in kwargs}
        return self.submit_order(self.make_order(symbol, OrderSide.BUY, quantity, **kwargs), **algo)

    def sell(self, symbol: str | InstrumentId, quantity: float, **kwargs: Any) -> Order:
        """Submit a sell order."""
        algo = {k: kwargs.pop(k) for k in ("exec_algorithm", "exec_params") if k in kwargs}
        return self.submit_order(
            self.make_order(symbol, OrderSide.SELL, quantity, **kwargs), **algo
        )

    def cancel_order(self, order: Order) -> None:
        """Ask for ``order`` to be cancelled (a parent: its algorithm stops and its working
        children are cancelled)."""
        assert self.clock is not None and self.order_router is not None
        command = CancelOrder(
            client_order_id=order.client_order_id,
            instrument_id=order.instrument_id,
            strategy_id=self.strategy_id,
            ts_init=self.clock.timestamp_ns(),
        )
        if order.client_order_id in self._algo_parents:
            self._require_bus().send(CANCEL_ENDPOINT, command)
            return
        self.order_router.cancel(command)

    def cancel_all_orders(self, symbol: str | InstrumentId | None = None) -> None:
        """Cancel every open order of this strategy (optionally in one instrument), including
        parents worked by execution algorithms."""
        assert self.clock is not None and self.order_router is not None
        command = CancelAllOrders(
            strategy_id=self.strategy_id,
            instrument_id=self.instrument_id(symbol) if symbol is not None else None,
            ts_init=self.clock.timestamp_ns(),
        )
        self.order_router.cancel_all(command)
        self._cancel_algo_parents(command)

    def _cancel_algo_parents(self, command: CancelAllOrders | None) -> None:
        parents = self._algo_parents
        if not parents:
            return
        for cid in [cid for cid, parent in parents.items() if parent.is_closed]:
            del parents[cid]
        if parents and self._bus is not None and self.clock is not None:
            self._bus.send(
                CANCEL_ALL_ENDPOINT,
                command
                or CancelAllOrders(strategy_id=self.strategy_id, ts_init=self.clock.timestamp_ns()),
            )

    def order_target(self, symbol: str | InstrumentId, target: float) -> Order | None:
        """Submit a market order moving position plus pending orders to ``target``."""
        assert self.cache is not None
        iid = self.instrument_id(symbol)
        instrument = self.cache.instrument(iid)
        delta = target - self.position(iid) - self.pending_quantity(iid)
        quantity = instrument.make_qty(abs(delta))
        if quantity <= 0:
            return None
        side = OrderSide.BUY if delta > 0 else OrderSide.SELL
        return self.submit_order(self.make_order(iid, side, quantity))

    def close_position(self, symbol: str | InstrumentId) -> Order | None:
        """Cancel open orders in ``symbol`` and flatten the position with a market order."""
        assert self.cache is not None
        iid = self.instrument_id(symbol)
        for order in self.cache.orders_open(self.strategy_id, iid):
            self.cancel_order(order)
        position = self.position(iid)
        if position == 0:
            return None
        side = OrderSide.SELL if position > 0 else OrderSide.BUY
        return self.submit_order(self.make_order(iid, side, abs(position), reduce_only=True))

    def place_order(
        self, signal: float, symbol: str | InstrumentId, quantity: float | None = None
    ) -> Awaitable[Order | None]:
        """Trade in the direction of ``signal``: positive buys, negative sells, zero does nothing.

        The size is ``quantity`` (default: ``order_quantity``), reduced so that the position
        stays within ``max_position_size`` when that is set. The order is sent at once; the
        returned awaitable yields it (or None), so both ``await self.place_order(...)`` in an
        async hook and a plain call work.
        """
        if not math.isfinite(signal):
            raise ValueError(f"signal: expected a finite number, was {signal!r}")
        if signal == 0:
            return Done(None)
        assert self.cache is not None
        iid = self.instrument_id(symbol)
        instrument = self.cache.instrument(iid)
        side = OrderSide.BUY if signal > 0 else OrderSide.SELL
        size = self.order_quantity if quantity is None else quantity
        if self.max_position_size is not None:
            exposure = self.position(iid) + self.pending_quantity(iid)
            room = self.max_position_size - exposure * side.sign
            size = min(size, max(room, 0.0))
        size = instrument.make_qty(size)
        if size <= 0:
            return Done(None)
        return Done(self.submit_order(self.make_order(iid, side, size)))

    # ---- status ----------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Identity, state and P&L for status displays."""
        pnl = self.portfolio.strategy_pnl(self.strategy_id) if self.portfolio else {}
        return {
            "strategy_id": str(self.strategy_id),
            "name": self.name,
            "running": self.is_running,
            "instruments": [str(i) for i in self.instrument_ids],
            "pnl": pnl,
        }
