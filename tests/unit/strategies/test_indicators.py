"""What every indicator shares: the public names (the old single-module imports still work), the
``update``/``value``/``initialized``/``reset`` protocol, state that stays the size of the window,
batch forms equal to the incremental ones, input checks of the batch forms, and runnable
docstring examples. Each indicator's numbers are checked in ``test_indicators_<module>.py``."""

from __future__ import annotations

import doctest
import math
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import midfreq.strategies.indicators as indicators
from midfreq.strategies.indicators import (
    AverageTrueRange,
    BollingerBands,
    ExponentialMovingAverage,
    KalmanHedgeRatio,
    RelativeStrengthIndex,
    RollingBeta,
    RollingCorrelation,
    RollingStandardDeviation,
    RollingVolumeWeightedAveragePrice,
    RollingZScore,
    SimpleMovingAverage,
    VolumeWeightedAveragePrice,
    WilderMovingAverage,
    averages,
    bands,
    covariance,
    kalman,
    rolling,
    volume,
    wilder,
)

rng = np.random.default_rng(42)
N = 3_000
CLOSE = 100.0 * np.exp(rng.normal(0.0, 0.01, N).cumsum())
HIGH = CLOSE * (1.0 + rng.uniform(0.0, 0.01, N))
LOW = CLOSE * (1.0 - rng.uniform(0.0, 0.01, N))
VOLUME = rng.integers(0, 1_000, N).astype(float)
OTHER = 0.5 * CLOSE + rng.normal(0.0, 0.5, N)


class Case:
    """An indicator, the inputs of its update, and its batch form over the same arrays."""

    def __init__(
        self,
        make: Callable[[], Any],
        inputs: tuple[np.ndarray, ...],
        batch: Callable[[], Any],
        warm_after: int,
        nan_while_warming: bool = True,
    ) -> None:
        self.make, self.inputs, self.batch = make, inputs, batch
        self.warm_after, self.nan_while_warming = warm_after, nan_while_warming

    def feed(self, indicator: Any, count: int | None = None) -> np.ndarray:
        rows = zip(*(column[:count].tolist() for column in self.inputs), strict=True)
        return np.array([indicator.update(*row) for row in rows])


CASES = {
    "sma": Case(
        lambda: SimpleMovingAverage(20),
        (CLOSE,),
        lambda: SimpleMovingAverage.batch(CLOSE, 20),
        20,
        nan_while_warming=False,
    ),
    "ema": Case(
        lambda: ExponentialMovingAverage(20),
        (CLOSE,),
        lambda: ExponentialMovingAverage.batch(CLOSE, 20),
        20,
        nan_while_warming=False,
    ),
    "ema_sma_seed": Case(
        lambda: ExponentialMovingAverage(20, seed="sma"),
        (CLOSE,),
        lambda: ExponentialMovingAverage.batch(CLOSE, 20, seed="sma"),
        20,
    ),
    "wilder": Case(
        lambda: WilderMovingAverage(14), (CLOSE,), lambda: WilderMovingAverage.batch(CLOSE, 14), 14
    ),
    "std": Case(
        lambda: RollingStandardDeviation(20),
        (CLOSE,),
        lambda: RollingStandardDeviation.batch(CLOSE, 20),
        20,
    ),
    "z_score": Case(
        lambda: RollingZScore(20), (CLOSE,), lambda: RollingZScore.batch(CLOSE, 20), 20
    ),
    "bollinger": Case(
        lambda: BollingerBands(20), (CLOSE,), lambda: BollingerBands.batch(CLOSE, 20).middle, 20
    ),
    "rsi": Case(
        lambda: RelativeStrengthIndex(14),
        (CLOSE,),
        lambda: RelativeStrengthIndex.batch(CLOSE, 14),
        15,
    ),
    "atr": Case(
        lambda: AverageTrueRange(14),
        (HIGH, LOW, CLOSE),
        lambda: AverageTrueRange.batch(HIGH, LOW, CLOSE, 14),
        15,
    ),
    "vwap": Case(
        VolumeWeightedAveragePrice,
        (CLOSE, VOLUME),
        lambda: VolumeWeightedAveragePrice.batch(CLOSE, VOLUME),
        1 + int(np.argmax(VOLUME > 0)),
    ),
    "rolling_vwap": Case(
        lambda: RollingVolumeWeightedAveragePrice(20),
        (CLOSE, VOLUME),
        lambda: RollingVolumeWeightedAveragePrice.batch(CLOSE, VOLUME, 20),
        20,
    ),
    "correlation": Case(
        lambda: RollingCorrelation(30),
        (CLOSE, OTHER),
        lambda: RollingCorrelation.batch(CLOSE, OTHER, 30),
        30,
    ),
    "beta": Case(
        lambda: RollingBeta(30), (CLOSE, OTHER), lambda: RollingBeta.batch(CLOSE, OTHER, 30), 30
    ),
    "kalman": Case(
        KalmanHedgeRatio,
        (CLOSE, OTHER),
        lambda: KalmanHedgeRatio.batch(CLOSE, OTHER).beta,
        1,
    ),
}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def test_the_old_single_module_imports_still_work():
    # mean_reversion, momentum and base import these names from the package as they did from
    # the module it replaced.
    from midfreq.strategies.indicators import z_score

    assert z_score([1.0, 2.0, 3.0]) == pytest.approx(1.0)
    assert set(indicators.__all__) >= {
        "SimpleMovingAverage",
        "ExponentialMovingAverage",
        "RollingZScore",
        "z_score",
    }


