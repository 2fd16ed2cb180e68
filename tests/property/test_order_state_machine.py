"""Property tests of the Order state machine under random event streams.

Every event goes through `Order.apply`; refusals (`InvalidStateTransition`) are caught. After each
step the order must be consistent: never overfilled, FILLED exactly when fully filled, nothing
applied after a terminal status, refused events leave every field unchanged, and ``order.events``
is exactly the initializing event plus the applied ones.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

import stubs
from midfreq.core.errors import InvalidStateTransition
from midfreq.model.enums import TERMINAL_ORDER_STATUSES, OrderSide, OrderStatus
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.model.orders import Order

S = OrderStatus

# (kind, size in lots, price in ticks); size/price only matter to fills and updates.
Step = tuple[str, int, int]

# Each builder takes (order, ts).
SIMPLE: dict[str, Callable[..., OrderEvent]] = {
    "submitted": stubs.submitted,
    "denied": stubs.denied,
    "accepted": stubs.accepted,
    "rejected": stubs.rejected,
    "triggered": stubs.triggered,
    "pending_cancel": stubs.pending_cancel,
    "cancel_rejected": stubs.cancel_rejected,
    "canceled": stubs.canceled,
    "expired": stubs.expired,
}
# Repeats weight the draw toward working-order events, so streams get past the first terminal
# event often enough to exercise partial fills, cancel rejects and updates.
KINDS = [
    *SIMPLE,
    *["accepted", "pending_cancel", "cancel_rejected", "triggered"],
    *["fill"] * 6,
    *["fill_wrong_side", "updated", "updated"],
]
PREFIXES: list[list[Step]] = [
    [],
    [("submitted", 1, 1)],
    [("submitted", 1, 1), ("accepted", 1, 1)],
]

step = st.tuples(st.sampled_from(KINDS), st.integers(1, 30), st.integers(9_000, 11_000))
steps = st.builds(
    lambda prefix, rest: prefix + rest, st.sampled_from(PREFIXES), st.lists(step, max_size=40)
)


def _event(order: Order, step: Step, scale: int, ts: int) -> OrderEvent:
    kind, lots, ticks = step
    if kind in SIMPLE:
        return SIMPLE[kind](order, ts)
    if kind == "updated":
        return stubs.updated(order, quantity=lots / scale, ts=ts)
    side = order.side if kind == "fill" else order.side.opposite
    return stubs.make_fill(order, lots / scale, ticks / 100, ts=ts, side=side)


@settings(max_examples=400)
@given(
    side=st.sampled_from(OrderSide),
    size_precision=st.sampled_from([0, 2, 6]),
    quantity_lots=st.integers(1, 25),
    stream=steps,
)
def test_random_event_streams_keep_the_order_consistent(
    side: OrderSide, size_precision: int, quantity_lots: int, stream: list[Step]
) -> None:
    scale = 10**size_precision
    order = stubs.make_order(
        side=side, quantity=quantity_lots / scale, size_precision=size_precision
    )
    applied: list[OrderEvent] = [order.init]
    fills: list[OrderFilled] = []
    terminal_seen = False

    for ts, step in enumerate(stream, start=1):
        event = _event(order, step, scale, ts)
        before = stubs.order_snapshot(order)
        try:
            order.apply(event)
        except InvalidStateTransition:
            assert stubs.order_snapshot(order) == before, f"refused {step} changed the order"
        else:
            assert not terminal_seen, f"{step} applied after a terminal status"
            applied.append(event)
            if isinstance(event, OrderFilled):
                fills.append(event)
        terminal_seen = order.status in TERMINAL_ORDER_STATUSES

        # The audit trail holds exactly the applied events, in order.
        assert len(order.events) == len(applied)
        assert all(a is b for a, b in zip(order.events, applied, strict=True))

        # Quantities, in whole units of the size precision.
        filled = round(order.filled_qty * scale)
        quantity = round(order.quantity * scale)
        assert filled == sum(round(f.last_qty * scale) for f in fills)
        assert 0 <= filled <= quantity
        assert order.filled_qty <= order.quantity

        # Status is consistent with the fills.
        assert order.status in set(OrderStatus)
        assert (order.status is S.FILLED) == (filled == quantity)
        if filled == 0:
            assert order.status not in (S.PARTIALLY_FILLED, S.FILLED)
            assert order.avg_px is None
        elif order.is_open:
            assert order.status in (S.PARTIALLY_FILLED, S.PENDING_CANCEL)
        assert order.leaves_qty == (0.0 if order.is_closed else (quantity - filled) / scale)

        # avg_px is the quantity-weighted mean of the applied fills.
        if fills:
            assert all(f.side is order.side for f in fills)
            exact = sum(
                (Fraction(f.last_px) * Fraction(f.last_qty) for f in fills), Fraction(0)
            ) / sum((Fraction(f.last_qty) for f in fills), Fraction(0))
            assert order.avg_px is not None
            assert abs(Fraction(order.avg_px) - exact) <= exact * Fraction(1, 10**12)


@given(stream=steps)
def test_a_terminal_order_refuses_everything(stream: list[Step]) -> None:
    for path in (
        [stubs.denied],
        [stubs.submitted, stubs.rejected],
        [stubs.submitted, stubs.canceled],
        [stubs.submitted, stubs.accepted, stubs.expired],
        [stubs.submitted, stubs.accepted, lambda o, ts: stubs.make_fill(o, 100.0, 1.0, ts=ts)],
    ):
        order = stubs.make_order(quantity=100.0)
        for build in path:
            order.apply(build(order, 1))
        assert order.is_closed
        frozen = stubs.order_snapshot(order)
        for ts, step in enumerate(stream, start=2):
            event = _event(order, step, 1, ts)
            try:
                order.apply(event)
            except InvalidStateTransition:
                pass
            else:
                raise AssertionError(f"{type(event).__name__} applied to a {order.status} order")
            assert stubs.order_snapshot(order) == frozen
