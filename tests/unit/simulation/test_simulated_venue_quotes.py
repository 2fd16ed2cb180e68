"""The simulated venue matching against quotes and trades (`QuoteFillModel`): market orders and
marketable limits take the touch at once, resting limits fill at their price as makers when the
touch crosses later or a trade prints strictly through them, stops trigger on the touch or on a
trade. Quotes here are bid/ask pairs with hand-picked prices; the expected fills follow."""

from __future__ import annotations

import pytest

from midfreq.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from midfreq.model.events import OrderAccepted, OrderTriggered

BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT, STOP, STOP_LIMIT = OrderType.LIMIT, OrderType.STOP_MARKET, OrderType.STOP_LIMIT
SEC = 1_000_000_000


def at(h, seconds: float) -> int:
    return h.ts(0) + int(seconds * SEC)


# ---- market and marketable orders ------------------------------------------------------------
@pytest.mark.parametrize(("side", "expected"), [(BUY, 10.02), (SELL, 10.00)])
def test_market_order_fills_at_the_touch_within_the_same_process_call(make_harness, side, expected):
    h = make_harness()
    order = h.send_on_next(h.order(side, 100))

    h.quote(at(h, 0), 10.00, 10.02)  # the handler sends it; the venue fills it in this call

    assert order.status is OrderStatus.FILLED
    assert h.fill_prices(order) == [(100, expected)]
    fill = h.fills(order)[0]
    assert fill.ts_event == at(h, 0)
    assert fill.liquidity_side is LiquiditySide.TAKER
    assert h.kinds(order) == [
        "OrderInitialized",
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
    ]
    h.assert_audit_trails_valid()


@pytest.mark.parametrize(("side", "expected"), [(BUY, 10.03), (SELL, 9.99)])
def test_market_order_on_quotes_is_slipped(make_harness, side, expected):
    h = make_harness({"slippage_bps": 5})
    order = h.send_on_next(h.order(side, 100))

    # 5 bps: buy 10.02 * 1.0005 = 10.02501 -> up to 10.03; sell 10.00 * 0.9995 = 9.995 -> 9.99.
    h.quote(at(h, 0), 10.00, 10.02)

    assert h.fill_prices(order) == [(100, expected)]


@pytest.mark.parametrize(("side", "limit", "expected"), [(BUY, 10.05, 10.02), (SELL, 9.95, 10.00)])
def test_marketable_limit_fills_at_the_touch_as_taker_without_slippage(
    make_harness, side, limit, expected
):
    h = make_harness({"slippage_bps": 50})
    order = h.send_on_next(h.order(side, 100, order_type=LIMIT, price=limit))

    h.quote(at(h, 0), 10.00, 10.02)

    assert h.fill_prices(order) == [(100, expected)]
    assert h.fills(order)[0].liquidity_side is LiquiditySide.TAKER


# ---- resting limits --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("side", "limit", "later_quote"),
    [
        (BUY, 9.98, (9.95, 9.97)),  # ask falls through the limit
        (BUY, 9.98, (9.96, 9.98)),  # ask reaches the limit exactly
        (SELL, 10.05, (10.06, 10.08)),  # bid rises through the limit
        (SELL, 10.05, (10.05, 10.07)),
    ],
)
def test_resting_limit_fills_at_its_limit_as_maker_when_the_touch_crosses_later(
    make_harness, side, limit, later_quote
):
    h = make_harness()
    order = h.send_on_next(h.order(side, 100, order_type=LIMIT, price=limit))
    h.quote(at(h, 0), 10.00, 10.02)
    assert order.status is OrderStatus.ACCEPTED

    h.quote(at(h, 1), 10.00, 10.01)  # still not crossing
    assert order.status is OrderStatus.ACCEPTED
    h.quote(at(h, 2), *later_quote)

    assert h.fill_prices(order) == [(100, limit)]
    fill = h.fills(order)[0]
    assert fill.liquidity_side is LiquiditySide.MAKER
    assert fill.ts_event == at(h, 2)
    h.assert_audit_trails_valid()


@pytest.mark.parametrize(
    ("side", "limit", "at_limit", "through"),
    [(BUY, 9.98, 9.98, 9.97), (SELL, 10.05, 10.05, 10.06)],
)
def test_trade_fills_a_resting_limit_only_when_strictly_through_it(
    make_harness, side, limit, at_limit, through
):
    h = make_harness()
    order = h.send_on_next(h.order(side, 100, order_type=LIMIT, price=limit))
    h.quote(at(h, 0), 10.00, 10.02)

    h.trade(at(h, 1), at_limit)
    assert order.status is OrderStatus.ACCEPTED

    h.trade(at(h, 2), through)

    assert h.fill_prices(order) == [(100, limit)]
    assert h.fills(order)[0].liquidity_side is LiquiditySide.MAKER
    h.assert_audit_trails_valid()


