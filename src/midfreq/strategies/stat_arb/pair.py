"""The state of one traded pair: its hedge-ratio estimator, spread z-score and test window, its
cointegration status, and the bookkeeping of its two legs (targets, working orders, leg-failure
recovery). The strategy changes it; nothing here sends orders."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from midfreq.model.identifiers import InstrumentId
from midfreq.model.orders import Order
from midfreq.strategies.indicators import KalmanHedgeRatio, RollingBeta, RollingZScore
from midfreq.strategies.stat_arb.config import HedgeRatioMethod, LegFailureAction
from midfreq.strategies.stat_arb.selection import CointegrationTest

# Prior variance of the Kalman state: diffuse, so the warm-up bars decide the first estimate.
_KALMAN_PRIOR_VARIANCE = 1e6
_MIN_OBSERVATION_VARIANCE = 1e-12


class PairStatus(StrEnum):
    """Where a pair stands with its cointegration tests."""

    FORMING = "FORMING"
    """Not yet tested: collecting its first ``formation_period`` bars."""
    ACTIVE = "ACTIVE"
    """Passed its last test: traded."""
    SUSPENDED = "SUSPENDED"
    """Failed a test: closed out and not traded until it passes again."""


class HedgeEstimator:
    """The hedge ratio ``beta`` and intercept ``alpha`` of ``y`` on ``x``, updated bar by bar.

    ``ols`` is a `RollingBeta` over ``lookback`` bars; ``kalman`` a `KalmanHedgeRatio` with a
    diffuse prior, started after ``lookback`` bars (its observation variance, when not given,
    the residual variance of the least-squares fit over them) and fed those bars first.
    `ready` turns True after ``lookback`` bars.
    """

    __slots__ = ("_buffer", "_delta", "_kalman", "_observation_variance", "_rolling", "lookback")

    def __init__(
        self,
        method: HedgeRatioMethod,
        lookback: int,
        delta: float,
        observation_variance: float | None,
    ) -> None:
        self.lookback = lookback
        self._rolling = RollingBeta(lookback) if method is HedgeRatioMethod.OLS else None
        self._kalman: KalmanHedgeRatio | None = None
        self._buffer: list[tuple[float, float]] = []
        self._delta = delta
        self._observation_variance = observation_variance

    @property
    def ready(self) -> bool:
        """Whether ``lookback`` bars have been seen (and the estimate is defined)."""
        if self._rolling is not None:
            return self._rolling.initialized and math.isfinite(self._rolling.beta)
        return self._kalman is not None

    @property
    def beta(self) -> float:
        """The hedge ratio (NaN until `ready`)."""
        if self._rolling is not None:
            return float(self._rolling.beta)
        return self._kalman.beta if self._kalman is not None else math.nan

    @property
    def alpha(self) -> float:
        """The intercept (NaN until `ready`)."""
        if self._rolling is not None:
            return float(self._rolling.alpha) if self.ready else math.nan
        return self._kalman.alpha if self._kalman is not None else math.nan

    def update(self, x: float, y: float) -> None:
        """Add one pair of prices."""
        if self._rolling is not None:
            self._rolling.update(x, y)
        elif self._kalman is not None:
            self._kalman.update(x, y)
        else:
            self._buffer.append((x, y))
            if len(self._buffer) >= self.lookback:
                self._start_kalman()

    def _start_kalman(self) -> None:
        xs, ys = np.array(self._buffer).T
        variance = self._observation_variance
        if variance is None:
            beta, alpha = np.polyfit(xs, ys, 1)
            residual = ys - beta * xs - alpha
            variance = max(float(residual.var(ddof=2)), _MIN_OBSERVATION_VARIANCE)
        kalman = KalmanHedgeRatio(self._delta, variance, _KALMAN_PRIOR_VARIANCE)
        for x, y in self._buffer:
            kalman.update(x, y)
        self._kalman = kalman
        self._buffer = []


@dataclass(slots=True, eq=False)
class PairState:
    """One pair ``y - beta * x``: its statistics, status and legs (mutable bookkeeping)."""

    y: InstrumentId
    x: InstrumentId
    hedge: HedgeEstimator
    zscore: RollingZScore
    window: deque[tuple[float, float]]
    status: PairStatus = PairStatus.FORMING
    test: CointegrationTest | None = None
    steps: int = 0
    """Bars with a close for both legs seen so far."""
    last_step_ts: int | None = None
    tested_step: int = 0
    eligible_step: int = 0
    """A suspended pair is re-tested only once ``steps`` reaches this (a clean window)."""
    passes: int = 0
    """Consecutive passing tests while suspended."""
    beta: float = math.nan
    """The hedge ratio that defined the latest spread (estimated before that bar)."""
    spread: float = math.nan
    z: float = math.nan
    # Legs.
    direction: int = 0
    """+1 long the spread (buy y, sell x), -1 short it, 0 flat."""
    target_y: float = 0.0
    target_x: float = 0.0
    armed: bool = True
    """False after a stop or a leg failure: no entry until ``|z|`` falls inside ``entry_z``."""
    working: list[Order] = field(default_factory=list)
    deadline_ns: int | None = None
    recovery: LegFailureAction | None = None
    completion_sent: bool = False
    submitted_ns: int | None = None
    submitting: bool = False
    # Counters and history.
    entries: int = 0
    exits: int = 0
    stops: int = 0
    leg_failures: int = 0
    status_changes: list[tuple[int, PairStatus, float]] = field(default_factory=list)
    """``(ts, new status, p-value)`` of every test that changed the status."""

    @property
    def name(self) -> str:
        """``Y/X``."""
        return f"{self.y.symbol}/{self.x.symbol}"

    @property
    def is_unbalanced(self) -> bool:
        """Whether a leg failure is being repaired, or one leg's working orders have filled
        further (as a fraction of their quantity) than the other's."""
        if self.recovery is not None:
            return True
        if not self.working:
            return False
        return abs(self._filled_fraction(self.y) - self._filled_fraction(self.x)) > 1e-9

    def _filled_fraction(self, leg: InstrumentId) -> float:
        quantity = filled = 0.0
        for order in self.working:
            if order.instrument_id == leg:
                quantity += order.quantity
                filled += order.filled_qty
        return filled / quantity if quantity > 0 else 1.0  # no order: the leg is where it should be

    def observe(self, y: float, x: float) -> float:
        """Add one bar of both legs; return the spread's z-score (NaN while warming up).

        The spread is ``y - beta * x - alpha`` with the hedge estimated from the bars before
        this one (an out-of-sample residual, as the Kalman filter's forecast error).
        """
        hedge = self.hedge
        if hedge.ready:
            self.beta = hedge.beta
            self.spread = y - self.beta * x - hedge.alpha
            self.z = self.zscore.update(self.spread)
        else:
            self.beta = self.spread = self.z = math.nan
        hedge.update(x, y)
        self.window.append((y, x))
        self.steps += 1
        return self.z

    def window_arrays(
        self,
    ) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]]]:
        """The test window as ``(y, x)`` arrays."""
        values = np.array(self.window, dtype=np.float64)
        return values[:, 0], values[:, 1]

    def describe(self) -> dict[str, Any]:
        """Status fields for displays."""
        return {
            "pair": self.name,
            "status": self.status.value,
            "pvalue": None if self.test is None else self.test.pvalue,
            "half_life": None if self.test is None else self.test.half_life,
            "beta": self.hedge.beta,
            "z": self.z,
            "direction": self.direction,
            "targets": [self.target_y, self.target_x],
            "unbalanced": self.is_unbalanced,
            "entries": self.entries,
            "leg_failures": self.leg_failures,
        }
