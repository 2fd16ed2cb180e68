"""The simulated venue matching against bars: market/limit/stop/stop-limit fill prices along the
documented intra-bar path, volume participation, fees, slippage, latency, time in force and
cancels. Every expected price below is worked out by hand from the bar and the documented
rules in `midfreq.simulation.models.BarFillModel`."""

from __future__ import annotations

import datetime as dt

import pytest

from midfreq.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from midfreq.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderTriggered,
)

BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT, STOP, STOP_LIMIT = OrderType.LIMIT, OrderType.STOP_MARKET, OrderType.STOP_LIMIT
SEC = 1_000_000_000


def _utc_ns(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()) * SEC


# ---- market orders ------------------------------------------------------------------------
@pytest.mark.parametrize(("side", "expected_px"), [(BUY, 10.30), (SELL, 10.30)])
def test_market_order_sent_on_a_bar_fills_at_the_next_bar_open(make_harness, side, expected_px):
    h = make_harness()
    order = h.send_on_next(h.order(side, 100))
    h.bar(0, 10.00, 10.50, 9.50, 10.20)
    assert order.status is OrderStatus.ACCEPTED
    assert h.fills(order) == []

    h.bar(1, 10.30, 10.60, 10.10, 10.40)

    assert order.status is OrderStatus.FILLED
    assert h.fill_prices(order) == [(100, expected_px)]
    fill = h.fills(order)[0]
    assert fill.ts_event == h.ts(1)
    assert fill.liquidity_side is LiquiditySide.TAKER
    assert h.kinds(order) == [
        "OrderInitialized",
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
    ]
    assert h.kernel.portfolio_view.net_quantity(h.iid) == 100 * side.sign
    h.assert_audit_trails_valid()


@pytest.mark.parametrize("side", [BUY, SELL])
def test_market_order_with_close_fill_fills_at_the_close_of_the_bar_it_was_sent_on(
    make_harness, side
):
    h = make_harness({"market_fill": "close"})
    order = h.send_on_next(h.order(side, 100))

    h.bar(0, 10.00, 10.50, 9.50, 10.20)

    assert order.status is OrderStatus.FILLED
    assert h.fill_prices(order) == [(100, 10.20)]
    assert h.fills(order)[0].ts_event == h.ts(0)
    h.assert_audit_trails_valid()


# ---- limit orders -------------------------------------------------------------------------
# Bar 1: O=10.00 H=10.40 L=9.70 C=10.10; its path is O -> L -> H -> C since the low is nearer.
@pytest.mark.parametrize(
    ("side", "limit", "expected"),
    [
        (BUY, 9.80, 9.80),  # the low reaches the limit: fill at the limit
        (BUY, 9.70, 9.70),  # the low exactly touches the limit
        (BUY, 10.05, 10.00),  # opens below the limit: fill at the open
        (BUY, 9.69, None),  # never reached
        (SELL, 10.30, 10.30),
        (SELL, 10.40, 10.40),
        (SELL, 9.95, 10.00),  # opens above the limit: fill at the open
        (SELL, 10.41, None),
    ],
)
def test_limit_order_fill_price_against_the_bar_range(make_harness, side, limit, expected):
    h = make_harness()
    order = h.send_on_next(h.order(side, 100, order_type=LIMIT, price=limit))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    h.bar(1, 10.00, 10.40, 9.70, 10.10)

    if expected is None:
        assert order.status is OrderStatus.ACCEPTED
        assert h.fills(order) == []
    else:
        assert order.status is OrderStatus.FILLED
        assert h.fill_prices(order) == [(100, expected)]
        assert h.fills(order)[0].liquidity_side is LiquiditySide.MAKER
    h.assert_audit_trails_valid()


def test_unfilled_limit_order_keeps_working_until_a_later_bar_reaches_it(make_harness):
    h = make_harness()
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=9.50))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.bar(1, 10.00, 10.40, 9.70, 10.10)
    h.bar(2, 10.10, 10.20, 9.60, 9.90)
    assert order.status is OrderStatus.ACCEPTED

    h.bar(3, 9.90, 9.95, 9.40, 9.45)

    assert h.fill_prices(order) == [(100, 9.50)]
    assert h.fills(order)[0].ts_event == h.ts(3)
    h.assert_audit_trails_valid()


