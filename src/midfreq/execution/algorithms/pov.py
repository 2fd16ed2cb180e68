"""POV (percentage of volume): trade a target share of the market volume observed since the
parent started, in children between a minimum and a maximum size.

On each bar (``volume_source: bars``) or trade print (``trades``) of the instrument, the
observed volume ``V`` grows; the algorithm then sends one child of ``participation * V`` minus
its committed quantity (filled plus working), rounded down to the lot, capped at
``max_child_quantity`` and at the parent's remaining quantity, if that is at least
``min_child_quantity`` (or the whole remaining quantity, when that is smaller). So the committed
quantity never exceeds ``participation * V``, and trails it by less than one minimum child
unless the maximum child size holds it back. The observed volume is the market's as printed
(in live trading it includes our own fills). After ``horizon_seconds`` (if set) working limit
children are cancelled and the parent closes, EXPIRED if short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, model_validator

from midfreq.core.clock import NANOS_PER_SECOND, TimeEvent
from midfreq.execution.algorithms.framework import AlgoParams, ExecAlgorithm
from midfreq.model.data import Bar, TradeTick
from midfreq.model.enums import OrderType

if TYPE_CHECKING:
    from midfreq.execution.algorithms.engine import AlgoRun


class PovParams(AlgoParams):
    """POV settings (``exec_params``).

    Parameters
    ----------
    participation : float
        Target share of market volume, in (0, 1].
    min_child_quantity : float, default 0
        Smallest child (0: one lot); a smaller deficit waits for more volume.
    max_child_quantity : float, optional
        Largest child.
    volume_source : "bars" or "trades", default "bars"
        What counts as market volume.
    horizon_seconds : float, optional
        Stop after this long (default: work until filled or cancelled).
    """

    participation: float = Field(gt=0.0, le=1.0)
    min_child_quantity: float = Field(default=0.0, ge=0.0)
    max_child_quantity: float | None = Field(default=None, gt=0.0)
    volume_source: Literal["bars", "trades"] = "bars"
    horizon_seconds: float | None = Field(default=None, gt=0.0)

    @model_validator(mode="after")
    def _sizes_ordered(self) -> PovParams:
        if (
            self.max_child_quantity is not None
            and self.max_child_quantity < self.min_child_quantity
        ):
            raise ValueError(
                f"max_child_quantity >= min_child_quantity ({self.min_child_quantity}), was "
                f"{self.max_child_quantity}"
            )
        return self


class PovAlgorithm(ExecAlgorithm):
    """Percentage of volume (see the module)."""

    name: ClassVar[str] = "pov"
    params_class: ClassVar[type[AlgoParams]] = PovParams
    wants_market_data: ClassVar[bool] = True
    params: PovParams

    def __init__(self, params: AlgoParams) -> None:
        super().__init__(params)
        self.observed_volume = 0.0

    def on_start(self, run: AlgoRun) -> None:
        horizon = self.params.horizon_seconds
        if horizon is not None:
            run.set_alert(run.start_ns + round(horizon * NANOS_PER_SECOND))

    def on_time(self, run: AlgoRun, event: TimeEvent) -> None:
        for child in list(run.working.values()):
            if child.order_type is not OrderType.MARKET:
                run.cancel_child(child)
        run.finish()

    def on_bar(self, run: AlgoRun, bar: Bar) -> None:
        if self.params.volume_source == "bars":
            self.observe(run, bar.volume)

    def on_trade(self, run: AlgoRun, trade: TradeTick) -> None:
        if self.params.volume_source == "trades":
            self.observe(run, trade.size)

    def target(self) -> float:
        """Quantity due so far: ``participation * observed volume``."""
        return self.params.participation * self.observed_volume

    def observe(self, run: AlgoRun, volume: float) -> None:
        """Add market volume and send a child if the deficit is large enough."""
        self.observed_volume += volume
        instrument = run.instrument
        remaining = run.remaining
        deficit = float(instrument.make_qty(max(self.target() - run.committed, 0.0)))
        p = self.params
        if p.max_child_quantity is not None:
            deficit = min(deficit, float(instrument.make_qty(p.max_child_quantity)))
        minimum = max(p.min_child_quantity, instrument.lot_size)
        if deficit >= min(minimum, remaining) and deficit > 0:
            run.send_child(deficit)
