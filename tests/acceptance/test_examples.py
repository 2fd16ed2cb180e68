"""Every example runs and shows what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path) -> str:
    completed = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, cwd=cwd, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    return completed.stdout


def test_custom_strategy_example_trades(tmp_path) -> None:
    out = _run(str(ROOT / "examples" / "custom_strategy.py"), cwd=tmp_path)
    assert "Sharpe ratio" in out
    orders = int(out.split("orders: ")[1].split(",")[0])
    assert orders > 0


def test_run_backtest_example_writes_results(tmp_path) -> None:
    out = _run(str(ROOT / "examples" / "run_backtest.py"), str(tmp_path / "out"), cwd=tmp_path)
    assert "Total return" in out
    trades = pd.read_parquet(tmp_path / "out" / "trades.parquet")
    assert set(trades.strategy_id) == {"mean_reversion-001", "momentum-001"}


def test_system_monitoring_example_runs_and_stops(tmp_path) -> None:
    out = _run(str(ROOT / "examples" / "system_monitoring.py"), "2", cwd=tmp_path)
    assert out.count("System running: True") == 2
    assert "Active strategies: 2" in out
    assert "'open_orders': 0" in out
