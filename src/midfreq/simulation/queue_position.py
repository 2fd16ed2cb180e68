"""The size displayed at a price on one side of the market, as the simulated venue's queue-position
model sees it: from the L2 book when there is one, else from the top of book."""

from __future__ import annotations

from midfreq.model.book import OrderBook
from midfreq.model.data import QuoteTick
from midfreq.model.enums import BookSide


def displayed_size(
    book: OrderBook | None, quote: QuoteTick | None, buy: bool, price: float, tick_size: float
) -> float | None:
    """Size other traders display at ``price`` on the bid (``buy``) or ask side.

    Prices match within half a tick. Returns 0.0 where nobody is: a price better than the best,
    or a gap inside the book's shown depth. Returns None where it cannot be known: behind the
    best with only a quote, deeper than the book shows, or with no data at all.

    Examples
    --------
    >>> from midfreq.model.identifiers import InstrumentId
    >>> quote = QuoteTick(InstrumentId("AAA.SIM"), 10.0, 10.02, 500.0, 700.0, 0, 0)
    >>> [displayed_size(None, quote, True, price, 0.01) for price in (10.0, 10.01, 9.99)]
    [500.0, 0.0, None]
    """
    half_tick = tick_size / 2.0
    if book is not None and (book.best_bid() is not None or book.best_ask() is not None):
        levels = book.depth(BookSide.BID if buy else BookSide.ASK)
        if not levels:
            return 0.0  # nobody on our side: we are alone at any price
        for level_price, size in levels:
            if abs(level_price - price) < half_tick:
                return size
            if (level_price < price) if buy else (level_price > price):
                return 0.0  # past our price without meeting it: nobody there
        return None  # deeper than the book shows
    if quote is None:
        return None
    best = quote.bid_price if buy else quote.ask_price
    if abs(best - price) < half_tick:
        return quote.bid_size if buy else quote.ask_size
    if (price > best) if buy else (price < best):
        return 0.0
    return None
