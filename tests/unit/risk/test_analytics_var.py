"""VaR and ES (midfreq.risk.analytics.var) against closed forms, numpy quantiles, scipy
integrals and Monte Carlo sampling error."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from midfreq.risk.analytics import var as var_module
from midfreq.risk.analytics.covariance import NanPolicy
from midfreq.risk.analytics.var import (
    HorizonScaling,
    RiskMeasure,
    ShockDistribution,
    VarMethod,
    cornish_fisher_quantile,
    cornish_fisher_var,
    covariance_factor,
    historical_var,
    minimum_scenarios,
    monte_carlo_var,
    parametric_var,
    var_from_scenarios,
)


def _book(n: int = 5, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Position values (longs and a short) and a positive definite daily covariance."""
    rng = np.random.default_rng(seed)
    vol = rng.uniform(0.01, 0.03, n)
    a = rng.normal(size=(n, n))
    corr = np.corrcoef(a @ a.T + n * np.eye(n))
    values = rng.uniform(50_000, 200_000, n)
    values[1] *= -1
    return values, corr * np.outer(vol, vol)


def _normal_returns(t: int, covariance: np.ndarray, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(np.zeros(covariance.shape[0]), covariance, size=t)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(var_module)
    assert result.attempted > 0
    assert result.failed == 0


# --------------------------------------------------------------------------- parametric


@pytest.mark.parametrize("confidence", [0.95, 0.975, 0.99])
@pytest.mark.parametrize("horizon", [1, 10])
def test_parametric_single_position_matches_closed_forms(confidence: float, horizon: int) -> None:
    value, sigma = 250_000.0, 0.018
    result = parametric_var([value], [[sigma**2]], confidence, horizon)
    z = stats.norm.ppf(confidence)
    assert result.var == pytest.approx(z * sigma * value * math.sqrt(horizon), rel=1e-12)
    expected_es = sigma * value * math.sqrt(horizon) * stats.norm.pdf(z) / (1 - confidence)
    assert result.es == pytest.approx(expected_es, rel=1e-12)
    assert result.method is VarMethod.PARAMETRIC
    assert (result.confidence, result.horizon, result.scenarios) == (confidence, horizon, 0)


def test_parametric_es_is_the_normal_tail_mean_by_integration() -> None:
    values, covariance = _book()
    result = parametric_var(values, covariance, 0.975)
    sigma = math.sqrt(values @ covariance @ values)
    tail, _ = integrate.quad(lambda x: x * stats.norm.pdf(x, scale=sigma), result.var, np.inf)
    assert result.es == pytest.approx(tail / 0.025, rel=1e-8)


def test_short_position_has_the_same_var_as_the_long() -> None:
    long = parametric_var([1e6], [[1e-4]], 0.99)
    short = parametric_var([-1e6], [[1e-4]], 0.99)
    assert short.var == pytest.approx(long.var)
    assert short.contributions[0] == pytest.approx(long.var)


def test_parametric_portfolio_var_and_component_var() -> None:
    values, covariance = _book()
    result = parametric_var(values, covariance, 0.99, horizon=5)
    z = stats.norm.ppf(0.99)
    sigma = math.sqrt(values @ covariance @ values)
    assert result.var == pytest.approx(z * sigma * math.sqrt(5), rel=1e-12)
    assert result.contribution_measure is RiskMeasure.VAR
    assert result.contributions.sum() == pytest.approx(result.var, rel=1e-12)
    # Euler: component i is v_i dVaR/dv_i, checked by central differences of the whole VaR.
    for i in range(values.shape[0]):
        step = np.zeros_like(values)
        step[i] = values[i] * 1e-6
        up = parametric_var(values + step, covariance, 0.99, 5).var
        down = parametric_var(values - step, covariance, 0.99, 5).var
        gradient = (up - down) / (2 * step[i])
        assert result.contributions[i] == pytest.approx(values[i] * gradient, rel=1e-6)


def test_parametric_mean_shifts_var_and_es_by_the_expected_pnl() -> None:
    values, covariance = _book()
    mean = np.full(values.shape[0], 0.0005)
    plain = parametric_var(values, covariance, 0.99, horizon=10)
    drift = parametric_var(values, covariance, 0.99, horizon=10, mean=mean)
    expected_pnl = float(values @ mean) * 10
    assert drift.var == pytest.approx(plain.var - expected_pnl)
    assert drift.es == pytest.approx(plain.es - expected_pnl)
    assert drift.contributions.sum() == pytest.approx(drift.var)


def test_flat_book_has_zero_var() -> None:
    result = parametric_var([0.0, 0.0], np.eye(2) * 1e-4)
    assert (result.var, result.es) == (0.0, 0.0)
    assert result.contributions.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0.0}, "confidence"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": 1.5}, "horizon"),
    ],
)
def test_parametric_rejects_bad_parameters(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parametric_var([1.0], [[1e-4]], **kwargs)  # type: ignore[arg-type]


def test_parametric_rejects_bad_covariances() -> None:
    with pytest.raises(ValueError, match="shape"):
        parametric_var([1.0, 2.0], [[1e-4]])
    with pytest.raises(ValueError, match="symmetric"):
        parametric_var([1.0, 2.0], [[1e-4, 1e-5], [0.0, 1e-4]])
    with pytest.raises(ValueError, match="semi-definite"):
        # correlation 2: indefinite; the hedged book has negative variance
        parametric_var([1.0, 1.0], [[1e-4, -2e-4], [-2e-4, 1e-4]])
    with pytest.raises(ValueError, match="finite"):
        parametric_var([1.0], [[np.nan]])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 8),
    seed=st.integers(0, 2**31),
    confidence=st.sampled_from([0.9, 0.95, 0.99, 0.999]),
    horizon=st.integers(1, 20),
)
def test_component_var_always_sums_to_var(
    n: int, seed: int, confidence: float, horizon: int
) -> None:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(n, n + 2)) * 0.01
    values = rng.normal(size=n) * 1e5
    result = parametric_var(values, factor @ factor.T, confidence, horizon)
    assert result.contributions.sum() == pytest.approx(result.var, rel=1e-9, abs=1e-6)


