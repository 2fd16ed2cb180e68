"""Backtest throughput benchmarks (issue: the spine).

(a) one symbol, 1,000,000 one-minute bars, moving-average crossover (momentum) through the whole
    path: strategy, risk gate, OMS, simulated venue, portfolio;
(b) 100 symbols x 100,000 one-minute bars, z-score mean reversion.

Each case runs in its own process so that peak memory (ru_maxrss) belongs to that case alone.
Bars are generated window by window by the synthetic market while the backtest runs (as a
streamed data source would deliver them); the timed part is the whole
`BacktestEngine.run_backtest`: generation, merge, kernel, recording, statistics.

Usage: python bench/bench_backtest.py [a|b|all] [--bars N] [--symbols N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from midfreq.backtest.engine import BacktestEngine
from midfreq.data.synthetic import iter_bar_windows
from midfreq.system.config import parse_system_config

START_NS = 1_672_531_200 * 1_000_000_000  # 2023-01-01T00:00:00Z


def _config(symbols: list[str], strategy: str, settings: dict[str, object]) -> dict[str, object]:
    return {
        "account": {"starting_cash": 10_000_000},
        "data_feed": {
            "symbols": symbols,
            "synthetic": {"seed": 11, "annual_volatility": 0.3, "mean_reversion": 0.01},
        },
        "strategies": {strategy: settings},
        "risk_management": {
            "max_order_quantity": 10_000,
            "max_notional_per_order": 5_000_000,
            "max_position": 10_000,
        },
        "venue": {"fees": {"model": "per_share", "rate": 0.005, "minimum": 1.0}},
        "logging": {"file": None},
        "backtest": {"tca": False},  # the kernel's throughput; TCA runs after it, per order
    }


def run_case(
    case: str, bars: int, symbols: int, fast: int, slow: int, threshold: float
) -> dict[str, object]:
    """Run one case in this process and return its figures."""
    if case == "a":
        names = ["SYM0"]
        config = _config(names, "momentum", {"fast_period": fast, "slow_period": slow})
    else:
        names = [f"SYM{i}" for i in range(symbols)]
        settings = {"lookback_period": 20, "z_score_threshold": threshold}
        config = _config(names, "mean_reversion", settings)
    system_config = parse_system_config(config)
    windows = iter_bar_windows(system_config.synthetic_market(), START_NS, bars)
    engine = BacktestEngine(system_config)
    t1 = time.perf_counter()
    result = engine.run_backtest(bar_windows=windows)
    run_s = time.perf_counter() - t1
    total = result.bars_processed
    return {
        "case": case,
        "parameters": f"MA {fast}/{slow}" if case == "a" else f"z {threshold}, lookback 20",
        "symbols": len(names),
        "bars": total,
        "run_seconds": round(run_s, 2),
        "bars_per_second": round(total / run_s),
        "orders": len(result.orders),
        "fills": len(result.fills),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Run the requested cases, each in a fresh process, and print a JSON line per case."""
    parser = argparse.ArgumentParser()
    parser.add_argument("case", nargs="?", default="all", choices=["a", "b", "all"])
    parser.add_argument("--bars", type=int, help="bars per symbol (default 1e6 for a, 1e5 for b)")
    parser.add_argument("--symbols", type=int, default=100, help="symbols in case b")
    parser.add_argument("--fast", type=int, default=10, help="case a: fast moving average")
    parser.add_argument("--slow", type=int, default=30, help="case a: slow moving average")
    parser.add_argument("--threshold", type=float, default=2.0, help="case b: entry z-score")
    parser.add_argument("--inline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inline:
        bars = args.bars or (1_000_000 if args.case == "a" else 100_000)
        figures = run_case(args.case, bars, args.symbols, args.fast, args.slow, args.threshold)
        print(json.dumps(figures))
        return
    for case in ("a", "b") if args.case == "all" else (args.case,):
        command = [
            sys.executable,
            __file__,
            case,
            "--inline",
            "--symbols",
            str(args.symbols),
            "--fast",
            str(args.fast),
            "--slow",
            str(args.slow),
            "--threshold",
            str(args.threshold),
        ]
        if args.bars:
            command += ["--bars", str(args.bars)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
