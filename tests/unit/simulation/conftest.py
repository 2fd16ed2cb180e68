"""A kernel harness for simulated-venue tests: a real `Kernel` on a `SimulatedClock` with one
scripted strategy whose queued actions run inside the next data handler (as a real strategy's
would), plus helpers to build bars, quotes and trades at minute offsets from `T0`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from midfreq.core.clock import NANOS_PER_MINUTE, SimulatedClock
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide, OrderSide
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.model.identifiers import InstrumentId
from midfreq.model.orders import Order
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

# 2024-01-02 14:30:00 UTC, 09:30 in New York.
T0 = 1_704_205_800_000_000_000
MIN = NANOS_PER_MINUTE
SEC = 1_000_000_000


class ScriptedStrategy(BaseStrategy):
    """Runs queued actions in its next bar/quote/trade handler and records its order events."""

    name = "scripted"

    def __init__(self, strategy_id: str = "t-1", symbols: tuple[str, ...] = ("AAA",)) -> None:
        super().__init__({"strategy_id": strategy_id, "symbols": list(symbols)})
        self.pending: list[Callable[[], object]] = []
        self.received: list[OrderEvent] = []

    def on_next_data(self, action: Callable[[], object]) -> None:
        self.pending.append(action)

    def _run(self) -> None:
        actions, self.pending = self.pending, []
        for action in actions:
            action()

    def on_bar(self, bar: Bar) -> None:
        self._run()

    def on_quote(self, quote: QuoteTick) -> None:
        self._run()

    def on_trade(self, trade: TradeTick) -> None:
        self._run()

    def on_order_event(self, event: OrderEvent) -> None:
        self.received.append(event)


class Harness:
    """One kernel, one strategy trading ``AAA.SIM``."""

    def __init__(self, venue: dict[str, Any] | None = None, **config: Any) -> None:
        data = {"data_feed": {"symbols": ["AAA"]}, "venue": venue or {}, **config}
        self.clock = SimulatedClock(T0 - MIN)
        self.kernel = Kernel(parse_system_config(data), self.clock)
        self.strategy = ScriptedStrategy()
        self.kernel.add_strategy(self.strategy)
        self.kernel.start()
        self.iid = InstrumentId("AAA.SIM")
        self.venue = self.kernel.venue

    # ---- orders ---------------------------------------------------------------------------
    def order(self, side: OrderSide, quantity: float, **kwargs: Any) -> Order:
        return self.strategy.make_order(self.iid, side, quantity, **kwargs)

    def send_on_next(self, order: Order) -> Order:
        """Submit ``order`` from inside the next data handler."""
        self.strategy.on_next_data(lambda: self.strategy.submit_order(order))
        return order

    def cancel_on_next(self, order: Order) -> None:
        self.strategy.on_next_data(lambda: self.strategy.cancel_order(order))

    # ---- data -----------------------------------------------------------------------------
    @staticmethod
    def ts(minute: float) -> int:
        """The time ``minute`` minutes after `T0`."""
        return T0 + int(minute * MIN)

    def bar(
        self, minute: float, o: float, h: float, low: float, c: float, volume: float = 1_000.0
    ) -> Bar:
        ts = T0 + int(minute * MIN)
        return self.bar_at(ts, o, h, low, c, volume)

    def bar_at(
        self, ts: int, o: float, h: float, low: float, c: float, volume: float = 1_000.0
    ) -> Bar:
        bar = Bar(self.iid, o, h, low, c, volume, ts, ts)
        self.kernel.process_bar(bar)
        return bar

    def quote(
        self,
        ts: int,
        bid: float,
        ask: float,
        size: float = 500.0,
        *,
        bid_size: float | None = None,
        ask_size: float | None = None,
    ) -> QuoteTick:
        """A quote with ``size`` on both sides unless ``bid_size``/``ask_size`` say otherwise."""
        quote = QuoteTick(
            self.iid,
            bid,
            ask,
            size if bid_size is None else bid_size,
            size if ask_size is None else ask_size,
            ts,
            ts,
        )
        self.kernel.process_quote(quote)
        return quote

    def trade(
        self,
        ts: int,
        price: float,
        size: float = 100.0,
        aggressor: AggressorSide = AggressorSide.NO_AGGRESSOR,
    ) -> TradeTick:
        trade = TradeTick(self.iid, price, size, aggressor, f"X{ts}", ts, ts)
        self.kernel.process_trade(trade)
        return trade

    # ---- inspection -----------------------------------------------------------------------
    @staticmethod
    def fills(order: Order) -> list[OrderFilled]:
        return [e for e in order.events if isinstance(e, OrderFilled)]

    @staticmethod
    def fill_prices(order: Order) -> list[tuple[float, float]]:
        return [(f.last_qty, f.last_px) for f in Harness.fills(order)]

    @staticmethod
    def kinds(order: Order) -> list[str]:
        return [type(e).__name__ for e in order.events]

    def assert_audit_trails_valid(self) -> None:
        """Nothing was refused and every order's events replay through the transition table."""
        assert self.kernel.oms.refused == []
        for order in self.kernel.cache.orders.values():
            replay = Order(order.init, order.size_precision)
            for event in order.events[1:]:
                replay.apply(event)
            assert replay.status is order.status
            assert replay.filled_qty == order.filled_qty


@pytest.fixture
def make_harness() -> Callable[..., Harness]:
    """Build a `Harness`; keyword ``venue`` is the venue config section, the rest go to the
    system config (``risk_management``, ``instruments``, ``account`` ...)."""
    return Harness
