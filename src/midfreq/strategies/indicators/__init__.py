"""Technical indicators for strategies: each updates in O(1) per value with fixed memory (the
window) and has a ``batch`` classmethod over numpy arrays giving the same numbers.

Every indicator has ``update(...)`` (returns the new `value`), ``value`` (a float, NaN until
warm or where undefined), ``initialized`` and ``reset()``. Conventions (ddof, seeds, Wilder
smoothing, flat windows) are in ``docs/indicators.md`` and each class's docstring.
"""

from midfreq.strategies.indicators.averages import (
    ExponentialMovingAverage,
    SimpleMovingAverage,
    WilderMovingAverage,
)
from midfreq.strategies.indicators.bands import Bands, BollingerBands
from midfreq.strategies.indicators.covariance import RollingBeta, RollingCorrelation
from midfreq.strategies.indicators.kalman import KalmanHedgeRatio, KalmanSeries
from midfreq.strategies.indicators.rolling import (
    RollingStandardDeviation,
    RollingZScore,
    z_score,
)
from midfreq.strategies.indicators.volume import (
    RollingVolumeWeightedAveragePrice,
    VolumeWeightedAveragePrice,
)
from midfreq.strategies.indicators.wilder import AverageTrueRange, RelativeStrengthIndex

__all__ = [
    "AverageTrueRange",
    "Bands",
    "BollingerBands",
    "ExponentialMovingAverage",
    "KalmanHedgeRatio",
    "KalmanSeries",
    "RelativeStrengthIndex",
    "RollingBeta",
    "RollingCorrelation",
    "RollingStandardDeviation",
    "RollingVolumeWeightedAveragePrice",
    "RollingZScore",
    "SimpleMovingAverage",
    "VolumeWeightedAveragePrice",
    "WilderMovingAverage",
    "z_score",
]
