"""Tests of the Order aggregate: the literal transition table, fills, cancel rejects, refusals
that leave the order unchanged, and validation of `OrderInitialized`."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import pytest

import stubs
from midfreq.core.errors import InvalidStateTransition
from midfreq.model.enums import (
    TERMINAL_ORDER_STATUSES,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from midfreq.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
    OrderUpdated,
)
from midfreq.model.orders import TRANSITIONS, Order

S = OrderStatus
QUANTITY = 10.0
PRICE = 100.0

# One event of each type for an order in any state (a fill is 1 of the 10 ordered).
BUILDERS: dict[type[OrderEvent], Callable[[Order], OrderEvent]] = {
    OrderDenied: stubs.denied,
    OrderSubmitted: stubs.submitted,
    OrderAccepted: stubs.accepted,
    OrderRejected: stubs.rejected,
    OrderTriggered: stubs.triggered,
    OrderPendingCancel: stubs.pending_cancel,
    OrderCancelRejected: stubs.cancel_rejected,
    OrderCanceled: stubs.canceled,
    OrderExpired: stubs.expired,
    OrderUpdated: lambda order: stubs.updated(order, quantity=order.quantity + 5, price=99.0),
    OrderFilled: lambda order: stubs.make_fill(order, 1.0, PRICE),
}

# How to reach every status from INITIALIZED.
PATHS: dict[OrderStatus, list[Callable[[Order], OrderEvent]]] = {
    S.INITIALIZED: [],
    S.DENIED: [stubs.denied],
    S.SUBMITTED: [stubs.submitted],
    S.ACCEPTED: [stubs.submitted, stubs.accepted],
    S.REJECTED: [stubs.submitted, stubs.rejected],
    S.TRIGGERED: [stubs.submitted, stubs.accepted, stubs.triggered],
    S.PENDING_CANCEL: [stubs.submitted, stubs.accepted, stubs.pending_cancel],
    S.PARTIALLY_FILLED: [stubs.submitted, stubs.accepted, BUILDERS[OrderFilled]],
    S.FILLED: [stubs.submitted, stubs.accepted, lambda o: stubs.make_fill(o, QUANTITY, PRICE)],
    S.CANCELED: [stubs.submitted, stubs.accepted, stubs.canceled],
    S.EXPIRED: [stubs.submitted, stubs.accepted, stubs.expired],
}

# The table as specified (FIX OrdStatus semantics); None = back to the status before
# PENDING_CANCEL.
EXPECTED_TABLE: dict[tuple[OrderStatus, type[OrderEvent]], OrderStatus | None] = {
    (S.INITIALIZED, OrderDenied): S.DENIED,
    (S.INITIALIZED, OrderSubmitted): S.SUBMITTED,
    (S.INITIALIZED, OrderRejected): S.REJECTED,
    (S.INITIALIZED, OrderCanceled): S.CANCELED,
    (S.SUBMITTED, OrderAccepted): S.ACCEPTED,
    (S.SUBMITTED, OrderRejected): S.REJECTED,
    (S.SUBMITTED, OrderPendingCancel): S.PENDING_CANCEL,
    (S.SUBMITTED, OrderCanceled): S.CANCELED,
    (S.SUBMITTED, OrderExpired): S.EXPIRED,
    (S.SUBMITTED, OrderFilled): S.PARTIALLY_FILLED,
    (S.ACCEPTED, OrderPendingCancel): S.PENDING_CANCEL,
    (S.ACCEPTED, OrderCanceled): S.CANCELED,
    (S.ACCEPTED, OrderExpired): S.EXPIRED,
    (S.ACCEPTED, OrderTriggered): S.TRIGGERED,
    (S.ACCEPTED, OrderUpdated): S.ACCEPTED,
    (S.ACCEPTED, OrderFilled): S.PARTIALLY_FILLED,
    (S.TRIGGERED, OrderPendingCancel): S.PENDING_CANCEL,
    (S.TRIGGERED, OrderCanceled): S.CANCELED,
    (S.TRIGGERED, OrderExpired): S.EXPIRED,
    (S.TRIGGERED, OrderUpdated): S.TRIGGERED,
    (S.TRIGGERED, OrderFilled): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, OrderPendingCancel): S.PENDING_CANCEL,
    (S.PARTIALLY_FILLED, OrderCanceled): S.CANCELED,
    (S.PARTIALLY_FILLED, OrderExpired): S.EXPIRED,
    (S.PARTIALLY_FILLED, OrderUpdated): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, OrderFilled): S.PARTIALLY_FILLED,
    (S.PENDING_CANCEL, OrderAccepted): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, OrderTriggered): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, OrderRejected): S.REJECTED,
    (S.PENDING_CANCEL, OrderCanceled): S.CANCELED,
    (S.PENDING_CANCEL, OrderCancelRejected): None,
    (S.PENDING_CANCEL, OrderExpired): S.EXPIRED,
    (S.PENDING_CANCEL, OrderFilled): S.PARTIALLY_FILLED,
}


def new_order(**kwargs: object) -> Order:
    params: dict[str, object] = {
        "quantity": QUANTITY,
        "order_type": OrderType.LIMIT,
        "price": PRICE,
    }
    params.update(kwargs)
    return stubs.make_order(**params)  # type: ignore[arg-type]


def order_in(status: OrderStatus, **kwargs: object) -> Order:
    order = new_order(**kwargs)
    for build in PATHS[status]:
        order.apply(build(order))
    assert order.status is status
    return order


# ---- the table -----------------------------------------------------------------------------
def test_table_is_exactly_the_specified_one() -> None:
    assert TRANSITIONS == EXPECTED_TABLE


def test_terminal_statuses_have_no_outgoing_transitions() -> None:
    assert {S.DENIED, S.REJECTED, S.FILLED, S.CANCELED, S.EXPIRED} == TERMINAL_ORDER_STATUSES
    assert not [key for key in TRANSITIONS if key[0] in TERMINAL_ORDER_STATUSES]


@pytest.mark.parametrize(
    ("status", "event_type", "target"),
    [(status, event_type, target) for (status, event_type), target in TRANSITIONS.items()],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_every_row_is_reachable_and_gives_the_listed_status(
    status: OrderStatus, event_type: type[OrderEvent], target: OrderStatus | None
) -> None:
    order = order_in(status)
    event = BUILDERS[event_type](order)
    events_before = len(order.events)

    order.apply(event)

    # The path to PENDING_CANCEL goes through ACCEPTED, so a cancel reject returns there.
    assert order.status is (target if target is not None else S.ACCEPTED)
    assert order.events[-1] is event
    assert len(order.events) == events_before + 1
    assert order.ts_last == event.ts_event


@pytest.mark.parametrize(
    ("status", "event_type"),
    [
        (status, event_type)
        for status, event_type in itertools.product(OrderStatus, BUILDERS)
        if (status, event_type) not in TRANSITIONS
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_every_pair_outside_the_table_is_refused_and_changes_nothing(
    status: OrderStatus, event_type: type[OrderEvent]
) -> None:
    order = order_in(status)
    before = stubs.order_snapshot(order)
    with pytest.raises(InvalidStateTransition, match=f"not allowed when {status.value}"):
        order.apply(BUILDERS[event_type](order))
    assert stubs.order_snapshot(order) == before


# ---- creation ------------------------------------------------------------------------------
def test_new_order_copies_the_initialized_event() -> None:
    init = stubs.order_initialized(
        side=OrderSide.SELL,
        quantity=5.0,
        order_type=OrderType.STOP_LIMIT,
        price=99.0,
        trigger_price=100.0,
        time_in_force=TimeInForce.GTD,
        expire_time_ns=10**18,
        ts=7,
    )
    order = Order(init)
    assert order.status is S.INITIALIZED
    assert (order.side, order.quantity, order.price, order.trigger_price) == (
        OrderSide.SELL,
        5.0,
        99.0,
        100.0,
    )
    assert (order.time_in_force, order.expire_time_ns) == (TimeInForce.GTD, 10**18)
    assert order.events == [init]
    assert order.init is init
    assert (order.filled_qty, order.avg_px, order.venue_order_id) == (0.0, None, None)
    assert order.leaves_qty == 5.0
    assert order.signed_leaves == -5.0
    assert order.is_open and not order.is_closed
    assert order.ts_last == 7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order_type": OrderType.LIMIT}, "price: expected > 0 for LIMIT, was None"),
        ({"order_type": OrderType.LIMIT, "price": 0.0}, "price: expected > 0 for LIMIT"),
        ({"order_type": OrderType.LIMIT, "price": -1.0}, "price: expected > 0 for LIMIT"),
        ({"order_type": OrderType.MARKET, "price": 100.0}, "price: expected none for MARKET"),
        (
            {"order_type": OrderType.STOP_MARKET, "price": 100.0, "trigger_price": 99.0},
            "price: expected none for STOP_MARKET",
        ),
        ({"order_type": OrderType.STOP_MARKET}, "trigger_price: expected > 0 for STOP_MARKET"),
        (
            {"order_type": OrderType.STOP_LIMIT, "price": 100.0},
            "trigger_price: expected > 0 for STOP_LIMIT",
        ),
        (
            {"order_type": OrderType.STOP_LIMIT, "trigger_price": 100.0},
            "price: expected > 0 for STOP_LIMIT",
        ),
        ({"time_in_force": TimeInForce.GTD}, "expire_time_ns: expected a time for GTD"),
        ({"quantity": 0.0}, "quantity: expected > 0"),
        ({"quantity": -5.0}, "quantity: expected > 0"),
        ({"quantity": math.nan}, "quantity: expected > 0"),
    ],
)
def test_invalid_initialized_event_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stubs.make_order(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"order_type": OrderType.MARKET},
        {"order_type": OrderType.LIMIT, "price": 1.0},
        {"order_type": OrderType.STOP_MARKET, "trigger_price": 1.0},
        {"order_type": OrderType.STOP_LIMIT, "price": 1.0, "trigger_price": 1.0},
        {"time_in_force": TimeInForce.GTD, "expire_time_ns": 5},
        {"time_in_force": TimeInForce.IOC},
    ],
)
def test_valid_initialized_events_are_accepted(kwargs: dict[str, object]) -> None:
    assert stubs.make_order(**kwargs).status is S.INITIALIZED  # type: ignore[arg-type]


# ---- fills ---------------------------------------------------------------------------------
def test_partial_fills_then_filled_with_quantity_weighted_average() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(stubs.make_fill(order, 4.0, 100.0))
    assert order.status is S.PARTIALLY_FILLED
    assert (order.filled_qty, order.leaves_qty, order.avg_px) == (4.0, 6.0, 100.0)
    assert order.is_open

    order.apply(stubs.make_fill(order, 6.0, 101.0))
    assert order.status is S.FILLED
    assert order.filled_qty == 10.0
    assert order.avg_px == pytest.approx((4 * 100.0 + 6 * 101.0) / 10)  # 100.6
    assert order.leaves_qty == 0.0
    assert order.is_closed


def test_avg_px_is_the_quantity_weighted_mean_of_many_fills() -> None:
    order = order_in(S.ACCEPTED, quantity=20.0)
    fills = [(1.0, 10.0), (2.0, 13.0), (7.0, 11.0), (10.0, 12.5)]
    for qty, px in fills:
        order.apply(stubs.make_fill(order, qty, px))
    # (10 + 26 + 77 + 125) / 20 = 11.9
    assert order.avg_px == pytest.approx(11.9, rel=1e-12)
    assert order.status is S.FILLED


def test_fill_straight_from_submitted() -> None:
    order = order_in(S.SUBMITTED)
    order.apply(stubs.make_fill(order, QUANTITY, PRICE))
    assert order.status is S.FILLED


def test_fractional_fills_sum_to_quantity_despite_float_noise() -> None:
    order = order_in(S.ACCEPTED, quantity=0.3, size_precision=6)
    order.apply(stubs.make_fill(order, 0.1, 50_000.0))
    order.apply(stubs.make_fill(order, 0.2, 50_000.0))  # 0.1 + 0.2 != 0.3 in floats
    assert order.status is S.FILLED
    assert order.filled_qty == 0.3


def test_fill_sets_venue_order_id() -> None:
    order = order_in(S.SUBMITTED)
    fill = stubs.make_fill(order, 1.0, PRICE)
    order.apply(fill)
    assert order.venue_order_id == fill.venue_order_id


def test_accepted_sets_venue_order_id() -> None:
    order = order_in(S.SUBMITTED)
    order.apply(stubs.accepted(order, venue_order_id="V-42"))
    assert order.venue_order_id == "V-42"


@pytest.mark.parametrize("status", [S.CANCELED, S.FILLED, S.EXPIRED, S.REJECTED, S.DENIED])
def test_fill_on_a_closed_order_is_refused(status: OrderStatus) -> None:
    order = order_in(status)
    before = stubs.order_snapshot(order)
    with pytest.raises(InvalidStateTransition, match="OrderFilled not allowed"):
        order.apply(stubs.make_fill(order, 1.0, PRICE))
    assert stubs.order_snapshot(order) == before
    assert order.leaves_qty == 0.0


def test_fill_before_submission_is_refused() -> None:
    order = order_in(S.INITIALIZED)
    with pytest.raises(InvalidStateTransition):
        order.apply(stubs.make_fill(order, 1.0, PRICE))
    assert order.filled_qty == 0.0


@pytest.mark.parametrize("filled_first", [0.0, 3.0, 9.0])
def test_overfill_is_refused_and_the_order_is_unchanged(filled_first: float) -> None:
    order = order_in(S.ACCEPTED)
    if filled_first:
        order.apply(stubs.make_fill(order, filled_first, 99.0))
    before = stubs.order_snapshot(order)
    with pytest.raises(InvalidStateTransition, match="overfill"):
        order.apply(stubs.make_fill(order, QUANTITY - filled_first + 1.0, PRICE))
    assert stubs.order_snapshot(order) == before


def test_fill_on_the_wrong_side_is_refused() -> None:
    order = order_in(S.ACCEPTED)
    before = stubs.order_snapshot(order)
    with pytest.raises(InvalidStateTransition, match="fill side expected BUY, was SELL"):
        order.apply(stubs.make_fill(order, 1.0, PRICE, side=OrderSide.SELL))
    assert stubs.order_snapshot(order) == before


@pytest.mark.parametrize("qty", [0.0, -1.0, math.nan])
def test_non_positive_or_nan_fill_quantity_is_refused(qty: float) -> None:
    order = order_in(S.ACCEPTED)
    before = stubs.order_snapshot(order)
    with pytest.raises(InvalidStateTransition, match="fill quantity expected > 0"):
        order.apply(stubs.make_fill(order, qty, PRICE))
    assert stubs.order_snapshot(order) == before


def test_event_for_another_order_is_refused() -> None:
    order = order_in(S.ACCEPTED)
    other = order_in(S.ACCEPTED, client_order_id="O-2")
    before = stubs.order_snapshot(order)
    with pytest.raises(InvalidStateTransition, match="event for O-2"):
        order.apply(stubs.canceled(other))
    assert stubs.order_snapshot(order) == before


# ---- cancel and cancel reject --------------------------------------------------------------
@pytest.mark.parametrize("prior", [S.SUBMITTED, S.ACCEPTED, S.TRIGGERED, S.PARTIALLY_FILLED])
def test_cancel_reject_returns_to_the_status_before_pending_cancel(prior: OrderStatus) -> None:
    order = order_in(prior)
    filled = order.filled_qty
    order.apply(stubs.pending_cancel(order))
    assert order.status is S.PENDING_CANCEL
    assert order.is_open
    order.apply(stubs.cancel_rejected(order))
    assert order.status is prior
    assert order.filled_qty == filled


def test_second_cancel_reject_cycle_uses_the_latest_prior_status() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(stubs.pending_cancel(order))
    order.apply(stubs.cancel_rejected(order))
    order.apply(stubs.make_fill(order, 2.0, PRICE))
    order.apply(stubs.pending_cancel(order))
    order.apply(stubs.cancel_rejected(order))
    assert order.status is S.PARTIALLY_FILLED


def test_fill_while_pending_cancel_then_cancel_keeps_the_fill() -> None:
    order = order_in(S.PENDING_CANCEL)
    order.apply(stubs.make_fill(order, 3.0, PRICE))
    assert order.status is S.PARTIALLY_FILLED
    order.apply(stubs.canceled(order))
    assert order.status is S.CANCELED
    assert order.filled_qty == 3.0
    assert order.leaves_qty == 0.0


def test_full_fill_while_pending_cancel_is_filled() -> None:
    order = order_in(S.PENDING_CANCEL)
    order.apply(stubs.make_fill(order, QUANTITY, PRICE))
    assert order.status is S.FILLED


def test_accept_that_overtakes_a_cancel_keeps_the_cancel_pending() -> None:
    order = order_in(S.SUBMITTED)
    order.apply(stubs.pending_cancel(order))
    order.apply(stubs.accepted(order, venue_order_id="V-7"))
    assert order.status is S.PENDING_CANCEL
    assert order.venue_order_id == "V-7"
    order.apply(stubs.canceled(order))
    assert order.status is S.CANCELED
    assert [type(e).__name__ for e in order.events] == [
        "OrderInitialized",
        "OrderSubmitted",
        "OrderPendingCancel",
        "OrderAccepted",
        "OrderCanceled",
    ]


def test_cancel_reject_after_an_overtaking_accept_returns_to_accepted() -> None:
    order = order_in(S.SUBMITTED)
    order.apply(stubs.pending_cancel(order))
    order.apply(stubs.accepted(order))
    order.apply(stubs.cancel_rejected(order))
    assert order.status is S.ACCEPTED


def test_reject_that_overtakes_a_cancel_closes_the_order() -> None:
    order = order_in(S.SUBMITTED)
    order.apply(stubs.pending_cancel(order))
    order.apply(stubs.rejected(order))
    assert order.status is S.REJECTED
    assert order.is_closed


def test_cancel_reject_without_pending_cancel_is_refused() -> None:
    order = order_in(S.ACCEPTED)
    with pytest.raises(InvalidStateTransition):
        order.apply(stubs.cancel_rejected(order))
    assert order.status is S.ACCEPTED


# ---- updates -------------------------------------------------------------------------------
def test_update_changes_quantity_and_prices() -> None:
    order = order_in(S.ACCEPTED, order_type=OrderType.STOP_LIMIT, trigger_price=101.0)
    order.apply(stubs.updated(order, quantity=15.0, price=98.0, trigger_price=99.0))
    assert (order.quantity, order.price, order.trigger_price) == (15.0, 98.0, 99.0)
    assert order.leaves_qty == 15.0
    assert order.status is S.ACCEPTED


def test_update_without_prices_keeps_them() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(stubs.updated(order, quantity=4.0))
    assert (order.quantity, order.price) == (4.0, PRICE)


def test_update_below_filled_is_refused() -> None:
    order = order_in(S.PARTIALLY_FILLED)
    order.apply(stubs.make_fill(order, 3.0, PRICE))  # filled 4
    before = stubs.order_snapshot(order)
    with pytest.raises(InvalidStateTransition, match="updated quantity"):
        order.apply(stubs.updated(order, quantity=3.0))
    assert stubs.order_snapshot(order) == before


@pytest.mark.parametrize("quantity", [0.0, -1.0])
def test_update_to_non_positive_quantity_is_refused(quantity: float) -> None:
    order = order_in(S.ACCEPTED)
    with pytest.raises(InvalidStateTransition):
        order.apply(stubs.updated(order, quantity=quantity))
    assert order.quantity == QUANTITY


def test_update_down_to_the_filled_quantity_fills_the_order() -> None:
    order = order_in(S.PARTIALLY_FILLED)  # 1 of 10 filled
    order.apply(stubs.updated(order, quantity=1.0))
    assert order.status is S.FILLED
    assert order.is_closed


# ---- derived -------------------------------------------------------------------------------
def test_signed_leaves_of_a_partially_filled_sell() -> None:
    order = order_in(S.ACCEPTED, side=OrderSide.SELL)
    order.apply(stubs.make_fill(order, 2.5, PRICE))
    assert order.leaves_qty == 7.5
    assert order.signed_leaves == -7.5


def test_repr_names_the_essentials() -> None:
    order = order_in(S.ACCEPTED)
    assert repr(order) == "Order(O-1 BUY 10.0 AAPL.SIM LIMIT @ 100.0 GTC ACCEPTED filled=0.0)"


def test_trigger_overtaking_a_cancel_is_kept_and_a_cancel_reject_returns_to_triggered() -> None:
    order = stubs.make_order(order_type=OrderType.STOP_LIMIT, price=101.0, trigger_price=100.0)
    for event in (stubs.submitted(order), stubs.accepted(order), stubs.pending_cancel(order)):
        order.apply(event)
    order.apply(stubs.triggered(order))
    assert order.status is S.PENDING_CANCEL
    order.apply(stubs.cancel_rejected(order))
    assert order.status is S.TRIGGERED


def test_fill_with_a_non_positive_or_nan_price_is_refused() -> None:
    for price in (0.0, -1.0, math.nan, math.inf):
        order = stubs.make_order()
        order.apply(stubs.submitted(order))
        with pytest.raises(InvalidStateTransition):
            order.apply(stubs.make_fill(order, 1.0, price))
        assert order.filled_qty == 0
        assert order.status is S.SUBMITTED
