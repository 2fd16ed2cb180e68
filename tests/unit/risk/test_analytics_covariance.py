"""Covariance and correlation estimators (midfreq.risk.analytics.covariance) against numpy,
pandas and a hand-written RiskMetrics recursion, with and without missing returns."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from midfreq.risk.analytics import covariance as covariance_module
from midfreq.risk.analytics.covariance import (
    RISKMETRICS_DECAY,
    EwmaCovariance,
    NanPolicy,
    correlation_from_covariance,
    covariance_from_correlation,
    ewma_correlation,
    ewma_covariance,
    ewma_volatility,
    nearest_psd,
    rolling_correlation,
    rolling_covariance,
    sample_correlation,
    sample_covariance,
)


def _returns(t: int = 120, n: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(n, n)) + 2 * np.eye(n)
    return rng.normal(size=(t, n)) @ mixing * 0.005 + 0.0003


def _gappy(t: int = 120, n: int = 4, seed: int = 0) -> np.ndarray:
    """Returns with a late listing (column 2) and scattered gaps."""
    array = _returns(t, n, seed)
    array[:30, 2] = np.nan
    array[[10, 57, 90], 0] = np.nan
    array[[57, 100], 1] = np.nan
    return array


def _pandas_blocks(frame: pd.DataFrame, n: int) -> np.ndarray:
    """A pairwise pandas result (T*N rows, N columns) as T x N x N."""
    return frame.to_numpy().reshape(-1, n, n)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(covariance_module)
    assert result.attempted > 0
    assert result.failed == 0


# ------------------------------------------------------------------------------- sample


def test_sample_covariance_is_numpy_cov_without_gaps() -> None:
    returns = _returns()
    np.testing.assert_allclose(
        sample_covariance(returns), np.cov(returns, rowvar=False), rtol=1e-12
    )
    np.testing.assert_allclose(
        sample_covariance(returns, ddof=0), np.cov(returns, rowvar=False, ddof=0), rtol=1e-12
    )
    np.testing.assert_allclose(
        sample_correlation(returns), np.corrcoef(returns, rowvar=False), rtol=1e-12
    )


def test_pairwise_matches_pandas_with_gaps() -> None:
    returns = _gappy()
    frame = pd.DataFrame(returns)
    np.testing.assert_allclose(
        sample_covariance(returns), frame.cov().to_numpy(), rtol=1e-12, atol=1e-18
    )
    np.testing.assert_allclose(
        sample_correlation(returns), frame.corr().to_numpy(), rtol=1e-12, atol=1e-15
    )


def test_min_periods_leaves_short_pairs_unknown() -> None:
    returns = _gappy()
    result = sample_covariance(returns, min_periods=95)
    expected = pd.DataFrame(returns).cov(min_periods=95).to_numpy()
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    assert np.isnan(result[2, 0]) and np.isnan(result[0, 2])  # 88 joint periods
    assert not np.isnan(result[0, 1])  # 115
    np.testing.assert_allclose(result[~np.isnan(result)], expected[~np.isnan(expected)])


def test_drop_rows_and_zero_policies() -> None:
    returns = _gappy()
    complete = returns[~np.isnan(returns).any(axis=1)]
    np.testing.assert_allclose(
        sample_covariance(returns, nan_policy=NanPolicy.DROP_ROWS),
        np.cov(complete, rowvar=False),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        sample_covariance(returns, nan_policy=NanPolicy.ZERO),
        np.cov(np.nan_to_num(returns), rowvar=False),
        rtol=1e-12,
    )
    # Both give positive semi-definite matrices; pairwise on these gaps need not.
    for policy in (NanPolicy.DROP_ROWS, NanPolicy.ZERO):
        eigenvalues = np.linalg.eigvalsh(sample_covariance(returns, nan_policy=policy))
        assert eigenvalues.min() > -1e-15


def test_constant_series_has_unknown_correlation() -> None:
    returns = _returns(50, 2)
    returns[:, 1] = 0.001
    result = sample_correlation(returns)
    assert np.isnan(result[0, 1]) and result[0, 0] == pytest.approx(1.0)
    assert sample_covariance(returns)[1, 1] == pytest.approx(0.0, abs=1e-20)


# ------------------------------------------------------------------------------ rolling


@pytest.mark.parametrize(("window", "min_periods"), [(20, None), (20, 5), (60, 30)])
def test_rolling_covariance_matches_pandas(window: int, min_periods: int | None) -> None:
    returns = _gappy()
    result = rolling_covariance(returns, window, min_periods=min_periods)
    expected = _pandas_blocks(
        pd.DataFrame(returns).rolling(window, min_periods=min_periods).cov(), 4
    )
    assert result.shape == (120, 4, 4)
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    np.testing.assert_allclose(result, expected, rtol=1e-9, atol=1e-16, equal_nan=True)


def test_rolling_correlation_matches_pandas() -> None:
    returns = _gappy()
    result = rolling_correlation(returns, 25, min_periods=10)
    expected = _pandas_blocks(pd.DataFrame(returns).rolling(25, min_periods=10).corr(), 4)
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    np.testing.assert_allclose(result, expected, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_rolling_stays_accurate_on_long_offset_series() -> None:
    # Running sums over 5,000 periods of returns far from zero: precision must survive.
    returns = _returns(5000, 3, seed=4) + 0.5
    result = rolling_covariance(returns, 50)
    expected = _pandas_blocks(pd.DataFrame(returns).rolling(50).cov(), 3)
    np.testing.assert_allclose(result[49:], expected[49:], rtol=1e-8)
    last = sample_covariance(returns[-50:])
    np.testing.assert_allclose(result[-1], last, rtol=1e-9)


def test_rolling_rejects_a_window_below_two() -> None:
    with pytest.raises(ValueError, match="window"):
        rolling_covariance(_returns(), 1)


# --------------------------------------------------------------------------------- EWMA


def _riskmetrics_recursion(returns: np.ndarray, lam: float) -> np.ndarray:
    """S_t = lambda S_{t-1} + (1 - lambda) r_t r_t', started from zero."""
    state = np.zeros((returns.shape[1], returns.shape[1]))
    for row in returns:
        state = lam * state + (1 - lam) * np.outer(row, row)
    return state


