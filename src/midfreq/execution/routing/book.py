"""The consolidated view of one instrument across venues (`ConsolidatedBook`): each venue's
depth levels, its maker/taker fees, whether it is up, and when it last updated (for staleness).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from midfreq.model.book import OrderBook
from midfreq.model.data import OrderBookSnapshot, QuoteTick
from midfreq.model.enums import BookSide, OrderSide
from midfreq.model.identifiers import Venue

Level = tuple[float, float]
"""A price level ``(price, size)``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueFees:
    """A venue's fee schedule as the router prices it.

    A fill of ``q`` at ``p`` costs ``q * (p * rate + per_unit)`` in fees; negative values are
    rebates (common for makers).

    Parameters
    ----------
    taker_rate, maker_rate : float
        Fraction of the notional (``0.0003`` is 3 bps).
    taker_per_unit, maker_per_unit : float
        Money per share or contract.
    """

    taker_rate: float = 0.0
    maker_rate: float = 0.0
    taker_per_unit: float = 0.0
    maker_per_unit: float = 0.0

    def __post_init__(self) -> None:
        for name in ("taker_rate", "maker_rate", "taker_per_unit", "maker_per_unit"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"VenueFees.{name}: expected a finite number, was {value!r}")

    def effective_price(self, side: OrderSide, price: float, *, taker: bool = True) -> float:
        """The price per unit after fees: higher for buys, lower for sells.

        Examples
        --------
        >>> fees = VenueFees(taker_rate=0.001, taker_per_unit=0.01)
        >>> round(fees.effective_price(OrderSide.BUY, 100.0), 6)
        100.11
        >>> round(fees.effective_price(OrderSide.SELL, 100.0), 6)
        99.89
        """
        rate, per_unit = (
            (self.taker_rate, self.taker_per_unit)
            if taker
            else (self.maker_rate, self.maker_per_unit)
        )
        cost = price * rate + per_unit
        return price + cost if side is OrderSide.BUY else price - cost


class VenueView:
    """One venue's side of the consolidated book (mutable; owned by its `ConsolidatedBook`)."""

    __slots__ = ("asks", "bids", "fees", "is_up", "ts_last", "venue")

    def __init__(self, venue: Venue, fees: VenueFees) -> None:
        self.venue = venue
        self.fees = fees
        self.is_up = True
        # Best first: bids descending, asks ascending.
        self.bids: tuple[Level, ...] = ()
        self.asks: tuple[Level, ...] = ()
        self.ts_last: int | None = None

    def levels(self, side: OrderSide) -> tuple[Level, ...]:
        """Levels an order of ``side`` takes: asks for a buy, bids for a sell."""
        return self.asks if side is OrderSide.BUY else self.bids

    def touch(self, side: OrderSide) -> Level | None:
        """Best level an order of ``side`` takes, or None when that side is empty."""
        levels = self.asks if side is OrderSide.BUY else self.bids
        return levels[0] if levels else None

    def __repr__(self) -> str:
        state = "up" if self.is_up else "down"
        return f"VenueView({self.venue} {state} bids={self.bids[:1]} asks={self.asks[:1]})"


