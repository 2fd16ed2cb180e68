"""Rolling correlation and beta against pandas rolling corr/cov/var, ordinary least squares
(``numpy.linalg.lstsq`` on ``[x, 1]``) per window, large offsets, and flat series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.strategies.indicators import RollingBeta, RollingCorrelation


def _pairs(seed: int, size: int, offset: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = offset + rng.normal(0.0, 1.0, size).cumsum()
    y = 0.5 * offset + 1.7 * (x - offset) + rng.normal(0.0, 2.0, size)
    return x, y


def _feed(indicator, x, y) -> np.ndarray:
    return np.array([indicator.update(float(a), float(b)) for a, b in zip(x, y, strict=True)])


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(beta, alpha) of y on x by least squares."""
    design = np.column_stack([x, np.ones_like(x)])
    (beta, alpha), *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(beta), float(alpha)


@settings(max_examples=100)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    size=st.integers(min_value=1, max_value=150),
    period=st.integers(min_value=2, max_value=30),
)
def test_correlation_and_beta_match_pandas_rolling_corr_and_cov_over_var(seed, size, period):
    x, y = _pairs(seed, size)
    correlation, beta = RollingCorrelation(period), RollingBeta(period)
    ours_correlation = _feed(correlation, x, y)
    ours_beta = _feed(beta, x, y)

    xs, ys = pd.Series(x), pd.Series(y)
    reference_beta = (xs.rolling(period).cov(ys) / xs.rolling(period).var()).to_numpy()
    reference_correlation = xs.rolling(period).corr(ys).to_numpy()
    np.testing.assert_allclose(ours_correlation, reference_correlation, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours_beta, reference_beta, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(
        RollingCorrelation.batch(x, y, period), ours_correlation, rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(RollingBeta.batch(x, y, period), ours_beta, rtol=1e-9, atol=1e-9)
    if size >= period:
        window = slice(size - period, size)
        assert beta.covariance == pytest.approx(np.cov(x[window], y[window])[0, 1], rel=1e-9)


@pytest.mark.parametrize("period", [2, 20, 120])
def test_beta_and_alpha_equal_least_squares_on_each_window(period):
    x, y = _pairs(period, 3_000)
    beta = RollingBeta(period)
    for end in range(1, x.size + 1):
        beta.update(float(x[end - 1]), float(y[end - 1]))
        if end >= period and end % 37 == 0:
            expected_beta, expected_alpha = _ols(x[end - period : end], y[end - period : end])
            assert beta.value == pytest.approx(expected_beta, rel=1e-9)
            assert beta.alpha == pytest.approx(expected_alpha, rel=1e-9, abs=1e-9)
            assert beta.correlation == pytest.approx(
                np.corrcoef(x[end - period : end], y[end - period : end])[0, 1], rel=1e-9
            )


def test_beta_on_a_large_offset_keeps_its_precision():
    # x near 1e9 with unit noise: sums of products would cancel to nothing; shifted Welford
    # updates keep the slope to 1e-9 of least squares on centred data.
    rng = np.random.default_rng(17)
    x = 1e9 + rng.normal(0.0, 1.0, 20_000)
    y = 2e9 + 0.8 * (x - 1e9) + rng.normal(0.0, 0.1, 20_000)
    ours = _feed(RollingBeta(50), x, y)
    batch = RollingBeta.batch(x, y, 50)
    for end in range(50, x.size + 1, 211):
        window_x, window_y = x[end - 50 : end], y[end - 50 : end]
        expected, _ = _ols(window_x - window_x.mean(), window_y - window_y.mean())
        assert ours[end - 1] == pytest.approx(expected, rel=1e-9)
        assert batch[end - 1] == pytest.approx(expected, rel=1e-9)


def test_flat_series_leave_beta_and_correlation_undefined_or_zero():
    x = [1.0, 2.0, 3.0, 4.0, 4.0, 4.0]
    y = [2.0, 1.0, 5.0, 5.0, 5.0, 5.0]
    beta, correlation = RollingBeta(3), RollingCorrelation(3)
    _feed(beta, x, y)
    _feed(correlation, x, y)
    # Both flat over the last window: no slope, no correlation; covariance exactly 0.
    assert math.isnan(beta.value) and math.isnan(correlation.value)
    assert beta.covariance == 0.0

    # Only y flat: the slope is 0, the correlation undefined.
    y_flat = _feed(RollingBeta(3), [1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0])
    assert y_flat[2:].tolist() == [0.0, 0.0]
    assert np.isnan(RollingCorrelation.batch([1.0, 2.0, 3.0], [5.0, 5.0, 5.0], 3)).all()
    np.testing.assert_allclose(RollingBeta.batch(x, y, 3), _feed(RollingBeta(3), x, y), rtol=1e-15)


def test_hand_computed_window_of_two():
    beta, correlation = RollingBeta(2), RollingCorrelation(2)
    # Two points define the line: slope (7 - 3) / (4 - 2) = 2, intercept -1, correlation 1.
    for a, b in ((2.0, 3.0), (4.0, 7.0)):
        beta.update(a, b)
        correlation.update(a, b)
    assert (beta.value, beta.alpha, correlation.value) == (2.0, -1.0, 1.0)
    assert correlation.update(5.0, 4.0) == -1.0


def test_reset_forgets_everything():
    x, y = _pairs(6, 60)
    beta = RollingBeta(7)
    _feed(beta, x, y)
    beta.reset()
    assert not beta.initialized
    assert math.isnan(beta.value) and math.isnan(beta.mean_x)
    np.testing.assert_array_equal(_feed(beta, x, y), _feed(RollingBeta(7), x, y))


@pytest.mark.parametrize("indicator", [RollingBeta, RollingCorrelation])
@pytest.mark.parametrize("period", [1, 0, 2.0, "10"])
def test_pair_indicators_refuse_a_period_below_two(indicator, period):
    with pytest.raises(ValueError, match=r"period: expected an integer >= 2, was"):
        indicator(period)
