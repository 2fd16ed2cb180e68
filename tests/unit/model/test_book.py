"""Tests of the L2 `OrderBook`: snapshots and deltas, sequence gaps and stale deltas, refused
crossing deltas, malformed data, and the queries (depth, volume near the mid, fill VWAP,
imbalance, top of book) against hand-computed values."""

from __future__ import annotations

import doctest
import math
import re
import typing
from types import SimpleNamespace

import msgspec
import pytest

from midfreq.core.errors import DataError
from midfreq.model import book as book_module
from midfreq.model.book import BookError, OrderBook
from midfreq.model.data import MarketData, OrderBookDelta, OrderBookSnapshot, QuoteTick
from midfreq.model.enums import BookSide, OrderSide
from midfreq.model.identifiers import InstrumentId

AAPL = InstrumentId("AAPL.SIM")
MSFT = InstrumentId("MSFT.SIM")
BID = BookSide.BID
ASK = BookSide.ASK

# Mid 100.0. Bid sizes by level: 1, 2, 5; ask sizes: 3, 4, 6.
BIDS = ((99.9, 1.0), (99.8, 2.0), (99.0, 5.0))
ASKS = ((100.1, 3.0), (100.2, 4.0), (101.0, 6.0))


def delta(
    side: BookSide, price: float, size: float, sequence: int, instrument_id: InstrumentId = AAPL
) -> OrderBookDelta:
    return OrderBookDelta(
        instrument_id, side, price, size, sequence, sequence * 10, sequence * 10 + 1
    )


def snapshot(
    bids: tuple[tuple[float, float], ...] = BIDS,
    asks: tuple[tuple[float, float], ...] = ASKS,
    ts: int = 5,
) -> OrderBookSnapshot:
    return OrderBookSnapshot(AAPL, bids, asks, ts, ts + 1)


def book_from(
    bids: tuple[tuple[float, float], ...] = BIDS,
    asks: tuple[tuple[float, float], ...] = ASKS,
    sequence: int | None = 100,
) -> OrderBook:
    book = OrderBook(AAPL)
    book.apply_snapshot(snapshot(bids, asks), sequence=sequence)
    return book


# ------------------------------------------------------------------------------------ the message


def test_delta_is_market_data_and_round_trips_through_msgspec() -> None:
    change = delta(ASK, 100.5, 2.0, 7)
    assert OrderBookDelta in typing.get_args(MarketData)
    encoded = msgspec.json.encode(change, enc_hook=str)
    decoded = msgspec.json.decode(
        encoded, type=OrderBookDelta, dec_hook=lambda kind, raw: kind(raw)
    )
    assert decoded == change
    assert decoded.side is BookSide.ASK
    with pytest.raises(AttributeError):
        change.size = 1.0  # type: ignore[misc]


def test_book_error_is_a_data_error() -> None:
    assert issubclass(BookError, DataError)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(book_module)
    assert result.attempted > 0
    assert result.failed == 0


# ------------------------------------------------------------------------------------- snapshots


def test_new_book_is_empty() -> None:
    book = OrderBook(AAPL)
    assert (book.best_bid(), book.best_ask(), book.mid(), book.spread(), book.top()) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert book.depth(BID) == []
    assert book.imbalance(5) is None
    assert book.volume_within(BID, 100.0) is None
    assert book.vwap_to_fill(OrderSide.BUY, 1.0) is None
    assert book.snapshot() == OrderBookSnapshot(AAPL, (), (), 0, 0)
    assert (book.last_sequence, book.needs_snapshot, book.stale_deltas, book.refused_deltas) == (
        None,
        False,
        0,
        0,
    )


def test_snapshot_loads_levels_and_round_trips() -> None:
    book = book_from()
    assert book.best_bid() == (99.9, 1.0)
    assert book.best_ask() == (100.1, 3.0)
    assert book.depth(BID) == list(BIDS)
    assert book.depth(ASK) == list(ASKS)
    assert book.snapshot() == snapshot()
    assert book.last_sequence == 100
    assert (book.ts_event, book.ts_init) == (5, 6)


def test_snapshot_replaces_every_level() -> None:
    book = book_from()
    book.apply_snapshot(snapshot(bids=((50.0, 9.0),), asks=(), ts=8), sequence=3)
    assert book.depth(BID) == [(50.0, 9.0)]
    assert book.depth(ASK) == []
    assert book.last_sequence == 3
    assert book.snapshot() == snapshot(bids=((50.0, 9.0),), asks=(), ts=8)


