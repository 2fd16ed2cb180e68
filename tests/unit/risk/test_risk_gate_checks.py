"""The pre-trade checks beyond the basic limits, each at its boundary, on the real order path
(`test_risk_gate_desk.Desk`). Expected figures are hand-computed in each test, or (correlation)
computed by numpy.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from test_risk_gate_desk import AAA, BBB, BUY, ES, SECOND, SELL, T0, Desk

from midfreq.core.errors import RiskError
from midfreq.model.commands import CancelAllOrders
from midfreq.model.data import QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide, DenialCode, OrderStatus, TradingState
from midfreq.model.events import OrderFilled, OrderSubmitted
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId
from midfreq.model.orders import Order
from midfreq.risk.config import RiskGateConfig
from midfreq.risk.gate import (
    CHECK_ORDER,
    DECISIONS_TOPIC,
    RESTRICTIONS_TOPIC,
    STRATEGY_TRADING_TOPIC,
    GateAction,
    InstrumentKnown,
    ModifyOrder,
    PrecisionValid,
    RestrictionAction,
    RestrictionUpdate,
    RollingCorrelation,
    book_correlation,
    checks_from_config,
)
from midfreq.simulation.models import BarFillModel


# ---- the default: nothing configured, nothing runs -------------------------------------------
def test_only_instrument_and_precision_checks_run_unless_configured():
    desk = Desk()

    assert [type(c) for c in desk.gate.checks] == [InstrumentKnown, PrecisionValid]
    # No subscriptions: the gate costs nothing per event or bar while the checks are off.
    assert desk.gate._on_order_event not in desk.bus.handlers_for("events.order.s-1")
    assert not any(
        getattr(h, "__self__", None) is desk.gate.context.history
        for h in desk.bus.handlers_for("data.bars.AAA.SIM")
    )


def test_every_check_configured_runs_in_the_declared_order():
    config = RiskGateConfig(
        max_order_quantity=1,
        max_notional_per_order=1,
        max_position=1,
        max_position_notional=1,
        max_gross_exposure=1,
        max_net_exposure=1,
        max_open_orders=1,
        max_open_orders_per_instrument=1,
        price_collar={"max_deviation": 0.1},
        buying_power={"limit": 1},
        order_rate={"max_per_strategy": 1},
        execution_throttle={"max_fills": 1, "window_seconds": 1},
        duplicate_orders={},
        restricted_list={},
        short_sale={},
        self_match={},
        correlation={"max_correlation": 0.5},
        liquidity={"max_volume_share": 0.1},
    )

    checks = checks_from_config(config)

    assert len(checks) == len(CHECK_ORDER) == 20
    names = [type(c).__name__ for c in checks]
    assert names == [
        "ExecutionThrottle",
        "DuplicateOrder",
        "InstrumentKnown",
        "PrecisionValid",
        "RestrictedList",
        "OrderRateLimit",
        "MaxOrderQuantity",
        "MaxNotionalPerOrder",
        "PriceCollar",
        "MaxVolumeShare",
        "MaxOpenOrders",
        "MaxOpenOrdersPerInstrument",
        "MaxPosition",
        "MaxPositionNotional",
        "MaxGrossExposure",
        "MaxNetExposure",
        "ShortSale",
        "BuyingPower",
        "SelfMatch",
        "MaxCorrelation",
    ]


# ---- price collar ------------------------------------------------------------------------------
@pytest.mark.parametrize("side", [BUY, SELL])
@pytest.mark.parametrize(
    ("price", "inside"),
    [
        (94.99, False),  # one tick outside, below
        (95.00, True),  # at the lower edge
        (95.01, True),  # one tick inside
        (104.99, True),
        (105.00, True),  # at the upper edge
        (105.01, False),  # one tick outside, above
    ],
)
def test_collar_edges_on_both_sides(side, price, inside):
    desk = Desk(price_collar={"max_deviation": 0.05})
    desk.bar(AAA, 100.00)

    order = desk.send(side, 10, price)

    if inside:
        assert desk.denial(order) is None
    else:
        low, high = 95.0, 105.0
        assert desk.denial(order) == (
            DenialCode.PRICE_OUTSIDE_COLLAR,
            f"PRICE_OUTSIDE_COLLAR price={price} reference=100.0 low={low} high={high}",
        )


@pytest.mark.parametrize(
    ("price", "inside"),
    [
        (3919.75, False),
        (3920.00, True),
        (3920.25, True),
        (4079.75, True),
        (4080.00, True),
        (4080.25, False),
    ],
)
def test_fat_finger_band_per_instrument_replaces_the_default(price, inside):
    # ES has a 2% band (4000 +- 80), one tick 0.25; AAA keeps the default 5%.
    desk = Desk(price_collar={"max_deviation": 0.05, "by_instrument": {"ES.SIM": 0.02}})
    desk.bar(ES, 4000.00)

    order = desk.send(BUY, 1, price, instrument_id=ES)

    assert (desk.code(order) is None) is inside
    if not inside:
        assert desk.code(order) is DenialCode.PRICE_OUTSIDE_COLLAR


def test_collar_refuses_every_order_without_a_reference_price():
    desk = Desk(price_collar={"max_deviation": 0.05})

    limit = desk.send(BUY, 10, 100.00)
    market = desk.send(BUY, 10)

    expected = (DenialCode.NO_REFERENCE_PRICE, "NO_REFERENCE_PRICE instrument=AAA.SIM")
    assert desk.denial(limit) == desk.denial(market) == expected


@pytest.mark.parametrize(("age", "stale"), [(59.999, False), (60.0, False), (60.001, True)])
def test_collar_refuses_a_stale_reference(age, stale):
    desk = Desk(price_collar={"max_deviation": 0.05, "max_age_seconds": 60})
    desk.bar(AAA, 100.00)
    desk.at(age)

    order = desk.send(BUY, 10)  # market orders too: nothing fresh says where they would fill

    if stale:
        assert desk.denial(order) == (
            DenialCode.STALE_REFERENCE_PRICE,
            f"STALE_REFERENCE_PRICE instrument=AAA.SIM age_seconds={age} max_age_seconds=60.0",
        )
    else:
        assert desk.denial(order) is None


def test_collar_refuses_an_instrument_the_feed_reported_stale():
    desk = Desk(price_collar={"max_deviation": 0.05})
    desk.bar(AAA, 100.00)
    desk.cache.stale_instruments.add(AAA)

    assert desk.code(desk.send(BUY, 10, 100.00)) is DenialCode.STALE_REFERENCE_PRICE


def test_collar_reference_is_the_newest_of_quote_trade_and_bar():
    desk = Desk(price_collar={"max_deviation": 0.01})
    desk.data.process_quote(QuoteTick(AAA, 99.98, 100.02, 100.0, 100.0, desk.now, desk.now))
    desk.at(1)
    desk.data.process_trade(
        TradeTick(AAA, 110.00, 5.0, AggressorSide.BUYER, "T-1", desk.now, desk.now)
    )

    # The trade (110, newer) is the reference: 100 is outside 1%, 109 inside.
    assert desk.code(desk.send(BUY, 1, 100.00)) is DenialCode.PRICE_OUTSIDE_COLLAR
    assert desk.code(desk.send(BUY, 1, 109.00)) is None


# ---- buying power ------------------------------------------------------------------------------
def test_fifty_concurrent_orders_of_three_percent_each_exactly_thirty_three_accepted():
    # Buying power 1,000,000; each order 300 x 100.00 = 30,000 (3%). All sent at one instant,
    # none acknowledged by the venue yet: 33 x 3% = 99% fit, the 34th would make 102%.
    desk = Desk(buying_power={"limit": 1_000_000})
    orders = [desk.send(BUY, 300, 100.00) for _ in range(50)]

    accepted = [o for o in orders if desk.code(o) is None]
    denied = [o for o in orders if desk.code(o) is not None]

    assert len(accepted) == 33
    assert accepted == orders[:33]
    assert {desk.code(o) for o in denied} == {DenialCode.BUYING_POWER_EXCEEDED}
    assert desk.denial(denied[0])[1] == (
        "BUYING_POWER_EXCEEDED required=30000.0 used=990000.0 buying_power=1000000.0"
    )
    assert sum(o.status is OrderStatus.SUBMITTED for o in orders) == 33


def test_cancel_restores_buying_power_headroom_once_confirmed():
    desk = Desk(buying_power={"limit": 1_000_000})
    orders = [desk.send(BUY, 300, 100.00) for _ in range(33)]
    desk.process()  # the venue accepts them: they rest below the market (no bar yet)

    assert desk.code(desk.send(BUY, 300, 100.00)) is DenialCode.BUYING_POWER_EXCEEDED
    desk.cancel(orders[0])
    # Requested but not confirmed: the order could still fill, so its margin stays reserved.
    assert desk.code(desk.send(BUY, 300, 100.00)) is DenialCode.BUYING_POWER_EXCEEDED
    desk.process()
    assert orders[0].status is OrderStatus.CANCELED
    assert desk.code(desk.send(BUY, 300, 100.00)) is None  # 990,000 again
    assert desk.code(desk.send(BUY, 101, 100.00)) is DenialCode.BUYING_POWER_EXCEEDED
    assert desk.code(desk.send(BUY, 100, 100.00)) is None  # exactly 1,000,000


def test_buying_power_counts_positions_after_fills_and_releases_the_order_reservation():
    desk = Desk(buying_power={"limit": 100_000})
    desk.fill(BUY, 500, 100.00)  # long 50,000 at the mark 100.00

    assert desk.gate.context.working.margin == 0.0  # the filled order reserves nothing now
    assert desk.code(desk.send(BUY, 500, 100.00, instrument_id=BBB)) is None  # 100,000 in all
    assert desk.code(desk.send(BUY, 1, 100.00, instrument_id=BBB)) is (
        DenialCode.BUYING_POWER_EXCEEDED
    )
    # Selling what is held reduces the position: it needs no buying power.
    assert desk.code(desk.send(SELL, 500, 100.00)) is None


def test_buying_power_defaults_to_equity_times_leverage():
    desk = Desk(cash=100_000.0, buying_power={"leverage": 2.0})

    assert desk.code(desk.send(BUY, 2000, 100.00)) is None  # 200,000 = 2 x equity
    assert desk.code(desk.send(BUY, 1, 100.00)) is DenialCode.BUYING_POWER_EXCEEDED


def test_buying_power_margin_rates_by_asset_class():
    # A future at 10% margin: one ES contract at 4,000 x 50 = 200,000 notional needs 20,000.
    desk = Desk(buying_power={"limit": 50_000, "margin_rates": {"FUTURE": 0.1}})

    assert desk.code(desk.send(BUY, 2, 4000.00, instrument_id=ES)) is None  # 40,000
    order = desk.send(BUY, 1, 4000.00, instrument_id=ES)
    assert desk.denial(order) == (
        DenialCode.BUYING_POWER_EXCEEDED,
        "BUYING_POWER_EXCEEDED required=20000.0 used=40000.0 buying_power=50000.0",
    )
    assert desk.code(desk.send(BUY, 100, 100.00)) is None  # equity at 100%: 10,000 more


# ---- positions, exposure and open orders ---------------------------------------------------------
def test_max_position_counts_orders_the_moment_they_are_approved():
    desk = Desk(max_position=100)
    first = desk.send(BUY, 60, 100.00)
    second = desk.send(BUY, 40, 100.00)  # 100 with the first, still in flight
    third = desk.send(BUY, 1, 100.00)

    assert [desk.code(o) for o in (first, second, third)] == [
        None,
        None,
        DenialCode.POSITION_EXCEEDS_MAX,
    ]


def test_gross_exposure_counts_working_orders_that_add_exposure():
    desk = Desk(max_gross_exposure=100_000)
    desk.fill(BUY, 400, 100.00)  # 40,000 held
    desk.send(BUY, 300, 100.00, instrument_id=BBB)  # 30,000 working
    desk.send(SELL, 100, 100.00)  # reduces AAA: adds nothing

    assert desk.code(desk.send(BUY, 300, 100.00, instrument_id=BBB)) is None  # 100,000
    order = desk.send(SELL, 1, 100.00, instrument_id=BBB)  # a short adds exposure too
    assert desk.denial(order) == (
        DenialCode.GROSS_EXPOSURE_EXCEEDS_MAX,
        "GROSS_EXPOSURE_EXCEEDS_MAX gross_exposure_after=100100.0 limit=100000.0",
    )


def test_net_exposure_limits_both_directions_counting_working_orders_on_the_order_side():
    desk = Desk(max_net_exposure=50_000)
    desk.fill(BUY, 300, 100.00)  # net +30,000
    desk.send(BUY, 100, 100.00, instrument_id=BBB)  # +10,000 working

    assert desk.code(desk.send(BUY, 100, 100.00, instrument_id=BBB)) is None  # +50,000
    assert desk.denial(desk.send(BUY, 1, 100.00, instrument_id=BBB)) == (
        DenialCode.NET_EXPOSURE_EXCEEDS_MAX,
        "NET_EXPOSURE_EXCEEDS_MAX net_exposure_after=50100.0 limit=50000.0",
    )
    # Selling: 30,000 - 80,000 = -50,000 is at the limit; -50,100 beyond it.
    assert desk.code(desk.send(SELL, 800, 100.00, instrument_id=BBB)) is None
    assert desk.denial(desk.send(SELL, 1, 100.00, instrument_id=InstrumentId("CCC.SIM"))) == (
        DenialCode.NET_EXPOSURE_EXCEEDS_MAX,
        "NET_EXPOSURE_EXCEEDS_MAX net_exposure_after=-50100.0 limit=50000.0",
    )


def test_max_open_orders_in_all_and_per_instrument():
    desk = Desk(max_open_orders=3, max_open_orders_per_instrument=2)
    a1, a2 = desk.send(BUY, 1, 90.00), desk.send(BUY, 1, 90.00)

    assert desk.denial(desk.send(BUY, 1, 90.00)) == (
        DenialCode.OPEN_ORDERS_EXCEED_MAX,
        "OPEN_ORDERS_EXCEED_MAX instrument=AAA.SIM open_orders=2 limit=2",
    )
    assert desk.code(desk.send(BUY, 1, 90.00, instrument_id=BBB)) is None
    assert desk.denial(desk.send(BUY, 1, 90.00, instrument_id=ES)) == (
        DenialCode.OPEN_ORDERS_EXCEED_MAX,
        "OPEN_ORDERS_EXCEED_MAX open_orders=3 limit=3",
    )
    desk.cancel(a1)
    desk.process()
    assert a1.status is OrderStatus.CANCELED
    assert desk.code(desk.send(BUY, 1, 90.00)) is None
    assert a2.is_open


# ---- order rate ----------------------------------------------------------------------------------
def _max_in_any_window(times: list[int], window: int) -> int:
    times = sorted(times)
    return max(
        (sum(1 for u in times if t <= u < t + window) for t in times),
        default=0,
    )


def test_a_burst_of_1000_submits_in_one_second_passes_at_most_100_in_any_sliding_second():
    desk = Desk(order_rate={"max_per_strategy": 100, "window_seconds": 1.0})
    rng = random.Random(7)
    offsets = sorted(rng.randrange(0, SECOND) for _ in range(1000))
    approved_at = []
    for offset in offsets:
        desk.clock.set_time(T0 + offset)
        order = desk.send(BUY, 1, 90.00)
        if desk.code(order) is None:
            approved_at.append(desk.now)
        else:
            assert desk.code(order) is DenialCode.ORDER_RATE_EXCEEDED

    assert len(approved_at) == 100  # all within one second: the first 100 pass
    assert approved_at == [T0 + o for o in offsets[:100]]
    assert _max_in_any_window(approved_at, SECOND) == 100


def test_rate_window_slides_over_a_longer_burst():
    # 3,000 submits at random times over 5 seconds against 100 per second.
    desk = Desk(order_rate={"max_per_strategy": 100, "window_seconds": 1.0})
    rng = random.Random(11)
    approved_at = []
    for offset in sorted(rng.randrange(0, 5 * SECOND) for _ in range(3000)):
        desk.clock.set_time(T0 + offset)
        if desk.code(desk.send(BUY, 1, 90.00)) is None:
            approved_at.append(desk.now)

    assert _max_in_any_window(approved_at, SECOND) == 100
    assert len(approved_at) >= 400  # each second refills: not a one-off budget


def test_rate_limit_per_venue_and_per_strategy_never_counting_denials_or_cancels():
    desk = Desk(
        venues=("SIM", "XNAS"),
        order_rate={"max_per_strategy": 3, "max_per_venue": 2, "window_seconds": 1.0},
    )
    first = desk.send(BUY, 1, 90.00)
    desk.send(BUY, 1, 90.00, strategy="s-2")
    third = desk.send(BUY, 1, 90.00, strategy="s-3")
    xnas = desk.send(BUY, 1, 90.00, instrument_id=InstrumentId("AAA.XNAS"))
    for _ in range(5):
        desk.cancel(first)  # cancels pass whatever the rate

    assert desk.denial(third) == (
        DenialCode.ORDER_RATE_EXCEEDED,
        "ORDER_RATE_EXCEEDED venue=SIM orders_in_window=2 limit=2 window_seconds=1.0",
    )
    assert desk.code(xnas) is None
    assert desk.gate.cancel_count == 5
    desk.at(1.0)  # the first two left the window (t <= now - 1s)
    assert desk.code(desk.send(BUY, 1, 90.00)) is None


# ---- execution throttle ----------------------------------------------------------------------
def test_execution_throttle_disables_a_strategy_after_n_fills_in_t_seconds_until_enabled():
    desk = Desk(execution_throttle={"max_fills": 3, "window_seconds": 10})
    notices = []
    desk.bus.subscribe(STRATEGY_TRADING_TOPIC, notices.append)
    desk.fill(BUY, 1, 100.00)
    desk.at(20)  # the first fill leaves the 10 s window
    desk.fill(BUY, 1, 100.00)
    desk.at(25)
    desk.fill(BUY, 1, 100.00)
    working = desk.send(BUY, 1, 90.00)
    assert desk.code(working) is None and notices == []
    desk.at(29)
    desk.fill(BUY, 1, 100.00)  # third fill within 10 s

    denied = desk.send(SELL, 1, 110.00)
    other = desk.send(BUY, 1, 90.00, strategy="s-2")
    desk.cancel(working)

    assert desk.denial(denied) == (
        DenialCode.STRATEGY_DISABLED,
        "STRATEGY_DISABLED strategy=s-1 why=3 fills within 10s",
    )
    assert desk.code(other) is None
    assert desk.gate.decisions[-1].action is GateAction.CANCEL
    assert [(n.strategy_id, n.enabled) for n in notices] == [("s-1", False)]
    assert desk.gate.enable_strategy("s-1", "checked by the desk") is True
    assert desk.code(desk.send(SELL, 1, 110.00)) is None
    assert [(n.enabled, n.reason) for n in notices][1] == (True, "checked by the desk")
    assert desk.gate.enable_strategy("s-1") is False


# ---- duplicates ----------------------------------------------------------------------------------
def test_reused_client_order_id_is_denied_and_the_original_untouched():
    desk = Desk(duplicate_orders={})
    original = desk.send(BUY, 10, 90.00, client_order_id="X-1")
    copy = desk.send(BUY, 20, 91.00, client_order_id="X-1")

    assert desk.denial(copy) == (
        DenialCode.DUPLICATE_CLIENT_ORDER_ID,
        "DUPLICATE_CLIENT_ORDER_ID client_order_id=X-1",
    )
    assert original.status is OrderStatus.SUBMITTED
    assert desk.cache.orders[ClientOrderId("X-1")] is original


def test_economically_identical_orders_within_the_window_are_denied():
    desk = Desk(duplicate_orders={"identical_window_seconds": 2.0})
    first = desk.send(BUY, 10, 90.00)
    desk.at(1.5)
    again = desk.send(BUY, 10, 90.00)
    other_price = desk.send(BUY, 10, 90.01)
    other_strategy = desk.send(BUY, 10, 90.00, strategy="s-2")
    child = desk.send(BUY, 10, 90.00, parent="P-1")  # algorithm slices repeat legitimately
    desk.at(2.0)
    later = desk.send(BUY, 10, 90.00)

    assert desk.denial(again) == (
        DenialCode.DUPLICATE_ORDER,
        f"DUPLICATE_ORDER same_as={first.client_order_id} seconds_since=1.5 window_seconds=2.0",
    )
    assert [desk.code(o) for o in (other_price, other_strategy, child, later)] == [None] * 4


# ---- restricted list and short sales ---------------------------------------------------------
def test_restricted_list_updated_at_run_time_with_audit_records():
    desk = Desk(restricted_list={"instruments": ["BBB.SIM"]})
    published = []
    desk.bus.subscribe(RESTRICTIONS_TOPIC, published.append)
    assert desk.code(desk.send(BUY, 1, 90.00, instrument_id=BBB)) is (
        DenialCode.RESTRICTED_INSTRUMENT
    )
    assert desk.code(desk.send(BUY, 1, 90.00)) is None

    desk.at(5)
    desk.bus.send(
        "RiskGate.update_restrictions",
        RestrictionUpdate(
            action=RestrictionAction.RESTRICT, instrument_id=AAA, actor="compliance", reason="MNPI"
        ),
    )
    blocked = desk.send(SELL, 1, 110.00)
    desk.at(9)
    desk.gate.update_restrictions(
        RestrictionUpdate(
            action=RestrictionAction.LIFT, instrument_id=BBB, actor="compliance", reason="cleared"
        )
    )

    assert desk.denial(blocked) == (
        DenialCode.RESTRICTED_INSTRUMENT,
        "RESTRICTED_INSTRUMENT instrument=AAA.SIM",
    )
    assert desk.code(desk.send(BUY, 1, 90.00, instrument_id=BBB)) is None
    audit = desk.gate.restrictions.audit
    assert [
        (r.ts_event, r.action, r.instrument_id, r.before, r.after, r.actor, r.reason) for r in audit
    ] == [
        (T0 + 5 * SECOND, RestrictionAction.RESTRICT, AAA, False, True, "compliance", "MNPI"),
        (T0 + 9 * SECOND, RestrictionAction.LIFT, BBB, True, False, "compliance", "cleared"),
    ]
    assert published == audit


def test_restriction_updates_need_the_check_configured():
    desk = Desk()
    update = RestrictionUpdate(
        action=RestrictionAction.RESTRICT, instrument_id=AAA, actor="ops", reason="test"
    )

    with pytest.raises(RiskError, match="restricted_list configured"):
        desk.gate.update_restrictions(update)


def test_no_short_sale_without_a_locate_and_locates_change_at_run_time():
    desk = Desk(short_sale={"locates": {"BBB.SIM": 50}})
    desk.fill(BUY, 100, 100.00)

    assert desk.code(desk.send(SELL, 100, 100.00)) is None  # closes the long: no short
    assert desk.denial(desk.send(SELL, 1, 100.00)) == (
        DenialCode.SHORT_SALE_NO_LOCATE,
        "SHORT_SALE_NO_LOCATE short_after=1.0 located=0.0",
    )
    assert desk.code(desk.send(SELL, 50, 100.00, instrument_id=BBB)) is None
    assert desk.code(desk.send(SELL, 1, 100.00, instrument_id=BBB)) is (
        DenialCode.SHORT_SALE_NO_LOCATE
    )
    assert desk.code(desk.send(SELL, 5, 4000.00, instrument_id=ES)) is None  # futures: no rule
    change = desk.gate.update_restrictions(
        RestrictionUpdate(
            action=RestrictionAction.SET_LOCATE,
            instrument_id=AAA,
            quantity=25,
            actor="stock loan",
            reason="located 25",
        )
    )
    assert (change.before, change.after) == (0.0, 25.0)
    assert desk.code(desk.send(SELL, 25, 100.00)) is None
    assert desk.code(desk.send(SELL, 1, 100.00)) is DenialCode.SHORT_SALE_NO_LOCATE


# ---- self-match --------------------------------------------------------------------------------
def test_self_match_refuses_an_order_crossing_our_resting_order():
    desk = Desk(self_match={"mode": "REFUSE"})
    resting = desk.send(SELL, 10, 101.00, strategy="maker")
    desk.process()

    crossing = desk.send(BUY, 5, 101.00, strategy="taker")
    assert desk.denial(crossing) == (
        DenialCode.SELF_MATCH,
        f"SELF_MATCH resting_order={resting.client_order_id} resting_price=101.0 "
        "resting_strategy=maker account=default",
    )
    assert desk.code(desk.send(BUY, 5)) is DenialCode.SELF_MATCH  # a market order crosses
    assert desk.code(desk.send(BUY, 5, 100.99)) is None
    assert desk.code(desk.send(SELL, 5, 102.00)) is None  # same side as the resting order
    assert desk.code(desk.send(BUY, 5, 102.00, instrument_id=BBB)) is None


def test_self_match_can_cancel_the_resting_orders_instead():
    desk = Desk(self_match={"mode": "CANCEL_RESTING"})
    far = desk.send(SELL, 10, 105.00)
    near = desk.send(SELL, 10, 101.00)
    desk.process()

    incoming = desk.send(BUY, 5, 102.00)
    desk.process()

    assert desk.code(incoming) is None
    assert near.status is OrderStatus.CANCELED
    assert far.status is OrderStatus.ACCEPTED
    cancel = desk.gate.decisions[-1]  # after the order's own (approved) decision
    assert (cancel.action, cancel.client_order_id, cancel.reason) == (
        GateAction.CANCEL,
        near.client_order_id,
        f"self-match with {incoming.client_order_id}",
    )


# ---- liquidity ---------------------------------------------------------------------------------
def test_order_may_take_at_most_a_share_of_recent_volume():
    desk = Desk(liquidity={"max_volume_share": 0.1, "window_bars": 3})
    assert desk.code(desk.send(BUY, 1, 100.00)) is DenialCode.NO_VOLUME_REFERENCE
    for volume in (1_000, 2_000, 3_000, 4_000):  # the last three: 9,000
        desk.bar(AAA, 100.00, volume=volume)

    assert desk.code(desk.send(BUY, 900, 90.00)) is None
    assert desk.denial(desk.send(BUY, 901, 90.00)) == (
        DenialCode.LIQUIDITY_EXCEEDS_MAX,
        "LIQUIDITY_EXCEEDS_MAX quantity=901.0 volume=9000.0 share=0.1 limit=900.0",
    )


def test_liquidity_uses_the_configured_average_daily_volume_when_given():
    desk = Desk(liquidity={"max_volume_share": 0.01, "adv": {"BBB.SIM": 50_000}})

    assert desk.code(desk.send(BUY, 500, 90.00, instrument_id=BBB)) is None
    assert desk.code(desk.send(BUY, 501, 90.00, instrument_id=BBB)) is (
        DenialCode.LIQUIDITY_EXCEEDS_MAX
    )


# ---- correlation ---------------------------------------------------------------------------
def test_rolling_correlation_matches_numpy_over_the_window():
    rng = np.random.default_rng(3)
    a, b = InstrumentId("A.SIM"), InstrumentId("B.SIM")
    xs = rng.normal(0, 0.01, 80)
    ys = 0.6 * xs + rng.normal(0, 0.01, 80)
    source = RollingCorrelation(window=50, min_periods=10)
    for ts, (x, y) in enumerate(zip(xs, ys, strict=True)):
        source.update(a, ts, float(x))
        if ts % 7:  # b misses some periods: only the shared ones count
            source.update(b, ts, float(y))

    # Each keeps its last 50 returns: a's are periods 30..79, b's the last 50 it received.
    b_window = [ts for ts in range(80) if ts % 7][-50:]
    shared = [ts for ts in b_window if ts >= 30]
    expected = np.corrcoef(xs[shared], ys[shared])[0, 1]
    assert source.correlation(a, b) == pytest.approx(expected, abs=1e-12)
    assert source.volatility(a) == pytest.approx(np.std(xs[30:], ddof=1), abs=1e-15)


def test_rolling_correlation_needs_min_periods():
    a, b = InstrumentId("A.SIM"), InstrumentId("B.SIM")
    source = RollingCorrelation(window=10, min_periods=5)
    for ts in range(4):
        source.update(a, ts, 0.01 * ts)
        source.update(b, ts, -0.02 * ts)

    assert source.correlation(a, b) is None and source.volatility(a) is None
    source.update(a, 4, 0.05)
    source.update(b, 4, -0.07)
    assert source.correlation(a, b) == pytest.approx(
        np.corrcoef([0, 0.01, 0.02, 0.03, 0.05], [0, -0.02, -0.04, -0.06, -0.07])[0, 1]
    )


def test_book_correlation_equals_the_correlation_with_the_book_return_series():
    rng = np.random.default_rng(5)
    ids = [InstrumentId(f"{s}.SIM") for s in "NXYZ"]
    factor = rng.normal(0, 0.01, 60)
    returns = {iid: 0.8 * factor * (k + 1) + rng.normal(0, 0.01, 60) for k, iid in enumerate(ids)}
    source = RollingCorrelation(window=60, min_periods=20)
    for ts in range(60):
        for iid in ids:
            source.update(iid, ts, float(returns[iid][ts]))
    weights = [(ids[1], 30_000.0), (ids[2], -12_000.0), (ids[3], 5_000.0)]

    book = sum(w * returns[iid] for iid, w in weights)
    expected = np.corrcoef(returns[ids[0]], book)[0, 1]
    assert book_correlation(source, ids[0], weights) == pytest.approx(expected, abs=1e-12)


def _correlated_desk(**limits: Any) -> Desk:
    """AAA and BBB move together, CCC against them; 40 one-minute bars each."""
    desk = Desk(correlation={"max_correlation": 0.8, "window": 30, "min_periods": 20}, **limits)
    rng = random.Random(2)
    prices = {AAA: 100.0, BBB: 100.0, InstrumentId("CCC.SIM"): 100.0}
    for minute in range(40):
        desk.at(minute * 60)
        shock = rng.gauss(0, 0.01)
        for iid, beta in ((AAA, 1.0), (BBB, 1.0), (InstrumentId("CCC.SIM"), -1.0)):
            prices[iid] *= 1 + beta * shock + rng.gauss(0, 0.001)
            desk.bar(iid, round(prices[iid], 2))
    return desk


def test_correlated_position_is_refused_uncorrelated_or_opposite_passes():
    desk = _correlated_desk()
    ccc = InstrumentId("CCC.SIM")
    assert desk.code(desk.send(BUY, 10, 90.00)) is None  # empty book: nothing to correlate with
    desk.fill(BUY, 100, desk.cache.last_prices[AAA])  # the book: long AAA

    buy_bbb = desk.send(BUY, 10, 90.00, instrument_id=BBB)
    sell_bbb = desk.send(SELL, 10, 120.00, instrument_id=BBB)  # short BBB hedges AAA
    sell_ccc = desk.send(SELL, 10, 120.00, instrument_id=ccc)  # short CCC ~ long AAA

    code, reason = desk.denial(buy_bbb)
    assert code is DenialCode.CORRELATION_EXCEEDS_MAX
    source = desk.gate.context.correlation_source
    rho = source.correlation(AAA, BBB)
    assert rho > 0.85
    assert reason == f"CORRELATION_EXCEEDS_MAX correlation={round(rho, 4)} limit=0.8"
    assert desk.code(sell_bbb) is None
    assert desk.code(sell_ccc) is DenialCode.CORRELATION_EXCEEDS_MAX
    assert desk.code(desk.send(SELL, 50, 120.00)) is None  # reducing AAA itself


# ---- modify ----------------------------------------------------------------------------------
def _modify(desk: Desk, order: Order, **fields: Any) -> ModifyOrder:
    command = ModifyOrder(
        client_order_id=order.client_order_id,
        instrument_id=order.instrument_id,
        strategy_id=order.strategy_id,
        ts_init=desk.now,
        **fields,
    )
    desk.bus.send("RiskGate.modify", command)
    return command


def test_modify_is_checked_as_the_order_it_would_make():
    desk = Desk(max_order_quantity=100, max_position=150, price_collar={"max_deviation": 0.05})
    forwarded = []
    desk.bus.register("OrderManager.modify", forwarded.append)
    desk.bar(AAA, 100.00)
    order = desk.send(BUY, 100, 99.00)
    other = desk.send(BUY, 40, 99.00)
    events_before = len(desk.events)

    ok = _modify(desk, order, price=99.50)
    too_big = _modify(desk, order, quantity=101)
    off_collar = _modify(desk, order, price=94.00)
    over_position = _modify(desk, other, quantity=51)  # 100 + 51 > 150
    within = _modify(desk, other, quantity=50)

    assert forwarded == [ok, within]
    decisions = [d for d in desk.gate.decisions if d.action is GateAction.MODIFY]
    assert [(d.approved, d.code) for d in decisions] == [
        (True, None),
        (False, DenialCode.QUANTITY_EXCEEDS_MAX_PER_ORDER),
        (False, DenialCode.PRICE_OUTSIDE_COLLAR),
        (False, DenialCode.POSITION_EXCEEDS_MAX),
        (True, None),
    ]
    assert decisions[3].reason == "POSITION_EXCEEDS_MAX position_after=151.0 limit=150.0"
    # Refused modifies change nothing and send no OrderDenied: the order keeps working.
    assert len(desk.events) == events_before
    assert (order.quantity, order.price, order.status) == (100, 99.00, OrderStatus.SUBMITTED)
    assert (too_big, off_collar, over_position) not in forwarded


def test_modify_refused_when_not_working_unsupported_or_halted():
    desk = Desk()
    order = desk.send(BUY, 10, 90.00)
    _modify(desk, order, price=91.00)
    desk.bus.register("OrderManager.modify", lambda command: None)
    desk.cancel(order)
    desk.process()
    _modify(desk, order, price=91.00)
    live = desk.send(BUY, 10, 90.00)
    desk.gate.set_trading_state(TradingState.HALTED, "test")
    _modify(desk, live, quantity=5)

    modifies = [d for d in desk.gate.decisions if d.action is GateAction.MODIFY]
    assert [(d.code, d.reason) for d in modifies] == [
        (
            DenialCode.MODIFY_NOT_SUPPORTED,
            "MODIFY_NOT_SUPPORTED endpoint=OrderManager.modify",
        ),
        (DenialCode.ORDER_NOT_WORKING, "ORDER_NOT_WORKING status=CANCELED"),
        (DenialCode.TRADING_HALTED, "TRADING_HALTED"),
    ]


# ---- decision records --------------------------------------------------------------------------
def test_a_decision_is_recorded_for_every_submit_modify_and_cancel():
    desk = Desk(max_order_quantity=100, decision_log_size=3)
    published = []
    desk.bus.subscribe(DECISIONS_TOPIC, published.append)
    desk.bus.register("OrderManager.modify", lambda command: None)
    approved = desk.send(BUY, 10, 90.00)
    desk.at(1)
    denied = desk.send(BUY, 101.0, 90.00)
    desk.at(2)
    _modify(desk, approved, quantity=20)
    desk.at(3)
    desk.cancel(approved)

    rows = [
        (
            d.ts_event,
            d.action,
            d.client_order_id,
            d.strategy_id,
            d.instrument_id,
            d.approved,
            d.code,
            d.reason,
        )
        for d in published
    ]
    assert rows == [
        (T0, GateAction.SUBMIT, approved.client_order_id, "s-1", AAA, True, None, ""),
        (
            T0 + SECOND,
            GateAction.SUBMIT,
            denied.client_order_id,
            "s-1",
            AAA,
            False,
            DenialCode.QUANTITY_EXCEEDS_MAX_PER_ORDER,
            "QUANTITY_EXCEEDS_MAX_PER_ORDER quantity=101.0 limit=100.0",
        ),
        (T0 + 2 * SECOND, GateAction.MODIFY, approved.client_order_id, "s-1", AAA, True, None, ""),
        (T0 + 3 * SECOND, GateAction.CANCEL, approved.client_order_id, "s-1", AAA, True, None, ""),
    ]
    assert list(desk.gate.decisions) == published[1:]  # the log keeps the last three
    assert (desk.gate.approved_count, desk.gate.denied_count, desk.gate.cancel_count) == (2, 1, 1)


def test_cancel_all_through_the_gate_records_one_decision_per_order():
    desk = Desk()
    mine = [desk.send(BUY, 1, 90.00) for _ in range(3)]
    theirs = desk.send(BUY, 1, 90.00, strategy="s-2")
    desk.process()

    desk.bus.send(
        "RiskGate.cancel_all", CancelAllOrders(strategy_id=StrategyId("s-1"), ts_init=desk.now)
    )
    desk.process()

    assert [o.status for o in mine] == [OrderStatus.CANCELED] * 3
    assert theirs.status is OrderStatus.ACCEPTED
    cancels = [d.client_order_id for d in desk.gate.decisions if d.action is GateAction.CANCEL]
    assert cancels == [o.client_order_id for o in mine]


def test_working_orders_ledger_agrees_with_the_cache_after_fills_and_cancels():
    desk = Desk(
        bar_fill=BarFillModel(max_volume_participation=0.2),  # partial fills
        buying_power={"limit": 10_000_000},
        max_gross_exposure=10_000_000,
    )
    rng = random.Random(4)
    orders = []
    for step in range(300):
        desk.at(step)
        side = rng.choice([BUY, SELL])
        price = round(100 + rng.uniform(-2, 2), 2)
        orders.append(desk.send(side, rng.randint(1, 50), price))
        if step % 10 == 0:
            desk.bar(
                AAA,
                round(100 + rng.uniform(-1, 1), 2),
                volume=200,
                high=101.0,
                low=99.0,
                open=100.0,
            )
        if step % 7 == 0 and orders:
            victim = rng.choice(orders)
            if victim.is_open:
                desk.cancel(victim)
        desk.process()
        working = desk.gate.context.working
        open_orders = list(desk.cache.open_orders.values())
        buy = sum(o.leaves_qty for o in open_orders if o.side is BUY)
        sell = sum(o.leaves_qty for o in open_orders if o.side is SELL)
        assert working.open_quantity(desk.order(BUY, 1)) == pytest.approx((buy, sell), abs=1e-9)
        assert len(working) == len(open_orders)
        value = sum(o.leaves_qty * o.price for o in open_orders)
        assert working.buy_value + working.sell_value == pytest.approx(value, abs=1e-6)
    # The path went through fills, partial fills (bar volume 200) and cancels.
    assert sum(isinstance(e, OrderFilled) for e in desk.events) > 20
    assert any(o.filled_qty and o.status is not OrderStatus.FILLED for o in orders)
    assert any(o.status is OrderStatus.CANCELED for o in orders)
    assert any(isinstance(e, OrderSubmitted) for e in desk.events)
