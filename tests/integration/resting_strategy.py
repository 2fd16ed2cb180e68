"""A strategy for shutdown tests: keeps one buy limit resting far below the market."""

from __future__ import annotations

from midfreq.model.data import QuoteTick
from midfreq.model.enums import OrderType
from midfreq.strategies.base import BaseStrategy


class RestingLimitStrategy(BaseStrategy):
    """Place one limit buy at half the first bid it sees, per instrument."""

    name = "resting_limit"

    def on_quote(self, quote: QuoteTick) -> None:
        """Rest one order per instrument."""
        assert self.cache is not None
        if self.cache.orders_open(self.strategy_id, quote.instrument_id):
            return
        if any(o.instrument_id == quote.instrument_id for o in self.cache.orders()):
            return
        instrument = self.cache.instrument(quote.instrument_id)
        self.buy(
            quote.instrument_id,
            10,
            order_type=OrderType.LIMIT,
            price=instrument.make_price(quote.bid_price / 2),
        )
