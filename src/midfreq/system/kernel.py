"""The kernel: bus, cache, engines, risk, portfolio and strategies wired from a `SystemConfig`.

Backtest and paper trading build the same kernel; only the clock and what feeds it differ.
Each piece of market data goes through one path: timers due by its time fire, the venue
matches resting orders against it, the data engine caches and publishes it (strategies react),
then orders sent meanwhile reach the venue once their latency has passed.

With an ``execution`` section the kernel simulates one venue per routed venue, lists every
feed symbol on each (``AAPL.V1`` ...) and sends strategies' orders through the
SmartOrderRouter; child fills are booked on the consolidated instrument (``AAPL.SIM``).
Consolidated data for a listed symbol is fanned out into per-listing data (`_DerivedListing`)
that the venues match against and the router prices from; strategies see only the former.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from midfreq.cache import Cache, CacheView
from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock, SimulatedClock
from midfreq.core.component import Component
from midfreq.core.errors import ConfigError, InvalidStateTransition
from midfreq.data.aggregation.live import LiveBarAggregator
from midfreq.data.engine import DataEngine
from midfreq.execution.algorithms import (
    CANCEL_ALL_ENDPOINT,
    CatalogVolumeProfiles,
    ExecAlgorithmEngine,
)
from midfreq.execution.engine import ExecutionEngine
from midfreq.execution.router import SmartOrderRouter
from midfreq.infra.logging import get_logger
from midfreq.model.commands import CancelAllOrders
from midfreq.model.data import (
    Bar,
    FreshData,
    OrderBookDelta,
    OrderBookSnapshot,
    QuoteTick,
    StaleData,
    TradeTick,
)
from midfreq.model.enums import OrderSide, OrderType
from midfreq.model.events import OrderEvent
from midfreq.model.identifiers import InstrumentId
from midfreq.model.values import currency
from midfreq.oms.manager import OrderManager, order_events_topic
from midfreq.portfolio.portfolio import Portfolio, PortfolioView
from midfreq.risk.gate import RiskGate
from midfreq.risk.manager import RiskManager
from midfreq.simulation.venue import SimulatedVenue
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.factory import StrategyFactory
from midfreq.system.config import SystemConfig
from midfreq.system.order_routing import KernelOrderRouter, _ConsolidatingClient
from midfreq.system.venue_data import _DerivedListing

_ROUTED_TYPES = (OrderType.MARKET, OrderType.LIMIT)
_TIMEOUT_TIMER = "SmartOrderRouter.child_timeout"
_EPSILON = 1e-9  # ticks: absorbs float error before flooring or ceiling to a tick


class Kernel(Component):
    """One trading kernel. Feed it data with `process_*`; read it through the views.

    Its lifecycle is a `Component`'s: READY -> RUNNING (``start``) -> STOPPED (``stop``); a
    stopped kernel can be started again.
    """

    def __init__(
        self, config: SystemConfig, clock: Clock, *, purge_closed_orders: bool = False
    ) -> None:
        super().__init__("kernel")
        self.config = config
        self.purge_closed_orders = purge_closed_orders
        self.clock = clock
        self.bus = MessageBus()
        self.cache = Cache()
        for instrument in config.instrument_list():
            self.cache.add_instrument(instrument)
        self.data_engine = DataEngine(self.bus, self.cache)
        bars = config.data_feed.bars
        self.live_bars = (
            LiveBarAggregator(bars, clock, self.data_engine.process_bar) if bars else None
        )
        self.portfolio = Portfolio(
            self.bus,
            self.cache,
            clock,
            config.account.starting_cash,
            currency(config.account.currency),
        )
        self._check_currencies()
        self.portfolio_view = PortfolioView(self.portfolio)
        self.cache_view = CacheView(self.cache)
        self.oms = OrderManager(self.bus, self.cache, clock)
        self.gate = RiskGate(
            config.risk_management.gate(), self.bus, self.cache, self.portfolio_view, clock
        )
        self.risk_manager = RiskManager(
            config.risk_management.manager(),
            self.bus,
            self.portfolio,
            self.gate,
            cache=self.cache,
            clock=clock,
        )
        self.exec_engine = ExecutionEngine(self.bus, clock)
        self._listings: set[InstrumentId] = set()
        # Consolidated instrument -> listings whose data is derived from it (venue fan-out).
        self._derived: dict[InstrumentId, tuple[_DerivedListing, ...]] = {}
        self._derived_ids: set[InstrumentId] = set()
        self.smart_router: SmartOrderRouter | None = None
        if config.execution is None:
            self.venue: SimulatedVenue = config.venue.build(self.cache, clock)
            self.exec_engine.register_client(self.venue)
            self.venues: dict[str, SimulatedVenue] = {str(self.venue.venue): self.venue}
            self.router = KernelOrderRouter(self.bus)
        else:
            self._build_routing()
        # Parents worked by execution algorithms; children go to the gate like any order.
        self.algorithms = ExecAlgorithmEngine(
            self.bus, self.cache, clock, profile_source=CatalogVolumeProfiles(config.catalog.path)
        )
        self.strategies: list[BaseStrategy] = []
        self._simulated = isinstance(clock, SimulatedClock)
        self._last_ts: int | None = None

    def _build_routing(self) -> None:
        """Simulated venues, per-venue listings and the SmartOrderRouter (``execution``)."""
        execution = self.config.execution
        assert execution is not None
        cache, clock = self.cache, self.clock
        # Per-venue listings of each feed symbol, copies of its consolidated instrument.
        consolidated: dict[InstrumentId, InstrumentId] = {}
        routed: set[InstrumentId] = set()
        listings = []
        for symbol in self.config.data_feed.symbols:
            base = next(i for i in cache.instruments.values() if i.id.symbol == symbol)
            routed.add(base.id)
            for venue_name in execution.venues:
                listing_id = InstrumentId.from_parts(symbol, venue_name)
                listing = cache.instruments.get(listing_id)
                if listing is None:
                    listing = dataclasses.replace(base, id=listing_id)
                    cache.add_instrument(listing)
                    self._listings.add(listing_id)
                if listing_id != base.id:
                    consolidated[listing_id] = base.id
                listings.append(listing)
        cache.consolidated.update(consolidated)  # the gate checks children on the whole position
        self.venues = {}
        for venue_config in execution.simulated_venues(self.config.venue):
            venue = venue_config.build(cache, clock)
            self.venues[venue_config.name] = venue
            self.exec_engine.register_client(_ConsolidatingClient(venue, consolidated))
        self.venue = next(iter(self.venues.values()))
        derived: dict[InstrumentId, list[_DerivedListing]] = {}
        for listing_id, base_id in consolidated.items():
            venue_name = str(listing_id.venue)
            derived.setdefault(base_id, []).append(
                _DerivedListing.build(
                    cache.instruments[listing_id],
                    self.venues[venue_name],
                    execution.venue_market(venue_name),
                )
            )
        self._derived = {base_id: tuple(items) for base_id, items in derived.items()}
        self._derived_ids = set(consolidated)
        bus = self.bus
        sor = SmartOrderRouter(
            execution,
            clock,
            listings,
            lambda child: bus.send("RiskGate.execute", child),
            lambda command: bus.send("RiskGate.cancel", command),
        )
        self.smart_router = sor
        # After the OMS applied them and the data engine cached them.

        def on_order_event(event: OrderEvent) -> None:
            sor.on_order_event(event)

        bus.subscribe(order_events_topic("*"), on_order_event)
        bus.subscribe("data.quotes.*", sor.on_quote)
        bus.subscribe("data.book.*", sor.on_order_book_snapshot)
        self.router = KernelOrderRouter(bus, sor, frozenset(routed), cache, clock)
        if len(self.venues) > 1:
            # Instance attributes: the single-venue methods below stay as they are. (With one
            # routed venue there is no fan-out: tests/unit/system/test_multi_venue.py pins it.)
            self.process_bar = self._process_bar_venues  # type: ignore[method-assign]
            self.process_quote = self._process_quote_venues  # type: ignore[method-assign]
            self.process_trade = self._process_trade_venues  # type: ignore[method-assign]

    def _check_currencies(self) -> None:
        account = self.portfolio.currency
        for instrument in self.cache.instruments.values():
            if instrument.currency != account:
                raise ConfigError(
                    f"instruments[{instrument.id.symbol}].currency",
                    instrument.currency.code,
                    f"the account currency {account.code} (one currency per account for now)",
                    self.config.source,
                )

    # ---- strategies -----------------------------------------------------------------------
    def add_strategy(self, strategy: BaseStrategy) -> BaseStrategy:
        """Register ``strategy`` with this kernel (start it with `start`)."""
        if any(s.strategy_id == strategy.strategy_id for s in self.strategies):
            raise ConfigError("strategy_id", str(strategy.strategy_id), "a unique strategy id")
        if not strategy.instrument_ids:
            strategy.instrument_ids = [
                i.id
                for i in self.cache.instruments.values()
                if i.id.symbol in self.config.data_feed.symbols and i.id not in self._listings
            ]
        for iid in strategy.instrument_ids:
            if iid not in self.cache.instruments:
                known = ", ".join(sorted(self.cache.instruments))
                raise ConfigError(
                    f"strategies.{strategy.strategy_id}.symbols",
                    str(iid),
                    f"one of the configured instruments ({known})",
                    self.config.source,
                )
        strategy.register(
            clock=self.clock,
            bus=self.bus,
            cache=self.cache_view,
            portfolio=self.portfolio_view,
            order_router=self.router,
        )
        if strategy.risk_manager is None:
            strategy.risk_manager = self.risk_manager
        self.strategies.append(strategy)
        if self.is_running:
            strategy.start()
        return strategy

    def strategy(self, strategy_id: str) -> BaseStrategy:
        """Return the strategy with id ``strategy_id``.

        Raises
        ------
        ConfigError
            If no strategy has that id (the error lists the ids there are).
        """
        for strategy in self.strategies:
            if strategy.strategy_id == strategy_id:
                return strategy
        known = ", ".join(str(s.strategy_id) for s in self.strategies) or "none"
        raise ConfigError("strategy_id", strategy_id, f"one of the strategies added ({known})")

    def start_strategy(self, strategy_id: str) -> BaseStrategy:
        """Start a stopped strategy again (it keeps its state); a running one is left as is.

        Raises
        ------
        ConfigError
            If the id is unknown.
        InvalidStateTransition
            If the kernel is not running.
        """
        strategy = self.strategy(strategy_id)
        if not self.is_running:
            raise InvalidStateTransition(
                f"kernel: start_strategy({strategy_id}) while {self.state}"
            )
        if not strategy.is_running:
            strategy.start()
        return strategy

    def stop_strategy(
        self, strategy_id: str, *, cancel_orders: bool = True, close_positions: bool = False
    ) -> BaseStrategy:
        """Stop a strategy: it gets no more data or events and sends no more orders.

        Parameters
        ----------
        strategy_id : str
            The strategy.
        cancel_orders : bool, default True
            Cancel its working orders first.
        close_positions : bool, default False
            Also flatten its positions with market orders (through the risk gate as usual);
            their fills are still booked to the strategy after it stopped.
        """
        strategy = self.strategy(strategy_id)
        if strategy.is_running:
            if (cancel_orders or close_positions) and self.cache.orders_open(strategy.strategy_id):
                strategy.cancel_all_orders()
            if close_positions:
                for iid in self._held_instruments(strategy):
                    quantity = strategy.position(iid)
                    side = OrderSide.SELL if quantity > 0 else OrderSide.BUY
                    order = strategy.make_order(iid, side, abs(quantity), reduce_only=True)
                    strategy.submit_order(order)
            strategy.stop()
        return strategy

    def remove_strategy(self, strategy_id: str) -> BaseStrategy:
        """Remove a stopped strategy that has no working orders and no open positions.

        Its closed orders, fills and realised P&L stay on the books under its id.

        Raises
        ------
        ConfigError
            If the id is unknown, or the strategy is running, has working orders or holds a
            position (stop it with ``close_positions=True`` first).
        """
        strategy = self.strategy(strategy_id)
        problems = []
        if strategy.is_running:
            problems.append("it is running")
        working = len(self.cache.orders_open(strategy.strategy_id))
        if working:
            problems.append(f"{working} working orders")
        held = self._held_instruments(strategy)
        if held:
            problems.append("positions in " + ", ".join(str(i) for i in held))
        if problems:
            raise ConfigError(
                "strategy_id",
                strategy_id,
                "a stopped strategy without working orders or positions, but "
                + "; ".join(problems)
                + " (stop it with close_positions first)",
            )
        self.strategies.remove(strategy)
        return strategy

    def _held_instruments(self, strategy: BaseStrategy) -> list[InstrumentId]:
        return [
            iid
            for (iid, sid), position in self.portfolio.positions.items()
            if sid == strategy.strategy_id and position.quantity != 0
        ]

    def add_configured_strategies(self, names: list[str] | None = None) -> list[BaseStrategy]:
        """Create strategies from the config's ``strategies`` section (all enabled ones, or
        ``names``; a name not configured is built with its defaults)."""
        configured = self.config.strategies
        selected = names if names is not None else list(self.config.enabled_strategies())
        added = []
        for name in selected:
            settings = dict(configured.get(name, {}))
            settings.pop("enabled", None)
            class_path = str(settings.pop("class", name))
            settings.setdefault("strategy_id", f"{name}-001")
            settings.setdefault("symbols", list(self.config.data_feed.symbols))
            settings.setdefault("venue", self.config.data_feed.venue)
            strategy = StrategyFactory.create_strategy(class_path, settings)
            added.append(self.add_strategy(strategy))
        return added

    # ---- lifecycle ------------------------------------------------------------------------
    def on_start(self) -> None:
        """Start every strategy."""
        for strategy in self.strategies:
            strategy.start()

    def stop(self, cancel_open_orders: bool = True) -> None:
        """Cancel open orders (and let the cancels reach the venue), then stop strategies.

        Raises
        ------
        InvalidStateTransition
            If the kernel is not running.
        """
        if cancel_open_orders and self.is_running and self.algorithms.open_runs():
            self.bus.send(CANCEL_ALL_ENDPOINT, CancelAllOrders(ts_init=self.clock.timestamp_ns()))
        if cancel_open_orders and self.is_running and self.cache.open_orders:
            command = CancelAllOrders(ts_init=self.clock.timestamp_ns())
            if self.smart_router is None:
                self.bus.send("RiskGate.cancel_all", command)
            else:
                self.router.cancel_all(command)  # routed parents too, so nothing is re-routed
            now = self.clock.timestamp_ns()
            for venue in self.venues.values():
                venue.process(now + venue.latency.delay_ns())
        super().stop()

    def on_stop(self) -> None:
        """Stop every strategy and the live bar timer; log the router's figures per venue."""
        for strategy in self.strategies:
            strategy.stop()
        if self.live_bars is not None:
            self.live_bars.stop()
        self.router.stop_timer()
        if self.smart_router is not None:
            metrics = self.smart_router.get_performance_metrics()
            get_logger("router").info(
                "routing summary",
                orders=metrics["orders"],
                filled_quantity=metrics["filled_quantity"],
                venue_performance=metrics["venue_performance"],
            )

    # ---- the data path ----------------------------------------------------------------------
    def _advance(self, ts: int) -> None:
        last = self._last_ts
        if last is not None and ts <= last:
            return
        if last is not None:
            self.portfolio.record_equity(last)
            if self.purge_closed_orders and self.cache.has_purgeable_orders:
                self.cache.purge_closed_orders()
        self._last_ts = ts
        clock = self.clock
        if self._simulated:
            clock.advance_time(ts)  # type: ignore[attr-defined]
        else:
            clock.advance_time()  # type: ignore[attr-defined]

    def process_bar(self, bar: Bar) -> None:
        """Run one bar through the kernel (the backtest hot path: keep it lean)."""
        ts = bar.ts_event
        if ts != self._last_ts:
            self._advance(ts)
        venue = self.venue
        if venue._inflight or bar.instrument_id in venue._working:
            venue.on_bar(bar)
        self.data_engine.process_bar(bar)
        if venue._inflight:
            venue.process(self.clock.timestamp_ns())

    def process_quote(self, quote: QuoteTick) -> None:
        """Run one quote through the kernel."""
        self._advance(quote.ts_event)
        self.venue.on_quote(quote)
        self.data_engine.process_quote(quote)
        if self.live_bars is not None:
            self.live_bars.on_quote(quote)
        self.venue.process(self.clock.timestamp_ns())

    def process_trade(self, trade: TradeTick) -> None:
        """Run one trade through the kernel."""
        self._advance(trade.ts_event)
        self.venue.on_trade(trade)
        self.data_engine.process_trade(trade)
        if self.live_bars is not None:
            self.live_bars.on_trade(trade)
        self.venue.process(self.clock.timestamp_ns())

    # With ``execution``: every venue sees every piece of data (each matches only its own
    # listings), then each lets in-flight orders arrive. Consolidated data of a listed symbol
    # is first fanned out: each derived listing's item goes to its venue, the cache and (quotes)
    # the router, never to the bus, so strategies keep seeing the consolidated instrument only.
    def _derived_for(self, iid: InstrumentId) -> tuple[_DerivedListing, ...]:
        derived = self._derived.get(iid)
        if derived is not None:
            return derived
        if iid in self._derived_ids:
            self._stop_deriving(iid)
        return ()

    def _stop_deriving(self, listing_id: InstrumentId) -> None:
        # The feed itself has data for this listing: derive nothing more for it.
        self._derived = {
            base: kept
            for base, listings in self._derived.items()
            if (kept := tuple(d for d in listings if d.instrument_id != listing_id))
        }
        self._derived_ids.discard(listing_id)

    def _process_bar_venues(self, bar: Bar) -> None:
        ts = bar.ts_event
        if ts != self._last_ts:
            self._advance(ts)
        venues = self.venues.values()
        derived = self._derived_for(bar.instrument_id)
        if derived:
            cache, sor = self.cache, self.smart_router
            assert sor is not None
            for listing in derived:
                item = listing.bar(bar)
                venue = listing.venue
                iid = listing.instrument_id
                if venue._inflight or iid in venue._working:
                    venue.on_bar(item)
                cache.bars[iid] = item
                cache.last_prices[iid] = item.close
                sor.on_quote(listing.bar_quote(item))
        for venue in venues:
            if venue._inflight or bar.instrument_id in venue._working:
                venue.on_bar(bar)
        self.data_engine.process_bar(bar)
        now = self.clock.timestamp_ns()
        for venue in venues:
            if venue._inflight:
                venue.process(now)

    def _process_quote_venues(self, quote: QuoteTick) -> None:
        self._advance(quote.ts_event)
        venues = self.venues.values()
        derived = self._derived_for(quote.instrument_id)
        if derived:
            cache, sor = self.cache, self.smart_router
            assert sor is not None
            for listing in derived:
                item = listing.quote(quote)
                listing.venue.on_quote(item)
                cache.add_quote(item)
                sor.on_quote(item)
        for venue in venues:
            venue.on_quote(quote)
        self.data_engine.process_quote(quote)
        if self.live_bars is not None:
            self.live_bars.on_quote(quote)
        now = self.clock.timestamp_ns()
        for venue in venues:
            venue.process(now)

    def _process_trade_venues(self, trade: TradeTick) -> None:
        self._advance(trade.ts_event)
        venues = self.venues.values()
        derived = self._derived_for(trade.instrument_id)
        if derived:
            cache = self.cache
            for listing in derived:
                item = listing.trade(trade)
                listing.venue.on_trade(item)
                cache.add_trade(item)
        for venue in venues:
            venue.on_trade(trade)
        self.data_engine.process_trade(trade)
        if self.live_bars is not None:
            self.live_bars.on_trade(trade)
        now = self.clock.timestamp_ns()
        for venue in venues:
            venue.process(now)

    def process_book(self, book: OrderBookSnapshot) -> None:
        """Publish an order book snapshot."""
        self._advance(book.ts_event)
        self.data_engine.process_book(book)

    def process_book_delta(self, delta: OrderBookDelta) -> None:
        """Apply and publish one order book level change."""
        self._advance(delta.ts_event)
        self.data_engine.process_book_delta(delta)

    def process(
        self,
        data: Bar
        | QuoteTick
        | TradeTick
        | OrderBookSnapshot
        | OrderBookDelta
        | StaleData
        | FreshData,
    ) -> None:
        """Run any piece of market data through the kernel."""
        kind = type(data)
        if kind is Bar:
            self.process_bar(data)  # type: ignore[arg-type]
        elif kind is QuoteTick:
            self.process_quote(data)  # type: ignore[arg-type]
        elif kind is TradeTick:
            self.process_trade(data)  # type: ignore[arg-type]
        elif kind is OrderBookDelta:
            self.process_book_delta(data)  # type: ignore[arg-type]
        elif kind is StaleData or kind is FreshData:
            self.data_engine.process_status(data)  # type: ignore[arg-type]
        else:
            self.process_book(data)  # type: ignore[arg-type]

    def tick(self) -> None:
        """Fire due timers, let in-flight orders arrive and record equity (live edges call
        this periodically when no data arrives)."""
        now = self.clock.timestamp_ns()
        if not self._simulated:
            self.clock.advance_time()  # type: ignore[attr-defined]
        for venue in self.venues.values():
            venue.process(now)
        self.portfolio.record_equity(now)

    def finish(self) -> None:
        """Record the final equity point (end of a backtest or session)."""
        if self._last_ts is not None:
            self.portfolio.record_equity(self._last_ts)
            self._last_ts = None

    # ---- status -----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """A snapshot for status lines and the API."""
        return {
            "is_running": self.is_running,
            "time_ns": self.clock.timestamp_ns(),
            "portfolio": self.portfolio.summary(),
            "orders": self.oms.snapshot(),
            "strategies": [s.status() for s in self.strategies],
            "risk_metrics": self.risk_manager.metrics(),
            "messages": self.data_engine.message_count,
        }