@pytest.mark.parametrize(
    ("bids", "asks", "message"),
    [
        (((99.0, 1.0), (99.5, 1.0)), ASKS, "strictly descending"),
        (((99.0, 1.0), (99.0, 2.0)), ASKS, "strictly descending"),
        (BIDS, ((100.2, 1.0), (100.1, 1.0)), "strictly ascending"),
        (((99.0, 0.0),), ASKS, "size > 0"),
        (((99.0, -1.0),), ASKS, "size > 0"),
        (((math.nan, 1.0),), ASKS, "finite price"),
        (BIDS, ((math.inf, 1.0),), "finite price"),
        (BIDS, ((100.5, math.nan),), "finite size"),
    ],
)
def test_bad_snapshot_is_refused_and_the_book_is_unchanged(
    bids: tuple[tuple[float, float], ...], asks: tuple[tuple[float, float], ...], message: str
) -> None:
    book = book_from()
    before = book.snapshot()
    with pytest.raises(BookError, match=message):
        book.apply_snapshot(snapshot(bids, asks), sequence=500)
    assert book.snapshot() == before
    assert book.last_sequence == 100


def test_crossed_snapshot_is_refused_even_if_it_bypassed_its_own_check() -> None:
    # OrderBookSnapshot refuses a crossed book when built; the book checks again in case a
    # look-alike object reaches it.
    book = book_from()
    crossed = SimpleNamespace(
        instrument_id=AAPL, bids=((100.0, 1.0),), asks=((100.0, 1.0),), ts_event=0, ts_init=0
    )
    with pytest.raises(BookError, match="expected best bid < best ask"):
        book.apply_snapshot(crossed)  # type: ignore[arg-type]
    assert book.snapshot() == snapshot()


def test_snapshot_of_another_instrument_is_refused() -> None:
    book = OrderBook(MSFT)
    with pytest.raises(BookError, match=re.escape("expected MSFT.SIM, was AAPL.SIM")):
        book.apply_snapshot(snapshot())
    assert book.snapshot().bids == ()


# ---------------------------------------------------------------------------------------- deltas


def test_deltas_add_modify_and_remove_levels() -> None:
    book = book_from(sequence=10)
    assert book.apply_delta(delta(BID, 99.95, 4.0, 11))  # new best bid
    assert book.best_bid() == (99.95, 4.0)
    assert book.apply_delta(delta(BID, 99.8, 7.5, 12))  # resize an inner level
    assert book.depth(BID) == [(99.95, 4.0), (99.9, 1.0), (99.8, 7.5), (99.0, 5.0)]
    assert book.apply_delta(delta(ASK, 100.1, 0.0, 13))  # remove the best ask
    assert book.best_ask() == (100.2, 4.0)
    assert book.apply_delta(delta(ASK, 100.05, 2.0, 14))  # new best ask inside the spread
    assert book.apply_delta(delta(ASK, 150.0, 1.0, 15))  # new worst ask
    assert book.depth(ASK) == [(100.05, 2.0), (100.2, 4.0), (101.0, 6.0), (150.0, 1.0)]
    assert book.apply_delta(delta(BID, 99.0, 0.0, 16))  # remove the worst bid
    assert book.depth(BID) == [(99.95, 4.0), (99.9, 1.0), (99.8, 7.5)]
    assert book.last_sequence == 16
    assert (book.ts_event, book.ts_init) == (160, 161)
    assert book.snapshot() == OrderBookSnapshot(
        AAPL,
        ((99.95, 4.0), (99.9, 1.0), (99.8, 7.5)),
        ((100.05, 2.0), (100.2, 4.0), (101.0, 6.0), (150.0, 1.0)),
        160,
        161,
    )
    assert (book.stale_deltas, book.refused_deltas, book.needs_snapshot) == (0, 0, False)


def test_emptying_a_side_and_refilling_it() -> None:
    book = book_from(bids=((99.0, 1.0),), asks=((101.0, 1.0),), sequence=0)
    assert book.apply_delta(delta(BID, 99.0, 0.0, 1))
    assert book.best_bid() is None
    assert book.mid() is None
    assert book.apply_delta(delta(BID, 100.5, 2.0, 2))
    assert book.best_bid() == (100.5, 2.0)
    assert book.spread() == pytest.approx(0.5)


def test_removing_an_absent_level_is_a_no_op_that_advances_the_sequence() -> None:
    book = book_from(sequence=10)
    assert book.apply_delta(delta(BID, 42.0, 0.0, 11))
    assert book.snapshot().bids == BIDS
    assert book.last_sequence == 11


