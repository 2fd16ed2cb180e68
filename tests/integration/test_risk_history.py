"""The risk manager's marks seeded from the catalog (``risk_management.history_days``): the
daily closes before the start, so VaR is known from the first bar of a backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from midfreq.backtest.engine import BacktestEngine
from midfreq.cli import main
from midfreq.data.catalog import ParquetCatalog
from midfreq.model.identifiers import InstrumentId
from midfreq.system.config import parse_system_config
from midfreq.system.risk_history import daily_closes

AAA = InstrumentId("AAA.SIM")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("risk") / "catalog")
    argv = ["data", "--catalog", path, "generate", "--symbols", "AAA,BBB", "--seed", "9"]
    assert main([*argv, "--start", "2024-01-01", "--end", "2024-04-30", "--interval", "3600"]) == 0
    return path


def test_daily_closes_are_each_days_last_close(catalog: str) -> None:
    store = ParquetCatalog(catalog)
    start = pd.Timestamp("2024-02-01", tz="UTC").value
    end = pd.Timestamp("2024-03-01", tz="UTC").value

    marks = daily_closes(store, [AAA], start, end)

    frame = store.read("bars", AAA, start, end - 1)
    expected = frame.groupby(frame["ts_event"] // (86_400 * 10**9))["close"].last()
    assert [m[AAA] for _, m in marks] == expected.tolist()
    assert len(marks) == 29  # February 2024


def test_a_backtest_starts_with_var_from_the_catalog_history(catalog: str) -> None:
    config = parse_system_config(
        {
            "data_feed": {"symbols": ["AAA", "BBB"]},
            "catalog": {"path": catalog},
            "strategies": {"momentum": {"fast_period": 3, "slow_period": 8}},
            "risk_management": {"history_days": 60},
            "logging": {"file": None},
            "backtest": {
                "start_date": "2024-04-01",
                "end_date": "2024-04-02",
                "data": {"source": "catalog", "bar_interval_seconds": 3600},
            },
        }
    )
    engine = BacktestEngine(config)
    engine.run_backtest()
    assert engine.kernel is not None
    rm = engine.kernel.risk_manager

    history = list(rm._history)
    seeded = [m for ts, m in history if ts <= pd.Timestamp("2024-04-01", tz="UTC").value]
    assert len(seeded) == 60  # 2024-02-01 .. 2024-03-31
    held = list(engine.kernel.portfolio.net_positions())
    assert held  # momentum holds positions at the end
    assert rm.get_metrics()["var_95"] is not None  # 95% needs 20 returns: the catalog gave 59
    returns = np.diff([m[AAA] for m in seeded]) / np.array([m[AAA] for m in seeded][:-1])
    assert np.isfinite(returns).all()
