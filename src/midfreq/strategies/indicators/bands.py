"""Bollinger bands: the rolling mean plus and minus a multiple of the rolling standard deviation
(population, as Bollinger and TA-Lib define them), incremental and batch."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from midfreq.strategies.indicators._arrays import FloatArray, check_ddof, check_period
from midfreq.strategies.indicators.rolling import RollingMoments, window_moments


class Bands(NamedTuple):
    """Upper, middle and lower band arrays from `BollingerBands.batch`."""

    upper: FloatArray
    middle: FloatArray
    lower: FloatArray


def _check_width(standard_deviations: float) -> float:
    if not isinstance(standard_deviations, int | float) or not standard_deviations >= 0:
        raise ValueError(
            f"standard_deviations: expected a number >= 0, was {standard_deviations!r}"
        )
    return float(standard_deviations)


class BollingerBands(RollingMoments):
    """``mean +- standard_deviations * std`` over the last ``period`` values.

    `middle` is the rolling mean, `upper` and `lower` the bands; `value` is the middle band.
    The standard deviation is the population one (``ddof=0``) by default, as in Bollinger's
    definition and TA-Lib's ``BBANDS``; pass ``ddof=1`` for the sample one (pandas'
    ``rolling().std()``). All are NaN until ``period`` values have been seen; on a window of
    equal values the three bands are that value.

    Parameters
    ----------
    period
        Window length, > ``ddof`` (20 by default).
    standard_deviations
        Half-width of the bands in standard deviations, >= 0 (2 by default).
    ddof
        0 (population) or 1 (sample).

    Examples
    --------
    >>> bands = BollingerBands(4, standard_deviations=2.0)
    >>> for price in (1.0, 2.0, 3.0, 4.0):
    ...     middle = bands.update(price)
    >>> (middle, round(bands.upper, 6), round(bands.lower, 6))  # population std 1.118034
    (2.5, 4.736068, 0.263932)
    """

    __slots__ = ("lower", "standard_deviations", "upper")

    def __init__(self, period: int = 20, standard_deviations: float = 2.0, ddof: int = 0) -> None:
        super().__init__(period, ddof)
        self.standard_deviations = _check_width(standard_deviations)
        self.upper = math.nan
        self.lower = math.nan

    @property
    def middle(self) -> float:
        """The middle band (the rolling mean); NaN until `initialized`."""
        return self.value

    def reset(self) -> None:
        """Forget every value seen."""
        super().reset()
        self.upper = math.nan
        self.lower = math.nan

    def update(self, value: float) -> float:
        """Add a value; return the middle band (`upper` and `lower` move with it)."""
        self._push(value)
        n = self._count
        if n < self.period:
            return math.nan
        middle = self._shift + self._offset
        half_width = self.standard_deviations * math.sqrt(self._m2 / (n - self.ddof))
        self.upper = middle + half_width
        self.lower = middle - half_width
        self.value = middle
        return middle

    @classmethod
    def batch(
        cls,
        values: npt.ArrayLike,
        period: int = 20,
        standard_deviations: float = 2.0,
        ddof: int = 0,
    ) -> Bands:
        """Return the bands after each of ``values``, as `update` would (1e-9 relative).

        Returns
        -------
        Bands
            ``(upper, middle, lower)`` arrays as long as ``values``; NaN before ``period``
            values.

        Raises
        ------
        ValueError
            If a parameter is invalid or ``values`` is not 1-D and finite.
        """
        check_ddof(ddof, check_period(period, 1))
        width = _check_width(standard_deviations)
        mean, m2, _ = window_moments(values, period)
        half_width = width * np.sqrt(m2 / (period - ddof))
        return Bands(upper=mean + half_width, middle=mean, lower=mean - half_width)