def test_removal_priced_through_the_other_side_is_not_a_cross() -> None:
    # Size 0 never adds a level, so it cannot cross the book, whatever its price.
    book = book_from(sequence=10)
    assert book.apply_delta(delta(BID, 100.5, 0.0, 11))
    assert not book.needs_snapshot
    assert book.snapshot().bids == BIDS


def test_first_delta_of_a_fresh_book_sets_the_sequence() -> None:
    book = OrderBook(AAPL)
    assert book.apply_delta(delta(BID, 99.0, 1.0, 500))
    assert book.apply_delta(delta(ASK, 101.0, 1.0, 501))
    assert book.last_sequence == 501
    assert book.mid() == 100.0


def test_snapshot_without_a_sequence_takes_the_next_delta_as_it_comes() -> None:
    book = book_from(sequence=None)
    assert book.apply_delta(delta(BID, 99.5, 1.0, 7))
    assert not book.apply_delta(delta(BID, 99.5, 2.0, 9))  # 8 is missing
    assert book.needs_snapshot


@pytest.mark.parametrize("stale_sequence", [10, 9, 0, -5])
def test_stale_deltas_are_ignored_and_counted(stale_sequence: int) -> None:
    book = book_from(sequence=10)
    before = book.snapshot()
    assert not book.apply_delta(delta(BID, 99.95, 1.0, stale_sequence))
    assert book.snapshot() == before
    assert (book.stale_deltas, book.refused_deltas, book.needs_snapshot) == (1, 0, False)
    assert book.last_sequence == 10
    assert book.apply_delta(delta(BID, 99.95, 1.0, 11))  # the stream continues normally


def test_gap_refuses_deltas_until_the_next_snapshot() -> None:
    book = book_from(sequence=10)
    before = book.snapshot()
    assert not book.apply_delta(delta(BID, 99.95, 1.0, 12))  # 11 was missed
    assert book.needs_snapshot
    assert book.needs_snapshot_reason == "gap: expected sequence 11, was 12"
    assert not book.apply_delta(delta(BID, 99.95, 1.0, 13))  # in sequence after the gap: refused
    assert not book.apply_delta(delta(BID, 99.95, 1.0, 11))  # even the missing one
    assert not book.apply_delta(delta(BID, 99.95, 1.0, 5))  # stale ones too
    assert (book.refused_deltas, book.stale_deltas) == (4, 0)
    assert book.snapshot() == before  # levels kept as they were before the gap
    assert book.last_sequence == 10

    book.apply_snapshot(snapshot(bids=((98.0, 1.0),), ts=20), sequence=13)
    assert (book.needs_snapshot, book.needs_snapshot_reason) == (False, None)
    assert not book.apply_delta(delta(BID, 97.0, 1.0, 13))  # stale against the snapshot
    assert book.apply_delta(delta(BID, 97.0, 1.0, 14))
    assert book.depth(BID) == [(98.0, 1.0), (97.0, 1.0)]
    assert (book.refused_deltas, book.stale_deltas) == (4, 1)  # counters are cumulative


@pytest.mark.parametrize(
    ("side", "price", "reason"),
    [
        (BID, 100.1, "bid 100.1 >= best ask 100.1"),  # locked
        (BID, 100.15, "bid 100.15 >= best ask 100.1"),
        (BID, 200.0, "bid 200.0 >= best ask 100.1"),
        (ASK, 99.9, "ask 99.9 <= best bid 99.9"),  # locked
        (ASK, 99.85, "ask 99.85 <= best bid 99.9"),
        (ASK, 1.0, "ask 1.0 <= best bid 99.9"),
    ],
)
def test_crossing_or_locking_delta_is_refused_and_asks_for_a_snapshot(
    side: BookSide, price: float, reason: str
) -> None:
    book = book_from(sequence=10)
    before = book.snapshot()
    assert not book.apply_delta(delta(side, price, 1.0, 11))
    assert book.snapshot() == before
    assert book.needs_snapshot
    assert book.needs_snapshot_reason == f"delta 11 would cross: {reason}"
    assert (book.refused_deltas, book.last_sequence) == (1, 10)
    assert not book.apply_delta(delta(BID, 99.95, 1.0, 12))  # a valid delta is refused too
    assert book.refused_deltas == 2


def test_delta_just_inside_the_spread_is_accepted() -> None:
    book = book_from(sequence=10)
    assert book.apply_delta(delta(BID, 100.09, 1.0, 11))
    assert book.apply_delta(delta(ASK, 100.095, 1.0, 12))
    assert book.spread() == pytest.approx(0.005)
    assert not book.needs_snapshot


