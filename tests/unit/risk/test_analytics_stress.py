"""Stress tests (midfreq.risk.analytics.stress): hypothetical shocks and historical replays,
checked against hand-computed P&L and brute-force searches."""

from __future__ import annotations

import datetime as dt
import doctest
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from midfreq.risk.analytics import stress as stress_module
from midfreq.risk.analytics.stress import (
    HISTORICAL_EPISODES,
    apply_shock,
    correlation_shock,
    historical_window,
    instrument_gap,
    market_shock,
    replay_episode,
    volatility_shock,
    worst_window,
)

LABELS = ("AAA.SIM", "BBB.SIM", "ES.SIM")
VALUES = np.array([100_000.0, -40_000.0, 250_000.0])


def test_docstring_examples_run() -> None:
    result = doctest.testmod(stress_module)
    assert result.attempted > 0
    assert result.failed == 0


def test_market_shock_moves_each_position_by_its_beta() -> None:
    result = market_shock(VALUES, [1.2, 0.8, 1.0], -0.10, labels=LABELS)
    # 100k x 1.2 x -10% = -12,000; -40k x 0.8 x -10% = +3,200; 250k x -10% = -25,000
    assert result.pnl.tolist() == pytest.approx([-12_000.0, 3_200.0, -25_000.0])
    assert result.total_pnl == pytest.approx(-33_800.0)
    assert result.pnl_by_label() == pytest.approx(
        {"AAA.SIM": -12_000.0, "BBB.SIM": 3_200.0, "ES.SIM": -25_000.0}
    )
    assert result.name == "market -10.0%"
    assert result.to_dict()["total_pnl"] == pytest.approx(-33_800.0)


def test_instrument_gap_by_label_and_by_index() -> None:
    by_label = instrument_gap(VALUES, "BBB.SIM", 0.35, labels=LABELS)
    assert by_label.pnl.tolist() == pytest.approx([0.0, -14_000.0, 0.0])  # short squeezed
    assert by_label.name == "BBB.SIM gaps +35.0%"
    by_index = instrument_gap(VALUES, 0, -0.5)
    assert by_index.total_pnl == pytest.approx(-50_000.0)
    assert by_index.pnl_by_label() == pytest.approx({"0": -50_000.0, "1": 0.0, "2": 0.0})
    with pytest.raises(ValueError, match="labels"):
        instrument_gap(VALUES, "ZZZ.SIM", 0.1, labels=LABELS)
    with pytest.raises(ValueError, match="index"):
        instrument_gap(VALUES, 3, 0.1)


def test_apply_shock_checks_sizes() -> None:
    with pytest.raises(ValueError, match="elements"):
        apply_shock(VALUES, [0.1, 0.2])
    with pytest.raises(ValueError, match="labels"):
        apply_shock(VALUES, [0.1, 0.2, 0.3], labels=["A"])


def _history() -> tuple[np.ndarray, pd.DatetimeIndex]:
    dates = pd.bdate_range("2020-01-02", "2020-06-30")
    rng = np.random.default_rng(0)
    returns = rng.normal(0.0, 0.01, size=(dates.size, 3))
    return returns, dates


def test_historical_window_by_dates_compounds_the_rows_inside() -> None:
    returns, dates = _history()
    result = historical_window(
        VALUES, returns, "2020-03-09", "2020-03-13", dates=dates, labels=LABELS
    )
    rows = (dates >= "2020-03-09") & (dates <= "2020-03-13")
    assert rows.sum() == 5
    compounded = np.prod(1 + returns[rows], axis=0) - 1
    np.testing.assert_allclose(result.returns, compounded)
    np.testing.assert_allclose(result.pnl, VALUES * compounded)
    first = int(np.flatnonzero(rows)[0])
    assert result.window == (first, first + 4)
    assert result.period == ("2020-03-09", "2020-03-13")
    # datetime.date, numpy day and integer-nanosecond dates select the same rows
    for start, end in [
        (dt.date(2020, 3, 9), dt.date(2020, 3, 13)),
        (np.datetime64("2020-03-09"), np.datetime64("2020-03-13")),
    ]:
        again = historical_window(VALUES, returns, start, end, dates=dates)
        assert again.window == result.window
    nanos = dates.asi8
    again = historical_window(
        VALUES, returns, int(nanos[first]), int(nanos[first + 4]), dates=nanos
    )
    assert again.window == result.window


def test_a_bare_end_date_covers_that_whole_day() -> None:
    returns, dates = _history()
    closes = dates + pd.Timedelta(hours=21)  # returns stamped at the close, 21:00 UTC
    by_day = historical_window(VALUES, returns, "2020-03-09", "2020-03-13", dates=closes)
    assert by_day.window is not None and by_day.window[1] - by_day.window[0] == 4
    to_noon = historical_window(VALUES, returns, "2020-03-09", "2020-03-13T12:00", dates=closes)
    assert to_noon.window == (by_day.window[0], by_day.window[1] - 1)
    # a tz-aware index is compared in UTC: 16:00 New York is 21:00 UTC the same day
    new_york = dates.tz_localize("America/New_York") + pd.Timedelta(hours=16)
    aware = historical_window(VALUES, returns, "2020-03-09", "2020-03-13", dates=new_york)
    assert aware.window == by_day.window


