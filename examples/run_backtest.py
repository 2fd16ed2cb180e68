"""Backtest the built-in strategies with the original spec's call and save the results.

Run: python examples/run_backtest.py [OUTPUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from midfreq.backtest.engine import BacktestEngine

ROOT = Path(__file__).resolve().parents[1]


def main(output: str = "output/example_backtest") -> None:
    """Run mean reversion and momentum over Q1 2023 and write orders, trades and equity."""
    engine = BacktestEngine(ROOT / "config" / "backtest.example.yaml")
    results = engine.run_backtest(
        start_date="2023-01-01",
        end_date="2023-03-31",
        strategies=["mean_reversion", "momentum"],
    )
    print(results.table())
    folder = results.write(output)
    print(f"{len(results.fills)} fills; results in {folder}/")


if __name__ == "__main__":
    main(*sys.argv[1:])
