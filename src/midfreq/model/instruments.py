"""Instruments: equities, futures, options and spot FX/crypto with their tick, lot and
multiplier rules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from midfreq.model.enums import AssetClass, OptionRight
from midfreq.model.identifiers import InstrumentId
from midfreq.model.values import MONEY_PRECISION, USD, Currency, Price, Quantity


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """Trading rules of one instrument.

    Parameters
    ----------
    id : InstrumentId
        ``SYMBOL.VENUE``.
    price_precision, size_precision : int
        Decimal places of prices and quantities.
    tick_size, lot_size : float
        Smallest price increment and quantity increment.
    multiplier : int
        Contract multiplier (1 for cash instruments).
    """

    id: InstrumentId
    asset_class: AssetClass
    currency: Currency = USD
    price_precision: int = 2
    size_precision: int = 0
    tick_size: float = 0.01
    lot_size: float = 1.0
    multiplier: int = 1
    min_quantity: float = 0.0
    max_quantity: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.price_precision <= 9 or not 0 <= self.size_precision <= 9:
            raise ValueError(
                f"{self.id}: price_precision and size_precision: expected 0..9, was "
                f"{self.price_precision} and {self.size_precision}"
            )
        if self.price_precision + self.size_precision > MONEY_PRECISION:
            raise ValueError(
                f"{self.id}: price_precision + size_precision: expected <= {MONEY_PRECISION}, "
                f"was {self.price_precision + self.size_precision}"
            )
        if not self.tick_size > 0 or not self.lot_size > 0:
            raise ValueError(
                f"{self.id}: tick_size and lot_size: expected > 0, was {self.tick_size} and "
                f"{self.lot_size}"
            )
        for name, step, precision in (
            ("tick_size", self.tick_size, self.price_precision),
            ("lot_size", self.lot_size, self.size_precision),
        ):
            if round(step, precision) != step:
                raise ValueError(
                    f"{self.id}: {name}: expected a step representable with {precision} "
                    f"decimals, was {step}"
                )
        if (
            not isinstance(self.multiplier, int)
            or isinstance(self.multiplier, bool)
            or self.multiplier <= 0
        ):
            raise ValueError(
                f"{self.id}: multiplier: expected a positive integer, was {self.multiplier!r}"
            )

    @property
    def symbol(self) -> str:
        """The symbol part of the id."""
        return self.id.symbol

    @property
    def settles_pnl_only(self) -> bool:
        """True when trades move no cash but P&L (futures, margined); False when fully paid."""
        return self.asset_class is AssetClass.FUTURE

    def make_price(self, value: float) -> Price:
        """Round ``value`` to the nearest tick."""
        if not math.isfinite(value):
            raise ValueError(f"{self.id} price: expected a finite number, was {value!r}")
        ticks = round(value / self.tick_size)
        return Price(round(ticks * self.tick_size, self.price_precision))

    def make_qty(self, value: float) -> Quantity:
        """Round ``value`` down to a whole number of lots (never up: no accidental oversize)."""
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{self.id} quantity: expected a finite number >= 0, was {value!r}")
        lots = math.floor(round(value / self.lot_size, 9))
        return Quantity(round(lots * self.lot_size, self.size_precision))

    def is_valid_price(self, value: float) -> bool:
        """Whether ``value`` is a positive whole number of ticks."""
        return value > 0 and abs(value - self.make_price(value)) < self.tick_size * 1e-6

    def is_valid_qty(self, value: float) -> bool:
        """Whether ``value`` is a positive whole number of lots."""
        lots = value / self.lot_size
        return value > 0 and abs(lots - round(lots)) < 1e-6

    def notional(self, quantity: float, price: float) -> float:
        """Return ``quantity * price * multiplier`` as a float."""
        return quantity * price * self.multiplier


def equity(symbol: str, venue: str = "SIM", **kwargs: Any) -> Instrument:
    """Build an equity with cent ticks and whole-share lots (overridable)."""
    return Instrument(
        id=InstrumentId.from_parts(symbol, venue), asset_class=AssetClass.EQUITY, **kwargs
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Future(Instrument):
    """A futures contract."""

    underlying: str
    expiry_ns: int
    asset_class: AssetClass = AssetClass.FUTURE


@dataclass(frozen=True, slots=True, kw_only=True)
class Option(Instrument):
    """An option on ``underlying`` (premium paid in full)."""

    underlying: InstrumentId
    strike: float
    expiry_ns: int
    right: OptionRight
    asset_class: AssetClass = AssetClass.OPTION
    multiplier: int = 100

    def __post_init__(self) -> None:
        Instrument.__post_init__(self)
        if not self.strike > 0:
            raise ValueError(f"{self.id} strike: expected > 0, was {self.strike!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrencyPair(Instrument):
    """Spot FX or crypto: ``base`` priced in ``currency`` (the quote currency)."""

    base_currency: Currency
    asset_class: AssetClass = AssetClass.FX
