"""Tests of the performance statistics against pandas/numpy references and hand-computed cases."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.portfolio.analytics import PerformanceStats, compute_performance, render_table

DAY_NS = 86_400 * 1_000_000_000
HOUR_NS = 3_600 * 1_000_000_000


def _days(count: int) -> npt.NDArray[np.int64]:
    return np.arange(count, dtype=np.int64) * DAY_NS


@pytest.fixture
def intraday_curve() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Several samples a day at irregular hours over ~90 days, with some days left empty."""
    rng = np.random.default_rng(7)
    days = np.sort(rng.choice(120, size=90, replace=False))
    stamps: list[int] = []
    for day in days:
        hours = np.sort(rng.choice(24, size=int(rng.integers(1, 6)), replace=False))
        stamps.extend(int(day) * DAY_NS + int(hour) * HOUR_NS for hour in hours)
    # Start mid-day on 2024-03-05 so calendar-day bins and sample times differ.
    timestamps = np.array(stamps, dtype=np.int64) + 1_709_640_000 * 1_000_000_000
    steps = rng.normal(0.0003, 0.006, size=timestamps.size)
    equity = 1_000_000.0 * np.cumprod(1.0 + steps).astype(np.float64)
    return timestamps, equity


def _reference_daily_returns(
    timestamps: npt.NDArray[np.int64], equity: npt.NDArray[np.float64]
) -> pd.Series:
    series = pd.Series(equity, index=pd.to_datetime(timestamps, unit="ns", utc=True))
    daily = series.resample("D").last().dropna()
    levels = pd.concat([series.iloc[:1], daily], ignore_index=True)
    return levels.pct_change().dropna()


def _reference_drawdown(
    timestamps: npt.NDArray[np.int64], equity: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """Brute force: every pair for depth, every peak scanned forward for duration."""
    depth = 0.0
    longest = 0
    for i in range(equity.size):
        for j in range(i + 1, equity.size):
            depth = max(depth, (equity[i] - equity[j]) / equity[i])
    for i in range(equity.size - 1):
        is_peak = equity[i] >= equity[: i + 1].max()
        if not is_peak or equity[i + 1] >= equity[i]:
            continue
        end = equity.size - 1
        for k in range(i + 1, equity.size):
            if equity[k] >= equity[i]:
                end = k
                break
        longest = max(longest, int(timestamps[end] - timestamps[i]))
    return depth, longest / DAY_NS


def test_daily_return_statistics_match_pandas_reference(
    intraday_curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]],
) -> None:
    timestamps, equity = intraday_curve
    rf = 0.04
    stats = compute_performance(timestamps, equity, risk_free_rate=rf, periods_per_year=252.0)

    returns = _reference_daily_returns(timestamps, equity)
    excess = returns - rf / 252.0
    assert returns.size == np.unique(timestamps // DAY_NS).size
    expected_vol = returns.std(ddof=1) * math.sqrt(252.0)
    expected_sharpe = excess.mean() / returns.std(ddof=1) * math.sqrt(252.0)
    downside = np.sqrt((excess.clip(upper=0.0) ** 2).mean())
    expected_sortino = excess.mean() / downside * math.sqrt(252.0)
    assert stats.annualized_volatility == pytest.approx(expected_vol, rel=1e-10)
    assert stats.sharpe == pytest.approx(expected_sharpe, rel=1e-10)
    assert stats.sortino == pytest.approx(expected_sortino, rel=1e-10)


def test_level_statistics_match_numpy_reference(
    intraday_curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]],
) -> None:
    timestamps, equity = intraday_curve
    stats = compute_performance(timestamps, equity)

    years = (pd.Timestamp(timestamps[-1]) - pd.Timestamp(timestamps[0])) / pd.Timedelta(days=365.25)
    expected_cagr = (equity[-1] / equity[0]) ** (1.0 / years) - 1.0
    running_max = pd.Series(equity).cummax()
    expected_drawdown = float(((running_max - equity) / running_max).max())
    assert stats.start_equity == equity[0]
    assert stats.end_equity == equity[-1]
    assert stats.total_return == pytest.approx(equity[-1] / equity[0] - 1.0, rel=1e-12)
    assert stats.cagr == pytest.approx(expected_cagr, rel=1e-9)
    assert stats.max_drawdown == pytest.approx(expected_drawdown, rel=1e-12)
    assert stats.calmar == pytest.approx(expected_cagr / expected_drawdown, rel=1e-9)