@pytest.mark.parametrize("lam", [RISKMETRICS_DECAY, 0.97, 0.5])
def test_ewma_is_the_normalised_riskmetrics_recursion(lam: float) -> None:
    returns = _returns(80)
    result = ewma_covariance(returns, lam)
    # From zero the recursion's weights sum to 1 - lambda^T; normalising removes exactly that.
    expected = _riskmetrics_recursion(returns, lam) / (1 - lam ** returns.shape[0])
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_ewma_default_decay_is_riskmetrics() -> None:
    returns = _returns(500)
    np.testing.assert_allclose(
        ewma_covariance(returns), _riskmetrics_recursion(returns, 0.94), rtol=1e-10
    )


def test_ewma_demeaned_matches_pandas_with_gaps() -> None:
    returns = _gappy()
    frame = pd.DataFrame(returns)
    ewm = frame.ewm(alpha=1 - RISKMETRICS_DECAY, adjust=True)
    expected = ewm.cov(bias=True).iloc[-4:].to_numpy()
    np.testing.assert_allclose(
        ewma_covariance(returns, demean=True), expected, rtol=1e-10, atol=1e-18
    )
    expected_corr = ewm.corr().iloc[-4:].to_numpy()
    np.testing.assert_allclose(
        ewma_correlation(returns, demean=True), expected_corr, rtol=1e-10, atol=1e-12
    )


