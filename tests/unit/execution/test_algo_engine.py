"""The execution algorithm framework on a real kernel: parents stay off the venue and the
cache, children pass the gate with the strategy's id, the parent aggregates the children,
cancelling the parent cancels the children, refused children retry or stop."""

from __future__ import annotations

from typing import Any

import pytest

from algo_desk import AAA, Desk
from midfreq.core.errors import ConfigError
from midfreq.model.enums import DenialCode, OrderStatus
from midfreq.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderFilled,
    OrderPendingCancel,
    OrderSubmitted,
)

TWAP = {"horizon_seconds": 180, "interval_seconds": 60}


def test_parent_stays_off_the_cache_and_children_carry_parent_and_strategy() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(90, "twap", TWAP)
    assert parent.client_order_id not in desk.kernel.cache.orders
    assert parent.status is OrderStatus.ACCEPTED
    for _ in range(4):
        desk.bar()
    children = desk.children(parent)
    assert [c.quantity for c in children] == [30.0, 30.0, 30.0]
    assert {c.parent_order_id for c in children} == {parent.client_order_id}
    assert {c.strategy_id for c in children} == {desk.trader.strategy_id}
    assert all("exec_algorithm:twap" in c.tags for c in children)
    assert desk.kernel.oms.children_of(parent.client_order_id) == children
    # Every child passed the gate; the parent never did.
    assert desk.kernel.gate.approved_count == 3
    assert parent.status is OrderStatus.FILLED
    assert parent.filled_qty == sum(c.filled_qty for c in children) == 90.0
    assert desk.kernel.portfolio_view.quantity(AAA, desk.trader.strategy_id) == 90.0


def test_parent_events_reach_the_algo_hook_and_child_events_the_order_hook() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(20, "twap", {"horizon_seconds": 120, "interval_seconds": 60})
    for _ in range(3):
        desk.bar()
    kinds = [type(e) for e in desk.trader.algo_events]
    assert kinds == [OrderSubmitted, OrderAccepted, OrderFilled, OrderFilled]
    assert {e.client_order_id for e in desk.trader.algo_events} == {parent.client_order_id}
    child_fills = [e for e in desk.trader.order_events if isinstance(e, OrderFilled)]
    parent_fills = [e for e in desk.trader.algo_events if isinstance(e, OrderFilled)]
    assert [(f.last_qty, f.last_px, f.trade_id) for f in child_fills] == [
        (f.last_qty, f.last_px, f.trade_id) for f in parent_fills
    ]
    assert parent.avg_px == pytest.approx(sum(f.last_qty * f.last_px for f in child_fills) / 20.0)


def test_cancelling_the_parent_cancels_working_children_and_stops_scheduling() -> None:
    desk = Desk()
    desk.bar()
    # Limit children below the market never fill: each slice leaves one working.
    parent = desk.submit(100, "twap", {"horizon_seconds": 300, "interval_seconds": 60}, 90.0)
    desk.bar()
    desk.bar()
    assert [c.status for c in desk.children(parent)] == [OrderStatus.ACCEPTED] * 3
    desk.trader.cancel_order(parent)
    assert parent.status is OrderStatus.PENDING_CANCEL
    desk.bar()
    for _ in range(5):
        desk.bar()
    children = desk.children(parent)
    assert len(children) == 3  # nothing sent after the cancel
    assert [c.status for c in children] == [OrderStatus.CANCELED] * 3
    assert parent.status is OrderStatus.CANCELED
    assert type(desk.trader.algo_events[-2]) is OrderPendingCancel
    assert type(desk.trader.algo_events[-1]) is OrderCanceled
    assert not desk.kernel.cache.orders_open(desk.trader.strategy_id)


