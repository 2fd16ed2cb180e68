"""Kalman hedge ratio against a hand-written numpy implementation of the textbook matrix
equations, recursive least squares (= OLS over all pairs seen) when the state does not move,
and convergence to the OLS slope on a stationary relation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.strategies.indicators import KalmanHedgeRatio


def _textbook(x, y, delta: float, observation_variance: float, prior: float) -> np.ndarray:
    """Kalman filter of y = [x, 1] . theta + e, theta a random walk: rows (beta, alpha, e, S).

    Matrix form, in numpy's extended precision (80-bit on x86), so the reference's own
    rounding is far below the float64 filter's.
    """
    wide = np.longdouble
    theta = np.zeros(2, dtype=wide)
    covariance = wide(prior) * np.eye(2, dtype=wide)
    process = wide(delta) / (1 - wide(delta)) * np.eye(2, dtype=wide)
    out = []
    for xt, yt in zip(x, y, strict=True):
        predicted = covariance + process
        observation = np.array([xt, 1.0], dtype=wide)
        error = wide(yt) - observation @ theta
        variance = observation @ predicted @ observation + wide(observation_variance)
        gain = predicted @ observation / variance
        theta = theta + gain * error
        covariance = (np.eye(2, dtype=wide) - np.outer(gain, observation)) @ predicted
        out.append((theta[0], theta[1], error, variance))
    return np.array(out, dtype=wide).astype(float).reshape(-1, 4)


def _assert_close_per_column(actual: np.ndarray, expected: np.ndarray, tolerance: float) -> None:
    """Each column within ``tolerance`` of that column's largest magnitude (alpha and the
    forecast error cross zero, so a plain relative tolerance would judge rounding noise)."""
    scale = np.maximum(np.abs(expected).max(axis=0), 1e-300)
    assert (np.abs(actual - expected) / scale).max() <= tolerance


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    design = np.column_stack([x, np.ones_like(x)])
    (beta, alpha), *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(beta), float(alpha)


def _stationary_pair(seed: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """x: an AR(1) around 50 (std ~5); y = 1.5 x + 3 + N(0, 0.5^2)."""
    rng = np.random.default_rng(seed)
    x = np.empty(size)
    level = 0.0
    for i in range(size):
        level = 0.95 * level + rng.normal(0.0, 1.6)
        x[i] = 50.0 + level
    return x, 1.5 * x + 3.0 + rng.normal(0.0, 0.5, size)


# A prior variance P0 with observation variance V and |x| ~ 50 conditions the first updates
# like P0 * x^2 / V; at 2.5e8 (P0 = 100, V = 1e-3) any float64 filter, the textbook's included,
# loses ~1e-8, so the grid stays at P0 <= 1 for Chan's V = 1e-3.
@settings(max_examples=80)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    size=st.integers(min_value=1, max_value=300),
    delta=st.sampled_from([0.0, 1e-6, 1e-4, 1e-2]),
    observation_variance=st.sampled_from([1e-3, 0.25, 4.0]),
    prior=st.sampled_from([0.0, 1.0]),
)
def test_filter_matches_the_textbook_matrix_equations(
    seed, size, delta, observation_variance, prior
):
    x, y = _stationary_pair(seed, size)
    kalman = KalmanHedgeRatio(delta, observation_variance, prior)
    ours = []
    for a, b in zip(x, y, strict=True):
        beta = kalman.update(float(a), float(b))
        ours.append((beta, kalman.alpha, kalman.forecast_error, kalman.forecast_variance))

    _assert_close_per_column(
        np.array(ours), _textbook(x, y, delta, observation_variance, prior), 1e-9
    )
    batch = KalmanHedgeRatio.batch(x, y, delta, observation_variance, prior)
    np.testing.assert_array_equal(np.array(batch).T, np.array(ours))


def test_without_state_noise_it_is_the_least_squares_posterior_of_all_pairs_seen():
    # delta = 0 makes the filter recursive least squares with a Gaussian prior N(0, P0 I):
    # theta_t = (X'X / V + I / P0)^-1 X'y / V over the first t pairs, in closed form.
    x, y = _stationary_pair(1, 2_000)
    prior, noise = 100.0, 0.25
    series = KalmanHedgeRatio.batch(
        x, y, delta=0.0, observation_variance=noise, initial_state_variance=prior
    )
    for end in (1, 2, 10, 100, 1_000, 2_000):
        design = np.column_stack([x[:end], np.ones(end)])
        precision = design.T @ design / noise + np.eye(2) / prior
        beta, alpha = np.linalg.solve(precision, design.T @ y[:end] / noise)
        assert series.beta[end - 1] == pytest.approx(beta, rel=1e-9)
        assert series.alpha[end - 1] == pytest.approx(alpha, rel=1e-8, abs=1e-9 * abs(beta))
    # The prior weighs like V / P0 = 0.0025 of an observation: after 2,000 pairs this is OLS
    # to 1e-5 (the intercept, far from the data's x ~ 50, feels it most).
    ols_beta, ols_alpha = _ols(x, y)
    assert series.beta[-1] == pytest.approx(ols_beta, rel=1e-5)
    assert series.alpha[-1] == pytest.approx(ols_alpha, rel=1e-3)


def test_on_a_stationary_relation_beta_converges_to_the_ols_slope():
    x, y = _stationary_pair(2, 20_000)
    ols_beta, _ = _ols(x, y)
    series = KalmanHedgeRatio.batch(x, y, delta=1e-7, observation_variance=0.25)

    assert ols_beta == pytest.approx(1.5, abs=0.01)
    assert abs(series.beta[-5_000:] - ols_beta).max() < 0.02
    # Forecast errors standardised by their predicted variance are about unit normal.
    standardised = series.forecast_error[1_000:] / np.sqrt(series.forecast_variance[1_000:])
    assert standardised.std() == pytest.approx(1.0, abs=0.05)


def test_hand_computed_first_step():
    # P = I, Q = 0: R = I, F = [2, 1], S = 4 + 1 + 1 = 6, e = 10, K = [2, 1] / 6.
    kalman = KalmanHedgeRatio(delta=0.0, observation_variance=1.0, initial_state_variance=1.0)
    assert not kalman.initialized and math.isnan(kalman.value)
    assert kalman.update(2.0, 10.0) == pytest.approx(20.0 / 6.0, rel=1e-15)
    assert kalman.alpha == pytest.approx(10.0 / 6.0, rel=1e-15)
    assert (kalman.forecast_error, kalman.forecast_variance) == (10.0, 6.0)
    assert kalman.initialized


def test_reset_returns_to_the_prior():
    x, y = _stationary_pair(3, 50)
    kalman = KalmanHedgeRatio()
    for a, b in zip(x, y, strict=True):
        kalman.update(float(a), float(b))
    kalman.reset()
    assert (kalman.beta, kalman.alpha, kalman.count) == (0.0, 0.0, 0)
    assert [kalman.update(float(a), float(b)) for a, b in zip(x, y, strict=True)] == (
        KalmanHedgeRatio.batch(x, y).beta.tolist()
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"delta": 1.0}, r"delta: expected a number in \[0, 1\), was 1.0"),
        ({"delta": -1e-4}, r"delta: expected a number in \[0, 1\)"),
        ({"observation_variance": 0.0}, r"observation_variance: expected a number > 0, was 0.0"),
        ({"initial_state_variance": -1.0}, r"initial_state_variance: expected a number >= 0"),
        ({"delta": math.nan}, r"delta: expected"),
        ({"delta": "0.1"}, r"delta: expected"),
    ],
)
def test_refuses_invalid_parameters(arguments, message):
    with pytest.raises(ValueError, match=message):
        KalmanHedgeRatio(**arguments)
