"""Exposures of a book of positions: gross, net, long and short notional, by instrument, asset
class and sector, and leverage against equity.

Exposure is notional: ``quantity x price x multiplier`` for every instrument, futures included
(whose marked value in the ledger is only their unrealized P&L, but whose risk is the whole
contract). An option counts at its delta-adjusted underlying notional when its delta and
underlying price are given, else at its premium value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import expected
from midfreq.model.instruments import Instrument
from midfreq.risk.analytics._checks import FloatArray, vector

__all__ = [
    "UNCLASSIFIED",
    "ExposureBucket",
    "ExposureReport",
    "Holding",
    "compute_exposures",
    "position_values",
]

UNCLASSIFIED = "UNCLASSIFIED"
"""The sector of a holding whose sector is not known."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Holding:
    """One net position, as the risk analytics see it.

    Parameters
    ----------
    instrument_id : str
        ``SYMBOL.VENUE`` (an ``InstrumentId`` is a ``str``).
    quantity : float
        Signed: positive long, negative short.
    price : float
        The mark (an option's premium).
    multiplier : float
        Contract multiplier, 1 for cash instruments.
    asset_class : str
        ``AssetClass`` value (``"EQUITY"``, ``"FUTURE"``, ...) or any grouping label.
    sector : str
        Sector label; `UNCLASSIFIED` when unknown.
    delta : float, optional
        Option delta per unit of underlying; with ``underlying_price`` the exposure is
        ``quantity x multiplier x delta x underlying_price``.
    underlying_price : float, optional
        Price of the option's underlying.
    """

    instrument_id: str
    quantity: float
    price: float
    multiplier: float = 1.0
    asset_class: str = "EQUITY"
    sector: str = UNCLASSIFIED
    delta: float | None = None
    underlying_price: float | None = None

    def __post_init__(self) -> None:
        for name in ("quantity", "price", "multiplier"):
            if not math.isfinite(getattr(self, name)):
                raise expected(f"{self.instrument_id} {name}", getattr(self, name), "a number")
        if self.price < 0:
            raise expected(f"{self.instrument_id} price", self.price, "a price >= 0")
        if self.multiplier <= 0:
            raise expected(f"{self.instrument_id} multiplier", self.multiplier, "> 0")
        if (self.delta is None) != (self.underlying_price is None):
            raise expected(
                f"{self.instrument_id} delta and underlying_price",
                (self.delta, self.underlying_price),
                "both given (delta-adjusted exposure) or neither",
            )

    @classmethod
    def from_instrument(
        cls,
        instrument: Instrument,
        quantity: float,
        price: float,
        *,
        sector: str = UNCLASSIFIED,
        delta: float | None = None,
        underlying_price: float | None = None,
    ) -> Holding:
        """Build a holding with the instrument's id, multiplier and asset class."""
        return cls(
            instrument_id=str(instrument.id),
            quantity=quantity,
            price=price,
            multiplier=float(instrument.multiplier),
            asset_class=instrument.asset_class.value,
            sector=sector,
            delta=delta,
            underlying_price=underlying_price,
        )

    @property
    def value(self) -> float:
        """Signed market notional ``quantity x price x multiplier``."""
        return self.quantity * self.price * self.multiplier

    @property
    def exposure(self) -> float:
        """Signed exposure: delta-adjusted underlying notional when known, else `value`."""
        if self.delta is not None and self.underlying_price is not None:
            return self.quantity * self.multiplier * self.delta * self.underlying_price
        return self.value


@dataclass(frozen=True, slots=True, kw_only=True)
class ExposureBucket:
    """Exposure of one group of holdings (an instrument, asset class, sector or the book).

    ``long`` and ``short`` are both >= 0: ``gross = long + short``, ``net = long - short``.
    Leverage is exposure / equity (NaN when equity <= 0).
    """

    long: float
    short: float
    count: int
    equity: float

    @property
    def gross(self) -> float:
        """Sum of absolute exposures."""
        return self.long + self.short

    @property
    def net(self) -> float:
        """Long minus short."""
        return self.long - self.short

    @property
    def gross_leverage(self) -> float:
        """Gross exposure per unit of equity."""
        return self.gross / self.equity if self.equity > 0 else math.nan

    @property
    def net_leverage(self) -> float:
        """Net exposure per unit of equity."""
        return self.net / self.equity if self.equity > 0 else math.nan


