"""Checks against the market: the price collar (with fat-finger bands per instrument) around a
fresh reference price, the share of recent volume an order may take, and the correlation of a
new position with the rest of the book."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from midfreq.model.enums import DenialCode
from midfreq.model.identifiers import InstrumentId
from midfreq.model.orders import Order
from midfreq.risk.gate.context import Denial, RiskContext
from midfreq.risk.gate.limits import RELATIVE_TOLERANCE
from midfreq.risk.gate.market import CorrelationSource


@dataclass(frozen=True, slots=True)
class PriceCollar:
    """A limit price must lie within ``band`` (a fraction) of the reference price: the newest
    of quote mid, trade and bar close. Without a reference, or with one older than
    ``max_age_ns`` or flagged stale by the feed, every order is refused (market orders too:
    nothing says where they would fill). Stop triggers are not collared: a stop far from the
    market is normal. ``by_instrument`` holds fat-finger bands replacing ``band``.
    """

    band: float
    max_age_ns: int
    by_instrument: Mapping[InstrumentId, float] = field(default_factory=dict)

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        iid = order.instrument_id
        reference = context.reference_price(iid)
        if reference is None:
            return Denial(DenialCode.NO_REFERENCE_PRICE, {"instrument": str(iid)})
        price_ref, ts = reference
        age = context.now_ns - ts
        if age > self.max_age_ns or context.is_stale(iid):
            return Denial(
                DenialCode.STALE_REFERENCE_PRICE,
                {
                    "instrument": str(iid),
                    "age_seconds": round(age / 1e9, 3),
                    "max_age_seconds": self.max_age_ns / 1e9,
                },
            )
        price = order.price
        if price is None:
            return None
        band = self.by_instrument.get(iid, self.band)
        if abs(price - price_ref) > band * price_ref * (1.0 + RELATIVE_TOLERANCE):
            return Denial(
                DenialCode.PRICE_OUTSIDE_COLLAR,
                {
                    "price": price,
                    "reference": price_ref,
                    "low": round(price_ref * (1.0 - band), 9),
                    "high": round(price_ref * (1.0 + band), 9),
                },
            )
        return None


@dataclass(frozen=True, slots=True)
class MaxVolumeShare:
    """An order's remaining quantity may be at most ``share`` of the instrument's recent volume
    (the last bars the gate saw) or, where ``adv`` gives one, of its average daily volume. An
    instrument with neither is refused."""

    share: float
    adv: Mapping[InstrumentId, float] = field(default_factory=dict)

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        iid = order.instrument_id
        volume = self.adv.get(iid)
        if volume is None:
            volume = context.history.recent_volume(iid)
        if volume is None or volume <= 0:
            return Denial(DenialCode.NO_VOLUME_REFERENCE, {"instrument": str(iid)})
        limit = self.share * volume
        quantity = context.leaves(order)
        if quantity > limit * (1.0 + RELATIVE_TOLERANCE):
            return Denial(
                DenialCode.LIQUIDITY_EXCEEDS_MAX,
                {"quantity": quantity, "volume": volume, "share": self.share, "limit": limit},
            )
        return None


_Stats = tuple[list[float], list[float], list[list[float]]]


def _book_statistics(
    source: CorrelationSource, instrument_id: InstrumentId, held: list[InstrumentId]
) -> _Stats | None:
    # Volatilities of the held instruments, their correlations with the new one and with
    # each other; None if any is not estimable.
    volatilities, with_new = [], []
    for iid in held:
        volatility = source.volatility(iid)
        rho = source.correlation(instrument_id, iid)
        if volatility is None or rho is None:
            return None
        volatilities.append(volatility)
        with_new.append(rho)
    matrix = [[1.0] * len(held) for _ in held]
    for j, a in enumerate(held):
        for k in range(j + 1, len(held)):
            rho = source.correlation(a, held[k])
            if rho is None:
                return None
            matrix[j][k] = matrix[k][j] = rho
    return volatilities, with_new, matrix


def _combine(statistics: _Stats, weights: list[float]) -> float | None:
    volatilities, with_new, matrix = statistics
    scaled = [w * v for w, v in zip(weights, volatilities, strict=True)]
    numerator = 0.0
    variance = 0.0
    for j, sj in enumerate(scaled):
        numerator += sj * with_new[j]
        row = matrix[j]
        for k, sk in enumerate(scaled):
            variance += sj * sk * row[k]
    if variance <= 0:
        return None
    return numerator / math.sqrt(variance)


def book_correlation(
    source: CorrelationSource,
    instrument_id: InstrumentId,
    weights: list[tuple[InstrumentId, float]],
) -> float | None:
    """Correlation of ``instrument_id``'s returns with the returns of a book holding
    ``weights`` (signed values per instrument), from pairwise correlations and volatilities:
    ``sum_j w_j rho_ij s_j / sqrt(sum_jk w_j w_k rho_jk s_j s_k)``. None if any estimate is
    missing or the book's variance is not positive."""
    statistics = _book_statistics(source, instrument_id, [iid for iid, _ in weights])
    if statistics is None:
        return None
    return _combine(statistics, [w for _, w in weights])


