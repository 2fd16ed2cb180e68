"""Strategies added, stopped, started and removed while paper trading runs on the synthetic
market, through `TradingSystem`; and a strategy from another package's entry point, found by
name in a config and in `midfreq strategies`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from midfreq.backtest.engine import BacktestEngine
from midfreq.core.errors import ConfigError
from midfreq.strategies.factory import StrategyFactory
from midfreq.system.config import parse_system_config
from midfreq.system.trading_system import TradingSystem


def _config() -> object:
    return parse_system_config(
        {
            "data_feed": {"symbols": ["AAA", "BBB"], "update_frequency": 20},
            "strategies": {},
            "logging": {"file": None},
        }
    )


def test_strategies_are_added_stopped_started_and_removed_while_the_system_runs() -> None:
    async def session() -> dict[str, object]:
        system = TradingSystem(_config())
        await system.initialize()
        await system.start()
        first = await system.add_strategy("momentum", {"fast_period": 2, "slow_period": 5})
        second = await system.add_strategy("momentum", {"fast_period": 3, "slow_period": 8})
        third = await system.add_strategy("mean_reversion", {"symbols": ["AAA"]})
        await asyncio.sleep(0.6)
        running = {s["strategy_id"]: s["running"] for s in system.get_system_status()["strategies"]}
        await system.stop_strategy(first, close_positions=True)
        await asyncio.sleep(0.3)
        kernel = system.kernel
        assert kernel is not None
        stopped_orders = len(kernel.cache.orders_open(kernel.strategy(first).strategy_id))
        await system.remove_strategy(first)
        with pytest.raises(ConfigError, match="it is running"):
            await system.remove_strategy(second)
        await system.stop_strategy(third)
        await system.start_strategy(third)
        ids = [str(s.strategy_id) for s in kernel.strategies]
        summary = await system.stop()
        return {
            "ids": (first, second, third),
            "running": running,
            "stopped_orders": stopped_orders,
            "left": ids,
            "summary": summary,
        }

    result = asyncio.run(session())

    assert result["ids"] == ("momentum-001", "momentum-002", "mean_reversion-001")
    assert result["running"] == dict.fromkeys(result["ids"], True)  # type: ignore[arg-type]
    assert result["stopped_orders"] == 0
    assert result["left"] == ["momentum-002", "mean_reversion-001"]
    assert result["summary"]["open_orders"] == 0  # type: ignore[index]


def test_a_bad_setting_for_an_added_strategy_is_a_config_error_and_nothing_is_added() -> None:
    async def session() -> int:
        system = TradingSystem(_config())
        await system.initialize()
        await system.start()
        with pytest.raises(ConfigError, match=r"strategies.momentum-001.slow_period"):
            await system.add_strategy("momentum", {"fast_period": 9, "slow_period": 3})
        with pytest.raises(ConfigError, match=r"strategy: expected one of"):
            await system.add_strategy("no_such_strategy")
        assert system.kernel is not None
        count = len(system.kernel.strategies)
        await system.stop()
        return count

    assert asyncio.run(session()) == 0


PLUGIN = """
from midfreq.model.data import Bar
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.config import StrategyConfig


class BuyOnceConfig(StrategyConfig):
    size: float = 7.0


class BuyOnce(BaseStrategy):
    \"\"\"Buys ``size`` on its first bar (a plugin strategy).\"\"\"

    name = "buy_once"
    config_class = BuyOnceConfig

    def on_bar(self, bar: Bar) -> None:
        if not self.position(bar.instrument_id) and not self.pending_quantity(bar.instrument_id):
            self.buy(bar.instrument_id, self.params.size)
"""


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed-looking package ``midfreq_plugin`` declaring a ``midfreq.strategies`` entry
    point ``buy_once`` (and a broken one), on sys.path."""
    (tmp_path / "midfreq_plugin").mkdir()
    (tmp_path / "midfreq_plugin" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    info = tmp_path / "midfreq_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: midfreq-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[midfreq.strategies]\n"
        "buy_once = midfreq_plugin:BuyOnce\n"
        "broken_plugin = midfreq_plugin:DoesNotExist\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_an_entry_point_strategy_runs_by_name_from_a_config(plugin_path: Path) -> None:
    assert {"buy_once", "broken_plugin"} <= set(StrategyFactory.get_available_strategies())
    config = parse_system_config(
        {
            "data_feed": {"symbols": ["AAA"]},
            "strategies": {"buy_once": {"size": 3}},
            "logging": {"file": None},
            "backtest": {"start_date": "2024-03-04", "end_date": "2024-03-04"},
        }
    )
    result = BacktestEngine(config).run_backtest()

    assert result.strategies == ["buy_once-001"]
    assert result.orders["quantity"].tolist() == [3.0]
    with pytest.raises(
        ConfigError,
        match=r"strategy: expected a loadable entry point broken_plugin = midfreq_plugin:Does",
    ):
        StrategyFactory.create_strategy("broken_plugin", {})
    with pytest.raises(ConfigError, match=r"strategies.buy_once-001.sise: expected one of"):
        StrategyFactory.create_strategy("buy_once", {"sise": 3})


def test_midfreq_strategies_lists_plugins_and_names_a_broken_one(plugin_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(plugin_path)}
    done = subprocess.run(
        [sys.executable, "-m", "midfreq.cli", "strategies"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert "Buys ``size`` on its first bar" in lines["buy_once"]
    assert "cannot be loaded" in lines["broken_plugin"]
    assert {"mean_reversion", "momentum"} <= set(lines)
