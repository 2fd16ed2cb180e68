"""All four built-in strategy families in one backtest (issue: the strategy engine).

20 symbols x 100,000 one-minute bars from the synthetic market (two cointegrated pairs among
them), and after each bar a quote around its close (a 2-cent spread), so that every family has
its data: mean reversion, momentum and statistical arbitrage trade the bars, market making
quotes on the quotes and is filled by the simulated venue. Every strategy trades all 20 symbols
(stat arb: the two configured pairs). The timed part is the whole `BacktestEngine.run_backtest`:
generating the bars, making the quotes, the kernel, recording and statistics.

Usage: python bench/bench_strategies.py [--bars N] [--symbols N]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Iterable, Iterator

from midfreq.backtest.engine import BacktestEngine
from midfreq.data.bars import BarArrays, merge_bars
from midfreq.data.synthetic import iter_bar_windows
from midfreq.model.data import Bar, QuoteTick
from midfreq.system.config import parse_system_config

START_NS = 1_672_531_200 * 1_000_000_000  # 2023-01-01T00:00:00Z
HALF_SPREAD = 0.01


def config(symbols: list[str]) -> dict[str, object]:
    """The system config of the benchmark."""
    return {
        "account": {"starting_cash": 50_000_000},
        "data_feed": {
            "symbols": symbols,
            "synthetic": {
                "seed": 21,
                "annual_volatility": 0.3,
                "mean_reversion": 0.01,
                "cointegrated_pairs": [[symbols[0], symbols[1]], [symbols[2], symbols[3]]],
            },
        },
        "strategies": {
            "mean_reversion": {"lookback_period": 20, "z_score_threshold": 2.0},
            "momentum": {"fast_period": 10, "slow_period": 30, "order_quantity": 50},
            "stat_arb": {
                "pairs": [[symbols[1], symbols[0]], [symbols[3], symbols[2]]],
                "adf_max_lag": 2,
            },
            "market_making": {"order_quantity": 10, "max_inventory": 200},
        },
        "risk_management": {
            "max_order_quantity": 10_000,
            "max_notional_per_order": 5_000_000,
            "max_position": 10_000,
        },
        "venue": {"fees": {"model": "per_share", "rate": 0.005, "minimum": 1.0}},
        "logging": {"file": None},
        "backtest": {"tca": False},  # the kernel's throughput; TCA runs after it, per order
    }


def with_quotes(windows: Iterable[list[BarArrays]]) -> Iterator[Bar | QuoteTick]:
    """Each bar, then a quote around its close."""
    for window in windows:
        for bar in merge_bars(window):
            yield bar
            close = bar.close
            yield QuoteTick(
                bar.instrument_id,
                round(close - HALF_SPREAD, 2),
                round(close + HALF_SPREAD, 2),
                500.0,
                500.0,
                bar.ts_event,
                bar.ts_event,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=100_000, help="bars per symbol")
    parser.add_argument("--symbols", type=int, default=20)
    args = parser.parse_args()
    names = [f"SYM{i}" for i in range(args.symbols)]
    system_config = parse_system_config(config(names))
    engine = BacktestEngine(system_config)
    windows = iter_bar_windows(system_config.synthetic_market(), START_NS, args.bars)
    started = time.perf_counter()
    result = engine.run_backtest(data=with_quotes(windows))
    seconds = time.perf_counter() - started
    bars = args.bars * args.symbols
    by_strategy = result.orders.groupby("strategy_id").size().to_dict()
    print(
        json.dumps(
            {
                "symbols": args.symbols,
                "bars": bars,
                "quotes": bars,
                "run_seconds": round(seconds, 2),
                "bars_per_second": round(bars / seconds),
                "events_per_second": round(result.bars_processed / seconds),
                "orders": len(result.orders),
                "orders_by_strategy": by_strategy,
                "fills": len(result.fills),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
