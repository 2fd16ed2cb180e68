"""The original spec's strategy example, as runnable code: an async `on_market_data` hook that
scores the price with `calculate_z_score` and trades with `await self.place_order(...)`.

Run: python examples/custom_strategy.py
"""

from __future__ import annotations

from pathlib import Path

from midfreq.backtest.engine import BacktestEngine
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.factory import StrategyFactory

ROOT = Path(__file__).resolve().parents[1]


class CustomMeanReversion(BaseStrategy):
    """Fade large z-scores: sell when the price is far above its mean, buy when far below."""

    name = "custom_mean_reversion"

    def __init__(self, config, order_router=None, risk_manager=None):  # type: ignore[no-untyped-def]
        super().__init__(config, order_router, risk_manager)
        self.lookback = config.get("lookback_period", 20)

    async def on_market_data(self, market_data):  # type: ignore[no-untyped-def]
        signal = self.calculate_z_score(market_data)
        if abs(signal) > self.config.get("threshold", 2.0):
            # A high z-score means "expensive": trade against it.
            await self.place_order(-signal, market_data.instrument_id.symbol)


def main() -> None:
    """Backtest the custom strategy over a week of synthetic five-minute bars."""
    StrategyFactory.register(CustomMeanReversion.name, CustomMeanReversion)
    engine = BacktestEngine(ROOT / "config" / "backtest.example.yaml")
    result = engine.run_backtest(
        start_date="2023-01-02", end_date="2023-01-08", strategies=["custom_mean_reversion"]
    )
    print(result.table())
    print(f"orders: {len(result.orders)}, fills: {len(result.fills)}")


if __name__ == "__main__":
    main()