# ---- stop-market orders ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("side", "trigger", "bar", "expected"),
    [
        (BUY, 10.25, (10.00, 10.40, 9.70, 10.10), 10.25),  # reached inside the bar
        (BUY, 10.25, (10.60, 10.80, 10.50, 10.70), 10.60),  # gaps over the trigger: open
        (BUY, 10.41, (10.00, 10.40, 9.70, 10.10), None),
        (SELL, 9.80, (10.00, 10.40, 9.70, 10.10), 9.80),
        (SELL, 9.80, (9.50, 9.60, 9.30, 9.40), 9.50),  # gaps under the trigger: open
        (SELL, 9.69, (10.00, 10.40, 9.70, 10.10), None),
    ],
)
def test_stop_market_triggers_at_the_trigger_or_at_the_open_on_a_gap(
    make_harness, side, trigger, bar, expected
):
    h = make_harness()
    order = h.send_on_next(h.order(side, 100, order_type=STOP, trigger_price=trigger))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    h.bar(1, *bar)

    if expected is None:
        assert order.status is OrderStatus.ACCEPTED
    else:
        assert h.fill_prices(order) == [(100, expected)]
        assert h.fills(order)[0].liquidity_side is LiquiditySide.TAKER
    h.assert_audit_trails_valid()


# ---- stop-limit orders: the path order decides -----------------------------------------------
# Both bars have H=10.20 and L=9.50. Bar "high first" opens at 10.00 (0.20 to the high, 0.50 to
# the low): path 10.00 -> 10.20 -> 9.50 -> close. Bar "low first" opens at 9.80 (0.40 to the
# high, 0.30 to the low): path 9.80 -> 9.50 -> 10.20 -> close.
HIGH_FIRST = (10.00, 10.20, 9.50, 9.60)
LOW_FIRST = (9.80, 10.20, 9.50, 10.15)


@pytest.mark.parametrize(
    ("side", "trigger", "limit", "bar", "expected"),
    [
        # Buy stop 10.20 limit 10.10: triggered at the high; the low comes after -> filled.
        (BUY, 10.20, 10.10, HIGH_FIRST, 10.10),
        # Same order, low first: triggered at the high, then only the close 10.15 -> no fill.
        (BUY, 10.20, 10.10, LOW_FIRST, None),
        # Sell stop 9.50 limit 9.70: triggered at the low; the high comes after -> filled.
        (SELL, 9.50, 9.70, LOW_FIRST, 9.70),
        # Same order, high first: triggered at the low, then only the close 9.60 -> no fill.
        (SELL, 9.50, 9.70, HIGH_FIRST, None),
    ],
)
def test_stop_limit_needs_the_rest_of_the_path_after_the_trigger_to_reach_the_limit(
    make_harness, side, trigger, limit, bar, expected
):
    h = make_harness()
    order = h.send_on_next(
        h.order(side, 100, order_type=STOP_LIMIT, trigger_price=trigger, price=limit)
    )
    h.bar(0, 9.90, 9.90, 9.90, 9.90)

    h.bar(1, *bar)

    assert [type(e) for e in order.events].count(OrderTriggered) == 1
    if expected is None:
        assert order.status is OrderStatus.TRIGGERED
        assert h.fills(order) == []
    else:
        assert order.status is OrderStatus.FILLED
        assert h.fill_prices(order) == [(100, expected)]
    h.assert_audit_trails_valid()


def test_triggered_stop_limit_works_as_a_limit_on_later_bars(make_harness):
    h = make_harness()
    order = h.send_on_next(
        h.order(BUY, 100, order_type=STOP_LIMIT, trigger_price=10.20, price=10.10)
    )
    h.bar(0, 9.90, 9.90, 9.90, 9.90)
    h.bar(1, *LOW_FIRST)
    assert order.status is OrderStatus.TRIGGERED

    h.bar(2, 10.15, 10.18, 10.12, 10.16)  # stays above the limit
    assert order.status is OrderStatus.TRIGGERED
    h.bar(3, 10.15, 10.18, 10.05, 10.12)  # low 10.05 reaches the 10.10 limit

    assert h.fill_prices(order) == [(100, 10.10)]
    assert h.fills(order)[0].liquidity_side is LiquiditySide.MAKER
    assert h.kinds(order)[-2:] == ["OrderTriggered", "OrderFilled"]
    h.assert_audit_trails_valid()


