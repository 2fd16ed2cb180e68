"""Execution algorithm benchmark (issue: execution algorithms): a backtest of 1,000 parent
orders, each worked by VWAP, over 20 symbols.

20 symbols x 1,950 one-minute synthetic bars (five 390-minute trading days' worth, generated
back to back without a calendar); a strategy sends 50 parents per symbol, one every 39 bars,
alternating buy and sell, each worked by VWAP over 30 minutes in one-minute slices (30 children
each, 30,000 children in all) under the square-root impact model. The timed part is the whole
`BacktestEngine.run_backtest`, including the transaction cost analysis per parent order that
the backtest attaches. The case runs in its own process so peak memory (ru_maxrss) is its own.

Usage: python bench/bench_algos.py [--symbols N] [--parents-per-symbol N] [--bars N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time

from midfreq.backtest.engine import BacktestEngine
from midfreq.data.synthetic import iter_bar_windows
from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.factory import StrategyFactory
from midfreq.system.config import parse_system_config

START_NS = 1_672_531_200 * 1_000_000_000  # 2023-01-01T00:00:00Z
QUANTITY = 500.0
VWAP_PARAMS = {"horizon_seconds": 1_800, "interval_seconds": 60}


class VwapEvery(BaseStrategy):
    """Send a VWAP parent every ``spacing`` bars per instrument, alternating buy and sell,
    until ``parents`` have been sent for it."""

    name = "vwap_every"
    spacing = 39
    parents = 50

    def on_start(self) -> None:
        self.seen: dict[InstrumentId, int] = {}
        self.sent: dict[InstrumentId, int] = {}

    def on_bar(self, bar: Bar) -> None:
        iid = bar.instrument_id
        seen = self.seen[iid] = self.seen.get(iid, 0) + 1
        sent = self.sent.get(iid, 0)
        if seen % self.spacing != 1 or sent >= self.parents:
            return
        self.sent[iid] = sent + 1
        send = self.buy if sent % 2 == 0 else self.sell
        send(iid, QUANTITY, exec_algorithm="vwap", exec_params=VWAP_PARAMS)


def run_case(symbols: int, parents_per_symbol: int, bars: int) -> dict[str, object]:
    """Run the case in this process and return its figures."""
    VwapEvery.parents = parents_per_symbol
    VwapEvery.spacing = max(1, bars // parents_per_symbol)
    StrategyFactory.register(VwapEvery.name, VwapEvery)
    names = [f"SYM{i}" for i in range(symbols)]
    with tempfile.TemporaryDirectory() as catalog:  # empty: VWAP's U-shaped fallback profile
        config = parse_system_config(
            {
                "account": {"starting_cash": 100_000_000},
                "data_feed": {"symbols": names, "synthetic": {"seed": 11}},
                "strategies": {"vwap_every": {"symbols": names}},
                "catalog": {"path": catalog},
                "risk_management": {
                    "max_order_quantity": 10_000,
                    "max_notional_per_order": 5_000_000,
                    "max_position": 10_000,
                },
                "venue": {
                    "fees": {"model": "per_share", "rate": 0.005, "minimum": 1.0},
                    "impact": {"model": "square_root", "eta": 1.0, "gamma": 0.314},
                },
                "logging": {"file": None},
            }
        )
        windows = iter_bar_windows(config.synthetic_market(), START_NS, bars)
        engine = BacktestEngine(config)
        t1 = time.perf_counter()
        result = engine.run_backtest(bar_windows=windows)
        run_s = time.perf_counter() - t1
    assert result.tca is not None
    per_parent = result.tca.orders
    return {
        "case": "vwap parents",
        "symbols": symbols,
        "bars": result.bars_processed,
        "parents": len(per_parent),
        "child_orders": len(result.orders),
        "fills": len(result.fills),
        "filled_parents": int((per_parent.fill_rate == 1.0).sum()),
        "mean_shortfall_bps": round(float(per_parent.shortfall_bps.mean()), 2),
        "mean_participation": round(float(per_parent.participation_rate.mean()), 4),
        "run_seconds": round(run_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Run the case in a fresh process and print its figures as one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--parents-per-symbol", type=int, default=50)
    parser.add_argument("--bars", type=int, default=5 * 390, help="bars per symbol")
    parser.add_argument("--inline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inline:
        figures = run_case(args.symbols, args.parents_per_symbol, args.bars)
        print(json.dumps(figures))
        return
    command = [
        sys.executable,
        __file__,
        "--inline",
        "--symbols",
        str(args.symbols),
        "--parents-per-symbol",
        str(args.parents_per_symbol),
        "--bars",
        str(args.bars),
    ]
    subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
