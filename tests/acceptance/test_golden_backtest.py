"""Golden backtest: pinned trades and balances, identical on every run and in another process,
and its ledger re-derived independently from the fills."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import numpy as np
from golden import GOLDEN_CONFIG, digest, run_golden

from midfreq.backtest.engine import BacktestEngine
from midfreq.system.config import parse_system_config

HERE = Path(__file__).parent
GOLDEN_DIGEST = "e632173e98ba44caf73dc854e2ea4079832e7a22ab9831c89a4a6767fc3f8a83"


def test_golden_backtest_pinned_trades_and_balances() -> None:
    result = run_golden()
    assert result.bars_processed == 3 * 864
    assert (len(result.orders), len(result.fills), len(result.round_trips)) == (327, 568, 223)
    portfolio = result.portfolio
    assert portfolio["cash"] == 1_013_775.27
    assert portfolio["realized_pnl"] == -959.49
    assert portfolio["fees"] == 326.0  # a $1 minimum once per filled order
    assert portfolio["unrealized_pnl"] == 84.76
    assert portfolio["equity"] == 998_799.27
    fills = result.fills
    first = fills.iloc[1]
    assert (first.client_order_id, first.side, first.quantity, first.price) == (
        "O-20240304-015500-mean_reversion-001-2",
        "BUY",
        49.0,
        249.61,
    )
    # The 1% volume cap split that order over three bars.
    parts = fills[fills.client_order_id == first.client_order_id]
    assert parts.quantity.tolist() == [49.0, 43.0, 8.0]
    assert parts.commission.tolist() == [1.0, 0.0, 0.0]
    assert digest(result) == GOLDEN_DIGEST


def test_golden_backtest_is_identical_when_run_twice() -> None:
    first, second = run_golden(), run_golden()
    assert first.fills.equals(second.fills)
    assert first.orders.equals(second.orders)
    assert np.array_equal(first.equity, second.equity)
    assert digest(first) == digest(second)


def test_golden_backtest_is_identical_in_another_process() -> None:
    output = subprocess.run(
        [sys.executable, str(HERE / "golden.py")],
        check=True,
        capture_output=True,
        text=True,
        cwd=HERE,
    )
    assert output.stdout.strip() == GOLDEN_DIGEST


def test_golden_ledger_matches_an_independent_recomputation() -> None:
    result = run_golden()
    kernel_portfolio = result.portfolio
    start = Fraction(1_000_000)
    cash = start
    fees = Fraction(0)
    quantity: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    cost: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    realized = Fraction(0)
    for fill in result.fills.itertuples():
        qty = Fraction(str(fill.quantity))
        price = Fraction(str(fill.price))
        fee = Fraction(str(fill.commission))
        signed = qty if fill.side == "BUY" else -qty
        cash -= signed * price + fee
        fees += fee
        key = (fill.strategy_id, fill.instrument_id)
        held = quantity[key]
        if held == 0 or (held > 0) == (signed > 0):
            cost[key] += signed * price
        else:
            closing = min(qty, abs(held))
            removed = cost[key] * closing / abs(held)
            realized += (closing * price if held > 0 else -closing * price) - removed
            cost[key] -= removed
            rest = qty - closing
            if rest:
                cost[key] = (rest if signed > 0 else -rest) * price
        quantity[key] += signed
    assert float(cash) == kernel_portfolio["cash"]
    assert float(fees) == kernel_portfolio["fees"]
    # Average-cost removal is rounded to the nano-unit in the kernel: equal to the cent.
    assert round(float(realized), 2) == kernel_portfolio["realized_pnl"]
    last_closes = _last_closes()
    market_value = Fraction(0)
    unrealized = Fraction(0)
    for (_, instrument_id), held in quantity.items():
        if held:
            mark = Fraction(str(last_closes[instrument_id]))
            market_value += held * mark
            unrealized += held * mark - cost[(_, instrument_id)]
    assert round(float(unrealized), 2) == kernel_portfolio["unrealized_pnl"]
    equity = cash + market_value
    assert round(float(equity), 2) == kernel_portfolio["equity"]
    # The float equity curve ends at the exact equity.
    assert abs(result.equity[-1] - float(equity)) < 1e-6


def _last_closes() -> dict[str, float]:
    engine = BacktestEngine(parse_system_config(GOLDEN_CONFIG))
    settings = engine.config.backtest
    streams = engine.load_bars(settings.start_date, settings.end_date)
    return {str(s.instrument_id): float(s.close[-1]) for s in streams}