class ConsolidatedBook:
    """Quotes and depth of one instrument on several venues, with their fees and status.

    Venues are kept in the order they were added (the router's tie-break of last resort).
    A venue is *eligible for price routing* at ``now_ns`` when it is up and, if
    ``stale_after_ns`` is set, its last update is at most that old.

    Parameters
    ----------
    venues : iterable of (Venue, VenueFees)
        The venues the instrument trades on.
    stale_after_ns : int or None
        Age after which a venue's prices are ignored by price-based policies; None: never.

    Examples
    --------
    >>> book = ConsolidatedBook([(Venue("A"), VenueFees()), (Venue("B"), VenueFees())])
    >>> book.update_depth(Venue("A"), bids=((99.0, 100.0),), asks=((100.0, 200.0),), ts_ns=1)
    >>> book.update_depth(Venue("B"), bids=((99.5, 50.0),), asks=((100.5, 300.0),), ts_ns=1)
    >>> book.best_bid(), book.best_ask()
    ((Venue('B'), 99.5, 50.0), (Venue('A'), 100.0, 200.0))
    >>> book.mark_down(Venue("A"))
    >>> [str(v.venue) for v in book.eligible(now_ns=1)]
    ['B']
    """

    __slots__ = ("_venues", "stale_after_ns")

    def __init__(
        self, venues: Iterable[tuple[Venue, VenueFees]], stale_after_ns: int | None = None
    ) -> None:
        self._venues: dict[Venue, VenueView] = {}
        for venue, fees in venues:
            self.add_venue(venue, fees)
        if stale_after_ns is not None and stale_after_ns < 0:
            raise ValueError(f"stale_after_ns: expected >= 0 or None, was {stale_after_ns}")
        self.stale_after_ns = stale_after_ns

    # ---- venues ---------------------------------------------------------------------------
    def add_venue(self, venue: Venue, fees: VenueFees | None = None) -> None:
        """Add a venue (no prices yet, up); adding a known venue raises `ValueError`."""
        if venue in self._venues:
            raise ValueError(f"venue: expected a venue not yet in the book, was {venue}")
        self._venues[venue] = VenueView(venue, fees or VenueFees())

    def venue(self, venue: Venue | str) -> VenueView:
        """The view of ``venue``; raises `KeyError` naming the known venues if unknown."""
        try:
            return self._venues[venue]  # type: ignore[index]
        except KeyError:
            known = ", ".join(self._venues) or "none"
            raise KeyError(f"venue: expected one of {known}, was {venue!r}") from None

    @property
    def venues(self) -> list[VenueView]:
        """All venues, in the order they were added."""
        return list(self._venues.values())

    def mark_down(self, venue: Venue | str) -> None:
        """Stop routing to ``venue`` (disconnected, halted, rejecting)."""
        self.venue(venue).is_up = False

    def mark_up(self, venue: Venue | str) -> None:
        """Route to ``venue`` again."""
        self.venue(venue).is_up = True

    def is_fresh(self, view: VenueView, now_ns: int) -> bool:
        """Whether ``view`` has prices no older than ``stale_after_ns`` (always, if unset)."""
        if view.ts_last is None:
            return False
        return self.stale_after_ns is None or now_ns - view.ts_last <= self.stale_after_ns

    def eligible(self, now_ns: int, *, exclude: Iterable[Venue] = ()) -> list[VenueView]:
        """Venues that are up, have fresh prices and are not in ``exclude``."""
        skip = set(exclude)
        return [
            v
            for v in self._venues.values()
            if v.is_up and v.venue not in skip and self.is_fresh(v, now_ns)
        ]

    # ---- updates --------------------------------------------------------------------------
    def update_depth(
        self,
        venue: Venue | str,
        *,
        bids: Sequence[Level],
        asks: Sequence[Level],
        ts_ns: int,
    ) -> None:
        """Replace ``venue``'s levels (best first); levels with size <= 0 are dropped."""
        view = self.venue(venue)
        view.bids = tuple((p, s) for p, s in bids if s > 0)
        view.asks = tuple((p, s) for p, s in asks if s > 0)
        view.ts_last = ts_ns

    def update_quote(self, venue: Venue | str, quote: QuoteTick) -> None:
        """Set ``venue``'s depth to the top of book in ``quote``."""
        self.update_depth(
            venue,
            bids=((quote.bid_price, quote.bid_size),),
            asks=((quote.ask_price, quote.ask_size),),
            ts_ns=quote.ts_event,
        )

    def update_snapshot(self, venue: Venue | str, snapshot: OrderBookSnapshot) -> None:
        """Set ``venue``'s depth to ``snapshot``'s levels."""
        self.update_depth(venue, bids=snapshot.bids, asks=snapshot.asks, ts_ns=snapshot.ts_event)

    def update_order_book(self, venue: Venue | str, book: OrderBook, levels: int = 10) -> None:
        """Set ``venue``'s depth to the first ``levels`` levels of an L2 `OrderBook`."""
        self.update_depth(
            venue,
            bids=book.depth(BookSide.BID, levels),
            asks=book.depth(BookSide.ASK, levels),
            ts_ns=book.ts_event,
        )

    # ---- queries --------------------------------------------------------------------------
    def best_bid(self, now_ns: int | None = None) -> tuple[Venue, float, float] | None:
        """Highest bid across venues as ``(venue, price, size)`` (eligible ones if ``now_ns``)."""
        return self._best(OrderSide.SELL, now_ns)

    def best_ask(self, now_ns: int | None = None) -> tuple[Venue, float, float] | None:
        """Lowest ask across venues as ``(venue, price, size)`` (eligible ones if ``now_ns``)."""
        return self._best(OrderSide.BUY, now_ns)

    def arrival_price(self, side: OrderSide, now_ns: int | None = None) -> float | None:
        """The consolidated touch an order of ``side`` would take (ask for buys, bid for sells)."""
        best = self._best(side, now_ns)
        return None if best is None else best[1]

    def _best(self, side: OrderSide, now_ns: int | None) -> tuple[Venue, float, float] | None:
        views = self._venues.values() if now_ns is None else self.eligible(now_ns)
        best: tuple[Venue, float, float] | None = None
        buy = side is OrderSide.BUY
        for view in views:
            touch = view.touch(side)
            if touch is None:
                continue
            if best is None or (touch[0] < best[1] if buy else touch[0] > best[1]):
                best = (view.venue, touch[0], touch[1])
        return best
