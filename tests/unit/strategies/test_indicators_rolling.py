"""Rolling standard deviation and z-score against independent references: numpy's two-pass std
of each window, pandas rolling mean/std, exact rational arithmetic (`fractions`) where floats
themselves are the question, and ``math.fsum`` for the one-shot `z_score`."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from midfreq.strategies.indicators import RollingStandardDeviation, RollingZScore, z_score

prices = st.lists(
    st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=80,
)


def _feed(indicator: RollingStandardDeviation | RollingZScore, values) -> np.ndarray:
    return np.array([indicator.update(float(v)) for v in values])


def _each_window(values, period: int, statistic) -> np.ndarray:
    """``statistic`` of each full window, NaN before: a plain loop over numpy slices."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.size, np.nan)
    for end in range(period, values.size + 1):
        out[end - 1] = statistic(values[end - period : end])
    return out


def _numpy_std(ddof: int):
    return lambda window: window.std(ddof=ddof)


def _numpy_z(window: np.ndarray) -> float:
    std = window.std(ddof=1)
    return math.nan if std == 0.0 else (window[-1] - window.mean()) / std


def _exact_z(window) -> float:
    """The z-score in rational arithmetic, rounded once at the end."""
    exact = [Fraction(float(v)) for v in window]
    mean = sum(exact) / len(exact)
    variance = sum((v - mean) ** 2 for v in exact) / (len(exact) - 1)
    return float(exact[-1] - mean) / math.sqrt(variance)


def _random_walk(seed: int, size: int, offset: float = 100.0) -> np.ndarray:
    return offset + np.random.default_rng(seed).normal(0.0, 1.0, size).cumsum()


# ---- RollingStandardDeviation ---------------------------------------------------------------
@settings(max_examples=200)
@given(values=prices, period=st.integers(min_value=2, max_value=25), ddof=st.sampled_from([0, 1]))
def test_std_matches_numpy_two_pass_std_of_each_window(values, period, ddof):
    reference = _each_window(values, period, _numpy_std(ddof))
    ours = _feed(RollingStandardDeviation(period, ddof=ddof), values)
    batch = RollingStandardDeviation.batch(values, period, ddof=ddof)

    # Absolute error relative to the largest value seen: that is what a window's values carry.
    scale = max(1.0, max(abs(v) for v in values))
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(batch, reference, rtol=1e-9, atol=1e-12 * scale)


@pytest.mark.parametrize("period", [2, 5, 20, 100])
@pytest.mark.parametrize("ddof", [0, 1])
def test_std_over_a_long_random_walk_matches_pandas_and_its_batch_form(period, ddof):
    values = _random_walk(period, 20_000)
    std = RollingStandardDeviation(period, ddof=ddof)
    ours = _feed(std, values)
    batch = RollingStandardDeviation.batch(values, period, ddof=ddof)

    # pandas' own rolling variance is off by up to ~1e-9 absolute on these ~100 prices.
    pandas = pd.Series(values).rolling(period).std(ddof=ddof).to_numpy()
    np.testing.assert_allclose(ours, pandas, rtol=1e-8, atol=1e-8)
    two_pass = _each_window(values, period, _numpy_std(ddof))
    np.testing.assert_allclose(ours, two_pass, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(batch, ours, rtol=1e-9, atol=1e-12)
    assert std.mean == pytest.approx(values[-period:].mean(), rel=1e-12)
    assert std.variance == pytest.approx(values[-period:].var(ddof=ddof), rel=1e-9)


def _exact_std(window) -> float:
    exact = [Fraction(float(v)) for v in window]
    mean = sum(exact) / len(exact)
    return math.sqrt(sum((v - mean) ** 2 for v in exact) / (len(exact) - 1))


@pytest.mark.parametrize("period", [2, 20, 250])
def test_std_of_a_large_offset_plus_small_noise_keeps_its_precision(period):
    # 1e9 + N(0, 1): a running sum of squares cancels ~18 digits down to a spread of ~1 (the
    # old sums declared every window flat) and pandas' rolling std is off by up to ~1e-4.
    values = 1e9 + np.random.default_rng(11).normal(0.0, 1.0, 30_000)
    ours = _feed(RollingStandardDeviation(period), values)
    batch = RollingStandardDeviation.batch(values, period)

    # numpy's two-pass std rounds the window mean to the 1.2e-7 spacing of floats near 1e9,
    # which moves the std of two values 1e-5 apart by ~5e-10 (numpy's error, not ours): within
    # 1e-9 of the noise's scale, and relative 1e-9 elsewhere.
    reference = _each_window(values, period, _numpy_std(1))
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(batch, reference, rtol=1e-9, atol=1e-9)
    # Against exact rational arithmetic the relative error is far below 1e-9.
    for end in range(period, values.size + 1, 499):
        exact = _exact_std(values[end - period : end])
        assert ours[end - 1] == pytest.approx(exact, rel=1e-9)
        assert batch[end - 1] == pytest.approx(exact, rel=1e-9)


def test_std_after_huge_values_leave_the_window_is_recomputed_exactly():
    # Values of ~1e6 leave rounding of ~1e-4 in the running sum of squared deviations; the
    # later windows' spread is ~1e-3, so their variance (~1e-6) would be noise without the
    # exact re-computation when the sum collapses below 1e-4 of its peak.
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.uniform(1e6, 2e6, 300), 5.0 + rng.normal(0.0, 1e-3, 700)])
    reference = _each_window(values, 20, _numpy_std(1))

    np.testing.assert_allclose(_feed(RollingStandardDeviation(20), values), reference, rtol=1e-9)


