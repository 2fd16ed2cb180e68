"""The simulation's named models on their own: fees, slippage, latency and the intra-bar path,
with hand-computed figures."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from midfreq.cache import Cache
from midfreq.core.clock import SimulatedClock
from midfreq.model.enums import OrderSide
from midfreq.model.identifiers import InstrumentId
from midfreq.model.instruments import Future, equity
from midfreq.simulation.config import FeeConfig, SimulatedVenueConfig
from midfreq.simulation.models import (
    BarFillModel,
    BasisPointsFee,
    ConstantLatency,
    FixedBpsSlippage,
    NoFee,
    PerContractFee,
    PerShareFee,
)

STOCK = equity("AAA")
ES = Future(
    id=InstrumentId("ES.SIM"),
    underlying="ES",
    expiry_ns=0,
    tick_size=0.25,
    price_precision=2,
    multiplier=50,
)


@pytest.mark.parametrize(
    ("model", "instrument", "quantity", "price", "expected"),
    [
        (PerShareFee(0.005), STOCK, 300, 10.0, 1.50),
        (PerShareFee(0.005, minimum=1.0), STOCK, 100, 10.0, 1.00),  # 0.50 below the minimum
        (PerShareFee(0.005, minimum=1.0), STOCK, 1_000, 10.0, 5.00),
        # 10,000 x 0.005 = 50.00, capped at 1% of 10,000 x 0.20 = 20.00
        (PerShareFee(0.005, minimum=1.0, maximum_fraction=0.01), STOCK, 10_000, 0.20, 20.00),
        (PerShareFee(0.0035), STOCK, 333, 10.0, 1.17),  # 1.1655 rounded to the cent
        (PerContractFee(2.25), ES, 3, 4_000.0, 6.75),
        (PerContractFee(0.5, minimum=1.0), ES, 1, 4_000.0, 1.00),
        # bps of notional; the future's notional includes its multiplier: 2 x 4,000 x 50
        (BasisPointsFee(1.0), ES, 2, 4_000.0, 40.00),
        (BasisPointsFee(10.0), STOCK, 300, 10.30, 3.09),
        (BasisPointsFee(10.0, minimum=5.0), STOCK, 100, 10.0, 5.00),
        (NoFee(), STOCK, 100, 10.0, 0.0),
    ],
)
def test_fee_models(model, instrument, quantity, price, expected):
    assert model.commission(instrument, quantity, price) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("fees", "expected_type"),
    [
        ({"model": "per_share", "rate": 0.01}, PerShareFee),
        ({"model": "per_contract", "rate": 1.0}, PerContractFee),
        ({"model": "bps", "rate": 2.0}, BasisPointsFee),
        ({}, NoFee),
    ],
)
def test_fee_config_builds_the_named_model(fees, expected_type):
    assert isinstance(FeeConfig(**fees).build(), expected_type)


@pytest.mark.parametrize(
    ("bps", "side", "price", "expected"),
    [
        (10, OrderSide.BUY, 25.00, 25.03),  # 25.025 rounded up
        (10, OrderSide.SELL, 25.00, 24.97),  # 24.975 rounded down
        (10, OrderSide.BUY, 10.00, 10.01),  # exactly 10.01: stays
        (10, OrderSide.SELL, 10.00, 9.99),
        (1, OrderSide.BUY, 10.00, 10.01),  # 10.001: less than a tick still costs a tick
        (1, OrderSide.SELL, 10.00, 9.99),
        (0, OrderSide.BUY, 10.00, 10.00),
    ],
)
def test_fixed_bps_slippage_rounds_away_from_the_trader(bps, side, price, expected):
    assert FixedBpsSlippage(bps).apply(STOCK, side, price) == pytest.approx(expected, abs=1e-12)


def test_fixed_bps_slippage_on_a_quarter_tick_future():
    # 4,000 x 1.0001 = 4,000.40 -> up to 4,000.50; 4,000 x 0.9999 = 3,999.60 -> down to 3,999.50
    slippage = FixedBpsSlippage(1)
    assert slippage.apply(ES, OrderSide.BUY, 4_000.0) == 4_000.50
    assert slippage.apply(ES, OrderSide.SELL, 4_000.0) == 3_999.50


@pytest.mark.parametrize(
    ("bar", "path"),
    [
        ((10.0, 10.2, 9.5, 9.6), (10.0, 10.2, 9.5, 9.6)),  # high nearer: high first
        ((9.8, 10.2, 9.5, 10.1), (9.8, 9.5, 10.2, 10.1)),  # low nearer: low first
        ((10.0, 10.3, 9.7, 10.1), (10.0, 10.3, 9.7, 10.1)),  # equally far: high first
    ],
)
def test_bar_path_visits_the_nearer_extreme_first(bar, path):
    assert BarFillModel.path(*bar) == path


def test_latency_and_venue_config_describe_their_assumptions():
    assert ConstantLatency(2_500_000).delay_ns() == 2_500_000
    config = SimulatedVenueConfig(
        market_fill="close",
        max_volume_participation=0.25,
        slippage_bps=3,
        latency_ms=2.5,
        day_timezone="America/New_York",
        fees=FeeConfig(model="per_share", rate=0.005, minimum=1.0),
    )
    venue = config.build(Cache(), SimulatedClock(0))

    assert venue.latency.delay_ns() == 2_500_000
    assert venue.describe() == {
        "venue": "SIM",
        "bar_fill": {"name": "bar_path", "market_fill": "close", "max_volume_participation": 0.25},
        "quote_fill": {"name": "top_of_book", "queue_position": False},
        "fees": {"name": "per_share", "rate": 0.005, "minimum": 1.0, "maximum_fraction": None},
        "slippage": {"name": "fixed_bps", "bps": 3},
        "latency": {"name": "constant", "milliseconds": 2.5},
        "day_timezone": "America/New_York",
    }


def test_venue_config_rejects_an_unknown_time_zone():
    with pytest.raises(ValidationError, match="IANA time zone"):
        SimulatedVenueConfig(day_timezone="America/Gotham")
