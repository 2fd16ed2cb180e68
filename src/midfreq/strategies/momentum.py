"""Moving-average crossover momentum: long when the fast average is above the slow one,
short (or flat) when below."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from midfreq.core.errors import ConfigError
from midfreq.model.data import Bar, QuoteTick
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy, OrderRouter, _parse_bool, _parse_int
from midfreq.strategies.indicators import SimpleMovingAverage


class MomentumStrategy(BaseStrategy):
    """Hold ``order_quantity`` in the direction of the fast/slow moving-average crossover.

    Config: ``fast_period`` (10), ``slow_period`` (30), ``order_quantity`` (100),
    ``allow_short`` (true; false means flat when fast < slow).
    """

    name = "momentum"
    keeps_price_history = False  # its moving averages hold what it needs

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> None:
        super().__init__(config, order_router, risk_manager)
        self.fast_period = self._setting("fast_period", 10, _parse_int, "an integer >= 1")
        self.slow_period = self._setting("slow_period", 30, _parse_int, "an integer >= 2")
        if not 1 <= self.fast_period < self.slow_period:
            raise ConfigError(
                f"strategies.{self.strategy_id}.fast_period/slow_period",
                (self.fast_period, self.slow_period),
                "1 <= fast_period < slow_period",
            )
        self.allow_short = self._setting("allow_short", True, _parse_bool, "true or false")
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
