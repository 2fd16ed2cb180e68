"""Black-Scholes greeks and hedge recommendations (midfreq.risk.analytics.hedging) against
textbook values (Hull), put-call parity, finite differences and regression libraries."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import statsmodels.api as sm

from midfreq.model.enums import OptionRight, OrderSide
from midfreq.model.identifiers import InstrumentId
from midfreq.model.instruments import Option
from midfreq.risk.analytics import hedging as hedging_module
from midfreq.risk.analytics.hedging import (
    NANOS_PER_YEAR,
    HedgeRecommendation,
    OptionHolding,
    beta_hedge,
    betas,
    black_scholes,
    delta_hedge,
    implied_volatility,
    portfolio_greeks,
    year_fraction,
)

CALL, PUT = OptionRight.CALL, OptionRight.PUT


def test_docstring_examples_run() -> None:
    result = doctest.testmod(hedging_module)
    assert result.attempted > 0
    assert result.failed == 0


# ----------------------------------------------------------------------------- pricing


@pytest.mark.parametrize(
    ("args", "right", "price"),
    [
        ((100.0, 100.0, 1.0, 0.2, 0.05), CALL, 10.4506),  # the standard ATM example
        ((100.0, 100.0, 1.0, 0.2, 0.05), PUT, 5.5735),
        ((42.0, 40.0, 0.5, 0.2, 0.10), CALL, 4.76),  # Hull, Example 15.6
        ((42.0, 40.0, 0.5, 0.2, 0.10), PUT, 0.81),
        ((930.0, 900.0, 2 / 12, 0.2, 0.08, 0.03), CALL, 51.83),  # Hull, index option, q = 3%
        ((49.0, 50.0, 20 / 52, 0.2, 0.05), CALL, 2.40),  # Hull, the greeks chapter
    ],
)
def test_textbook_prices(args: tuple[float, ...], right: OptionRight, price: float) -> None:
    digits = len(str(price).split(".")[1])
    assert round(black_scholes(*args, right=right).price, digits) == price


def test_textbook_greeks() -> None:
    # Hull: S=49, K=50, r=5%, sigma=20%, T=20 weeks: delta 0.522, gamma 0.066, vega 12.1,
    # theta -4.31 per year, rho 8.91.
    greeks = black_scholes(49.0, 50.0, 20 / 52, 0.2, 0.05)
    assert round(greeks.delta, 3) == 0.522
    assert round(greeks.gamma, 3) == 0.066
    assert round(greeks.vega, 1) == 12.1
    assert round(greeks.theta, 2) == -4.31
    assert round(greeks.rho, 2) == 8.91


@pytest.mark.parametrize("spot", [60.0, 95.0, 100.0, 130.0])
@pytest.mark.parametrize("expiry", [0.05, 0.5, 2.0])
@pytest.mark.parametrize(("rate", "dividend"), [(0.0, 0.0), (0.05, 0.0), (0.03, 0.02)])
def test_put_call_parity(spot: float, expiry: float, rate: float, dividend: float) -> None:
    call = black_scholes(spot, 100.0, expiry, 0.3, rate, dividend, CALL)
    put = black_scholes(spot, 100.0, expiry, 0.3, rate, dividend, PUT)
    forward = spot * math.exp(-dividend * expiry) - 100.0 * math.exp(-rate * expiry)
    assert call.price - put.price == pytest.approx(forward, abs=1e-10)
    assert call.delta - put.delta == pytest.approx(math.exp(-dividend * expiry), abs=1e-12)
    assert call.gamma == pytest.approx(put.gamma)
    assert call.vega == pytest.approx(put.vega)


@pytest.mark.parametrize("right", [CALL, PUT])
@pytest.mark.parametrize("spot", [80.0, 100.0, 125.0])
def test_greeks_match_finite_differences(right: OptionRight, spot: float) -> None:
    strike, expiry, vol, rate, dividend = 100.0, 0.75, 0.25, 0.04, 0.015

    def price(s: float = spot, t: float = expiry, v: float = vol, r: float = rate) -> float:
        return black_scholes(s, strike, t, v, r, dividend, right).price

    greeks = black_scholes(spot, strike, expiry, vol, rate, dividend, right)
    h = 1e-3
    assert greeks.price == pytest.approx(price())
    assert greeks.delta == pytest.approx(
        (price(s=spot + h) - price(s=spot - h)) / (2 * h), rel=1e-6
    )
    gamma = (price(s=spot + h) - 2 * price() + price(s=spot - h)) / h**2
    assert greeks.gamma == pytest.approx(gamma, rel=1e-4)
    assert greeks.vega == pytest.approx(
        (price(v=vol + 1e-5) - price(v=vol - 1e-5)) / 2e-5, rel=1e-6
    )
    # theta: value change as calendar time passes, i.e. as time to expiry shrinks
    theta = -(price(t=expiry + 1e-5) - price(t=expiry - 1e-5)) / 2e-5
    assert greeks.theta == pytest.approx(theta, rel=1e-6)
    assert greeks.rho == pytest.approx(
        (price(r=rate + 1e-6) - price(r=rate - 1e-6)) / 2e-6, rel=1e-5
    )


def test_at_expiry_the_option_is_worth_its_intrinsic_value() -> None:
    assert black_scholes(110.0, 100.0, 0.0, 0.2, right=CALL).price == 10.0
    assert black_scholes(110.0, 100.0, 0.0, 0.2, right=CALL).delta == 1.0
    assert black_scholes(110.0, 100.0, 0.0, 0.2, right=PUT).price == 0.0
    assert black_scholes(90.0, 100.0, 0.0, 0.2, right=PUT).delta == -1.0
    assert black_scholes(90.0, 100.0, 0.0, 0.2, right=PUT).gamma == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"spot": 0.0},
        {"strike": -1.0},
        {"time_to_expiry": -0.1},
        {"volatility": 0.0},
    ],
)
def test_black_scholes_rejects_bad_inputs(kwargs: dict[str, float]) -> None:
    args = {"spot": 100.0, "strike": 100.0, "time_to_expiry": 1.0, "volatility": 0.2} | kwargs
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        black_scholes(**args)


@pytest.mark.parametrize("right", [CALL, PUT])
@pytest.mark.parametrize("vol", [0.05, 0.2, 0.8])
def test_implied_volatility_round_trips(right: OptionRight, vol: float) -> None:
    price = black_scholes(100.0, 110.0, 0.5, vol, 0.03, 0.01, right).price
    assert implied_volatility(price, 100.0, 110.0, 0.5, 0.03, 0.01, right) == pytest.approx(
        vol, rel=1e-8
    )


def test_implied_volatility_refuses_arbitrage_prices() -> None:
    with pytest.raises(ValueError, match="price"):
        implied_volatility(0.5, 100.0, 90.0, 0.5)  # a call below intrinsic
    with pytest.raises(ValueError, match="price"):
        implied_volatility(101.0, 100.0, 90.0, 0.5)  # a call above the spot


def test_year_fraction_is_act_365() -> None:
    assert year_fraction(0, NANOS_PER_YEAR // 2) == pytest.approx(0.5)
    assert year_fraction(10, 5) == 0.0


# ------------------------------------------------------------------------------ delta


def _book() -> list[OptionHolding]:
    return [
        OptionHolding(quantity=10, strike=100.0, time_to_expiry=0.5, volatility=0.25, right=CALL),
        OptionHolding(quantity=-4, strike=95.0, time_to_expiry=0.25, volatility=0.3, right=PUT),
    ]


def test_portfolio_greeks_sum_positions() -> None:
    greeks = portfolio_greeks(_book(), 102.0, 0.04)
    call = black_scholes(102.0, 100.0, 0.5, 0.25, 0.04, right=CALL)
    put = black_scholes(102.0, 95.0, 0.25, 0.3, 0.04, right=PUT)
    assert greeks.delta == pytest.approx(1000 * call.delta - 400 * put.delta)
    assert greeks.gamma == pytest.approx(1000 * call.gamma - 400 * put.gamma)
    assert greeks.vega == pytest.approx(1000 * call.vega - 400 * put.vega)
    assert greeks.theta == pytest.approx(1000 * call.theta - 400 * put.theta)
    assert greeks.value == pytest.approx(1000 * call.price - 400 * put.price)
    assert greeks.dollar_delta == pytest.approx(greeks.delta * 102.0)


def test_delta_hedge_flattens_the_book() -> None:
    book = _book()
    hedge = delta_hedge(book, 102.0, 0.04, instrument_id="XYZ.SIM")
    delta = portfolio_greeks(book, 102.0, 0.04).delta
    assert hedge.unrounded_quantity == pytest.approx(-delta)
    assert hedge.quantity == round(-delta)
    assert abs(hedge.exposure_after) <= 0.5 * 102.0  # within half a share
    assert hedge.exposure_before == pytest.approx(delta * 102.0)
    assert hedge.side is OrderSide.SELL and hedge.instrument_id == "XYZ.SIM"

    # the hedged book's value no longer moves to first order (revalued, not from greeks)
    def value(spot: float) -> float:
        return portfolio_greeks(book, spot, 0.04).value + hedge.unrounded_quantity * spot

    assert (value(102.01) - value(101.99)) / 0.02 == pytest.approx(0.0, abs=1e-5)


def test_delta_hedge_counts_shares_held_and_lots() -> None:
    book = _book()
    delta = portfolio_greeks(book, 102.0, 0.04).delta
    already = delta_hedge(book, 102.0, 0.04, underlying_quantity=-500.0)
    assert already.unrounded_quantity == pytest.approx(500.0 - delta)
    in_lots = delta_hedge(book, 102.0, 0.04, lot_size=100.0)
    assert in_lots.quantity == -100.0 * round(delta / 100.0)
    futures = delta_hedge(book, 102.0, 0.04, underlying_multiplier=50.0)
    assert futures.unrounded_quantity == pytest.approx(-delta / 50.0)
    assert futures.exposure_after == pytest.approx((delta + 50.0 * futures.quantity) * 102.0)


def test_long_puts_are_hedged_by_buying() -> None:
    book = [OptionHolding(quantity=5, strike=100.0, time_to_expiry=0.5, volatility=0.2, right=PUT)]
    hedge = delta_hedge(book, 100.0)
    assert hedge.quantity > 0 and hedge.side is OrderSide.BUY
    assert hedge.order_quantity == hedge.quantity


def test_option_holding_from_an_instrument() -> None:
    option = Option(
        id=InstrumentId("XYZ-C100.SIM"),
        underlying=InstrumentId("XYZ.SIM"),
        strike=100.0,
        expiry_ns=3 * NANOS_PER_YEAR // 4,
        right=CALL,
    )
    holding = OptionHolding.from_instrument(option, -2, 0.3, now_ns=NANOS_PER_YEAR // 4)
    assert holding.time_to_expiry == pytest.approx(0.5)
    assert (holding.multiplier, holding.underlying, holding.strike) == (100.0, "XYZ.SIM", 100.0)


# ------------------------------------------------------------------------------- beta


def test_betas_match_ols_per_column_with_gaps() -> None:
    rng = np.random.default_rng(3)
    market = rng.normal(0.0, 0.01, 250)
    true_betas = np.array([0.5, 1.0, 1.6])
    returns = market[:, None] * true_betas + rng.normal(0.0, 0.005, (250, 3))
    returns[:40, 2] = np.nan  # a late listing
    market_with_gap = market.copy()
    market_with_gap[100] = np.nan
    result = betas(returns, market_with_gap)
    for i in range(3):
        rows = ~np.isnan(returns[:, i]) & ~np.isnan(market_with_gap)
        fit = sm.OLS(returns[rows, i], sm.add_constant(market_with_gap[rows])).fit()
        assert result[i] == pytest.approx(fit.params[1], rel=1e-10)
        assert result[i] == pytest.approx(np.polyfit(market[rows], returns[rows, i], 1)[0])
    np.testing.assert_allclose(result, true_betas, atol=0.1)


def test_betas_are_unknown_without_enough_data() -> None:
    market = np.array([0.01, -0.02, 0.015, 0.0])
    returns = np.array([[0.02, np.nan], [-0.03, np.nan], [0.01, np.nan], [0.0, 0.01]])
    result = betas(returns, market, min_periods=3)
    assert not np.isnan(result[0]) and np.isnan(result[1])
    flat_market = betas(returns[:, :1], np.zeros(4))
    assert np.isnan(flat_market[0])
    with pytest.raises(ValueError, match="index_returns"):
        betas(returns, market[:3])


def test_beta_hedge_hand_computed() -> None:
    # beta exposure 1.2 x 500k + 0.8 x 300k - 1.0 x 100k = 740k; an index future of
    # 5,000 x 50 = 250k per contract: -2.96 rounds to -3.
    hedge = beta_hedge(
        [500_000.0, 300_000.0, -100_000.0],
        [1.2, 0.8, 1.0],
        5000.0,
        index_multiplier=50,
        instrument_id="ES.SIM",
    )
    assert hedge.unrounded_quantity == pytest.approx(-2.96)
    assert hedge.quantity == -3.0
    assert hedge.exposure_before == pytest.approx(740_000.0)
    assert hedge.exposure_after == pytest.approx(-10_000.0)
    assert hedge.side is OrderSide.SELL and hedge.order_quantity == 3.0


def test_beta_hedge_of_a_neutral_book_is_no_trade() -> None:
    hedge = beta_hedge([100_000.0, -100_000.0], [1.0, 1.0], 400.0)
    assert hedge.quantity == 0.0 and hedge.side is None
    with pytest.raises(ValueError, match="index_price"):
        beta_hedge([1.0], [1.0], 0.0)
    with pytest.raises(ValueError, match="finite"):
        beta_hedge([1.0], [np.nan], 400.0)


def test_recommendation_is_immutable() -> None:
    hedge = HedgeRecommendation(
        quantity=1.0, unrounded_quantity=1.2, exposure_before=1.0, exposure_after=0.0
    )
    with pytest.raises(AttributeError):
        hedge.quantity = 2.0  # type: ignore[misc]