def test_stop_limit_not_triggered_when_the_path_never_reaches_the_trigger(make_harness):
    h = make_harness()
    order = h.send_on_next(
        h.order(BUY, 100, order_type=STOP_LIMIT, trigger_price=10.21, price=10.30)
    )
    h.bar(0, 9.90, 9.90, 9.90, 9.90)

    h.bar(1, *HIGH_FIRST)

    assert order.status is OrderStatus.ACCEPTED
    assert not any(isinstance(e, OrderTriggered) for e in order.events)


def test_stop_limit_gapping_through_the_trigger_starts_from_the_open(make_harness):
    # Buy stop 10.20 limit 10.30; bar O=10.50 H=10.60 L=10.25 C=10.40 (high nearer):
    # path 10.50 -> 10.60 -> 10.25 -> 10.40, triggered at the open, limit reached at 10.25.
    h = make_harness()
    order = h.send_on_next(
        h.order(BUY, 100, order_type=STOP_LIMIT, trigger_price=10.20, price=10.30)
    )
    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    h.bar(1, 10.50, 10.60, 10.25, 10.40)

    assert h.fill_prices(order) == [(100, 10.30)]


# ---- volume participation --------------------------------------------------------------------
def test_volume_cap_splits_a_market_order_into_partial_fills_across_bars(make_harness):
    # 10% of 1,000 = 100 shares per bar: 250 fills 100 + 100 + 50 at each bar's open.
    h = make_harness({"max_volume_participation": 0.1})
    order = h.send_on_next(h.order(BUY, 250))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    h.bar(1, 10.10, 10.20, 10.00, 10.10)
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.leaves_qty == 150
    h.bar(2, 10.20, 10.30, 10.10, 10.20)
    assert order.status is OrderStatus.PARTIALLY_FILLED
    h.bar(3, 10.40, 10.50, 10.30, 10.40)

    assert h.fill_prices(order) == [(100, 10.10), (100, 10.20), (50, 10.40)]
    assert [f.ts_event for f in h.fills(order)] == [h.ts(1), h.ts(2), h.ts(3)]
    assert order.status is OrderStatus.FILLED
    assert sum(f.last_qty for f in h.fills(order)) == order.quantity
    # (100 * 10.10 + 100 * 10.20 + 50 * 10.40) / 250 = 10.20
    assert order.avg_px == pytest.approx(10.20)
    h.assert_audit_trails_valid()


def test_volume_cap_is_shared_by_orders_in_arrival_order_and_rounded_down_to_lots(make_harness):
    # 10% of 1,005 = 100.5 -> 100 whole shares per bar for both orders together.
    h = make_harness({"max_volume_participation": 0.1})
    first = h.send_on_next(h.order(BUY, 80))
    second = h.send_on_next(h.order(BUY, 80))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    h.bar(1, 10.10, 10.20, 10.00, 10.10, volume=1_005)
    assert h.fill_prices(first) == [(80, 10.10)]
    assert h.fill_prices(second) == [(20, 10.10)]

    h.bar(2, 10.20, 10.30, 10.10, 10.20, volume=1_005)
    assert h.fill_prices(second) == [(20, 10.10), (60, 10.20)]
    assert second.status is OrderStatus.FILLED
    h.assert_audit_trails_valid()


def test_volume_cap_applies_to_limit_orders_at_their_limit(make_harness):
    h = make_harness({"max_volume_participation": 0.2})  # 200 of 1,000 per bar
    order = h.send_on_next(h.order(SELL, 300, order_type=LIMIT, price=10.50))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    h.bar(1, 10.20, 10.60, 10.10, 10.30)
    h.bar(2, 10.30, 10.40, 10.20, 10.30)  # does not reach 10.50: nothing
    h.bar(3, 10.40, 10.70, 10.35, 10.60)

    assert h.fill_prices(order) == [(200, 10.50), (100, 10.50)]
    assert order.status is OrderStatus.FILLED


