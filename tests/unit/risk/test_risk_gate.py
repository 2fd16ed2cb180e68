"""The pre-trade RiskGate: each check with its boundary, the trading states, reduce-only, the
denial codes and reasons, and (through a real kernel) that denied orders never reach the venue.

Positions and gross exposure come from a hand-set portfolio stub; open orders from the cache.
"""

from __future__ import annotations

import pytest

from midfreq.core.clock import SimulatedClock
from midfreq.model.data import Bar
from midfreq.model.enums import DenialCode, OrderSide, OrderStatus, OrderType, TradingState
from midfreq.model.events import (
    OrderDenied,
    OrderInitialized,
    OrderSubmitted,
    TradingStateChanged,
)
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId
from midfreq.model.orders import Order
from midfreq.risk.gate import TRADING_STATE_TOPIC, Denial
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT = OrderType.LIMIT
AAA = InstrumentId("AAA.SIM")
ES = InstrumentId("ES.SIM")
T0 = 1_704_205_800_000_000_000


# ---- instrument and precision --------------------------------------------------------------
def test_unknown_instrument_is_denied(env):
    gate = env.gate()
    order = env.order(BUY, 10, instrument_id=InstrumentId("ZZZ.SIM"))

    assert env.execute(gate, order) == (
        DenialCode.UNKNOWN_INSTRUMENT,
        "UNKNOWN_INSTRUMENT instrument=ZZZ.SIM",
    )
    assert env.approved == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"quantity": 10.5}, (DenialCode.INVALID_QUANTITY, "quantity=10.5 lot_size=1.0")),
        (
            {"quantity": 10, "order_type": LIMIT, "price": 10.005},
            (DenialCode.INVALID_PRICE, "price=10.005 tick_size=0.01"),
        ),
        (
            {"quantity": 10, "order_type": OrderType.STOP_MARKET, "trigger_price": 9.999},
            (DenialCode.INVALID_PRICE, "trigger_price=9.999 tick_size=0.01"),
        ),
        (
            {"quantity": 1, "order_type": LIMIT, "price": 4_000.10, "instrument_id": ES},
            (DenialCode.INVALID_PRICE, "price=4000.1 tick_size=0.25"),
        ),
    ],
)
def test_quantity_off_the_lot_and_prices_off_the_tick_are_denied(env, kwargs, expected):
    gate = env.gate()
    quantity = kwargs.pop("quantity")
    order = env.order(BUY, quantity, **kwargs)

    code, reason = env.execute(gate, order)

    assert (code, reason) == (expected[0], f"{expected[0].value} {expected[1]}")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quantity": 10},
        {"quantity": 10, "order_type": LIMIT, "price": 10.01},
        {"quantity": 1, "order_type": LIMIT, "price": 4_000.25, "instrument_id": ES},
    ],
)
def test_orders_on_the_lot_and_tick_grid_pass(env, kwargs):
    gate = env.gate()
    quantity = kwargs.pop("quantity")

    assert env.execute(gate, env.order(BUY, quantity, **kwargs)) is None


# ---- per-order limits ------------------------------------------------------------------------
@pytest.mark.parametrize(("quantity", "denied"), [(100.0, False), (101.0, True)])
def test_max_order_quantity(env, quantity, denied):
    gate = env.gate(max_order_quantity=100)

    result = env.execute(gate, env.order(SELL, quantity))

    if denied:
        assert result == (
            DenialCode.QUANTITY_EXCEEDS_MAX_PER_ORDER,
            "QUANTITY_EXCEEDS_MAX_PER_ORDER quantity=101.0 limit=100.0",
        )
    else:
        assert result is None


@pytest.mark.parametrize(
    ("kwargs", "notional"),
    [
        ({"quantity": 100, "order_type": LIMIT, "price": 100.00}, None),  # 10,000: at the limit
        ({"quantity": 100, "order_type": LIMIT, "price": 100.01}, 10_001.0),
        ({"quantity": 200}, None),  # market: valued at the last price 50.00
        ({"quantity": 201}, 10_050.0),
        # stop-market: valued at its trigger; stop-limit at its limit
        ({"quantity": 100, "order_type": OrderType.STOP_MARKET, "trigger_price": 100.01}, 10_001.0),
        (
            {
                "quantity": 100,
                "order_type": OrderType.STOP_LIMIT,
                "trigger_price": 90.00,
                "price": 100.01,
            },
            10_001.0,
        ),
    ],
)
def test_max_notional_per_order(env, kwargs, notional):
    env.last_price(AAA, 50.00)
    gate = env.gate(max_notional_per_order=10_000)
    quantity = kwargs.pop("quantity")

    result = env.execute(gate, env.order(BUY, quantity, **kwargs))

    if notional is None:
        assert result is None
    else:
        assert result == (
            DenialCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER,
            f"NOTIONAL_EXCEEDS_MAX_PER_ORDER notional={notional} limit=10000.0",
        )


