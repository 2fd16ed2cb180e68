"""POV and Iceberg on a simulated clock: participation band, child size limits, display
quantity and refills."""

from __future__ import annotations

from algo_desk import AAA, MIN, T0, Desk
from midfreq.model.enums import OrderStatus, OrderType

VOLUMES = [1000, 250, 4000, 30, 30, 30, 1200, 800, 5000, 60, 700, 2500]


def test_pov_commits_within_its_participation_band_after_every_bar() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(10_000, "pov", {"participation": 0.1, "min_child_quantity": 20})
    run = desk.kernel.algorithms.run(parent.client_order_id)
    observed = 0.0
    for volume in VOLUMES:
        desk.bar(volume=volume)
        observed += volume
        # Never ahead of 10% of the volume seen; behind by less than one minimum child.
        assert 0.1 * observed - 20 < run.committed <= 0.1 * observed
    sizes = [c.quantity for c in desk.children(parent)]
    assert min(sizes) >= 20
    # Hand-computed: 10% of the running volume (100, 125, 525, 528, 531, 534, 654, 734, 1234,
    # 1240, 1310, 1560) less what is committed, sent when the deficit reaches 20.
    assert sizes == [100.0, 25.0, 400.0, 129.0, 80.0, 500.0, 76.0, 250.0]
    assert parent.filled_qty == sum(sizes[:-1])  # the last child fills on the next bar


def test_pov_caps_children_at_the_maximum_and_finishes_the_parent() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(
        300, "pov", {"participation": 0.5, "min_child_quantity": 10, "max_child_quantity": 100}
    )
    for _ in range(6):
        desk.bar(volume=1000)
    sizes = [c.quantity for c in desk.children(parent)]
    assert sizes == [100.0, 100.0, 100.0]
    assert parent.status is OrderStatus.FILLED


def test_pov_with_a_horizon_expires_short() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(10_000, "pov", {"participation": 0.1, "horizon_seconds": 120})
    for _ in range(5):
        desk.bar(volume=1000)
    assert parent.status is OrderStatus.EXPIRED
    # The horizon (3 min) fires before the bar of 3 min is seen: one bar of volume counted.
    assert parent.filled_qty == 100.0


def test_pov_counts_trade_prints_when_told() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(1000, "pov", {"participation": 0.2, "volume_source": "trades"})
    desk.bar(volume=5000)  # bars are ignored
    assert desk.children(parent) == []
    from midfreq.model.data import TradeTick
    from midfreq.model.enums import AggressorSide

    ts = T0 + 3 * MIN
    desk.kernel.process_trade(TradeTick(AAA, 100.0, 500.0, AggressorSide.BUYER, "t1", ts, ts))
    assert [c.quantity for c in desk.children(parent)] == [100.0]


def test_iceberg_shows_at_most_the_display_quantity_and_refills() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(250, "iceberg", {"display_quantity": 100}, price=99.0)
    run = desk.kernel.algorithms.run(parent.client_order_id)
    assert run.displayed == 100.0
    shown = []
    for low in (100.0, 99.0, 100.0, 99.0, 99.0, 99.0):
        desk.bar(low=low)
        assert run.displayed <= 100.0
        shown.append(run.displayed)
    children = desk.children(parent)
    assert [c.quantity for c in children] == [100.0, 100.0, 50.0]
    assert all(c.price == 99.0 and c.order_type is OrderType.LIMIT for c in children)
    # Each refill is sent when the previous slice fills, so it works from the next bar.
    assert shown == [100.0, 100.0, 100.0, 50.0, 0.0, 0.0]
    assert parent.status is OrderStatus.FILLED and parent.filled_qty == 250.0


def test_iceberg_cancel_removes_the_shown_slice() -> None:
    desk = Desk()
    desk.bar()
    parent = desk.submit(500, "iceberg", {"display_quantity": 100}, price=99.0)
    desk.bar(low=99.0)
    desk.trader.cancel_order(parent)
    desk.bar(low=99.0)
    desk.bar(low=99.0)
    assert parent.status is OrderStatus.CANCELED
    assert parent.filled_qty == 100.0
    assert [c.status for c in desk.children(parent)] == [
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
    ]


def test_iceberg_retries_a_denied_slice_on_the_next_bar() -> None:
    desk = Desk(risk_management={"max_order_quantity": 50})
    desk.bar()
    parent = desk.submit(100, "iceberg", {"display_quantity": 100}, price=99.0)
    children = desk.children(parent)
    assert [c.status for c in children] == [OrderStatus.DENIED]
    desk.bar(low=100.0)
    assert len(desk.children(parent)) == 2  # retried (and denied again): no loop in between
