"""Queue position of resting limit orders (``venue.queue_position: true``): an order joins behind
the size displayed at its price when it arrives, trades at its price consume that queue before
filling it, a shrinking level clamps the queue, and a trade through it or the touch reaching it
fills it in full. Every expected queue and fill below is worked out by hand in the comments."""

from __future__ import annotations

import doctest
import math

import pytest

from midfreq.model.book import OrderBook
from midfreq.model.data import OrderBookDelta, OrderBookSnapshot, QuoteTick
from midfreq.model.enums import (
    AggressorSide,
    BookSide,
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from midfreq.model.identifiers import InstrumentId
from midfreq.simulation import queue_position as queue_position_module
from midfreq.simulation.queue_position import displayed_size

BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT = OrderType.LIMIT
SELLER, BUYER = AggressorSide.SELLER, AggressorSide.BUYER
SEC = 1_000_000_000
QUEUE = {"queue_position": True}


def at(h, seconds: float) -> int:
    return h.ts(0) + int(seconds * SEC)


def queue_of(h, order) -> float | None:
    return h.venue.queue_position(order.client_order_id)


def join_bid_behind_500(h, quantity: float = 100, price: float = 10.00):
    """A buy limit sent on a 10.00 / 10.02 quote with 500 bid; zero latency: it arrives there."""
    order = h.send_on_next(h.order(BUY, quantity, order_type=LIMIT, price=price))
    h.quote(at(h, 0), 10.00, 10.02, bid_size=500, ask_size=400)
    return order


# ---- trades at the price consume the queue first -------------------------------------------
def test_order_fills_only_after_the_volume_ahead_of_it_has_traded(make_harness):
    h = make_harness(QUEUE)
    order = join_bid_behind_500(h)
    assert queue_of(h, order) == 500

    h.trade(at(h, 1), 10.00, 300)  # 500 - 300 = 200 still ahead
    assert order.status is OrderStatus.ACCEPTED
    assert queue_of(h, order) == 200

    h.trade(at(h, 2), 10.00, 300)  # 200 clears the queue, the other 100 fill us

    assert h.fill_prices(order) == [(100, 10.00)]
    assert order.status is OrderStatus.FILLED
    fill = h.fills(order)[0]
    assert fill.liquidity_side is LiquiditySide.MAKER
    assert fill.ts_event == at(h, 2)
    assert queue_of(h, order) is None  # no longer working
    h.assert_audit_trails_valid()


def test_volume_beyond_the_queue_fills_partially_up_to_the_leaves(make_harness):
    h = make_harness(QUEUE)
    order = join_bid_behind_500(h)

    h.trade(at(h, 1), 10.00, 550)  # 500 ahead, 50 to us
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert queue_of(h, order) == 0
    h.trade(at(h, 2), 10.00, 30)  # first in line now: all 30
    h.trade(at(h, 3), 10.00, 40)  # only 20 left of 100

    assert h.fill_prices(order) == [(50, 10.00), (30, 10.00), (20, 10.00)]
    assert order.status is OrderStatus.FILLED
    h.assert_audit_trails_valid()


def test_sell_order_queues_behind_the_ask_and_fills_on_buyer_initiated_prints(make_harness):
    h = make_harness(QUEUE)
    order = h.send_on_next(h.order(SELL, 100, order_type=LIMIT, price=10.02))
    h.quote(at(h, 0), 10.00, 10.02, bid_size=500, ask_size=400)
    assert queue_of(h, order) == 400

    h.trade(at(h, 1), 10.02, 1_000, SELLER)  # a seller at the ask price does not lift asks
    assert queue_of(h, order) == 400
    h.trade(at(h, 2), 10.02, 450, BUYER)  # 400 ahead, 50 to us

    assert h.fill_prices(order) == [(50, 10.02)]
    h.assert_audit_trails_valid()


@pytest.mark.parametrize(
    ("aggressor", "expected_queue"),
    [(SELLER, 200), (AggressorSide.NO_AGGRESSOR, 200), (BUYER, 500)],
)
def test_only_prints_that_hit_the_bid_or_have_no_aggressor_consume_a_buy_queue(
    make_harness, aggressor, expected_queue
):
    h = make_harness(QUEUE)
    order = join_bid_behind_500(h)

    h.trade(at(h, 1), 10.00, 300, aggressor)

    assert queue_of(h, order) == expected_queue
    assert h.fills(order) == []


def test_trades_at_other_prices_leave_the_queue_alone(make_harness):
    h = make_harness(QUEUE)
    order = join_bid_behind_500(h)

    h.trade(at(h, 1), 10.01, 1_000)  # inside the spread, above our bid

    assert queue_of(h, order) == 500
    assert h.fills(order) == []


def test_two_of_our_orders_at_one_price_share_a_print_in_arrival_order(make_harness):
    # Both join behind the 500 displayed (our own orders are not in the data). A 650 print:
    # 500 others, then all 100 of the first order, then the second order's 500 ahead are the
    # same 500 others, so it gets 650 - 100 - 500 = 50.
    h = make_harness(QUEUE)
    first = h.order(BUY, 100, order_type=LIMIT, price=10.00)
    second = h.order(BUY, 100, order_type=LIMIT, price=10.00)
    h.send_on_next(first)
    h.send_on_next(second)
    h.quote(at(h, 0), 10.00, 10.02, bid_size=500)
    assert (queue_of(h, first), queue_of(h, second)) == (500, 500)

    h.trade(at(h, 1), 10.00, 650)

    assert h.fill_prices(first) == [(100, 10.00)]
    assert h.fill_prices(second) == [(50, 10.00)]
    assert queue_of(h, second) == 0
    h.assert_audit_trails_valid()


# ---- joining: improving the price, deeper levels, latency -----------------------------------
def test_order_improving_the_best_bid_is_alone_and_the_first_print_there_fills_it(make_harness):
    h = make_harness(QUEUE)
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=10.01))
    h.quote(at(h, 0), 10.00, 10.03, bid_size=500)
    assert queue_of(h, order) == 0

    h.trade(at(h, 1), 10.01, 60)
    h.trade(at(h, 2), 10.01, 70)  # 40 left

    assert h.fill_prices(order) == [(60, 10.01), (40, 10.01)]
    h.assert_audit_trails_valid()