def test_drawdown_matches_brute_force_on_intraday_curve(
    intraday_curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]],
) -> None:
    timestamps, equity = intraday_curve
    stats = compute_performance(timestamps, equity)

    depth, duration_days = _reference_drawdown(timestamps, equity)
    assert stats.max_drawdown == pytest.approx(depth, rel=1e-12)
    assert stats.max_drawdown_duration_days == pytest.approx(duration_days, rel=1e-12)
    assert duration_days > 0.0


def test_unresampled_returns_are_sample_to_sample(
    intraday_curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]],
) -> None:
    timestamps, equity = intraday_curve
    stats = compute_performance(timestamps, equity, resample=None, periods_per_year=2_000.0)

    returns = pd.Series(equity).pct_change().dropna()
    assert stats.annualized_volatility == pytest.approx(
        np.std(returns.to_numpy(), ddof=1) * math.sqrt(2_000.0), rel=1e-10
    )
    assert stats.sharpe == pytest.approx(
        returns.mean() / returns.std(ddof=1) * math.sqrt(2_000.0), rel=1e-10
    )


def test_weekly_resample_uses_last_equity_of_each_week(
    intraday_curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]],
) -> None:
    timestamps, equity = intraday_curve
    stats = compute_performance(timestamps, equity, resample="W", periods_per_year=52.0)

    series = pd.Series(equity, index=pd.to_datetime(timestamps, unit="ns"))
    weekly = series.resample("W").last().dropna()
    returns = pd.concat([series.iloc[:1], weekly], ignore_index=True).pct_change().dropna()
    assert stats.annualized_volatility == pytest.approx(
        returns.std(ddof=1) * math.sqrt(52.0), rel=1e-10
    )


def test_hand_computed_daily_curve() -> None:
    equity = np.array([100.0, 120.0, 90.0, 95.0, 130.0])
    stats = compute_performance(_days(5), equity, periods_per_year=252.0)

    returns = np.array([0.0, 0.2, -0.25, 5.0 / 90.0, 35.0 / 95.0])
    assert stats.max_drawdown == pytest.approx(0.25)
    assert stats.max_drawdown_duration_days == pytest.approx(3.0)
    assert stats.total_return == pytest.approx(0.3)
    assert stats.cagr == pytest.approx(1.3 ** (365.25 / 4.0) - 1.0)
    assert stats.calmar == pytest.approx((1.3 ** (365.25 / 4.0) - 1.0) / 0.25)
    assert stats.annualized_volatility == pytest.approx(np.std(returns, ddof=1) * math.sqrt(252.0))
    assert stats.sortino == pytest.approx(
        returns.mean() / math.sqrt(0.25**2 / 5.0) * math.sqrt(252.0)
    )


def test_first_day_return_is_measured_from_first_sample() -> None:
    # Two samples on day 0 (100 then 110), one on day 1 (99): returns are +10% then -10%.
    timestamps = np.array([0, 6 * HOUR_NS, DAY_NS + HOUR_NS], dtype=np.int64)
    stats = compute_performance(timestamps, np.array([100.0, 110.0, 99.0]), periods_per_year=1.0)

    assert stats.annualized_volatility == pytest.approx(np.std([0.1, -0.1], ddof=1))
    assert stats.sharpe == pytest.approx(0.0, abs=1e-12)