def test_denied_child_is_retried_by_the_next_slice() -> None:
    desk = Desk(risk_management={"max_order_quantity": 40})
    desk.bar()
    # 3 slices of 100: targets 33, 66, 100 -> children 33, 33, 34, each under the limit of 40.
    parent = desk.submit(100, "twap", TWAP)
    for _ in range(4):
        desk.bar()
    assert [c.quantity for c in desk.children(parent)] == [33.0, 33.0, 34.0]
    assert parent.status is OrderStatus.FILLED

    desk = Desk(risk_management={"max_order_quantity": 40})
    desk.bar()
    parent = desk.submit(120, "twap", {"horizon_seconds": 120, "interval_seconds": 60})
    for _ in range(4):
        desk.bar()
    children = desk.children(parent)
    # Slice 0 wants 60 (denied), slice 1 catches up with 120 (denied): the parent expires.
    assert [(c.quantity, c.status) for c in children] == [
        (60.0, OrderStatus.DENIED),
        (120.0, OrderStatus.DENIED),
    ]
    assert desk.kernel.algorithms.run(parent.client_order_id).rejections == 2
    assert parent.status is OrderStatus.EXPIRED
    assert parent.filled_qty == 0.0


def test_denied_child_with_stop_policy_cancels_the_parent() -> None:
    desk = Desk(risk_management={"max_order_quantity": 40})
    desk.bar()
    params = {**TWAP, "on_child_rejected": "stop"}
    parent = desk.submit(300, "twap", params)
    assert parent.status is OrderStatus.CANCELED
    denials = [e for e in desk.trader.order_events if isinstance(e, OrderDenied)]
    assert [d.code for d in denials] == [DenialCode.QUANTITY_EXCEEDS_MAX_PER_ORDER]
    run = desk.kernel.algorithms.run(parent.client_order_id)
    assert run.stop_reason is not None and "refused" in run.stop_reason
    for _ in range(4):
        desk.bar()
    assert len(desk.children(parent)) == 1


def test_stopping_the_strategy_cancels_its_parents() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(100, "twap", {"horizon_seconds": 300, "interval_seconds": 60}, 90.0)
    desk.kernel.stop_strategy("algo-001")
    for _ in range(6):
        desk.bar()
    assert parent.status is OrderStatus.CANCELED
    assert [c.status for c in desk.children(parent)] == [OrderStatus.CANCELED]


def test_cancel_all_orders_includes_parents_between_slices() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(100, "twap", TWAP)
    # Child 1 fills on this bar; slice 2's timer fires at the bar's time, so child 2 is still
    # working (it would fill on the next bar).
    desk.bar()
    assert parent.filled_qty == 33.0 and len(desk.kernel.cache.orders_open()) == 1
    desk.trader.cancel_all_orders()
    for _ in range(4):
        desk.bar()
    assert parent.status is OrderStatus.CANCELED
    assert parent.filled_qty == 33.0
    assert len(desk.children(parent)) == 2
    assert not desk.kernel.cache.orders_open()


@pytest.mark.parametrize(
    ("algo", "params", "field"),
    [
        ("twapp", TWAP, "exec_algorithm"),
        ("twap", {"horizon_seconds": 60}, "exec_params.interval_seconds"),
        ("twap", {**TWAP, "sizee_jitter": 0.1}, "exec_params.sizee_jitter"),
        ("twap", {"horizon_seconds": 60, "interval_seconds": 120}, "exec_params"),
        ("iceberg", {"display_quantity": 10}, "parent.order_type"),
    ],
)
def test_bad_requests_fail_fast_naming_the_field(
    algo: str, params: dict[str, Any], field: str
) -> None:
    desk = Desk()
    desk.bar()
    with pytest.raises(ConfigError) as error:
        desk.submit(100, algo, params)
    assert error.value.field.startswith(field)
    assert not desk.kernel.algorithms.runs
    assert not desk.kernel.cache.orders


def test_parent_quantity_off_the_lot_is_refused() -> None:
    desk = Desk(instruments=[{"symbol": "AAA", "lot_size": 10}])
    desk.bar()
    with pytest.raises(ConfigError, match="lot size 10"):
        desk.submit(95, "twap", TWAP)


def test_without_algorithms_no_subscription_is_added() -> None:
    desk = Desk()
    bus = desk.kernel.bus
    handlers = bus.handlers_for("events.order.algo-001")
    desk.trader.buy("AAA", 10)
    desk.bar()
    assert bus.handlers_for("events.order.algo-001") == handlers
    assert not bus.has_subscribers("events.algo.other-001")
