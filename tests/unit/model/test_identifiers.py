"""Tests of identifier validation and the InstrumentId parts."""

from __future__ import annotations

import pytest

from midfreq.model.identifiers import (
    AccountId,
    ClientOrderId,
    Identifier,
    InstrumentId,
    StrategyId,
    TradeId,
    Venue,
    VenueOrderId,
)

SIMPLE_IDS = [Venue, StrategyId, ClientOrderId, VenueOrderId, TradeId, AccountId]


@pytest.mark.parametrize("kind", SIMPLE_IDS)
def test_identifier_is_its_string_value(kind: type[Identifier]) -> None:
    value = kind("X-1")
    assert value == "X-1"
    assert str(value) == "X-1"
    assert hash(value) == hash("X-1")
    assert {value: 1}["X-1"] == 1
    assert isinstance(value, str)
    assert repr(value) == f"{kind.__name__}('X-1')"


@pytest.mark.parametrize("kind", [*SIMPLE_IDS, InstrumentId])
@pytest.mark.parametrize("bad", ["", " A.B", "A.B ", "\tA.B", "A.B\n"])
def test_empty_or_padded_values_are_refused(kind: type[Identifier], bad: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        kind(bad)


@pytest.mark.parametrize("kind", [*SIMPLE_IDS, InstrumentId])
@pytest.mark.parametrize("bad", [None, 42, b"AAPL.SIM"])
def test_non_strings_are_refused(kind: type[Identifier], bad: object) -> None:
    with pytest.raises(ValueError, match=kind.__name__):
        kind(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "symbol", "venue"),
    [
        ("AAPL.SIM", "AAPL", "SIM"),
        ("ESZ4.CME", "ESZ4", "CME"),
        ("BRK.B.XNYS", "BRK.B", "XNYS"),  # the venue is the part after the last dot
    ],
)
def test_instrument_id_parts(value: str, symbol: str, venue: str) -> None:
    iid = InstrumentId(value)
    assert iid.symbol == symbol
    assert iid.venue == Venue(venue)
    assert isinstance(iid.venue, Venue)


@pytest.mark.parametrize("bad", ["AAPL", "AAPL.", ".SIM", "AA PL.SIM", "AAPL.S IM", "..."])
def test_instrument_id_needs_symbol_dot_venue(bad: str) -> None:
    with pytest.raises(ValueError, match=r"'SYMBOL\.VENUE'"):
        InstrumentId(bad)


def test_instrument_id_from_parts() -> None:
    assert InstrumentId.from_parts("MSFT", "XNAS") == InstrumentId("MSFT.XNAS")
    with pytest.raises(ValueError, match="InstrumentId"):
        InstrumentId.from_parts("", "XNAS")


def test_distinct_types_compare_by_value_but_keep_their_type() -> None:
    strategy, order = StrategyId("A-1"), ClientOrderId("A-1")
    assert type(strategy) is StrategyId
    assert type(order) is ClientOrderId
    assert strategy == order  # they are strings; only the type checker keeps them apart
