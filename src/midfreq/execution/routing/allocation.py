"""The pure allocation core of smart order routing: `allocate` splits an order's quantity across
the venues of a `ConsolidatedBook` under a `RoutingPolicy`, in whole lots.

Size-constrained policies (best price, fee-adjusted best price, liquidity-weighted) never give a
venue more than the size it displays within the limit price; what no venue displays goes, as one
`OVERFLOW` allocation, to the venue the policy ranks best. Fixed venue weights ignore displayed
size. Allocations always sum to the order quantity, unless no venue is eligible (then none).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from midfreq.execution.routing.book import ConsolidatedBook, VenueView
from midfreq.model.enums import OrderSide
from midfreq.model.identifiers import Venue

# Slack for float noise when comparing a level's price to the limit and turning sizes into lots.
_EPSILON = 1e-9


class RoutingPolicy(StrEnum):
    """How `allocate` chooses venues."""

    BEST_PRICE = "BEST_PRICE"
    """Take displayed levels best price first, across venues."""
    FEE_ADJUSTED = "FEE_ADJUSTED"
    """Take displayed levels best price-after-taker-fee first."""
    LIQUIDITY_WEIGHTED = "LIQUIDITY_WEIGHTED"
    """Split pro rata to the size each venue displays within the limit."""
    VENUE_WEIGHTS = "VENUE_WEIGHTS"
    """Split by fixed weights per venue, whatever they display."""

    @property
    def is_size_constrained(self) -> bool:
        """Whether displayed allocations are capped by displayed size."""
        return self is not RoutingPolicy.VENUE_WEIGHTS


class AllocationKind(StrEnum):
    """What backs an allocation."""

    DISPLAYED = "DISPLAYED"
    """Size the venue displays within the limit."""
    OVERFLOW = "OVERFLOW"
    """Quantity beyond all displayed size, sent to the best-ranked venue."""
    WEIGHTED = "WEIGHTED"
    """A fixed-weight share, whatever the venue displays."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """A slice of an order for one venue.

    Attributes
    ----------
    venue : Venue
        Where to send it.
    quantity : float
        Whole lots, > 0.
    price : float or None
        For `DISPLAYED`: the worst displayed price the slice reaches at the venue. For
        `OVERFLOW` and `WEIGHTED`: the order's limit price (None for a market order), or for
        `WEIGHTED` the venue's touch when the order has no limit and the venue has a price.
    kind : AllocationKind
        What backs the quantity.
    """

    venue: Venue
    quantity: float
    price: float | None
    kind: AllocationKind = AllocationKind.DISPLAYED


def to_lots(quantity: float, lot_size: float) -> int:
    """``quantity`` as a whole number of lots; raise `ValueError` if it is not one.

    Examples
    --------
    >>> to_lots(300.0, 100.0)
    3
    >>> to_lots(0.003, 0.001)
    3
    """
    if not math.isfinite(quantity) or quantity <= 0:
        raise ValueError(f"quantity: expected a finite number > 0, was {quantity!r}")
    if not lot_size > 0:
        raise ValueError(f"lot_size: expected > 0, was {lot_size!r}")
    lots = round(quantity / lot_size)
    if lots < 1 or abs(lots * lot_size - quantity) > _EPSILON * max(1.0, quantity):
        raise ValueError(f"quantity: expected a whole number of lots of {lot_size}, was {quantity}")
    return lots


def allocate(
    side: OrderSide,
    quantity: float,
    book: ConsolidatedBook,
    policy: RoutingPolicy,
    *,
    now_ns: int,
    limit_price: float | None = None,
    lot_size: float = 1.0,
    size_precision: int = 0,
    weights: Mapping[Venue, float] | Mapping[str, float] | None = None,
    exclude: Iterable[Venue] = (),
) -> list[Allocation]:
    """Split ``quantity`` across the venues of ``book`` under ``policy``.

    Parameters
    ----------
    side : OrderSide
        A buy takes asks, a sell takes bids.
    quantity : float
        Whole lots of ``lot_size``.
    book : ConsolidatedBook
        Venues, their depth, fees and status.
    policy : RoutingPolicy
        How to choose.
    now_ns : int
        Now, for staleness: price-based policies use only venues that are up, not excluded and
        fresh; `VENUE_WEIGHTS` uses venues that are up and not excluded, with or without prices.
    limit_price : float or None
        Only levels at or better than it count as displayed; None for a market order.
    lot_size, size_precision : float, int
        Every allocation is whole lots, rounded to ``size_precision`` decimals.
    weights : mapping of venue to weight, or None
        For `VENUE_WEIGHTS`: venues missing from it get weight 0; None means equal weights.
    exclude : iterable of Venue
        Venues not to use (e.g. ones that just rejected this order).

    Returns
    -------
    list of Allocation
        At most one `DISPLAYED` or `WEIGHTED` allocation per venue, best first, plus at most one
        `OVERFLOW` allocation last. Their quantities sum to ``quantity``; the list is empty when
        no venue is eligible (or, for `VENUE_WEIGHTS`, none has a positive weight).

    Raises
    ------
    ValueError
        If ``quantity`` is not a positive whole number of lots or ``limit_price`` is not > 0.

    Examples
    --------
    >>> from midfreq.execution.routing.book import VenueFees
    >>> book = ConsolidatedBook([(Venue("A"), VenueFees()), (Venue("B"), VenueFees())])
    >>> book.update_depth("A", bids=(), asks=((10.00, 300.0), (10.01, 500.0)), ts_ns=0)
    >>> book.update_depth("B", bids=(), asks=((10.00, 200.0),), ts_ns=0)
    >>> for a in allocate(OrderSide.BUY, 1000.0, book, RoutingPolicy.BEST_PRICE, now_ns=0,
    ...                   limit_price=10.01):
    ...     print(a.venue, a.quantity, a.price, a.kind)
    A 800.0 10.01 DISPLAYED
    B 200.0 10.0 DISPLAYED
    """
    total_lots = to_lots(quantity, lot_size)
    if limit_price is not None and not limit_price > 0:
        raise ValueError(f"limit_price: expected > 0 or None, was {limit_price!r}")
    if policy is RoutingPolicy.VENUE_WEIGHTS:
        return _by_weights(
            side, total_lots, book, weights, limit_price, lot_size, size_precision, exclude
        )
    views = book.eligible(now_ns, exclude=exclude)
    if not views:
        return []
    if policy is RoutingPolicy.LIQUIDITY_WEIGHTED:
        lots_by_venue = _pro_rata(side, total_lots, views, limit_price, lot_size)
    else:
        lots_by_venue = _walk_levels(
            side, total_lots, views, limit_price, lot_size, policy is RoutingPolicy.FEE_ADJUSTED
        )
    out: list[Allocation] = []
    by_name = {v.venue: v for v in views}
    for venue, lots in lots_by_venue.items():
        if lots > 0:
            price = _worst_price(side, by_name[venue], lots, lot_size)
            out.append(
                Allocation(venue=venue, quantity=_qty(lots, lot_size, size_precision), price=price)
            )
    rest = total_lots - sum(lots_by_venue.values())
    if rest > 0:
        target = rank_venues(side, views, fee_adjusted=policy is RoutingPolicy.FEE_ADJUSTED)[0]
        out.append(
            Allocation(
                venue=target.venue,
                quantity=_qty(rest, lot_size, size_precision),
                price=limit_price,
                kind=AllocationKind.OVERFLOW,
            )
        )
    return out


def rank_venues(
    side: OrderSide, views: Iterable[VenueView], *, fee_adjusted: bool = False
) -> list[VenueView]:
    """Venues best first by the touch an order of ``side`` takes (after taker fees if
    ``fee_adjusted``); then larger size; venues without a touch last; then book order."""
    buy = side is OrderSide.BUY
    keyed = []
    for index, view in enumerate(views):
        touch = view.touch(side)
        if touch is None:
            keyed.append(((1, 0.0, 0.0, index), view))
            continue
        price = view.fees.effective_price(side, touch[0]) if fee_adjusted else touch[0]
        keyed.append(((0, price if buy else -price, -touch[1], index), view))
    keyed.sort(key=lambda item: item[0])
    return [view for _, view in keyed]


# ---- policies ------------------------------------------------------------------------------
def _within(side: OrderSide, price: float, limit: float | None) -> bool:
    if limit is None:
        return True
    slack = _EPSILON * limit
    return price <= limit + slack if side is OrderSide.BUY else price >= limit - slack


def _level_lots(size: float, lot_size: float) -> int:
    return math.floor(size / lot_size + _EPSILON)


def _walk_levels(
    side: OrderSide,
    total_lots: int,
    views: list[VenueView],
    limit: float | None,
    lot_size: float,
    fee_adjusted: bool,
) -> dict[Venue, int]:
    """Take levels across venues best (fee-adjusted) price first; ties: larger, then book order."""
    buy = side is OrderSide.BUY
    candidates: list[tuple[float, int, int, Venue, int]] = []
    for index, view in enumerate(views):
        fees = view.fees
        for price, size in view.levels(side):
            if not _within(side, price, limit):
                break  # levels are best first: the rest are worse
            lots = _level_lots(size, lot_size)
            if lots <= 0:
                continue
            key = fees.effective_price(side, price) if fee_adjusted else price
            candidates.append((key if buy else -key, -lots, index, view.venue, lots))
    candidates.sort()
    taken: dict[Venue, int] = {}
    remaining = total_lots
    for _, _, _, venue, lots in candidates:
        if remaining == 0:
            break
        take = min(lots, remaining)
        taken[venue] = taken.get(venue, 0) + take
        remaining -= take
    return taken


def _pro_rata(
    side: OrderSide,
    total_lots: int,
    views: list[VenueView],
    limit: float | None,
    lot_size: float,
) -> dict[Venue, int]:
    """Split min(order, displayed) pro rata to displayed lots within the limit; largest
    remainders get the odd lots (ties in book order)."""
    caps: dict[Venue, int] = {}
    for view in views:
        caps[view.venue] = sum(
            _level_lots(size, lot_size)
            for price, size in view.levels(side)
            if _within(side, price, limit)
        )
    displayed = sum(caps.values())
    if displayed == 0:
        return {}
    fill = min(total_lots, displayed)
    return _largest_remainder(fill, {v: float(c) for v, c in caps.items()}, caps)


def _largest_remainder(
    lots: int, weights: Mapping[Venue, float], caps: Mapping[Venue, int] | None
) -> dict[Venue, int]:
    """Share ``lots`` by ``weights`` in whole lots (never above ``caps``), summing to ``lots``."""
    total = sum(weights.values())
    exact = {v: lots * w / total for v, w in weights.items()}
    shares = {v: math.floor(x + _EPSILON) for v, x in exact.items()}
    if caps is not None:
        shares = {v: min(s, caps[v]) for v, s in shares.items()}
    left = lots - sum(shares.values())
    order = sorted(exact, key=lambda v: -(exact[v] - shares[v]))  # stable: book order on ties
    while left > 0:
        progressed = False
        for venue in order:
            if left == 0:
                break
            if caps is not None and shares[venue] >= caps[venue]:
                continue
            if weights[venue] <= 0:
                continue
            shares[venue] += 1
            left -= 1
            progressed = True
        if not progressed:  # every venue is at its cap; callers keep lots <= sum of caps
            break
    return shares


def _by_weights(
    side: OrderSide,
    total_lots: int,
    book: ConsolidatedBook,
    weights: Mapping[Venue, float] | Mapping[str, float] | None,
    limit: float | None,
    lot_size: float,
    size_precision: int,
    exclude: Iterable[Venue],
) -> list[Allocation]:
    skip = set(exclude)
    views = [v for v in book.venues if v.is_up and v.venue not in skip]
    if weights is None:
        chosen = {v.venue: 1.0 for v in views}
    else:
        lookup: Mapping[str, float] = weights  # type: ignore[assignment]
        chosen = {v.venue: float(lookup.get(v.venue, 0.0)) for v in views}
        chosen = {venue: w for venue, w in chosen.items() if w > 0}
    if not chosen:
        return []
    shares = _largest_remainder(total_lots, chosen, None)
    by_name = {v.venue: v for v in views}
    out = []
    for venue, lots in shares.items():
        if lots <= 0:
            continue
        touch = by_name[venue].touch(side)
        price = limit if limit is not None or touch is None else touch[0]
        out.append(
            Allocation(
                venue=venue,
                quantity=_qty(lots, lot_size, size_precision),
                price=price,
                kind=AllocationKind.WEIGHTED,
            )
        )
    return out


def _worst_price(side: OrderSide, view: VenueView, lots: int, lot_size: float) -> float | None:
    """The last of ``view``'s levels that ``lots`` reach."""
    reached = None
    for price, size in view.levels(side):
        reached = price
        lots -= _level_lots(size, lot_size)
        if lots <= 0:
            break
    return reached


def _qty(lots: int, lot_size: float, size_precision: int) -> float:
    return round(lots * lot_size, size_precision)
