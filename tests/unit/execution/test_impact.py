"""Impact and slippage models against hand-computed figures, and their input checks."""

from __future__ import annotations

import math

import pytest

from midfreq.execution.impact import (
    FixedBpsImpact,
    HalfSpreadImpact,
    ImpactEstimate,
    SquareRootImpact,
    VolumeShareImpact,
    range_volatility,
)
from midfreq.model.enums import OrderSide

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def test_fixed_bps_costs_a_share_of_the_price() -> None:
    est = FixedBpsImpact(8).estimate(SELL, 300, 50.0)
    assert est.temporary == pytest.approx(0.04)  # 50 x 8 / 10,000
    assert est.execution_price == pytest.approx(49.96)
    assert est.cost == pytest.approx(12.0)
    assert est.cost_bps == pytest.approx(8.0)
    assert est.permanent == 0.0


def test_half_spread_uses_the_quote_then_the_assumed_spread() -> None:
    assert HalfSpreadImpact().estimate(BUY, 10, 20.0, spread=0.06).execution_price == pytest.approx(
        20.03
    )
    # No quote: 10 bps of 20.00 = 0.02 spread, half of it 0.01.
    assumed = HalfSpreadImpact(spread_bps=10).estimate(SELL, 10, 20.0)
    assert assumed.temporary == pytest.approx(0.01)
    assert assumed.execution_price == pytest.approx(19.99)
    with pytest.raises(ValueError, match="expected a spread"):
        HalfSpreadImpact().estimate(BUY, 10, 20.0)


@pytest.mark.parametrize(
    ("quantity", "volume", "expected"),
    [
        (100, 1_000, 0.1 * 0.01 * 40.0),  # 10% of the volume: 0.04
        (200, 1_000, 0.1 * 0.04 * 40.0),  # twice the participation, four times the cost: 0.16
        (1_000, 1_000, 0.1 * 1.0 * 40.0),  # all of it: 4.00
    ],
)
def test_volume_share_cost_grows_with_the_square_of_participation(quantity, volume, expected):
    est = VolumeShareImpact(0.1).estimate(BUY, quantity, 40.0, volume=volume)
    assert est.temporary == pytest.approx(expected)


def test_square_root_temporary_and_permanent_parts() -> None:
    model = SquareRootImpact(eta=0.5, gamma=0.25)
    est = model.estimate(SELL, 400, 80.0, volatility=0.015, volume=10_000)
    # temporary 0.5 x 0.015 x sqrt(0.04) x 80 = 0.12; permanent 0.25 x 0.015 x 0.04 x 80 = 0.012
    assert est.temporary == pytest.approx(0.12)
    assert est.permanent == pytest.approx(0.012)
    assert est.execution_price == pytest.approx(79.88)
    assert est.cost_bps == pytest.approx(15.0)
    # Four times the quantity: twice the cost per share, four times the permanent shift.
    bigger = model.estimate(SELL, 1_600, 80.0, volatility=0.015, volume=10_000)
    assert bigger.temporary == pytest.approx(2 * est.temporary)
    assert bigger.permanent == pytest.approx(4 * est.permanent)


def test_square_root_temporary_cost_does_not_depend_on_the_period() -> None:
    # Daily sigma 2%, daily volume 1,000,000 vs per-bar figures over 78 five-minute bars.
    model = SquareRootImpact()
    daily = model.estimate(BUY, 5_000, 100.0, volatility=0.02, volume=1_000_000)
    per_bar = model.estimate(
        BUY, 5_000, 100.0, volatility=0.02 / math.sqrt(78), volume=1_000_000 / 78
    )
    assert per_bar.temporary == pytest.approx(daily.temporary)
    assert per_bar.permanent == pytest.approx(daily.permanent * math.sqrt(78))


@pytest.mark.parametrize("volume", [0.0, math.nan, -5.0])
def test_volume_models_need_a_volume(volume) -> None:
    with pytest.raises(ValueError, match="expected a positive volume"):
        SquareRootImpact().estimate(BUY, 1, 10.0, volatility=0.01, volume=volume)
    with pytest.raises(ValueError, match="expected a positive volume"):
        VolumeShareImpact().estimate(BUY, 1, 10.0, volume=volume)


def test_square_root_needs_a_volatility() -> None:
    with pytest.raises(ValueError, match="expected a volatility"):
        SquareRootImpact().estimate(BUY, 1, 10.0, volume=100)


def test_range_volatility_is_parkinsons_estimate() -> None:
    assert range_volatility(110.0, 100.0) == pytest.approx(
        math.log(1.1) / math.sqrt(4 * math.log(2))
    )
    assert range_volatility(100.0, 100.0) == 0.0
    assert math.isnan(range_volatility(1.0, 0.0))


def test_estimate_is_a_plain_value() -> None:
    est = ImpactEstimate(side=BUY, quantity=10, price=100.0, temporary=0.05, permanent=0.01)
    assert (est.execution_price, est.cost, est.cost_bps) == pytest.approx((100.05, 0.5, 5.0))