# --------------------------------------------------------------------------- historical


def test_historical_var_is_the_numpy_quantile_of_losses() -> None:
    values, covariance = _book()
    returns = _normal_returns(1000, covariance)
    result = historical_var(values, returns, 0.99)
    pnl = returns @ values
    assert result.var == pytest.approx(np.quantile(-pnl, 0.99), rel=1e-12)
    assert result.var == pytest.approx(-np.quantile(pnl, 0.01), rel=1e-12)
    # 1,000 scenarios at 99%: VaR between the 10th and 11th worst loss, ES the mean of the 10.
    worst = np.argsort(pnl)[:10]
    losses = np.sort(-pnl)
    assert losses[-11] <= result.var <= losses[-10]
    assert result.es == pytest.approx(-pnl[worst].mean(), rel=1e-12)
    assert result.contribution_measure is RiskMeasure.ES
    expected_contributions = -(returns[worst] * values).mean(axis=0)
    np.testing.assert_allclose(result.contributions, expected_contributions, rtol=1e-12)
    assert result.contributions.sum() == pytest.approx(result.es, rel=1e-12)
    assert result.scenarios == 1000
    assert result.method is VarMethod.HISTORICAL


def test_es_counts_the_scenario_at_the_var() -> None:
    # 101 scenarios at 99%: the quantile falls exactly on the second worst loss, which the
    # tail then includes ("at or beyond").
    pnl = -np.arange(101.0)[:, None]
    result = var_from_scenarios(pnl, 0.99)
    assert result.var == 99.0
    assert result.es == 99.5
    assert result.contributions.tolist() == [99.5]


def test_historical_sqrt_time_scaling() -> None:
    values, covariance = _book()
    returns = _normal_returns(500, covariance)
    one = historical_var(values, returns, 0.99, horizon=1)
    ten = historical_var(values, returns, 0.99, horizon=10)
    assert ten.var == pytest.approx(one.var * math.sqrt(10))
    assert ten.es == pytest.approx(one.es * math.sqrt(10))
    np.testing.assert_allclose(ten.contributions, one.contributions * math.sqrt(10))
    assert ten.horizon == 10


