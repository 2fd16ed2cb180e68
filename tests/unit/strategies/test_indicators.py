"""Indicators against independent references: pandas rolling mean, ``ewm(adjust=False)`` and
rolling sample standard deviation, numpy for the one-shot z-score, and ``math.fsum`` for the
drift control of the running sums over more than 10,000 updates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from midfreq.strategies.indicators import (
    ExponentialMovingAverage,
    RollingZScore,
    SimpleMovingAverage,
    z_score,
)

prices = st.lists(
    st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=80,
)


def _feed(indicator: SimpleMovingAverage | ExponentialMovingAverage | RollingZScore, values):
    return np.array([indicator.update(float(v)) for v in values])


# ---- SimpleMovingAverage --------------------------------------------------------------------
@settings(max_examples=200)
@given(values=prices, period=st.integers(min_value=1, max_value=25))
def test_sma_matches_pandas_rolling_mean_with_partial_windows_before_ready(values, period):
    ours = _feed(SimpleMovingAverage(period), values)

    # Before `period` values the average is over what was seen (pandas min_periods=1).
    reference = pd.Series(values).rolling(period, min_periods=1).mean().to_numpy()
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-9)


def test_sma_hand_computed_and_is_ready_after_exactly_period_values():
    sma = SimpleMovingAverage(3)
    assert math.isnan(sma.value)
    seen = []
    for value in (1.0, 2.0, 6.0, 10.0):
        seen.append((sma.update(value), sma.is_ready))
    assert seen == [(1.0, False), (1.5, False), (3.0, True), (6.0, True)]
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


def test_ema_hand_computed_alpha_and_seed():
    ema = ExponentialMovingAverage(3)  # alpha = 2 / 4 = 0.5
    assert [ema.update(v) for v in (10.0, 20.0, 0.0)] == [10.0, 15.0, 7.5]
    assert ema.is_ready
    assert not ExponentialMovingAverage(4).is_ready


# ---- RollingZScore --------------------------------------------------------------------------
def _pandas_z(values, period: int) -> np.ndarray:
    series = pd.Series(values, dtype=float)
    rolling = series.rolling(period)
    return ((series - rolling.mean()) / rolling.std(ddof=1)).to_numpy()


@settings(max_examples=200)
@given(values=prices, period=st.integers(min_value=2, max_value=25))
def test_rolling_z_score_matches_pandas_rolling_mean_and_sample_std(values, period):
    ours = _feed(RollingZScore(period), values)
    reference = _pandas_z(values, period)
    std = pd.Series(values, dtype=float).rolling(period).std(ddof=1).to_numpy()
    largest_seen = np.maximum(1.0, np.maximum.accumulate(np.abs(values)))

    assert np.isnan(ours[: period - 1]).all()
    # Compare where the window is clearly not flat relative to the largest value seen: a
    # (nearly) flat window is nan by design (see below), and running sums of squares are only
    # as precise as the largest square that passed through them.
    clear = ~np.isnan(reference) & (std > 1e-3 * largest_seen)
    np.testing.assert_allclose(ours[clear], reference[clear], rtol=1e-7, atol=1e-7)


def test_rolling_z_score_over_a_long_random_walk_matches_pandas_at_every_step():
    rng = np.random.default_rng(7)
    values = 100.0 + rng.normal(0.0, 1.0, 12_345).cumsum()
    ours = _feed(RollingZScore(20), values)
    reference = _pandas_z(values, 20)

    np.testing.assert_allclose(ours[19:], reference[19:], rtol=1e-8, atol=1e-8)
    assert np.isnan(ours[:19]).all()


def test_rolling_z_score_sums_are_resummed_so_drift_from_huge_values_does_not_persist():
    # Squares of ~1e6 leave an error of ~0.2 in the running sum of squares, about 0.2% of the
    # later windows' variance; the exact re-summation every 10,000 updates removes it.
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.uniform(1e6, 2e6, 3_000), rng.normal(100.0, 1.0, 9_000)])
    z = RollingZScore(20)
    for value in values:
        z.update(float(value))

    window = values[-20:]
    expected = (window[-1] - window.mean()) / window.std(ddof=1)
    assert z.value == pytest.approx(expected, rel=1e-9)
    assert z.mean == pytest.approx(window.mean(), rel=1e-12)


def test_rolling_z_score_hand_computed_and_flat_window_is_nan():
    z = RollingZScore(3)
    # Window (1, 2, 6): mean 3, sample variance (4 + 1 + 9) / 2 = 7.
    assert [math.isnan(z.update(v)) for v in (1.0, 2.0)] == [True, True]
    assert z.update(6.0) == pytest.approx(3.0 / math.sqrt(7.0), rel=1e-12)
    assert z.is_ready

    flat = RollingZScore(4)
    for _ in range(10):
        value = flat.update(100.0)
    assert math.isnan(value)


# ---- z_score --------------------------------------------------------------------------------
@settings(max_examples=200)
@given(values=st.lists(st.floats(-1e4, 1e4), min_size=2, max_size=60))
def test_z_score_matches_numpy_sample_std(values):
    array = np.array(values)
    result = z_score(values)
    if len(set(values)) == 1:
        assert math.isnan(result)  # numpy may report a rounding-noise std here; it is 0
        return
    std = array.std(ddof=1)
    assume(std > 1e-6 * max(1.0, np.abs(array).max()))
    assert result == pytest.approx((array[-1] - array.mean()) / std, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    "values",
    [
        [],
        [5.0],
        [3.0, 3.0, 3.0],
        # fsum(3 * x) / 3 != x here: the mean is off by an ulp, so a naive check scores ~0.82
        [100.1] * 3,
        [190.07] * 3,
        [0.1] * 3,
    ],
)
def test_z_score_is_nan_when_undefined(values):
    assert math.isnan(z_score(values))


def test_z_score_hand_computed():
    # mean 2, sample variance (1 + 0 + 1) / 2 = 1: the last value is one std above.
    assert z_score([1.0, 2.0, 3.0]) == pytest.approx(1.0)
    assert z_score((3.0, 2.0, 1.0)) == pytest.approx(-1.0)


# ---- invalid periods ------------------------------------------------------------------------
@pytest.mark.parametrize("indicator", [SimpleMovingAverage, ExponentialMovingAverage])
@pytest.mark.parametrize("period", [0, -3, 2.5, "5", None])
def test_averages_refuse_a_period_that_is_not_a_positive_integer(indicator, period):
    with pytest.raises(ValueError, match=r"period: expected an integer >= 1, was"):
        indicator(period)


@pytest.mark.parametrize("period", [1, 0, -2, 3.0, "20"])
def test_rolling_z_score_refuses_a_period_below_two(period):
    with pytest.raises(ValueError, match=r"period: expected an integer >= 2, was"):
        RollingZScore(period)
