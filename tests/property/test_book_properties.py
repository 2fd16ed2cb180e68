"""Property tests of the L2 `OrderBook` against a plain-dict model kept here.

Random streams of snapshots and deltas (levels on a 0.1 price grid where bids and asks overlap, so
some deltas would cross; sequence numbers that repeat, go back and jump) go through a real
`OrderBook` and through `DictBook`, which applies the documented rules with dicts, ``max`` and
``min``. After every step the book is uncrossed, its sizes are finite and ``> 0``, its depth is
strictly ordered best first, and its snapshot, counters and flags equal the model's. The queries
(depth, volume near the mid, fill VWAP, imbalance) are checked against brute force over the dicts,
with exact decimal arithmetic where a band edge matters.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.model.book import BookError, OrderBook
from midfreq.model.data import OrderBookDelta, OrderBookSnapshot, QuoteTick
from midfreq.model.enums import BookSide, OrderSide
from midfreq.model.identifiers import InstrumentId

AAPL = InstrumentId("AAPL.SIM")
BID = BookSide.BID
ASK = BookSide.ASK


def grid_price(tick: int) -> float:
    """Price of grid point ``tick``: 90.0, 90.1, ... (as the float nearest the decimal)."""
    return round(90.0 + tick * 0.1, 1)


sizes = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
# Bids on ticks 0..24 and asks on 16..40: deltas on ticks 16..24 may cross the book.
bid_ticks = st.integers(min_value=0, max_value=24)
ask_ticks = st.integers(min_value=16, max_value=40)


@dataclass
class DictBook:
    """The reference: the rules of `OrderBook` restated over two plain dicts."""

    bids: dict[float, float] = field(default_factory=dict)
    asks: dict[float, float] = field(default_factory=dict)
    last_sequence: int | None = None
    needs_snapshot: bool = False
    stale: int = 0
    refused: int = 0
    ts: int = 0

    def apply_snapshot(
        self, bids: dict[float, float], asks: dict[float, float], sequence: int, ts: int
    ) -> None:
        self.bids, self.asks = dict(bids), dict(asks)
        self.last_sequence, self.needs_snapshot, self.ts = sequence, False, ts

    def apply_delta(self, side: BookSide, price: float, size: float, sequence: int) -> bool:
        if self.needs_snapshot:
            self.refused += 1
            return False
        if self.last_sequence is not None and sequence <= self.last_sequence:
            self.stale += 1
            return False
        if self.last_sequence is not None and sequence > self.last_sequence + 1:
            self.needs_snapshot = True
            self.refused += 1
            return False
        levels = self.bids if side == BID else self.asks
        if size > 0:
            new_bids = {**self.bids, price: size} if side == BID else self.bids
            new_asks = {**self.asks, price: size} if side == ASK else self.asks
            if new_bids and new_asks and max(new_bids) >= min(new_asks):
                self.needs_snapshot = True
                self.refused += 1
                return False
            levels[price] = size
        else:
            levels.pop(price, None)
        self.last_sequence = sequence
        self.ts = sequence * 10
        return True

    def bids_best_first(self) -> tuple[tuple[float, float], ...]:
        return tuple(sorted(self.bids.items(), reverse=True))

    def asks_best_first(self) -> tuple[tuple[float, float], ...]:
        return tuple(sorted(self.asks.items()))

    def snapshot(self) -> OrderBookSnapshot:
        return OrderBookSnapshot(
            AAPL, self.bids_best_first(), self.asks_best_first(), self.ts, self.ts + 1
        )


def delta(side: BookSide, price: float, size: float, sequence: int) -> OrderBookDelta:
    return OrderBookDelta(AAPL, side, price, size, sequence, sequence * 10, sequence * 10 + 1)


def assert_invariants(book: OrderBook) -> None:
    bids = book.depth(BID)
    asks = book.depth(ASK)
    assert all(math.isfinite(size) and size > 0 for _, size in bids + asks)
    assert all(a[0] > b[0] for a, b in itertools.pairwise(bids))
    assert all(a[0] < b[0] for a, b in itertools.pairwise(asks))
    if bids and asks:
        assert bids[0][0] < asks[0][0]
        assert book.top() == QuoteTick(
            AAPL, bids[0][0], asks[0][0], bids[0][1], asks[0][1], book.ts_event, book.ts_init
        )
        spread = book.spread()
        assert spread is not None
        assert spread > 0


def assert_matches(book: OrderBook, model: DictBook) -> None:
    assert book.snapshot() == model.snapshot()
    assert book.last_sequence == model.last_sequence
    assert book.needs_snapshot == model.needs_snapshot
    assert (book.needs_snapshot_reason is not None) == model.needs_snapshot
    assert (book.stale_deltas, book.refused_deltas) == (model.stale, model.refused)


# An operation: ("delta", side, tick, size, sequence step) or ("snapshot", bids, asks, step).
delta_ops = st.one_of(
    st.tuples(st.just("delta"), st.just(BID), bid_ticks, st.just(0.0) | sizes, st.just(1)),
    st.tuples(st.just("delta"), st.just(ASK), ask_ticks, st.just(0.0) | sizes, st.just(1)),
)
jumpy_delta_ops = st.tuples(
    st.just("delta"),
    st.sampled_from([BID, ASK]),
    st.integers(min_value=16, max_value=24),
    st.just(0.0) | sizes,
    st.sampled_from([-3, -1, 0, 1, 1, 1, 1, 1, 2, 7]),
)
snapshot_ops = st.tuples(
    st.just("snapshot"),
    st.dictionaries(st.integers(0, 19), sizes, max_size=8),
    st.dictionaries(st.integers(20, 40), sizes, max_size=8),
    st.integers(min_value=-5, max_value=5),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(delta_ops, jumpy_delta_ops, snapshot_ops), max_size=80))
def test_any_stream_keeps_the_invariants_and_matches_the_dict_model(
    ops: list[tuple[object, ...]],
) -> None:
    book = OrderBook(AAPL)
    model = DictBook()
    sequence = 0
    for op in ops:
        if op[0] == "snapshot":
            _, bid_ticks_sizes, ask_ticks_sizes, step = op
            assert isinstance(bid_ticks_sizes, dict)
            assert isinstance(ask_ticks_sizes, dict)
            assert isinstance(step, int)
            bids = {grid_price(tick): size for tick, size in bid_ticks_sizes.items()}
            asks = {grid_price(tick): size for tick, size in ask_ticks_sizes.items()}
            sequence += step
            ts = 7 * len(bids) + len(asks)
            model.apply_snapshot(bids, asks, sequence, ts)
            book.apply_snapshot(
                OrderBookSnapshot(
                    AAPL, model.bids_best_first(), model.asks_best_first(), ts, ts + 1
                ),
                sequence=sequence,
            )
        else:
            _, side, tick, size, step = op
            assert isinstance(side, BookSide)
            assert isinstance(tick, int)
            assert isinstance(size, float)
            assert isinstance(step, int)
            sequence += step
            price = grid_price(tick)
            expected = model.apply_delta(side, price, size, sequence)
            assert book.apply_delta(delta(side, price, size, sequence)) is expected
        assert_invariants(book)
        assert_matches(book, model)


@settings(max_examples=200, deadline=None)
@given(st.lists(delta_ops, max_size=120))
def test_valid_stream_with_recovery_snapshots_matches_the_dict_model(
    ops: list[tuple[object, ...]],
) -> None:
    # Contiguous sequence numbers; whenever a delta would cross, recover the way a data client
    # does, with a snapshot (here the model's levels) as of the refused delta's sequence.
    book = OrderBook(AAPL)
    model = DictBook()
    for sequence, (_, side, tick, size, _) in enumerate(ops, start=1):
        assert isinstance(side, BookSide)
        assert isinstance(tick, int)
        assert isinstance(size, float)
        price = grid_price(tick)
        applied = book.apply_delta(delta(side, price, size, sequence))
        assert applied is model.apply_delta(side, price, size, sequence)
        assert_invariants(book)
        assert_matches(book, model)
        if not applied:
            model.apply_snapshot(model.bids, model.asks, sequence, sequence * 10)
            book.apply_snapshot(model.snapshot(), sequence=sequence)
            assert_matches(book, model)
    assert book.stale_deltas == 0


@given(st.lists(st.tuples(st.sampled_from([BID, ASK]), st.integers(0, 40), sizes), max_size=60))
def test_non_crossing_stream_is_applied_entirely(
    changes: list[tuple[BookSide, int, float]],
) -> None:
    # Bids below 92.0 and asks from 92.0 up can never cross: every delta must be applied.
    book = OrderBook(AAPL)
    model: dict[BookSide, dict[float, float]] = {BID: {}, ASK: {}}
    for sequence, (side, tick, size) in enumerate(changes, start=1):
        price = grid_price(tick % 20) if side == BID else grid_price(20 + tick % 21)
        size_or_remove = 0.0 if tick % 5 == 0 else size
        assert book.apply_delta(delta(side, price, size_or_remove, sequence))
        if size_or_remove:
            model[side][price] = size_or_remove
        else:
            model[side].pop(price, None)
    assert book.depth(BID) == sorted(model[BID].items(), reverse=True)
    assert book.depth(ASK) == sorted(model[ASK].items())
    assert book.refused_deltas == 0


books = st.tuples(
    st.dictionaries(st.integers(0, 19), sizes, max_size=10),
    st.dictionaries(st.integers(20, 40), sizes, max_size=10),
).map(
    lambda sides: (
        {grid_price(tick): size for tick, size in sides[0].items()},
        {grid_price(tick): size for tick, size in sides[1].items()},
    )
)


def book_of(bids: dict[float, float], asks: dict[float, float]) -> OrderBook:
    book = OrderBook(AAPL)
    book.apply_snapshot(
        OrderBookSnapshot(
            AAPL, tuple(sorted(bids.items(), reverse=True)), tuple(sorted(asks.items())), 3, 4
        )
    )
    return book


@given(books)
def test_snapshot_round_trips(sides: tuple[dict[float, float], dict[float, float]]) -> None:
    bids, asks = sides
    original = OrderBookSnapshot(
        AAPL, tuple(sorted(bids.items(), reverse=True)), tuple(sorted(asks.items())), 3, 4
    )
    book = OrderBook(AAPL)
    book.apply_snapshot(original)
    assert book.snapshot() == original
    again = OrderBook(AAPL)
    again.apply_snapshot(book.snapshot())
    assert again.snapshot() == original


@given(books, st.integers(min_value=0, max_value=12))
def test_depth_and_imbalance_match_brute_force(
    sides: tuple[dict[float, float], dict[float, float]], levels: int
) -> None:
    bids, asks = sides
    book = book_of(bids, asks)
    top_bids = sorted(bids.items(), reverse=True)[:levels]
    top_asks = sorted(asks.items())[:levels]
    assert book.depth(BID, levels) == top_bids
    assert book.depth(ASK, levels) == top_asks
    if levels == 0:
        return
    bid_volume = sum(size for _, size in top_bids)
    ask_volume = sum(size for _, size in top_asks)
    imbalance = book.imbalance(levels)
    if bid_volume + ask_volume == 0:
        assert imbalance is None
    else:
        assert imbalance == pytest.approx((bid_volume - ask_volume) / (bid_volume + ask_volume))
        assert imbalance is not None
        assert -1.0 <= imbalance <= 1.0


@given(books, st.integers(min_value=0, max_value=500))
def test_volume_within_matches_exact_decimal_brute_force(
    sides: tuple[dict[float, float], dict[float, float]], bps: int
) -> None:
    bids, asks = sides
    book = book_of(bids, asks)
    if not bids or not asks:
        assert book.volume_within(BID, bps) is None
        return

    # Grid prices mean their one-decimal values: compare in exact decimals.
    def exact(price: float) -> Fraction:
        return Fraction(str(price))

    mid = (exact(max(bids)) + exact(min(asks))) / 2
    band = abs(mid) * Fraction(bps, 10_000)
    bid_volume = sum(size for price, size in bids.items() if exact(price) >= mid - band)
    ask_volume = sum(size for price, size in asks.items() if exact(price) <= mid + band)
    assert book.volume_within(BID, bps) == pytest.approx(bid_volume)
    assert book.volume_within(ASK, bps) == pytest.approx(ask_volume)


@given(books, st.sampled_from([OrderSide.BUY, OrderSide.SELL]), st.floats(0.01, 1.5))
def test_vwap_to_fill_matches_an_exact_walk_and_is_bounded_and_monotone(
    sides: tuple[dict[float, float], dict[float, float]], order_side: OrderSide, fraction: float
) -> None:
    bids, asks = sides
    book = book_of(bids, asks)
    # Levels the order walks, best first.
    walk = sorted(asks.items()) if order_side == OrderSide.BUY else sorted(bids.items())[::-1]
    available = sum(size for _, size in walk)
    quantity = max(available, 1.0) * fraction
    vwap = book.vwap_to_fill(order_side, quantity)
    if quantity > available * (1 + 1e-9):
        assert vwap is None
        return
    if quantity < available * (1 - 1e-9):
        remaining, notional = Fraction(quantity), Fraction(0)
        touched: list[float] = []
        for price, size in walk:
            take = min(Fraction(size), remaining)
            if take <= 0:
                break
            notional += take * Fraction(price)
            remaining -= take
            touched.append(price)
        assert vwap is not None
        assert vwap == pytest.approx(float(notional / Fraction(quantity)), rel=1e-9)
        low, high = min(touched), max(touched)
        assert low * (1 - 1e-12) <= vwap <= high * (1 + 1e-12)
        smaller = book.vwap_to_fill(order_side, quantity / 2)
        assert smaller is not None
        # A bigger order reaches worse prices: higher for a buy, lower for a sell.
        assert order_side.sign * (vwap - smaller) >= -1e-9 * abs(vwap)


bad_numbers = st.sampled_from([math.nan, math.inf, -math.inf])


@given(
    books,
    st.sampled_from([BID, ASK]),
    st.one_of(
        st.tuples(bad_numbers, sizes),
        st.tuples(st.floats(80.0, 100.0), bad_numbers),
        st.tuples(st.floats(80.0, 100.0), st.floats(max_value=-1e-300, allow_infinity=False)),
    ),
)
def test_malformed_delta_raises_and_changes_nothing(
    sides: tuple[dict[float, float], dict[float, float]],
    side: BookSide,
    price_and_size: tuple[float, float],
) -> None:
    bids, asks = sides
    book = book_of(bids, asks)
    before = book.snapshot()
    price, size = price_and_size
    with pytest.raises(BookError):
        book.apply_delta(delta(side, price, size, 1))
    assert book.snapshot() == before
    assert (book.last_sequence, book.stale_deltas, book.refused_deltas) == (None, 0, 0)
    assert not book.needs_snapshot


@given(
    books,
    st.integers(min_value=2, max_value=50),
    st.lists(
        st.tuples(st.sampled_from([BID, ASK]), st.integers(0, 40), st.just(0.0) | sizes),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.integers(min_value=-5, max_value=60), min_size=30, max_size=30),
)
def test_after_a_gap_every_delta_is_refused_until_a_snapshot(
    sides: tuple[dict[float, float], dict[float, float]],
    jump: int,
    changes: list[tuple[BookSide, int, float]],
    sequences: list[int],
) -> None:
    bids, asks = sides
    book = book_of(bids, asks)
    assert book.apply_delta(delta(BID, 80.0, 1.0, 10))  # the first delta sets the sequence
    before = book.snapshot()
    assert not book.apply_delta(delta(BID, 80.0, 2.0, 10 + jump))
    assert book.needs_snapshot
    # Whatever follows, even the missing sequence number 11, is refused and changes nothing.
    for (side, tick, size), sequence in zip(changes, sequences, strict=False):
        assert not book.apply_delta(delta(side, grid_price(tick), size, sequence))
        assert book.snapshot() == before
    assert (book.refused_deltas, book.stale_deltas) == (1 + len(changes), 0)
    assert book.last_sequence == 10
    book.apply_snapshot(before, sequence=10 + jump)
    assert not book.needs_snapshot
    assert book.apply_delta(delta(BID, 80.0, 3.0, 11 + jump))