@pytest.mark.parametrize(
    ("price", "size", "message"),
    [
        (99.5, -1.0, "size >= 0"),
        (99.5, -1e-300, "size >= 0"),
        (math.nan, 1.0, "finite price"),
        (math.inf, 1.0, "finite price"),
        (-math.inf, 0.0, "finite price"),
        (99.5, math.nan, "finite size"),
        (99.5, math.inf, "finite size"),
    ],
)
def test_malformed_delta_raises_and_the_book_is_unchanged(
    price: float, size: float, message: str
) -> None:
    book = book_from(sequence=10)
    before = book.snapshot()
    with pytest.raises(BookError, match=message):
        book.apply_delta(delta(BID, price, size, 11))
    assert book.snapshot() == before
    assert (book.last_sequence, book.stale_deltas, book.refused_deltas) == (10, 0, 0)
    assert book.apply_delta(delta(BID, 99.5, 1.0, 11))  # sequence 11 was not consumed


def test_delta_with_a_side_that_is_not_a_book_side_raises() -> None:
    book = book_from(sequence=10)
    bad = OrderBookDelta(AAPL, "MIDDLE", 99.5, 1.0, 11, 0, 0)  # type: ignore[arg-type]
    with pytest.raises(BookError, match="expected side BID or ASK, was 'MIDDLE'"):
        book.apply_delta(bad)
    assert book.snapshot() == snapshot()


def test_delta_of_another_instrument_raises() -> None:
    book = book_from(sequence=10)
    with pytest.raises(BookError, match=re.escape("expected AAPL.SIM, was MSFT.SIM")):
        book.apply_delta(delta(BID, 99.5, 1.0, 11, instrument_id=MSFT))
    assert book.last_sequence == 10


def test_apply_deltas_returns_how_many_were_applied() -> None:
    book = book_from(sequence=10)
    stream = [
        delta(BID, 99.95, 1.0, 11),
        delta(BID, 99.95, 2.0, 11),  # stale
        delta(ASK, 100.05, 1.0, 12),
        delta(ASK, 100.05, 0.0, 13),
    ]
    assert book.apply_deltas(stream) == 3
    assert book.apply_deltas(iter([delta(BID, 99.7, 1.0, 15), delta(BID, 99.7, 1.0, 16)])) == 0
    assert (book.stale_deltas, book.refused_deltas) == (1, 2)


def test_apply_deltas_stops_at_a_malformed_delta_keeping_those_before() -> None:
    book = book_from(sequence=10)
    with pytest.raises(BookError):
        book.apply_deltas([delta(BID, 99.95, 1.0, 11), delta(BID, 99.7, -1.0, 12)])
    assert book.best_bid() == (99.95, 1.0)
    assert book.last_sequence == 11


# --------------------------------------------------------------------------------------- queries


def test_mid_spread_and_top() -> None:
    book = book_from()
    assert book.mid() == pytest.approx(100.0)
    assert book.spread() == pytest.approx(0.2)
    assert book.top() == QuoteTick(AAPL, 99.9, 100.1, 1.0, 3.0, 5, 6)


def test_top_needs_both_sides() -> None:
    assert book_from(asks=()).top() is None
    assert book_from(bids=()).spread() is None


@pytest.mark.parametrize(
    ("levels", "bids", "asks"),
    [
        (0, [], []),
        (1, [(99.9, 1.0)], [(100.1, 3.0)]),
        (2, [(99.9, 1.0), (99.8, 2.0)], [(100.1, 3.0), (100.2, 4.0)]),
        (3, list(BIDS), list(ASKS)),
        (50, list(BIDS), list(ASKS)),
        (None, list(BIDS), list(ASKS)),
    ],
)
def test_depth_is_best_first_and_truncated(
    levels: int | None, bids: list[tuple[float, float]], asks: list[tuple[float, float]]
) -> None:
    book = book_from()
    assert book.depth(BID, levels) == bids
    assert book.depth(ASK, levels) == asks


def test_depth_refuses_negative_levels() -> None:
    with pytest.raises(ValueError, match="levels: expected an integer >= 0"):
        book_from().depth(BID, -1)


@pytest.mark.parametrize(
    ("bps", "bid_volume", "ask_volume"),
    [
        (0.0, 0.0, 0.0),
        (5.0, 0.0, 0.0),  # band 99.95..100.05: no level
        (10.0, 1.0, 3.0),  # band edge exactly on 99.9 and 100.1: included
        (25.0, 3.0, 7.0),  # 99.75..100.25
        (99.0, 3.0, 7.0),  # 99.01..100.99: 99.0 and 101.0 just outside
        (100.0, 8.0, 13.0),  # 99.0..101.0: everything
        (10_000.0, 8.0, 13.0),
    ],
)
def test_volume_within_bps_of_mid(bps: float, bid_volume: float, ask_volume: float) -> None:
    book = book_from()
    assert book.volume_within(BID, bps) == pytest.approx(bid_volume)
    assert book.volume_within(ASK, bps) == pytest.approx(ask_volume)


