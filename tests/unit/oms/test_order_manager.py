"""The OrderManager: registration and forwarding, duplicate ids, refusal of unknown and illegal
events (the order stays unchanged), parent/child links, cancel and cancel-all filters, and the
cache-then-publish order of updates."""

from __future__ import annotations

from midfreq.model.commands import CancelAllOrders, CancelOrder
from midfreq.model.enums import DenialCode, OrderStatus
from midfreq.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEventRefused,
    OrderPendingCancel,
)
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId

T0 = 1_704_205_800_000_000_000


def _cancel(order) -> CancelOrder:
    return CancelOrder(
        client_order_id=order.client_order_id,
        instrument_id=order.instrument_id,
        strategy_id=order.strategy_id,
        ts_init=T0,
    )


# ---- intake --------------------------------------------------------------------------------
def test_submit_registers_the_order_and_forwards_it_to_the_execution_engine(env):
    order = env.order("O-1")

    env.bus.send("OrderManager.submit", order)

    assert env.cache.orders[ClientOrderId("O-1")] is order
    assert ClientOrderId("O-1") in env.cache.open_orders
    assert env.sent_to_venue == [order]


def test_duplicate_client_order_id_is_denied_without_touching_the_original(env):
    original = env.working(env.order("O-1", quantity=100))
    events_before = list(original.events)
    copy = env.order("O-1", quantity=999)

    env.oms.submit(copy)

    assert env.cache.orders[ClientOrderId("O-1")] is original
    assert original.status is OrderStatus.ACCEPTED
    assert original.events == events_before
    assert env.sent_to_venue == [original]
    assert copy.status is OrderStatus.DENIED
    denial = copy.events[-1]
    assert isinstance(denial, OrderDenied)
    assert denial.code is DenialCode.DUPLICATE_CLIENT_ORDER_ID
    assert env.published[-1] is denial
    assert env.oms.refused == []


def test_resubmitting_the_same_order_object_does_not_send_it_twice(env):
    order = env.working(env.order("O-1"))

    events_before = list(order.events)

    env.oms.submit(order)

    assert env.sent_to_venue == [order]
    assert order.status is OrderStatus.ACCEPTED
    assert order.events == events_before
    denial = env.published[-1]
    assert isinstance(denial, OrderDenied)
    assert denial.code is DenialCode.DUPLICATE_CLIENT_ORDER_ID
    assert env.oms.refused == []


def test_deny_registers_a_new_order_as_denied_and_publishes_the_event(env):
    order = env.order("O-1")

    env.bus.send("OrderManager.deny", (order, DenialCode.TRADING_HALTED, "TRADING_HALTED"))

    assert env.cache.orders[ClientOrderId("O-1")] is order
    assert order.status is OrderStatus.DENIED
    assert ClientOrderId("O-1") not in env.cache.open_orders
    assert isinstance(env.published[-1], OrderDenied)
    assert env.published[-1].reason == "TRADING_HALTED"
    assert env.sent_to_venue == []


# ---- events ----------------------------------------------------------------------------------
def test_event_for_an_unknown_order_is_refused_and_published(env):
    stranger = env.order("O-404")  # never submitted
    event = env.accepted(stranger)

    env.bus.send("OrderManager.process", event)

    assert env.oms.refused == [
        OrderEventRefused(event=event, status="UNKNOWN", reason="no such order")
    ]
    assert env.refused == env.oms.refused
    assert env.published == []
    assert ClientOrderId("O-404") not in env.cache.orders


def test_illegal_transition_is_refused_and_the_order_is_unchanged(env):
    order = env.order("O-1")
    env.oms.submit(order)  # INITIALIZED: the venue has not acknowledged anything yet
    illegal = env.filled(order, 10)

    env.oms.process(env.accepted(order))  # ACCEPTED straight from INITIALIZED: illegal too

    assert order.status is OrderStatus.INITIALIZED
    env.oms.process(env.submitted(order))
    env.oms.process(env.accepted(order))
    env.oms.process(env.filled(order, 100))
    env.oms.process(illegal)  # a fill after FILLED

    assert order.status is OrderStatus.FILLED
    assert order.filled_qty == 100
    assert [r.status for r in env.oms.refused] == ["INITIALIZED", "FILLED"]
    assert env.oms.refused[1].event is illegal
    assert "OrderFilled not allowed when FILLED" in env.oms.refused[1].reason
    assert env.refused == env.oms.refused
    assert illegal not in env.published
    assert env.oms.event_count == 3


def test_overfill_is_refused_and_leaves_the_fill_state_unchanged(env):
    order = env.working(env.order("O-1", quantity=100))
    env.oms.process(env.filled(order, 60))

    env.oms.process(env.filled(order, 50))

    assert order.filled_qty == 60
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.leaves_qty == 40
    assert env.oms.refused[-1].status == "PARTIALLY_FILLED"
    assert "overfill" in env.oms.refused[-1].reason


def test_applied_event_is_cached_before_it_is_published(env):
    order = env.working(env.order("O-1"))
    seen = []
    env.bus.subscribe(
        "events.order.s-1", lambda e: seen.append(e.client_order_id in env.cache.open_orders)
    )

    env.oms.process(env.filled(order, 100))

    assert seen == [False]  # the handler already sees the filled order out of the open set


def test_cancel_reject_for_an_order_that_filled_meanwhile_is_passed_on_not_refused(env):
    order = env.working(env.order("O-1"))
    env.oms.process(
        OrderPendingCancel(**env.fields(order))  # the strategy asked for a cancel
    )
    env.oms.process(env.filled(order, 100))  # the venue filled it before the cancel arrived
    reject = OrderCancelRejected(reason="order not working", **env.fields(order))

    env.oms.process(reject)

    assert order.status is OrderStatus.FILLED
    assert reject not in order.events
    assert env.published[-1] is reject
    assert env.oms.refused == []