def test_initialized_and_value_follow_the_warm_up(case: Case):
    indicator = case.make()
    assert not indicator.initialized
    assert math.isnan(indicator.value)
    values = case.feed(indicator, case.warm_after - 1)
    assert not indicator.initialized
    if case.nan_while_warming:
        assert np.isnan(values).all()
    indicator.update(*(column[case.warm_after - 1] for column in case.inputs))
    assert indicator.initialized
    assert not math.isnan(indicator.value)


def test_update_returns_value_and_the_batch_form_gives_the_same_numbers(case: Case):
    indicator = case.make()
    values = case.feed(indicator)
    assert values[-1] == indicator.value
    np.testing.assert_allclose(case.batch(), values, rtol=1e-9, atol=1e-9)


def test_reset_gives_the_numbers_of_a_fresh_indicator(case: Case):
    used = case.make()
    case.feed(used, N // 3)
    used.reset()
    assert not used.initialized
    np.testing.assert_array_equal(case.feed(used), case.feed(case.make()))


def test_state_stays_the_size_of_the_window(case: Case):
    # O(1) memory: the pickled state after 300 updates and after 3,000 is the same size (the
    # update counters may take a few more bytes).
    short, long = case.make(), case.make()
    case.feed(short, N // 10)
    case.feed(long)
    assert len(pickle.dumps(long)) <= len(pickle.dumps(short)) + 16


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: SimpleMovingAverage.batch([[1.0, 2.0]], 2), r"values: expected a 1-D array"),
        (
            lambda: RollingZScore.batch([1.0, math.nan, 2.0], 2),
            r"values: expected finite values, was nan at index 1",
        ),
        (
            lambda: ExponentialMovingAverage.batch([1.0, math.inf], 2),
            r"values: expected finite values, was inf at index 1",
        ),
        (lambda: RollingBeta.batch([1.0, 2.0], [1.0], 2), r"y: expected the length of x \(2\)"),
        (
            lambda: AverageTrueRange.batch([1.0], [1.0], [1.0, 2.0], 2),
            r"close: expected the length of high \(1\), was 2",
        ),
        (
            lambda: VolumeWeightedAveragePrice.batch([1.0], [math.nan]),
            r"volume: expected finite values",
        ),
        (lambda: RollingStandardDeviation.batch([1.0], 0), r"period: expected an integer >= 1"),
    ],
)
def test_batch_forms_refuse_inputs_they_cannot_compute_on(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_batch_forms_of_short_and_empty_inputs_are_warm_up_nans():
    assert RollingZScore.batch([], 5).size == 0
    assert np.isnan(RollingStandardDeviation.batch([1.0, 2.0], 5)).all()
    assert np.isnan(RollingCorrelation.batch([1.0, 2.0], [2.0, 1.0], 5)).all()
    assert SimpleMovingAverage.batch([4.0, 2.0], 5).tolist() == [4.0, 3.0]


@pytest.mark.parametrize("module", [averages, bands, covariance, kalman, rolling, volume, wilder])
def test_docstring_examples_run(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
