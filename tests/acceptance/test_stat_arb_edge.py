"""Evidence for `StatArbStrategy`: it profits on a cointegrated pair net of costs, stops trading a
pair whose cointegration breaks, and stays (nearly) flat on two independent random walks, where
the same strategy with its cointegration tests switched off loses.

Backtests run through `BacktestEngine` on two instruments, 6,000 fifteen-minute bars (62.5
days), with a $0.005 per-share fee ($1 minimum per order) and 2 bps of slippage, market orders
filling at the next bar's open. Prices are simulated in half-bar steps (a bar opens half a bar
after the previous close), so a fill carries half a bar of spread movement after the signal:
``x`` is a random walk from 50 (0.3 a bar), ``y = 1.5 x + 10 + s`` with ``s`` an
Ornstein-Uhlenbeck spread (half-life 8 bars, standard deviation 0.50); in the break scenario
``s`` turns into a random walk with the same shocks at bar 3,000; in the null scenario ``y`` is
an independent random walk from 85 (0.45 a bar).

The strategy trades ``[YYY, XXX]`` with 100 of ``y`` against ``round(beta * 100)`` of ``x``:
entry at |z| 2, exit at 0.5, stop at 4 (z over 30 bars), hedge by rolling OLS over 200 bars or
a Kalman filter; it needs the Engle-Granger test over the last 500 bars to give p <= 0.01 and
half-life <= 25 bars to trade, re-tests every 50 bars and suspends the pair at p > 0.10 or
half-life > 25.

Seed 42 was fixed before any result was seen; pinned figures allow 10% for changes in the venue
models, the signs and bounds are the claim. Over seeds 1-10 of the same processes:

- cointegrated: OLS hedge +2,526 to +5,468 net (median +3,420, Sharpe 8.0 to 15.2, 350-390
  round trips, about $700 of fees); Kalman hedge +328 to +5,678 (median +2,665, Sharpe 1.2 to
  11.2). No pair was ever suspended.
- break: suspended 49 to 499 bars after the break (one 500-bar window at most), never resumed;
  6 to 58 orders after the break against 330 to 388 with the tests off, and -236 to +190 of
  P&L after the break against -2,467 to +740 (negative on 9 of 10 seeds).
- independent: no trade on any seed. With the tests off: 320-370 round trips, -5,946 to
  +3,243 (median -2,204, a loss on 7 of 10 seeds): chance, minus about $700 of fees.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from midfreq.backtest.engine import BacktestEngine
from midfreq.backtest.results import BacktestResult
from midfreq.data.bars import BarArrays
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.stat_arb import StatArbStrategy
from midfreq.system.config import parse_system_config

FloatArray = npt.NDArray[np.float64]

SEED = 42
BARS = 6_000
BREAK = 3_000
T0 = 1_704_067_200 * 10**9  # 2024-01-01 00:00 UTC
STEP = 15 * 60 * 10**9
START_CASH = 100_000.0
STRATEGY: dict[str, Any] = {
    "class": "midfreq.strategies.stat_arb:StatArbStrategy",
    "pairs": [["YYY", "XXX"]],
    "formation_period": 500,
    "retest_period": 50,
    "max_pvalue": 0.01,
    "break_pvalue": 0.10,
    "max_half_life": 25,
    "adf_max_lag": 2,
    "hedge_lookback": 200,
    "lookback_period": 30,
    "entry_z": 2.0,
    "exit_z": 0.5,
    "stop_z": 4.0,
    "order_quantity": 100,
    "leg_timeout_seconds": 3_600,
}
TESTS_OFF = {"max_pvalue": 1.0, "break_pvalue": 1.0, "max_half_life": None}


def prices(
    seed: int = SEED, scenario: str = "cointegrated", bars: int = BARS
) -> tuple[FloatArray, FloatArray]:
    """``(y, x)`` at every half-bar step (``2 * bars + 1`` values) of ``scenario``:
    ``cointegrated``, ``break`` (the spread a random walk from bar `BREAK`) or ``independent``."""
    rng = np.random.default_rng(seed)
    steps = 2 * bars + 1
    x = 50.0 + np.cumsum(rng.normal(0.0, 0.3 / math.sqrt(2.0), steps))
    phi = 0.5 ** (1.0 / 16.0)  # half-life 8 bars = 16 half-bar steps
    shocks = rng.normal(0.0, 0.5 * math.sqrt(1.0 - phi * phi), steps)
    spread = np.zeros(steps)
    for t in range(1, steps):
        persistence = 1.0 if scenario == "break" and t >= 2 * BREAK else phi
        spread[t] = persistence * spread[t - 1] + shocks[t]
    y = 1.5 * x + 10.0 + spread
    if scenario == "independent":
        y = 85.0 + np.cumsum(rng.normal(0.0, 0.45 / math.sqrt(2.0), steps))
    return y, x


def bars_of(symbol: str, path: FloatArray) -> BarArrays:
    """Bar ``i`` opens at half-step ``2i + 1`` and closes at ``2i + 2``, to the cent."""
    opens = np.round(path[1:-1:2], 2)
    closes = np.round(path[2::2], 2)
    n = len(closes)
    return BarArrays(
        InstrumentId(f"{symbol}.SIM"),
        T0 + STEP * np.arange(1, n + 1),
        opens,
        np.maximum(opens, closes),
        np.minimum(opens, closes),
        closes,
        np.full(n, 1_000_000.0),
    )


def backtest(
    scenario: str, seed: int = SEED, **settings: Any
) -> tuple[BacktestResult, StatArbStrategy]:
    config = {
        "account": {"starting_cash": START_CASH},
        "data_feed": {"symbols": ["YYY", "XXX"]},
        "strategies": {"stat_arb": {**STRATEGY, **settings}},
        "venue": {
            "market_fill": "next_open",
            "fees": {"model": "per_share", "rate": 0.005, "minimum": 1.0},
            "slippage_bps": 2.0,
        },
        "logging": {"file": None},
    }
    engine = BacktestEngine(parse_system_config(config))
    y, x = prices(seed, scenario)
    result = engine.run_backtest(bars=[bars_of("YYY", y), bars_of("XXX", x)])
    assert engine.kernel is not None
    (strategy,) = engine.kernel.strategies
    assert isinstance(strategy, StatArbStrategy)
    return result, strategy


def net_pnl(result: BacktestResult) -> float:
    return float(result.equity[-1] - START_CASH)


def bar_of(ts: Any) -> npt.NDArray[np.int64]:
    """Bar index of timestamps (bar ``i`` closes at ``T0 + (i + 1) * STEP``)."""
    return (np.asarray(ts, dtype=np.int64) - T0) // STEP - 1


def pnl_after(result: BacktestResult, bar: int) -> float:
    """Equity change from the close of ``bar`` to the end."""
    index = bar_of(result.equity_ts)
    at = result.equity[np.searchsorted(index, bar, side="right") - 1]
    return float(result.equity[-1] - at)


def figures(result: BacktestResult, strategy: StatArbStrategy) -> dict[str, Any]:
    pair = strategy.pairs[0]
    orders = bar_of(result.orders.ts_init)
    return {
        "net_pnl": round(net_pnl(result), 2),
        "sharpe": round(result.stats.sharpe, 2),
        "round_trips": result.stats.trade_count,
        "fees": round(result.stats.fees_paid, 2),
        "orders": len(orders),
        "entries": pair.entries,
        "stops": pair.stops,
        "statuses": [(int(bar_of(ts)), s.value) for ts, s, _ in pair.status_changes],
        "orders_after_break": int((orders >= BREAK).sum()),
        "pnl_after_break": round(pnl_after(result, BREAK), 2),
    }


# ---- the edge ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "pinned_pnl", "pinned_round_trips"),
    [("ols", 3_265.92, 352), ("kalman", 2_860.60, 350)],
)
def test_profits_on_a_cointegrated_pair_net_of_costs(method, pinned_pnl, pinned_round_trips):
    result, strategy = backtest("cointegrated", hedge_ratio=method)
    found = figures(result, strategy)
    print(method, found)
    assert found["statuses"] == [(499, "ACTIVE")]  # passed on its first window, never broke
    assert strategy.pairs[0].leg_failures == 0
    assert found["net_pnl"] > 1_500
    assert found["sharpe"] > 3.0
    assert found["fees"] < 0.5 * found["net_pnl"]
    assert found["round_trips"] > 100
    assert found["net_pnl"] == pytest.approx(pinned_pnl, rel=0.1)
    assert found["round_trips"] == pytest.approx(pinned_round_trips, rel=0.1)
    # Whatever is open at the end is a hedged pair (counted in net P&L at the last closes).
    held_y, held_x = strategy.position("YYY"), strategy.position("XXX")
    assert held_y in (-100.0, 0.0, 100.0)
    assert held_x * held_y < 0 or held_x == held_y == 0


def test_the_backtest_is_identical_when_run_twice():
    first, _ = backtest("cointegrated")
    second, _ = backtest("cointegrated")
    assert first.fills.equals(second.fills)
    assert first.orders.equals(second.orders)
    assert np.array_equal(first.equity, second.equity)


# ---- a break -----------------------------------------------------------------------------------
def test_stops_trading_the_pair_when_its_cointegration_breaks():
    result, strategy = backtest("break")
    found = figures(result, strategy)
    print("break", found)
    statuses = found["statuses"]
    assert statuses[0] == (499, "ACTIVE")
    detected, status = statuses[1]
    assert status == "SUSPENDED"
    assert BREAK < detected <= BREAK + 500  # within one test window
    # No order while suspended (a close-out on the bar of the suspension itself is allowed).
    orders = bar_of(result.orders.ts_init)
    active = [
        (start, end)
        for (start, s), (end, _) in zip(statuses, [*statuses[1:], (BARS, "")], strict=True)
        if s == "ACTIVE"
    ]
    assert all(any(a <= bar <= b for a, b in active) for bar in orders)
    assert strategy.position("YYY") == strategy.position("XXX") == 0
    # The same strategy with the tests off trades the random-walk spread to the end.
    blind, blind_strategy = backtest("break", **TESTS_OFF)
    blind_found = figures(blind, blind_strategy)
    print("break, tests off", blind_found)
    assert blind_found["orders_after_break"] > 200
    assert bar_of(blind.orders.ts_init).max() > BARS - 100
    assert found["orders_after_break"] < 0.15 * blind_found["orders_after_break"]
    # Pinned (seed 42): detected 49 bars after the break; the spread, a random walk by then,
    # hovered near its old level over bars 4,900-5,500 (standard deviation of y - 1.5 x about
    # 0.6, as before the break), passed three re-tests in a row and was traded again from bar
    # 5,399 until suspended again at 5,649.
    assert statuses == [(499, "ACTIVE"), (3049, "SUSPENDED"), (5399, "ACTIVE"), (5649, "SUSPENDED")]
    assert found["orders_after_break"] == pytest.approx(36, abs=4)


# ---- no edge ---------------------------------------------------------------------------------
def test_stays_flat_on_independent_random_walks_where_blind_trading_loses():
    result, strategy = backtest("independent")
    found = figures(result, strategy)
    print("independent", found)
    assert found["statuses"] == [(499, "SUSPENDED")]  # failed its first test, never passed
    assert found["round_trips"] == 0 and found["net_pnl"] == 0.0
    blind, blind_strategy = backtest("independent", **TESTS_OFF)
    blind_found = figures(blind, blind_strategy)
    print("independent, tests off", blind_found)
    assert blind_found["round_trips"] > 200
    assert blind_found["fees"] > 600
    assert blind_found["net_pnl"] < 0
    assert blind_found["net_pnl"] == pytest.approx(-2_408.39, rel=0.1)
