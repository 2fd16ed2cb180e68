"""The pure routing core: `ConsolidatedBook` and `allocate` on hand-built books whose answers
are worked out by hand in each test (fee-adjusted choice, three-venue splits, lots, down and
stale venues, quantity beyond all displayed size)."""

from __future__ import annotations

import doctest

import pytest

import midfreq.execution.router as router_module
import midfreq.execution.routing.allocation as allocation_module
import midfreq.execution.routing.book as book_module
from midfreq.execution.routing import (
    Allocation,
    AllocationKind,
    ConsolidatedBook,
    RoutingPolicy,
    VenueFees,
    allocate,
)
from midfreq.model.data import OrderBookSnapshot, QuoteTick
from midfreq.model.enums import OrderSide
from midfreq.model.identifiers import InstrumentId, Venue

V1, V2, V3 = Venue("V1"), Venue("V2"), Venue("V3")
BUY, SELL = OrderSide.BUY, OrderSide.SELL
DISPLAYED, OVERFLOW, WEIGHTED = (
    AllocationKind.DISPLAYED,
    AllocationKind.OVERFLOW,
    AllocationKind.WEIGHTED,
)


def summary(allocations: list[Allocation]) -> list[tuple[str, float, float | None, str]]:
    return [(str(a.venue), a.quantity, a.price, a.kind.value) for a in allocations]


@pytest.fixture
def three_venues() -> ConsolidatedBook:
    """Asks: V1 300 @ 10.00 and 400 @ 10.02; V2 200 @ 10.01 and 500 @ 10.03; V3 100 @ 10.00
    and 100 @ 10.01. Bids mirror them below 9.99."""
    book = ConsolidatedBook([(V1, VenueFees()), (V2, VenueFees()), (V3, VenueFees())])
    book.update_depth(
        V1, bids=((9.99, 300.0), (9.97, 400.0)), asks=((10.00, 300.0), (10.02, 400.0)), ts_ns=0
    )
    book.update_depth(
        V2, bids=((9.98, 200.0), (9.96, 500.0)), asks=((10.01, 200.0), (10.03, 500.0)), ts_ns=0
    )
    book.update_depth(
        V3, bids=((9.99, 100.0), (9.98, 100.0)), asks=((10.00, 100.0), (10.01, 100.0)), ts_ns=0
    )
    return book


def test_docstring_examples_run() -> None:
    for module in (book_module, allocation_module, router_module):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


# ---- fee-adjusted best venue ----------------------------------------------------------------
@pytest.fixture
def fee_book() -> ConsolidatedBook:
    """Buy side: V1 is cheapest before fees (100.00 + 0.30% = 100.30), V2 has no fee
    (100.05), V3 charges 5 cents a share (100.02 + 0.05 = 100.07): V2 is best after fees.
    Sell side: V1 bids 99.99 minus 0.30% = 99.69, V2 99.90, V3 99.98 - 0.05 = 99.93: V3."""
    book = ConsolidatedBook(
        [
            (V1, VenueFees(taker_rate=0.003)),
            (V2, VenueFees()),
            (V3, VenueFees(taker_per_unit=0.05)),
        ]
    )
    book.update_depth(V1, bids=((99.99, 1000.0),), asks=((100.00, 1000.0),), ts_ns=0)
    book.update_depth(V2, bids=((99.90, 1000.0),), asks=((100.05, 1000.0),), ts_ns=0)
    book.update_depth(V3, bids=((99.98, 1000.0),), asks=((100.02, 1000.0),), ts_ns=0)
    return book


def test_fee_adjusted_buy_picks_the_cheapest_venue_after_fees(fee_book: ConsolidatedBook) -> None:
    out = allocate(BUY, 500.0, fee_book, RoutingPolicy.FEE_ADJUSTED, now_ns=0)
    assert summary(out) == [("V2", 500.0, 100.05, "DISPLAYED")]