def test_historical_window_by_rows_and_errors() -> None:
    returns, dates = _history()
    result = historical_window(VALUES, returns, 2, 3)
    expected = (1 + returns[2]) * (1 + returns[3]) - 1
    np.testing.assert_allclose(result.returns, expected)
    assert result.period is None
    with pytest.raises(ValueError, match="row indices"):
        historical_window(VALUES, returns, "2020-03-09", "2020-03-13")
    with pytest.raises(ValueError, match="covered"):
        historical_window(VALUES, returns, "2019-01-01", "2019-02-01", dates=dates)
    with pytest.raises(ValueError, match="date"):
        historical_window(VALUES, returns, "not a date", "2020-03-13", dates=dates)
    with pytest.raises(ValueError, match="one per row"):
        historical_window(VALUES, returns, "2020-03-09", "2020-03-13", dates=dates[:-1])


def test_missing_returns_in_a_window_count_as_no_change_and_are_reported() -> None:
    returns, _ = _history()
    returns[10, 1] = np.nan
    returns[11, 2] = np.nan
    values = VALUES.copy()
    values[2] = 0.0  # a flat position's gap is not worth reporting
    result = historical_window(values, returns, 9, 12)
    assert result.incomplete == (1,)
    expected = np.prod(1 + np.nan_to_num(returns[9:13, 1]))
    assert result.returns[1] == pytest.approx(expected - 1)


def test_replay_episode_uses_the_named_range() -> None:
    returns, dates = _history()
    result = replay_episode(VALUES, returns, dates, "covid_crash_2020", labels=LABELS)
    start, end = HISTORICAL_EPISODES["covid_crash_2020"]
    assert result.period == (start, end)  # both are business days
    rows = (dates >= start) & (dates <= end)
    np.testing.assert_allclose(result.returns, np.prod(1 + returns[rows], axis=0) - 1)
    assert result.name == "covid_crash_2020"
    with pytest.raises(ValueError, match="episode"):
        replay_episode(VALUES, returns, dates, "no_such_crisis")
    with pytest.raises(ValueError, match="covered"):
        replay_episode(VALUES, returns, dates, "lehman_2008")


def test_worst_window_finds_the_planted_crash_and_agrees_with_brute_force() -> None:
    returns, dates = _history()
    returns[60:65] = [-0.03, 0.01, -0.02]  # long AAA and ES lose, the BBB short loses too
    result = worst_window(VALUES, returns, 5, dates=dates, labels=LABELS)
    pnl = [(np.prod(1 + returns[k : k + 5], axis=0) - 1) @ VALUES for k in range(dates.size - 4)]
    best = int(np.argmin(pnl))
    assert result.window == (best, best + 4)
    assert 56 <= best <= 60
    assert result.total_pnl == pytest.approx(min(pnl))
    assert result.period == (str(dates[best].date()), str(dates[best + 4].date()))


def test_volatility_shock_doubles_var() -> None:
    covariance = np.array([[4e-4, 1e-4, 0], [1e-4, 2.25e-4, 0], [0, 0, 1e-4]])
    result = volatility_shock(VALUES, covariance, 2.0, 0.99, 1)
    assert result.stressed.var == pytest.approx(2 * result.base.var)
    assert result.stressed.es == pytest.approx(2 * result.base.es)
    assert result.var_change == pytest.approx(result.base.var)
    assert result.es_change == pytest.approx(result.base.es)
    assert result.name == "volatility x2"


def test_correlation_shock_removes_diversification() -> None:
    volatility = np.array([0.02, 0.015, 0.01])
    correlation = np.array([[1.0, 0.2, -0.1], [0.2, 1.0, 0.0], [-0.1, 0.0, 1.0]])
    covariance = correlation * np.outer(volatility, volatility)
    long_only = np.abs(VALUES)
    result = correlation_shock(long_only, covariance)
    z = stats.norm.ppf(0.99)
    # perfectly correlated: the book's sigma is the sum of the positions' sigmas
    assert result.stressed.var == pytest.approx(z * float(long_only @ volatility))
    assert result.var_change > 0
    # a long/short pair with equal volatility is perfectly hedged at correlation 1
    hedged = correlation_shock([1e6, -1e6], np.diag([1e-4, 1e-4]))
    assert hedged.stressed.var == pytest.approx(0.0, abs=1e-6)
    assert hedged.base.var == pytest.approx(z * math.sqrt(2) * 1e6 * 0.01)
    with pytest.raises(ValueError, match="correlation"):
        correlation_shock(VALUES, covariance, correlation=1.5)
