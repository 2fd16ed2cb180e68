"""The data engine keeps an L2 book per instrument from snapshots and deltas; strategies read
depth through the cache; refused updates are counted and not published."""

from __future__ import annotations

from midfreq.core.clock import SimulatedClock
from midfreq.model.data import OrderBookDelta, OrderBookSnapshot
from midfreq.model.enums import BookSide
from midfreq.model.identifiers import InstrumentId
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

AAA = InstrumentId("AAA.SIM")


def _kernel() -> Kernel:
    config = parse_system_config({"data_feed": {"symbols": ["AAA"]}, "logging": {"file": None}})
    return Kernel(config, SimulatedClock(0))


def _delta(side: BookSide, price: float, size: float, sequence: int) -> OrderBookDelta:
    return OrderBookDelta(AAA, side, price, size, sequence, sequence, sequence)


def test_snapshot_then_deltas_build_the_book_strategies_see() -> None:
    kernel = _kernel()
    seen: list[object] = []
    kernel.bus.subscribe("data.book.AAA.SIM", seen.append)
    snapshot = OrderBookSnapshot(
        instrument_id=AAA,
        bids=((10.0, 100.0), (9.99, 200.0)),
        asks=((10.02, 150.0),),
        ts_event=1,
        ts_init=1,
    )
    kernel.process(snapshot)
    kernel.process(_delta(BookSide.ASK, 10.01, 50.0, 1))
    kernel.process(_delta(BookSide.BID, 10.0, 0.0, 2))
    book = kernel.cache_view.book(AAA)
    assert book is not None
    assert book.best_bid() == (9.99, 200.0)
    assert book.best_ask() == (10.01, 50.0)
    assert book.depth(BookSide.ASK, 5) == [(10.01, 50.0), (10.02, 150.0)]
    assert len(seen) == 3
    assert kernel.data_engine.book_errors == 0


def test_a_crossing_delta_is_refused_counted_and_not_published() -> None:
    kernel = _kernel()
    kernel.process(_delta(BookSide.BID, 10.0, 100.0, 1))
    kernel.process(_delta(BookSide.ASK, 10.05, 100.0, 2))
    seen: list[object] = []
    kernel.bus.subscribe("data.book.AAA.SIM", seen.append)
    kernel.process(_delta(BookSide.ASK, 9.99, 100.0, 3))  # would cross the 10.00 bid
    kernel.process(_delta(BookSide.ASK, 10.04, 100.0, 4))  # refused until a snapshot
    assert seen == []
    assert kernel.data_engine.book_errors == 2
    book = kernel.cache_view.book(AAA)
    assert book is not None
    assert book.needs_snapshot
    assert book.best_ask() == (10.05, 100.0)