# ---- fees ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fees", "quantity", "expected"),
    [
        ({"model": "per_share", "rate": 0.005, "minimum": 1.0}, 100, 1.00),  # 0.50 -> minimum
        ({"model": "per_share", "rate": 0.005, "minimum": 1.0}, 1_000, 5.00),
        ({"model": "per_contract", "rate": 0.65}, 300, 195.00),
        ({"model": "bps", "rate": 10}, 300, 3.09),  # 300 * 10.30 = 3,090 * 10 bps
        ({"model": "none"}, 300, 0.0),
    ],
)
def test_fill_carries_the_configured_commission(make_harness, fees, quantity, expected):
    h = make_harness({"fees": fees})
    order = h.send_on_next(h.order(BUY, quantity))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.bar(1, 10.30, 10.40, 10.20, 10.30)

    assert h.fills(order)[0].commission == pytest.approx(expected, abs=1e-12)
    assert h.kernel.portfolio.summary()["fees"] == pytest.approx(expected, abs=1e-9)


def test_per_share_minimum_applies_once_per_order(make_harness):
    # 250 shares in fills of 100, 100, 50: the order's fee so far is max(0.005 x filled, 1.00):
    # 1.00 after 100 shares, still 1.00 after 200, 1.25 after 250; each fill pays the increase.
    h = make_harness(
        {
            "max_volume_participation": 0.1,
            "fees": {"model": "per_share", "rate": 0.005, "minimum": 1.0},
        }
    )
    order = h.send_on_next(h.order(BUY, 250))
    for minute in range(4):
        h.bar(minute, 10.00, 10.00, 10.00, 10.00)

    assert [f.commission for f in h.fills(order)] == [1.0, 0.0, 0.25]


# ---- slippage --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("side", "expected"),
    [
        (BUY, 25.03),  # 25.00 * 1.001 = 25.025 -> up to 25.03
        (SELL, 24.97),  # 25.00 * 0.999 = 24.975 -> down to 24.97
    ],
)
def test_slippage_worsens_market_fills_and_rounds_away_from_the_trader(
    make_harness, side, expected
):
    h = make_harness({"slippage_bps": 10})
    order = h.send_on_next(h.order(side, 100))
    h.bar(0, 25.00, 25.00, 25.00, 25.00)
    h.bar(1, 25.00, 25.10, 24.90, 25.00)

    assert h.fill_prices(order) == [(100, expected)]


def test_slippage_worsens_stop_market_fills(make_harness):
    # Triggered at 25.10: 25.10 * 1.001 = 25.1251 -> up to 25.13.
    h = make_harness({"slippage_bps": 10})
    order = h.send_on_next(h.order(BUY, 100, order_type=STOP, trigger_price=25.10))
    h.bar(0, 25.00, 25.00, 25.00, 25.00)
    h.bar(1, 25.00, 25.20, 24.90, 25.00)

    assert h.fill_prices(order) == [(100, 25.13)]


@pytest.mark.parametrize(
    ("side", "limit", "expected"),
    [
        (BUY, 24.95, 24.95),  # reached inside the bar
        (BUY, 25.05, 25.00),  # opens through: the open, unslipped
        (SELL, 25.05, 25.05),
        (SELL, 24.95, 25.00),
    ],
)
def test_slippage_never_affects_limit_fills(make_harness, side, limit, expected):
    h = make_harness({"slippage_bps": 50})
    order = h.send_on_next(h.order(side, 100, order_type=LIMIT, price=limit))
    h.bar(0, 25.00, 25.00, 25.00, 25.00)
    h.bar(1, 25.00, 25.10, 24.90, 25.00)

    assert h.fill_prices(order) == [(100, expected)]


