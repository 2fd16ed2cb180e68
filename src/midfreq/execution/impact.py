"""Market impact and slippage models behind one interface: the simulated venue applies them to
taker fills and a router calls the same `estimate` for pre-trade cost estimates.

Every model answers ``estimate(side, quantity, price, *, volatility, volume, spread)`` with an
`ImpactEstimate`: the temporary cost per share (what this trade pays, in price units) and the
permanent shift it leaves in the price for later trades. Units: ``volatility`` is the standard
deviation of returns as a fraction (0.02 = 2%) over one period, ``volume`` the market volume
over the same period (a bar's, or a day's with a daily sigma), ``spread`` the quoted
ask - bid in price units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from midfreq.model.enums import OrderSide


@dataclass(frozen=True, slots=True, kw_only=True)
class ImpactEstimate:
    """What a trade of ``quantity`` at reference ``price`` is expected to cost.

    Attributes
    ----------
    side, quantity, price : OrderSide, float, float
        The trade and its reference price (mid, touch or bar open before impact).
    temporary : float
        Cost per share in price units (>= 0): buys pay ``price + temporary``.
    permanent : float
        Price shift per share left for later trades (>= 0), in the trade's direction.
    """

    side: OrderSide
    quantity: float
    price: float
    temporary: float
    permanent: float = 0.0

    @property
    def execution_price(self) -> float:
        """Expected average price of the trade (before rounding to a tick)."""
        return self.price + self.side.sign * self.temporary

    @property
    def cost(self) -> float:
        """Expected cost of the whole trade in price units times quantity."""
        return self.temporary * self.quantity

    @property
    def cost_bps(self) -> float:
        """Cost per share in basis points of the reference price."""
        return self.temporary / self.price * 10_000.0


class ImpactModel(Protocol):
    """A slippage or impact model (see the module docstring for units)."""

    def estimate(
        self,
        side: OrderSide,
        quantity: float,
        price: float,
        *,
        volatility: float = math.nan,
        volume: float = math.nan,
        spread: float = math.nan,
    ) -> ImpactEstimate:
        """Return the expected temporary cost and permanent shift of the trade."""
        ...

    def describe(self) -> dict[str, Any]:
        """Name and parameters."""
        ...


def _positive(name: str, value: float, model: str) -> float:
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"{model} impact: expected a positive {name}, was {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class FixedBpsImpact:
    """Every share costs ``bps`` basis points of the price.

    Examples
    --------
    >>> FixedBpsImpact(5).estimate(OrderSide.BUY, 100, 20.0).execution_price
    20.01
    """

    bps: float = 0.0

    def estimate(
        self,
        side: OrderSide,
        quantity: float,
        price: float,
        *,
        volatility: float = math.nan,
        volume: float = math.nan,
        spread: float = math.nan,
    ) -> ImpactEstimate:
        return ImpactEstimate(
            side=side, quantity=quantity, price=price, temporary=price * self.bps / 10_000.0
        )

    def describe(self) -> dict[str, Any]:
        return {"name": "fixed_bps", "bps": self.bps}


@dataclass(frozen=True, slots=True)
class HalfSpreadImpact:
    """Taking liquidity costs half the quoted spread (buy at the ask, sell at the bid, from the
    mid). Bars carry no spread: ``spread_bps`` is then the assumed spread (of the price).

    Examples
    --------
    >>> HalfSpreadImpact().estimate(OrderSide.SELL, 100, 20.0, spread=0.04).execution_price
    19.98
    """

    spread_bps: float | None = None

    def estimate(
        self,
        side: OrderSide,
        quantity: float,
        price: float,
        *,
        volatility: float = math.nan,
        volume: float = math.nan,
        spread: float = math.nan,
    ) -> ImpactEstimate:
        if not math.isfinite(spread):
            if self.spread_bps is None:
                raise ValueError(
                    "half_spread impact: expected a spread (a quote) or spread_bps, was neither"
                )
            spread = price * self.spread_bps / 10_000.0
        return ImpactEstimate(side=side, quantity=quantity, price=price, temporary=spread / 2.0)

    def describe(self) -> dict[str, Any]:
        return {"name": "half_spread", "spread_bps": self.spread_bps}


@dataclass(frozen=True, slots=True)
class VolumeShareImpact:
    """The price moves with the square of participation (zipline's ``VolumeShareSlippage``):
    cost per share = ``price_impact * (quantity / volume)**2 * price``.

    Examples
    --------
    >>> est = VolumeShareImpact(0.1).estimate(OrderSide.BUY, 250, 40.0, volume=1_000)
    >>> round(est.temporary, 6)  # 0.1 x 0.25**2 x 40
    0.25
    """

    price_impact: float = 0.1

    def estimate(
        self,
        side: OrderSide,
        quantity: float,
        price: float,
        *,
        volatility: float = math.nan,
        volume: float = math.nan,
        spread: float = math.nan,
    ) -> ImpactEstimate:
        share = quantity / _positive("volume", volume, "volume_share")
        temporary = self.price_impact * share * share * price
        return ImpactEstimate(side=side, quantity=quantity, price=price, temporary=temporary)

    def describe(self) -> dict[str, Any]:
        return {"name": "volume_share", "price_impact": self.price_impact}


@dataclass(frozen=True, slots=True)
class SquareRootImpact:
    """Square-root impact with a temporary and a permanent part (Almgren-Chriss style):

    - temporary cost per share = ``eta * volatility * sqrt(quantity / volume) * price``
    - permanent shift = ``gamma * volatility * (quantity / volume) * price``

    ``volatility`` and ``volume`` cover the same period. The temporary part does not depend on
    which period (sigma scales with sqrt(time) and volume with time); the permanent part does:
    a ``gamma`` calibrated on daily figures is ``gamma / sqrt(bars per day)`` on per-bar ones.
    Defaults: ``eta`` = 1 (the square-root law's prefactor is of order one), ``gamma`` = 0.314
    (Almgren, Thum, Hauptmann and Li 2005, daily sigma and volume).

    Examples
    --------
    >>> est = SquareRootImpact(eta=1.0, gamma=0.5).estimate(
    ...     OrderSide.BUY, 2_500, 100.0, volatility=0.02, volume=10_000)
    >>> # temporary 1 x 0.02 x sqrt(0.25) x 100, permanent 0.5 x 0.02 x 0.25 x 100
    >>> round(est.temporary, 6), round(est.permanent, 6)
    (1.0, 0.25)
    """

    eta: float = 1.0
    gamma: float = 0.314

    def estimate(
        self,
        side: OrderSide,
        quantity: float,
        price: float,
        *,
        volatility: float = math.nan,
        volume: float = math.nan,
        spread: float = math.nan,
    ) -> ImpactEstimate:
        share = quantity / _positive("volume", volume, "square_root")
        if not volatility >= 0 or not math.isfinite(volatility):
            raise ValueError(f"square_root impact: expected a volatility >= 0, was {volatility!r}")
        scale = volatility * price
        return ImpactEstimate(
            side=side,
            quantity=quantity,
            price=price,
            temporary=self.eta * scale * math.sqrt(share),
            permanent=self.gamma * scale * share,
        )

    def describe(self) -> dict[str, Any]:
        return {"name": "square_root", "eta": self.eta, "gamma": self.gamma}


def range_volatility(high: float, low: float) -> float:
    """Parkinson's estimate of one bar's return standard deviation from its range:
    ``ln(high / low) / sqrt(4 ln 2)``.

    Examples
    --------
    >>> round(range_volatility(101.0, 99.0), 6)
    0.012012
    """
    if not (high > 0 and low > 0):
        return math.nan
    return math.log(high / low) / math.sqrt(4.0 * math.log(2.0))
