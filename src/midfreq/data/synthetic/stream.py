"""The synthetic market in real time (`SyntheticQuoteStream`): quotes, trades and order books for
every symbol, with the dynamics and the sessions of the historical bars, generated on demand."""

from __future__ import annotations

import heapq
from operator import attrgetter

from midfreq.data.synthetic._arithmetic import _QUOTES_COMMON, _QUOTES_GAP_COMMON, _generator
from midfreq.data.synthetic._sessions import _calendar, _TradingHours
from midfreq.data.synthetic._symbol_stream import (
    StreamEvent,
    _CommonFactor,
    _StreamModel,
    _SymbolQuotes,
)
from midfreq.data.synthetic.config import SyntheticMarketConfig
from midfreq.model.data import OrderBookSnapshot
from midfreq.model.identifiers import InstrumentId


class SyntheticQuoteStream:
    """A live synthetic market: quotes, trades and order books for every symbol, generated on
    demand, with the dynamics of `generate_bars`.

    Each symbol quotes as a Poisson process with rate ``quotes_per_second`` (per second of open
    market). Its mid follows the dynamics of the bars scaled to the time between quotes:
    correlated returns (one common factor of ``correlation``), ``mean_reversion``, and when set
    ``volatility_clustering`` (the log variance is an AR(1) in wall-clock time, so squared
    returns autocorrelate), Poisson jumps (``jump_intensity``, ``jump_size``; a quote after a
    jump always trades) and ``cointegrated_pairs``: a follower's log price is its leader's, as
    of the leader's latest quote, plus a mean-reverting spread. Bid and ask are the mid minus
    and plus half of ``spread_bps``, rounded outwards to ticks and at least one tick apart.
    With clustering the spread widens in proportion to the current volatility (``spread_bps``
    is then its mean before rounding; a follower's stays at ``spread_bps``) and quotes trade
    more often when volatility is high. After about one quote in three a `TradeTick` prints at
    the same time, at the ask (aggressor BUYER) or the bid (SELLER), with a trade id
    ``SYMBOL-n``.

    With ``config.calendar`` there are no events outside its sessions (nor in lunch breaks):
    quote times run in market time, which stands still while the market is closed. The first
    quote after a closed stretch carries the move of that stretch (in wall-clock time, as for
    the bars' opening gaps, common factor included); before the first session after
    ``start_ns`` nothing moves. With ``intraday_volume_profile`` the probability that a quote
    trades follows the U-shaped profile of the bars' volume (twice the mean at the open and the
    close, half of it at midday).

    With ``config.book_levels > 0`` every quote is followed by an `OrderBookSnapshot` at the same
    time whose best levels are the quote's; `book_snapshot` returns the latest one.

    Guarantees: events are a function of the config, ``start_ns`` and time only. ``advance(t1)``
    followed by ``advance(t2)`` returns exactly (bit for bit) the events of one ``advance(t2)``,
    however the time is cut, with every setting on; the same seed gives the same events. A
    symbol's events do not change when other symbols (other than its leader) are added, and
    with every realism setting off (the defaults) the stream is exactly the plain correlated
    GBM stream of earlier versions.

    Parameters
    ----------
    config : SyntheticMarketConfig
        The market.
    start_ns : int
        UTC nanoseconds at which the market starts (mids at their initial prices).

    Raises
    ------
    DataError
        With a calendar, if ``start_ns`` is outside the days it covers (and, from `advance`,
        when the stream runs past them).

    Examples
    --------
    >>> from midfreq.model.data import QuoteTick
    >>> config = SyntheticMarketConfig(symbols=["AAA"], quotes_per_second=10.0)
    >>> stream = SyntheticQuoteStream(config, start_ns=0)
    >>> events = stream.advance(1_000_000_000)
    >>> all(0 < event.ts_event <= 1_000_000_000 for event in events)
    True
    >>> quote = next(event for event in events if isinstance(event, QuoteTick))
    >>> quote.ask_price > quote.bid_price
    True
    >>> books = SyntheticQuoteStream(config.model_copy(update={"book_levels": 3}), start_ns=0)
    >>> events = books.advance(1_000_000_000)
    >>> book = books.book_snapshot("AAA")
    >>> len(book.bids), len(book.asks), book in events
    (3, 3, True)
    """

    def __init__(self, config: SyntheticMarketConfig, start_ns: int) -> None:
        self._config = config
        self._last_ns = start_ns
        self._common = _CommonFactor(_generator(config.seed, _QUOTES_COMMON), start_ns)
        hours = None
        if config.calendar is not None:
            gap_rng = _generator(config.seed, _QUOTES_GAP_COMMON)
            hours = _TradingHours(_calendar(config), start_ns, gap_rng)
        model = _StreamModel(config)
        self._symbols = [
            _SymbolQuotes(model, symbol, instrument_id, start_ns, self._common, hours)
            for symbol, instrument_id in zip(config.symbols, config.instrument_ids(), strict=True)
        ]
        by_symbol = {quotes.symbol: quotes for quotes in self._symbols}
        for leader, follower in config.cointegrated_pairs:
            by_symbol[follower].follow(by_symbol[leader])

    @property
    def last_ns(self) -> int:
        """The time up to which events have been returned (``start_ns`` at first)."""
        return self._last_ns

    @property
    def instrument_ids(self) -> list[InstrumentId]:
        """The instruments quoted, in the order of ``config.symbols``."""
        return [s.instrument_id for s in self._symbols]

    def next_event_ns(self) -> int:
        """Return the time of the next event after `last_ns` (to schedule the next call)."""
        return min(s.next_event_ns() for s in self._symbols)

    def book_snapshot(self, instrument: InstrumentId | str) -> OrderBookSnapshot | None:
        """Return the order book of ``instrument`` as of its latest quote returned by `advance`.

        The book is the snapshot `advance` returned after that quote: ``config.book_levels``
        levels per side, one tick apart; the best levels are the quote's bid and ask with their
        sizes, every deeper level holds more than the one before it (a positive whole size), and
        bid levels stop at one tick. It depends only on the config and which quote it is.

        Parameters
        ----------
        instrument : InstrumentId or str
            A quoted instrument or its symbol.

        Returns
        -------
        OrderBookSnapshot or None
            None before the instrument's first quote.

        Raises
        ------
        ValueError
            If ``config.book_levels`` is 0 or the instrument is not quoted.
        """
        if self._config.book_levels == 0:
            raise ValueError("book_levels: expected > 0 for order books, was 0")
        symbol = instrument.symbol if isinstance(instrument, InstrumentId) else instrument
        for quotes in self._symbols:
            if quotes.symbol == symbol and (
                not isinstance(instrument, InstrumentId) or quotes.instrument_id == instrument
            ):
                return quotes.latest_book()
        quoted = ", ".join(str(iid) for iid in self.instrument_ids)
        raise ValueError(f"instrument: expected one of {quoted}, was {instrument}")

    def advance(self, to_ns: int) -> list[StreamEvent]:
        """Return every event with ``last_ns < ts_event <= to_ns`` in time order.

        Events at the same time come in the order of ``config.symbols``; a symbol's quote
        comes before its book snapshot, and both before the trade that follows it.

        Parameters
        ----------
        to_ns : int
            UTC nanoseconds, >= `last_ns`.

        Returns
        -------
        list[QuoteTick | TradeTick | OrderBookSnapshot]

        Raises
        ------
        ValueError
            If ``to_ns`` is before `last_ns`.
        DataError
            With a calendar, if the stream runs past the days it covers.
        """
        if to_ns < self._last_ns:
            raise ValueError(f"to_ns: expected >= last_ns {self._last_ns}, was {to_ns}")
        per_symbol = [s.take_until(to_ns) for s in self._symbols]
        self._last_ns = to_ns
        self._common.discard_before(min(s.market_until for s in self._symbols))
        if len(per_symbol) == 1:
            return per_symbol[0]
        return list(heapq.merge(*per_symbol, key=attrgetter("ts_event")))