def test_best_price_ignores_fees(fee_book: ConsolidatedBook) -> None:
    out = allocate(BUY, 500.0, fee_book, RoutingPolicy.BEST_PRICE, now_ns=0)
    assert summary(out) == [("V1", 500.0, 100.00, "DISPLAYED")]


def test_fee_adjusted_sell_picks_the_highest_bid_after_fees(fee_book: ConsolidatedBook) -> None:
    out = allocate(SELL, 500.0, fee_book, RoutingPolicy.FEE_ADJUSTED, now_ns=0)
    assert summary(out) == [("V3", 500.0, 99.98, "DISPLAYED")]


def test_fee_adjusted_overflow_goes_to_the_best_venue_after_fees(
    fee_book: ConsolidatedBook,
) -> None:
    # 3,000 displayed in all; 500 more go to V2, the best after fees, in the order V2, V3, V1.
    out = allocate(BUY, 3500.0, fee_book, RoutingPolicy.FEE_ADJUSTED, now_ns=0)
    assert summary(out) == [
        ("V2", 1000.0, 100.05, "DISPLAYED"),
        ("V3", 1000.0, 100.02, "DISPLAYED"),
        ("V1", 1000.0, 100.00, "DISPLAYED"),
        ("V2", 500.0, None, "OVERFLOW"),
    ]


# ---- three-venue splits with known depth ----------------------------------------------------
def test_best_price_split_across_three_venues(three_venues: ConsolidatedBook) -> None:
    # Levels best first: 10.00 V1 300, V3 100 (larger first); 10.01 V2 200, V3 100; 10.02 V1 400.
    # 1,000 takes all but 100 of V1's 10.02 level.
    out = allocate(BUY, 1000.0, three_venues, RoutingPolicy.BEST_PRICE, now_ns=0, limit_price=10.02)
    assert summary(out) == [
        ("V1", 600.0, 10.02, "DISPLAYED"),
        ("V3", 200.0, 10.01, "DISPLAYED"),
        ("V2", 200.0, 10.01, "DISPLAYED"),
    ]


def test_best_price_sell_split(three_venues: ConsolidatedBook) -> None:
    # Bids best first: 9.99 V1 300, V3 100; 9.98 V2 200, V3 100; 9.97 V1 400. 650 takes
    # V1 300, V3 100, V2 200 and 50 of V3's 9.98.
    out = allocate(SELL, 650.0, three_venues, RoutingPolicy.BEST_PRICE, now_ns=0)
    assert summary(out) == [
        ("V1", 300.0, 9.99, "DISPLAYED"),
        ("V3", 150.0, 9.98, "DISPLAYED"),
        ("V2", 200.0, 9.98, "DISPLAYED"),
    ]


def test_quantity_beyond_all_displayed_size_overflows_to_the_best_venue(
    three_venues: ConsolidatedBook,
) -> None:
    # 1,100 displayed at or under 10.02; the other 400 rest at the limit on V1 (best touch,
    # 10.00, larger than V3's).
    out = allocate(BUY, 1500.0, three_venues, RoutingPolicy.BEST_PRICE, now_ns=0, limit_price=10.02)
    assert summary(out) == [
        ("V1", 700.0, 10.02, "DISPLAYED"),
        ("V3", 200.0, 10.01, "DISPLAYED"),
        ("V2", 200.0, 10.01, "DISPLAYED"),
        ("V1", 400.0, 10.02, "OVERFLOW"),
    ]


def test_limit_away_from_the_market_rests_entirely_on_the_best_venue(
    three_venues: ConsolidatedBook,
) -> None:
    out = allocate(BUY, 500.0, three_venues, RoutingPolicy.BEST_PRICE, now_ns=0, limit_price=9.50)
    assert summary(out) == [("V1", 500.0, 9.50, "OVERFLOW")]