def test_resting_limit_is_not_slipped(make_harness):
    h = make_harness({"slippage_bps": 50})
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=9.98))
    h.quote(at(h, 0), 10.00, 10.02)
    h.quote(at(h, 1), 9.90, 9.92)

    assert h.fill_prices(order) == [(100, 9.98)]


# ---- stops -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("side", "trigger", "quiet", "touching", "expected"),
    [
        (SELL, 9.90, (9.91, 9.93), (9.89, 9.91), 9.89),  # bid falls through: fills at the bid
        (SELL, 9.90, (9.91, 9.93), (9.90, 9.92), 9.90),  # bid reaches the trigger exactly
        (BUY, 10.10, (10.07, 10.09), (10.09, 10.11), 10.11),  # ask rises through: at the ask
        (BUY, 10.10, (10.07, 10.09), (10.08, 10.10), 10.10),
    ],
)
def test_stop_market_triggers_on_the_touch_and_takes_it(
    make_harness, side, trigger, quiet, touching, expected
):
    h = make_harness()
    order = h.send_on_next(h.order(side, 100, order_type=STOP, trigger_price=trigger))
    h.quote(at(h, 0), 10.00, 10.02)

    h.quote(at(h, 1), *quiet)
    assert order.status is OrderStatus.ACCEPTED
    h.quote(at(h, 2), *touching)

    assert h.fill_prices(order) == [(100, expected)]
    assert h.fills(order)[0].liquidity_side is LiquiditySide.TAKER
    h.assert_audit_trails_valid()


@pytest.mark.parametrize(
    ("side", "trigger", "quiet", "printed"), [(SELL, 9.90, 9.91, 9.90), (BUY, 10.10, 10.09, 10.12)]
)
def test_stop_market_triggers_on_a_trade_and_fills_at_the_print(
    make_harness, side, trigger, quiet, printed
):
    h = make_harness()
    order = h.send_on_next(h.order(side, 100, order_type=STOP, trigger_price=trigger))
    h.quote(at(h, 0), 10.00, 10.02)

    h.trade(at(h, 1), quiet)
    assert order.status is OrderStatus.ACCEPTED
    h.trade(at(h, 2), printed)

    assert h.fill_prices(order) == [(100, printed)]


def test_stop_limit_triggered_by_a_trade_then_fills_as_a_resting_limit(make_harness):
    # Sell stop 9.90 limit 9.88: the 9.90 print triggers it; the next quote's bid 9.88 meets
    # the limit, so it fills there as a maker.
    h = make_harness()
    order = h.send_on_next(
        h.order(SELL, 100, order_type=STOP_LIMIT, trigger_price=9.90, price=9.88)
    )
    h.quote(at(h, 0), 10.00, 10.02)

    h.trade(at(h, 1), 9.90)
    assert order.status is OrderStatus.TRIGGERED
    h.quote(at(h, 2), 9.85, 9.87)  # bid below the limit: no fill
    assert order.status is OrderStatus.TRIGGERED
    h.quote(at(h, 3), 9.88, 9.90)

    assert h.fill_prices(order) == [(100, 9.88)]
    assert h.fills(order)[0].liquidity_side is LiquiditySide.MAKER
    h.assert_audit_trails_valid()


@pytest.mark.parametrize(
    ("trigger_quote", "expected"),
    [
        ((10.09, 10.11), 10.11),  # triggered and marketable at once: takes the ask
        ((10.13, 10.15), None),  # triggered, but the ask is above the 10.12 limit
    ],
)
def test_stop_limit_on_quotes_triggers_on_the_touch_then_needs_its_limit(
    make_harness, trigger_quote, expected
):
    h = make_harness({"slippage_bps": 50})
    order = h.send_on_next(
        h.order(BUY, 100, order_type=STOP_LIMIT, trigger_price=10.10, price=10.12)
    )
    h.quote(at(h, 0), 10.00, 10.02)

    h.quote(at(h, 1), *trigger_quote)

    assert [type(e) for e in order.events].count(OrderTriggered) == 1
    if expected is None:
        assert order.status is OrderStatus.TRIGGERED
        h.quote(at(h, 2), 10.10, 10.12)  # later the ask comes back to the limit: maker fill
        assert h.fill_prices(order) == [(100, 10.12)]
        assert h.fills(order)[0].liquidity_side is LiquiditySide.MAKER
    else:
        assert h.fill_prices(order) == [(100, expected)]
        assert h.fills(order)[0].liquidity_side is LiquiditySide.TAKER
    h.assert_audit_trails_valid()


# ---- time in force and latency ---------------------------------------------------------------
def test_ioc_limit_not_marketable_is_canceled_in_the_same_call(make_harness):
    h = make_harness()
    order = h.send_on_next(
        h.order(BUY, 100, order_type=LIMIT, price=9.98, time_in_force=TimeInForce.IOC)
    )

    h.quote(at(h, 0), 10.00, 10.02)

    assert order.status is OrderStatus.CANCELED
    h.quote(at(h, 1), 9.90, 9.92)
    assert h.fills(order) == []
    h.assert_audit_trails_valid()


@pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
def test_marketable_ioc_and_fok_fill_in_full_at_the_touch(make_harness, tif):
    h = make_harness()
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=10.05, time_in_force=tif))

    h.quote(at(h, 0), 10.00, 10.02)

    assert order.status is OrderStatus.FILLED
    assert h.fill_prices(order) == [(100, 10.02)]


def test_order_with_latency_is_accepted_at_its_arrival_and_fills_on_the_quote_it_meets(
    make_harness,
):
    # Sent at 0 s with 1.5 s latency: the 1 s quote cannot fill it; it is accepted at 1.5 s and
    # takes the ask of the 2 s quote, not the 10.02 ask it was sent on.
    h = make_harness({"latency_ms": 1_500})
    order = h.send_on_next(h.order(BUY, 100))
    h.quote(at(h, 0), 10.00, 10.02)
    assert order.status is OrderStatus.SUBMITTED

    h.quote(at(h, 1), 10.01, 10.03)
    assert order.status is OrderStatus.SUBMITTED

    h.quote(at(h, 2), 10.04, 10.06)

    accepted = next(e for e in order.events if isinstance(e, OrderAccepted))
    assert accepted.ts_event == at(h, 1.5)
    assert h.fill_prices(order) == [(100, 10.06)]
    assert h.fills(order)[0].ts_event == at(h, 2)
    h.assert_audit_trails_valid()


def test_gtd_order_is_gone_at_its_expire_time(make_harness):
    h = make_harness()
    expire = at(h, 10)
    order = h.send_on_next(
        h.order(
            BUY,
            100,
            order_type=LIMIT,
            price=9.98,
            time_in_force=TimeInForce.GTD,
            expire_time_ns=expire,
        )
    )
    h.quote(at(h, 0), 10.00, 10.02)
    h.quote(expire - 1, 10.00, 10.01)
    assert order.status is OrderStatus.ACCEPTED

    h.quote(expire, 9.95, 9.97)  # would cross the limit, but the order has just expired

    assert order.status is OrderStatus.EXPIRED
    assert h.fills(order) == []
    assert order.events[-1].ts_event == expire
    h.assert_audit_trails_valid()


def test_cancel_on_quotes_goes_pending_cancel_then_canceled_in_the_same_call(make_harness):
    h = make_harness()
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=9.98))
    h.quote(at(h, 0), 10.00, 10.02)
    h.cancel_on_next(order)

    h.quote(at(h, 1), 10.00, 10.01)

    assert order.status is OrderStatus.CANCELED
    assert h.kinds(order)[-2:] == ["OrderPendingCancel", "OrderCanceled"]
    h.quote(at(h, 2), 9.90, 9.92)
    assert h.fills(order) == []
    h.assert_audit_trails_valid()


def test_resting_limit_on_a_trades_only_feed_fills_when_a_trade_prints_through(make_harness):
    h = make_harness()
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=9.98))
    h.trade(at(h, 0), 10.01)
    h.trade(at(h, 1), 9.98)
    assert order.status is OrderStatus.ACCEPTED

    h.trade(at(h, 2), 9.97)

    assert h.fill_prices(order) == [(100, 9.98)]


def test_ioc_on_a_trades_only_feed_is_canceled_on_arrival(make_harness):
    h = make_harness()
    order = h.send_on_next(
        h.order(BUY, 100, order_type=LIMIT, price=9.98, time_in_force=TimeInForce.IOC)
    )
    h.trade(at(h, 0), 10.01)

    assert order.status is OrderStatus.CANCELED
    h.assert_audit_trails_valid()


def test_stop_on_a_trades_only_feed_with_latency_triggers_on_a_later_print(make_harness):
    # Sent at 0 s, arrives at 0.5 s; accepted when the 1 s print is processed (9.95 does not
    # reach the 9.90 trigger); the 2 s print at 9.89 triggers it.
    h = make_harness({"latency_ms": 500})
    order = h.send_on_next(h.order(SELL, 100, order_type=STOP, trigger_price=9.90))
    h.trade(at(h, 0), 10.01)
    h.trade(at(h, 1), 9.95)
    assert order.status is OrderStatus.ACCEPTED

    h.trade(at(h, 2), 9.89)

    assert h.fill_prices(order) == [(100, 9.89)]
    h.assert_audit_trails_valid()


def test_order_sent_on_a_trade_fills_at_the_current_quote_no_earlier_than_its_acceptance(
    make_harness,
):
    h = make_harness()
    h.quote(at(h, 0), 10.00, 10.02)
    order = h.send_on_next(h.order(BUY, 100))

    h.trade(at(h, 1), 10.01)

    assert h.fill_prices(order) == [(100, 10.02)]
    accepted = next(e for e in order.events if isinstance(e, OrderAccepted))
    assert accepted.ts_event == at(h, 1)
    assert h.fills(order)[0].ts_event == at(h, 1)
    h.assert_audit_trails_valid()