def test_ewma_zero_mean_matches_pandas_ewm_of_products_with_gaps() -> None:
    returns = _gappy()
    frame = pd.DataFrame(returns)
    expected = np.array(
        [
            [
                (frame[i] * frame[j]).ewm(alpha=1 - RISKMETRICS_DECAY).mean().iloc[-1]
                for j in range(4)
            ]
            for i in range(4)
        ]
    )
    result = ewma_covariance(returns)
    np.testing.assert_allclose(result, expected, rtol=1e-10)
    joint = frame[0].notna() & frame[1].notna()
    a, b = frame[0].where(joint), frame[1].where(joint)

    def average(series: pd.Series) -> float:
        return float(series.ewm(alpha=1 - RISKMETRICS_DECAY).mean().iloc[-1])

    expected_corr = average(a * b) / np.sqrt(average(a * a) * average(b * b))
    assert ewma_correlation(returns)[0, 1] == pytest.approx(expected_corr, rel=1e-10)


def test_ewma_min_periods() -> None:
    returns = _gappy()[:40]
    result = ewma_covariance(returns, min_periods=15)
    # column 2 starts at row 30: 10 joint periods with anyone
    assert np.isnan(result[2]).all() and np.isnan(result[:, 2]).all()
    assert not np.isnan(result[np.ix_([0, 1, 3], [0, 1, 3])]).any()


def test_online_estimator_equals_batch() -> None:
    returns = _gappy()
    for demean in (False, True):
        estimator = EwmaCovariance(4, 0.9, demean=demean, min_periods=5)
        for row in returns:
            estimator.update(row)
        np.testing.assert_allclose(
            estimator.covariance(),
            ewma_covariance(returns, 0.9, demean=demean, min_periods=5),
            rtol=1e-10,
            equal_nan=True,
        )
        np.testing.assert_allclose(
            estimator.correlation(),
            ewma_correlation(returns, 0.9, demean=demean, min_periods=5),
            rtol=1e-10,
            equal_nan=True,
        )
    assert estimator.periods == 120
    with pytest.raises(ValueError, match="shape"):
        estimator.update([0.1, 0.2])


def test_ewma_volatility_matches_pandas() -> None:
    returns = _gappy()
    result = ewma_volatility(returns, min_periods=5)
    frame = pd.DataFrame(returns)
    expected = np.sqrt((frame**2).ewm(alpha=0.06, min_periods=5).mean().to_numpy())
    np.testing.assert_allclose(result, expected, rtol=1e-10, equal_nan=True)
    assert np.isnan(result[33, 2]) and not np.isnan(result[34, 2])
    np.testing.assert_allclose(
        result[-1] ** 2, np.diag(ewma_covariance(returns, min_periods=5)), rtol=1e-10
    )


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.5, 1.2])
def test_decay_must_be_inside_the_unit_interval(bad: float) -> None:
    with pytest.raises(ValueError, match="decay"):
        ewma_covariance(_returns(), bad)


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="2-D"):
        sample_covariance(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="infinite"):
        sample_covariance([[np.inf, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="min_periods"):
        sample_covariance(_returns(), min_periods=1)


# ----------------------------------------------------------------------------- helpers


def test_correlation_and_covariance_round_trip() -> None:
    covariance = np.cov(_returns(), rowvar=False)
    correlation = correlation_from_covariance(covariance)
    np.testing.assert_allclose(np.diag(correlation), 1.0)
    np.testing.assert_allclose(correlation, np.corrcoef(_returns(), rowvar=False), rtol=1e-12)
    volatility = np.sqrt(np.diag(covariance))
    np.testing.assert_allclose(
        covariance_from_correlation(correlation, volatility), covariance, rtol=1e-12
    )


def test_nearest_psd_repairs_an_indefinite_pairwise_estimate() -> None:
    indefinite = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    assert np.linalg.eigvalsh(indefinite).min() < 0
    repaired = nearest_psd(indefinite)
    assert np.linalg.eigvalsh(repaired).min() > -1e-12
    np.testing.assert_allclose(repaired, repaired.T)
    # eigenvalue clipping: same eigenvectors, negative eigenvalues set to zero
    values, vectors = np.linalg.eigh(indefinite)
    np.testing.assert_allclose(repaired, vectors @ np.diag(np.maximum(values, 0)) @ vectors.T)
    psd = np.cov(_returns(), rowvar=False)
    np.testing.assert_allclose(nearest_psd(psd), psd, rtol=1e-10)