def test_order_behind_the_best_waits_until_a_quote_shows_its_level(make_harness):
    # 9.99 is below the 10.00 bid and there is no book: the size there is unknown, so prints at
    # 9.99 do not fill it. When 9.99 becomes the best bid with 300 shown, 300 are ahead.
    h = make_harness(QUEUE)
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=9.99))
    h.quote(at(h, 0), 10.00, 10.02, bid_size=500)
    assert queue_of(h, order) == math.inf

    h.trade(at(h, 1), 9.99, 10_000)
    assert h.fills(order) == []
    h.quote(at(h, 2), 9.99, 10.01, bid_size=300)
    assert queue_of(h, order) == 300
    h.trade(at(h, 3), 9.99, 350)

    assert h.fill_prices(order) == [(50, 9.99)]


def test_queue_is_measured_when_the_order_arrives_not_when_it_is_sent(make_harness):
    # Sent at 0 s on 500 bid; 1.5 s latency. The 1 s quote shows 200 at 10.00 and the order
    # arrives at 1.5 s (processed with the 2 s quote), so 200 are ahead; the 900 shown at 2 s
    # joined behind it.
    h = make_harness({**QUEUE, "latency_ms": 1_500})
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=10.00))
    h.quote(at(h, 0), 10.00, 10.02, bid_size=500)
    h.quote(at(h, 1), 10.00, 10.02, bid_size=200)
    assert order.status is OrderStatus.SUBMITTED
    assert queue_of(h, order) is None

    h.quote(at(h, 2), 10.00, 10.02, bid_size=900)
    assert order.status is OrderStatus.ACCEPTED
    assert queue_of(h, order) == 200

    h.trade(at(h, 3), 10.00, 250)  # 200 ahead, 50 to us

    assert h.fill_prices(order) == [(50, 10.00)]
    h.assert_audit_trails_valid()


# ---- the displayed size changing -------------------------------------------------------------
def test_size_decreases_come_from_behind_unless_the_level_shows_less_than_is_ahead(make_harness):
    h = make_harness(QUEUE)
    order = join_bid_behind_500(h)

    h.quote(at(h, 1), 10.00, 10.02, bid_size=300)  # fewer shown than ahead of us: clamp to 300
    assert queue_of(h, order) == 300
    h.quote(at(h, 2), 10.00, 10.02, bid_size=800)  # new size joins behind us
    assert queue_of(h, order) == 300
    h.quote(at(h, 3), 10.00, 10.02, bid_size=350)  # 450 canceled, assumed behind us
    assert queue_of(h, order) == 300

    h.trade(at(h, 4), 10.00, 320)  # 300 ahead, 20 to us

    assert h.fill_prices(order) == [(20, 10.00)]


