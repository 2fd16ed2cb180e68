"""Wilder's RSI and ATR against hand-written numpy loops of the textbook definitions (Wilder
1978, TA-Lib seeding), pandas ``ewm(alpha=1/n, adjust=False)`` after the seed, and
hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.strategies.indicators import AverageTrueRange, RelativeStrengthIndex


def _wilder_loop(values: np.ndarray, period: int) -> np.ndarray:
    """Wilder smoothing: mean of the first ``period`` values, then (prev * (n - 1) + x) / n."""
    out = np.full(values.size, np.nan)
    if values.size < period:
        return out
    out[period - 1] = values[:period].mean()
    for i in range(period, values.size):
        out[i] = (out[i - 1] * (period - 1) + values[i]) / period
    return out


def _reference_rsi(close: np.ndarray, period: int) -> np.ndarray:
    change = np.diff(close)
    gain = _wilder_loop(np.where(change > 0, change, 0.0), period)
    loss = _wilder_loop(np.where(change < 0, -change, 0.0), period)
    with np.errstate(divide="ignore", invalid="ignore"):
        rsi = 100.0 * gain / (gain + loss)
    return np.concatenate([[np.nan], rsi])


def _reference_atr(high, low, close, period: int) -> np.ndarray:
    previous = close[:-1]
    true_range = np.maximum.reduce(
        [high[1:] - low[1:], np.abs(high[1:] - previous), np.abs(low[1:] - previous)]
    )
    return np.concatenate([[np.nan], _wilder_loop(true_range, period)])


def _random_closes(seed: int, size: int) -> np.ndarray:
    return 100.0 * np.exp(np.random.default_rng(seed).normal(0.0, 0.01, size).cumsum())


def _random_bars(seed: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = _random_closes(seed, size)
    high = close * (1.0 + rng.uniform(0.0, 0.01, size))
    low = close * (1.0 - rng.uniform(0.0, 0.01, size))
    return high, low, close


# ---- RelativeStrengthIndex ------------------------------------------------------------------
@settings(max_examples=100)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    size=st.integers(min_value=1, max_value=120),
    period=st.integers(min_value=1, max_value=30),
)
def test_rsi_matches_a_hand_written_wilder_loop(seed, size, period):
    close = _random_closes(seed, size)
    rsi = RelativeStrengthIndex(period)
    ours = np.array([rsi.update(float(c)) for c in close])

    np.testing.assert_allclose(ours, _reference_rsi(close, period), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(RelativeStrengthIndex.batch(close, period), ours)
    assert rsi.initialized == (size > period)


def test_rsi_matches_pandas_ewm_after_the_seed_on_a_long_series():
    close = np.round(_random_closes(3, 20_000), 2)  # cent prices: many zero changes
    change = np.diff(close)
    gains, losses = np.clip(change, 0.0, None), np.clip(-change, 0.0, None)

    def smoothed(values):
        seeded = np.concatenate([[values[:14].mean()], values[14:]])
        return pd.Series(seeded).ewm(alpha=1 / 14, adjust=False).mean().to_numpy()

    gain, loss = smoothed(gains), smoothed(losses)
    reference = 100.0 * gain / (gain + loss)
    ours = RelativeStrengthIndex.batch(close, 14)

    assert np.isnan(ours[:14]).all()
    np.testing.assert_allclose(ours[14:], reference, rtol=1e-9)


def test_rsi_hand_computed():
    rsi = RelativeStrengthIndex(2)
    values = [rsi.update(c) for c in (1.0, 2.0, 3.0, 2.0, 2.0)]
    # Changes +1, +1 -> gains 1, losses 0 -> 100; then -1 -> (0.5, 0.5) -> 50;
    # then 0 -> (0.25, 0.25) -> 50.
    assert math.isnan(values[0]) and math.isnan(values[1])
    assert values[2:] == [100.0, 50.0, 50.0]


def test_rsi_is_100_when_only_rising_0_when_only_falling_and_nan_when_flat():
    assert RelativeStrengthIndex.batch([1.0, 2.0, 3.0, 4.0], 2)[-1] == 100.0
    assert RelativeStrengthIndex.batch([4.0, 3.0, 2.0, 1.0], 2)[-1] == 0.0
    # No movement at all: 0 / 0 is undefined (TA-Lib reports 0, which reads as oversold).
    assert np.isnan(RelativeStrengthIndex.batch([5.0] * 10, 3)).all()


# ---- AverageTrueRange -----------------------------------------------------------------------
@settings(max_examples=100)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    size=st.integers(min_value=1, max_value=120),
    period=st.integers(min_value=1, max_value=30),
)
def test_atr_matches_a_hand_written_wilder_loop(seed, size, period):
    high, low, close = _random_bars(seed, size)
    atr = AverageTrueRange(period)
    ours = np.array([atr.update(h, lo, c) for h, lo, c in zip(high, low, close, strict=True)])

    np.testing.assert_allclose(ours, _reference_atr(high, low, close, period), rtol=1e-9)
    np.testing.assert_array_equal(AverageTrueRange.batch(high, low, close, period), ours)
    assert atr.initialized == (size > period)


def test_atr_hand_computed_uses_the_previous_close_for_gaps():
    atr = AverageTrueRange(2)
    bars = [(10.0, 9.0, 9.5), (11.0, 10.0, 10.5), (10.5, 8.5, 9.0), (9.5, 9.0, 9.2)]
    values = [atr.update(*bar) for bar in bars]
    # True ranges: none, max(1, 1.5, 0.5) = 1.5 (gap up), max(2, 0, 2) = 2, max(0.5, 0.5, 0)
    # = 0.5; seed (1.5 + 2) / 2 = 1.75, then (1.75 + 0.5) / 2 = 1.125.
    assert math.isnan(values[0]) and math.isnan(values[1])
    assert values[2:] == [1.75, 1.125]
    assert atr.true_range == 0.5


def test_atr_of_period_one_is_the_true_range():
    high, low, close = _random_bars(9, 50)
    atr = AverageTrueRange.batch(high, low, close, 1)
    np.testing.assert_allclose(atr, _reference_atr(high, low, close, 1), rtol=1e-15)


# ---- lifecycle and invalid parameters -------------------------------------------------------
def test_reset_forgets_everything():
    high, low, close = _random_bars(4, 40)
    rsi, atr = RelativeStrengthIndex(5), AverageTrueRange(5)
    for h, lo, c in zip(high, low, close, strict=True):
        rsi.update(c)
        atr.update(h, lo, c)
    rsi.reset()
    atr.reset()
    assert not rsi.initialized and not atr.initialized
    np.testing.assert_array_equal(
        [rsi.update(c) for c in close], RelativeStrengthIndex.batch(close, 5)
    )
    np.testing.assert_array_equal(
        [atr.update(*bar) for bar in zip(high, low, close, strict=True)],
        AverageTrueRange.batch(high, low, close, 5),
    )


@pytest.mark.parametrize("indicator", [RelativeStrengthIndex, AverageTrueRange])
@pytest.mark.parametrize("period", [0, -1, 14.0, "14"])
def test_wilder_indicators_refuse_a_period_that_is_not_a_positive_integer(indicator, period):
    with pytest.raises(ValueError, match=r"period: expected an integer >= 1, was"):
        indicator(period)