@pytest.mark.parametrize("bps", [-1.0, math.nan, math.inf])
def test_volume_within_refuses_bad_bps(bps: float) -> None:
    with pytest.raises(ValueError, match="bps_from_mid: expected a finite number >= 0"):
        book_from().volume_within(BID, bps)


@pytest.mark.parametrize(
    ("side", "quantity", "vwap"),
    [
        (OrderSide.BUY, 2.0, 100.1),
        (OrderSide.BUY, 3.0, 100.1),
        (OrderSide.BUY, 5.0, (3 * 100.1 + 2 * 100.2) / 5),
        (OrderSide.BUY, 13.0, (3 * 100.1 + 4 * 100.2 + 6 * 101.0) / 13),
        ("BUY", 0.5, 100.1),
        (OrderSide.SELL, 1.0, 99.9),
        (OrderSide.SELL, 4.0, (1 * 99.9 + 2 * 99.8 + 1 * 99.0) / 4),
        ("SELL", 8.0, (1 * 99.9 + 2 * 99.8 + 5 * 99.0) / 8),
    ],
)
def test_vwap_to_fill_walks_the_opposite_side(
    side: OrderSide | str, quantity: float, vwap: float
) -> None:
    book = book_from()
    assert book.vwap_to_fill(side, quantity) == pytest.approx(vwap, rel=1e-12)
    assert book.snapshot() == snapshot()  # walking the book does not consume it


def test_vwap_to_fill_is_none_without_enough_depth() -> None:
    book = book_from()
    assert book.vwap_to_fill(OrderSide.BUY, 13.0 + 1e-6) is None
    assert book.vwap_to_fill(OrderSide.SELL, 8.5) is None
    assert book_from(bids=()).vwap_to_fill(OrderSide.SELL, 1.0) is None


def test_vwap_to_fill_of_depth_summed_with_rounding_still_fills() -> None:
    book = book_from(asks=((100.0, 0.1), (100.5, 0.2)))
    # 0.1 + 0.2 is 0.30000000000000004 in floats: the whole side must still fill it.
    assert book.vwap_to_fill(OrderSide.BUY, 0.1 + 0.2) == pytest.approx(
        (0.1 * 100.0 + 0.2 * 100.5) / 0.3
    )


@pytest.mark.parametrize(
    ("side", "quantity", "message"),
    [
        ("HOLD", 1.0, "side_of_order: expected BUY or SELL"),
        (OrderSide.BUY, 0.0, "quantity: expected a finite number > 0"),
        (OrderSide.BUY, -1.0, "quantity: expected a finite number > 0"),
        (OrderSide.SELL, math.nan, "quantity: expected a finite number > 0"),
    ],
)
def test_vwap_to_fill_refuses_bad_arguments(side: str, quantity: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        book_from().vwap_to_fill(side, quantity)


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (1, (1.0 - 3.0) / (1.0 + 3.0)),
        (2, (3.0 - 7.0) / (3.0 + 7.0)),
        (3, (8.0 - 13.0) / (8.0 + 13.0)),
        (10, (8.0 - 13.0) / (8.0 + 13.0)),
    ],
)
def test_imbalance_over_the_best_levels(levels: int, expected: float) -> None:
    assert book_from().imbalance(levels) == pytest.approx(expected)


def test_imbalance_of_a_one_sided_book_is_plus_or_minus_one() -> None:
    assert book_from(asks=()).imbalance(2) == 1.0
    assert book_from(bids=()).imbalance(2) == -1.0


def test_imbalance_refuses_fewer_than_one_level() -> None:
    with pytest.raises(ValueError, match="levels: expected an integer >= 1"):
        book_from().imbalance(0)


def test_volume_within_keeps_a_level_on_the_band_edge_despite_float_rounding() -> None:
    # Mid 123.45, 5 bps = 0.061725: the edge is 123.388275, computed as 123.38827500000001.
    book = book_from(bids=((123.4, 1.0), (123.388275, 2.0)), asks=((123.5, 3.0),))
    assert book.mid() == 123.45
    assert book.volume_within(BID, 5.0) == 3.0
    assert book.volume_within(BID, 4.99) == 1.0