def test_bid_dropping_below_our_price_leaves_us_first_in_line(make_harness):
    h = make_harness(QUEUE)
    order = join_bid_behind_500(h)

    h.quote(at(h, 1), 9.99, 10.02, bid_size=500)  # the 10.00 level is gone: we are the best bid
    assert queue_of(h, order) == 0
    h.trade(at(h, 2), 10.00, 30)

    assert h.fill_prices(order) == [(30, 10.00)]


# ---- what fills in full, as without the option -----------------------------------------------
def test_trade_through_the_price_fills_the_whole_order_whatever_the_queue(make_harness):
    # A print below our bid means every bid at 10.00 traded first (price priority).
    h = make_harness(QUEUE)
    order = join_bid_behind_500(h)

    h.trade(at(h, 1), 9.99, 10)

    assert h.fill_prices(order) == [(100, 10.00)]
    assert h.fills(order)[0].liquidity_side is LiquiditySide.MAKER
    h.assert_audit_trails_valid()


def test_trade_through_fills_the_rest_after_a_partial_fill(make_harness):
    h = make_harness(QUEUE)
    order = join_bid_behind_500(h)
    h.trade(at(h, 1), 10.00, 530)  # 30 to us

    h.trade(at(h, 2), 9.98, 5)

    assert h.fill_prices(order) == [(30, 10.00), (70, 10.00)]


def test_ask_reaching_the_limit_fills_in_full_as_quote_matching_does(make_harness):
    h = make_harness(QUEUE)
    order = join_bid_behind_500(h)

    h.quote(at(h, 1), 9.98, 10.00, bid_size=500)

    assert h.fill_prices(order) == [(100, 10.00)]
    assert h.fills(order)[0].liquidity_side is LiquiditySide.MAKER


def test_marketable_limit_and_market_orders_take_the_touch_as_before(make_harness):
    h = make_harness(QUEUE)
    limit = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=10.05))
    market = h.send_on_next(h.order(SELL, 100))

    h.quote(at(h, 0), 10.00, 10.02, bid_size=500)

    assert h.fill_prices(limit) == [(100, 10.02)]
    assert h.fill_prices(market) == [(100, 10.00)]
    assert queue_of(h, market) is None


def test_stop_limit_joins_the_queue_when_it_triggers(make_harness):
    # Sell stop 9.90 limit 9.90: the 9.89 bid triggers it but does not reach the limit; the
    # 9.91 ask is above 9.90, so it is alone at a new best ask and the first buyer fills it.
    h = make_harness(QUEUE)
    order = h.send_on_next(
        h.order(SELL, 100, order_type=OrderType.STOP_LIMIT, trigger_price=9.90, price=9.90)
    )
    h.quote(at(h, 0), 10.00, 10.02)
    assert queue_of(h, order) is None

    h.quote(at(h, 1), 9.89, 9.91, ask_size=800)
    assert order.status is OrderStatus.TRIGGERED
    assert queue_of(h, order) == 0
    h.trade(at(h, 2), 9.90, 30, BUYER)

    assert h.fill_prices(order) == [(30, 9.90)]
    h.assert_audit_trails_valid()


# ---- cancel, IOC, bars, option off -----------------------------------------------------------
def test_order_canceled_before_its_turn_never_fills(make_harness):
    h = make_harness(QUEUE)
    order = join_bid_behind_500(h)
    h.trade(at(h, 1), 10.00, 450)  # 50 still ahead
    h.cancel_on_next(order)

    h.trade(at(h, 2), 10.00, 10)  # the cancel goes out in this handler and arrives at once
    h.trade(at(h, 3), 10.00, 1_000)

    assert order.status is OrderStatus.CANCELED
    assert h.fills(order) == []
    assert queue_of(h, order) is None
    h.assert_audit_trails_valid()


def test_ioc_limit_does_not_queue(make_harness):
    h = make_harness(QUEUE)
    order = h.send_on_next(
        h.order(BUY, 100, order_type=LIMIT, price=10.00, time_in_force=TimeInForce.IOC)
    )
    h.quote(at(h, 0), 10.00, 10.02, bid_size=500)

    assert order.status is OrderStatus.CANCELED
    h.trade(at(h, 1), 10.00, 1_000)
    assert h.fills(order) == []