def test_historical_overlapping_uses_compounded_multi_day_returns() -> None:
    values, covariance = _book()
    returns = _normal_returns(600, covariance)
    result = historical_var(values, returns, 0.95, 5, scaling=HorizonScaling.OVERLAPPING)
    five_day = np.array([np.prod(1 + returns[k : k + 5], axis=0) - 1 for k in range(596)])
    pnl = five_day @ values
    assert result.scenarios == 596
    assert result.var == pytest.approx(np.quantile(-pnl, 0.95), rel=1e-9)
    assert result.es == pytest.approx((-pnl)[-pnl >= result.var].mean(), rel=1e-9)
    assert result.contributions.sum() == pytest.approx(result.es, rel=1e-9)


def test_historical_nan_policies() -> None:
    values, covariance = _book(3)
    returns = _normal_returns(300, covariance)
    gappy = returns.copy()
    gappy[[5, 50, 200], 0] = np.nan
    dropped = historical_var(values, gappy, 0.99)
    reference = historical_var(values, np.delete(returns, [5, 50, 200], axis=0), 0.99)
    assert dropped.var == pytest.approx(reference.var)
    assert dropped.scenarios == 297
    zeroed = historical_var(values, gappy, 0.99, nan_policy=NanPolicy.ZERO)
    assert zeroed.var == pytest.approx(historical_var(values, np.nan_to_num(gappy), 0.99).var)
    assert zeroed.scenarios == 300
    with pytest.raises(ValueError, match="nan_policy"):
        historical_var(values, gappy, 0.99, nan_policy=NanPolicy.PAIRWISE)


def test_historical_ignores_missing_returns_of_flat_positions() -> None:
    values, covariance = _book(3)
    returns = _normal_returns(300, covariance)
    values[2] = 0.0
    gappy = returns.copy()
    gappy[:150, 2] = np.nan  # listed late, but not held
    result = historical_var(values, gappy, 0.99)
    assert result.scenarios == 300
    assert result.var == pytest.approx(historical_var(values, returns, 0.99).var)


def test_historical_refuses_too_short_a_history() -> None:
    values, covariance = _book(2)
    returns = _normal_returns(100, covariance)
    assert historical_var(values, returns, 0.99).scenarios == 100
    with pytest.raises(ValueError, match="at least 100 complete scenarios"):
        historical_var(values, returns[:99], 0.99)
    assert minimum_scenarios(0.95) == 20


def test_historical_converges_to_parametric_on_normal_data() -> None:
    values, covariance = _book()
    returns = _normal_returns(400_000, covariance, seed=11)
    result = historical_var(values, returns, 0.99)
    normal = parametric_var(values, covariance, 0.99)
    sigma = math.sqrt(values @ covariance @ values)
    z = stats.norm.ppf(0.99)
    standard_error = sigma * math.sqrt(0.99 * 0.01 / returns.shape[0]) / stats.norm.pdf(z)
    assert abs(result.var - normal.var) < 4 * standard_error


def test_var_from_scenarios_takes_full_revaluation_pnl() -> None:
    rng = np.random.default_rng(5)
    pnl = rng.normal(size=(400, 3)) * [100.0, 50.0, 10.0]
    result = var_from_scenarios(pnl, 0.975, horizon=10)
    total = pnl.sum(axis=1)
    assert result.var == pytest.approx(np.quantile(-total, 0.975))
    assert result.contributions.sum() == pytest.approx(result.es)
    assert (result.method, result.horizon) == (VarMethod.SCENARIOS, 10)
    with pytest.raises(ValueError, match="complete"):
        var_from_scenarios(np.full((200, 1), np.nan))


# --------------------------------------------------------------------------- Cornish-Fisher


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99, 0.999])
def test_cornish_fisher_quantile_reduces_to_normal(confidence: float) -> None:
    assert cornish_fisher_quantile(confidence, 0.0, 0.0) == pytest.approx(
        stats.norm.ppf(confidence), rel=1e-12
    )


def test_cornish_fisher_quantile_textbook_terms() -> None:
    z = stats.norm.ppf(0.99)
    skew, kurt = 0.5, 3.0
    expected = (
        z + (z**2 - 1) * skew / 6 + (z**3 - 3 * z) * kurt / 24 - (2 * z**3 - 5 * z) * skew**2 / 36
    )
    assert cornish_fisher_quantile(0.99, skew, kurt) == pytest.approx(expected)
    # positive loss skew and fat tails both push the 99% quantile out
    assert cornish_fisher_quantile(0.99, 0.5, 0.0) > z
    assert cornish_fisher_quantile(0.99, 0.0, 3.0) > z


