"""Tests of instrument rules: tick and lot rounding, validation, futures, options, crypto."""

from __future__ import annotations

import math

import pytest

import stubs
from midfreq.model.enums import AssetClass, OptionRight
from midfreq.model.identifiers import InstrumentId
from midfreq.model.instruments import CurrencyPair, Future, Instrument, Option, equity
from midfreq.model.values import BTC, USD, USDT


@pytest.fixture
def aapl() -> Instrument:
    return stubs.equity_instrument()


@pytest.fixture
def es() -> Future:
    return stubs.future_instrument()


@pytest.fixture
def btc() -> CurrencyPair:
    return stubs.crypto_instrument()


def test_equity_defaults(aapl: Instrument) -> None:
    assert aapl.id == InstrumentId("AAPL.SIM")
    assert aapl.symbol == "AAPL"
    assert aapl.asset_class is AssetClass.EQUITY
    assert aapl.currency == USD
    assert (aapl.price_precision, aapl.size_precision) == (2, 0)
    assert (aapl.tick_size, aapl.lot_size, aapl.multiplier) == (0.01, 1.0, 1)
    assert not aapl.settles_pnl_only


def test_equity_factory_passes_overrides() -> None:
    penny = equity("XYZ", "XNAS", tick_size=0.0001, price_precision=4)
    assert penny.id == InstrumentId("XYZ.XNAS")
    assert penny.make_price(1.23456) == 1.2346


@pytest.mark.parametrize(
    ("value", "price"),
    [(123.456, 123.46), (123.454, 123.45), (0.004, 0.0), (99.999, 100.0), (-1.234, -1.23)],
)
def test_equity_make_price_rounds_to_nearest_cent(
    aapl: Instrument, value: float, price: float
) -> None:
    assert aapl.make_price(value) == price


@pytest.mark.parametrize(
    ("value", "price"),
    [(4500.13, 4500.25), (4500.12, 4500.0), (4500.375, 4500.5), (4500.37, 4500.25)],
)
def test_future_make_price_rounds_to_quarter_point(es: Future, value: float, price: float) -> None:
    assert es.make_price(value) == price


def test_make_price_result_is_on_the_decimal_grid(aapl: Instrument) -> None:
    # 0.1 + 0.2 style noise must not leak out: the result equals its decimal repr.
    price = aapl.make_price(1234 * 0.01 + 0.001)
    assert repr(price) == "12.34"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_make_price_refuses_non_finite(aapl: Instrument, bad: float) -> None:
    with pytest.raises(ValueError, match="price: expected a finite number"):
        aapl.make_price(bad)


@pytest.mark.parametrize(("value", "qty"), [(10.9, 10.0), (10.0, 10.0), (0.99, 0.0), (0.0, 0.0)])
def test_equity_make_qty_rounds_down_to_whole_lots(
    aapl: Instrument, value: float, qty: float
) -> None:
    assert aapl.make_qty(value) == qty


def test_make_qty_with_round_lots() -> None:
    lots_of_100 = equity("X", lot_size=100.0)
    assert lots_of_100.make_qty(250) == 200.0
    assert lots_of_100.make_qty(99) == 0.0


@pytest.mark.parametrize(
    ("value", "qty"),
    [
        (0.1234567, 0.123456),
        (0.3, 0.3),  # 0.3 / 1e-6 is 299999.99999999994 in floats: must not drop a lot
        (1.000001, 1.000001),
        (0.0000009, 0.0),
    ],
)
def test_crypto_make_qty_size_precision_6(btc: CurrencyPair, value: float, qty: float) -> None:
    assert btc.make_qty(value) == qty


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_make_qty_refuses_negative_and_non_finite(aapl: Instrument, bad: float) -> None:
    with pytest.raises(ValueError, match="quantity: expected a finite number >= 0"):
        aapl.make_qty(bad)


@pytest.mark.parametrize(
    ("value", "valid"), [(100.0, True), (100.01, True), (100.005, False), (0.0, False), (-1, False)]
)
def test_is_valid_price(aapl: Instrument, value: float, valid: bool) -> None:
    assert aapl.is_valid_price(value) is valid


@pytest.mark.parametrize(("value", "valid"), [(4500.25, True), (4500.1, False)])
def test_is_valid_price_on_quarter_ticks(es: Future, value: float, valid: bool) -> None:
    assert es.is_valid_price(value) is valid


@pytest.mark.parametrize(("value", "valid"), [(1.0, True), (1.5, False), (0.0, False)])
def test_is_valid_qty(aapl: Instrument, value: float, valid: bool) -> None:
    assert aapl.is_valid_qty(value) is valid


