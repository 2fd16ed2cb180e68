"""Volatility-adjusted position sizing: helpers a strategy calls to turn capital and a volatility
target into a quantity (per position), or to scale a whole book to a portfolio volatility
target, with quantities rounded to the lot.

Volatilities are annualised: forecasts from daily data are multiplied by
``sqrt(periods_per_year)`` (252 by default), and the target is a yearly figure such as 0.10.
The scale factor is ``target / forecast``; quantities are rounded toward zero, never up, so a
size never exceeds its target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import expected
from midfreq.risk.analytics import _checks as checks
from midfreq.risk.analytics._checks import FloatArray
from midfreq.risk.analytics.covariance import RISKMETRICS_DECAY
from midfreq.risk.analytics.returns import returns_from_prices

__all__ = [
    "TRADING_DAYS_PER_YEAR",
    "PortfolioScaling",
    "PositionSize",
    "VolatilityEstimator",
    "forecast_volatility",
    "portfolio_volatility",
    "round_to_lot",
    "scale_to_target_volatility",
    "size_from_prices",
    "volatility_scale",
    "volatility_target_quantity",
]

TRADING_DAYS_PER_YEAR = 252


class VolatilityEstimator(StrEnum):
    """How `forecast_volatility` estimates volatility from returns."""

    EWMA = "EWMA"  # zero-mean exponentially weighted (RiskMetrics), reacts to recent moves
    SAMPLE = "SAMPLE"  # standard deviation (ddof 1) of the trailing window


def round_to_lot(quantity: float, lot_size: float = 1.0, *, toward_zero: bool = False) -> float:
    """Return ``quantity`` as a whole number of lots: the nearest (halves away from zero), or
    toward zero with ``toward_zero``. The sign is kept.

    Examples
    --------
    >>> round_to_lot(-636.83), round_to_lot(12.5), round_to_lot(0.37, 0.1, toward_zero=True)
    (-637.0, 13.0, 0.3)
    """
    checks.positive("lot_size", lot_size)
    if not math.isfinite(quantity):
        raise expected("quantity", quantity, "a finite number")
    lots = round(abs(quantity) / lot_size, 9)  # 0.3 / 0.1 is 2.9999999999999996
    whole = math.floor(lots) if toward_zero else math.floor(lots + 0.5)
    result = round(math.copysign(whole * lot_size, quantity), 10)
    return result + 0.0  # no -0.0


def volatility_scale(
    target_volatility: float, forecast_volatility: float, *, max_scale: float | None = None
) -> float:
    """Return ``target / forecast``, capped at ``max_scale`` when given.

    Examples
    --------
    >>> volatility_scale(0.10, 0.25), volatility_scale(0.10, 0.02, max_scale=2.0)
    (0.4, 2.0)
    """
    checks.positive("target_volatility", target_volatility)
    checks.positive("forecast_volatility", forecast_volatility)
    scale = target_volatility / forecast_volatility
    if max_scale is not None:
        scale = min(scale, checks.positive("max_scale", max_scale))
    return scale


def volatility_target_quantity(
    capital: float,
    target_volatility: float,
    forecast_volatility: float,
    price: float,
    *,
    multiplier: float = 1.0,
    lot_size: float = 1.0,
    max_leverage: float | None = None,
) -> float:
    """Return the quantity whose volatility is ``target_volatility`` of ``capital``.

    Notional ``capital x target / forecast`` (at most ``capital x max_leverage``), divided by
    ``price x multiplier`` and rounded toward zero to the lot. Unsigned: the strategy picks
    the side.

    Examples
    --------
    >>> volatility_target_quantity(1_000_000.0, 0.10, 0.25, 50.0)  # 400,000 of notional
    8000.0
    >>> volatility_target_quantity(1_000_000.0, 0.10, 0.16, 5000.0, multiplier=50)
    2.0
    """
    checks.positive("capital", capital)
    checks.positive("price", price)
    checks.positive("multiplier", multiplier)
    notional = capital * volatility_scale(target_volatility, forecast_volatility)
    if max_leverage is not None:
        notional = min(notional, capital * checks.positive("max_leverage", max_leverage))
    return round_to_lot(notional / (price * multiplier), lot_size, toward_zero=True)


def forecast_volatility(
    prices: npt.ArrayLike,
    *,
    estimator: VolatilityEstimator = VolatilityEstimator.EWMA,
    decay_factor: float = RISKMETRICS_DECAY,
    window: int | None = None,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    min_returns: int = 20,
) -> float:
    """Return the annualised volatility forecast from a price history (oldest first).

    Simple returns of consecutive prices; ``EWMA`` weights them by ``decay_factor`` (zero
    mean), ``SAMPLE`` takes the standard deviation of the last ``window`` returns (all by
    default). Missing prices (NaN) drop the returns into and out of them.

    Raises
    ------
    ValueError
        With fewer than ``min_returns`` usable returns.
    """
    array = np.asarray(prices, dtype=np.float64)
    if array.ndim != 1:
        raise expected("prices", f"shape {array.shape}", "a 1-D price series")
    returns = returns_from_prices(array)[:, 0]
    if window is not None:
        if window < 2:
            raise expected("window", window, "a whole number of returns >= 2")
        returns = returns[-window:]
    returns = returns[~np.isnan(returns)]
    if returns.shape[0] < max(min_returns, 2):
        raise expected(
            "prices", f"{returns.shape[0]} usable returns", f"at least {max(min_returns, 2)}"
        )
    if estimator is VolatilityEstimator.SAMPLE:
        per_period = float(returns.std(ddof=1))
    else:
        lam = checks.decay(decay_factor)
        weights = lam ** np.arange(returns.shape[0] - 1, -1, -1, dtype=np.float64)
        per_period = math.sqrt(float(weights @ (returns * returns)) / float(weights.sum()))
    return per_period * math.sqrt(checks.positive("periods_per_year", periods_per_year))


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionSize:
    """A volatility-targeted size and how it was reached."""

    quantity: float
    forecast_volatility: float
    scale: float
    notional: float


def size_from_prices(
    prices: npt.ArrayLike,
    capital: float,
    target_volatility: float,
    *,
    multiplier: float = 1.0,
    lot_size: float = 1.0,
    max_leverage: float | None = None,
    estimator: VolatilityEstimator = VolatilityEstimator.EWMA,
    decay_factor: float = RISKMETRICS_DECAY,
    window: int | None = None,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> PositionSize:
    """Return the volatility-targeted quantity for the last price of a history: the
    `forecast_volatility` of ``prices``, then `volatility_target_quantity` at the last price."""
    forecast = forecast_volatility(
        prices,
        estimator=estimator,
        decay_factor=decay_factor,
        window=window,
        periods_per_year=periods_per_year,
    )
    price = float(np.asarray(prices, dtype=np.float64)[-1])
    quantity = volatility_target_quantity(
        capital,
        target_volatility,
        forecast,
        price,
        multiplier=multiplier,
        lot_size=lot_size,
        max_leverage=max_leverage,
    )
    return PositionSize(
        quantity=quantity,
        forecast_volatility=forecast,
        scale=volatility_scale(target_volatility, forecast),
        notional=quantity * price * multiplier,
    )


def portfolio_volatility(
    values: npt.ArrayLike, covariance: npt.ArrayLike, *, periods_per_year: float = 1.0
) -> float:
    """Return ``sqrt(v' S v x periods_per_year)``: the book's volatility in money (annualised
    when ``S`` is per period and ``periods_per_year`` says how many)."""
    value = checks.vector("values", values)
    sigma = checks.covariance_matrix("covariance", covariance, value.shape[0])
    variance = float(value @ sigma @ value)
    if variance < -1e-10 * float(np.abs(value) @ np.abs(sigma) @ np.abs(value)):
        raise expected("covariance", "v' S v < 0", "a positive semi-definite matrix")
    return math.sqrt(max(variance, 0.0) * checks.positive("periods_per_year", periods_per_year))


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class PortfolioScaling:
    """A book scaled to a portfolio volatility target.

    ``quantities`` are the current ones times ``scale``, rounded toward zero to each lot.
    """

    scale: float
    quantities: FloatArray
    forecast_volatility: float
    target_volatility: float


def scale_to_target_volatility(
    quantities: npt.ArrayLike,
    prices: npt.ArrayLike,
    covariance: npt.ArrayLike,
    equity: float,
    target_volatility: float,
    *,
    multipliers: npt.ArrayLike | None = None,
    lot_sizes: npt.ArrayLike | None = None,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    max_scale: float | None = None,
) -> PortfolioScaling:
    """Scale every position by one factor so the book's annualised volatility, as a fraction
    of ``equity``, meets ``target_volatility``.

    Forecast ``sqrt(v' S v x periods_per_year) / equity`` with ``v`` the position values and
    ``S`` the per-period covariance of returns (``periods_per_year=1`` if it is annual); the
    scale is ``target / forecast`` (capped at ``max_scale``).
    """
    quantity = checks.vector("quantities", quantities)
    size = quantity.shape[0]
    price = checks.vector("prices", prices, size)
    multiplier = (
        np.ones(size) if multipliers is None else checks.vector("multipliers", multipliers, size)
    )
    lots = np.ones(size) if lot_sizes is None else checks.vector("lot_sizes", lot_sizes, size)
    checks.positive("equity", equity)
    forecast = (
        portfolio_volatility(
            quantity * price * multiplier, covariance, periods_per_year=periods_per_year
        )
        / equity
    )
    if forecast == 0:
        raise expected("book", "zero forecast volatility", "positions that carry some risk")
    scale = volatility_scale(target_volatility, forecast, max_scale=max_scale)
    scaled = np.array(
        [
            round_to_lot(q * scale, float(lot), toward_zero=True)
            for q, lot in zip(quantity, lots, strict=True)
        ]
    )
    return PortfolioScaling(
        scale=scale,
        quantities=scaled,
        forecast_volatility=forecast,
        target_volatility=target_volatility,
    )
