"""The venue's cost models in a running kernel: maker/taker fees by the fill's liquidity side,
and impact models pricing taker fills (inputs from the previous bar, permanent shift and its
decay), with hand-computed figures."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from midfreq.cache import Cache
from midfreq.core.clock import SimulatedClock
from midfreq.execution.impact import SquareRootImpact
from midfreq.model.enums import LiquiditySide, OrderSide, OrderType
from midfreq.model.instruments import equity
from midfreq.simulation.config import FeeConfig, ImpactConfig, SimulatedVenueConfig
from midfreq.simulation.models import ImpactSlippage, MakerTakerFee, round_away_from_trader

BUY, SELL = OrderSide.BUY, OrderSide.SELL
STOCK = equity("AAA")


@pytest.mark.parametrize(
    ("fee", "side", "quantity", "price", "expected"),
    [
        (MakerTakerFee(maker=-0.002, taker=0.003), LiquiditySide.TAKER, 1_000, 20.0, 3.00),
        (MakerTakerFee(maker=-0.002, taker=0.003), LiquiditySide.MAKER, 1_000, 20.0, -2.00),
        # bps of notional: 500 x 40 = 20,000 -> 0.3 bps = 0.60, -0.2 bps = -0.40
        (MakerTakerFee(maker=-0.2, taker=0.3, unit="bps"), LiquiditySide.TAKER, 500, 40.0, 0.60),
        (MakerTakerFee(maker=-0.2, taker=0.3, unit="bps"), LiquiditySide.MAKER, 500, 40.0, -0.40),
        (MakerTakerFee(maker=0.0, taker=0.0035), LiquiditySide.TAKER, 333, 10.0, 1.17),
    ],
)
def test_maker_taker_fee(fee, side, quantity, price, expected) -> None:
    assert fee.commission(STOCK, quantity, price, side) == pytest.approx(expected, abs=1e-12)


def test_maker_taker_rejects_an_unknown_unit() -> None:
    with pytest.raises(ValueError, match="expected 'per_share' or 'bps'"):
        MakerTakerFee(unit="percent")


def test_venue_charges_takers_and_rebates_makers(make_harness) -> None:
    h = make_harness(
        venue={
            "fees": {"model": "maker_taker", "maker": -0.002, "taker": 0.003},
            "max_volume_participation": 0.1,
        }
    )
    buy = h.send_on_next(h.order(BUY, 150))
    h.bar(0, 10.0, 10.0, 10.0, 10.0)
    h.bar(1, 10.0, 10.1, 9.9, 10.0)  # 100 of 150 (10% of 1,000) at the open
    sell = h.send_on_next(h.order(SELL, 100, order_type=OrderType.LIMIT, price=10.5))
    h.bar(2, 10.0, 10.1, 9.9, 10.0)  # the other 50; the limit arrives
    h.bar(3, 10.2, 10.6, 10.2, 10.5)  # reaches 10.50: the limit fills as a maker
    taker = [(f.last_qty, f.commission, f.liquidity_side) for f in h.fills(buy)]
    assert taker == [(100.0, 0.30, LiquiditySide.TAKER), (50.0, 0.15, LiquiditySide.TAKER)]
    maker = [(f.last_qty, f.last_px, f.commission, f.liquidity_side) for f in h.fills(sell)]
    assert maker == [(100.0, 10.5, -0.20, LiquiditySide.MAKER)]
    # Rebates reach the ledger as negative fees: 0.30 + 0.15 - 0.20.
    assert h.kernel.portfolio.summary()["fees"] == pytest.approx(0.25)
    h.assert_audit_trails_valid()


def test_square_root_fills_use_the_previous_bar_and_leave_a_decaying_shift(make_harness) -> None:
    h = make_harness(
        venue={
            "impact": {
                "model": "square_root",
                "eta": 1.0,
                "gamma": 0.5,
                "permanent_half_life_seconds": 60,
            }
        },
        risk_management={"max_order_quantity": 10_000, "max_notional_per_order": 10_000_000},
    )
    sigma = math.log(101 / 99) / math.sqrt(4 * math.log(2))  # 0.012012 per bar
    buy = h.send_on_next(h.order(BUY, 2_500))
    h.bar(0, 100.0, 101.0, 99.0, 100.0, volume=10_000)
    sell = h.send_on_next(h.order(SELL, 2_500))
    h.bar(1, 100.0, 101.0, 99.0, 100.0, volume=10_000)
    temporary = sigma * math.sqrt(0.25) * 100  # 0.6006 (at 100.0751 it is 0.6010)
    permanent = 0.5 * sigma * 0.25 * 100  # 0.1501
    assert h.fill_prices(buy) == [(2_500.0, 100.61)]  # 100.6006 rounded up
    assert h.venue.impact_offset(h.iid) == pytest.approx(permanent)
    h.bar(2, 100.0, 101.0, 99.0, 100.0, volume=10_000)
    # One minute = one half-life later: 100.0751 - 0.6006 x 1.000751 = 99.4740, rounded down.
    reference = 100 + permanent / 2
    assert reference - temporary * reference / 100 == pytest.approx(99.4740, abs=1e-4)
    assert h.fill_prices(sell) == [(2_500.0, 99.47)]
    # The sell's own permanent shift is scaled by its (shifted) reference price.
    sell_permanent = 0.5 * sigma * 0.25 * (100 + permanent / 2)
    assert h.venue.impact_offset(h.iid) == pytest.approx(permanent / 2 - sell_permanent)
    assert h.venue.impact_offset(h.iid) == pytest.approx(-0.0751854, abs=1e-7)


def test_volume_share_on_bars(make_harness) -> None:
    h = make_harness(
        venue={"impact": {"model": "volume_share", "price_impact": 0.1}},
        risk_management={"max_order_quantity": 10_000},
    )
    buy = h.send_on_next(h.order(BUY, 500))
    h.bar(0, 20.0, 20.0, 20.0, 20.0, volume=2_000)
    h.bar(1, 20.0, 20.0, 20.0, 20.0, volume=2_000)
    # 0.1 x (500 / 2,000)^2 x 20 = 0.125 -> 20.125 rounded up to 20.13
    assert h.fill_prices(buy) == [(500.0, 20.13)]


def test_half_spread_on_bars_and_on_quotes(make_harness) -> None:
    h = make_harness(venue={"impact": {"model": "half_spread", "spread_bps": 10}})
    sell = h.send_on_next(h.order(SELL, 100))
    h.bar(0, 50.0, 50.0, 50.0, 50.0)
    h.bar(1, 50.0, 50.0, 50.0, 50.0)
    assert h.fill_prices(sell) == [(100.0, 49.97)]  # 50 - half of 10 bps (0.025) rounded down
    buy = h.send_on_next(h.order(BUY, 100))
    h.quote(h.ts(2), 49.98, 50.02)
    h.quote(h.ts(3), 49.98, 50.02)
    # Filled at the ask: the half spread is already paid there.
    assert h.fill_prices(buy) == [(100.0, 50.02)]


def test_impact_config_builds_and_describes() -> None:
    config = SimulatedVenueConfig(
        impact=ImpactConfig(model="square_root", eta=0.8, gamma=0.2, volatility=0.001),
        fees=FeeConfig(model="maker_taker", maker=-0.0015, taker=0.003, unit="per_share"),
    )
    venue = config.build(Cache(), SimulatedClock(0))
    assert isinstance(venue.slippage, ImpactSlippage)
    assert venue.slippage.model == SquareRootImpact(0.8, 0.2)
    description = venue.describe()
    assert description["slippage"] == {
        "name": "square_root",
        "eta": 0.8,
        "gamma": 0.2,
        "volatility": 0.001,
        "permanent_half_life_seconds": None,
    }
    assert description["fees"] == {
        "name": "maker_taker",
        "maker": -0.0015,
        "taker": 0.003,
        "unit": "per_share",
    }
    for model in ("fixed_bps", "half_spread", "volume_share", "square_root"):
        assert ImpactConfig(model=model).build_model().describe()["name"] == model


def test_venue_config_takes_one_slippage_setting() -> None:
    with pytest.raises(ValidationError, match="either slippage_bps or impact"):
        SimulatedVenueConfig(slippage_bps=2, impact=ImpactConfig())


@pytest.mark.parametrize(
    ("side", "price", "expected"),
    [(BUY, 10.001, 10.01), (SELL, 10.009, 10.0), (BUY, 10.0, 10.0), (SELL, 10.0, 10.0)],
)
def test_round_away_from_trader(side, price, expected) -> None:
    assert round_away_from_trader(STOCK, side, price) == expected
