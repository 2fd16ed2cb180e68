"""The kernel's in-memory state: instruments, latest market data and orders.

Engines write here before they publish, so a handler and the cache always agree. Strategies and
the dashboard read through `CacheView`, which offers no way to change anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from midfreq.core.errors import DataError
from midfreq.model.book import OrderBook
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId
from midfreq.model.instruments import Instrument
from midfreq.model.orders import Order


class Cache:
    """Instruments, the latest bar/quote/trade per instrument, and every order by id."""

    def __init__(self) -> None:
        self.instruments: dict[InstrumentId, Instrument] = {}
        self.bars: dict[InstrumentId, Bar] = {}
        self.quotes: dict[InstrumentId, QuoteTick] = {}
        self.trades: dict[InstrumentId, TradeTick] = {}
        self.last_prices: dict[InstrumentId, float] = {}
        self.consolidated: dict[InstrumentId, InstrumentId] = {}
        """Per-venue listing -> the consolidated instrument its fills are booked to (routing)."""
        self.books: dict[InstrumentId, OrderBook] = {}
        self.stale_instruments: set[InstrumentId] = set()
        self.orders: dict[ClientOrderId, Order] = {}
        self.open_orders: dict[ClientOrderId, Order] = {}
        # The same open orders by instrument, so per-instrument queries do not scan them all.
        self._open_by_instrument: dict[InstrumentId, dict[ClientOrderId, Order]] = {}
        self.order_count = 0
        self._closed_since_purge: list[ClientOrderId] = []

    # ---- instruments ----------------------------------------------------------------------
    def add_instrument(self, instrument: Instrument) -> None:
        """Add or replace an instrument."""
        self.instruments[instrument.id] = instrument

    def instrument(self, instrument_id: InstrumentId) -> Instrument:
        """Return the instrument or raise `DataError` naming the unknown id."""
        try:
            return self.instruments[instrument_id]
        except KeyError:
            known = ", ".join(sorted(self.instruments)) or "none"
            raise DataError(
                f"instrument: expected one of {known}, was {str(instrument_id)!r}"
            ) from None

    # ---- market data ----------------------------------------------------------------------
    def add_bar(self, bar: Bar) -> None:
        """Store ``bar`` as the latest for its instrument."""
        self.bars[bar.instrument_id] = bar
        self.last_prices[bar.instrument_id] = bar.close

    def add_quote(self, quote: QuoteTick) -> None:
        """Store ``quote`` as the latest for its instrument."""
        self.quotes[quote.instrument_id] = quote
        self.last_prices[quote.instrument_id] = (quote.bid_price + quote.ask_price) / 2.0

    def add_trade(self, trade: TradeTick) -> None:
        """Store ``trade`` as the latest for its instrument."""
        self.trades[trade.instrument_id] = trade
        self.last_prices[trade.instrument_id] = trade.price

    def last_price(self, instrument_id: InstrumentId) -> float | None:
        """Latest mid, trade or bar close, whichever came last; None before any data."""
        return self.last_prices.get(instrument_id)

    def book(self, instrument_id: InstrumentId) -> OrderBook:
        """The L2 book of ``instrument_id`` (created empty on first use)."""
        book = self.books.get(instrument_id)
        if book is None:
            book = self.books[instrument_id] = OrderBook(instrument_id)
        return book

    # ---- orders ---------------------------------------------------------------------------
    def add_order(self, order: Order) -> None:
        """Store a new order and number it in creation order."""
        self.order_count += 1
        order.sequence = self.order_count
        self.orders[order.client_order_id] = order
        if order.is_open:
            self._add_open(order)

    def update_order(self, order: Order) -> None:
        """Refresh the open-order index after ``order`` changed."""
        if order.is_open:
            if order.client_order_id not in self.open_orders:
                self._add_open(order)
        elif self.open_orders.pop(order.client_order_id, None) is not None:
            by_instrument = self._open_by_instrument[order.instrument_id]
            del by_instrument[order.client_order_id]
            if not by_instrument:
                del self._open_by_instrument[order.instrument_id]
            self._closed_since_purge.append(order.client_order_id)

    def _add_open(self, order: Order) -> None:
        self.open_orders[order.client_order_id] = order
        by_instrument = self._open_by_instrument.get(order.instrument_id)
        if by_instrument is None:
            by_instrument = self._open_by_instrument[order.instrument_id] = {}
        by_instrument[order.client_order_id] = order

    @property
    def has_purgeable_orders(self) -> bool:
        """Whether orders closed since the last `purge_closed_orders`."""
        return bool(self._closed_since_purge)

    def purge_closed_orders(self) -> int:
        """Forget orders that closed since the last purge (long backtests keep their records
        elsewhere); return how many were dropped."""
        closed = self._closed_since_purge
        for client_order_id in closed:
            self.orders.pop(client_order_id, None)
        count = len(closed)
        self._closed_since_purge = []
        return count

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """Return the order or None."""
        return self.orders.get(client_order_id)

    def orders_open(
        self,
        strategy_id: StrategyId | None = None,
        instrument_id: InstrumentId | None = None,
    ) -> list[Order]:
        """Open orders, optionally of one strategy and/or instrument, in creation order."""
        if instrument_id is not None:
            orders = self._open_by_instrument.get(instrument_id)
            if orders is None:
                return []
            if strategy_id is None:
                return list(orders.values())
            return [o for o in orders.values() if o.strategy_id == strategy_id]
        return [
            o
            for o in self.open_orders.values()
            if strategy_id is None or o.strategy_id == strategy_id
        ]

    def open_quantity(self, instrument_id: InstrumentId) -> tuple[float, float]:
        """Open (buy, sell) quantities still to fill for ``instrument_id`` and, for a
        consolidated instrument, for its per-venue listings (their fills are booked to it)."""
        buy = sell = 0.0
        ids = [instrument_id]
        if self.consolidated:
            ids += [k for k, v in self.consolidated.items() if v == instrument_id]
        for iid in ids:
            orders = self._open_by_instrument.get(iid)
            if orders:
                for o in orders.values():
                    if o.side.sign > 0:
                        buy += o.leaves_qty
                    else:
                        sell += o.leaves_qty
        return buy, sell


class CacheView:
    """Read-only facade over a `Cache` for strategies and the dashboard."""

    __slots__ = ("_cache",)

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    def instrument(self, instrument_id: InstrumentId) -> Instrument:
        """Return the instrument (raises `DataError` if unknown)."""
        return self._cache.instrument(instrument_id)

    def instruments(self) -> Iterable[Instrument]:
        """All instruments."""
        return tuple(self._cache.instruments.values())

    def bar(self, instrument_id: InstrumentId) -> Bar | None:
        """Latest bar."""
        return self._cache.bars.get(instrument_id)

    def quote(self, instrument_id: InstrumentId) -> QuoteTick | None:
        """Latest quote."""
        return self._cache.quotes.get(instrument_id)

    def trade(self, instrument_id: InstrumentId) -> TradeTick | None:
        """Latest trade."""
        return self._cache.trades.get(instrument_id)

    def book(self, instrument_id: InstrumentId) -> OrderBook | None:
        """The L2 book, if any depth arrived (read it; do not apply updates to it)."""
        return self._cache.books.get(instrument_id)

    def is_stale(self, instrument_id: InstrumentId) -> bool:
        """Whether the live feed reported no recent update for ``instrument_id``."""
        return instrument_id in self._cache.stale_instruments

    def last_price(self, instrument_id: InstrumentId) -> float | None:
        """Latest price seen."""
        return self._cache.last_prices.get(instrument_id)

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """An order by id (do not mutate it)."""
        return self._cache.orders.get(client_order_id)

    def orders_open(
        self, strategy_id: StrategyId | None = None, instrument_id: InstrumentId | None = None
    ) -> list[Order]:
        """Open orders."""
        return self._cache.orders_open(strategy_id, instrument_id)

    def listings_of(self, instrument_id: InstrumentId) -> tuple[InstrumentId, ...]:
        """The per-venue listings whose fills are booked to ``instrument_id`` (smart order
        routing), in no particular order; empty without routing."""
        consolidated = self._cache.consolidated
        if not consolidated:
            return ()
        return tuple(k for k, v in consolidated.items() if v == instrument_id)

    def orders(self) -> list[Order]:
        """Every order, in creation order."""
        return list(self._cache.orders.values())
