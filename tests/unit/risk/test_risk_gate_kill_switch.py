"""The kill switch: every working order cancelled across venues, trading halted, each order
reported with its strategy and account; afterwards only cancels pass. Run on the hand-wired
order path with three simulated venues (`Kernel` builds one), and once through a real kernel.
"""

from __future__ import annotations

import random

from test_risk_gate_desk import BUY, SELL, Desk

from midfreq.model.enums import DenialCode, OrderStatus, OrderType, TradingState
from midfreq.model.events import OrderSubmitted
from midfreq.model.identifiers import InstrumentId
from midfreq.risk.gate import (
    KILL_SWITCH_TOPIC,
    TRADING_STATE_TOPIC,
    ActivateKillSwitch,
    GateAction,
)

VENUES = ("SIM", "XNAS", "ARCA")
STRATEGIES = ("mm-1", "mm-2", "arb-1", "trend-1")


def _working_book(desk: Desk, count: int, rng: random.Random) -> list:
    orders = []
    for _ in range(count):
        venue = rng.choice(VENUES)
        symbol = rng.choice(("AAA", "BBB", "CCC"))
        side = rng.choice((BUY, SELL))
        price = round(90 - rng.random() * 10, 2) if side is BUY else round(110 + rng.random(), 2)
        order = desk.send(
            side,
            rng.randint(1, 20),
            price,
            instrument_id=InstrumentId(f"{symbol}.{venue}"),
            strategy=rng.choice(STRATEGIES),
        )
        assert desk.code(order) is None
        orders.append(order)
    return orders


def test_kill_switch_cancels_500_working_orders_across_three_venues_and_halts():
    desk = Desk(venues=VENUES, account_id="ACC-7", max_order_quantity=1_000)
    rng = random.Random(17)
    accepted = _working_book(desk, 400, rng)
    desk.process()  # these rest at their venues
    in_flight = _working_book(desk, 100, rng)  # these are still on their way
    orders = accepted + in_flight
    assert all(o.status is OrderStatus.ACCEPTED for o in accepted)
    assert all(o.status is OrderStatus.SUBMITTED for o in in_flight)
    assert sum(v.open_order_count() for v in desk.venues.values()) == 400
    reports, states = [], []
    desk.bus.subscribe(KILL_SWITCH_TOPIC, reports.append)
    desk.bus.subscribe(TRADING_STATE_TOPIC, states.append)

    desk.at(3)
    desk.bus.send("RiskGate.kill_switch", ActivateKillSwitch(reason="runaway quoting", actor="ops"))
    desk.process()

    assert desk.gate.trading_state is TradingState.HALTED
    assert [(s.state, s.reason) for s in states] == [
        (TradingState.HALTED, "kill switch by ops: runaway quoting")
    ]
    (report,) = reports
    assert (report.actor, report.reason, report.ts_event) == ("ops", "runaway quoting", desk.now)
    assert sorted(
        (o.client_order_id, o.strategy_id, o.account_id, o.venue) for o in report.orders
    ) == sorted(
        (o.client_order_id, o.strategy_id, "ACC-7", o.instrument_id.rpartition(".")[2])
        for o in orders
    )
    assert {o.strategy_id for o in report.orders} == set(STRATEGIES)
    assert {o.venue for o in report.orders} == set(VENUES)
    assert all(o.status is OrderStatus.CANCELED for o in orders)
    assert sum(v.open_order_count() for v in desk.venues.values()) == 0
    assert desk.cache.open_orders == {}
    cancels = [d for d in desk.gate.decisions if d.action is GateAction.CANCEL]
    assert len(cancels) == 500
    assert {d.reason for d in cancels} == {"kill switch by ops: runaway quoting"}

    # Every later order is denied and none reaches a venue, closing orders included.
    submitted_before = sum(isinstance(e, OrderSubmitted) for e in desk.events)
    later = _later_orders(desk, rng)
    assert {desk.code(o) for o in later} == {DenialCode.TRADING_HALTED}
    assert sum(isinstance(e, OrderSubmitted) for e in desk.events) == submitted_before


def _later_orders(desk: Desk, rng: random.Random) -> list:
    later = []
    for _ in range(50):
        desk.at(4 + rng.random())
        iid = InstrumentId(f"{rng.choice(('AAA', 'BBB'))}.{rng.choice(VENUES)}")
        later.append(
            desk.send(
                rng.choice((BUY, SELL)),
                rng.randint(1, 5),
                100.00,
                instrument_id=iid,
                strategy=rng.choice(STRATEGIES),
            )
        )
    return later


def test_kill_switch_skips_orders_already_pending_cancel_and_lists_them():
    desk = Desk()
    pending = desk.send(BUY, 5, 90.00)
    other = desk.send(BUY, 5, 91.00)
    desk.process()
    desk.cancel(pending)  # pending cancel: its cancel is in flight

    report = desk.gate.kill_switch("test")
    desk.process()

    assert [o.client_order_id for o in report.orders] == [
        pending.client_order_id,
        other.client_order_id,
    ]
    cancels = [d.client_order_id for d in desk.gate.decisions if d.action is GateAction.CANCEL]
    assert cancels == [pending.client_order_id, other.client_order_id]  # one cancel each
    assert pending.status is other.status is OrderStatus.CANCELED


def test_kill_switch_through_a_real_kernel(make_kernel):
    h = make_kernel()
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    resting = [
        h.submit(BUY, 10, order_type=OrderType.LIMIT, price=9.00 - i / 100) for i in range(20)
    ]
    h.bar(1, 10.00, 10.05, 9.95, 10.00)
    assert all(o.status is OrderStatus.ACCEPTED for o in resting)

    report = h.kernel.gate.kill_switch("desk halt", actor="risk officer")
    h.kernel.tick()  # the cancels reach the venue
    after = h.submit(SELL, 5)
    h.bar(2, 10.00, 10.05, 9.95, 10.00)

    assert len(report.orders) == 20
    assert {(o.strategy_id, o.account_id) for o in report.orders} == {("t-1", "default")}
    assert all(o.status is OrderStatus.CANCELED for o in resting)
    assert after.status is OrderStatus.DENIED
    assert h.kernel.venue.open_order_count() == 0
    assert h.kernel.venue.fill_count == 0
