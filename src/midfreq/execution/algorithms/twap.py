"""TWAP: the parent is sliced over ``horizon_seconds`` into one child every
``interval_seconds``, in equal parts (optionally randomised), and `ScheduledAlgorithm`, the
slice-schedule arithmetic TWAP and VWAP share.

Slice ``k`` (``k = 0 .. n-1``, ``n = floor(horizon / interval)``) is sent at ``start + k *
interval`` (the first one at once) and brings the committed quantity (filled plus working) up to
the cumulative target ``Q * (w_0 + ... + w_k) / sum(w)`` rounded down to the lot; the last target
is ``Q`` itself, so the lot remainder goes to the last slice and a denied or unfilled slice is
caught up by the next. At ``start + horizon`` working limit children are cancelled; market
children still in flight may fill; then the parent closes (FILLED, or EXPIRED if short).
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field, model_validator

from midfreq.core.clock import NANOS_PER_SECOND, TimeEvent
from midfreq.execution.algorithms.framework import AlgoParams, ExecAlgorithm
from midfreq.model.enums import OrderType

if TYPE_CHECKING:
    from midfreq.execution.algorithms.engine import AlgoRun


class ScheduleParams(AlgoParams):
    """Settings of a sliced schedule.

    Parameters
    ----------
    horizon_seconds : float
        How long the parent is worked, from submission.
    interval_seconds : float
        Time between slices (at most the horizon).
    """

    horizon_seconds: float = Field(gt=0)
    interval_seconds: float = Field(gt=0)

    @model_validator(mode="after")
    def _interval_within_horizon(self) -> ScheduleParams:
        if self.interval_seconds > self.horizon_seconds:
            raise ValueError(
                f"interval_seconds <= horizon_seconds ({self.horizon_seconds}), "
                f"was {self.interval_seconds}"
            )
        return self


class ScheduledAlgorithm(ExecAlgorithm):
    """Slices at fixed times toward cumulative targets; subclasses say each slice's weight."""

    params: ScheduleParams

    def slice_count(self) -> int:
        """Number of slices, ``floor(horizon / interval)`` (at least 1)."""
        p = self.params
        return max(1, math.floor(p.horizon_seconds / p.interval_seconds + 1e-9))

    def slice_offsets_ns(self) -> list[int]:
        """Offsets from the start at which slices are sent."""
        interval_ns = round(self.params.interval_seconds * NANOS_PER_SECOND)
        return [k * interval_ns for k in range(self.slice_count())]

    def weights(self, run: AlgoRun) -> list[float]:
        """Relative size of each slice (positive, any scale)."""
        raise NotImplementedError

    def targets(self, run: AlgoRun) -> list[float]:
        """Cumulative quantity due after each slice, lot-rounded down; the last is the parent's
        quantity."""
        weights = self.weights(run)
        total = sum(weights)
        quantity = run.parent.quantity
        cumulative = 0.0
        targets = []
        for weight in weights[:-1]:
            cumulative += weight
            targets.append(float(run.instrument.make_qty(quantity * cumulative / total)))
        targets.append(quantity)
        return targets

    def on_start(self, run: AlgoRun) -> None:
        self._targets = self.targets(run)
        self._times = [run.start_ns + offset for offset in self.slice_offsets_ns()]
        self._next = 0
        self._end_ns = run.start_ns + round(self.params.horizon_seconds * NANOS_PER_SECOND)
        self._send_due_slices(run)

    def on_time(self, run: AlgoRun, event: TimeEvent) -> None:
        if self._next >= len(self._times):
            self._end(run)
        else:
            self._send_due_slices(run)

    def _send_due_slices(self, run: AlgoRun) -> None:
        now = run.now()
        target = None
        while self._next < len(self._times) and self._times[self._next] <= now:
            target = self._targets[self._next]
            self._next += 1
        if target is not None:
            run.send_child(target - run.committed)
        if self._next < len(self._times):
            run.set_alert(self._times[self._next])
        else:
            run.set_alert(self._end_ns)

    def _end(self, run: AlgoRun) -> None:
        for child in list(run.working.values()):
            if child.order_type is not OrderType.MARKET:
                run.cancel_child(child)
        run.finish()


class TwapParams(ScheduleParams):
    """TWAP settings (``exec_params``).

    Parameters
    ----------
    horizon_seconds, interval_seconds : float
        See `ScheduleParams`.
    size_jitter : float, default 0
        Randomise each slice's weight by a uniform factor in ``[1 - j, 1 + j]`` (0 <= j < 1).
    time_jitter : float, default 0
        Delay each slice after the first by up to this fraction of the interval (0 <= j < 1).
    seed : int, default 0
        Seed of the randomisation (runs are reproducible).
    """

    size_jitter: float = Field(default=0.0, ge=0.0, lt=1.0)
    time_jitter: float = Field(default=0.0, ge=0.0, lt=1.0)
    seed: int = 0


class TwapAlgorithm(ScheduledAlgorithm):
    """Time-weighted average price: equal slices at equal intervals (see the module)."""

    name: ClassVar[str] = "twap"
    params_class: ClassVar[type[AlgoParams]] = TwapParams
    params: TwapParams

    def __init__(self, params: AlgoParams) -> None:
        super().__init__(params)
        self._rng = random.Random(self.params.seed)

    def weights(self, run: AlgoRun) -> list[float]:
        jitter = self.params.size_jitter
        n = self.slice_count()
        if jitter == 0:
            return [1.0] * n
        return [1.0 + jitter * self._rng.uniform(-1.0, 1.0) for _ in range(n)]

    def slice_offsets_ns(self) -> list[int]:
        offsets = super().slice_offsets_ns()
        jitter = self.params.time_jitter
        if jitter == 0:
            return offsets
        interval_ns = round(self.params.interval_seconds * NANOS_PER_SECOND)
        return [0] + [o + int(jitter * interval_ns * self._rng.random()) for o in offsets[1:]]
