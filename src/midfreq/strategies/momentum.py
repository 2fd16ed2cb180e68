"""Moving-average crossover momentum: long when the fast average is above the slow one,
short (or flat) when below."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from midfreq.core.errors import ConfigError
from midfreq.model.data import Bar, QuoteTick
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy, OrderRouter
from midfreq.strategies.indicators import SimpleMovingAverage


class MomentumStrategy(BaseStrategy):
    """Hold ``order_quantity`` in the direction of the fast/slow moving-average crossover.

    Config: ``fast_period`` (10), ``slow_period`` (30), ``order_quantity`` (100),
    ``allow_short`` (true; false means flat when fast < slow).
    """

    name = "momentum"

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> None:
        super().__init__(config, order_router, risk_manager)
        self.fast_period = int(self.config.get("fast_period", 10))
        self.slow_period = int(self.config.get("slow_period", 30))
        if not 1 <= self.fast_period < self.slow_period:
            raise ConfigError(
                f"strategies.{self.strategy_id}.fast_period/slow_period",
                (self.fast_period, self.slow_period),
                "1 <= fast_period < slow_period",
            )
        self.allow_short = bool(self.config.get("allow_short", True))
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
        fast_average, slow = self._averages[iid]
        fast = fast_average.update(price)
        slow_value = slow.update(price)
        if slow._count < self.slow_period:
            return
        if fast > slow_value:
            target = self.order_quantity
        elif fast < slow_value:
            target = -self.order_quantity if self.allow_short else 0.0
        else:
            return
        if target != self._targets[iid]:
            self._targets[iid] = target
            self.order_target(iid, target)
