"""The API shown in the original spec works with `midfreq` as the package."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import yaml

from midfreq.backtest.engine import BacktestEngine
from midfreq.infra.config import ConfigManager
from midfreq.main import TradingSystem
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.factory import StrategyFactory
from midfreq.system.kernel import KernelOrderRouter

ROOT = Path(__file__).resolve().parents[2]


def _backtest_yaml(tmp_path: Path) -> Path:
    data = yaml.safe_load((ROOT / "config" / "backtest.example.yaml").read_text())
    data["data_feed"]["symbols"] = ["AAPL", "MSFT"]
    del data["data_feed"]["synthetic"]["initial_prices"]["GOOGL"]
    del data["data_feed"]["synthetic"]["cointegrated_pairs"]  # it names GOOGL
    data["backtest"]["data"]["bar_interval_seconds"] = 3600
    data["logging"]["file"] = None
    path = tmp_path / "backtest.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_backtest_engine_run_backtest_as_in_the_spec(tmp_path) -> None:
    engine = BacktestEngine(str(_backtest_yaml(tmp_path)))
    results = engine.run_backtest(
        start_date="2023-01-01",
        end_date="2023-12-31",
        strategies=["mean_reversion", "momentum"],
    )
    assert results.strategies == ["mean_reversion-001", "momentum-001"]
    assert results.bars_processed == 2 * 365 * 24
    first = pd.Timestamp(int(results.equity_ts[0]), tz="UTC")
    last = pd.Timestamp(int(results.equity_ts[-1]), tz="UTC")
    assert first == pd.Timestamp("2023-01-01 01:00", tz="UTC")
    assert last == pd.Timestamp("2024-01-01 00:00", tz="UTC")
    assert results.stats.trade_count == len(results.round_trips) > 0
    assert set(results.orders.strategy_id) == {"mean_reversion-001", "momentum-001"}


class CustomMeanReversion(BaseStrategy):
    def __init__(self, config, order_router, risk_manager):  # type: ignore[no-untyped-def]
        super().__init__(config, order_router, risk_manager)
        self.lookback = config.get("lookback_period", 20)
        self.signals: list[float] = []

    async def on_market_data(self, market_data):  # type: ignore[no-untyped-def]
        signal = self.calculate_z_score(market_data)
        if abs(signal) > self.config.get("threshold", 2.0):
            self.signals.append(signal)
            await self.place_order(signal, market_data.instrument_id.symbol)


def test_custom_strategy_with_async_hooks_trades_through_the_gate(tmp_path) -> None:
    engine = BacktestEngine(str(_backtest_yaml(tmp_path)))
    StrategyFactory.register("spec_custom", CustomMeanReversion)
    results = engine.run_backtest("2023-01-01", "2023-03-31", ["spec_custom"])
    assert engine.kernel is not None
    strategy = engine.kernel.strategies[0]
    assert isinstance(strategy, CustomMeanReversion)
    assert isinstance(strategy.order_router, KernelOrderRouter)
    assert len(strategy.signals) > 10
    # Every signal became one order through the gate, on the signal's side, in order.
    assert results.orders.side.tolist() == [
        "BUY" if signal > 0 else "SELL" for signal in strategy.signals
    ]
    assert (results.orders.quantity == 100).all()
    assert len(results.fills) > 0


def test_trading_system_status_as_in_the_spec(tmp_path) -> None:
    config = yaml.safe_load((ROOT / "config" / "config.example.yaml").read_text())
    config["data_feed"]["update_frequency"] = 50
    config["data_feed"]["synthetic"]["quotes_per_second"] = 50
    config["logging"]["file"] = None
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))

    async def session() -> tuple[dict, dict, dict]:
        system = TradingSystem(str(path))
        await system.initialize()
        await system.start()
        await asyncio.sleep(1.5)
        status = system.get_system_status()
        summary = await system.stop()
        return status, system.get_system_status(), summary

    status, after, summary = asyncio.run(session())
    assert status["is_running"] is True
    assert after["is_running"] is False
    assert len(status["strategies"]) == 2
    assert status["data_feed"]["provider"] == "synthetic"
    assert status["data_feed"]["messages"] > 0
    assert status["risk_metrics"]["trading_state"] == "ACTIVE"
    assert summary["open_orders"] == 0


def test_config_manager_as_in_the_spec(tmp_path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text((ROOT / "config" / "config.example.yaml").read_text())
    manager = ConfigManager(path)
    assert manager.get("strategies.mean_reversion.lookback_period") == 20
    manager.set("strategies.mean_reversion.lookback_period", 30)
    manager.save_config()
    assert ConfigManager(path).get("strategies.mean_reversion.lookback_period") == 30


def test_strategy_factory_as_in_the_spec() -> None:
    available = StrategyFactory.get_available_strategies()
    assert {"mean_reversion", "momentum"} <= set(available)
    strategy = StrategyFactory.create_strategy(
        "momentum", {"symbols": ["AAPL"], "fast_period": 5, "slow_period": 15}
    )
    assert strategy.strategy_id == "momentum-001"
    assert [str(i) for i in strategy.instrument_ids] == ["AAPL.SIM"]