def test_cornish_fisher_var_from_sample_moments() -> None:
    rng = np.random.default_rng(2)
    returns = rng.standard_t(5, size=(2000, 2)) * 0.01
    values = np.array([1e6, 5e5])
    result = cornish_fisher_var(values, returns, 0.99)
    losses = -(returns @ values)
    sigma = losses.std(ddof=1)
    skew = stats.skew(losses, bias=False)
    kurt = stats.kurtosis(losses, bias=False)
    assert result.var == pytest.approx(sigma * cornish_fisher_quantile(0.99, skew, kurt))
    assert result.method is VarMethod.CORNISH_FISHER
    assert result.contributions.sum() == pytest.approx(result.var)
    # fat tails: above the normal VaR with the same standard deviation
    assert result.var > stats.norm.ppf(0.99) * sigma


@pytest.mark.parametrize("shape", ["normal", "skewed", "fat"])
def test_cornish_fisher_es_is_the_tail_mean_of_its_quantile_function(shape: str) -> None:
    rng = np.random.default_rng(4)
    draws = {
        "normal": rng.normal(size=5000),
        "skewed": 0.5 - rng.gamma(8.0, size=5000) / 16.0,  # losses skewed to the right
        "fat": rng.standard_t(8, size=5000),
    }[shape] * 0.01
    result = cornish_fisher_var([1e6], draws[:, None], 0.975)
    losses = -(draws * 1e6)
    skew = stats.skew(losses, bias=False)
    kurt = stats.kurtosis(losses, bias=False)
    integral, _ = integrate.quad(
        lambda u: cornish_fisher_quantile(u, skew, kurt), 0.975, 1.0, limit=200
    )
    assert result.es == pytest.approx(losses.std(ddof=1) * integral / 0.025, rel=1e-6)
    assert result.es > result.var


def test_cornish_fisher_near_normal_data_matches_parametric() -> None:
    values, covariance = _book()
    returns = _normal_returns(200_000, covariance, seed=8)
    cf = cornish_fisher_var(values, returns, 0.99)
    normal = parametric_var(values, np.cov(returns, rowvar=False), 0.99)
    assert cf.var == pytest.approx(normal.var, rel=0.01)
    assert cf.es == pytest.approx(normal.es, rel=0.01)


def test_cornish_fisher_horizon_aggregates_iid_moments() -> None:
    rng = np.random.default_rng(9)
    returns = rng.standard_t(6, size=(3000, 1)) * 0.01
    result = cornish_fisher_var([1e6], returns, 0.99, horizon=4)
    losses = -(returns[:, 0] * 1e6)
    skew = stats.skew(losses, bias=False) / 2
    kurt = stats.kurtosis(losses, bias=False) / 4
    expected = losses.std(ddof=1) * 2 * cornish_fisher_quantile(0.99, skew, kurt)
    assert result.var == pytest.approx(expected)


def test_cornish_fisher_mean_and_short_history() -> None:
    rng = np.random.default_rng(1)
    returns = rng.normal(0.001, 0.01, size=(500, 1))
    plain = cornish_fisher_var([1e6], returns, 0.99)
    with_mean = cornish_fisher_var([1e6], returns, 0.99, include_mean=True)
    assert with_mean.var == pytest.approx(plain.var - returns.mean() * 1e6)
    assert with_mean.contributions.sum() == pytest.approx(with_mean.var)
    with pytest.raises(ValueError, match="at least 4"):
        cornish_fisher_var([1e6], returns[:3], 0.99)


# --------------------------------------------------------------------------- Monte Carlo


def _normal_standard_errors(sigma: float, confidence: float, paths: int) -> tuple[float, float]:
    """Asymptotic standard errors of the empirical VaR and ES of N(0, sigma^2) losses."""
    z = stats.norm.ppf(confidence)
    density = stats.norm.pdf(z) / sigma
    var_error = math.sqrt(confidence * (1 - confidence) / paths) / density
    mills = stats.norm.pdf(z) / (1 - confidence)
    tail_variance = sigma**2 * (1 + z * mills - mills**2)
    es_error = math.sqrt(
        (tail_variance + confidence * (sigma * mills - sigma * z) ** 2) / (paths * (1 - confidence))
    )
    return var_error, es_error


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("horizon", [1, 10])
def test_monte_carlo_normal_within_sampling_error_of_parametric(seed: int, horizon: int) -> None:
    values, covariance = _book(8)
    paths = 20_000
    result = monte_carlo_var(values, covariance, 0.99, horizon, paths=paths, seed=seed)
    normal = parametric_var(values, covariance, 0.99, horizon)
    sigma = math.sqrt(values @ covariance @ values * horizon)
    var_error, es_error = _normal_standard_errors(sigma, 0.99, paths)
    assert abs(result.var - normal.var) < 4 * var_error
    assert abs(result.es - normal.es) < 4 * es_error
    assert result.contributions.sum() == pytest.approx(result.es, rel=1e-10)
    assert (result.method, result.scenarios) == (VarMethod.MONTE_CARLO, paths)