def test_bars_fill_limits_as_before_with_the_option_on(make_harness):
    h = make_harness(QUEUE)
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=9.98))
    h.bar(0, 10.00, 10.05, 9.99, 10.02)

    h.bar(1, 10.01, 10.02, 9.97, 10.00)  # low 9.97 passes the limit

    assert h.fill_prices(order) == [(100, 9.98)]


def test_without_the_option_prints_at_the_price_never_fill_and_there_is_no_queue(make_harness):
    h = make_harness()
    order = join_bid_behind_500(h)
    assert queue_of(h, order) is None

    h.trade(at(h, 1), 10.00, 100_000)
    assert h.fills(order) == []
    h.trade(at(h, 2), 9.99, 1)

    assert h.fill_prices(order) == [(100, 10.00)]


# ---- L2 book data ----------------------------------------------------------------------------
def test_with_a_book_the_order_joins_behind_its_level_and_cancellations_clamp_it(make_harness):
    # Bids 10.00 x 500, 9.99 x 700: a 9.99 buy has 700 ahead. A delta takes 9.99 to 400 (the
    # venue sees it at the next print): 400 ahead; a 450 print then fills 50.
    h = make_harness(QUEUE)
    iid = h.iid
    h.kernel.process_book(
        OrderBookSnapshot(
            iid, ((10.00, 500.0), (9.99, 700.0)), ((10.02, 400.0),), at(h, 0), at(h, 0)
        )
    )
    order = h.send_on_next(h.order(BUY, 100, order_type=LIMIT, price=9.99))
    h.trade(at(h, 0.5), 10.01, 1)  # the handler sends the order; it rests
    assert queue_of(h, order) == 700

    h.kernel.process_book_delta(
        OrderBookDelta(iid, BookSide.BID, 9.99, 400.0, 1, at(h, 1), at(h, 1))
    )
    h.trade(at(h, 2), 9.99, 450, SELLER)

    assert h.fill_prices(order) == [(50, 9.99)]
    assert queue_of(h, order) == 0
    h.assert_audit_trails_valid()


AAA = InstrumentId("AAA.SIM")
QUOTE = QuoteTick(AAA, 10.00, 10.02, 500.0, 400.0, 0, 0)


def _book() -> OrderBook:
    book = OrderBook(AAA)
    book.apply_snapshot(
        OrderBookSnapshot(AAA, ((10.00, 500.0), (9.98, 700.0)), ((10.02, 400.0),), 0, 0)
    )
    return book


@pytest.mark.parametrize(
    ("use_book", "buy", "price", "expected"),
    [
        (False, True, 10.00, 500.0),  # at the best bid: its size
        (False, False, 10.02, 400.0),  # at the best ask
        (False, True, 10.01, 0.0),  # better than the best: alone
        (False, False, 10.01, 0.0),
        (False, True, 9.99, None),  # behind the best, no depth: unknown
        (True, True, 9.98, 700.0),  # a book level
        (True, True, 9.99, 0.0),  # a gap inside the shown depth
        (True, True, 10.01, 0.0),
        (True, True, 9.97, None),  # deeper than the book shows
        (True, False, 10.03, None),
    ],
)
def test_displayed_size_reads_the_book_else_the_quote(use_book, buy, price, expected):
    book = _book() if use_book else None
    assert displayed_size(book, QUOTE, buy, price, 0.01) == expected


def test_displayed_size_prefers_the_book_and_knows_nothing_without_data():
    book = _book()
    # The quote says 10.00 x 500, the book agrees; a 10.00 level of the book wins over a quote
    # that says otherwise.
    stale = QuoteTick(AAA, 10.00, 10.02, 999.0, 999.0, 0, 0)
    assert displayed_size(book, stale, True, 10.00, 0.01) == 500.0
    assert displayed_size(None, None, True, 10.00, 0.01) is None
    one_sided = OrderBook(AAA)
    one_sided.apply_snapshot(OrderBookSnapshot(AAA, (), ((10.02, 400.0),), 0, 0))
    assert displayed_size(one_sided, None, True, 10.00, 0.01) == 0.0  # no bids: alone


def test_queue_position_module_examples_run():
    assert doctest.testmod(queue_position_module).failed == 0