@pytest.mark.parametrize(
    ("side", "trigger", "limit", "bar", "expected"),
    [
        # Gap over the trigger, limit reached later in the bar: filled at the limit 10.30.
        (BUY, 10.20, 10.30, (10.50, 10.60, 10.25, 10.40), 10.30),
        # Triggered at the high, the low comes back to the 10.10 limit.
        (BUY, 10.20, 10.10, HIGH_FIRST, 10.10),
        (SELL, 9.50, 9.70, LOW_FIRST, 9.70),
    ],
)
def test_slippage_never_pushes_a_stop_limit_fill_past_its_limit(
    make_harness, side, trigger, limit, bar, expected
):
    h = make_harness({"slippage_bps": 50})
    order = h.send_on_next(
        h.order(side, 100, order_type=STOP_LIMIT, trigger_price=trigger, price=limit)
    )
    h.bar(0, 9.90, 9.90, 9.90, 9.90)
    h.bar(1, *bar)

    assert h.fill_prices(order) == [(100, expected)]


# ---- latency ---------------------------------------------------------------------------------
def test_order_is_not_accepted_before_its_latency_has_passed(make_harness):
    # Sent at minute 0 with 90 s latency: arrives at 1.5 min, so the minute-1 bar does not see it
    # and the minute-2 bar fills it at its open.
    h = make_harness({"latency_ms": 90_000})
    order = h.send_on_next(h.order(BUY, 100))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    assert order.status is OrderStatus.SUBMITTED

    h.bar(1, 10.10, 10.20, 10.00, 10.10)
    assert order.status is OrderStatus.SUBMITTED

    h.bar(2, 10.20, 10.30, 10.10, 10.20)
    accepted = next(e for e in order.events if isinstance(e, OrderAccepted))
    assert accepted.ts_event == h.ts(0) + 90 * SEC
    assert h.fill_prices(order) == [(100, 10.20)]
    assert h.fills(order)[0].ts_event == h.ts(2)
    h.assert_audit_trails_valid()


# ---- time in force ---------------------------------------------------------------------------
def test_ioc_fills_what_the_first_bar_allows_and_cancels_the_rest(make_harness):
    h = make_harness({"max_volume_participation": 0.1})
    order = h.send_on_next(h.order(BUY, 250, time_in_force=TimeInForce.IOC))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    h.bar(1, 10.10, 10.20, 10.00, 10.10)

    assert h.fill_prices(order) == [(100, 10.10)]
    assert order.status is OrderStatus.CANCELED
    assert h.kinds(order)[-2:] == ["OrderFilled", "OrderCanceled"]
    h.bar(2, 10.20, 10.30, 10.10, 10.20)
    assert order.filled_qty == 100
    h.assert_audit_trails_valid()


def test_ioc_limit_not_reached_on_its_first_bar_is_canceled_unfilled(make_harness):
    h = make_harness()
    order = h.send_on_next(
        h.order(BUY, 100, order_type=LIMIT, price=9.00, time_in_force=TimeInForce.IOC)
    )
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.bar(1, 10.10, 10.20, 10.00, 10.10)
    assert order.status is OrderStatus.CANCELED

    h.bar(2, 9.00, 9.00, 8.50, 8.80)  # would have filled had it still been working
    assert h.fills(order) == []


@pytest.mark.parametrize(("quantity", "filled"), [(250, 0), (100, 100)])
def test_fok_fills_all_or_nothing(make_harness, quantity, filled):
    h = make_harness({"max_volume_participation": 0.1})  # 100 of 1,000 per bar
    order = h.send_on_next(h.order(BUY, quantity, time_in_force=TimeInForce.FOK))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    h.bar(1, 10.10, 10.20, 10.00, 10.10)

    assert order.filled_qty == filled
    if filled:
        assert order.status is OrderStatus.FILLED
        assert h.fill_prices(order) == [(100, 10.10)]
    else:
        assert order.status is OrderStatus.CANCELED
        assert h.fills(order) == []
    h.assert_audit_trails_valid()


