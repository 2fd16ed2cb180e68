"""Hedge recommendations: a beta hedge with an index instrument (betas by regression of returns)
and a delta hedge of an options book in its underlying, with the Black-Scholes-Merton price,
greeks and implied volatility they rest on.

A recommendation is a signed quantity of the hedge instrument (positive buys), rounded to the
nearest lot, with the exposure before and after it; turning it into an order is the caller's
business (it then passes the risk gate like any other order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import expected
from midfreq.model.enums import OptionRight, OrderSide
from midfreq.model.instruments import Option
from midfreq.risk.analytics import _checks as checks
from midfreq.risk.analytics._checks import FloatArray
from midfreq.risk.analytics.sizing import round_to_lot

__all__ = [
    "NANOS_PER_YEAR",
    "HedgeRecommendation",
    "OptionGreeks",
    "OptionHolding",
    "PortfolioGreeks",
    "beta_hedge",
    "betas",
    "black_scholes",
    "delta_hedge",
    "implied_volatility",
    "portfolio_greeks",
    "year_fraction",
]

NANOS_PER_YEAR = 365 * 86_400 * 1_000_000_000
"""Nanoseconds in the year of `year_fraction` (ACT/365 fixed)."""

_SQRT_2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / _SQRT_2)


def _pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / _SQRT_2PI


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionGreeks:
    """Black-Scholes-Merton value and sensitivities of one option on one unit of underlying.

    Attributes
    ----------
    price : float
    delta : float
        dV/dS.
    gamma : float
        d2V/dS2.
    vega : float
        dV/dsigma per 1.00 of volatility (divide by 100 for one vol point).
    theta : float
        dV/dt per year as calendar time passes (divide by 365 for one day); usually negative.
    rho : float
        dV/dr per 1.00 of rate.
    """

    price: float
    delta: float
    gamma: float
    vega: float
    theta: float
    rho: float


def black_scholes(
    spot: float,
    strike: float,
    time_to_expiry: float,
    volatility: float,
    rate: float = 0.0,
    dividend_yield: float = 0.0,
    right: OptionRight = OptionRight.CALL,
) -> OptionGreeks:
    """Return the Black-Scholes-Merton price and greeks of a European option.

    ``d1 = (ln(S/K) + (r - q + sigma^2/2) T) / (sigma sqrt(T))``, ``d2 = d1 - sigma sqrt(T)``;
    call ``S e^{-qT} N(d1) - K e^{-rT} N(d2)``, put ``K e^{-rT} N(-d2) - S e^{-qT} N(-d1)``.
    At expiry (``time_to_expiry == 0``) the price is the intrinsic value, delta is 1 (-1) for
    a call (put) in the money and 0 otherwise, the other greeks 0.

    Parameters
    ----------
    spot, strike : float
        Positive prices.
    time_to_expiry : float
        Years, >= 0 (see `year_fraction`).
    volatility : float
        Annualised, > 0.
    rate, dividend_yield : float
        Continuously compounded, annualised.
    right : OptionRight

    Examples
    --------
    >>> round(black_scholes(100.0, 100.0, 1.0, 0.2, rate=0.05).price, 4)
    10.4506
    >>> round(black_scholes(100.0, 100.0, 1.0, 0.2, 0.05, right=OptionRight.PUT).price, 4)
    5.5735
    """
    checks.positive("spot", spot)
    checks.positive("strike", strike)
    if not math.isfinite(time_to_expiry) or time_to_expiry < 0:
        raise expected("time_to_expiry", time_to_expiry, "years >= 0")
    call = right is OptionRight.CALL
    if time_to_expiry == 0:
        intrinsic = max(spot - strike, 0.0) if call else max(strike - spot, 0.0)
        delta = (1.0 if spot > strike else 0.0) if call else (-1.0 if spot < strike else 0.0)
        return OptionGreeks(price=intrinsic, delta=delta, gamma=0.0, vega=0.0, theta=0.0, rho=0.0)
    checks.positive("volatility", volatility)
    root = math.sqrt(time_to_expiry)
    spot_discount = math.exp(-dividend_yield * time_to_expiry)
    strike_discount = math.exp(-rate * time_to_expiry)
    d1 = (
        math.log(spot / strike) + (rate - dividend_yield + 0.5 * volatility**2) * time_to_expiry
    ) / (volatility * root)
    d2 = d1 - volatility * root
    density = _pdf(d1)
    gamma = spot_discount * density / (spot * volatility * root)
    vega = spot * spot_discount * density * root
    decay = -spot * spot_discount * density * volatility / (2.0 * root)
    if call:
        price = spot * spot_discount * _cdf(d1) - strike * strike_discount * _cdf(d2)
        delta = spot_discount * _cdf(d1)
        theta = (
            decay
            - rate * strike * strike_discount * _cdf(d2)
            + dividend_yield * spot * spot_discount * _cdf(d1)
        )
        rho = strike * time_to_expiry * strike_discount * _cdf(d2)
    else:
        price = strike * strike_discount * _cdf(-d2) - spot * spot_discount * _cdf(-d1)
        delta = -spot_discount * _cdf(-d1)
        theta = (
            decay
            + rate * strike * strike_discount * _cdf(-d2)
            - dividend_yield * spot * spot_discount * _cdf(-d1)
        )
        rho = -strike * time_to_expiry * strike_discount * _cdf(-d2)
    return OptionGreeks(price=price, delta=delta, gamma=gamma, vega=vega, theta=theta, rho=rho)


def implied_volatility(
    price: float,
    spot: float,
    strike: float,
    time_to_expiry: float,
    rate: float = 0.0,
    dividend_yield: float = 0.0,
    right: OptionRight = OptionRight.CALL,
) -> float:
    """Return the volatility at which `black_scholes` gives ``price`` (Brent's method on
    [1e-6, 10]).

    Raises
    ------
    ValueError
        If ``price`` is outside the no-arbitrage bounds, so that no volatility fits.
    """
    checks.positive("time_to_expiry", time_to_expiry)
    forward_spot = spot * math.exp(-dividend_yield * time_to_expiry)
    discounted_strike = strike * math.exp(-rate * time_to_expiry)
    if right is OptionRight.CALL:
        low, high = max(forward_spot - discounted_strike, 0.0), forward_spot
    else:
        low, high = max(discounted_strike - forward_spot, 0.0), discounted_strike
    lowest = black_scholes(spot, strike, time_to_expiry, 1e-6, rate, dividend_yield, right).price
    highest = black_scholes(spot, strike, time_to_expiry, 10.0, rate, dividend_yield, right).price
    if not (max(low, lowest) <= price <= min(high, highest)):
        raise expected("price", price, f"an option price within ({low:.6g}, {high:.6g})")

    from scipy.optimize import brentq  # slow import: lazy

    def error(volatility: float) -> float:
        greeks = black_scholes(
            spot, strike, time_to_expiry, volatility, rate, dividend_yield, right
        )
        return greeks.price - price

    return float(brentq(error, 1e-6, 10.0, xtol=1e-12, rtol=1e-12, maxiter=200))


def year_fraction(now_ns: int, expiry_ns: int) -> float:
    """Return the years from ``now_ns`` to ``expiry_ns`` (ACT/365 fixed), 0 once expired."""
    return max(expiry_ns - now_ns, 0) / NANOS_PER_YEAR


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionHolding:
    """A position in one option, with what the greeks need.

    ``quantity`` is signed, in contracts; ``multiplier`` units of underlying per contract.
    """

    quantity: float
    strike: float
    time_to_expiry: float
    volatility: float
    right: OptionRight
    multiplier: float = 100.0
    underlying: str = ""

    @classmethod
    def from_instrument(
        cls, option: Option, quantity: float, volatility: float, now_ns: int
    ) -> OptionHolding:
        """Build a holding from an ``Option`` instrument at clock time ``now_ns``."""
        return cls(
            quantity=quantity,
            strike=option.strike,
            time_to_expiry=year_fraction(now_ns, option.expiry_ns),
            volatility=volatility,
            right=option.right,
            multiplier=float(option.multiplier),
            underlying=str(option.underlying),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioGreeks:
    """Greeks of an options book on one underlying, in position terms.

    ``delta`` is in units of underlying (shares), ``gamma`` the change of that delta per 1.00
    move of the underlying, ``vega`` money per 1.00 of volatility, ``theta`` money per year.
    """

    value: float
    delta: float
    gamma: float
    vega: float
    theta: float
    spot: float

    @property
    def dollar_delta(self) -> float:
        """Delta times spot: the underlying exposure in money."""
        return self.delta * self.spot


def portfolio_greeks(
    options: Sequence[OptionHolding],
    spot: float,
    rate: float = 0.0,
    dividend_yield: float = 0.0,
) -> PortfolioGreeks:
    """Return the summed greeks of options on one underlying priced at ``spot``."""
    value = delta = gamma = vega = theta = 0.0
    for option in options:
        greeks = black_scholes(
            spot,
            option.strike,
            option.time_to_expiry,
            option.volatility,
            rate,
            dividend_yield,
            option.right,
        )
        units = option.quantity * option.multiplier
        value += units * greeks.price
        delta += units * greeks.delta
        gamma += units * greeks.gamma
        vega += units * greeks.vega
        theta += units * greeks.theta
    return PortfolioGreeks(value=value, delta=delta, gamma=gamma, vega=vega, theta=theta, spot=spot)


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgeRecommendation:
    """A trade in a hedge instrument and the exposure it leaves.

    Attributes
    ----------
    quantity : float
        Signed quantity to trade, rounded to the lot (positive buys, 0 for no trade).
    unrounded_quantity : float
        The exact quantity that would flatten the exposure.
    exposure_before, exposure_after : float
        The exposure hedged (beta-weighted value, or dollar delta), before and after the trade.
    instrument_id : str, optional
        The hedge instrument, when given.
    """

    quantity: float
    unrounded_quantity: float
    exposure_before: float
    exposure_after: float
    instrument_id: str | None = None

    @property
    def side(self) -> OrderSide | None:
        """BUY or SELL, or None when there is nothing to trade."""
        if self.quantity == 0:
            return None
        return OrderSide.BUY if self.quantity > 0 else OrderSide.SELL

    @property
    def order_quantity(self) -> float:
        """The unsigned quantity of the order that implements the hedge."""
        return abs(self.quantity)


def delta_hedge(
    options: Sequence[OptionHolding],
    spot: float,
    rate: float = 0.0,
    dividend_yield: float = 0.0,
    *,
    underlying_quantity: float = 0.0,
    underlying_multiplier: float = 1.0,
    lot_size: float = 1.0,
    instrument_id: str | None = None,
) -> HedgeRecommendation:
    """Recommend the trade in the underlying that makes an options book delta-neutral.

    Book delta (units of underlying) is ``sum(quantity x multiplier x delta)`` plus the
    ``underlying_quantity x underlying_multiplier`` already held; the hedge is
    ``-delta / underlying_multiplier`` rounded to the nearest lot. Exposures are dollar deltas.
    Call once per underlying.

    Examples
    --------
    >>> book = [OptionHolding(quantity=10, strike=100.0, time_to_expiry=1.0, volatility=0.2,
    ...                       right=OptionRight.CALL)]
    >>> hedge = delta_hedge(book, spot=100.0, rate=0.05)
    >>> hedge.quantity, hedge.side.value
    (-637.0, 'SELL')
    """
    checks.positive("underlying_multiplier", underlying_multiplier)
    greeks = portfolio_greeks(options, spot, rate, dividend_yield)
    delta = greeks.delta + underlying_quantity * underlying_multiplier
    unrounded = -delta / underlying_multiplier
    quantity = round_to_lot(unrounded, lot_size)
    return HedgeRecommendation(
        quantity=quantity,
        unrounded_quantity=unrounded,
        exposure_before=delta * spot,
        exposure_after=(delta + quantity * underlying_multiplier) * spot,
        instrument_id=instrument_id,
    )


def betas(
    returns: npt.ArrayLike,
    index_returns: npt.ArrayLike,
    *,
    min_periods: int = 2,
) -> FloatArray:
    """Return each instrument's beta to the index: the OLS slope of its returns on the index's
    (with intercept), ``cov(r_i, m) / var(m)`` over the periods where both are present.

    NaN where fewer than ``min_periods`` such periods exist or the index does not move.
    """
    array = checks.matrix("returns", returns)
    market = np.asarray(index_returns, dtype=np.float64)
    if market.shape != (array.shape[0],):
        raise expected("index_returns", f"shape {market.shape}", f"({array.shape[0]},)")
    if isinstance(min_periods, bool) or not isinstance(min_periods, int) or min_periods < 2:
        raise expected("min_periods", min_periods, "a whole number >= 2")
    mask = (~np.isnan(array) & ~np.isnan(market)[:, None]).astype(np.float64)
    x = np.where(mask > 0, market[:, None], 0.0)
    y = np.where(mask > 0, array, 0.0)
    count = mask.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        centered_x = (x - x.sum(axis=0) / count) * mask
        centered_y = (y - y.sum(axis=0) / count) * mask
        variance = (centered_x * centered_x).sum(axis=0)
        result: FloatArray = (centered_x * centered_y).sum(axis=0) / variance
    scale = np.maximum((x * x).sum(axis=0), 1e-300)
    result[(count < min_periods) | ~(variance > 1e-14 * scale)] = np.nan
    return result


def beta_hedge(
    values: npt.ArrayLike,
    beta: npt.ArrayLike,
    index_price: float,
    *,
    index_multiplier: float = 1.0,
    lot_size: float = 1.0,
    instrument_id: str | None = None,
) -> HedgeRecommendation:
    """Recommend the trade in an index instrument that makes the book beta-neutral.

    ``quantity = -sum(beta_i x value_i) / (index_price x index_multiplier)``, rounded to the
    nearest lot; exposures are beta-weighted values (the index's beta is 1).

    Examples
    --------
    >>> hedge = beta_hedge([500_000.0, 300_000.0], [1.2, 0.8], 5000.0, index_multiplier=50)
    >>> hedge.quantity, round(hedge.unrounded_quantity, 3), hedge.exposure_after
    (-3.0, -3.36, 90000.0)
    """
    value = checks.vector("values", values)
    weights = checks.vector("beta", beta, value.shape[0])
    checks.positive("index_price", index_price)
    checks.positive("index_multiplier", index_multiplier)
    exposure = float(weights @ value)
    contract = index_price * index_multiplier
    unrounded = -exposure / contract
    quantity = round_to_lot(unrounded, lot_size)
    return HedgeRecommendation(
        quantity=quantity,
        unrounded_quantity=unrounded,
        exposure_before=exposure,
        exposure_after=exposure + quantity * contract,
        instrument_id=instrument_id,
    )
