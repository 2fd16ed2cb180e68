"""Pair selection for `StatArbStrategy`: on a universe of six synthetic prices where exactly one
pair is cointegrated (``DDD = 1.5 * BBB + 10 + OU noise``), one pair is correlated but drifts
apart, and the rest are independent random walks, the Engle-Granger selection finds exactly
``DDD/BBB`` with ``beta`` near 1.5, both as a function and inside a running strategy."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from statsmodels.tsa.stattools import coint

from midfreq.model.data import Bar
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.stat_arb import (
    PairStatus,
    StatArbStrategy,
    engle_granger,
    half_life,
    select_pairs,
)
from midfreq.strategies.stat_arb import selection as selection_module
from midfreq.strategies.stat_arb.selection import return_correlation

SYMBOLS = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF")
HALF_LIFE = 8.0  # bars, of the OU noise in DDD


def ou(rng: np.random.Generator, n: int, half_life_bars: float, sd: float) -> np.ndarray:
    """An Ornstein-Uhlenbeck (AR(1)) path from 0 with stationary standard deviation ``sd``."""
    phi = 0.5 ** (1.0 / half_life_bars)
    shocks = rng.normal(0.0, sd * math.sqrt(1.0 - phi * phi), n)
    path = np.zeros(n)
    for t in range(1, n):
        path[t] = phi * path[t - 1] + shocks[t]
    return path


def universe(seed: int = 3, n: int = 500) -> dict[str, np.ndarray]:
    """Six random walks near 50 (steps of 0.3), then ``DDD = 1.5 BBB + 10 + OU`` (cointegrated)
    and ``FFF = EEE + 20 + a random walk`` (return correlation ~0.83, not cointegrated)."""
    rng = np.random.default_rng(seed)
    closes = {s: 50.0 + np.cumsum(rng.normal(0.0, 0.3, n)) for s in SYMBOLS}
    closes["DDD"] = 1.5 * closes["BBB"] + 10.0 + ou(rng, n, HALF_LIFE, 0.5)
    closes["FFF"] = closes["EEE"] + 20.0 + np.cumsum(rng.normal(0.0, 0.2, n))
    return closes


def test_selects_exactly_the_cointegrated_pair_with_beta_near_the_truth():
    closes = universe()
    chosen = select_pairs(closes, min_correlation=0.3, max_pvalue=0.05)
    assert [(p.y, p.x) for p in chosen] == [("DDD", "BBB")]
    (pair,) = chosen
    assert pair.test.beta == pytest.approx(1.5, abs=0.1)
    assert pair.test.beta == pytest.approx(np.polyfit(closes["BBB"], closes["DDD"], 1)[0])
    assert pair.test.pvalue < 1e-3
    assert pair.test.pvalue == pytest.approx(coint(closes["DDD"], closes["BBB"])[1], rel=1e-9)
    assert pair.test.half_life == pytest.approx(HALF_LIFE, rel=0.4)
    assert pair.correlation > 0.85


def test_the_correlated_pair_fails_only_for_want_of_cointegration():
    closes = universe()
    assert return_correlation(closes["FFF"], closes["EEE"]) > 0.8
    # With the test switched off (p <= 1), it is chosen second, with a p-value far above 0.05.
    chosen = select_pairs(closes, min_correlation=0.3, max_pvalue=1.0)
    assert len(chosen) == 2 and {chosen[1].y, chosen[1].x} == {"EEE", "FFF"}
    assert chosen[1].test.pvalue > 0.5
    # Independent walks are not even tested: their returns are uncorrelated.
    assert all(return_correlation(closes["AAA"], closes[s]) < 0.3 for s in ("BBB", "CCC"))


def test_every_pair_tested_without_the_correlation_filter_still_finds_one():
    chosen = select_pairs(universe(), min_correlation=-1.0, max_pvalue=0.01)
    assert [(p.y, p.x) for p in chosen] == [("DDD", "BBB")]


def test_each_symbol_in_one_pair_best_p_value_first_and_at_most_max_pairs():
    closes = universe()
    rng = np.random.default_rng(11)
    # CCC and DDD both cointegrated with BBB; CCC's tie is looser (more noise).
    closes["CCC"] = 2.0 * closes["BBB"] + ou(rng, 500, 20.0, 1.5)
    tests = {s: engle_granger(closes[s], closes["BBB"]) for s in ("CCC", "DDD")}
    assert tests["DDD"].pvalue < tests["CCC"].pvalue < 0.05
    chosen = select_pairs(closes, min_correlation=0.3, max_pvalue=0.05)
    # CCC and DDD are cointegrated with each other too (both follow BBB): the best pair wins
    # and BBB, DDD are then used up.
    best = min(
        (engle_granger(closes[a], closes[b]).pvalue, (a, b))
        for a, b in (("DDD", "BBB"), ("CCC", "BBB"), ("CCC", "DDD"))
    )
    # The third of BBB, CCC, DDD has no partner left (EEE/FFF fail, AAA is independent).
    assert [(p.y, p.x) for p in chosen] == [best[1]]
    assert len(select_pairs(closes, min_correlation=0.3, max_pvalue=1.0, max_pairs=1)) == 1


def test_half_life_of_a_long_ar1_path_and_of_a_random_walk():
    rng = np.random.default_rng(5)
    assert half_life(ou(rng, 20_000, 8.0, 1.0)) == pytest.approx(8.0, rel=0.1)
    assert half_life(np.cumsum(rng.normal(size=20_000))) > 200
    assert half_life([1.0, 2.0, 4.0, 8.0]) == math.inf  # diverging
    assert half_life([1.0, -1.0, 1.0, -1.0]) == 0.0  # overshoots every bar


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="expected two 1-D series of one length >= 20"):
        engle_granger(np.ones(30), np.ones(29))
    with pytest.raises(ValueError, match="expected 1-D series of one length >= 20"):
        select_pairs({"A": np.ones(10), "B": np.ones(10)})


def test_doctests_run():
    import doctest

    assert doctest.testmod(selection_module).failed == 0


# ---- inside the strategy ---------------------------------------------------------------------
def _run(make_market: Any, closes: dict[str, np.ndarray], **config: Any) -> StatArbStrategy:
    market = make_market(SYMBOLS)
    settings = {
        "strategy_id": "sa-sel",
        "symbols": list(SYMBOLS),
        "formation_period": 300,
        "retest_period": 50,
        "min_correlation": 0.3,
        "max_pvalue": 0.05,
        "adf_max_lag": 2,
        "hedge_lookback": 100,
        "lookback_period": 20,
    }
    strategy = StatArbStrategy({**settings, **config})
    market.start(strategy)
    for i in range(len(closes["AAA"])):
        ts = market.ts(i)
        for symbol in SYMBOLS:
            close = round(float(closes[symbol][i]), 2)
            market.kernel.process_bar(
                Bar(InstrumentId(f"{symbol}.SIM"), close, close, close, close, 1e6, ts, ts)
            )
    return strategy


@pytest.mark.parametrize("method", ["ols", "kalman"])
def test_the_strategy_selects_the_pair_after_the_formation_period(make_market, method):
    closes = universe(n=400)
    strategy = _run(make_market, closes, hedge_ratio=method, hedge_lookback=300)
    assert [(p.y.symbol, p.x.symbol) for p in strategy.pairs] == [("DDD", "BBB")]
    pair = strategy.pairs[0]
    # Selected on bar 299 (the 300th) and warmed up on that window; re-tested at 349 and 399.
    assert [(ts, status) for ts, status, _ in pair.status_changes] == [
        (make_market.ts(299), PairStatus.ACTIVE)
    ]
    assert pair.steps == 400 and pair.tested_step == 400
    assert pair.test is not None and pair.test.pvalue < 0.01
    assert pair.test.beta == pytest.approx(1.5, abs=0.05)
    if method == "ols":  # the same 300 bars as the last test's regression
        assert pair.hedge.beta == pytest.approx(pair.test.beta, rel=1e-9)
    assert pair.hedge.beta == pytest.approx(1.5, abs=0.05)
    assert strategy.pair("DDD", "BBB") is pair and strategy.pair("BBB", "DDD") is None
    assert strategy.status()["pairs"][0]["pair"] == "DDD/BBB"


def test_the_strategy_selects_nothing_from_independent_walks(make_market):
    rng = np.random.default_rng(8)
    closes = {s: 50.0 + np.cumsum(rng.normal(0.0, 0.3, 400)) for s in SYMBOLS}
    strategy = _run(make_market, closes)
    assert strategy.pairs == []