def test_drawdown_never_recovered_runs_to_last_sample() -> None:
    timestamps = np.array([0, DAY_NS, DAY_NS // 2 * 5, 4 * DAY_NS], dtype=np.int64)
    stats = compute_performance(timestamps, np.array([100.0, 200.0, 150.0, 180.0]))

    assert stats.max_drawdown == pytest.approx(0.25)
    assert stats.max_drawdown_duration_days == pytest.approx(3.0)


def test_drawdown_duration_takes_longest_episode_and_counts_equal_as_recovered() -> None:
    # Episode 1: peak 100 at day 0, back to exactly 100 at day 2 (2 days).
    # Episode 2: peak 100 at day 2 (latest sample at the peak), recovered at day 7 (5 days).
    equity = np.array([100.0, 95.0, 100.0, 99.0, 98.0, 97.0, 99.0, 101.0, 50.0, 101.0])
    stats = compute_performance(_days(10), equity)

    assert stats.max_drawdown_duration_days == pytest.approx(5.0)
    assert stats.max_drawdown == pytest.approx(51.0 / 101.0)


def test_trade_statistics() -> None:
    stats = compute_performance(_days(2), np.array([100.0, 110.0]), trade_pnls=[10, -5, 20, -5])

    assert stats.trade_count == 4
    assert stats.win_rate == pytest.approx(0.5)
    assert stats.profit_factor == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("pnls", "win_rate", "profit_factor"),
    [
        ((), math.nan, math.nan),
        ((5.0, 0.0, 2.0), 2.0 / 3.0, math.inf),
        ((0.0, 0.0), 0.0, math.nan),
        ((-1.0, -3.0), 0.0, 0.0),
    ],
)
def test_trade_statistics_edge_cases(
    pnls: tuple[float, ...], win_rate: float, profit_factor: float
) -> None:
    stats = compute_performance(_days(2), np.array([100.0, 110.0]), trade_pnls=pnls)

    assert stats.trade_count == len(pnls)
    assert stats.win_rate == pytest.approx(win_rate, nan_ok=True)
    assert stats.profit_factor == pytest.approx(profit_factor, nan_ok=True)


def test_turnover_exposure_and_fees() -> None:
    equity = np.array([100.0, 110.0, 90.0, 100.0])
    exposure = np.array([0.0, 50.0, -20.0, 0.0])
    stats = compute_performance(
        _days(4), equity, traded_value=800.0, gross_exposure=exposure, fees_paid=12.5
    )

    assert stats.turnover == pytest.approx(800.0 / 100.0)
    assert stats.exposure == pytest.approx(0.5)
    assert stats.fees_paid == 12.5
    assert math.isnan(compute_performance(_days(4), equity).exposure)


def test_sortino_is_infinite_without_downside() -> None:
    stats = compute_performance(_days(4), np.array([100.0, 101.0, 103.0, 103.0]))

    assert stats.sortino == math.inf
    assert stats.sharpe > 0.0


def test_flat_curve() -> None:
    stats = compute_performance(_days(5), np.full(5, 250.0))

    assert stats.annualized_volatility == 0.0
    assert math.isnan(stats.sharpe)
    assert math.isnan(stats.sortino)
    assert stats.max_drawdown == 0.0
    assert stats.max_drawdown_duration_days == 0.0
    assert stats.cagr == 0.0
    assert math.isnan(stats.calmar)


@pytest.mark.parametrize("resample", ["D", None])
def test_single_sample(resample: str | None) -> None:
    stats = compute_performance(np.array([123], dtype=np.int64), [100.0], resample=resample)

    assert stats.total_return == 0.0
    assert stats.max_drawdown == 0.0
    assert stats.max_drawdown_duration_days == 0.0
    for value in (stats.cagr, stats.annualized_volatility, stats.sharpe, stats.sortino):
        assert math.isnan(value)
    assert math.isnan(stats.calmar)


def test_cagr_of_very_short_span_does_not_overflow() -> None:
    stats = compute_performance(np.array([0, 1_000], dtype=np.int64), [100.0, 200.0])

    assert stats.cagr == math.inf


def test_to_dict_has_every_field_in_order() -> None:
    stats = compute_performance(_days(3), np.array([100.0, 90.0, 120.0]), trade_pnls=[1.0])
    values = stats.to_dict()

    assert list(values) == list(PerformanceStats.__dataclass_fields__)
    assert values["max_drawdown"] == stats.max_drawdown
    assert values["trade_count"] == 1


@pytest.mark.parametrize(
    ("timestamps", "equity", "kwargs", "message"),
    [
        ([0, 1], [100.0], {}, "expected as many timestamps as equity samples"),
        ([], [], {}, "expected at least 1 equity sample, was 0"),
        ([0, 1], [0.0, 10.0], {}, "expected a positive starting equity, was 0.0"),
        ([0, 1], [-5.0, 10.0], {}, "expected a positive starting equity, was -5.0"),
        ([0, 1], [math.nan, 5.0], {}, "expected finite equity, was nan at index 0"),
        ([0, 1], [100.0, math.inf], {}, "expected finite equity, was inf at index 1"),
        ([0, 5, 3], [1.0, 1.0, 1.0], {}, "expected non-decreasing timestamps, was 3 at index 2"),
        ([0.0, 1.0], [1.0, 1.0], {}, "expected integer nanosecond timestamps"),
        ([0, 1], [1.0, 1.0], {"gross_exposure": [1.0]}, "expected gross_exposure of shape"),
        ([0, 1], [1.0, 1.0], {"periods_per_year": 0.0}, "expected positive periods_per_year"),
        ([0, 1], [1.0, 1.0], {"trade_pnls": [math.nan]}, "expected finite trade_pnls"),
        ([0, 1], [1.0, 1.0], {"resample": "fortnightly"}, "expected a pandas frequency alias"),
    ],
)
def test_validation_errors(
    timestamps: list[float],
    equity: list[float],
    kwargs: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        compute_performance(np.array(timestamps), np.array(equity), **kwargs)


def test_render_table_shows_every_metric_formatted() -> None:
    stats = compute_performance(
        _days(5),
        np.array([100_000.0, 120_000.0, 90_000.0, 95_000.0, 130_000.0]),
        trade_pnls=[10, -5, 20, -5],
        fees_paid=1234.5,
        gross_exposure=np.array([0.0, 1.0, 1.0, 0.0, 0.0]),
    )
    text = render_table(stats, title="My run")

    assert "My run" in text
    for metric in (
        "Total return",
        "CAGR",
        "Annualized volatility",
        "Sharpe ratio",
        "Sortino ratio",
        "Max drawdown",
        "Max drawdown duration",
        "Calmar ratio",
        "Trades",
        "Win rate",
        "Profit factor",
        "Turnover",
        "Exposure",
        "Fees paid",
    ):
        assert metric in text
    assert "25.00%" in text  # max drawdown
    assert "3.0 days" in text
    assert "1,234.50" in text
    assert "130,000.00" in text
    assert "3.00" in text  # profit factor
    assert "\x1b" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert render_table(stats, title="My run") == text


def test_render_table_shows_undefined_values_as_not_available() -> None:
    text = render_table(compute_performance(np.array([0], dtype=np.int64), [100.0]))

    assert "Backtest results" in text
    assert "n/a" in text
    assert "nan" not in text


equity_curves = st.lists(st.integers(min_value=1, max_value=1_000_000), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(cents=equity_curves)
def test_max_drawdown_is_a_fraction_matching_brute_force(cents: list[int]) -> None:
    equity = np.array(cents, dtype=np.float64) / 100.0
    timestamps = _days(equity.size)
    stats = compute_performance(timestamps, equity)

    depth, duration_days = _reference_drawdown(timestamps, equity)
    assert 0.0 <= stats.max_drawdown < 1.0
    assert stats.max_drawdown == pytest.approx(depth, rel=1e-12, abs=1e-15)
    assert stats.max_drawdown_duration_days == duration_days


@settings(max_examples=100, deadline=None)
@given(cents=equity_curves)
def test_monotonically_increasing_curve_has_no_drawdown(cents: list[int]) -> None:
    equity = np.sort(np.array(cents, dtype=np.float64))
    stats = compute_performance(_days(equity.size), equity)

    assert stats.max_drawdown == 0.0
    assert stats.max_drawdown_duration_days == 0.0
    assert math.isnan(stats.calmar)


@settings(max_examples=200, deadline=None)
@given(
    cents=equity_curves,
    gap_hours=st.lists(st.integers(min_value=0, max_value=72), min_size=40, max_size=40),
    scale=st.floats(min_value=1e-3, max_value=1e6),
)
def test_scaling_equity_leaves_return_statistics_unchanged(
    cents: list[int], gap_hours: list[int], scale: float
) -> None:
    equity = np.array(cents, dtype=np.float64)
    timestamps = np.cumsum(np.array(gap_hours[: equity.size], dtype=np.int64)) * HOUR_NS
    base = compute_performance(timestamps, equity).to_dict()
    scaled = compute_performance(timestamps, equity * scale).to_dict()

    assert scaled["start_equity"] == pytest.approx(base["start_equity"] * scale, rel=1e-12)
    for name in ("total_return", "cagr", "max_drawdown", "calmar", "annualized_volatility"):
        assert scaled[name] == pytest.approx(base[name], rel=1e-9, abs=1e-12, nan_ok=True), name
    assert scaled["max_drawdown_duration_days"] == base["max_drawdown_duration_days"]
    # Ratios over a (near-)zero dispersion are dominated by rounding, so compare them only
    # when the returns really vary.
    returns = _reference_daily_returns(timestamps, equity)
    if returns.size >= 2 and returns.std(ddof=1) > 1e-9:
        for name in ("sharpe", "sortino"):
            assert scaled[name] == pytest.approx(base[name], rel=1e-6, nan_ok=True), name


def test_an_account_wiped_out_is_reported_not_refused() -> None:
    day = 86_400 * 10**9
    ts = np.arange(5, dtype=np.int64) * day
    # 100 -> 50 -> -10 (wiped out on day 2) -> -20 -> 5
    stats = compute_performance(ts, [100.0, 50.0, -10.0, -20.0, 5.0], resample=None)

    assert stats.ruined_at_ns == 2 * day
    assert stats.total_return == pytest.approx(5.0 / 100.0 - 1.0)
    assert stats.cagr == -1.0
    # Returns stop at the fall to zero: -50%, then -100%.
    assert stats.sharpe == pytest.approx(
        np.mean([-0.5, -1.0]) / np.std([-0.5, -1.0], ddof=1) * np.sqrt(252)
    )
    assert stats.max_drawdown == pytest.approx(1.2)  # from 100 down to -20
    assert "Account wiped out at" in render_table(stats)
    assert compute_performance(ts, [100.0] * 5).ruined_at_ns is None
