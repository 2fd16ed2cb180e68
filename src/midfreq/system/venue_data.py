"""Per-venue market data derived from the consolidated feed (smart order routing on the built-in
feeds): each venue's quotes, trades and bars follow the consolidated ones with that venue's
spread, depth and price offset (`execution.venue_settings`)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from midfreq.model.data import (
    Bar,
    QuoteTick,
    TradeTick,
)
from midfreq.model.enums import OrderType
from midfreq.model.identifiers import InstrumentId
from midfreq.simulation.venue import SimulatedVenue
from midfreq.system.config import VenueMarketConfig

_ROUTED_TYPES = (OrderType.MARKET, OrderType.LIMIT)
_TIMEOUT_TIMER = "SmartOrderRouter.child_timeout"
_EPSILON = 1e-9  # ticks: absorbs float error before flooring or ceiling to a tick


@dataclasses.dataclass(frozen=True, slots=True)
class _DerivedListing:
    """A routed venue's listing of a consolidated instrument, whose data the kernel derives
    from the consolidated feed (docs/execution.md, "Routing in the kernel")."""

    instrument_id: InstrumentId
    venue: SimulatedVenue
    factor: float  # 1 + quote_offset_bps / 10_000: the venue's mid against the consolidated
    half_spread: float  # spread_bps / 20_000: added to the half spread, a share of the mid
    depth: float
    tick: float
    price_precision: int
    size_precision: int

    @classmethod
    def build(
        cls, instrument: Any, venue: SimulatedVenue, market: VenueMarketConfig
    ) -> _DerivedListing:
        return cls(
            instrument.id,
            venue,
            1.0 + market.quote_offset_bps / 10_000.0,
            market.spread_bps / 20_000.0,
            market.depth_fraction,
            instrument.tick_size,
            instrument.price_precision,
            instrument.size_precision,
        )

    def _book(self, mid: float, half: float) -> tuple[float, float]:
        # Bid rounded down and ask up to a tick, at least one tick apart.
        tick = self.tick
        bid_ticks = math.floor((mid - half) / tick + _EPSILON)
        ask_ticks = max(math.ceil((mid + half) / tick - _EPSILON), bid_ticks + 1)
        digits = self.price_precision
        return round(bid_ticks * tick, digits), round(ask_ticks * tick, digits)

    def _price(self, price: float) -> float:
        return round(round(price * self.factor / self.tick) * self.tick, self.price_precision)

    def quote(self, quote: QuoteTick) -> QuoteTick:
        mid = (quote.bid_price + quote.ask_price) * 0.5 * self.factor
        half = max((quote.ask_price - quote.bid_price) * 0.5 + mid * self.half_spread, 0.0)
        bid, ask = self._book(mid, half)
        depth, digits = self.depth, self.size_precision
        return QuoteTick(
            self.instrument_id,
            bid,
            ask,
            round(quote.bid_size * depth, digits),
            round(quote.ask_size * depth, digits),
            quote.ts_event,
            quote.ts_init,
        )

    def bar(self, bar: Bar) -> Bar:
        price = self._price
        return Bar(
            self.instrument_id,
            price(bar.open),
            price(bar.high),
            price(bar.low),
            price(bar.close),
            round(bar.volume * self.depth, self.size_precision),
            bar.ts_event,
            bar.ts_init,
        )

    def bar_quote(self, bar: Bar) -> QuoteTick:
        # What the router prices a venue by in a bar feed: the venue's close +/- half its
        # spread_bps (a tick at least), the venue's bar volume displayed on both sides.
        mid = bar.close
        bid, ask = self._book(mid, max(mid * self.half_spread, 0.0))
        volume = bar.volume
        return QuoteTick(self.instrument_id, bid, ask, volume, volume, bar.ts_event, bar.ts_init)

    def trade(self, trade: TradeTick) -> TradeTick:
        return TradeTick(
            self.instrument_id,
            self._price(trade.price),
            round(trade.size * self.depth, self.size_precision),
            trade.aggressor_side,
            trade.trade_id,
            trade.ts_event,
            trade.ts_init,
        )
