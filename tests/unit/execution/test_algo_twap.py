"""TWAP on a simulated clock: slice times and sizes hand-computed (remainder to the last
slice, lot rounding), limit children cancelled at the horizon, seeded randomisation."""

from __future__ import annotations

from typing import Any

import pytest

from algo_desk import AAA, MIN, T0, Desk
from midfreq.core.clock import NANOS_PER_SECOND
from midfreq.model.enums import OrderSide, OrderStatus, OrderType
from midfreq.model.orders import Order


def schedule(desk: Desk, parent: Order) -> list[tuple[float, float]]:
    """``(minutes after T0 sent, quantity)`` of every child."""
    return [((c.ts_init - T0) / MIN, c.quantity) for c in desk.children(parent)]


@pytest.mark.parametrize(
    ("quantity", "lot", "horizon", "interval", "expected"),
    [
        # 100 in 3 slices, lot 1: targets floor(33.3)=33, floor(66.7)=66, 100.
        (100, 1, 180, 60, [(1, 33), (2, 33), (3, 34)]),
        # lot 10: targets 30, 60, 100: the remainder goes to the last slice.
        (100, 10, 180, 60, [(1, 30), (2, 30), (3, 40)]),
        # 7 in 3: targets 2, 4, 7.
        (7, 1, 180, 60, [(1, 2), (2, 2), (3, 3)]),
        # 5 in 4 slices of 30 s, lot 1: targets 1, 2, 3, 5 at 0, 30, 60, 90 s.
        (5, 1, 120, 30, [(1, 1), (1.5, 1), (2, 1), (2.5, 2)]),
        # horizon 150 s / interval 60 s: floor -> 2 slices; 100 lot 25: targets 50, 100.
        (100, 25, 150, 60, [(1, 50), (2, 50)]),
        # Fewer lots than slices: targets 0, 0, 10, 10, 20 -> only two children.
        (20, 10, 300, 60, [(3, 10), (5, 10)]),
    ],
)
def test_twap_schedule_is_exact(
    quantity: float, lot: float, horizon: float, interval: float, expected: list[Any]
) -> None:
    desk = Desk(instruments=[{"symbol": "AAA", "lot_size": lot}])
    desk.bar()  # now T0 + 1 min: the start
    parent = desk.submit(
        quantity, "twap", {"horizon_seconds": horizon, "interval_seconds": interval}
    )
    for _ in range(8):
        desk.bar()
    assert schedule(desk, parent) == [(float(t), float(q)) for t, q in expected]
    assert parent.status is OrderStatus.FILLED
    assert parent.filled_qty == quantity


def test_timers_between_bars_fire_at_their_own_time() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(40, "twap", {"horizon_seconds": 40, "interval_seconds": 10})
    desk.bar()  # one bar a minute later: the three later slices fire at 10, 20, 30 s
    offsets = [(c.ts_init - (T0 + MIN)) // NANOS_PER_SECOND for c in desk.children(parent)]
    assert offsets == [0, 10, 20, 30]
    assert [c.quantity for c in desk.children(parent)] == [10.0] * 4


def test_limit_children_left_at_the_horizon_are_cancelled_and_the_parent_expires() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(30, "twap", {"horizon_seconds": 180, "interval_seconds": 60}, price=99.0)
    # A child fills on the first bar that opens after it was sent: child 1 (sent at 1 min) on
    # the bar of 1-2 min, child 2 (its timer fires at 2 min) on the bar of 2-3 min.
    desk.bar(low=99.0)
    desk.bar(low=99.0)
    assert parent.filled_qty == 20.0
    desk.bar()  # the horizon ends at 4 min, before the bar of 3-4 min: child 3 is cancelled
    desk.bar()
    children = desk.children(parent)
    assert [c.price for c in children] == [99.0] * 3
    assert [c.status for c in children] == [
        OrderStatus.FILLED,
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
    ]
    assert parent.status is OrderStatus.EXPIRED
    assert parent.filled_qty == 20.0 and parent.avg_px == 99.0


def test_unfilled_limit_slice_is_caught_up_by_the_next() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(30, "twap", {"horizon_seconds": 180, "interval_seconds": 60}, 99.0)
    desk.bar(low=100.0)  # children 1 and 2 rest unfilled; the committed quantity is 20
    desk.bar(low=100.0)  # slice 2: target 30 - committed 20 -> 10
    assert [c.quantity for c in desk.children(parent)] == [10.0, 10.0, 10.0]
    assert sum(c.leaves_qty for c in desk.children(parent)) == 30.0


def test_randomised_twap_is_reproducible_and_sums_to_the_parent() -> None:
    params = {
        "horizon_seconds": 600,
        "interval_seconds": 60,
        "size_jitter": 0.5,
        "time_jitter": 0.5,
        "seed": 7,
    }
    runs = []
    for _ in range(2):
        desk = Desk()
        desk.bar()
        parent = desk.submit(1000, "twap", params)
        for _ in range(12):
            desk.bar()
        runs.append(schedule(desk, parent))
        assert parent.filled_qty == 1000.0
    assert runs[0] == runs[1]
    sizes = [q for _, q in runs[0]]
    times = [t for t, _ in runs[0]]
    assert sum(sizes) == 1000.0 and len(set(sizes)) > 2  # not equal slices
    for k, t in enumerate(times):  # slice k within [k, k + 0.5) minutes after the start
        assert k <= t - 1 < k + 0.5
    assert times != [1.0 + k for k in range(10)]


def test_sell_parent_works_the_same() -> None:
    desk = Desk()
    desk.bar()
    order = desk.trader.make_order("AAA", OrderSide.SELL, 60, order_type=OrderType.MARKET)
    parent = desk.trader.submit_order(
        order, exec_algorithm="TWAP", exec_params={"horizon_seconds": 120, "interval_seconds": 60}
    )
    for _ in range(3):
        desk.bar()
    assert [c.side for c in desk.children(parent)] == [OrderSide.SELL] * 2
    assert desk.kernel.portfolio_view.quantity(AAA, desk.trader.strategy_id) == -60.0
