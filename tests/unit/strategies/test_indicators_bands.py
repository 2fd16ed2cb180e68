"""Bollinger bands against pandas rolling mean and std (population and sample), a hand-computed
case, and flat windows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.strategies.indicators import BollingerBands

prices = st.lists(
    st.floats(min_value=1.0, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=80,
)


def _feed(bands: BollingerBands, values) -> np.ndarray:
    rows = []
    for value in values:
        middle = bands.update(float(value))
        rows.append((bands.upper, middle, bands.lower))
    return np.array(rows).reshape(-1, 3).T


def _pandas_bands(values, period: int, width: float, ddof: int) -> np.ndarray:
    rolling = pd.Series(values, dtype=float).rolling(period)
    mean, std = rolling.mean().to_numpy(), rolling.std(ddof=ddof).to_numpy()
    return np.array([mean + width * std, mean, mean - width * std])


@settings(max_examples=150)
@given(
    values=prices,
    period=st.integers(min_value=2, max_value=25),
    width=st.sampled_from([0.0, 1.0, 2.0, 2.5]),
    ddof=st.sampled_from([0, 1]),
)
def test_bands_match_pandas_rolling_mean_plus_minus_width_times_std(values, period, width, ddof):
    ours = _feed(BollingerBands(period, width, ddof), values)
    batch = np.array(BollingerBands.batch(values, period, width, ddof))

    scale = max(values)
    np.testing.assert_allclose(ours, _pandas_bands(values, period, width, ddof), atol=1e-9 * scale)
    np.testing.assert_allclose(batch, ours, rtol=1e-9, atol=1e-12 * scale)


@pytest.mark.parametrize("period", [1, 2, 20, 100])
def test_bands_over_a_long_random_walk_match_pandas_and_their_batch_form(period):
    values = 200.0 + np.random.default_rng(period).normal(0.0, 1.0, 20_000).cumsum()
    ours = _feed(BollingerBands(period), values)
    batch = np.array(BollingerBands.batch(values, period))

    # The walk crosses zero: an absolute tolerance (pandas' own rolling sums err by ~1e-10).
    np.testing.assert_allclose(ours, _pandas_bands(values, period, 2.0, 0), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(batch, ours, rtol=1e-9, atol=1e-12)


def test_bands_hand_computed_with_population_std():
    bands = BollingerBands(4, standard_deviations=2.0)
    for price in (1.0, 2.0, 3.0):
        assert math.isnan(bands.update(price))
    assert not bands.initialized
    assert bands.update(4.0) == 2.5
    # Population variance of 1, 2, 3, 4 is 1.25.
    assert bands.upper == pytest.approx(2.5 + 2.0 * math.sqrt(1.25), rel=1e-15)
    assert bands.lower == pytest.approx(2.5 - 2.0 * math.sqrt(1.25), rel=1e-15)
    assert bands.middle == bands.value == 2.5
    assert bands.initialized


def test_bands_of_a_flat_window_collapse_onto_the_value():
    bands = BollingerBands(3)
    for price in (99.0, 101.0, 100.1, 100.1, 100.1):
        bands.update(price)
    assert bands.upper == bands.middle == bands.lower == 100.1
    upper, middle, lower = BollingerBands.batch([99.0, 101.0, 100.1, 100.1, 100.1], 3)
    assert upper[-1] == middle[-1] == lower[-1] == 100.1


def test_bands_reset_forgets_everything():
    bands = BollingerBands(3)
    for price in (1.0, 2.0, 3.0):
        bands.update(price)
    bands.reset()
    assert (bands.initialized, math.isnan(bands.upper), math.isnan(bands.lower)) == (
        False,
        True,
        True,
    )
    assert math.isnan(bands.middle)


@pytest.mark.parametrize("width", [-1.0, math.nan, "2"])
def test_bands_refuse_a_negative_or_non_numeric_width(width):
    with pytest.raises(ValueError, match=r"standard_deviations: expected a number >= 0, was"):
        BollingerBands(20, width)
