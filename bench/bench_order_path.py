"""Cost of one order's whole lifecycle through the kernel, and of one bar without orders; and
(case ``gate``) the risk gate's decision latency with every pre-trade check on.

Lifecycle: a strategy reverses its position on every one-minute bar (one market order per bar:
strategy, risk gate, OMS, execution engine, simulated venue, fill, portfolio, risk manager); the
same run with a strategy that never trades gives the bar path alone. The difference per bar is
the cost of one order from creation to fill.

Gate: the order path wired as the kernel wires it (two simulated venues), a book of positions
in three instruments, 20 working orders and 100 bars of history, and a gate with all 20 checks
configured so that none refuses: every decision runs every check. Each decision is timed on its
own (``perf_counter_ns``) and the median and 99th percentile reported: ``check`` (the decision),
``execute`` (decision, record, approval hooks and working-order bookkeeping; the OMS is stubbed
out), ``check_cold`` (a new bar before each decision, so the correlation estimates are
recomputed), and the in-chain cost of each check.

Usage: python bench/bench_order_path.py [lifecycle|gate] [--bars N] [--decisions N] [--typical]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import SimulatedClock
from midfreq.data.engine import DataEngine
from midfreq.execution.engine import ExecutionEngine
from midfreq.model.data import Bar
from midfreq.model.enums import OrderSide, OrderType
from midfreq.model.events import OrderInitialized
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId, Venue
from midfreq.model.instruments import Future, equity
from midfreq.model.orders import Order
from midfreq.oms.manager import OrderManager
from midfreq.portfolio.portfolio import Portfolio, PortfolioView
from midfreq.risk.config import RiskGateConfig
from midfreq.risk.gate import GateAction, RiskGate
from midfreq.simulation.venue import SimulatedVenue
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

MINUTE = 60_000_000_000


class Reverser(BaseStrategy):
    """Flip between +100 and -100 on every bar."""

    keeps_price_history = False

    def on_bar(self, bar: Bar) -> None:
        """Send the order that reverses the position."""
        self.order_target(
            bar.instrument_id, -100.0 if self.position(bar.instrument_id) > 0 else 100.0
        )


class Idle(BaseStrategy):
    """Receive every bar, never trade."""

    keeps_price_history = False

    def on_bar(self, bar: Bar) -> None:
        """Do nothing."""


def _seconds(strategy_class: type[BaseStrategy], bars: list[Bar]) -> tuple[float, int]:
    config = parse_system_config(
        {
            "data_feed": {"symbols": ["AAA"]},
            "logging": {"file": None},
            "risk_management": {"max_order_quantity": 1000, "max_position": 1000},
            "venue": {"fees": {"model": "per_share", "rate": 0.005, "minimum": 1.0}},
        }
    )
    kernel = Kernel(config, SimulatedClock(0), purge_closed_orders=True)
    kernel.add_strategy(strategy_class({"strategy_id": "s-1", "symbols": ["AAA"]}))
    kernel.start()
    process = kernel.process_bar
    started = time.perf_counter()
    for bar in bars:
        process(bar)
    return time.perf_counter() - started, kernel.cache.order_count


EVERY_CHECK: dict[str, Any] = {
    "max_order_quantity": 10_000,
    "max_notional_per_order": 1e6,
    "max_position": 100_000,
    "max_position_notional": 1e8,
    "max_gross_exposure": 1e9,
    "max_net_exposure": 1e9,
    "max_open_orders": 10_000,
    "max_open_orders_per_instrument": 10_000,
    "price_collar": {"max_deviation": 0.10, "max_age_seconds": 3600},
    "buying_power": {"leverage": 4.0, "margin_rates": {"FUTURE": 0.1}},
    "order_rate": {"max_per_strategy": 10**9, "max_per_venue": 10**9},
    "execution_throttle": {"max_fills": 10**6, "window_seconds": 1},
    "duplicate_orders": {},
    "restricted_list": {"instruments": ["ZZZ.SIM"]},
    "short_sale": {"locates": {"AAA.SIM": 1e6, "CCC.SIM": 1e6}},
    "self_match": {},
    "correlation": {"max_correlation": 0.99, "window": 60, "min_periods": 20},
    "liquidity": {"max_volume_share": 0.5, "window_bars": 20},
}


TYPICAL = {
    key: EVERY_CHECK[key]
    for key in (
        "max_order_quantity",
        "max_notional_per_order",
        "max_position",
        "price_collar",
        "buying_power",
        "order_rate",
    )
}


class _GateBench:
    """The kernel's order path around a gate with the given checks on."""

    def __init__(self, limits: dict[str, Any] | None = None) -> None:
        self.clock = SimulatedClock(0)
        self.bus = MessageBus()
        self.cache = Cache()
        self.ids = ["AAA.SIM", "BBB.SIM", "CCC.SIM", "DDD.XNAS"]
        for iid in self.ids:
            symbol, venue = iid.split(".")
            self.cache.add_instrument(equity(symbol, venue))
        self.cache.add_instrument(
            Future(
                id=InstrumentId("ES.SIM"),
                underlying="ES",
                expiry_ns=0,
                tick_size=0.25,
                multiplier=50,
            )
        )
        self.data = DataEngine(self.bus, self.cache)
        self.portfolio = Portfolio(self.bus, self.cache, self.clock, 10_000_000.0)
        self.oms = OrderManager(self.bus, self.cache, self.clock)
        self.gate = RiskGate(
            RiskGateConfig(**(EVERY_CHECK if limits is None else limits)),
            self.bus,
            self.cache,
            PortfolioView(self.portfolio),
            self.clock,
        )
        engine = ExecutionEngine(self.bus, self.clock)
        self.venues = {v: SimulatedVenue(Venue(v), self.cache, self.clock) for v in ("SIM", "XNAS")}
        for venue in self.venues.values():
            engine.register_client(venue)
        self.rng = random.Random(1)
        self.prices = dict.fromkeys(self.ids, 100.0)
        self.seq = 0

    def bars(self) -> None:
        self.clock.set_time(self.clock.timestamp_ns() + MINUTE)
        now = self.clock.timestamp_ns()
        shock = self.rng.gauss(0, 0.01)
        for iid in self.ids:
            self.prices[iid] *= 1 + shock + self.rng.gauss(0, 0.005)
            price = round(self.prices[iid], 2)
            bar = Bar(InstrumentId(iid), price, price, price, price, 1e5, now, now)
            venue = self.venues[iid.split(".")[1]]
            venue.on_bar(bar)
            self.data.process_bar(bar)
            venue.process(now)

    def order(self, iid: str, side: OrderSide, quantity: float, price: float | None) -> Order:
        self.seq += 1
        now = self.clock.timestamp_ns()
        init = OrderInitialized(
            client_order_id=ClientOrderId(f"O-{self.seq}"),
            strategy_id=StrategyId(f"s-{self.seq % 3}"),
            instrument_id=InstrumentId(iid),
            side=side,
            order_type=OrderType.LIMIT if price is not None else OrderType.MARKET,
            quantity=quantity,
            price=price,
            ts_event=now,
            ts_init=now,
        )
        return Order(init, 0)

    def build_book(self) -> None:
        for _ in range(100):
            self.bars()
        for iid, side, quantity in (
            ("BBB.SIM", OrderSide.BUY, 1_000),
            ("CCC.SIM", OrderSide.SELL, 500),
            ("DDD.XNAS", OrderSide.BUY, 300),
        ):
            self.bus.send("RiskGate.execute", self.order(iid, side, quantity, None))
        self.bars()  # the market orders fill at this bar's open
        for k in range(20):  # resting bids 5% under the market, none crossing anything
            iid = self.ids[k % 4]
            price = round(self.cache.last_prices[InstrumentId(iid)] * 0.95, 2)
            self.bus.send("RiskGate.execute", self.order(iid, OrderSide.BUY, 10 + k, price))
        for venue in self.venues.values():
            venue.process(self.clock.timestamp_ns())
        assert self.gate.denied_count == 0, list(self.gate.decisions)
        assert len(self.cache.open_orders) == 20

    def candidates(self, count: int) -> list[Order]:
        # All different (the duplicate check would refuse repeats), all within every limit.
        reference = round(self.cache.last_prices[InstrumentId("AAA.SIM")] * 0.99, 2)
        return [
            self.order(
                "AAA.SIM", OrderSide.BUY, 1 + k % 5000, round(reference - k // 5000 / 100, 2)
            )
            for k in range(count)
        ]


def _summary(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)
    return {
        "median_us": round(statistics.median(ordered) / 1000, 2),
        "p99_us": round(ordered[int(len(ordered) * 0.99)] / 1000, 2),
    }


def gate_latency(decisions: int, typical: bool = False) -> dict[str, Any]:
    """Time the gate's decisions with every check on, or only the ``TYPICAL`` ones (see the
    module docstring)."""
    bench = _GateBench(TYPICAL if typical else None)
    bench.build_book()
    gate, clock = bench.gate, bench.clock
    timer = time.perf_counter_ns
    orders = bench.candidates(decisions)
    for order in orders[:1000]:  # warm up
        assert gate.check(order) is None
    check_ns = []
    for order in orders:
        started = timer()
        gate.check(order)
        check_ns.append(timer() - started)
    # Per check, in the chain: each check timed inside one decision.
    context = gate.context
    per_check = [0] * len(gate.checks)
    for order in orders[:5000]:
        context.begin(order, GateAction.SUBMIT, clock.timestamp_ns())
        for k, rule in enumerate(gate._rules):
            started = timer()
            rule(order, context)
            per_check[k] += timer() - started
        context.end()
    empty = []
    for _ in range(5000):
        started = timer()
        empty.append(timer() - started)
    overhead = statistics.median(empty)
    cold_ns = []
    for _ in range(2000):
        bench.bars()  # new returns: the correlation estimates are recomputed
        order = bench.candidates(1)[0]
        started = timer()
        gate.check(order)
        cold_ns.append(timer() - started)
    bench.bus.deregister("OrderManager.submit")
    bench.bus.register("OrderManager.submit", lambda order: None)
    execute_ns = []
    for order in bench.candidates(decisions):
        started = timer()
        gate.execute(order)
        execute_ns.append(timer() - started)
    assert gate.denied_count == 0
    return {
        "case": "gate (typical checks)" if typical else "gate",
        "checks": len(gate.checks),
        "decisions": decisions,
        "check": _summary(check_ns),
        "execute": _summary(execute_ns),
        "check_cold": _summary(cold_ns),
        "timer_overhead_us": round(overhead / 1000, 3),
        "per_check_us": {
            type(check).__name__: round(total / 5000 / 1000 - overhead / 1000, 2)
            for check, total in zip(gate.checks, per_check, strict=True)
        },
    }


def main() -> None:
    """Print bar-path and per-order costs, or the gate's decision latency, in microseconds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("case", nargs="?", choices=["lifecycle", "gate"], default="lifecycle")
    parser.add_argument("--bars", type=int, default=200_000)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument(
        "--typical",
        action="store_true",
        help="gate: only order size, notional, position, collar, buying power and rate checks",
    )
    args = parser.parse_args()
    if args.case == "gate":
        print(json.dumps(gate_latency(args.decisions, args.typical)))
        return
    iid = InstrumentId("AAA.SIM")
    bars = [
        Bar(iid, 100.0, 100.5, 99.5, 100.0, 1e6, (i + 1) * MINUTE, (i + 1) * MINUTE)
        for i in range(args.bars)
    ]
    idle, _ = _seconds(Idle, bars)
    busy, orders = _seconds(Reverser, bars)
    print(
        json.dumps(
            {
                "bars": args.bars,
                "orders": orders,
                "bar_path_us": round(idle / args.bars * 1e6, 2),
                "order_lifecycle_us": round((busy - idle) / orders * 1e6, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
