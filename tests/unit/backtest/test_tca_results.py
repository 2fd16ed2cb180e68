"""Backtest results carry transaction cost analysis by default (``backtest.tca``): per order,
strategy and venue, in ``summary.json`` and as files; it can be turned off."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest
from golden import GOLDEN_CONFIG

from midfreq.backtest.engine import BacktestEngine
from midfreq.system.config import parse_system_config


def _run(tca: bool):
    data = copy.deepcopy(GOLDEN_CONFIG)
    data["backtest"]["tca"] = tca
    return BacktestEngine(parse_system_config(data)).run_backtest()


def test_a_backtest_saves_its_transaction_cost_analysis(tmp_path: Path) -> None:
    result = _run(True)
    folder = result.write(tmp_path / "out")

    assert result.tca is not None
    per_order = pd.read_parquet(folder / "tca_orders.parquet")
    assert len(per_order) == len(result.orders) - int((result.orders["status"] == "DENIED").sum())
    summary = json.loads((folder / "summary.json").read_text())
    strategies = {row["strategy_id"]: row for row in summary["tca"]["by_strategy"]}
    assert set(strategies) == {"mean_reversion-001", "momentum-001"}
    # Fees in the analysis are the fees the portfolio paid.
    assert sum(row["fees"] for row in strategies.values()) == pytest.approx(result.stats.fees_paid)
    assert (folder / "tca_by_venue.csv").exists()


def test_tca_can_be_turned_off() -> None:
    assert _run(False).tca is None