def test_liquidity_weighted_split_is_pro_rata_to_displayed_size(
    three_venues: ConsolidatedBook,
) -> None:
    # Within 10.02: V1 700, V2 200, V3 200 (1,100). Half of it: 350, 100, 100.
    out = allocate(
        BUY, 550.0, three_venues, RoutingPolicy.LIQUIDITY_WEIGHTED, now_ns=0, limit_price=10.02
    )
    assert summary(out) == [
        ("V1", 350.0, 10.02, "DISPLAYED"),
        ("V2", 100.0, 10.01, "DISPLAYED"),
        ("V3", 100.0, 10.00, "DISPLAYED"),
    ]


def test_liquidity_weighted_rounds_to_lots_by_largest_remainder(
    three_venues: ConsolidatedBook,
) -> None:
    # Lots of 100: caps 7, 2, 2 of 11; 5 lots -> 3.18, 0.91, 0.91 -> 3, 0, 0 plus the two
    # largest remainders (V2, V3) -> 3, 1, 1.
    out = allocate(
        BUY,
        500.0,
        three_venues,
        RoutingPolicy.LIQUIDITY_WEIGHTED,
        now_ns=0,
        limit_price=10.02,
        lot_size=100.0,
    )
    assert [(str(a.venue), a.quantity) for a in out] == [
        ("V1", 300.0),
        ("V2", 100.0),
        ("V3", 100.0),
    ]


def test_liquidity_weighted_overflow(three_venues: ConsolidatedBook) -> None:
    out = allocate(
        BUY, 1200.0, three_venues, RoutingPolicy.LIQUIDITY_WEIGHTED, now_ns=0, limit_price=10.02
    )
    assert summary(out)[-1] == ("V1", 100.0, 10.02, "OVERFLOW")
    assert sum(a.quantity for a in out) == 1200.0


def test_venue_weights_split_by_fixed_weights(three_venues: ConsolidatedBook) -> None:
    weights = {"V1": 0.5, "V2": 0.3, "V3": 0.2}
    out = allocate(
        BUY, 1000.0, three_venues, RoutingPolicy.VENUE_WEIGHTS, now_ns=0, weights=weights
    )
    assert summary(out) == [
        ("V1", 500.0, 10.00, "WEIGHTED"),
        ("V2", 300.0, 10.01, "WEIGHTED"),
        ("V3", 200.0, 10.00, "WEIGHTED"),
    ]


def test_venue_weights_renormalise_without_a_down_venue(three_venues: ConsolidatedBook) -> None:
    # Without V2: 1000 * 5/7 = 714.29 and 1000 * 2/7 = 285.71; the odd share goes to V3.
    three_venues.mark_down(V2)
    out = allocate(
        BUY,
        1000.0,
        three_venues,
        RoutingPolicy.VENUE_WEIGHTS,
        now_ns=0,
        weights={"V1": 0.5, "V2": 0.3, "V3": 0.2},
        limit_price=10.05,
    )
    assert summary(out) == [("V1", 714.0, 10.05, "WEIGHTED"), ("V3", 286.0, 10.05, "WEIGHTED")]


# ---- venues that must not be used ----------------------------------------------------------
def test_down_venue_is_skipped(three_venues: ConsolidatedBook) -> None:
    three_venues.mark_down(V1)
    out = allocate(BUY, 300.0, three_venues, RoutingPolicy.BEST_PRICE, now_ns=0)
    assert summary(out) == [("V3", 100.0, 10.00, "DISPLAYED"), ("V2", 200.0, 10.01, "DISPLAYED")]
    three_venues.mark_up(V1)
    assert allocate(BUY, 300.0, three_venues, RoutingPolicy.BEST_PRICE, now_ns=0)[0].venue == V1


def test_excluded_venue_is_skipped(three_venues: ConsolidatedBook) -> None:
    out = allocate(BUY, 100.0, three_venues, RoutingPolicy.BEST_PRICE, now_ns=0, exclude=[V1])
    assert summary(out) == [("V3", 100.0, 10.00, "DISPLAYED")]