def test_std_of_a_constant_series_is_exactly_zero_and_its_mean_exactly_the_value():
    # 100.1 * 3 / 3 != 100.1 in floats: the mean must not be recomputed from a sum here.
    for period, ddof in ((1, 0), (2, 1), (3, 1), (7, 0)):
        std = RollingStandardDeviation(period, ddof=ddof)
        values = [5.0, -3.0, *([100.1] * 30)]
        ours = _feed(std, values)

        assert (ours[period + 1 :] == 0.0).all()
        assert std.mean == 100.1
        assert (RollingStandardDeviation.batch(values, period, ddof=ddof)[period + 1 :] == 0).all()


def test_std_hand_computed_windows_of_one_and_two():
    one = RollingStandardDeviation(1, ddof=0)
    assert _feed(one, [3.0, 8.0]).tolist() == [0.0, 0.0]
    two = RollingStandardDeviation(2)
    # (1, 3): mean 2, sample variance (1 + 1) / 1 = 2; (3, 3): 0.
    assert _feed(two, [1.0, 3.0, 3.0])[1:].tolist() == [math.sqrt(2.0), 0.0]


# ---- RollingZScore --------------------------------------------------------------------------
@settings(max_examples=200)
@given(values=prices, period=st.integers(min_value=2, max_value=25))
def test_rolling_z_score_matches_numpy_on_every_non_flat_window(values, period):
    ours = _feed(RollingZScore(period), values)
    batch = RollingZScore.batch(values, period)
    reference = _each_window(values, period, _numpy_z)

    assert np.isnan(ours[: period - 1]).all()
    # Windows whose spread is near 1e-12 of their mean sit on the flatness limit; skip those.
    std = _each_window(values, period, _numpy_std(1))
    mean = _each_window(values, period, np.mean)
    clear = np.isnan(reference) | (std > 1e-9 * np.abs(mean))
    np.testing.assert_allclose(ours[clear], reference[clear], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(batch[clear], ours[clear], rtol=1e-9, atol=1e-9)


def test_rolling_z_score_over_a_long_random_walk_matches_pandas_at_every_step():
    values = _random_walk(7, 12_345)
    series = pd.Series(values)
    rolling = series.rolling(20)
    reference = ((series - rolling.mean()) / rolling.std(ddof=1)).to_numpy()
    ours = _feed(RollingZScore(20), values)

    np.testing.assert_allclose(ours[19:], reference[19:], rtol=1e-8, atol=1e-8)
    assert np.isnan(ours[:19]).all()
    np.testing.assert_allclose(RollingZScore.batch(values, 20), ours, rtol=1e-9, atol=1e-9)


def test_rolling_z_score_of_a_large_offset_matches_exact_rational_arithmetic():
    values = 1e9 + np.random.default_rng(2).normal(0.0, 1.0, 5_000)
    ours = _feed(RollingZScore(30), values)
    batch = RollingZScore.batch(values, 30)
    for end in range(30, values.size + 1, 97):
        exact = _exact_z(values[end - 30 : end])
        assert ours[end - 1] == pytest.approx(exact, rel=1e-9, abs=1e-9)
        assert batch[end - 1] == pytest.approx(exact, rel=1e-9, abs=1e-9)


def test_rolling_z_score_sums_are_resynchronised_so_huge_values_leave_no_trace():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.uniform(1e6, 2e6, 3_000), rng.normal(100.0, 1.0, 9_000)])
    z = RollingZScore(20)
    for value in values:
        z.update(float(value))

    window = values[-20:]
    assert z.value == pytest.approx(_exact_z(window), rel=1e-9)
    assert z.mean == pytest.approx(window.mean(), rel=1e-12)


