"""Routed child orders are risk-checked against the strategy's consolidated position: a child on
one venue listing counts the position booked to the consolidated instrument and the working
children on every other listing, so splitting an order across venues cannot breach a limit."""

from __future__ import annotations

from typing import Any

from midfreq.core.clock import SimulatedClock
from midfreq.model.data import QuoteTick
from midfreq.model.enums import DenialCode, OrderStatus
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

T0 = 1_704_205_800_000_000_000
AAPL = InstrumentId("AAPL.SIM")
# Each venue shows 300 at its ask: a 900 buy splits 300/300/300.
BOOK = {"V1": (99.98, 100.00), "V2": (99.97, 100.01), "V3": (99.99, 100.02)}


class Buyer(BaseStrategy):
    name = "buyer"

    def __init__(self) -> None:
        super().__init__({"strategy_id": "b-1"})
        self.to_buy: list[float] = []

    def on_quote(self, quote: QuoteTick) -> None:
        if quote.instrument_id == AAPL and self.to_buy:
            self.buy(AAPL, self.to_buy.pop(0))


def _kernel(**risk: Any) -> tuple[Kernel, Buyer]:
    config = parse_system_config(
        {
            "data_feed": {"symbols": ["AAPL"]},
            "execution": {"venues": list(BOOK), "policy": "BEST_PRICE"},
            "risk_management": risk,
        }
    )
    kernel = Kernel(config, SimulatedClock(T0))
    strategy = Buyer()
    kernel.add_strategy(strategy)
    kernel.start()
    return kernel, strategy


def _book(kernel: Kernel, ts: int) -> None:
    for venue, (bid, ask) in BOOK.items():
        kernel.process_quote(
            QuoteTick(InstrumentId(f"AAPL.{venue}"), bid, ask, 300.0, 300.0, ts, ts)
        )
    kernel.process_quote(QuoteTick(AAPL, 99.99, 100.00, 900.0, 900.0, ts, ts))


def test_children_are_checked_against_the_consolidated_position() -> None:
    kernel, strategy = _kernel(max_position=1_000)
    strategy.to_buy = [600.0, 900.0]
    _book(kernel, T0)  # buys 600: 300 on V1, 300 on V2
    _book(kernel, T0 + 10**9)  # fills; then a 900 buy: only 400 more fit under 1,000

    _book(kernel, T0 + 2 * 10**9)
    children = [o for o in kernel.cache.orders.values() if o.instrument_id != AAPL]
    filled = sum(o.filled_qty for o in children)
    denied = [o for o in children if o.status is OrderStatus.DENIED]

    assert kernel.portfolio_view.net_quantity(AAPL) == filled
    assert filled <= 1_000
    assert denied, "a child that would take the consolidated position past 1,000 is denied"
    assert all(o.events[-1].code is DenialCode.POSITION_EXCEEDS_MAX for o in denied)
    assert kernel.portfolio_view.net_quantity(AAPL) >= 600


def test_without_a_limit_the_split_fills_in_full() -> None:
    kernel, strategy = _kernel()
    strategy.to_buy = [600.0, 900.0]
    for k in range(3):
        _book(kernel, T0 + k * 10**9)
    assert kernel.portfolio_view.net_quantity(AAPL) == 1_500


class Targeter(BaseStrategy):
    name = "targeter"

    def __init__(self) -> None:
        super().__init__({"strategy_id": "t-1"})

    def on_quote(self, quote: QuoteTick) -> None:
        if quote.instrument_id == AAPL:
            self.order_target(AAPL, 600.0)


def test_order_target_counts_children_in_flight_on_the_venue_listings() -> None:
    config = parse_system_config(
        {
            "data_feed": {"symbols": ["AAPL"]},
            "execution": {"venues": list(BOOK), "policy": "BEST_PRICE"},
            "venue": {"latency_ms": 50},  # children are still in flight at the next quote
        }
    )
    kernel = Kernel(config, SimulatedClock(T0))
    strategy = kernel.add_strategy(Targeter())
    kernel.start()
    for k in range(5):  # five consolidated quotes 1 ms apart, then time for the fills
        _book(kernel, T0 + k * 1_000_000)
    _book(kernel, T0 + 10**9)

    children = [o for o in kernel.cache.orders.values() if o.instrument_id != AAPL]
    assert sum(o.quantity for o in children) == 600.0  # one 600 order, split, not five
    assert strategy.position(AAPL) == 600.0