def test_stale_venue_is_skipped_by_price_policies() -> None:
    book = ConsolidatedBook([(V1, VenueFees()), (V2, VenueFees())], stale_after_ns=1_000)
    book.update_depth(V1, bids=(), asks=((10.00, 500.0),), ts_ns=0)
    book.update_depth(V2, bids=(), asks=((10.05, 500.0),), ts_ns=5_000)
    assert summary(allocate(BUY, 100.0, book, RoutingPolicy.BEST_PRICE, now_ns=500)) == [
        ("V1", 100.0, 10.00, "DISPLAYED")
    ]
    # At 5,500 V1's prices are 5,500 ns old: only V2 counts.
    assert summary(allocate(BUY, 100.0, book, RoutingPolicy.BEST_PRICE, now_ns=5_500)) == [
        ("V2", 100.0, 10.05, "DISPLAYED")
    ]


def test_no_eligible_venue_allocates_nothing(three_venues: ConsolidatedBook) -> None:
    for venue in (V1, V2, V3):
        three_venues.mark_down(venue)
    for policy in RoutingPolicy:
        assert allocate(BUY, 100.0, three_venues, policy, now_ns=0) == []


def test_venue_without_prices_is_not_eligible() -> None:
    book = ConsolidatedBook([(V1, VenueFees()), (V2, VenueFees())])
    book.update_depth(V2, bids=(), asks=((10.0, 50.0),), ts_ns=0)
    assert [v.venue for v in book.eligible(now_ns=0)] == [V2]


# ---- lots and validation -------------------------------------------------------------------
def test_sizes_are_floored_to_lots() -> None:
    # 250 displayed on V1 is 2 lots of 100; the third lot overflows.
    book = ConsolidatedBook([(V1, VenueFees())])
    book.update_depth(V1, bids=(), asks=((10.0, 250.0),), ts_ns=0)
    out = allocate(BUY, 300.0, book, RoutingPolicy.BEST_PRICE, now_ns=0, lot_size=100.0)
    assert summary(out) == [("V1", 200.0, 10.0, "DISPLAYED"), ("V1", 100.0, None, "OVERFLOW")]


@pytest.mark.parametrize("quantity", [0.0, -100.0, 150.0, float("nan")])
def test_quantity_must_be_whole_lots(three_venues: ConsolidatedBook, quantity: float) -> None:
    with pytest.raises(ValueError, match="quantity"):
        allocate(BUY, quantity, three_venues, RoutingPolicy.BEST_PRICE, now_ns=0, lot_size=100.0)


def test_limit_price_must_be_positive(three_venues: ConsolidatedBook) -> None:
    with pytest.raises(ValueError, match="limit_price"):
        allocate(BUY, 100.0, three_venues, RoutingPolicy.BEST_PRICE, now_ns=0, limit_price=0.0)


# ---- the consolidated book ------------------------------------------------------------------
def test_book_takes_quotes_snapshots_and_reports_the_consolidated_touch() -> None:
    book = ConsolidatedBook([(V1, VenueFees()), (V2, VenueFees())])
    iid = InstrumentId("AAPL.V1")
    book.update_quote(V1, QuoteTick(iid, 99.0, 101.0, 5.0, 7.0, 10, 10))
    book.update_snapshot(
        V2,
        OrderBookSnapshot(
            InstrumentId("AAPL.V2"),
            ((99.5, 1.0), (99.0, 2.0)),
            ((100.5, 3.0), (101.0, 0.0)),
            20,
            20,
        ),
    )
    assert book.best_bid() == (V2, 99.5, 1.0)
    assert book.best_ask() == (V2, 100.5, 3.0)
    assert book.venue(V2).asks == ((100.5, 3.0),)  # the empty level is dropped
    assert book.arrival_price(BUY) == 100.5 and book.arrival_price(SELL) == 99.5
    assert book.venue(V1).ts_last == 10 and book.venue(V2).ts_last == 20
    with pytest.raises(KeyError, match="expected one of V1, V2"):
        book.venue("V9")
    with pytest.raises(ValueError, match="not yet in the book"):
        book.add_venue(V1)
