"""Typed values. Prices and quantities are floats rounded to the instrument's precision (cheap on
the hot path); money is a fixed-point integer of nano-units so that accounting stays exact.

`Price` and `Quantity` are distinct to the type checker; `Money` is a real class. Ledgers keep
amounts as integers at `MONEY_SCALE` and convert to floats only for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import NewType

Price = NewType("Price", float)
Quantity = NewType("Quantity", float)

MONEY_PRECISION = 9
MONEY_SCALE: int = 1_000_000_000  # 10**MONEY_PRECISION
_POW10: tuple[int, ...] = tuple(10**i for i in range(19))


def to_fixed(value: float, precision: int) -> int:
    """Return ``value`` as an integer count of ``10**-precision`` units (nearest)."""
    return round(value * _POW10[precision])


def div_round(numerator: int, denominator: int) -> int:
    """Integer division rounding half away from zero (exact, no float)."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency code with its minor-unit precision."""

    code: str
    precision: int = 2

    def __str__(self) -> str:
        return self.code


USD = Currency("USD", 2)
EUR = Currency("EUR", 2)
GBP = Currency("GBP", 2)
JPY = Currency("JPY", 0)
USDT = Currency("USDT", 8)
BTC = Currency("BTC", 8)

_CURRENCIES = {c.code: c for c in (USD, EUR, GBP, JPY, USDT, BTC)}


def currency(code: str) -> Currency:
    """Return the `Currency` for an ISO-like code (unknown codes get precision 2)."""
    if not isinstance(code, str) or not code.isalnum() or not 2 <= len(code) <= 8:
        raise ValueError(f"currency: expected a code like 'USD', was {code!r}")
    return _CURRENCIES.get(code.upper(), Currency(code.upper(), 2))


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency, stored as integer nano-units (``raw``).

    Amounts of different currencies never add, subtract or compare: that raises ``ValueError``.
    """

    raw: int
    currency: Currency = USD

    @classmethod
    def of(cls, amount: float | int | str, currency: Currency = USD) -> Money:
        """Build from a number, rounded to the currency's precision.

        A ``str`` or ``int`` is converted exactly (half to even); other numbers are scaled as a
        float and rounded to the nearest minor unit.
        """
        if isinstance(amount, str | int):
            try:
                exact = Decimal(amount).scaleb(currency.precision)
                cents = int(exact.to_integral_value(ROUND_HALF_EVEN))
            except (InvalidOperation, ValueError, OverflowError):
                raise ValueError(f"amount: expected a finite number, was {amount!r}") from None
        else:
            cents = round(float(amount) * 10**currency.precision)
        return cls(cents * 10 ** (MONEY_PRECISION - currency.precision), currency)

    @property
    def amount(self) -> float:
        """The amount as a float (for display and statistics)."""
        return float(self.raw / MONEY_SCALE)

    def rounded(self) -> Money:
        """This amount rounded to the currency's minor unit."""
        step = 10 ** (MONEY_PRECISION - self.currency.precision)
        return Money(div_round(self.raw, step) * step, self.currency)

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency: expected {self.currency.code}, was {other.currency.code}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.raw + other.raw, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.raw - other.raw, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.raw, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.raw < other.raw

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.raw <= other.raw

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.raw > other.raw

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.raw >= other.raw

    def __str__(self) -> str:
        return f"{self.amount:,.{self.currency.precision}f} {self.currency.code}"