def test_monte_carlo_contributions_approach_parametric_component_es() -> None:
    values, covariance = _book(4)
    result = monte_carlo_var(values, covariance, 0.99, paths=400_000, seed=3)
    sigma = math.sqrt(values @ covariance @ values)
    z = stats.norm.ppf(0.99)
    component_es = values * (covariance @ values) / sigma * stats.norm.pdf(z) / 0.01
    np.testing.assert_allclose(result.contributions, component_es, rtol=0.05)


def test_monte_carlo_is_reproducible_by_seed() -> None:
    values, covariance = _book()
    first = monte_carlo_var(values, covariance, paths=2000, seed=42)
    again = monte_carlo_var(values, covariance, paths=2000, seed=42)
    other = monte_carlo_var(values, covariance, paths=2000, seed=43)
    assert (first.var, first.es) == (again.var, again.es)
    np.testing.assert_array_equal(first.contributions, again.contributions)
    assert first.var != other.var
    generator = monte_carlo_var(values, covariance, paths=2000, seed=np.random.default_rng(42))
    assert generator.var == first.var


def test_monte_carlo_student_t_matches_the_scaled_t_quantile() -> None:
    nu, sigma, paths = 4.0, 0.02, 200_000
    result = monte_carlo_var(
        [1e6],
        [[sigma**2]],
        0.99,
        paths=paths,
        seed=5,
        distribution=ShockDistribution.STUDENT_T,
        degrees_of_freedom=nu,
    )
    scale = sigma * math.sqrt((nu - 2) / nu) * 1e6  # a t with variance sigma^2
    quantile = stats.t.ppf(0.99, nu) * scale
    density = stats.t.pdf(stats.t.ppf(0.99, nu), nu) / scale
    standard_error = math.sqrt(0.99 * 0.01 / paths) / density
    assert abs(result.var - quantile) < 4 * standard_error
    normal = parametric_var([1e6], [[sigma**2]], 0.99)
    assert result.es / result.var > normal.es / normal.var  # fatter tail beyond the VaR


def test_monte_carlo_handles_perfectly_correlated_instruments() -> None:
    covariance = np.full((2, 2), 1e-4)  # singular: no Cholesky factor
    factor = covariance_factor(covariance)
    np.testing.assert_allclose(factor @ factor.T, covariance, atol=1e-18)
    result = monte_carlo_var([1e6, 1e6], covariance, 0.99, paths=50_000, seed=1)
    normal = parametric_var([1e6, 1e6], covariance, 0.99)
    var_error, _ = _normal_standard_errors(2e6 * 0.01, 0.99, 50_000)
    assert abs(result.var - normal.var) < 4 * var_error
    with pytest.raises(ValueError, match="semi-definite"):
        covariance_factor([[1e-4, 2e-4], [2e-4, 1e-4]])


def test_monte_carlo_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="degrees_of_freedom"):
        monte_carlo_var(
            [1.0], [[1e-4]], distribution=ShockDistribution.STUDENT_T, degrees_of_freedom=2.0
        )
    with pytest.raises(ValueError, match="at least 100"):
        monte_carlo_var([1.0], [[1e-4]], 0.99, paths=50)
    with pytest.raises(ValueError, match="paths"):
        monte_carlo_var([1.0], [[1e-4]], paths=0)


def test_result_to_dict() -> None:
    result = parametric_var([1e6], [[1e-4]], 0.99)
    assert result.to_dict() == {
        "method": "PARAMETRIC",
        "confidence": 0.99,
        "horizon": 1,
        "var": result.var,
        "es": result.es,
        "scenarios": 0,
    }
