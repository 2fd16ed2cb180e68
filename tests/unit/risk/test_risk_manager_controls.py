"""RiskManager controls: drawdown tiers (warn, reduce, halt) acting once per episode and
re-arming at a new peak, a daily loss limit, VaR from sampled marks against an independent
numpy computation, a VaR limit, `check_signal` and the spec's `get_metrics` keys."""

from __future__ import annotations

import numpy as np
import pytest

from midfreq.model.enums import OrderSide, TradingState
from midfreq.model.identifiers import InstrumentId

AAA = InstrumentId("AAA.SIM")
BUY, SELL = OrderSide.BUY, OrderSide.SELL
TIERS = [
    {"drawdown": 0.03, "action": "warn"},
    {"drawdown": 0.05, "action": "reduce", "reduce_fraction": 0.5},
    {"drawdown": 0.08, "action": "halt"},
]


def _walk(h, start: int, moves: list[tuple[float, float]]) -> list[tuple]:
    rows = []
    for m, (o, c) in enumerate(moves, start=start):
        h.bar(m, o, max(o, c), min(o, c), c)
        rm = h.kernel.risk_manager
        rows.append(
            (
                m,
                round(h.kernel.portfolio.equity(), 2),
                h.kernel.portfolio_view.net_quantity(AAA),
                h.kernel.gate.trading_state.value,
                [(b.metric, b.action) for b in rm.breaches],
            )
        )
    return rows


def test_drawdown_tiers_warn_then_reduce_then_halt_and_rearm_at_a_new_peak(make_kernel) -> None:
    # 10,000 cash; buy 500 at 10.00. Equity is recorded when time moves on, so a tier acts
    # before the next bar: its orders fill at that bar's open.
    h = make_kernel(account={"starting_cash": 10_000}, risk_management={"drawdown_tiers": TIERS})
    h.bar(0, 10, 10, 10, 10)
    h.submit(BUY, 500.0)
    rows = _walk(
        h,
        1,
        [
            (10.0, 9.6),  # 5,000 + 500 x 9.6 = 9,800: 2%
            (9.6, 9.2),  # 9,600: 4% -> warn (seen at the next bar)
            (9.2, 8.8),  # 9,400: 6% -> reduce: sell 250 at the next open (8.80)
            (8.8, 7.8),  # cash 7,200 + 250 x 7.8 = 9,150: 8.5% -> halt
            (7.8, 7.0),
        ],
    )
    warn, reduce, halt = ("drawdown", "warn"), ("drawdown", "reduce"), ("drawdown", "halt")
    assert rows == [
        (1, 9_800.0, 500.0, "ACTIVE", []),
        (2, 9_600.0, 500.0, "ACTIVE", []),
        (3, 9_400.0, 500.0, "ACTIVE", [warn]),
        (4, 9_150.0, 250.0, "REDUCING", [warn, reduce]),
        (5, 8_950.0, 250.0, "HALTED", [warn, reduce, halt]),
    ]
    rm = h.kernel.risk_manager
    assert rm.reduce_orders == 1
    assert [b.limit for b in rm.breaches] == [0.03, 0.05, 0.08]

    # Resumed by hand, a rally to a new peak re-arms the tiers; the next fall warns again.
    h.kernel.gate.set_trading_state(TradingState.ACTIVE, "operator")
    rows = _walk(h, 6, [(7.0, 11.6), (11.6, 11.6), (11.6, 10.2), (10.2, 10.2)])
    assert rows[-1][1] == 9_750.0  # 7,200 + 250 x 10.2, 3.5% below the 10,100 peak
    assert [b.action for b in rm.breaches] == ["warn", "reduce", "halt", "warn"]


def test_a_daily_loss_limit_halts_and_the_next_day_starts_afresh(make_kernel) -> None:
    h = make_kernel(
        account={"starting_cash": 10_000},
        risk_management={"daily_loss_limit": 300, "check_interval_seconds": 60},
    )
    h.bar(0, 10, 10, 10, 10)
    h.submit(BUY, 500.0)
    # Closes 9.8, 9.5, 9.3: the day's loss is 100, 250, then 350 (seen on the next minute).
    rows = _walk(h, 1, [(10.0, 9.8), (9.8, 9.5), (9.5, 9.3), (9.3, 9.3)])

    assert [(r[1], r[3]) for r in rows] == [
        (9_900.0, "ACTIVE"),
        (9_750.0, "ACTIVE"),
        (9_650.0, "ACTIVE"),
        (9_650.0, "HALTED"),
    ]
    rm = h.kernel.risk_manager
    (breach,) = rm.breaches
    assert (breach.metric, breach.action, breach.value, breach.limit) == (
        "daily_loss",
        "halt",
        350.0,
        300.0,
    )
    # The next UTC day opens at the current equity: no loss yet, the limit re-arms.
    h.kernel.gate.set_trading_state(TradingState.ACTIVE, "operator")
    h.bar(24 * 60, 9.3, 9.3, 9.3, 9.3)
    assert rm.daily_pnl == 0.0
    h.bar(24 * 60 + 1, 9.3, 9.3, 8.6, 8.6)  # -350 on the new day
    h.bar(24 * 60 + 2, 8.6, 8.6, 8.6, 8.6)
    assert [b.metric for b in rm.breaches] == ["daily_loss", "daily_loss"]
    assert h.kernel.gate.trading_state is TradingState.HALTED