def test_is_valid_qty_crypto(btc: CurrencyPair) -> None:
    assert btc.is_valid_qty(0.000001)
    assert btc.is_valid_qty(0.3)
    assert not btc.is_valid_qty(0.0000005)


def test_notional_includes_multiplier(aapl: Instrument, es: Future) -> None:
    assert aapl.notional(10, 150.0) == 1_500.0
    assert es.notional(2, 4500.0) == 450_000.0


@pytest.mark.parametrize(("price_precision", "size_precision"), [(5, 5), (9, 1), (2, 8)])
def test_precision_sum_above_nine_is_refused(price_precision: int, size_precision: int) -> None:
    with pytest.raises(ValueError, match="price_precision \\+ size_precision: expected <= 9"):
        equity("X", price_precision=price_precision, size_precision=size_precision)


def test_precision_sum_of_exactly_nine_is_allowed() -> None:
    instrument = equity("X", price_precision=3, size_precision=6)
    assert instrument.price_precision + instrument.size_precision == 9


@pytest.mark.parametrize(
    ("price_precision", "size_precision"), [(-1, 0), (0, -1), (10, 0), (0, 10)]
)
def test_precision_out_of_range_is_refused(price_precision: int, size_precision: int) -> None:
    with pytest.raises(ValueError, match=r"expected 0\.\.9"):
        equity("X", price_precision=price_precision, size_precision=size_precision)


@pytest.mark.parametrize("bad", [0, -50, 2.5, "50"])
def test_bad_multiplier_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="multiplier: expected a positive integer"):
        equity("X", multiplier=bad)


@pytest.mark.parametrize(("tick", "lot"), [(0.0, 1.0), (-0.01, 1.0), (0.01, 0.0), (0.01, -1.0)])
def test_non_positive_tick_or_lot_is_refused(tick: float, lot: float) -> None:
    with pytest.raises(ValueError, match="tick_size and lot_size: expected > 0"):
        equity("X", tick_size=tick, lot_size=lot)


def test_future_construction(es: Future) -> None:
    assert es.id == InstrumentId("ESZ4.CME")
    assert es.asset_class is AssetClass.FUTURE
    assert es.multiplier == 50
    assert es.underlying == "ES"
    assert es.expiry_ns == stubs.EXPIRY_NS
    assert es.settles_pnl_only
    assert isinstance(es, Instrument)


def test_future_is_validated_like_any_instrument() -> None:
    with pytest.raises(ValueError, match="multiplier"):
        stubs.future_instrument(multiplier=0)


def test_option_construction() -> None:
    option = stubs.option_instrument()
    assert option.asset_class is AssetClass.OPTION
    assert option.multiplier == 100
    assert option.underlying == InstrumentId("AAPL.SIM")
    assert option.strike == 200.0
    assert option.right is OptionRight.CALL
    assert not option.settles_pnl_only  # premium paid in full
    assert option.notional(1, 2.5) == 250.0


@pytest.mark.parametrize("strike", [0.0, -1.0, math.nan])
def test_option_strike_must_be_positive(strike: float) -> None:
    with pytest.raises(ValueError, match="strike: expected > 0"):
        stubs.option_instrument(strike=strike)


def test_option_runs_base_validation_too() -> None:
    with pytest.raises(ValueError, match="price_precision \\+ size_precision"):
        stubs.option_instrument(price_precision=5, size_precision=5)


def test_crypto_pair(btc: CurrencyPair) -> None:
    assert btc.asset_class is AssetClass.CRYPTO
    assert btc.currency == USDT
    assert btc.base_currency == BTC
    assert btc.size_precision == 6
    assert not btc.settles_pnl_only


def test_currency_pair_defaults_to_fx() -> None:
    pair = CurrencyPair(id=InstrumentId("EURUSD.SIM"), base_currency=BTC, price_precision=5)
    assert pair.asset_class is AssetClass.FX


def test_instruments_are_immutable_and_hashable(aapl: Instrument) -> None:
    with pytest.raises(AttributeError):
        aapl.multiplier = 2  # type: ignore[misc]
    assert {aapl: 1}[stubs.equity_instrument()] == 1


def test_option_is_distinct_type() -> None:
    assert isinstance(stubs.option_instrument(), Option)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tick_size": 0.001, "price_precision": 2}, "tick_size"),
        ({"lot_size": 0.5, "size_precision": 0}, "lot_size"),
    ],
)
def test_steps_must_be_representable_at_their_precision(kwargs, field) -> None:
    with pytest.raises(ValueError, match=field):
        equity("AAA", **kwargs)


def test_boolean_multiplier_is_refused() -> None:
    with pytest.raises(ValueError, match="multiplier"):
        equity("AAA", multiplier=True)
