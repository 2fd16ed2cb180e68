"""Property tests of router allocations: they sum to the order quantity in whole lots, never
go to a down or excluded venue, and (size-constrained policies) never exceed the size a venue
displays within the limit, overflowing exactly what no venue displays; best price leaves no
better level untaken; the pro-rata and fixed-weight splits are within one lot of exact shares.
The router's children sum to the parent."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.core.clock import SimulatedClock
from midfreq.execution.router import SmartOrderRouter, SmartOrderRouterConfig
from midfreq.execution.routing import (
    AllocationKind,
    ConsolidatedBook,
    RoutingPolicy,
    VenueFees,
    allocate,
)
from midfreq.model.data import QuoteTick
from midfreq.model.enums import OrderSide
from midfreq.model.identifiers import InstrumentId, Venue
from midfreq.model.instruments import equity
from midfreq.model.orders import Order

LOT_SIZES = (1.0, 10.0, 100.0)


@st.composite
def books(draw: st.DrawFn) -> tuple[ConsolidatedBook, float, set[Venue]]:
    """1-4 venues with 0-4 levels per side on a cent grid, random fees, some down, some with
    no prices; returns the book, a lot size, and a set of venues to exclude."""
    count = draw(st.integers(1, 4))
    venues = [Venue(f"V{i}") for i in range(count)]
    fees = [
        VenueFees(
            taker_rate=draw(st.sampled_from((0.0, 0.0005, 0.003))),
            taker_per_unit=draw(st.sampled_from((0.0, 0.001, 0.01))),
        )
        for _ in venues
    ]
    book = ConsolidatedBook(zip(venues, fees, strict=True))
    lot = draw(st.sampled_from(LOT_SIZES))
    for venue in venues:
        if draw(st.booleans()) or venue == venues[0]:
            ask_ticks = sorted(set(draw(st.lists(st.integers(1000, 1010), max_size=4))))
            bid_ticks = sorted(set(draw(st.lists(st.integers(990, 999), max_size=4))), reverse=True)
            size = st.integers(0, 50).map(lambda n: n * lot + draw(st.sampled_from((0.0, lot / 2))))
            book.update_depth(
                venue,
                bids=[(t / 100, draw(size)) for t in bid_ticks],
                asks=[(t / 100, draw(size)) for t in ask_ticks],
                ts_ns=0,
            )
        if draw(st.integers(0, 4)) == 0:
            book.mark_down(venue)
    exclude = {v for v in venues if draw(st.integers(0, 5)) == 0}
    return book, lot, exclude


def displayed_lots(
    book: ConsolidatedBook, venue: Venue, side: OrderSide, limit: float | None, lot: float
) -> int:
    total = 0
    for price, size in book.venue(venue).levels(side):
        if limit is None or (price <= limit if side is OrderSide.BUY else price >= limit):
            total += math.floor(size / lot + 1e-9)
    return total


common = given(
    case=books(),
    side=st.sampled_from(OrderSide),
    lots=st.integers(1, 300),
    limit_ticks=st.none() | st.integers(985, 1015),
    policy=st.sampled_from(RoutingPolicy),
)


@common
@settings(max_examples=300, deadline=None)
def test_allocations_sum_to_the_order_and_respect_displayed_size(
    case: tuple[ConsolidatedBook, float, set[Venue]],
    side: OrderSide,
    lots: int,
    limit_ticks: int | None,
    policy: RoutingPolicy,
) -> None:
    book, lot, exclude = case
    limit = None if limit_ticks is None else limit_ticks / 100
    quantity = lots * lot
    weights = {v.venue: float(i + 1) for i, v in enumerate(book.venues)}
    out = allocate(
        side,
        quantity,
        book,
        policy,
        now_ns=0,
        limit_price=limit,
        lot_size=lot,
        exclude=exclude,
        weights=weights,
    )
    usable = [v for v in book.venues if v.is_up and v.venue not in exclude]
    if policy.is_size_constrained:
        usable = [v for v in usable if v.ts_last is not None]
    if not usable:
        assert out == []
        return
    # Sum, whole lots, allowed venues only.
    got = [round(a.quantity / lot) for a in out]
    assert all(g >= 1 and math.isclose(g * lot, a.quantity) for g, a in zip(got, out, strict=True))
    assert sum(got) == lots
    allowed = {v.venue for v in usable}
    assert all(a.venue in allowed for a in out)
    if not policy.is_size_constrained:
        assert all(a.kind is AllocationKind.WEIGHTED for a in out)
        total_weight = sum(weights[v.venue] for v in usable)
        for a in out:
            exact = lots * weights[a.venue] / total_weight
            assert abs(round(a.quantity / lot) - exact) < 1 + 1e-9
        return
    # Size-constrained: displayed slices never exceed displayed size; overflow is exactly what
    # no usable venue displays within the limit.
    caps = {v.venue: displayed_lots(book, v.venue, side, limit, lot) for v in usable}
    displayed = [a for a in out if a.kind is AllocationKind.DISPLAYED]
    overflow = [a for a in out if a.kind is AllocationKind.OVERFLOW]
    assert len({a.venue for a in displayed}) == len(displayed)
    for a in displayed:
        assert round(a.quantity / lot) <= caps[a.venue]
    expected_overflow = max(0, lots - sum(caps.values()))
    assert sum(round(a.quantity / lot) for a in overflow) == expected_overflow
    assert len(overflow) <= 1
    if overflow:
        assert overflow[0].price == limit
    if policy is RoutingPolicy.BEST_PRICE and displayed:
        # No level strictly better than the worst price taken is left untaken.
        buy = side is OrderSide.BUY
        prices = [a.price for a in displayed if a.price is not None]
        worst = max(prices) if buy else min(prices)
        taken = {a.venue: round(a.quantity / lot) for a in displayed}
        for v in usable:
            better = sum(
                math.floor(size / lot + 1e-9)
                for price, size in v.levels(side)
                if (price < worst if buy else price > worst)
                and (limit is None or (price <= limit if buy else price >= limit))
            )
            assert taken.get(v.venue, 0) >= better
    if policy is RoutingPolicy.LIQUIDITY_WEIGHTED and displayed:
        fill = min(lots, sum(caps.values()))
        for a in displayed:
            exact = fill * caps[a.venue] / sum(caps.values())
            assert abs(round(a.quantity / lot) - exact) < 1 + 1e-9


@given(
    lots=st.integers(1, 500),
    sizes=st.lists(st.integers(0, 300), min_size=3, max_size=3),
    side=st.sampled_from(OrderSide),
    policy=st.sampled_from(RoutingPolicy),
)
@settings(max_examples=100, deadline=None)
def test_router_children_sum_to_the_parent(
    lots: int, sizes: list[int], side: OrderSide, policy: RoutingPolicy
) -> None:
    names = ("V1", "V2", "V3")
    config = SmartOrderRouterConfig(
        venues=list(names), policy=policy, venue_weights={"V1": 2.0, "V2": 1.0, "V3": 1.0}
    )
    sent: list[Order] = []
    router = SmartOrderRouter(
        config, SimulatedClock(0), [equity("AAPL", n) for n in names], sent.append
    )
    for i, (name, size) in enumerate(zip(names, sizes, strict=True)):
        router.on_quote(
            QuoteTick(
                InstrumentId(f"AAPL.{name}"), 99.0 - i / 100, 100.0 + i / 100, size, size, 0, 0
            )
        )
    parent_id = router.submit_order("AAPL", side, lots)
    assert sum(o.quantity for o in sent) == lots
    assert len({o.instrument_id for o in sent}) == len(sent)  # one child per venue
    assert all(o.parent_order_id == parent_id and o.side is side for o in sent)