# ---- parent / child ---------------------------------------------------------------------------
def test_children_are_linked_to_their_parent_in_creation_order(env):
    parent = env.working(env.order("P-1", quantity=300))
    first = env.order("C-1", parent="P-1")
    second = env.order("C-2", parent="P-1")
    other = env.order("C-3", parent="P-2")
    for child in (first, second, other):
        env.oms.submit(child)

    assert env.oms.children_of(parent.client_order_id) == [first, second]
    assert env.oms.children_of(ClientOrderId("P-2")) == [other]
    assert env.oms.children_of(ClientOrderId("C-1")) == []
    assert first.parent_order_id == ClientOrderId("P-1")


def test_denied_child_is_still_linked_to_its_parent(env):
    env.working(env.order("P-1"))
    child = env.order("C-1", parent="P-1")

    env.oms.deny(child, DenialCode.POSITION_EXCEEDS_MAX, "POSITION_EXCEEDS_MAX")

    assert env.oms.children_of(ClientOrderId("P-1")) == [child]
    assert child.status is OrderStatus.DENIED


# ---- cancels ------------------------------------------------------------------------------------
def test_cancel_of_an_open_order_is_forwarded(env):
    order = env.working(env.order("O-1"))

    env.bus.send("OrderManager.cancel", _cancel(order))

    assert env.cancels_sent == [_cancel(order)]


def test_cancel_of_a_closed_order_is_rejected_and_not_forwarded(env):
    order = env.working(env.order("O-1"))
    env.oms.process(env.filled(order, 100))
    events_before = list(order.events)

    env.oms.cancel(_cancel(order))

    assert env.cancels_sent == []
    rejected = env.published[-1]
    assert isinstance(rejected, OrderCancelRejected)
    assert rejected.reason == "order is FILLED"
    assert order.events == events_before


def test_cancel_of_an_unknown_order_does_nothing(env):
    stranger = env.order("O-404")

    env.oms.cancel(_cancel(stranger))

    assert env.cancels_sent == []
    assert env.published == []


def _book(env):
    """Open orders: s-1 in AAA and BBB, s-2 in AAA; plus a filled s-1 order in AAA."""
    orders = {
        "s1-aaa": env.working(env.order("O-1", strategy_id="s-1", symbol="AAA")),
        "s1-bbb": env.working(env.order("O-2", strategy_id="s-1", symbol="BBB")),
        "s2-aaa": env.working(env.order("O-3", strategy_id="s-2", symbol="AAA")),
        "s1-aaa-filled": env.working(env.order("O-4", strategy_id="s-1", symbol="AAA")),
    }
    env.oms.process(env.filled(orders["s1-aaa-filled"], 100))
    return orders


def test_cancel_all_without_filters_cancels_every_open_order(env):
    _book(env)

    env.bus.send("OrderManager.cancel_all", CancelAllOrders(ts_init=T0))

    assert [c.client_order_id for c in env.cancels_sent] == ["O-1", "O-2", "O-3"]


def test_cancel_all_filters_by_strategy(env):
    _book(env)

    env.oms.cancel_all(CancelAllOrders(strategy_id=StrategyId("s-1"), ts_init=T0))

    assert [c.client_order_id for c in env.cancels_sent] == ["O-1", "O-2"]
    assert all(c.strategy_id == "s-1" for c in env.cancels_sent)


def test_cancel_all_filters_by_instrument(env):
    _book(env)

    env.oms.cancel_all(CancelAllOrders(instrument_id=InstrumentId("AAA.SIM"), ts_init=T0))

    assert [c.client_order_id for c in env.cancels_sent] == ["O-1", "O-3"]


def test_cancel_all_filters_by_strategy_and_instrument(env):
    _book(env)

    env.oms.cancel_all(
        CancelAllOrders(
            strategy_id=StrategyId("s-1"), instrument_id=InstrumentId("BBB.SIM"), ts_init=T0
        )
    )

    assert [c.client_order_id for c in env.cancels_sent] == ["O-2"]


def test_pending_cancel_then_canceled_closes_the_order(env):
    order = env.working(env.order("O-1"))

    env.oms.process(OrderPendingCancel(**env.fields(order)))
    assert order.status is OrderStatus.PENDING_CANCEL
    env.oms.process(OrderCanceled(**env.fields(order)))

    assert order.status is OrderStatus.CANCELED
    assert ClientOrderId("O-1") not in env.cache.open_orders
    assert env.oms.snapshot() == {
        "orders": 1,
        "open_orders": 0,
        "events": 4,  # submitted, accepted, pending cancel, canceled
        "refused_events": 0,
    }


def test_cancel_reject_returns_the_order_to_its_previous_status(env):
    order = env.working(env.order("O-1", quantity=100))
    env.oms.process(env.filled(order, 40))
    env.oms.process(OrderPendingCancel(**env.fields(order)))

    env.oms.process(OrderCancelRejected(reason="too late", **env.fields(order)))

    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert isinstance(order.events[-1], OrderCancelRejected)
    assert env.oms.refused == []


def test_accepted_event_sets_the_venue_order_id(env):
    order = env.working(env.order("O-1"))

    accepted = next(e for e in order.events if isinstance(e, OrderAccepted))
    assert order.venue_order_id == accepted.venue_order_id == "V-O-1"
