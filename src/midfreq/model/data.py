"""Market data types: bars, quotes, trades, order book snapshots and deltas (immutable, ns
timestamps).

They are `msgspec.Struct`s (frozen, no GC tracking) because millions are created per backtest;
construct them with keywords in ordinary code and positionally on hot paths.
"""

from __future__ import annotations

import msgspec

from midfreq.model.enums import AggressorSide, BookSide
from midfreq.model.identifiers import InstrumentId


class Bar(msgspec.Struct, frozen=True, gc=False):
    """An OHLCV bar closing at ``ts_event``."""

    instrument_id: InstrumentId
    open: float
    high: float
    low: float
    close: float
    volume: float
    ts_event: int
    ts_init: int


class QuoteTick(msgspec.Struct, frozen=True, gc=False):
    """Top of book: best bid and ask with sizes."""

    instrument_id: InstrumentId
    bid_price: float
    ask_price: float
    bid_size: float
    ask_size: float
    ts_event: int
    ts_init: int

    @property
    def mid(self) -> float:
        """Midpoint of bid and ask."""
        return (self.bid_price + self.ask_price) / 2.0


class TradeTick(msgspec.Struct, frozen=True, gc=False):
    """One trade printed on the tape."""

    instrument_id: InstrumentId
    price: float
    size: float
    aggressor_side: AggressorSide
    trade_id: str
    ts_event: int
    ts_init: int


class OrderBookSnapshot(msgspec.Struct, frozen=True, gc=False):
    """Price levels ``(price, size)``: bids best (highest) first, asks best (lowest) first."""

    instrument_id: InstrumentId
    bids: tuple[tuple[float, float], ...]
    asks: tuple[tuple[float, float], ...]
    ts_event: int
    ts_init: int

    def __post_init__(self) -> None:
        if self.bids and self.asks and self.bids[0][0] >= self.asks[0][0]:
            raise ValueError(
                f"{self.instrument_id} book: expected best bid < best ask, was "
                f"{self.bids[0][0]} >= {self.asks[0][0]}"
            )


class OrderBookDelta(msgspec.Struct, frozen=True, gc=False):
    """One change to one price level of an L2 book, numbered by the venue.

    ``size`` is the level's new total size; ``0.0`` removes the level. ``sequence`` is the venue's
    sequence number: an `OrderBook` applies deltas only in order, one number at a time.
    """

    instrument_id: InstrumentId
    side: BookSide
    price: float
    size: float
    sequence: int
    ts_event: int
    ts_init: int


class StaleData(msgspec.Struct, frozen=True, gc=False):
    """No update accepted for an instrument for ``stale_after_seconds``.

    ``last_ts`` is the ``ts_event`` of its last accepted update (None if there was none since it
    was subscribed); ``ts_event`` is when the staleness was detected.
    """

    instrument_id: InstrumentId
    last_ts: int | None
    ts_event: int


class FreshData(msgspec.Struct, frozen=True, gc=False):
    """Updates resumed for an instrument that was stale; the update follows in the same batch."""

    instrument_id: InstrumentId
    ts_event: int


MarketData = Bar | QuoteTick | TradeTick | OrderBookSnapshot | OrderBookDelta
