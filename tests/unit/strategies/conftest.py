"""A market harness for strategy tests: a real `Kernel` on a `SimulatedClock` fed one-minute
bars, with helpers to read back the orders a strategy sent and the bar each was sent on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from midfreq.core.clock import NANOS_PER_MINUTE, SimulatedClock
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide, OrderSide
from midfreq.model.identifiers import InstrumentId
from midfreq.model.orders import Order
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

# 2024-01-02 14:30:00 UTC.
T0 = 1_704_205_800_000_000_000
MIN = NANOS_PER_MINUTE


class Market:
    """One kernel whose feed trades ``symbols`` on SIM; bar ``i`` closes at ``T0 + (i+1) min``.

    Market orders fill at the next bar's open (the venue's default), and bars built by `bar`
    are flat (open = high = low = close) unless told otherwise.
    """

    def __init__(self, symbols: Iterable[str] = ("AAA",), **config: Any) -> None:
        data = {"data_feed": {"symbols": list(symbols)}, **config}
        self.clock = SimulatedClock(T0)
        self.kernel = Kernel(parse_system_config(data), self.clock)
        self.steps = 0

    @staticmethod
    def ts(index: int) -> int:
        """When bar ``index`` closes."""
        return T0 + (index + 1) * MIN

    @staticmethod
    def bar_index(ts: int) -> int:
        """The bar that closes at ``ts`` (the inverse of `ts`)."""
        return (ts - T0) // MIN - 1

    def add(self, strategy: BaseStrategy) -> BaseStrategy:
        self.kernel.add_strategy(strategy)
        return strategy

    def start(self, *strategies: BaseStrategy) -> None:
        for strategy in strategies:
            self.kernel.add_strategy(strategy)
        self.kernel.start()

    def bar(
        self,
        close: float,
        symbol: str = "AAA",
        *,
        open_: float | None = None,
        high: float | None = None,
        low: float | None = None,
        index: int | None = None,
    ) -> Bar:
        """Feed one bar at step ``index`` (default: the next step)."""
        if index is None:
            index = self.steps
        self.steps = max(self.steps, index + 1)
        o = close if open_ is None else open_
        h = max(o, close) if high is None else high
        lo = min(o, close) if low is None else low
        ts = self.ts(index)
        bar = Bar(InstrumentId(f"{symbol}.SIM"), o, h, lo, close, 1_000_000.0, ts, ts)
        self.kernel.process_bar(bar)
        return bar

    def bars(self, closes: Iterable[float], symbol: str = "AAA") -> None:
        for close in closes:
            self.bar(close, symbol)

    def quote(self, bid: float, ask: float, symbol: str = "AAA") -> QuoteTick:
        ts = self.ts(self.steps)
        self.steps += 1
        quote = QuoteTick(InstrumentId(f"{symbol}.SIM"), bid, ask, 500.0, 500.0, ts, ts)
        self.kernel.process_quote(quote)
        return quote

    def trade(self, price: float, symbol: str = "AAA") -> TradeTick:
        ts = self.ts(self.steps)
        self.steps += 1
        trade = TradeTick(
            InstrumentId(f"{symbol}.SIM"),
            price,
            100.0,
            AggressorSide.NO_AGGRESSOR,
            f"X{ts}",
            ts,
            ts,
        )
        self.kernel.process_trade(trade)
        return trade

    def orders(self) -> list[Order]:
        """Every order, in creation order."""
        return list(self.kernel.cache.orders.values())

    def order_log(self) -> list[tuple[int, OrderSide, float]]:
        """``(bar index sent on, side, quantity)`` of every order, in creation order."""
        return [(self.bar_index(o.ts_init), o.side, o.quantity) for o in self.orders()]

    def position(self, strategy: BaseStrategy, symbol: str = "AAA") -> float:
        return self.kernel.portfolio_view.quantity(
            InstrumentId(f"{symbol}.SIM"), strategy.strategy_id
        )


@pytest.fixture
def make_market() -> Callable[..., Market]:
    """Build a `Market`; keywords are system config sections (``venue``, ``instruments`` ...)."""
    return Market
