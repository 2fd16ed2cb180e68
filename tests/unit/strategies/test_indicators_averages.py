"""Moving averages against independent references: pandas rolling mean, ``ewm(span=n,
adjust=False)`` and ``ewm(alpha=1/n, adjust=False)`` after a numpy-mean seed, hand-computed
cases, and ``math.fsum`` for the drift control of the running sum."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.strategies.indicators import (
    ExponentialMovingAverage,
    SimpleMovingAverage,
    WilderMovingAverage,
)

prices = st.lists(
    st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=80,
)


def _feed(indicator, values) -> np.ndarray:
    return np.array([indicator.update(float(v)) for v in values])


def _seeded_ewm(values, period: int, alpha: float) -> np.ndarray:
    """NaN for ``period - 1`` values, the numpy mean of the first ``period``, then pandas ewm."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.size, np.nan)
    if values.size >= period:
        seeded = np.concatenate([[values[:period].mean()], values[period:]])
        out[period - 1 :] = pd.Series(seeded).ewm(alpha=alpha, adjust=False).mean().to_numpy()
    return out


# ---- SimpleMovingAverage --------------------------------------------------------------------
@settings(max_examples=200)
@given(values=prices, period=st.integers(min_value=1, max_value=25))
def test_sma_matches_pandas_rolling_mean_with_partial_windows_before_ready(values, period):
    ours = _feed(SimpleMovingAverage(period), values)
    batch = SimpleMovingAverage.batch(values, period)

    # Before `period` values the average is over what was seen (pandas min_periods=1).
    reference = pd.Series(values).rolling(period, min_periods=1).mean().to_numpy()
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(batch, ours, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("period", [1, 2, 10, 200])
def test_sma_batch_equals_its_updates_on_a_long_random_walk(period):
    values = 100.0 + np.random.default_rng(period).normal(0.0, 1.0, 30_000).cumsum()
    ours = _feed(SimpleMovingAverage(period), values)

    batch = SimpleMovingAverage.batch(values, period)
    # Running sums err by ulps of the largest values summed, not of a mean that crosses zero.
    np.testing.assert_allclose(batch, ours, rtol=1e-9, atol=1e-12 * np.abs(values).max())
    np.testing.assert_allclose(ours, pd.Series(values).rolling(period, min_periods=1).mean())


def test_sma_hand_computed_and_is_ready_after_exactly_period_values():
    sma = SimpleMovingAverage(3)
    assert math.isnan(sma.value)
    seen = []
    for value in (1.0, 2.0, 6.0, 10.0):
        seen.append((sma.update(value), sma.is_ready, sma.initialized))
    assert seen == [(1.0, False, False), (1.5, False, False), (3.0, True, True), (6.0, True, True)]
    assert sma.value == 6.0


def test_sma_running_sum_is_resummed_so_drift_from_huge_values_does_not_persist():
    # Sums of ~1e11 carry rounding errors of ~1e-5 per update; without the periodic exact
    # re-summation (every 10,000 updates) the average of the later small values is off by ~1e-6.
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.uniform(1e9, 2e9, 5_000), rng.normal(0.0, 1.0, 7_000)])
    sma = SimpleMovingAverage(50)
    for value in values:
        sma.update(float(value))

    assert sma.value == pytest.approx(math.fsum(values[-50:]) / 50, abs=1e-12)


# ---- ExponentialMovingAverage ---------------------------------------------------------------
@settings(max_examples=200)
@given(values=prices, period=st.integers(min_value=1, max_value=40))
def test_ema_matches_pandas_ewm_without_adjustment(values, period):
    ours = _feed(ExponentialMovingAverage(period), values)

    # span=n is alpha = 2/(n+1); adjust=False seeds with the first value.
    reference = pd.Series(values).ewm(span=period, adjust=False).mean().to_numpy()
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(ExponentialMovingAverage.batch(values, period), ours)


@settings(max_examples=200)
@given(values=prices, period=st.integers(min_value=1, max_value=40))
def test_ema_with_sma_seed_matches_a_numpy_mean_seed_then_pandas_ewm(values, period):
    ours = _feed(ExponentialMovingAverage(period, seed="sma"), values)

    reference = _seeded_ewm(values, period, alpha=2.0 / (period + 1.0))
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(ExponentialMovingAverage.batch(values, period, "sma"), ours)


def test_ema_hand_computed_alpha_and_seed():
    ema = ExponentialMovingAverage(3)  # alpha = 2 / 4 = 0.5
    assert [ema.update(v) for v in (10.0, 20.0, 0.0)] == [10.0, 15.0, 7.5]
    assert ema.is_ready
    assert ema.initialized
    assert not ExponentialMovingAverage(4).is_ready

    seeded = ExponentialMovingAverage(3, seed="sma")
    values = [seeded.update(v) for v in (10.0, 20.0, 0.0, 4.0)]
    # NaN, NaN, the mean 10, then 10 + 0.5 * (4 - 10).
    assert values[2:] == [10.0, 7.0]
    assert math.isnan(values[0]) and math.isnan(values[1])


# ---- WilderMovingAverage --------------------------------------------------------------------
@settings(max_examples=200)
@given(values=prices, period=st.integers(min_value=1, max_value=30))
def test_wilder_average_matches_a_mean_seed_then_pandas_ewm_with_alpha_one_over_period(
    values, period
):
    ours = _feed(WilderMovingAverage(period), values)

    reference = _seeded_ewm(values, period, alpha=1.0 / period)
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(WilderMovingAverage.batch(values, period), ours)


def test_wilder_average_hand_computed():
    wilder = WilderMovingAverage(3)
    values = [wilder.update(v) for v in (3.0, 6.0, 9.0, 12.0)]
    # Seed (3 + 6 + 9) / 3 = 6, then (2 * 6 + 12) / 3 = 8.
    assert values[2:] == [6.0, 8.0]
    assert wilder.initialized


# ---- lifecycle and invalid parameters -------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: SimpleMovingAverage(4),
        lambda: ExponentialMovingAverage(4),
        lambda: ExponentialMovingAverage(4, seed="sma"),
        lambda: WilderMovingAverage(4),
    ],
)
def test_reset_forgets_everything(make):
    values = np.random.default_rng(0).normal(0.0, 1.0, 30)
    used, fresh = make(), make()
    _feed(used, values[:17])
    used.reset()
    assert not used.initialized
    assert math.isnan(used.value)
    np.testing.assert_array_equal(_feed(used, values), _feed(fresh, values))


@pytest.mark.parametrize(
    "indicator", [SimpleMovingAverage, ExponentialMovingAverage, WilderMovingAverage]
)
@pytest.mark.parametrize("period", [0, -3, 2.5, "5", None, True])
def test_averages_refuse_a_period_that_is_not_a_positive_integer(indicator, period):
    with pytest.raises(ValueError, match=r"period: expected an integer >= 1, was"):
        indicator(period)


def test_ema_refuses_an_unknown_seed():
    with pytest.raises(ValueError, match=r"seed: expected 'first' or 'sma', was 'mean'"):
        ExponentialMovingAverage(5, seed="mean")  # type: ignore[arg-type]
