"""The order path the risk-gate tests run on (no tests here): bus, cache, portfolio, OMS,
execution engine and simulated venues wired as the kernel wires them, around a gate built from a
`RiskGateConfig` (the kernel's flat ``risk_management`` section does not carry the new keys
yet, and the kernel builds a single venue)."""

from __future__ import annotations

import itertools
from typing import Any

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import NANOS_PER_SECOND, SimulatedClock
from midfreq.data.engine import DataEngine
from midfreq.execution.engine import ExecutionEngine
from midfreq.model.commands import CancelOrder
from midfreq.model.data import Bar
from midfreq.model.enums import DenialCode, OrderSide, OrderStatus, OrderType
from midfreq.model.events import OrderDenied, OrderEvent
from midfreq.model.events import OrderInitialized as Init
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId, Venue
from midfreq.model.instruments import Future, equity
from midfreq.model.orders import Order
from midfreq.oms.manager import OrderManager
from midfreq.portfolio.portfolio import Portfolio, PortfolioView
from midfreq.risk.config import RiskGateConfig
from midfreq.risk.gate import RiskGate
from midfreq.simulation.models import BarFillModel
from midfreq.simulation.venue import SimulatedVenue

T0 = 1_704_205_800_000_000_000
SECOND = NANOS_PER_SECOND
BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET
AAA, BBB, ES = InstrumentId("AAA.SIM"), InstrumentId("BBB.SIM"), InstrumentId("ES.SIM")


class Desk:
    """The kernel's order path wired by hand around a gate configured with ``limits``."""

    def __init__(
        self,
        venues: tuple[str, ...] = ("SIM",),
        cash: float = 1_000_000.0,
        bar_fill: BarFillModel | None = None,
        **limits: Any,
    ) -> None:
        self.clock = SimulatedClock(T0)
        self.bus = MessageBus()
        self.cache = Cache()
        for venue in venues:
            for symbol in ("AAA", "BBB", "CCC"):
                self.cache.add_instrument(equity(symbol, venue))
        self.cache.add_instrument(
            Future(id=ES, underlying="ES", expiry_ns=0, tick_size=0.25, multiplier=50)
        )
        self.data = DataEngine(self.bus, self.cache)
        self.portfolio = Portfolio(self.bus, self.cache, self.clock, cash)
        self.oms = OrderManager(self.bus, self.cache, self.clock)
        self.gate = RiskGate(
            RiskGateConfig(**limits),
            self.bus,
            self.cache,
            PortfolioView(self.portfolio),
            self.clock,
        )
        self.exec = ExecutionEngine(self.bus, self.clock)
        self.venues = {
            v: SimulatedVenue(Venue(v), self.cache, self.clock, bar_fill=bar_fill) for v in venues
        }
        for venue in self.venues.values():
            self.exec.register_client(venue)
        self.events: list[OrderEvent] = []
        self.bus.subscribe("events.order.*", self.events.append)
        self._ids = itertools.count(1)

    @property
    def now(self) -> int:
        return self.clock.timestamp_ns()

    def at(self, seconds: float) -> None:
        """Move the clock to ``T0 + seconds``."""
        self.clock.set_time(T0 + round(seconds * SECOND))

    def order(
        self,
        side: OrderSide,
        quantity: float,
        price: float | None = None,
        *,
        instrument_id: InstrumentId = AAA,
        strategy: str = "s-1",
        order_type: OrderType | None = None,
        client_order_id: str | None = None,
        parent: str | None = None,
    ) -> Order:
        kind = order_type or (LIMIT if price is not None else MARKET)
        init = Init(
            client_order_id=ClientOrderId(client_order_id or f"O-{next(self._ids)}"),
            strategy_id=StrategyId(strategy),
            instrument_id=instrument_id,
            side=side,
            order_type=kind,
            quantity=quantity,
            price=price,
            parent_order_id=ClientOrderId(parent) if parent else None,
            ts_event=self.now,
            ts_init=self.now,
        )
        return Order(init, self.cache.instruments[instrument_id].size_precision)

    def submit(self, order: Order) -> Order:
        self.bus.send("RiskGate.execute", order)
        return order

    def send(self, side: OrderSide, quantity: float, price: float | None = None, **kw) -> Order:
        return self.submit(self.order(side, quantity, price, **kw))

    def cancel(self, order: Order) -> None:
        self.bus.send(
            "RiskGate.cancel",
            CancelOrder(
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                strategy_id=order.strategy_id,
                ts_init=self.now,
            ),
        )

    def process(self) -> None:
        """Let orders and cancels in flight reach their venues."""
        for venue in self.venues.values():
            venue.process(self.now)

    def bar(self, instrument_id: InstrumentId, close: float, volume: float = 1e6, **ohl) -> None:
        """A bar closing now, as the kernel runs it: venue first, then cache and publish."""
        bar = Bar(
            instrument_id,
            ohl.get("open", close),
            ohl.get("high", close),
            ohl.get("low", close),
            close,
            volume,
            self.now,
            self.now,
        )
        venue = self.venues[instrument_id.rpartition(".")[2]]
        venue.on_bar(bar)
        self.data.process_bar(bar)
        self.process()

    def denial(self, order: Order) -> tuple[DenialCode, str] | None:
        """The order's denial (code, reason), or None if the gate let it through."""
        for event in reversed(order.events):
            if isinstance(event, OrderDenied):
                return event.code, event.reason
        return None

    def code(self, order: Order) -> DenialCode | None:
        found = self.denial(order)
        return found[0] if found else None

    def fill(self, side: OrderSide, quantity: float, price: float, **kw: Any) -> Order:
        """Build a position: a market order through the gate, filled at the next bar's open."""
        iid = kw.get("instrument_id", AAA)
        self.bar(iid, price)
        order = self.send(side, quantity, **kw)
        assert self.code(order) is None, self.denial(order)
        self.process()
        self.bar(order.instrument_id, price)
        assert order.status is OrderStatus.FILLED, order
        return order
