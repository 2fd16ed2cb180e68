"""Identifiers: distinct `str` subclasses, cheap as dictionary keys and impossible to mix up
in type-checked code."""

from __future__ import annotations


class Identifier(str):
    """Base of every identifier; rejects empty and whitespace-padded values."""

    __slots__ = ()

    def __new__(cls, value: str) -> Identifier:
        if not isinstance(value, str) or not value or value.strip() != value:
            raise ValueError(f"{cls.__name__}: expected a non-empty string, was {value!r}")
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class Venue(Identifier):
    """A trading venue, e.g. ``SIM`` or ``XNAS``."""

    __slots__ = ()


class InstrumentId(Identifier):
    """An instrument ``SYMBOL.VENUE``, e.g. ``AAPL.SIM``."""

    __slots__ = ()

    def __new__(cls, value: str) -> InstrumentId:
        if not isinstance(value, str) or "." not in value.strip(".") or " " in value:
            raise ValueError(f"InstrumentId: expected 'SYMBOL.VENUE', was {value!r}")
        return super().__new__(cls, value)  # type: ignore[return-value]

    @classmethod
    def from_parts(cls, symbol: str, venue: str) -> InstrumentId:
        """Build ``SYMBOL.VENUE``."""
        return cls(f"{symbol}.{venue}")

    @property
    def symbol(self) -> str:
        """The symbol part."""
        return self.rsplit(".", 1)[0]

    @property
    def venue(self) -> Venue:
        """The venue part."""
        return Venue(self.rsplit(".", 1)[1])


class StrategyId(Identifier):
    """A strategy instance, e.g. ``mean_reversion-001``."""

    __slots__ = ()


class ClientOrderId(Identifier):
    """Our id for an order, deterministic in backtests."""

    __slots__ = ()


class VenueOrderId(Identifier):
    """The venue's id for an order."""

    __slots__ = ()


class TradeId(Identifier):
    """The venue's id for one execution."""

    __slots__ = ()


class AccountId(Identifier):
    """A trading account."""

    __slots__ = ()