def test_max_notional_per_order_counts_the_contract_multiplier(env):
    # 1 x 4,000 x 50 = 200,000 passes a 250,000 limit; 2 contracts = 400,000 do not.
    gate = env.gate(max_notional_per_order=250_000)
    one = env.order(BUY, 1, order_type=LIMIT, price=4_000.0, instrument_id=ES)
    two = env.order(BUY, 2, order_type=LIMIT, price=4_000.0, instrument_id=ES)

    assert env.execute(gate, one) is None
    assert env.execute(gate, two) == (
        DenialCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER,
        "NOTIONAL_EXCEEDS_MAX_PER_ORDER notional=400000.0 limit=250000.0",
    )


def test_market_order_without_any_price_cannot_be_valued_and_is_denied(env):
    gate = env.gate(max_notional_per_order=10_000)

    assert env.execute(gate, env.order(BUY, 1)) == (
        DenialCode.NO_PRICE_FOR_NOTIONAL,
        "NO_PRICE_FOR_NOTIONAL instrument=AAA.SIM",
    )


# ---- position limits -------------------------------------------------------------------------
def test_max_position_counts_open_orders_on_the_same_side(env):
    # Long 20, a working buy of 60 with 20 filled (40 left): a new buy may add 40 at most.
    env.portfolio.net[AAA] = 20.0
    env.working(BUY, 60, filled=20)
    env.working(SELL, 500, order_type=LIMIT, price=120.00)  # other side: not counted for buys
    gate = env.gate(max_position=100)

    assert env.execute(gate, env.order(BUY, 41)) == (
        DenialCode.POSITION_EXCEEDS_MAX,
        "POSITION_EXCEEDS_MAX position_after=101.0 limit=100.0",
    )
    assert env.execute(gate, env.order(BUY, 40)) is None


def test_max_position_on_the_sell_side_counts_open_sells(env):
    # Flat with a working sell of 70: a new sell of 30 reaches -100, of 31 reaches -101.
    env.working(SELL, 70, order_type=LIMIT, price=120.00)
    gate = env.gate(max_position=100)

    assert env.execute(gate, env.order(SELL, 30)) is None
    assert env.execute(gate, env.order(SELL, 31)) == (
        DenialCode.POSITION_EXCEEDS_MAX,
        "POSITION_EXCEEDS_MAX position_after=101.0 limit=100.0",
    )


def test_reducing_orders_pass_the_position_limit_even_when_over_it(env):
    env.portfolio.net[AAA] = 150.0  # already over the limit of 100
    gate = env.gate(max_position=100)

    assert env.execute(gate, env.order(SELL, 20)) is None
    assert env.execute(gate, env.order(BUY, 1)) == (
        DenialCode.POSITION_EXCEEDS_MAX,
        "POSITION_EXCEEDS_MAX position_after=151.0 limit=100.0",
    )


def test_a_flip_through_flat_is_checked_on_the_resulting_position(env):
    # Long 50: selling 170 ends short 120 (> 100), selling 150 ends short 100.
    env.portfolio.net[AAA] = 50.0
    gate = env.gate(max_position=100)

    assert env.execute(gate, env.order(SELL, 150)) is None
    assert env.execute(gate, env.order(SELL, 171)) == (
        DenialCode.POSITION_EXCEEDS_MAX,
        "POSITION_EXCEEDS_MAX position_after=121.0 limit=100.0",
    )


def test_max_position_notional(env):
    # Long 60; buying 40 at 100.00 makes 100 x 100 = 10,000 (the limit); 41 makes 10,100.
    env.portfolio.net[AAA] = 60.0
    gate = env.gate(max_position_notional=10_000)

    assert env.execute(gate, env.order(BUY, 40, order_type=LIMIT, price=100.00)) is None
    assert env.execute(gate, env.order(BUY, 41, order_type=LIMIT, price=100.00)) == (
        DenialCode.POSITION_EXCEEDS_MAX,
        "POSITION_EXCEEDS_MAX position_notional_after=10100.0 limit=10000.0",
    )


def test_max_position_notional_lets_reducing_orders_pass(env):
    env.portfolio.net[AAA] = 200.0  # 20,000 at 100: over the 10,000 limit
    gate = env.gate(max_position_notional=10_000)

    assert env.execute(gate, env.order(SELL, 50, order_type=LIMIT, price=100.00)) is None


