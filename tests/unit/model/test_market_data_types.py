"""Tests of the market data structs: immutability, quote mid, book sanity check."""

from __future__ import annotations

import msgspec
import pytest

from midfreq.model.data import Bar, OrderBookSnapshot, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId

AAPL = InstrumentId("AAPL.SIM")


def test_bar_fields_and_positional_construction() -> None:
    by_keyword = Bar(
        instrument_id=AAPL,
        open=1.0,
        high=2.0,
        low=0.5,
        close=1.5,
        volume=100.0,
        ts_event=10,
        ts_init=11,
    )
    positional = Bar(AAPL, 1.0, 2.0, 0.5, 1.5, 100.0, 10, 11)
    assert by_keyword == positional
    assert (positional.open, positional.close, positional.ts_init) == (1.0, 1.5, 11)


def test_market_data_is_immutable() -> None:
    bar = Bar(AAPL, 1.0, 1.0, 1.0, 1.0, 0.0, 0, 0)
    with pytest.raises(AttributeError):
        bar.close = 2.0  # type: ignore[misc]


@pytest.mark.parametrize(("bid", "ask", "mid"), [(99.0, 101.0, 100.0), (10.01, 10.02, 10.015)])
def test_quote_mid(bid: float, ask: float, mid: float) -> None:
    quote = QuoteTick(AAPL, bid, ask, 100.0, 200.0, 0, 0)
    assert quote.mid == pytest.approx(mid, abs=1e-12)


def test_trade_tick_round_trips_through_msgspec_with_identifier_hooks() -> None:
    # Identifiers are str subclasses: msgspec needs enc_hook/dec_hook to carry them.
    trade = TradeTick(AAPL, 100.5, 10.0, AggressorSide.BUYER, "t-1", 5, 6)
    encoded = msgspec.json.encode(trade, enc_hook=str)
    decoded = msgspec.json.decode(encoded, type=TradeTick, dec_hook=lambda kind, raw: kind(raw))
    assert decoded == trade
    assert type(decoded.instrument_id) is InstrumentId
    assert decoded.aggressor_side is AggressorSide.BUYER


def test_book_snapshot_accepts_an_uncrossed_book() -> None:
    book = OrderBookSnapshot(
        instrument_id=AAPL,
        bids=((99.0, 5.0), (98.0, 7.0)),
        asks=((100.0, 3.0),),
        ts_event=0,
        ts_init=0,
    )
    assert book.bids[0] == (99.0, 5.0)


def test_book_snapshot_allows_one_empty_side() -> None:
    assert OrderBookSnapshot(AAPL, (), ((100.0, 1.0),), 0, 0).asks


@pytest.mark.parametrize(("bid", "ask"), [(100.0, 100.0), (101.0, 100.0)])
def test_crossed_or_locked_book_is_refused(bid: float, ask: float) -> None:
    with pytest.raises(ValueError, match="expected best bid < best ask"):
        OrderBookSnapshot(AAPL, ((bid, 1.0),), ((ask, 1.0),), 0, 0)
