"""Hedge ratios of `StatArbStrategy` (`HedgeEstimator`): rolling least squares against numpy's
fit over the same window, the Kalman filter against the true ``beta`` of a synthetic
cointegrated pair (and against full-sample least squares when it does not adapt), and both
following a change of ``beta``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from midfreq.strategies.stat_arb import HedgeEstimator, HedgeRatioMethod

BETA = 1.5


def ou(rng: np.random.Generator, n: int, half_life_bars: float, sd: float) -> np.ndarray:
    """An Ornstein-Uhlenbeck (AR(1)) path from 0 with stationary standard deviation ``sd``."""
    phi = 0.5 ** (1.0 / half_life_bars)
    shocks = rng.normal(0.0, sd * math.sqrt(1.0 - phi * phi), n)
    path = np.zeros(n)
    for t in range(1, n):
        path[t] = phi * path[t - 1] + shocks[t]
    return path


def pair(seed: int = 0, n: int = 3000, beta_after: float | None = None) -> tuple[np.ndarray, ...]:
    """``x`` a random walk near 50 (steps 0.3); ``y = beta x + 10 + OU`` (half-life 8 bars,
    sd 0.5), ``beta`` 1.5, or ``beta_after`` from the middle on."""
    rng = np.random.default_rng(seed)
    x = 50.0 + np.cumsum(rng.normal(0.0, 0.3, n))
    beta = np.full(n, BETA)
    if beta_after is not None:
        beta[n // 2 :] = beta_after
    return x, beta * x + 10.0 + ou(rng, n, 8.0, 0.5)


def run(estimator: HedgeEstimator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    betas = []
    for a, b in zip(x.tolist(), y.tolist(), strict=True):
        estimator.update(a, b)
        betas.append(estimator.beta)
    return np.array(betas)


def test_rolling_ols_is_numpys_fit_over_the_window_and_near_the_truth():
    x, y = pair()
    estimator = HedgeEstimator(HedgeRatioMethod.OLS, 200, 0.0, None)
    betas = run(estimator, x, y)
    assert math.isnan(betas[198]) and not math.isnan(betas[199]) and estimator.ready
    beta, alpha = np.polyfit(x[-200:], y[-200:], 1)
    assert estimator.beta == pytest.approx(beta, rel=1e-9)
    assert estimator.alpha == pytest.approx(alpha, rel=1e-9)
    # 200 bars: each estimate is noisy (the window's x range is narrow), the average is not.
    assert float(np.mean(betas[500:])) == pytest.approx(BETA, abs=0.01)
    assert float(np.max(np.abs(betas[500:] - BETA))) < 0.4


def test_kalman_without_process_noise_is_full_sample_least_squares():
    x, y = pair()
    estimator = HedgeEstimator(HedgeRatioMethod.KALMAN, 200, 0.0, 0.25)
    run(estimator, x, y)
    beta, alpha = np.polyfit(x, y, 1)
    assert estimator.beta == pytest.approx(beta, rel=1e-6)
    assert estimator.alpha == pytest.approx(alpha, rel=1e-5)
    assert estimator.beta == pytest.approx(BETA, abs=0.01)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kalman_hedge_ratio_stays_near_the_truth(seed):
    x, y = pair(seed)
    estimator = HedgeEstimator(HedgeRatioMethod.KALMAN, 200, 1e-7, None)
    betas = run(estimator, x, y)
    assert math.isnan(betas[198]) and not math.isnan(betas[199])  # started after 200 bars
    assert float(np.mean(betas[500:])) == pytest.approx(BETA, abs=0.05)
    assert float(np.max(np.abs(betas[500:] - BETA))) < 0.1  # far steadier than rolling OLS


@pytest.mark.parametrize("method", ["ols", "kalman"])
def test_both_follow_a_change_of_beta(method):
    x, y = pair(beta_after=1.8)
    estimator = HedgeEstimator(HedgeRatioMethod(method), 200, 1e-7, None)
    betas = run(estimator, x, y)
    assert betas[1499] == pytest.approx(BETA, abs=0.1)
    assert betas[-1] == pytest.approx(1.8, abs=0.05)