@pytest.mark.parametrize(
    ("timezone", "sent", "alive_at", "expired_at"),
    [
        # Sent 15:55 New York (EST = UTC-5); New York midnight is 05:00 UTC.
        (
            "America/New_York",
            "2024-01-02T20:55:00",
            ["2024-01-03T00:00:00", "2024-01-03T04:59:00"],
            "2024-01-03T05:00:00",
        ),
        # Summer (EDT = UTC-4): midnight is 04:00 UTC.
        (
            "America/New_York",
            "2024-07-02T19:55:00",
            ["2024-07-03T00:00:00", "2024-07-03T03:59:00"],
            "2024-07-03T04:00:00",
        ),
        ("UTC", "2024-01-02T20:55:00", ["2024-01-02T23:59:00"], "2024-01-03T00:00:00"),
    ],
)
def test_day_order_expires_at_the_next_midnight_of_the_day_timezone(
    make_harness, timezone, sent, alive_at, expired_at
):
    h = make_harness({"day_timezone": timezone})
    order = h.send_on_next(
        h.order(BUY, 100, order_type=LIMIT, price=5.00, time_in_force=TimeInForce.DAY)
    )
    h.bar_at(_utc_ns(sent), 10.00, 10.00, 10.00, 10.00)
    for text in alive_at:
        h.bar_at(_utc_ns(text), 10.00, 10.10, 9.90, 10.00)
        assert order.status is OrderStatus.ACCEPTED

    # The bar closing exactly at midnight still belongs to the order's day.
    h.bar_at(_utc_ns(expired_at), 10.00, 10.10, 9.90, 10.00)
    assert order.status is OrderStatus.ACCEPTED
    h.bar_at(_utc_ns(expired_at) + 60 * SEC, 10.00, 10.10, 9.90, 10.00)

    assert order.status is OrderStatus.EXPIRED
    expired = order.events[-1]
    assert isinstance(expired, OrderExpired)
    assert expired.ts_event == _utc_ns(expired_at)  # when it expired, not when it was noticed
    assert expired.ts_init == _utc_ns(expired_at) + 60 * SEC
    h.assert_audit_trails_valid()


def test_gtc_order_does_not_expire_overnight(make_harness):
    h = make_harness({"day_timezone": "America/New_York"})
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=5.00))
    h.bar_at(_utc_ns("2024-01-02T20:55:00"), 10.00, 10.00, 10.00, 10.00)
    h.bar_at(_utc_ns("2024-01-05T15:00:00"), 10.00, 10.10, 9.90, 10.00)

    assert order.status is OrderStatus.ACCEPTED


def test_gtd_order_expires_at_its_time(make_harness):
    h = make_harness()
    expire = h.ts(2) + 30 * SEC
    order = h.send_on_next(
        h.order(
            BUY,
            100,
            order_type=LIMIT,
            price=5.00,
            time_in_force=TimeInForce.GTD,
            expire_time_ns=expire,
        )
    )
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.bar(1, 10.00, 10.10, 9.90, 10.00)
    h.bar(2, 10.00, 10.10, 9.90, 10.00)
    assert order.status is OrderStatus.ACCEPTED

    h.bar(3, 10.00, 10.10, 9.90, 10.00)

    assert order.status is OrderStatus.EXPIRED
    assert order.events[-1].ts_event == expire
    assert order.events[-1].ts_init == h.ts(3)
    h.assert_audit_trails_valid()


def test_gtd_order_fills_on_the_bar_closing_at_its_expiry(make_harness):
    h = make_harness()
    order = h.send_on_next(
        h.order(
            BUY,
            100,
            order_type=LIMIT,
            price=9.95,
            time_in_force=TimeInForce.GTD,
            expire_time_ns=h.ts(1),
        )
    )
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.bar(1, 10.00, 10.10, 9.90, 10.00)  # closes exactly at the expiry: still the order's life

    assert order.status is OrderStatus.FILLED
    assert h.fill_prices(order) == [(100, 9.95)]


