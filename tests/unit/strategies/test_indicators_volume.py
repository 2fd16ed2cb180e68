"""Session and rolling VWAP against pandas (grouped cumulative sums, rolling sums) and
hand-computed cases, including zero volume and sessions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.strategies.indicators import (
    RollingVolumeWeightedAveragePrice,
    VolumeWeightedAveragePrice,
)


def _trades(seed: int, size: int, zero_share: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    price = np.round(50.0 * np.exp(rng.normal(0.0, 0.002, size).cumsum()), 2)
    volume = rng.integers(1, 1_000, size).astype(float)
    volume[rng.random(size) < zero_share] = 0.0
    return price, volume


# ---- VolumeWeightedAveragePrice --------------------------------------------------------------
@settings(max_examples=100)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    size=st.integers(min_value=1, max_value=200),
    sessions=st.integers(min_value=1, max_value=5),
)
def test_session_vwap_matches_pandas_grouped_cumulative_sums(seed, size, sessions):
    price, volume = _trades(seed, size, zero_share=0.3)
    session = np.sort(np.random.default_rng(seed).integers(0, sessions, size))
    starts = np.r_[True, session[1:] != session[:-1]]

    vwap = VolumeWeightedAveragePrice()
    ours = []
    for p, v, start in zip(price, volume, starts, strict=True):
        if start:
            vwap.reset()
        ours.append(vwap.update(float(p), float(v)))

    frame = pd.DataFrame({"session": session, "traded": price * volume, "volume": volume})
    sums = frame.groupby("session")[["traded", "volume"]].cumsum()
    reference = (sums["traded"] / sums["volume"].where(sums["volume"] > 0)).to_numpy()
    np.testing.assert_allclose(ours, reference, rtol=1e-12)
    # Sequential sums from zero in both forms: the very same numbers.
    np.testing.assert_array_equal(VolumeWeightedAveragePrice.batch(price, volume, starts), ours)


def test_session_vwap_hand_computed_with_a_reset_and_zero_volume():
    vwap = VolumeWeightedAveragePrice()
    assert not vwap.initialized
    assert math.isnan(vwap.update(10.0, 0.0))
    assert vwap.update(10.0, 100.0) == 10.0
    assert vwap.update(13.0, 200.0) == 12.0  # (1000 + 2600) / 300
    assert vwap.initialized
    vwap.reset()
    assert math.isnan(vwap.value)
    assert vwap.update(20.0, 50.0) == 20.0

    batch = VolumeWeightedAveragePrice.batch(
        [10.0, 10.0, 13.0, 20.0], [0.0, 100.0, 200.0, 50.0], [False, False, False, True]
    )
    np.testing.assert_array_equal(batch, [np.nan, 10.0, 12.0, 20.0])


def test_session_vwap_batch_refuses_a_session_mask_of_another_length():
    with pytest.raises(ValueError, match=r"session_start: expected the shape of price"):
        VolumeWeightedAveragePrice.batch([1.0, 2.0], [1.0, 1.0], [True])


# ---- RollingVolumeWeightedAveragePrice -------------------------------------------------------
@settings(max_examples=100)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    size=st.integers(min_value=1, max_value=200),
    period=st.integers(min_value=1, max_value=30),
)
def test_rolling_vwap_matches_pandas_rolling_sums(seed, size, period):
    price, volume = _trades(seed, size, zero_share=0.5)
    vwap = RollingVolumeWeightedAveragePrice(period)
    ours = np.array([vwap.update(float(p), float(v)) for p, v in zip(price, volume, strict=True)])

    traded = pd.Series(price * volume).rolling(period).sum()
    total = pd.Series(volume).rolling(period).sum()
    reference = (traded / total.where(total > 0)).to_numpy()
    np.testing.assert_allclose(ours, reference, rtol=1e-9)
    np.testing.assert_allclose(
        RollingVolumeWeightedAveragePrice.batch(price, volume, period), ours, rtol=1e-9
    )


def test_rolling_vwap_after_a_huge_volume_leaves_the_window_is_recomputed_exactly():
    # A block of 1e12 shares leaves rounding of ~1e-4 in the running volume sum; the exact
    # re-summation when the sum collapses keeps the VWAP of the later 1-share trades exact.
    price = np.array([100.0] * 5 + [101.0, 102.0, 103.0, 104.0, 105.0] * 10)
    volume = np.array([1e12] * 5 + [1.0] * 50)
    vwap = RollingVolumeWeightedAveragePrice(5)
    for p, v in zip(price, volume, strict=True):
        vwap.update(float(p), float(v))
    assert vwap.value == pytest.approx(103.0, rel=1e-15)


def test_rolling_vwap_hand_computed_and_nan_while_the_window_has_no_volume():
    vwap = RollingVolumeWeightedAveragePrice(2)
    values = [
        vwap.update(p, v) for p, v in ((10.0, 100.0), (13.0, 200.0), (16.0, 100.0), (1.0, 0.0))
    ]
    assert math.isnan(values[0])
    assert values[1:] == [12.0, 14.0, 16.0]
    assert math.isnan(vwap.update(2.0, 0.0))
    assert vwap.initialized


def test_vwaps_reset_forgets_everything():
    price, volume = _trades(8, 40)
    rolling, session = RollingVolumeWeightedAveragePrice(4), VolumeWeightedAveragePrice()
    for p, v in zip(price, volume, strict=True):
        rolling.update(p, v)
        session.update(p, v)
    rolling.reset()
    session.reset()
    assert not rolling.initialized and not session.initialized
    np.testing.assert_allclose(
        [rolling.update(p, v) for p, v in zip(price, volume, strict=True)],
        RollingVolumeWeightedAveragePrice.batch(price, volume, 4),
        rtol=1e-12,
    )
    np.testing.assert_array_equal(
        [session.update(p, v) for p, v in zip(price, volume, strict=True)],
        VolumeWeightedAveragePrice.batch(price, volume),
    )


@pytest.mark.parametrize("period", [0, -1, 1.5, "5"])
def test_rolling_vwap_refuses_a_period_that_is_not_a_positive_integer(period):
    with pytest.raises(ValueError, match=r"period: expected an integer >= 1, was"):
        RollingVolumeWeightedAveragePrice(period)
