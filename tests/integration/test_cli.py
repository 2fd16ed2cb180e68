"""The `midfreq` command: backtests write their results, user mistakes give one clear line and
exit 2 without a traceback, and `midfreq run` shuts down cleanly on SIGINT."""

from __future__ import annotations

import fnmatch
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from midfreq.cli import main

ROOT = Path(__file__).resolve().parents[2]
BACKTEST_EXAMPLE = ROOT / "config" / "backtest.example.yaml"
MIDFREQ = [sys.executable, "-m", "midfreq"]


def _write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def _small_backtest_config(tmp_path: Path) -> Path:
    data = yaml.safe_load(BACKTEST_EXAMPLE.read_text())
    data["backtest"]["start_date"] = "2023-01-02"
    data["backtest"]["end_date"] = "2023-01-06"
    data["backtest"]["output_dir"] = str(tmp_path / "out")
    data["logging"]["file"] = str(tmp_path / "logs" / "backtest.log")
    return _write(tmp_path / "backtest.yaml", data)


def test_backtest_prints_results_and_writes_parquet_and_csv(tmp_path, capsys) -> None:
    config = _small_backtest_config(tmp_path)
    assert main(["backtest", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    for metric in (
        "Total return",
        "CAGR",
        "Annualized volatility",
        "Sharpe",
        "Sortino",
        "Max drawdown",
        "Max drawdown duration",
        "Calmar",
        "Trades",
        "Win rate",
        "Profit factor",
        "Turnover",
        "Exposure",
        "Fees paid",
    ):
        assert metric in out
    folder = tmp_path / "out"
    for name in ("orders", "trades", "round_trips", "equity"):
        csv = pd.read_csv(folder / f"{name}.csv")
        parquet = pd.read_parquet(folder / f"{name}.parquet")
        assert len(csv) == len(parquet)
    trades = pd.read_parquet(folder / "trades.parquet")
    assert len(trades) > 0
    assert set(trades.side) <= {"BUY", "SELL"}
    assert (folder / "summary.json").exists()
    assert (tmp_path / "logs" / "backtest.log").exists()


def test_backtest_strategy_and_date_options(tmp_path, capsys) -> None:
    config = _small_backtest_config(tmp_path)
    code = main(
        [
            "backtest",
            "--config",
            str(config),
            "--start",
            "2023-01-03",
            "--end",
            "2023-01-03",
            "--strategies",
            "momentum",
            "--output",
            str(tmp_path / "other"),
        ]
    )
    assert code == 0
    orders = pd.read_csv(tmp_path / "other" / "orders.csv")
    assert set(orders.strategy_id) == {"momentum-001"}
    equity = pd.read_parquet(tmp_path / "other" / "equity.parquet")
    # Bars are stamped at their close: the day's bars close in (Jan 3 00:00, Jan 4 00:00].
    assert equity.timestamp.min() > pd.Timestamp("2023-01-03", tz="UTC")
    assert equity.timestamp.max() == pd.Timestamp("2023-01-04", tz="UTC")
    assert "momentum-001" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["backtest", "--config", "missing.yaml"], "config file: expected an existing YAML file"),
        (["backtest", "--config", "{bad_yaml}"], "valid YAML"),
        (["backtest", "--config", "{unknown_key}"], "risk_management.max_order_qty"),
        (
            ["backtest", "--config", "{good}", "--strategies", "nope"],
            "expected one of * mean_reversion, momentum, *, was 'nope'",
        ),
        (["backtest", "--config", "{good}", "--start", "2023-13-01"], "start_date"),
        (
            ["backtest", "--config", "{good}", "--start", "2023-02-01", "--end", "2023-01-01"],
            "end_date",
        ),
        (["run", "--config", "{unknown_key}"], "known keys"),
        (["run", "--config", "{good}", "--duration", "-1"], "--duration"),
    ],
)
def test_user_mistakes_give_one_clear_line(tmp_path, capsys, args, expected) -> None:
    good = _small_backtest_config(tmp_path)
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("account:\n  starting_cash: [1, 2\n")
    data = yaml.safe_load(good.read_text())
    data["risk_management"]["max_order_qty"] = 5
    unknown_key = _write(tmp_path / "unknown.yaml", data)
    names = {"good": good, "bad_yaml": bad_yaml, "unknown_key": unknown_key}
    argv = [a.format(**names) if a.startswith("{") else a for a in args]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert fnmatch.fnmatch(lines[0], f"*{expected}*"), lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_user_mistake_in_a_subprocess_has_no_traceback(tmp_path) -> None:
    completed = subprocess.run(
        [*MIDFREQ, "backtest", "--config", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.startswith("error: config file")
    assert "Traceback" not in completed.stderr


def test_help_and_strategies_list(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "backtest" in capsys.readouterr().out
    assert main(["strategies"]) == 0
    listed = capsys.readouterr().out
    assert "mean_reversion" in listed
    assert "momentum" in listed


def test_run_stops_cleanly_on_sigint(tmp_path) -> None:
    config = {
        "data_feed": {
            "symbols": ["AAA", "BBB"],
            "update_frequency": 100,
            "synthetic": {"seed": 3, "quotes_per_second": 20.0, "annual_volatility": 1.0},
        },
        "strategies": {
            "resting": {"class": "resting_strategy:RestingLimitStrategy"},
            "momentum": {"fast_period": 3, "slow_period": 8, "order_quantity": 5},
        },
        "logging": {"file": str(tmp_path / "run.log")},
    }
    path = _write(tmp_path / "paper.yaml", config)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    process = subprocess.Popen(
        [*MIDFREQ, "run", "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "paper trading AAA, BBB" in first
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if "open orders 2" in line or ("open orders" in line and "fills 0" not in line):
                break
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "Stopped cleanly. Final summary:" in out
    summary = dict(
        line.split(maxsplit=1) for line in out.split("Final summary:")[1].strip().splitlines()
    )
    assert summary["open_orders"] == "0"
    assert int(summary["cancelled_on_stop"]) >= 2  # the two resting limits
    assert int(summary["market_data"]) > 0
    assert (tmp_path / "run.log").exists()
