"""Tests of the average-cost Position against hand-computed ledgers (amounts in nano-units)."""

from __future__ import annotations

from fractions import Fraction

import pytest

import stubs
from midfreq.model.enums import OrderSide, PositionSide
from midfreq.model.instruments import Instrument
from midfreq.model.position import Position

BUY, SELL = OrderSide.BUY, OrderSide.SELL
NANO = 10**9


def usd(amount: str) -> int:
    """Dollars (as an exact decimal string) in nano-units."""
    return int(Fraction(amount) * NANO)


@pytest.fixture
def aapl() -> Instrument:
    return stubs.equity_instrument()


@pytest.fixture
def es() -> Instrument:
    return stubs.future_instrument()


@pytest.fixture
def btc() -> Instrument:
    return stubs.crypto_instrument()


def apply(
    position: Position, side: OrderSide, qty: float, px: float, fee: str = "0", ts: int = 0
) -> int:
    fill = stubs.fill_event(position.instrument_id, side, qty, px, ts=ts)
    return position.apply(fill, usd(fee))


def test_new_position_is_flat(aapl: Instrument) -> None:
    position = Position(aapl, stubs.STRATEGY_ID)
    assert position.is_flat
    assert position.side is PositionSide.FLAT
    assert position.quantity == 0.0
    assert position.avg_px is None
    assert position.unrealized_raw(123.0) == 0
    assert (position.realized_raw, position.fees_raw, position.fill_count) == (0, 0, 0)
    assert position.ts_opened is None


def test_open_add_partial_close_full_close_long(aapl: Instrument) -> None:
    position = Position(aapl, stubs.STRATEGY_ID)

    # Buy 100 @ 50.00: cost 5,000.00.
    assert apply(position, BUY, 100, 50.00, fee="1.00", ts=10) == 0
    assert position.side is PositionSide.LONG
    assert position.quantity == 100.0
    assert position.cost_raw == usd("5000")
    assert position.avg_px == 50.0
    assert position.ts_opened == 10

    # Buy 50 @ 53.00: cost 7,650.00 for 150, average 51.00.
    assert apply(position, BUY, 50, 53.00, fee="0.50", ts=20) == 0
    assert position.cost_raw == usd("7650")
    assert position.avg_px == 51.0

    # Sell 60 @ 55.00: (55 - 51) * 60 = 240.00 realized; 90 left at 51.00.
    assert apply(position, SELL, 60, 55.00, ts=30) == usd("240")
    assert position.quantity == 90.0
    assert position.cost_raw == usd("4590")
    assert position.avg_px == 51.0

    # Mark at 52.00: unrealized (52 - 51) * 90 = 90.00; market value 4,680.00.
    assert position.unrealized_raw(52.0) == usd("90")
    assert position.market_value_raw(52.0) == usd("4680")

    # Sell 90 @ 49.00: (49 - 51) * 90 = -180.00 realized; flat.
    assert apply(position, SELL, 90, 49.00, ts=40) == usd("-180")
    assert position.is_flat
    assert position.cost_raw == 0
    assert position.avg_px is None
    assert position.realized_raw == usd("60")  # sells 7,710 - buys 7,650
    assert position.fees_raw == usd("1.50")
    assert position.fill_count == 4
    assert position.traded_value_raw == usd("15360")  # 5000 + 2650 + 3300 + 4410
    assert (position.ts_opened, position.ts_last) == (10, 40)


def test_short_open_and_cover(aapl: Instrument) -> None:
    position = Position(aapl, stubs.STRATEGY_ID)
    apply(position, SELL, 40, 25.00)
    apply(position, SELL, 60, 30.00)  # 100 short at 28.00 = (1000 + 1800) / 100
    assert position.side is PositionSide.SHORT
    assert position.quantity == -100.0
    assert position.cost_raw == usd("-2800")
    assert position.avg_px == 28.0
    assert position.market_value_raw(27.0) == usd("-2700")
    assert position.unrealized_raw(27.0) == usd("100")  # short gains when price falls

    assert apply(position, BUY, 30, 26.50) == usd("45")  # (28 - 26.5) * 30
    assert position.quantity == -70.0
    assert position.avg_px == 28.0
    assert apply(position, BUY, 70, 29.00) == usd("-70")  # (28 - 29) * 70
    assert position.is_flat
    assert position.realized_raw == usd("-25")


def test_flip_long_to_short(aapl: Instrument) -> None:
    position = Position(aapl, stubs.STRATEGY_ID)
    apply(position, BUY, 10, 100.00, ts=1)
    # Sell 25 @ 110: close 10 for (110 - 100) * 10 = 100.00, open 15 short at 110.
    assert apply(position, SELL, 25, 110.00, ts=2) == usd("100")
    assert position.side is PositionSide.SHORT
    assert position.quantity == -15.0
    assert position.cost_raw == usd("-1650")
    assert position.avg_px == 110.0
    assert position.ts_opened == 2
    # Cover 15 @ 100: (110 - 100) * 15 = 150.00.
    assert apply(position, BUY, 15, 100.00, ts=3) == usd("150")
    assert position.is_flat
    assert position.realized_raw == usd("250")


