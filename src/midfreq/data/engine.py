"""The DataEngine: takes market data from a data client, caches it, then publishes it.

Topics: ``data.bars.<instrument_id>``, ``data.quotes.<instrument_id>``,
``data.trades.<instrument_id>`` and ``data.book.<instrument_id>``.
"""

from __future__ import annotations

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.infra.logging import get_logger
from midfreq.model.book import BookError
from midfreq.model.data import (
    Bar,
    FreshData,
    OrderBookDelta,
    OrderBookSnapshot,
    QuoteTick,
    StaleData,
    TradeTick,
)
from midfreq.model.identifiers import InstrumentId


def bars_topic(instrument_id: InstrumentId | str) -> str:
    """Topic of bars for an instrument."""
    return f"data.bars.{instrument_id}"


def quotes_topic(instrument_id: InstrumentId | str) -> str:
    """Topic of quotes for an instrument."""
    return f"data.quotes.{instrument_id}"


def trades_topic(instrument_id: InstrumentId | str) -> str:
    """Topic of trades for an instrument."""
    return f"data.trades.{instrument_id}"


def book_topic(instrument_id: InstrumentId | str) -> str:
    """Topic of order book snapshots for an instrument."""
    return f"data.book.{instrument_id}"


class DataEngine:
    """Cache-then-publish for every piece of market data; counts what it handled."""

    def __init__(self, bus: MessageBus, cache: Cache) -> None:
        self._bus = bus
        self._cache = cache
        self._topics: dict[tuple[type, str], str] = {}
        self._bar_topics: dict[str, str] = {}
        self.bar_count = 0
        self.quote_count = 0
        self.trade_count = 0
        self.book_count = 0
        self.book_errors = 0
        self._log = get_logger("data")

    def _topic(self, kind: type, instrument_id: str) -> str:
        key = (kind, instrument_id)
        topic = self._topics.get(key)
        if topic is None:
            prefixes: dict[type, str] = {Bar: "bars", QuoteTick: "quotes", TradeTick: "trades"}
            prefix = prefixes.get(kind, "book")
            topic = f"data.{prefix}.{instrument_id}"
            self._topics[key] = topic
        return topic

    def process_bar(self, bar: Bar) -> None:
        """Cache and publish a bar."""
        self.bar_count += 1
        iid = bar.instrument_id
        cache = self._cache
        cache.bars[iid] = bar  # `Cache.add_bar`, inlined: this runs for every bar
        cache.last_prices[iid] = bar.close
        topic = self._bar_topics.get(iid)
        if topic is None:
            topic = self._bar_topics[iid] = self._topic(Bar, iid)
        self._bus.publish(topic, bar)

    def process_quote(self, quote: QuoteTick) -> None:
        """Cache and publish a quote."""
        self.quote_count += 1
        self._cache.add_quote(quote)
        self._bus.publish(self._topic(QuoteTick, quote.instrument_id), quote)

    def process_trade(self, trade: TradeTick) -> None:
        """Cache and publish a trade."""
        self.trade_count += 1
        self._cache.add_trade(trade)
        self._bus.publish(self._topic(TradeTick, trade.instrument_id), trade)

    def process_book(self, book: OrderBookSnapshot) -> None:
        """Replace the instrument's L2 book with a snapshot, then publish it."""
        self.book_count += 1
        try:
            self._cache.book(book.instrument_id).apply_snapshot(book)
        except BookError as exc:
            self.book_errors += 1
            self._log.warning(
                "book snapshot refused", instrument_id=str(book.instrument_id), error=str(exc)
            )
            return
        self._bus.publish(self._topic(OrderBookSnapshot, book.instrument_id), book)

    def process_book_delta(self, delta: OrderBookDelta) -> None:
        """Apply one level change to the instrument's book, then publish it. A delta the book
        refuses (gap, crossing, stale) is counted and not published; the book then waits for a
        snapshot (see `OrderBook.needs_snapshot`)."""
        self.book_count += 1
        book = self._cache.book(delta.instrument_id)
        try:
            applied = book.apply_delta(delta)
        except BookError as exc:
            applied = False
            self._log.warning(
                "book delta refused", instrument_id=str(delta.instrument_id), error=str(exc)
            )
        if not applied:
            self.book_errors += 1
            return
        self._bus.publish(self._topic(OrderBookDelta, delta.instrument_id), delta)

    def process_status(self, status: StaleData | FreshData) -> None:
        """Record that an instrument's feed went stale (or fresh again), then publish it on
        ``data.status.<instrument_id>``."""
        iid = status.instrument_id
        if type(status) is StaleData:
            self._cache.stale_instruments.add(iid)
        else:
            self._cache.stale_instruments.discard(iid)
        self._bus.publish(f"data.status.{iid}", status)

    @property
    def message_count(self) -> int:
        """Every market data message handled."""
        return self.bar_count + self.quote_count + self.trade_count + self.book_count