def _var_kernel(make_kernel, **risk):
    h = make_kernel(
        account={"starting_cash": 1_000_000},
        risk_management={"sample_interval_seconds": 60, **risk},
    )
    h.bar(0, 100, 100, 100, 100)
    h.submit(BUY, 1_000.0)
    rng = np.random.default_rng(3)
    closes = 100 * np.cumprod(1 + rng.normal(0, 0.01, 300))
    previous = 100.0
    for m, c in enumerate(closes, start=1):
        h.bar(m, previous, max(previous, c), min(previous, c), float(c))
        previous = float(c)
    return h


def test_var_from_sampled_marks_matches_an_independent_numpy_computation(make_kernel) -> None:
    h = _var_kernel(make_kernel)
    rm = h.kernel.risk_manager
    # The sampler recorded the mark once a minute; rebuild the same returns independently.
    marks = np.array([marks[AAA] for _, marks in rm._history])
    returns = marks[1:] / marks[:-1] - 1
    value = 1_000 * h.kernel.portfolio.mark(AAA)
    losses = -returns * value
    expected_99 = np.quantile(losses, 0.99)
    expected_es = losses[losses >= expected_99].mean()

    result = rm.value_at_risk(0.99)
    metrics = rm.get_metrics()

    assert len(returns) == 250  # var_lookback: the last 250 returns
    assert result is not None
    assert result.var == pytest.approx(expected_99, rel=1e-12)
    assert result.es == pytest.approx(expected_es, rel=1e-12)
    assert metrics["var_99"] == pytest.approx(expected_99, rel=1e-12)
    assert metrics["var_95"] == pytest.approx(np.quantile(losses, 0.95), rel=1e-12)
    assert set(metrics) == {
        "portfolio_value",
        "cash",
        "realized_pnl",
        "unrealized_pnl",
        "max_drawdown",
        "positions",
        "var_95",
        "var_99",
        "sharpe_ratio",
    }
    assert metrics["positions"] == {"AAA.SIM": 1_000.0}
    # Parametric VaR from the same returns: z(0.99) x sigma x value.
    parametric = rm.value_at_risk(0.99, method="parametric")
    assert parametric is not None
    assert parametric.var == pytest.approx(2.3263478740 * np.std(returns, ddof=1) * value, rel=1e-6)


def test_var_is_none_until_the_history_is_long_enough(make_kernel) -> None:
    h = make_kernel(risk_management={"sample_interval_seconds": 60})
    h.bar(0, 100, 100, 100, 100)
    h.submit(BUY, 10.0)
    for m in range(1, 50):
        h.bar(m, 100, 100, 100, 100 + m % 3)
    metrics = h.kernel.risk_manager.get_metrics()
    assert metrics["var_95"] is not None  # 20 scenarios needed at 95%
    assert metrics["var_99"] is None  # 100 needed at 99%


def test_a_var_limit_reduces_positions_when_breached(make_kernel) -> None:
    h = _var_kernel(make_kernel, max_var=1_500, max_var_confidence=0.95, max_var_action="reduce")
    rm = h.kernel.risk_manager

    (breach,) = rm.breaches
    assert (breach.metric, breach.action, breach.limit) == ("var", "reduce", 1_500)
    assert breach.value >= 1_500
    assert h.kernel.portfolio_view.net_quantity(AAA) == 500.0  # half closed
    result = rm.value_at_risk(0.95)
    assert result is not None and result.var < 1_500  # the smaller book is inside the limit


def test_check_signal_follows_the_trading_state(make_kernel) -> None:
    h = make_kernel()
    h.bar(0, 10, 10, 10, 10)
    h.submit(BUY, 100.0)
    h.bar(1, 10, 10, 10, 10)
    rm = h.kernel.risk_manager

    assert rm.check_signal(1.0) and rm.check_signal({"symbol": "AAA.SIM", "side": "SELL"})
    h.kernel.gate.set_trading_state(TradingState.REDUCING, "test")
    assert not rm.check_signal({"symbol": "AAA.SIM", "side": "BUY"})
    assert rm.check_signal({"symbol": "AAA.SIM", "signal": -2.0})
    assert not rm.check_signal(-1.0)  # no symbol: cannot tell that it reduces
    h.kernel.gate.set_trading_state(TradingState.HALTED, "test")
    assert not rm.check_signal({"symbol": "AAA.SIM", "side": "SELL"})