# ---- cancels ---------------------------------------------------------------------------------
def test_cancel_of_a_working_order_goes_pending_cancel_then_canceled(make_harness):
    h = make_harness({"latency_ms": 1_000})
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=9.00))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.bar(1, 10.00, 10.10, 9.90, 10.00)
    assert order.status is OrderStatus.ACCEPTED

    h.cancel_on_next(order)
    h.bar(2, 10.00, 10.10, 9.90, 10.00)
    assert order.status is OrderStatus.PENDING_CANCEL  # the cancel is still in flight

    h.bar(3, 9.50, 9.60, 8.80, 9.00)  # the cancel arrives before this bar could fill it

    assert order.status is OrderStatus.CANCELED
    assert h.fills(order) == []
    assert h.kinds(order) == [
        "OrderInitialized",
        "OrderSubmitted",
        "OrderAccepted",
        "OrderPendingCancel",
        "OrderCanceled",
    ]
    assert isinstance(h.strategy.received[-1], OrderCanceled)
    assert h.venue.open_order_count() == 0
    h.assert_audit_trails_valid()


def test_cancel_of_a_filled_order_is_rejected_and_changes_nothing(make_harness):
    h = make_harness()
    order = h.send_on_next(h.order(BUY, 100))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.bar(1, 10.10, 10.20, 10.00, 10.10)
    assert order.status is OrderStatus.FILLED
    events_before = list(order.events)

    h.cancel_on_next(order)
    h.bar(2, 10.20, 10.30, 10.10, 10.20)

    assert order.status is OrderStatus.FILLED
    assert order.events == events_before
    rejected = h.strategy.received[-1]
    assert isinstance(rejected, OrderCancelRejected)
    assert rejected.client_order_id == order.client_order_id
    assert rejected.reason == "order is FILLED"
    h.assert_audit_trails_valid()


def test_cancel_racing_a_fill_is_rejected_without_a_refused_event(make_harness):
    # The cancel is sent at minute 2 with 90 s latency; the limit fills on the minute-3 bar
    # before the cancel arrives at 3.5 min, so the venue rejects the cancel.
    h = make_harness({"latency_ms": 90_000})
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=9.50))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    h.bar(1, 10.00, 10.10, 9.90, 10.00)
    h.bar(2, 10.00, 10.10, 9.90, 10.00)
    assert order.status is OrderStatus.ACCEPTED
    h.cancel_on_next(order)
    h.bar(3, 10.00, 10.10, 9.90, 10.00)
    assert order.status is OrderStatus.PENDING_CANCEL

    h.bar(4, 9.60, 9.70, 9.40, 9.50)
    assert order.status is OrderStatus.FILLED
    h.bar(5, 9.50, 9.60, 9.40, 9.50)

    assert order.status is OrderStatus.FILLED
    assert h.fill_prices(order) == [(100, 9.50)]
    assert isinstance(h.strategy.received[-1], OrderCancelRejected)
    h.assert_audit_trails_valid()


def test_cancel_sent_before_the_venue_accepted_the_order_leaves_a_clean_trail(make_harness):
    h = make_harness()
    order = h.order(BUY, 100, order_type=LIMIT, price=9.00)
    h.send_on_next(order)
    h.cancel_on_next(order)  # same handler: both reach the venue in one batch

    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    assert order.status is OrderStatus.CANCELED
    assert h.kinds(order) == [
        "OrderInitialized",
        "OrderSubmitted",
        "OrderPendingCancel",
        "OrderAccepted",
        "OrderCanceled",
    ]
    h.assert_audit_trails_valid()


