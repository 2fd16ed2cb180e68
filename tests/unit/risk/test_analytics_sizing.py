"""Volatility-targeted sizing (midfreq.risk.analytics.sizing): hand-computed sizes, lot
rounding, and volatility forecasts against numpy and pandas."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

from midfreq.risk.analytics import sizing as sizing_module
from midfreq.risk.analytics.sizing import (
    VolatilityEstimator,
    forecast_volatility,
    portfolio_volatility,
    round_to_lot,
    scale_to_target_volatility,
    size_from_prices,
    volatility_scale,
    volatility_target_quantity,
)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(sizing_module)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    ("quantity", "lot", "toward_zero", "expected"),
    [
        (12.4, 1.0, False, 12.0),
        (12.5, 1.0, False, 13.0),
        (-12.5, 1.0, False, -13.0),
        (12.99, 1.0, True, 12.0),
        (-12.99, 1.0, True, -12.0),
        (0.3, 0.1, True, 0.3),  # 0.3 / 0.1 is 2.9999999999999996 in floats
        (0.37, 0.1, False, 0.4),
        (250.0, 100.0, False, 300.0),
        (149.0, 100.0, False, 100.0),
        (0.4, 1.0, False, 0.0),
    ],
)
def test_round_to_lot(quantity: float, lot: float, toward_zero: bool, expected: float) -> None:
    result = round_to_lot(quantity, lot, toward_zero=toward_zero)
    assert result == expected
    assert math.copysign(1.0, result) == 1.0 or result != 0.0  # never -0.0


def test_round_to_lot_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="lot_size"):
        round_to_lot(10.0, 0.0)
    with pytest.raises(ValueError, match="quantity"):
        round_to_lot(math.nan)


def test_volatility_target_quantity_hand_computed() -> None:
    # 10% of 2m at a 32% forecast: 625,000 of notional, at 37.5 a share 16,666.67 shares
    assert volatility_target_quantity(2e6, 0.10, 0.32, 37.5) == 16_666.0
    assert volatility_target_quantity(2e6, 0.10, 0.32, 37.5, lot_size=100.0) == 16_600.0
    # a future: 5,000 x 50 = 250,000 a contract; 10% / 20% of 2m is 1m: 4 contracts
    assert volatility_target_quantity(2e6, 0.10, 0.20, 5000.0, multiplier=50) == 4.0
    # a quiet instrument: 10% / 2% would be 5x capital; capped at 2x
    assert volatility_target_quantity(1e6, 0.10, 0.02, 100.0, max_leverage=2.0) == 20_000.0
    assert volatility_scale(0.10, 0.02) == pytest.approx(5.0)


def test_volatility_target_quantity_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="forecast_volatility"):
        volatility_target_quantity(1e6, 0.1, 0.0, 10.0)
    with pytest.raises(ValueError, match="price"):
        volatility_target_quantity(1e6, 0.1, 0.2, -10.0)


def _prices(n: int = 300, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.cumprod(1 + rng.normal(0.0003, 0.015, n))


def test_sample_forecast_is_the_annualised_standard_deviation() -> None:
    prices = _prices()
    returns = pd.Series(prices).pct_change().dropna()
    expected = returns.std(ddof=1) * math.sqrt(252)
    result = forecast_volatility(prices, estimator=VolatilityEstimator.SAMPLE)
    assert result == pytest.approx(expected, rel=1e-12)
    window = forecast_volatility(prices, estimator=VolatilityEstimator.SAMPLE, window=60)
    assert window == pytest.approx(returns.iloc[-60:].std() * math.sqrt(252), rel=1e-12)


def test_ewma_forecast_matches_pandas() -> None:
    prices = _prices()
    returns = pd.Series(prices).pct_change().dropna()
    expected = math.sqrt((returns**2).ewm(alpha=0.06).mean().iloc[-1] * 252)
    assert forecast_volatility(prices) == pytest.approx(expected, rel=1e-12)
    weekly = forecast_volatility(prices, periods_per_year=52, decay_factor=0.9)
    assert weekly == pytest.approx(
        math.sqrt((returns**2).ewm(alpha=0.1).mean().iloc[-1] * 52), rel=1e-12
    )


def test_forecast_needs_enough_returns() -> None:
    with pytest.raises(ValueError, match="at least 20"):
        forecast_volatility(_prices(20))
    gappy = _prices(40)
    gappy[::2] = np.nan  # every return touches a gap
    with pytest.raises(ValueError, match="0 usable returns"):
        forecast_volatility(gappy)


def test_size_from_prices_combines_forecast_and_quantity() -> None:
    prices = _prices()
    size = size_from_prices(prices, 1e6, 0.15, lot_size=10.0)
    forecast = forecast_volatility(prices)
    assert size.forecast_volatility == pytest.approx(forecast)
    assert size.scale == pytest.approx(0.15 / forecast)
    assert size.quantity == volatility_target_quantity(
        1e6, 0.15, forecast, prices[-1], lot_size=10.0
    )
    assert size.notional == pytest.approx(size.quantity * prices[-1])
    # the realised volatility of the sized position is at (just under) the target
    assert size.notional * forecast <= 1e6 * 0.15
    assert size.notional * forecast > 1e6 * 0.15 - 10 * prices[-1] * forecast


def test_portfolio_volatility_is_sqrt_of_quadratic_form() -> None:
    covariance = np.array([[4e-4, 1e-4], [1e-4, 2.25e-4]])
    values = np.array([1e6, -5e5])
    expected = math.sqrt(values @ covariance @ values * 252)
    assert portfolio_volatility(values, covariance, periods_per_year=252) == pytest.approx(expected)


def test_scale_to_target_volatility() -> None:
    covariance = np.array([[4e-4, 1e-4], [1e-4, 2.25e-4]])
    quantities = np.array([10_000.0, -5_000.0])
    prices = np.array([100.0, 50.0])
    result = scale_to_target_volatility(quantities, prices, covariance, 5e6, 0.10)
    values = quantities * prices
    forecast = math.sqrt(values @ covariance @ values * 252) / 5e6
    assert result.forecast_volatility == pytest.approx(forecast)
    assert result.scale == pytest.approx(0.10 / forecast)
    np.testing.assert_array_equal(
        result.quantities, np.trunc(quantities * result.scale)
    )  # rounded toward zero
    scaled = portfolio_volatility(result.quantities * prices, covariance, periods_per_year=252)
    assert scaled / 5e6 <= 0.10
    assert scaled / 5e6 == pytest.approx(0.10, rel=1e-3)
    capped = scale_to_target_volatility(quantities, prices, covariance, 5e6, 0.10, max_scale=1.0)
    assert capped.scale == 1.0
    lots = scale_to_target_volatility(
        quantities, prices, covariance, 5e6, 0.10, lot_sizes=[100.0, 100.0]
    )
    assert all(q % 100 == 0 for q in lots.quantities)
    with pytest.raises(ValueError, match="zero forecast"):
        scale_to_target_volatility([0.0, 0.0], prices, covariance, 5e6, 0.10)
