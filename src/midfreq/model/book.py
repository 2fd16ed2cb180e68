"""The L2 order book of one instrument (`OrderBook`): built from snapshots and sequenced deltas,
kept uncrossed with positive sizes, and queried for top of book, depth, liquidity and fill prices.

`BookError` is raised for malformed book data (non-finite numbers, negative sizes, unsorted
snapshot levels, another instrument's data).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable

from midfreq.core.errors import DataError, expected
from midfreq.model.data import OrderBookDelta, OrderBookSnapshot, QuoteTick
from midfreq.model.enums import BookSide, OrderSide
from midfreq.model.identifiers import InstrumentId

# Relative slack on the band edge of `volume_within` and the fill check of `vwap_to_fill`, so that
# a level exactly on the edge, or depth exactly equal to the quantity, is not lost to float
# rounding. Far below any real tick or lot size.
_RELATIVE_TOLERANCE = 1e-12


class BookError(DataError):
    """Order book data that cannot be applied; the book is left unchanged."""


class OrderBook:
    """An L2 (price level) order book for one instrument.

    Each side is a dict ``price -> size`` plus a list of its prices kept sorted ascending with
    `bisect`, so the best level is read in O(1), a level is found in O(log n) and added or
    removed with one ``list`` insert or delete.

    The book holds these invariants after every call, whatever it is given:

    - every level has a finite price and a finite size ``> 0``;
    - it is never crossed nor locked: best bid ``<`` best ask;
    - deltas are applied strictly in sequence, one number at a time.

    Malformed data (non-finite price or size, negative size, another instrument) raises
    `BookError` and changes nothing. Well-formed data that cannot be applied is counted instead:

    - a delta whose ``sequence`` is not above the last applied one is stale: it is ignored and
      counted in `stale_deltas`;
    - a delta that skips sequence numbers (a gap) means deltas were missed;
    - a delta that would cross or lock the book means something was missed too (a level the
      venue removed never reached us), since a venue's own book is never crossed.

    On a gap or a crossing delta the book refuses that delta, sets `needs_snapshot` (with the
    reason in `needs_snapshot_reason`) and refuses every further delta until `apply_snapshot`;
    each refused delta is counted in `refused_deltas`. The levels stay as they were before the
    refused delta, for callers that prefer a stale book to none.

    Prices are matched exactly as floats: a venue sends the same price for the same level.

    Parameters
    ----------
    instrument_id : InstrumentId
        The instrument whose book this is; data for any other is refused with `BookError`.

    Examples
    --------
    >>> from midfreq.model.data import OrderBookDelta, OrderBookSnapshot
    >>> from midfreq.model.enums import BookSide
    >>> aapl = InstrumentId("AAPL.SIM")
    >>> book = OrderBook(aapl)
    >>> book.apply_snapshot(
    ...     OrderBookSnapshot(aapl, ((99.0, 5.0), (98.0, 7.0)), ((100.0, 3.0),), 1, 1), sequence=10)
    >>> book.apply_delta(OrderBookDelta(aapl, BookSide.ASK, 101.0, 4.0, 11, 2, 2))
    True
    >>> book.best_bid(), book.best_ask(), book.mid()
    ((99.0, 5.0), (100.0, 3.0), 99.5)
    >>> book.vwap_to_fill("BUY", 5.0)
    100.4
    >>> book.apply_delta(OrderBookDelta(aapl, BookSide.BID, 100.0, 1.0, 12, 3, 3))  # would lock
    False
    >>> book.needs_snapshot, book.refused_deltas
    (True, 1)
    """

    __slots__ = (
        "_ask_prices",
        "_ask_sizes",
        "_bid_prices",
        "_bid_sizes",
        "_instrument_id",
        "_last_sequence",
        "_needs_snapshot",
        "_needs_snapshot_reason",
        "_refused_deltas",
        "_stale_deltas",
        "_ts_event",
        "_ts_init",
    )

    def __init__(self, instrument_id: InstrumentId) -> None:
        self._instrument_id = instrument_id
        # Both price lists ascend: the best bid is the last bid price, the best ask the first.
        self._bid_sizes: dict[float, float] = {}
        self._bid_prices: list[float] = []
        self._ask_sizes: dict[float, float] = {}
        self._ask_prices: list[float] = []
        self._last_sequence: int | None = None
        self._needs_snapshot = False
        self._needs_snapshot_reason: str | None = None
        self._stale_deltas = 0
        self._refused_deltas = 0
        self._ts_event = 0
        self._ts_init = 0

    # ----------------------------------------------------------------------------------- state

    @property
    def instrument_id(self) -> InstrumentId:
        """The instrument whose book this is."""
        return self._instrument_id

    @property
    def last_sequence(self) -> int | None:
        """Sequence number of the last applied delta (or snapshot), None if not known yet."""
        return self._last_sequence

    @property
    def needs_snapshot(self) -> bool:
        """True after a gap or a crossing delta: deltas are refused until the next snapshot."""
        return self._needs_snapshot

    @property
    def needs_snapshot_reason(self) -> str | None:
        """Why `needs_snapshot` was set, for logs; None when it is not set."""
        return self._needs_snapshot_reason

    @property
    def stale_deltas(self) -> int:
        """How many deltas were ignored because their sequence was not above the last applied."""
        return self._stale_deltas

    @property
    def refused_deltas(self) -> int:
        """How many deltas were refused: the gap or crossing delta itself and all that followed
        it until the next snapshot."""
        return self._refused_deltas

    @property
    def ts_event(self) -> int:
        """``ts_event`` of the last applied snapshot or delta (0 before any)."""
        return self._ts_event

    @property
    def ts_init(self) -> int:
        """``ts_init`` of the last applied snapshot or delta (0 before any)."""
        return self._ts_init

    # -------------------------------------------------------------------------------- updates

    def apply_snapshot(self, snapshot: OrderBookSnapshot, sequence: int | None = None) -> None:
        """Replace the whole book with ``snapshot`` and accept deltas again.

        Parameters
        ----------
        snapshot : OrderBookSnapshot
            The full book: levels best first on each side, strictly ordered, sizes ``> 0``.
        sequence : int, optional
            The venue sequence number the snapshot is as of: the next delta must be
            ``sequence + 1``. If None, the next delta's sequence is taken as it comes and later
            deltas follow on from it (use when the venue does not number its snapshots).

        Raises
        ------
        BookError
            If the snapshot is for another instrument, a price or size is not finite, a size is
            not ``> 0``, a side is not strictly ordered best first, or the book is crossed. The
            book is then left unchanged.
        """
        self._check_instrument(snapshot.instrument_id)
        bid_sizes, bid_prices = _validated_side(snapshot.bids, BookSide.BID)
        ask_sizes, ask_prices = _validated_side(snapshot.asks, BookSide.ASK)
        if bid_prices and ask_prices and bid_prices[-1] >= ask_prices[0]:
            raise BookError(
                f"{self._instrument_id} snapshot: expected best bid < best ask, was "
                f"{bid_prices[-1]} >= {ask_prices[0]}"
            )
        self._bid_sizes, self._bid_prices = bid_sizes, bid_prices
        self._ask_sizes, self._ask_prices = ask_sizes, ask_prices
        self._last_sequence = sequence
        self._needs_snapshot = False
        self._needs_snapshot_reason = None
        self._ts_event = snapshot.ts_event
        self._ts_init = snapshot.ts_init

    def apply_delta(self, delta: OrderBookDelta) -> bool:
        """Set (or, with size 0, remove) one price level, if the delta is next in sequence.

        Parameters
        ----------
        delta : OrderBookDelta
            The change; ``size`` is the level's new total size.

        Returns
        -------
        bool
            True if the delta was applied. False if it was stale (counted in `stale_deltas`) or
            refused (counted in `refused_deltas`) because the book needs a snapshot, the delta
            skips sequence numbers, or it would cross or lock the book; the last two set
            `needs_snapshot`. Removing a level that is not in the book is applied as a no-op.

        Raises
        ------
        BookError
            If the delta is for another instrument, its side is not a `BookSide`, its price or
            size is not finite, or its size is negative. The book is then left unchanged.
        """
        side = delta.side
        price = delta.price
        size = delta.size
        if delta.instrument_id != self._instrument_id:
            self._check_instrument(delta.instrument_id)
        if not (math.isfinite(price) and math.isfinite(size) and size >= 0.0):
            raise BookError(
                f"{self._instrument_id} delta {delta.sequence}: expected a finite price and a "
                f"finite size >= 0, was price={price!r} size={size!r}"
            )
        if side != BookSide.BID and side != BookSide.ASK:
            raise BookError(
                f"{self._instrument_id} delta {delta.sequence}: expected side BID or ASK, "
                f"was {side!r}"
            )
        if self._needs_snapshot:
            self._refused_deltas += 1
            return False
        last = self._last_sequence
        if last is not None:
            if delta.sequence <= last:
                self._stale_deltas += 1
                return False
            if delta.sequence != last + 1:
                return self._refuse(f"gap: expected sequence {last + 1}, was {delta.sequence}")
        if side == BookSide.BID:
            asks = self._ask_prices
            if size > 0.0 and asks and price >= asks[0]:
                return self._refuse(
                    f"delta {delta.sequence} would cross: bid {price} >= best ask {asks[0]}"
                )
            _set_level(self._bid_sizes, self._bid_prices, price, size)
        else:
            bids = self._bid_prices
            if size > 0.0 and bids and price <= bids[-1]:
                return self._refuse(
                    f"delta {delta.sequence} would cross: ask {price} <= best bid {bids[-1]}"
                )
            _set_level(self._ask_sizes, self._ask_prices, price, size)
        self._last_sequence = delta.sequence
        self._ts_event = delta.ts_event
        self._ts_init = delta.ts_init
        return True

    def apply_deltas(self, deltas: Iterable[OrderBookDelta]) -> int:
        """Apply deltas in order with `apply_delta`; return how many were applied.

        Raises
        ------
        BookError
            On the first malformed delta; the deltas before it stay applied.
        """
        applied = 0
        for delta in deltas:
            if self.apply_delta(delta):
                applied += 1
        return applied

    # -------------------------------------------------------------------------------- queries

    def best_bid(self) -> tuple[float, float] | None:
        """The best (highest) bid as ``(price, size)``, or None if there are no bids."""
        if not self._bid_prices:
            return None
        price = self._bid_prices[-1]
        return price, self._bid_sizes[price]

    def best_ask(self) -> tuple[float, float] | None:
        """The best (lowest) ask as ``(price, size)``, or None if there are no asks."""
        if not self._ask_prices:
            return None
        price = self._ask_prices[0]
        return price, self._ask_sizes[price]

    def mid(self) -> float | None:
        """Midpoint of best bid and best ask, or None unless both sides have levels."""
        if not self._bid_prices or not self._ask_prices:
            return None
        return (self._bid_prices[-1] + self._ask_prices[0]) / 2.0

    def spread(self) -> float | None:
        """Best ask minus best bid (always ``> 0``), or None unless both sides have levels."""
        if not self._bid_prices or not self._ask_prices:
            return None
        return self._ask_prices[0] - self._bid_prices[-1]

    def depth(self, side: BookSide, levels: int | None = None) -> list[tuple[float, float]]:
        """The first ``levels`` levels of ``side`` as ``(price, size)``, best first.

        Parameters
        ----------
        side : BookSide
            Which side to read.
        levels : int, optional
            How many levels (``>= 0``); fewer are returned if the side is shallower. None returns
            them all.

        Raises
        ------
        ValueError
            If ``levels`` is negative.
        """
        if levels is not None and levels < 0:
            raise expected("levels", levels, "an integer >= 0 or None")
        if side == BookSide.BID:
            prices = self._bid_prices
            if levels is None:
                best_first = prices[::-1]
            else:
                best_first = prices[: -levels - 1 : -1] if levels else []
            sizes = self._bid_sizes
        else:
            best_first = self._ask_prices if levels is None else self._ask_prices[:levels]
            sizes = self._ask_sizes
        return [(price, sizes[price]) for price in best_first]

    def volume_within(self, side: BookSide, bps_from_mid: float) -> float | None:
        """Total size on ``side`` priced within ``bps_from_mid`` basis points of the mid.

        The band is inclusive: bids priced ``>= mid - |mid| * bps / 10_000`` or asks priced
        ``<= mid + |mid| * bps / 10_000``.

        Parameters
        ----------
        side : BookSide
            Which side to add up.
        bps_from_mid : float
            Half-width of the band in basis points, finite and ``>= 0``.

        Returns
        -------
        float or None
            The size (0.0 when no level is in the band); None if there is no mid (a side is
            empty).

        Raises
        ------
        ValueError
            If ``bps_from_mid`` is negative or not finite.
        """
        if not (math.isfinite(bps_from_mid) and bps_from_mid >= 0.0):
            raise expected("bps_from_mid", bps_from_mid, "a finite number >= 0")
        mid = self.mid()
        if mid is None:
            return None
        band = abs(mid) * (bps_from_mid / 10_000.0)
        slack = abs(mid) * _RELATIVE_TOLERANCE
        if side == BookSide.BID:
            start = bisect_left(self._bid_prices, mid - band - slack)
            sizes = self._bid_sizes
            return sum(sizes[price] for price in self._bid_prices[start:])
        end = bisect_right(self._ask_prices, mid + band + slack)
        sizes = self._ask_sizes
        return sum(sizes[price] for price in self._ask_prices[:end])

    def vwap_to_fill(self, side_of_order: OrderSide | str, quantity: float) -> float | None:
        """Average price an order of ``quantity`` would pay sweeping the opposite side now.

        A BUY walks the asks from the best (lowest) up; a SELL walks the bids from the best
        (highest) down. The book itself is not changed.

        Parameters
        ----------
        side_of_order : OrderSide or str
            ``OrderSide.BUY`` / ``"BUY"`` or ``OrderSide.SELL`` / ``"SELL"``.
        quantity : float
            Size to fill, finite and ``> 0``.

        Returns
        -------
        float or None
            The size-weighted average price, or None if the opposite side holds less than
            ``quantity``.

        Raises
        ------
        ValueError
            If the side is not BUY or SELL, or ``quantity`` is not a finite number ``> 0``.
        """
        if side_of_order not in (OrderSide.BUY, OrderSide.SELL):
            raise expected("side_of_order", side_of_order, "BUY or SELL")
        if not (math.isfinite(quantity) and quantity > 0.0):
            raise expected("quantity", quantity, "a finite number > 0")
        if side_of_order == OrderSide.BUY:
            prices: Iterable[float] = self._ask_prices
            sizes = self._ask_sizes
        else:
            prices = reversed(self._bid_prices)
            sizes = self._bid_sizes
        remaining = quantity
        notional = 0.0
        for price in prices:
            take = min(sizes[price], remaining)
            notional += take * price
            remaining -= take
            if remaining <= quantity * _RELATIVE_TOLERANCE:
                return notional / (quantity - remaining)
        return None

    def imbalance(self, levels: int) -> float | None:
        """``(bid size - ask size) / (bid size + ask size)`` over the best ``levels`` per side.

        Ranges from -1 (only asks) to +1 (only bids).

        Parameters
        ----------
        levels : int
            Levels per side to count, ``>= 1``.

        Returns
        -------
        float or None
            The imbalance, or None if the book is empty.

        Raises
        ------
        ValueError
            If ``levels`` is below 1.
        """
        if levels < 1:
            raise expected("levels", levels, "an integer >= 1")
        bid_sizes = self._bid_sizes
        ask_sizes = self._ask_sizes
        bid_volume = sum(bid_sizes[price] for price in self._bid_prices[-levels:])
        ask_volume = sum(ask_sizes[price] for price in self._ask_prices[:levels])
        total = bid_volume + ask_volume
        if total == 0.0:
            return None
        return (bid_volume - ask_volume) / total

    def snapshot(self) -> OrderBookSnapshot:
        """The whole book as an `OrderBookSnapshot` (`apply_snapshot` of it restores the levels),
        stamped with the last applied update's timestamps."""
        return OrderBookSnapshot(
            self._instrument_id,
            tuple(self.depth(BookSide.BID)),
            tuple(self.depth(BookSide.ASK)),
            self._ts_event,
            self._ts_init,
        )

    def top(self) -> QuoteTick | None:
        """Best bid and ask as a `QuoteTick` stamped like the last update, or None unless both
        sides have levels."""
        if not self._bid_prices or not self._ask_prices:
            return None
        bid = self._bid_prices[-1]
        ask = self._ask_prices[0]
        return QuoteTick(
            self._instrument_id,
            bid,
            ask,
            self._bid_sizes[bid],
            self._ask_sizes[ask],
            self._ts_event,
            self._ts_init,
        )

    def __repr__(self) -> str:
        return (
            f"OrderBook({self._instrument_id}, bid={self.best_bid()}, ask={self.best_ask()}, "
            f"levels={len(self._bid_prices)}x{len(self._ask_prices)}, "
            f"last_sequence={self._last_sequence}, needs_snapshot={self._needs_snapshot})"
        )

    # -------------------------------------------------------------------------------- helpers

    def _check_instrument(self, instrument_id: InstrumentId) -> None:
        if instrument_id != self._instrument_id:
            raise BookError(f"book: expected {self._instrument_id}, was {instrument_id}")

    def _refuse(self, reason: str) -> bool:
        self._needs_snapshot = True
        self._needs_snapshot_reason = reason
        self._refused_deltas += 1
        return False