def test_every_order_of_a_mixed_session_follows_the_transition_table(make_harness):
    # 100 shares per bar (10% of 1,000) shared by all orders in arrival order; all five arrive
    # (1 s latency) before the minute-1 bar, whose path is 10.10 -> 10.50 -> 9.50 -> 10.20.
    h = make_harness({"max_volume_participation": 0.1, "latency_ms": 1_000})
    market = h.send_on_next(h.order(BUY, 150))
    limit = h.send_on_next(h.order(SELL, 50, order_type=LIMIT, price=10.40))
    stop = h.send_on_next(h.order(SELL, 30, order_type=STOP, trigger_price=9.60))
    stop_limit = h.send_on_next(
        h.order(BUY, 40, order_type=STOP_LIMIT, trigger_price=10.35, price=10.30)
    )
    fok = h.send_on_next(h.order(BUY, 20, time_in_force=TimeInForce.FOK))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    # The market order takes the whole 100; the others are reached but get no volume; the
    # stop-limit triggers at the high; the FOK cannot fill in full and is canceled.
    h.bar(1, 10.10, 10.50, 9.50, 10.20)
    assert h.fill_prices(market) == [(100, 10.10)]
    assert stop_limit.status is OrderStatus.TRIGGERED
    assert fok.status is OrderStatus.CANCELED
    h.cancel_on_next(stop_limit)

    # The cancel arrives first; the market order takes 50, the sell limit the other 50 at 10.40.
    h.bar(2, 10.20, 10.40, 10.00, 10.30)
    h.bar(3, 10.30, 10.40, 10.20, 10.30)

    assert h.fill_prices(market) == [(100, 10.10), (50, 10.20)]
    assert h.fill_prices(limit) == [(50, 10.40)]
    assert [o.status for o in (market, limit, stop, stop_limit, fok)] == [
        OrderStatus.FILLED,
        OrderStatus.FILLED,
        OrderStatus.ACCEPTED,  # 9.60 was reached only on the bar with no volume left
        OrderStatus.CANCELED,
        OrderStatus.CANCELED,
    ]
    assert h.kinds(stop_limit)[-3:] == ["OrderTriggered", "OrderPendingCancel", "OrderCanceled"]
    h.assert_audit_trails_valid()


def test_volume_cap_also_limits_market_orders_filled_at_the_close(make_harness):
    # 10% of 1,000 = 100 per bar: 100 at the minute-0 close, the rest like any working market
    # order, at the next bars' opens.
    h = make_harness({"market_fill": "close", "max_volume_participation": 0.1})
    order = h.send_on_next(h.order(BUY, 250))

    h.bar(0, 10.00, 10.10, 9.90, 10.05)
    assert h.fill_prices(order) == [(100, 10.05)]
    assert order.status is OrderStatus.PARTIALLY_FILLED
    h.bar(1, 10.10, 10.20, 10.00, 10.15)
    h.bar(2, 10.20, 10.30, 10.10, 10.25)

    assert h.fill_prices(order) == [(100, 10.05), (100, 10.10), (50, 10.20)]
    h.assert_audit_trails_valid()


def test_close_fill_shares_the_bar_volume_with_orders_that_matched_the_bar(make_harness):
    # A resting sell limit at 10.05 takes 60 of the 100 allowed on the minute-1 bar; a market
    # buy sent while handling that bar then gets only the 40 left at its close.
    h = make_harness({"market_fill": "close", "max_volume_participation": 0.1})
    limit = h.send_on_next(h.order(SELL, 60, order_type=LIMIT, price=10.05))
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    market = h.send_on_next(h.order(BUY, 70))

    h.bar(1, 10.00, 10.10, 9.90, 10.08)

    assert h.fill_prices(limit) == [(60, 10.05)]
    assert h.fill_prices(market) == [(40, 10.08)]


def test_stop_limit_triggering_while_its_cancel_is_in_flight_leaves_a_clean_trail(make_harness):
    # The cancel is sent at minute 2 with 90 s latency; the minute-3 bar triggers the order
    # (high 10.20, no fill at 10.10 afterwards) before the cancel arrives at 3.5 min.
    h = make_harness({"latency_ms": 90_000})
    order = h.send_on_next(
        h.order(BUY, 100, order_type=STOP_LIMIT, trigger_price=10.20, price=10.10)
    )
    h.bar(0, 9.90, 9.90, 9.90, 9.90)
    h.bar(1, 9.90, 9.95, 9.85, 9.90)
    h.bar(2, 9.90, 9.95, 9.85, 9.90)
    h.cancel_on_next(order)
    h.bar(3, 9.90, 9.95, 9.85, 9.90)
    assert order.status is OrderStatus.PENDING_CANCEL

    h.bar(4, *LOW_FIRST)
    h.bar(5, 10.15, 10.18, 10.12, 10.16)

    assert order.status is OrderStatus.CANCELED
    h.assert_audit_trails_valid()
