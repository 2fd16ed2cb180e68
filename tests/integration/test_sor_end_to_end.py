"""Smart order routing end to end on the built-in data: the kernel derives each routed venue's
quotes and bars from the consolidated feed (``spread_bps``, ``depth_fraction``,
``quote_offset_bps``), the router splits orders over the derived books, children fill on the
venues it chose, and ``midfreq run`` with config/sor.example.yaml trades on several venues."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from midfreq.backtest.engine import BacktestEngine
from midfreq.core.clock import SimulatedClock
from midfreq.data.bars import BarArrays
from midfreq.execution.routing import RoutingPolicy
from midfreq.execution.routing.allocation import allocate
from midfreq.execution.routing.book import ConsolidatedBook
from midfreq.execution.routing.config import VenueFeesConfig
from midfreq.execution.tca import analyze_costs
from midfreq.model.data import Bar, QuoteTick
from midfreq.model.enums import OrderSide
from midfreq.model.identifiers import InstrumentId, Venue
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_709_546_400_000_000_000  # 2024-03-04 10:00 UTC
MINUTE = 60_000_000_000
AAPL = InstrumentId("AAPL.SIM")
# Taker fee per share each venue charges (and the router assumes).
FEES = {"V1": 0.003, "V2": 0.0, "V3": 0.001}
MARKETS = {
    "V1": {"spread_bps": 2.0, "depth_fraction": 0.1},
    "V2": {"spread_bps": 6.0, "depth_fraction": 0.3, "quote_offset_bps": 1.0},
    "V3": {"spread_bps": 4.0, "depth_fraction": 0.6},
}


class Scheduled(BaseStrategy):
    """Sends one market order of ``quantity`` (signed) on its ``on_bar_number``-th bar."""

    name = "scheduled"

    def __init__(self, config: dict[str, Any] | None = None, *args: Any) -> None:
        config = dict(config or {})
        self.quantity = float(config.pop("quantity"))
        self.on_bar_number = int(config.pop("on_bar_number"))
        super().__init__(config, *args)
        self.bars_seen = 0
        self.seen: set[InstrumentId] = set()

    def on_bar(self, bar: Bar) -> None:
        self.seen.add(bar.instrument_id)
        self.bars_seen += 1
        if self.bars_seen == self.on_bar_number:
            side = OrderSide.BUY if self.quantity > 0 else OrderSide.SELL
            self.submit_order(self.make_order(bar.instrument_id, side, abs(self.quantity)))

    def on_quote(self, quote: QuoteTick) -> None:
        self.seen.add(quote.instrument_id)


def _execution() -> dict[str, Any]:
    return {
        "venues": list(FEES),
        "policy": "FEE_ADJUSTED",
        "fees": {v: {"taker_per_unit": f} for v, f in FEES.items()},
        "venue_settings": {
            v: {"fees": {"model": "per_share", "rate": f}, **MARKETS[v]} for v, f in FEES.items()
        },
    }


def _config() -> dict[str, Any]:
    scheduled = f"{__name__}:Scheduled"
    return {
        "account": {"starting_cash": 1_000_000, "currency": "USD"},
        "data_feed": {"symbols": ["AAPL"]},
        "venue": {"fees": {"model": "per_share", "rate": 0.003}, "latency_ms": 1},
        "execution": _execution(),
        "strategies": {
            "buyer": {"class": scheduled, "quantity": 500, "on_bar_number": 3},
            "seller": {"class": scheduled, "quantity": -200, "on_bar_number": 5},
        },
        "logging": {"file": None},
        # The backtest's own TCA groups children by parent and refuses a parent whose children
        # are on several listings (see the xfail below); analysed per child here instead.
        "backtest": {"tca": False},
    }


def _flat_bars(count: int = 10) -> BarArrays:
    ts = T0 + MINUTE * np.arange(1, count + 1, dtype=np.int64)
    return BarArrays(
        AAPL,
        ts,
        np.full(count, 100.00),
        np.full(count, 100.05),
        np.full(count, 99.95),
        np.full(count, 100.00),
        np.full(count, 1000.0),
    )


# The derived books, by hand, for bars closing at 100.00 with volume 1000 (a bar has no
# spread: bid/ask = the venue's close -/+ spread_bps / 2, rounded out to the cent):
#   V1: close 100.00, half 0.01      -> 99.99 / 100.01, size 1000 x 0.1 = 100, ask + fee 100.013
#   V2: close 100.01 (+1 bp), half 0.030003 -> 99.97 / 100.05, size 300,       ask + fee 100.050
#   V3: close 100.00, half 0.02      -> 99.98 / 100.02, size 600,               ask + fee 100.021
DERIVED = {
    "V1": (99.99, 100.01, 100.0),
    "V2": (99.97, 100.05, 300.0),
    "V3": (99.98, 100.02, 600.0),
}


def _hand_book(ts: int) -> ConsolidatedBook:
    book = ConsolidatedBook(())
    for venue, (bid, ask, size) in DERIVED.items():
        book.add_venue(Venue(venue), VenueFeesConfig(taker_per_unit=FEES[venue]).build())
        iid = InstrumentId(f"AAPL.{venue}")
        book.update_quote(venue, QuoteTick(iid, bid, ask, size, size, ts, ts))
    return book


def test_a_bar_backtest_routes_children_to_the_venues_allocate_chooses() -> None:
    engine = BacktestEngine(parse_system_config(_config()))
    result = engine.run_backtest(bars=[_flat_bars()])
    kernel = engine.kernel
    assert kernel is not None and kernel.smart_router is not None

    # The router's book is the derived one.
    book = kernel.smart_router.book("AAPL")
    for venue, (bid, ask, size) in DERIVED.items():
        view = book.venue(venue)
        assert view.touch(OrderSide.BUY) == (ask, size)
        assert view.touch(OrderSide.SELL) == (bid, size)
    # ... and the cache holds per-listing bars (V2 shifted by one basis point, rounded to tick).
    assert kernel.cache.bars[InstrumentId("AAPL.V2")].open == 100.01
    assert kernel.cache.bars[InstrumentId("AAPL.V1")].volume == 100.0

    # Hand-checked: buy 500 takes V1's 100 (100.013 after fees), then 400 of V3's 600
    # (100.021); V2 (100.050) gets nothing. Sell 200: V1 bid 99.987, V3 99.979, V2 99.970.
    orders = result.orders.set_index("client_order_id")
    children = orders[orders["instrument_id"] != "AAPL.SIM"]
    by_strategy = {
        str(sid): sorted(zip(frame["instrument_id"], frame["quantity"], strict=True))
        for sid, frame in children.groupby("strategy_id")
    }
    assert by_strategy == {
        "buyer-001": [("AAPL.V1", 100.0), ("AAPL.V3", 400.0)],
        "seller-001": [("AAPL.V1", 100.0), ("AAPL.V3", 100.0)],
    }
    # The same split from `allocate` on the books built by hand.
    for side, quantity, expected in (
        (OrderSide.BUY, 500.0, {"V1": 100.0, "V3": 400.0}),
        (OrderSide.SELL, 200.0, {"V1": 100.0, "V3": 100.0}),
    ):
        split: dict[str, float] = {}
        for allocation in allocate(
            side, quantity, _hand_book(T0), RoutingPolicy.FEE_ADJUSTED, now_ns=T0
        ):
            split[str(allocation.venue)] = (
                split.get(str(allocation.venue), 0.0) + allocation.quantity
            )
        assert split == expected

    # Children filled at the next bar's open on their venue (100.00 on V1 and V3), each
    # venue charging its own fee; fills are booked on the consolidated instrument.
    fills = result.fills
    assert set(fills["instrument_id"].astype(str)) == {"AAPL.SIM"}
    venue_of = children["instrument_id"].str.rsplit(".", n=1).str[-1]
    fills = fills.assign(venue=fills["client_order_id"].astype(str).map(venue_of))
    assert set(fills["venue"]) == {"V1", "V3"}
    assert (fills["price"] == 100.00).all()
    per_venue = fills.groupby("venue")[["quantity", "commission"]].sum()
    assert per_venue.loc["V1", "quantity"] == 200.0  # 100 bought + 100 sold
    assert per_venue.loc["V3", "quantity"] == 500.0
    assert per_venue.loc["V1", "commission"] == pytest.approx(200 * 0.003)
    assert per_venue.loc["V3", "commission"] == pytest.approx(500 * 0.001)
    assert (children["status"] == "FILLED").all()
    # One child per venue per parent filled on the bar after the order (bars 4 and 6).
    assert sorted(set(fills["ts_event"])) == [T0 + 4 * MINUTE, T0 + 6 * MINUTE]

    # Positions per strategy are the sum of their fills.
    signed = np.where(fills["side"] == "BUY", 1.0, -1.0) * fills["quantity"]
    sums = signed.groupby(fills["strategy_id"].astype(str)).sum().to_dict()
    assert sums == {"buyer-001": 500.0, "seller-001": -200.0}
    for strategy in kernel.strategies:
        assert strategy.position("AAPL") == sums[str(strategy.strategy_id)]
        # Strategies saw only the consolidated instrument.
        assert strategy.seen == {AAPL}  # type: ignore[attr-defined]

    # TCA per venue, each child its own parent.
    tca = analyze_costs(result.orders, result.fills)
    by_venue = tca.by_venue.set_index("venue")
    assert sorted(by_venue.index) == ["V1", "V3"]
    assert by_venue.loc["V1", "filled_qty"] == 200.0 and by_venue.loc["V3", "filled_qty"] == 500.0
    assert by_venue.loc["V1", "fees"] == pytest.approx(0.6)
    # The router's own per-venue figures agree.
    performance = kernel.smart_router.get_performance_metrics()["venue_performance"]
    assert {v: p["filled_quantity"] for v, p in performance.items()} == {
        "V1": 200.0,
        "V2": 0.0,
        "V3": 500.0,
    }


def test_the_backtest_tca_counts_a_parent_split_over_venues_once() -> None:
    config = _config()
    config["backtest"] = {"tca": True}
    result = BacktestEngine(parse_system_config(config)).run_backtest(bars=[_flat_bars()])
    assert result.tca is not None
    rows = result.tca.orders
    # Two parents (buy 500 split V1/V3, sell 200 split V1/V3), priced on the consolidated
    # instrument and counted under ROUTED in the per-venue figures.
    assert sorted(rows["filled_qty"]) == [200.0, 500.0]
    assert set(rows["instrument_id"]) == {"AAPL.SIM"}
    assert list(result.tca.by_venue["venue"]) == ["ROUTED"]


def test_consolidated_quotes_fan_out_to_derived_listings_only_for_venues() -> None:
    config = _config()
    config["strategies"] = {}
    kernel = Kernel(parse_system_config(config), SimulatedClock(T0))
    seen: list[QuoteTick] = []
    kernel.bus.subscribe("data.quotes.*", seen.append)
    kernel.start()
    kernel.process_quote(QuoteTick(AAPL, 99.99, 100.01, 500.0, 700.0, T0 + 1, T0 + 1))
    quotes = kernel.cache.quotes
    # V1: mid 100.00, half 0.01 + 100.00 x 1 bp = 0.02 -> 99.98 / 100.02, sizes x 0.1.
    v1 = quotes[InstrumentId("AAPL.V1")]
    assert (v1.bid_price, v1.ask_price, v1.bid_size, v1.ask_size) == (99.98, 100.02, 50.0, 70.0)
    # V2: mid 100.01, half 0.01 + 0.030003 -> 99.96 / 100.06 (rounded outwards).
    v2 = quotes[InstrumentId("AAPL.V2")]
    assert (v2.bid_price, v2.ask_price, v2.bid_size, v2.ask_size) == (99.96, 100.06, 150.0, 210.0)
    v3 = quotes[InstrumentId("AAPL.V3")]
    assert (v3.bid_price, v3.ask_price) == (99.97, 100.03)
    # Only the consolidated quote was published.
    assert [q.instrument_id for q in seen] == [AAPL]
    assert kernel.smart_router is not None
    assert kernel.smart_router.book("AAPL").venue("V2").touch(OrderSide.SELL) == (99.96, 150.0)


def test_a_narrowing_spread_keeps_a_tick_between_bid_and_ask() -> None:
    config = _config()
    config["strategies"] = {}
    config["execution"]["venue_settings"]["V1"]["spread_bps"] = -50.0
    kernel = Kernel(parse_system_config(config), SimulatedClock(T0))
    kernel.process_quote(QuoteTick(AAPL, 99.99, 100.01, 1.0, 1.0, T0 + 1, T0 + 1))
    v1 = kernel.cache.quotes[InstrumentId("AAPL.V1")]
    assert (v1.bid_price, v1.ask_price) == (100.0, 100.01)


def test_bad_venue_market_settings_are_config_errors() -> None:
    from midfreq.core.errors import ConfigError

    config = _config()
    config["execution"]["venue_settings"]["V1"]["depth_fraction"] = 0
    with pytest.raises(ConfigError, match="depth_fraction"):
        parse_system_config(config)


def test_midfreq_run_with_the_example_config_fills_on_several_venues(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "midfreq",
            "run",
            "--config",
            str(ROOT / "config" / "sor.example.yaml"),
            "--duration",
            "5",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "Stopped cleanly" in completed.stdout
    summaries = [
        json.loads(line)
        for line in (tmp_path / "logs" / "midfreq.log").read_text().splitlines()
        if '"routing summary"' in line
    ]
    assert len(summaries) == 1
    performance = summaries[0]["venue_performance"]
    filled = {venue: p["filled_quantity"] for venue, p in performance.items()}
    assert sum(q > 0 for q in filled.values()) >= 2, filled
    # The venues charge their own fees: V2 none, V1 three times V3 per share.
    assert performance["V2"]["commission"] == 0.0
    # Commissions are rounded to the cent per fill.
    v1 = performance["V1"]
    assert v1["commission"] == pytest.approx(0.003 * filled["V1"], abs=0.005 * v1["fills"])