def _set_level(sizes: dict[float, float], prices: list[float], price: float, size: float) -> None:
    if size == 0.0:
        if sizes.pop(price, None) is not None:
            del prices[bisect_left(prices, price)]
        return
    if price not in sizes:
        insort(prices, price)
    sizes[price] = size


def _validated_side(
    levels: tuple[tuple[float, float], ...], side: BookSide
) -> tuple[dict[float, float], list[float]]:
    """Check one side of a snapshot; return its ``price -> size`` dict and ascending prices."""
    sizes: dict[float, float] = {}
    previous: float | None = None
    for index, (price, size) in enumerate(levels):
        if not (math.isfinite(price) and math.isfinite(size) and size > 0.0):
            raise BookError(
                f"snapshot {side} level {index}: expected a finite price and a finite size > 0, "
                f"was ({price!r}, {size!r})"
            )
        if previous is not None and (
            price >= previous if side == BookSide.BID else price <= previous
        ):
            order = "descending" if side == BookSide.BID else "ascending"
            raise BookError(
                f"snapshot {side} level {index}: expected prices strictly {order} (best first), "
                f"was {price} after {previous}"
            )
        sizes[price] = size
        previous = price
    prices = list(sizes)
    if side == BookSide.BID:
        prices.reverse()
    return sizes, prices