def test_max_gross_exposure(env):
    env.portfolio.gross = 90_000.0
    gate = env.gate(max_gross_exposure=100_000)

    assert env.execute(gate, env.order(BUY, 100, order_type=LIMIT, price=100.00)) is None
    assert env.execute(gate, env.order(BUY, 101, order_type=LIMIT, price=100.00)) == (
        DenialCode.GROSS_EXPOSURE_EXCEEDS_MAX,
        "GROSS_EXPOSURE_EXCEEDS_MAX gross_exposure_after=100100.0 limit=100000.0",
    )


def test_max_gross_exposure_lets_reducing_orders_pass(env):
    env.portfolio.net[AAA] = 50.0
    env.portfolio.gross = 120_000.0
    gate = env.gate(max_gross_exposure=100_000)

    assert env.execute(gate, env.order(SELL, 50, order_type=LIMIT, price=100.00)) is None
    assert env.execute(gate, env.order(BUY, 1, order_type=LIMIT, price=100.00)) is not None


def test_checks_run_in_order_and_the_first_denial_wins(env):
    gate = env.gate(max_order_quantity=10, max_notional_per_order=100)

    code, _ = env.execute(gate, env.order(BUY, 20, order_type=LIMIT, price=100.00))

    assert code is DenialCode.QUANTITY_EXCEEDS_MAX_PER_ORDER


def test_custom_checks_replace_the_configured_ones(env):
    class NoSellsCheck:
        def check(self, order, context):
            if order.side is SELL:
                return Denial(DenialCode.REDUCING_ONLY, {"why": "no sells today"})
            return None

    gate = env.gate(checks=[NoSellsCheck()], max_order_quantity=1)

    assert env.execute(gate, env.order(BUY, 5)) is None  # the quantity limit is not in the list
    assert env.execute(gate, env.order(SELL, 5)) == (
        DenialCode.REDUCING_ONLY,
        "REDUCING_ONLY why=no sells today",
    )


# ---- trading states and reduce-only ----------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "side", "quantity", "expected"),
    [
        (TradingState.ACTIVE, BUY, 10, None),
        (TradingState.ACTIVE, SELL, 50, None),
        (TradingState.REDUCING, BUY, 10, "REDUCING_ONLY position=50.0 side=BUY"),
        (TradingState.REDUCING, SELL, 50, None),  # closes the long
        (TradingState.REDUCING, SELL, 51, "REDUCING_ONLY position=50.0 side=SELL"),  # flips
        (TradingState.HALTED, BUY, 10, "TRADING_HALTED"),
        (TradingState.HALTED, SELL, 50, "TRADING_HALTED"),  # even closing orders
    ],
)
def test_trading_state_rules(env, state, side, quantity, expected):
    env.portfolio.net[AAA] = 50.0
    gate = env.gate(trading_state=state)

    result = env.execute(gate, env.order(side, quantity))

    assert (result[1] if result else None) == expected


def test_reducing_counts_open_orders_on_the_same_side(env):
    # Long 50 with a working sell of 30: a further sell of 20 still reduces, of 21 does not.
    env.portfolio.net[AAA] = 50.0
    env.working(SELL, 30, order_type=LIMIT, price=120.00)
    gate = env.gate(trading_state=TradingState.REDUCING)

    assert env.execute(gate, env.order(SELL, 20)) is None
    assert env.execute(gate, env.order(SELL, 21))[0] is DenialCode.REDUCING_ONLY


def test_trading_state_is_enforced_before_any_check(env):
    gate = env.gate(trading_state=TradingState.HALTED)
    order = env.order(BUY, 10.5, instrument_id=InstrumentId("ZZZ.SIM"))

    assert env.execute(gate, order) == (DenialCode.TRADING_HALTED, "TRADING_HALTED")


@pytest.mark.parametrize(
    ("net", "quantity", "expected"),
    [
        (0.0, 10, "REDUCING_ONLY position=0.0 reduce_only=True"),
        (50.0, 50, None),
        (50.0, 60, "REDUCING_ONLY position=50.0 reduce_only=True"),
        (-50.0, 10, "REDUCING_ONLY position=-50.0 reduce_only=True"),  # would add to a short
    ],
)
def test_reduce_only_order_must_reduce(env, net, quantity, expected):
    env.portfolio.net[AAA] = net
    gate = env.gate()

    result = env.execute(gate, env.order(SELL, quantity, reduce_only=True))

    assert (result[1] if result else None) == expected