def test_flip_short_to_long(aapl: Instrument) -> None:
    position = Position(aapl, stubs.STRATEGY_ID)
    apply(position, SELL, 20, 30.00)
    # Buy 30 @ 25: cover 20 for (30 - 25) * 20 = 100.00, open 10 long at 25.
    assert apply(position, BUY, 30, 25.00) == usd("100")
    assert position.side is PositionSide.LONG
    assert position.quantity == 10.0
    assert position.avg_px == 25.0
    assert position.cost_raw == usd("250")
    assert apply(position, SELL, 10, 27.00) == usd("20")
    assert position.realized_raw == usd("120")


def test_partial_close_rounds_the_removed_cost_but_round_trip_is_exact(
    aapl: Instrument,
) -> None:
    position = Position(aapl, stubs.STRATEGY_ID)
    for px in (10.00, 10.01, 10.01):
        apply(position, BUY, 1, px)
    assert position.cost_raw == usd("30.02")  # average 10.00666...
    # Closing 1 of 3 removes 30.02 / 3 = 10.006666666667 (rounded half away from zero).
    first = apply(position, SELL, 1, 11.00)
    assert first == usd("11") - 10_006_666_667
    assert position.cost_raw == usd("30.02") - 10_006_666_667
    second = apply(position, SELL, 2, 11.00)
    assert position.is_flat
    assert first + second == usd("2.98")  # 33.00 - 30.02, to the nano-unit


def test_future_with_multiplier_50(es: Instrument) -> None:
    position = Position(es, stubs.STRATEGY_ID)
    apply(position, BUY, 2, 4500.25)
    assert position.cost_raw == usd("450025")  # 4500.25 * 2 * 50
    assert position.avg_px == 4500.25
    # Sell 1 @ 4510.75: (4510.75 - 4500.25) * 1 * 50 = 525.00.
    assert apply(position, SELL, 1, 4510.75) == usd("525")
    assert position.quantity == 1.0
    # Mark 4490.00: (4490 - 4500.25) * 50 = -512.50.
    assert position.unrealized_raw(4490.0) == usd("-512.50")
    assert position.market_value_raw(4490.0) == usd("224500")
    # Flip: sell 3 @ 4480.50 closes 1 for (4480.5 - 4500.25) * 50 = -987.50, 2 short.
    assert apply(position, SELL, 3, 4480.50) == usd("-987.50")
    assert position.quantity == -2.0
    assert position.avg_px == 4480.5
    # Short 2 at 4480.50 marked 4470.00: (4480.5 - 4470) * 2 * 50 = 1,050.00.
    assert position.unrealized_raw(4470.0) == usd("1050")
    assert position.realized_raw == usd("-462.50")


def test_crypto_with_size_precision_6_matches_exact_fractions(btc: Instrument) -> None:
    position = Position(btc, stubs.STRATEGY_ID)
    apply(position, BUY, 0.123456, 43210.55)
    apply(position, BUY, 0.000789, 43999.99)
    cost = Fraction("0.123456") * Fraction("43210.55") + Fraction("0.000789") * Fraction("43999.99")
    assert position.cost_raw == cost * NANO  # exact: 8 decimals fit in nano-units
    assert position.quantity == 0.124245
    assert position.quantity_raw == 124_245
    assert position.avg_px == pytest.approx(float(cost / Fraction("0.124245")), rel=1e-12)

    realized = apply(position, SELL, 0.1, 45000.00)
    exact = (Fraction("45000") - cost / Fraction("0.124245")) * Fraction("0.1")
    assert abs(realized - exact * NANO) <= Fraction(1, 2)  # one rounding of the removed cost
    assert position.quantity_raw == 24_245

    rest = apply(position, SELL, 0.024245, 44000.00)
    assert position.is_flat
    proceeds = Fraction("0.1") * 45000 + Fraction("0.024245") * 44000
    assert realized + rest == (proceeds - cost) * NANO  # exact over the round trip


def test_notional_raw_rounds_price_to_the_instrument_precision(aapl: Instrument) -> None:
    position = Position(aapl, stubs.STRATEGY_ID)
    assert position.notional_raw(3, 100.004) == usd("300")
    assert position.notional_raw(3, 100.006) == usd("300.03")
    assert position.notional_raw(-2, 10.00) == usd("-20")


def test_two_positions_are_independent(aapl: Instrument) -> None:
    first, second = Position(aapl, stubs.STRATEGY_ID), Position(aapl, stubs.STRATEGY_ID)
    apply(first, BUY, 5, 10.0)
    assert second.is_flat
    assert "qty=5.0" in repr(first)
    assert "avg_px=10.0" in repr(first)
