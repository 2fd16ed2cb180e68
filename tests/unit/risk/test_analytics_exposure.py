"""Exposures (midfreq.risk.analytics.exposure) and the return helpers
(midfreq.risk.analytics.returns), hand-computed."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

from midfreq.model.enums import AssetClass
from midfreq.model.identifiers import InstrumentId
from midfreq.model.instruments import Future, equity
from midfreq.risk.analytics import exposure as exposure_module
from midfreq.risk.analytics import returns as returns_module
from midfreq.risk.analytics.exposure import (
    UNCLASSIFIED,
    Holding,
    compute_exposures,
    position_values,
)
from midfreq.risk.analytics.returns import ReturnKind, multi_period_returns, returns_from_prices


@pytest.mark.parametrize("module", [exposure_module, returns_module])
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


def _book() -> list[Holding]:
    es = Future(
        id=InstrumentId("ESZ6.CME"),
        underlying="ES",
        expiry_ns=0,
        multiplier=50,
        price_precision=2,
        tick_size=0.25,
    )
    return [
        Holding.from_instrument(equity("AAA"), 1000, 50.0, sector="TECH"),
        Holding.from_instrument(equity("BBB"), -500, 40.0, sector="TECH"),
        Holding.from_instrument(equity("CCC"), 200, 100.0, sector="ENERGY"),
        Holding.from_instrument(es, -2, 5000.0),
        # 10 calls x 100 with delta 0.6 on a 120 underlying: 72,000 delta-adjusted
        Holding(
            instrument_id="AAA-C120.SIM",
            quantity=10,
            price=3.5,
            multiplier=100,
            asset_class="OPTION",
            sector="TECH",
            delta=0.6,
            underlying_price=120.0,
        ),
    ]


def test_totals_and_leverage_hand_computed() -> None:
    report = compute_exposures(_book(), equity=400_000.0)
    # long: 50,000 + 20,000 + 72,000 = 142,000; short: 20,000 + 500,000 = 520,000
    assert report.long == pytest.approx(142_000.0)
    assert report.short == pytest.approx(520_000.0)
    assert report.gross == pytest.approx(662_000.0)
    assert report.net == pytest.approx(-378_000.0)
    assert report.gross_leverage == pytest.approx(1.655)
    assert report.net_leverage == pytest.approx(-0.945)
    assert report.to_dict()["gross_exposure"] == pytest.approx(662_000.0)


def test_breakdowns_hand_computed() -> None:
    report = compute_exposures(_book(), equity=400_000.0)
    assert list(report.by_asset_class) == ["EQUITY", "FUTURE", "OPTION"]
    assert report.by_asset_class["EQUITY"].gross == pytest.approx(90_000.0)
    assert report.by_asset_class["EQUITY"].net == pytest.approx(50_000.0)
    assert report.by_asset_class["FUTURE"].short == pytest.approx(500_000.0)
    assert report.by_asset_class["OPTION"].net == pytest.approx(72_000.0)
    assert report.by_sector["TECH"].net == pytest.approx(50_000.0 - 20_000.0 + 72_000.0)
    assert report.by_sector["TECH"].count == 3
    assert report.by_sector[UNCLASSIFIED].net_leverage == pytest.approx(-1.25)
    assert report.by_instrument["ESZ6.CME"].net == pytest.approx(-500_000.0)
    assert report.by_instrument["AAA.SIM"].gross_leverage == pytest.approx(0.125)


def test_holdings_of_one_instrument_count_on_their_own_sides() -> None:
    report = compute_exposures(
        [
            Holding(instrument_id="AAA.SIM", quantity=100, price=10.0),
            Holding(instrument_id="AAA.SIM", quantity=-60, price=10.0),
        ],
        equity=10_000.0,
    )
    bucket = report.by_instrument["AAA.SIM"]
    assert (bucket.long, bucket.short, bucket.net, bucket.count) == (1000.0, 600.0, 400.0, 2)
    assert report.gross == 1600.0


def test_leverage_is_unknown_without_positive_equity() -> None:
    report = compute_exposures(_book(), equity=-1.0)
    assert math.isnan(report.gross_leverage) and math.isnan(report.net_leverage)
    assert report.gross == pytest.approx(662_000.0)
    empty = compute_exposures([], equity=1.0)
    assert (empty.gross, empty.net, empty.gross_leverage) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="equity"):
        compute_exposures([], equity=math.nan)


def test_holding_from_a_future_takes_multiplier_and_asset_class() -> None:
    holding = _book()[3]
    assert (holding.multiplier, holding.asset_class) == (50.0, AssetClass.FUTURE.value)
    assert holding.value == -500_000.0 == holding.exposure


def test_holding_checks_its_fields() -> None:
    with pytest.raises(ValueError, match="multiplier"):
        Holding(instrument_id="A.SIM", quantity=1, price=1.0, multiplier=0)
    with pytest.raises(ValueError, match="price"):
        Holding(instrument_id="A.SIM", quantity=1, price=-1.0)
    with pytest.raises(ValueError, match="quantity"):
        Holding(instrument_id="A.SIM", quantity=math.nan, price=1.0)
    with pytest.raises(ValueError, match="both given"):
        Holding(instrument_id="A.SIM", quantity=1, price=1.0, delta=0.5)


def test_position_values() -> None:
    assert position_values([3, -2], [10.0, 5000.0], [1, 50]).tolist() == [30.0, -500_000.0]
    assert position_values([3], [10.0]).tolist() == [30.0]
    with pytest.raises(ValueError, match="prices"):
        position_values([3, 4], [10.0])


# ------------------------------------------------------------------------------ returns


def test_returns_from_prices_match_pandas() -> None:
    prices = np.array([[100.0, 20.0], [101.0, np.nan], [99.0, 21.0], [100.5, 22.0]])
    frame = pd.DataFrame(prices)
    np.testing.assert_allclose(
        returns_from_prices(prices),
        (frame / frame.shift(1) - 1).iloc[1:].to_numpy(),
        equal_nan=True,
    )
    np.testing.assert_allclose(
        returns_from_prices(prices, ReturnKind.LOG),
        np.log(frame / frame.shift(1)).iloc[1:].to_numpy(),
        equal_nan=True,
    )
    assert np.isnan(returns_from_prices(prices)[:2, 1]).all()  # into and out of the gap
    with pytest.raises(ValueError, match="positive"):
        returns_from_prices([100.0, 0.0])
    with pytest.raises(ValueError, match="at least 2"):
        returns_from_prices([100.0])


def test_multi_period_returns_compound_and_mark_gaps() -> None:
    rng = np.random.default_rng(0)
    returns = rng.normal(0, 0.02, (30, 2))
    returns[12, 1] = np.nan
    result = multi_period_returns(returns, 4)
    assert result.shape == (27, 2)
    for k in range(27):
        expected = np.prod(1 + returns[k : k + 4], axis=0) - 1
        np.testing.assert_allclose(result[k], expected, rtol=1e-12, equal_nan=True)
    assert np.isnan(result[9:13, 1]).all() and not np.isnan(result[[8, 13], 1]).any()
    np.testing.assert_array_equal(multi_period_returns(returns, 1), returns)
    with pytest.raises(ValueError, match="periods"):
        multi_period_returns(returns, 31)
    with pytest.raises(ValueError, match="-100%"):
        multi_period_returns([[-1.0], [0.1]], 2)