def test_set_trading_state_publishes_one_event_per_change(env):
    gate = env.gate()
    published = []
    env.bus.subscribe(TRADING_STATE_TOPIC, published.append)
    env.clock.set_time(T0 + 5)

    env.bus.send("RiskGate.set_trading_state", (TradingState.HALTED, "manual halt"))
    gate.set_trading_state(TradingState.HALTED, "again")  # no change: nothing published

    assert gate.trading_state is TradingState.HALTED
    assert published == [
        TradingStateChanged(state=TradingState.HALTED, reason="manual halt", ts_event=T0 + 5)
    ]


def test_gate_counts_approvals_and_denials_by_code(env):
    gate = env.gate(max_order_quantity=10)
    env.execute(gate, env.order(BUY, 5))
    env.execute(gate, env.order(BUY, 11))
    env.execute(gate, env.order(BUY, 12))
    env.execute(gate, env.order(BUY, 1.5))

    assert gate.approved_count == 1
    assert gate.denied_count == 3
    assert gate.denials_by_code == {
        DenialCode.QUANTITY_EXCEEDS_MAX_PER_ORDER: 2,
        DenialCode.INVALID_QUANTITY: 1,
    }


# ---- through the kernel ----------------------------------------------------------------------
def test_denied_orders_never_reach_the_venue(make_kernel):
    h = make_kernel(risk_management={"max_order_quantity": 100})
    h.bar(0, 10.00, 10.00, 10.00, 10.00)
    denied = h.submit(BUY, 150.0)
    allowed = h.submit(BUY, 100)

    h.bar(1, 10.10, 10.20, 10.00, 10.10)
    h.bar(2, 10.20, 10.30, 10.10, 10.20)

    assert denied.status is OrderStatus.DENIED
    assert [type(e).__name__ for e in denied.events] == ["OrderInitialized", "OrderDenied"]
    assert allowed.status is OrderStatus.FILLED
    assert h.kernel.venue.fill_count == 1
    assert h.kernel.exec_engine.submitted_count == 1
    submitted = [e for e in h.strategy.received if isinstance(e, OrderSubmitted)]
    assert [e.client_order_id for e in submitted] == [allowed.client_order_id]
    denial = next(e for e in h.strategy.received if isinstance(e, OrderDenied))
    assert denial.client_order_id == denied.client_order_id
    assert denial.code is DenialCode.QUANTITY_EXCEEDS_MAX_PER_ORDER
    assert denial.reason == "QUANTITY_EXCEEDS_MAX_PER_ORDER quantity=150.0 limit=100.0"
    assert denied.client_order_id not in h.kernel.cache.open_orders
    assert h.kernel.portfolio_view.net_quantity(AAA) == 100


def test_halting_through_the_bus_denies_what_follows_in_the_kernel(make_kernel):
    h = make_kernel()
    published = []
    h.kernel.bus.subscribe(TRADING_STATE_TOPIC, published.append)
    h.bar(0, 10.00, 10.00, 10.00, 10.00)

    h.kernel.bus.send("RiskGate.set_trading_state", (TradingState.HALTED, "operator"))
    order = h.submit(BUY, 10)
    h.bar(1, 10.10, 10.20, 10.00, 10.10)

    assert [(e.state, e.reason) for e in published] == [(TradingState.HALTED, "operator")]
    assert order.status is OrderStatus.DENIED
    assert h.kernel.venue.fill_count == 0


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (5, {"quantity": 5.0, "min_quantity": 10.0}),
        (600, {"quantity": 600.0, "max_quantity": 500.0}),
        (10, None),
        (500, None),
    ],
)
def test_instrument_quantity_limits_are_enforced(quantity, expected) -> None:

    config = parse_system_config(
        {
            "data_feed": {"symbols": ["AAA"]},
            "instruments": [{"symbol": "AAA", "min_quantity": 10, "max_quantity": 500}],
            "logging": {"file": None},
        }
    )
    kernel = Kernel(config, SimulatedClock(0))
    kernel.process_bar(Bar(InstrumentId("AAA.SIM"), 10.0, 10.0, 10.0, 10.0, 1e6, 60, 60))
    order = _limitless_order(quantity)
    denial = kernel.gate.check(order)
    if expected is None:
        assert denial is None
    else:
        assert denial is not None
        assert denial.code is DenialCode.INVALID_QUANTITY
        assert denial.details == expected


def _limitless_order(quantity: float) -> Order:

    init = OrderInitialized(
        client_order_id=ClientOrderId("O-q"),
        strategy_id=StrategyId("s-1"),
        instrument_id=InstrumentId("AAA.SIM"),
        side=OrderSide.BUY,
        order_type=OrderType.MARKET,
        quantity=float(quantity),
        ts_event=60,
        ts_init=60,
    )
    return Order(init, 0)