def test_rolling_z_score_hand_computed_and_flat_window_is_nan():
    z = RollingZScore(3)
    # Window (1, 2, 6): mean 3, sample variance (4 + 1 + 9) / 2 = 7.
    assert [math.isnan(z.update(v)) for v in (1.0, 2.0)] == [True, True]
    assert z.update(6.0) == pytest.approx(3.0 / math.sqrt(7.0), rel=1e-12)
    assert z.initialized
    assert z.is_ready

    flat = RollingZScore(4)
    values = [1.0, 2.0, *([100.1] * 10)]
    assert np.isnan(_feed(flat, values)[5:]).all()
    assert flat.std == 0.0
    assert np.isnan(RollingZScore.batch(values, 4)[5:]).all()


def test_rolling_z_score_of_window_two_is_plus_or_minus_one_over_root_two():
    # Two distinct values: mean halfway, sample std |a - b| / sqrt(2).
    z = _feed(RollingZScore(2), [1.0, 5.0, 2.0, 2.0])
    assert z[1:3].tolist() == pytest.approx([math.sqrt(0.5), -math.sqrt(0.5)], rel=1e-12)
    assert math.isnan(z[3])


def test_rolling_z_score_of_a_near_flat_window_is_nan_below_the_relative_limit():
    # A spread of 1e-13 of the mean is rounding noise for z-scores: NaN, as `z_score` says.
    values = [1e3, 1e3, 1e3 * (1 + 2e-13)]
    assert math.isnan(RollingZScore(3).update(values[0]))
    assert math.isnan(_feed(RollingZScore(3), values)[-1])
    assert math.isnan(z_score(values))
    assert not math.isnan(_feed(RollingZScore(3), [1e3, 1e3, 1e3 * (1 + 1e-9)])[-1])


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


# ---- invalid parameters ---------------------------------------------------------------------
@pytest.mark.parametrize("period", [1, 0, -2, 3.0, "20", True])
def test_rolling_z_score_refuses_a_period_below_two(period):
    with pytest.raises(ValueError, match=r"period: expected an integer >= 2, was"):
        RollingZScore(period)


@pytest.mark.parametrize(("period", "ddof"), [(1, 1), (0, 0)])
def test_std_refuses_a_period_not_above_ddof(period, ddof):
    with pytest.raises(ValueError, match=r"period: expected an integer"):
        RollingStandardDeviation(period, ddof=ddof)


@pytest.mark.parametrize("ddof", [2, -1, 0.5, 1.0, True])
def test_std_refuses_a_ddof_other_than_zero_or_one(ddof):
    with pytest.raises(ValueError, match=r"ddof: expected 0 or 1, was"):
        RollingStandardDeviation(5, ddof=ddof)
