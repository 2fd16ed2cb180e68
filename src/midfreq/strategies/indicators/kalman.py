"""Kalman-filter hedge ratio: a dynamic regression ``y = beta * x + alpha + noise`` whose state
``[beta, alpha]`` follows a random walk (Chan, *Algorithmic Trading*, 2013, ch. 3)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from midfreq.strategies.indicators._arrays import FloatArray, as_series_pair


class KalmanSeries(NamedTuple):
    """Arrays from `KalmanHedgeRatio.batch`, one value per observation."""

    beta: FloatArray
    alpha: FloatArray
    forecast_error: FloatArray
    forecast_variance: FloatArray


def _check(name: str, value: float, low: float, high: float, expected: str) -> float:
    if not isinstance(value, int | float) or not (low <= value < high):
        raise ValueError(f"{name}: expected {expected}, was {value!r}")
    return float(value)


class KalmanHedgeRatio:
    """Hedge ratio of ``y`` on ``x`` estimated by a Kalman filter, one observation at a time.

    State ``theta = [beta, alpha]``, a random walk with covariance ``Q = delta / (1 - delta) * I``;
    observation ``y = [x, 1] . theta + e`` with ``Var(e) = observation_variance``. Starting from
    ``theta = [0, 0]`` and covariance ``P = initial_state_variance * I``, each pair does the
    textbook predict/update::

        R = P + Q                      # predict (theta unchanged)
        F = [x, 1]
        forecast_error    = y - F . theta
        forecast_variance = F R F' + observation_variance
        K = R F' / forecast_variance   # gain
        theta = theta + K * forecast_error
        P = R - K F R

    ``delta`` sets how fast the estimate adapts (0 gives recursive least squares: with a
    diffuse prior, ``beta`` is the OLS slope over all pairs seen). `value` is ``beta``; it is
    defined from the first pair (the early values still carry the prior) and `initialized`
    turns True then. `forecast_error` and `forecast_variance` are the one-step forecast's error
    and variance, for the usual trading rule on ``forecast_error / sqrt(forecast_variance)``.

    Parameters
    ----------
    delta
        In [0, 1); 1e-4 by default (Chan's example).
    observation_variance
        Variance of the observation noise, > 0; 1e-3 by default (Chan's example).
    initial_state_variance
        Prior variance of ``beta`` and ``alpha``, >= 0; 1 by default.

    Examples
    --------
    >>> kalman = KalmanHedgeRatio(delta=0.0, initial_state_variance=1e6)
    >>> for x, y in ((1.0, 3.0), (2.0, 5.0), (3.0, 7.0)):
    ...     beta = kalman.update(x, y)
    >>> round(beta, 6), round(kalman.alpha, 6)  # y = 2 x + 1
    (2.0, 1.0)
    """

    __slots__ = (
        "_p00",
        "_p01",
        "_p11",
        "_process_variance",
        "alpha",
        "beta",
        "count",
        "delta",
        "forecast_error",
        "forecast_variance",
        "initial_state_variance",
        "observation_variance",
        "value",
    )

    def __init__(
        self,
        delta: float = 1e-4,
        observation_variance: float = 1e-3,
        initial_state_variance: float = 1.0,
    ) -> None:
        self.delta = _check("delta", delta, 0.0, 1.0, "a number in [0, 1)")
        self.observation_variance = _check(
            "observation_variance", observation_variance, math.ulp(0.0), math.inf, "a number > 0"
        )
        self.initial_state_variance = _check(
            "initial_state_variance", initial_state_variance, 0.0, math.inf, "a number >= 0"
        )
        self._process_variance = self.delta / (1.0 - self.delta)
        self.reset()

    @property
    def initialized(self) -> bool:
        """Whether a pair has been seen."""
        return self.count > 0

    def reset(self) -> None:
        """Return to the prior: ``beta = alpha = 0``, ``P = initial_state_variance * I``."""
        self.beta = 0.0
        self.alpha = 0.0
        self._p00 = self._p11 = self.initial_state_variance
        self._p01 = 0.0
        self.count = 0
        self.forecast_error = math.nan
        self.forecast_variance = math.nan
        self.value = math.nan

    def update(self, x: float, y: float) -> float:
        """Add a pair; return the new ``beta``."""
        q = self._process_variance
        r00, r01, r11 = self._p00 + q, self._p01, self._p11 + q
        r_f0 = r00 * x + r01  # R F'
        r_f1 = r01 * x + r11
        variance = x * r_f0 + r_f1 + self.observation_variance
        error = y - (self.beta * x + self.alpha)
        gain0, gain1 = r_f0 / variance, r_f1 / variance
        self.beta += gain0 * error
        self.alpha += gain1 * error
        # P = R - K (F R), where F R = (R F')' since R is symmetric.
        self._p00 = r00 - gain0 * r_f0
        self._p01 = r01 - gain0 * r_f1
        self._p11 = r11 - gain1 * r_f1
        self.forecast_error = error
        self.forecast_variance = variance
        self.count += 1
        self.value = self.beta
        return self.beta

    @classmethod
    def batch(
        cls,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        delta: float = 1e-4,
        observation_variance: float = 1e-3,
        initial_state_variance: float = 1.0,
    ) -> KalmanSeries:
        """Run the filter over the pairs; return its outputs after each (identical numbers).

        Returns
        -------
        KalmanSeries
            ``beta``, ``alpha``, ``forecast_error`` and ``forecast_variance`` arrays as long as
            the inputs.

        Raises
        ------
        ValueError
            If a parameter is invalid or the inputs are not 1-D, finite and of one length.
        """
        kalman = cls(delta, observation_variance, initial_state_variance)
        xs, ys = as_series_pair(x, y, ("x", "y"))
        betas: list[float] = []
        alphas: list[float] = []
        errors: list[float] = []
        variances: list[float] = []
        q, noise = kalman._process_variance, kalman.observation_variance
        p00, p01, p11 = kalman._p00, kalman._p01, kalman._p11
        beta = alpha = 0.0
        # The recursion of `update`, written out: the same operations in the same order, so the
        # same numbers (the tests compare them bit for bit).
        for x_value, y_value in zip(xs.tolist(), ys.tolist(), strict=True):
            r00, r01, r11 = p00 + q, p01, p11 + q
            r_f0 = r00 * x_value + r01
            r_f1 = r01 * x_value + r11
            variance = x_value * r_f0 + r_f1 + noise
            error = y_value - (beta * x_value + alpha)
            gain0, gain1 = r_f0 / variance, r_f1 / variance
            beta += gain0 * error
            alpha += gain1 * error
            p00 = r00 - gain0 * r_f0
            p01 = r01 - gain0 * r_f1
            p11 = r11 - gain1 * r_f1
            betas.append(beta)
            alphas.append(alpha)
            errors.append(error)
            variances.append(variance)
        return KalmanSeries(
            np.array(betas), np.array(alphas), np.array(errors), np.array(variances)
        )