@dataclass(frozen=True, slots=True, kw_only=True)
class ExposureReport:
    """A book's exposures at one moment.

    Attributes
    ----------
    total : ExposureBucket
        The whole book.
    by_instrument, by_asset_class, by_sector : Mapping[str, ExposureBucket]
        Breakdowns, keys in order of first appearance.
    """

    equity: float
    total: ExposureBucket
    by_instrument: Mapping[str, ExposureBucket]
    by_asset_class: Mapping[str, ExposureBucket]
    by_sector: Mapping[str, ExposureBucket]

    @property
    def gross(self) -> float:
        """Gross exposure of the book."""
        return self.total.gross

    @property
    def net(self) -> float:
        """Net exposure of the book."""
        return self.total.net

    @property
    def long(self) -> float:
        """Long exposure of the book."""
        return self.total.long

    @property
    def short(self) -> float:
        """Short exposure of the book (>= 0)."""
        return self.total.short

    @property
    def gross_leverage(self) -> float:
        """Gross exposure / equity."""
        return self.total.gross_leverage

    @property
    def net_leverage(self) -> float:
        """Net exposure / equity."""
        return self.total.net_leverage

    def to_dict(self) -> dict[str, float]:
        """Headline figures for status displays and metrics."""
        return {
            "equity": self.equity,
            "gross_exposure": self.gross,
            "net_exposure": self.net,
            "long_exposure": self.long,
            "short_exposure": self.short,
            "gross_leverage": self.gross_leverage,
            "net_leverage": self.net_leverage,
        }


class _Accumulator:
    __slots__ = ("count", "long", "short")

    def __init__(self) -> None:
        self.long = 0.0
        self.short = 0.0
        self.count = 0

    def add(self, exposure: float) -> None:
        if exposure >= 0:
            self.long += exposure
        else:
            self.short -= exposure
        self.count += 1

    def bucket(self, equity: float) -> ExposureBucket:
        return ExposureBucket(long=self.long, short=self.short, count=self.count, equity=equity)


def compute_exposures(holdings: Iterable[Holding], equity: float) -> ExposureReport:
    """Return gross, net, long and short exposure and leverage, in total and by instrument,
    asset class and sector.

    Several holdings of one instrument (e.g. one per strategy) each count on their own side,
    in the total and in every breakdown: offsetting strategies show as gross exposure, and an
    instrument's ``net`` is its net position's exposure.

    Examples
    --------
    >>> book = [
    ...     Holding(instrument_id="AAA.SIM", quantity=100, price=50.0, sector="TECH"),
    ...     Holding(instrument_id="BBB.SIM", quantity=-50, price=40.0, sector="TECH"),
    ...     Holding(instrument_id="ES.SIM", quantity=1, price=5000.0, multiplier=50,
    ...             asset_class="FUTURE"),
    ... ]
    >>> report = compute_exposures(book, equity=100_000.0)
    >>> report.gross, report.net, report.gross_leverage
    (257000.0, 253000.0, 2.57)
    >>> report.by_sector["TECH"].net
    3000.0
    """
    if not math.isfinite(equity):
        raise expected("equity", equity, "a finite number")
    total = _Accumulator()
    instruments: dict[str, _Accumulator] = {}
    asset_classes: dict[str, _Accumulator] = {}
    sectors: dict[str, _Accumulator] = {}
    for holding in holdings:
        exposure = holding.exposure
        total.add(exposure)
        instruments.setdefault(holding.instrument_id, _Accumulator()).add(exposure)
        asset_classes.setdefault(holding.asset_class, _Accumulator()).add(exposure)
        sectors.setdefault(holding.sector, _Accumulator()).add(exposure)
    return ExposureReport(
        equity=equity,
        total=total.bucket(equity),
        by_instrument={key: acc.bucket(equity) for key, acc in instruments.items()},
        by_asset_class={key: acc.bucket(equity) for key, acc in asset_classes.items()},
        by_sector={key: acc.bucket(equity) for key, acc in sectors.items()},
    )


def position_values(
    quantities: npt.ArrayLike,
    prices: npt.ArrayLike,
    multipliers: npt.ArrayLike | None = None,
) -> FloatArray:
    """Return signed position values ``quantity x price x multiplier`` (the vector ``v`` the VaR,
    stress and hedging functions take).

    Examples
    --------
    >>> position_values([10, -2], [100.0, 5000.0], [1, 50]).tolist()
    [1000.0, -500000.0]
    """
    quantity = vector("quantities", quantities)
    price = vector("prices", prices, quantity.shape[0])
    if multipliers is None:
        multiplier = np.ones_like(quantity)
    else:
        multiplier = vector("multipliers", multipliers, quantity.shape[0])
    result: FloatArray = quantity * price * multiplier
    return result
