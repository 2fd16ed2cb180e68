"""RiskManager reports on the live book: standard stress scenarios (hand-computed P&L), a beta
hedge against an index from the sampled marks (against numpy's regression), and exposures."""

from __future__ import annotations

from math import erf, log, sqrt

import numpy as np
import pytest

from midfreq.model.data import Bar
from midfreq.model.enums import OrderSide
from midfreq.model.identifiers import InstrumentId

AAA, IDX = InstrumentId("AAA.SIM"), InstrumentId("IDX.SIM")
T0 = 1_704_205_800 * 10**9
MIN = 60 * 10**9


def _book(make_kernel, bars: int = 60):
    h = make_kernel(
        data_feed={"symbols": ["AAA", "IDX"]},
        account={"starting_cash": 1_000_000},
        risk_management={"sample_interval_seconds": 60},
    )
    rng = np.random.default_rng(8)
    index = 100 * np.cumprod(1 + rng.normal(0, 0.01, bars))
    stock = 50 * np.cumprod(
        1 + 1.5 * (index / np.r_[100, index[:-1]] - 1) + rng.normal(0, 0.002, bars)
    )
    for m in range(bars):
        ts = T0 + m * MIN
        for iid, px in ((AAA, stock[m]), (IDX, index[m])):
            h.kernel.process_bar(Bar(iid, px, px, px, px, 1e6, ts, ts))
        if m == 0:
            h.submit(OrderSide.BUY, 1_000.0)  # AAA
    return h, stock, index


def test_stress_scenarios_on_the_live_book(make_kernel) -> None:
    h, stock, _ = _book(make_kernel)
    rm = h.kernel.risk_manager
    value = 1_000 * stock[-1]

    report = rm.stress_tests(market_return=-0.10, gap=-0.25)

    assert report["market"].total_pnl == pytest.approx(-0.10 * value)
    assert report["gaps"]["AAA.SIM"].total_pnl == pytest.approx(-0.25 * value)
    worst = report["worst_window"]
    marks = np.array([m[AAA] for _, m in rm._history])
    assert worst.total_pnl == pytest.approx(value * (marks[1:] / marks[:-1] - 1).min())
    assert report["volatility_x2"].stressed.var == pytest.approx(
        2 * report["volatility_x2"].base.var
    )


def test_beta_hedge_against_an_index_matches_a_numpy_regression(make_kernel) -> None:
    h, stock, index = _book(make_kernel)
    rm = h.kernel.risk_manager
    marks = list(rm._history)
    s = np.array([m[AAA] for _, m in marks])
    x = np.array([m[IDX] for _, m in marks])
    rs, rx = s[1:] / s[:-1] - 1, x[1:] / x[:-1] - 1
    beta = np.polyfit(rx, rs, 1)[0]

    hedge = rm.beta_hedge(IDX)

    assert hedge is not None
    assert beta == pytest.approx(1.5, abs=0.1)
    assert hedge.quantity == round(-beta * 1_000 * stock[-1] / index[-1])
    assert hedge.side is OrderSide.SELL


def test_exposures_of_the_live_book(make_kernel) -> None:
    h, stock, _ = _book(make_kernel, bars=5)
    report = h.kernel.risk_manager.exposures()
    assert report.gross == pytest.approx(1_000 * stock[-1])
    assert report.net == report.long == report.gross and report.short == 0
    assert report.gross_leverage == pytest.approx(report.gross / h.kernel.portfolio.equity())


def test_exposures_by_sector_from_the_config(make_kernel) -> None:
    h = make_kernel(
        data_feed={"symbols": ["AAA", "IDX"]},
        risk_management={"sectors": {"AAA": "technology"}},
    )
    for m, px in enumerate((50.0, 50.0)):
        ts = T0 + m * MIN
        h.kernel.process_bar(Bar(AAA, px, px, px, px, 1e6, ts, ts))
        if m == 0:
            h.submit(OrderSide.BUY, 100.0)
    report = h.kernel.risk_manager.exposures()
    assert set(report.by_sector) == {"technology"}
    assert report.by_sector["technology"].gross == pytest.approx(5_000.0)


def test_delta_hedge_of_an_options_position_matches_black_scholes(make_kernel) -> None:
    h = make_kernel(
        data_feed={"symbols": ["AAA", "AAAC"]},
        instruments=[
            {"symbol": "AAA"},
            {
                "symbol": "AAAC",
                "asset_class": "option",
                "underlying": "AAA",
                "expiry": "2025-01-02",
                "strike": 100.0,
                "right": "call",
                "multiplier": 100,
            },
        ],
    )
    option = InstrumentId("AAAC.SIM")
    for m in range(2):
        ts = T0 + m * MIN
        h.kernel.process_bar(Bar(AAA, 100.0, 100.0, 100.0, 100.0, 1e6, ts, ts))
        h.kernel.process_bar(Bar(option, 8.0, 8.0, 8.0, 8.0, 1e6, ts, ts))
        if m == 0:
            h.strategy.submit_order(h.strategy.make_order(option, OrderSide.BUY, 10.0))

    hedge = h.kernel.risk_manager.delta_hedge(AAA, volatility=0.2)

    t = (1_735_776_000 * 10**9 - (T0 + MIN)) / (365 * 86_400 * 10**9)  # ACT/365 to expiry
    d1 = (log(100 / 100) + 0.5 * 0.2**2 * t) / (0.2 * sqrt(t))
    delta = 0.5 * (1 + erf(d1 / sqrt(2)))
    assert hedge is not None
    assert hedge.quantity == round(-10 * 100 * delta)
    assert hedge.side is OrderSide.SELL
