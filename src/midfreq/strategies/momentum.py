"""Moving-average crossover momentum: long when the fast average is above the slow one,
short (or flat) when below."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from midfreq.model.data import Bar, QuoteTick
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy, OrderRouter
from midfreq.strategies.config import StrategyConfig
from midfreq.strategies.indicators import SimpleMovingAverage


class MomentumConfig(StrategyConfig):
    """Settings of `MomentumStrategy`."""

    fast_period: int = Field(default=10, ge=1)
    slow_period: int = Field(default=30, ge=2)
    allow_short: bool = True

    @field_validator("slow_period")
    @classmethod
    def _above_fast(cls, value: int, info: ValidationInfo) -> int:
        fast = info.data.get("fast_period")
        if fast is not None and value <= fast:
            raise ValueError(f"an integer above fast_period ({fast})")
        return value


class MomentumStrategy(BaseStrategy):
    """Hold ``order_quantity`` in the direction of the fast/slow moving-average crossover.

    Config: ``fast_period`` (10), ``slow_period`` (30), ``order_quantity`` (100),
    ``allow_short`` (true; false means flat when fast < slow).
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
        self._averages = {
            iid: (SimpleMovingAverage(self.fast_period), SimpleMovingAverage(self.slow_period))
            for iid in self.instrument_ids
        }
        self._targets: dict[InstrumentId, float] = dict.fromkeys(self.instrument_ids, 0.0)

    def on_bar(self, bar: Bar) -> None:
        """Update the averages with the close and trade on a crossover."""
        self._on_price(bar.instrument_id, bar.close)

    def on_quote(self, quote: QuoteTick) -> None:
        """Update the averages with the mid and trade on a crossover."""
        self._on_price(quote.instrument_id, (quote.bid_price + quote.ask_price) / 2.0)

    def _on_price(self, iid: InstrumentId, price: float) -> None:
        averages = self._averages.get(iid)
        if averages is None:  # an instrument the kernel gave a strategy configured without symbols
            averages = self._averages[iid] = (
                SimpleMovingAverage(self.fast_period),
                SimpleMovingAverage(self.slow_period),
            )
        fast_average, slow = averages
        fast = fast_average.update(price)
        slow_value = slow.update(price)
        if not slow.is_ready:
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