class MaxCorrelation:
    """An order that opens or adds to a position is refused when the position's returns (sign
    included: a sell is short the returns) correlate with the rest of the book's returns by
    more than ``limit``. The book is every other instrument's net position valued at its
    latest bar close (the prices the returns are measured from; the mark before any bar).

    The measure does not depend on the order's size, so scaling the order down cannot bring it
    under the limit: the check refuses and never resizes. Without enough data (see the
    `CorrelationSource`) it lets the order pass. With a source that has a ``version`` (one
    that changes with every update, as `RollingCorrelation`'s does), an instrument's result is
    reused until new returns arrive or a fill changes the book.
    """

    uses_working_orders: ClassVar[bool] = True  # for the instruments held (from fills)

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._version: object = None
        self._statistics: dict[tuple[InstrumentId, tuple[InstrumentId, ...]], _Stats | None] = {}
        self._results: dict[InstrumentId, tuple[tuple[object, int], float | None]] = {}

    def check(self, order: Order, context: RiskContext) -> Denial | None:
        source = context.correlation_source
        if source is None or context.reduces_position(order):
            return None
        iid = order.instrument_id
        version = getattr(source, "version", None)
        if version is None:
            correlation = self.correlation(source, iid, context)
        else:
            state = (version, context.working.fill_count)
            memo = self._results.get(iid)
            if memo is not None and memo[0] == state:
                correlation = memo[1]
            else:
                correlation = self.correlation(source, iid, context)
                self._results[iid] = (state, correlation)
        if correlation is None:
            return None
        correlation *= order.side.sign
        if correlation > self.limit + RELATIVE_TOLERANCE:
            return Denial(
                DenialCode.CORRELATION_EXCEEDS_MAX,
                {"correlation": round(correlation, 4), "limit": self.limit},
            )
        return None

    def correlation(
        self, source: CorrelationSource, instrument_id: InstrumentId, context: RiskContext
    ) -> float | None:
        """Correlation of a long position in ``instrument_id`` with the rest of the book."""
        held: list[InstrumentId] = []
        weights: list[float] = []
        history = context.history
        for other, quantity, mark, instrument in context.positions():
            if other != instrument_id:
                close = history.close(other)
                held.append(other)
                weights.append(
                    quantity * (mark if close is None else close) * instrument.multiplier
                )
        if not held:
            return None
        version = getattr(source, "version", None)
        if version is None:
            statistics = _book_statistics(source, instrument_id, held)
        else:
            if version != self._version:
                self._statistics.clear()
                self._version = version
            key = (instrument_id, tuple(held))
            if key in self._statistics:
                statistics = self._statistics[key]
            else:
                statistics = self._statistics[key] = _book_statistics(source, instrument_id, held)
        if statistics is None:
            return None
        return _combine(statistics, weights)
