"""The golden backtest: fixed synthetic data, fixed seed, both built-in strategies, realistic
venue models. Shared by the golden test and its second-process run."""

from __future__ import annotations

import hashlib

from midfreq.backtest.engine import BacktestEngine
from midfreq.backtest.results import BacktestResult
from midfreq.system.config import parse_system_config

GOLDEN_CONFIG = {
    "account": {"starting_cash": 1_000_000, "currency": "USD"},
    "data_feed": {
        "symbols": ["AAA", "BBB", "CCC"],
        "synthetic": {
            "seed": 2024,
            "initial_prices": {"AAA": 100.0, "BBB": 50.0, "CCC": 250.0},
            "annual_volatility": 0.35,
            "correlation": 0.4,
            "mean_reversion": 0.03,
        },
    },
    "strategies": {
        "mean_reversion": {"lookback_period": 20, "z_score_threshold": 2.0, "order_quantity": 100},
        "momentum": {"fast_period": 10, "slow_period": 30, "order_quantity": 50},
    },
    "risk_management": {
        "max_order_quantity": 500,
        "max_notional_per_order": 60_000,
        "max_position": 300,
    },
    "venue": {
        "market_fill": "next_open",
        "max_volume_participation": 0.01,
        "fees": {"model": "per_share", "rate": 0.005, "minimum": 1.0},
        "slippage_bps": 2.0,
    },
    "logging": {"file": None},
    "backtest": {
        "start_date": "2024-03-04",
        "end_date": "2024-03-06",
        "data": {"source": "synthetic", "bar_interval_seconds": 300},
    },
}


def run_golden() -> BacktestResult:
    """Run the golden backtest."""
    return BacktestEngine(parse_system_config(GOLDEN_CONFIG)).run_backtest()


def digest(result: BacktestResult) -> str:
    """A fingerprint of every fill, order and equity point."""
    h = hashlib.sha256()
    h.update(result.fills.to_csv(index=False).encode())
    h.update(result.orders.to_csv(index=False).encode())
    h.update(result.equity.tobytes())
    h.update(result.equity_ts.tobytes())
    return h.hexdigest()


if __name__ == "__main__":
    print(digest(run_golden()))
