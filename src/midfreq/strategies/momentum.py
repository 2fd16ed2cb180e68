"""Moving-average crossover momentum: long when the fast average (simple or exponential) is above
the slow one, short (or flat) when below. Breakouts are in `breakout`, time-series momentum in
`trend`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from midfreq.model.data import Bar, QuoteTick
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy, OrderRouter
from midfreq.strategies.config import StrategyConfig
from midfreq.strategies.indicators import ExponentialMovingAverage, SimpleMovingAverage

AverageKind = Literal["simple", "exponential"]
_Average = SimpleMovingAverage | ExponentialMovingAverage


class MomentumConfig(StrategyConfig):
    """Settings of `MomentumStrategy`.

    Attributes
    ----------
    fast_period, slow_period : int
        Windows (spans) of the two averages, ``fast_period < slow_period`` (10 and 30).
    allow_short : bool
        Whether fast < slow sells short (true) or only flattens.
    moving_average : {"simple", "exponential"}
        Simple moving averages (default) or exponential ones with ``alpha = 2 / (period + 1)``
        seeded with the first price; either way the first signal comes once ``slow_period``
        prices have been seen.
    """

    fast_period: int = Field(default=10, ge=1)
    slow_period: int = Field(default=30, ge=2)
    allow_short: bool = True
    moving_average: AverageKind = "simple"

    @field_validator("slow_period")
    @classmethod
    def _above_fast(cls, value: int, info: ValidationInfo) -> int:
        fast = info.data.get("fast_period")
        if fast is not None and value <= fast:
            raise ValueError(f"an integer above fast_period ({fast})")
        return value


class MomentumStrategy(BaseStrategy):
    """Hold ``order_quantity`` in the direction of the fast/slow moving-average crossover.

    Config (`MomentumConfig`): ``fast_period`` (10), ``slow_period`` (30), ``order_quantity``
    (100), ``allow_short`` (true; false means flat when fast < slow), ``moving_average``
    (simple; or exponential).
    """

    name = "momentum"
    config_class = MomentumConfig
    params: MomentumConfig
    keeps_price_history = False  # its moving averages hold what it needs

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> None:
        super().__init__(config, order_router, risk_manager)
        self.fast_period = self.params.fast_period
        self.slow_period = self.params.slow_period
        self.allow_short = self.params.allow_short
        self.moving_average: AverageKind = self.params.moving_average
        self._averages = {iid: self._new_averages() for iid in self.instrument_ids}
        self._targets: dict[InstrumentId, float] = dict.fromkeys(self.instrument_ids, 0.0)

    def _new_averages(self) -> tuple[_Average, _Average]:
        if self.moving_average == "exponential":
            return (
                ExponentialMovingAverage(self.fast_period),
                ExponentialMovingAverage(self.slow_period),
            )
        return SimpleMovingAverage(self.fast_period), SimpleMovingAverage(self.slow_period)

    def on_bar(self, bar: Bar) -> None:
        """Update the averages with the close and trade on a crossover."""
        self._on_price(bar.instrument_id, bar.close)

    def on_quote(self, quote: QuoteTick) -> None:
        """Update the averages with the mid and trade on a crossover."""
        self._on_price(quote.instrument_id, (quote.bid_price + quote.ask_price) / 2.0)

    def _on_price(self, iid: InstrumentId, price: float) -> None:
        averages = self._averages.get(iid)
        if averages is None:  # an instrument the kernel gave a strategy configured without symbols
            averages = self._averages[iid] = self._new_averages()
        fast_average, slow = averages
        fast = fast_average.update(price)
        slow_value = slow.update(price)
        if not slow.initialized:
            return
        # Running sums differ from the exact averages by a few ulps: equal within that is equal
        # (a flat market must not flip the position).
        if abs(fast - slow_value) <= 1e-9 * abs(slow_value):
            return
        if fast > slow_value:
            target = self.order_quantity
        else:
            target = -self.order_quantity if self.allow_short else 0.0
        if target != self._targets.get(iid, 0.0):
            self._targets[iid] = target
            self.order_target(iid, target)
