"""`BaseStrategy` on a real kernel: symbol resolution, settings validation, hook dispatch
(sync and async), `run_hook`, order sizing with `place_order`, `order_target`, `close_position`,
`calculate_z_score` against numpy, timers and `stop`."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from midfreq.core.clock import TimeEvent
from midfreq.core.errors import ConfigError, InvariantViolation
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import OrderSide, OrderStatus, OrderType
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy, Done, run_hook

BUY, SELL = OrderSide.BUY, OrderSide.SELL
AAA = InstrumentId("AAA.SIM")


class Recorder(BaseStrategy):
    """Records every hook call; actions queued with `do` run inside the next `on_bar`."""

    name = "recorder"

    def __init__(self, **config: Any) -> None:
        super().__init__({"strategy_id": "rec-1", "symbols": ["AAA"], **config})
        self.calls: list[tuple[Any, ...]] = []
        self.actions: list[Callable[[Recorder], Any]] = []
        self.results: list[Any] = []

    def do(self, *actions: Callable[[Recorder], Any]) -> None:
        self.actions.extend(actions)

    def on_start(self) -> None:
        self.calls.append(("start",))

    def on_stop(self) -> None:
        self.calls.append(("stop",))

    def on_bar(self, bar: Bar) -> None:
        self.calls.append(("bar", bar.close))
        actions, self.actions = self.actions, []
        self.results.extend(action(self) for action in actions)

    def on_quote(self, quote: QuoteTick) -> None:
        self.calls.append(("quote", quote.mid))

    def on_trade(self, trade: TradeTick) -> None:
        self.calls.append(("trade", trade.price))

    def on_order_filled(self, fill: OrderFilled) -> None:
        self.calls.append(("filled", fill.side, fill.last_qty, fill.last_px))

    def on_order_event(self, event: OrderEvent) -> None:
        self.calls.append(("event", type(event).__name__))

    def on_timer(self, event: TimeEvent) -> None:
        self.calls.append(("timer", event.name, event.ts_event))


def _data_calls(strategy: Recorder) -> list[tuple[Any, ...]]:
    return [c for c in strategy.calls if c[0] in ("bar", "quote", "trade", "timer")]


# ---- symbols and settings -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"symbols": ["AAPL", "MSFT"]}, ["AAPL.SIM", "MSFT.SIM"]),
        ({"symbols": ["AAPL", "MSFT.XNAS"], "venue": "XNYS"}, ["AAPL.XNYS", "MSFT.XNAS"]),
        ({"symbols": ("ES.CME",)}, ["ES.CME"]),
        ({}, []),
    ],
)
def test_symbols_become_instrument_ids_on_the_configured_venue(config, expected):
    strategy = BaseStrategy(config)
    assert strategy.instrument_ids == [InstrumentId(i) for i in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AAPL", "AAPL.XNAS"),  # one of the strategy's instruments, by symbol
        ("AAPL.XNAS", "AAPL.XNAS"),
        ("MSFT", "MSFT.SIM"),  # configured with its own venue
        ("TSLA", "TSLA.XNAS"),  # not configured: the strategy's venue
        ("TSLA.OTHER", "TSLA.OTHER"),
    ],
)
def test_instrument_id_resolves_symbols_and_full_ids(text, expected):
    strategy = BaseStrategy({"symbols": ["AAPL", "MSFT.SIM"], "venue": "XNAS"})
    assert strategy.instrument_id(text) == InstrumentId(expected)


def test_default_strategy_id_and_settings():
    strategy = Recorder(strategy_id=None)
    assert str(strategy.strategy_id) == "recorder-001"
    assert (strategy.lookback, strategy.order_quantity, strategy.max_position_size) == (
        20,
        100.0,
        None,
    )


def test_numeric_settings_given_as_strings_are_accepted():
    # Environment substitution yields strings, for example ${ORDER_QUANTITY:-50}.
    strategy = Recorder(lookback_period="30", order_quantity="50", max_position_size="200")
    assert (strategy.lookback, strategy.order_quantity, strategy.max_position_size) == (
        30,
        50.0,
        200.0,
    )


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("symbols", "AAPL", "a list of symbols, not one string"),
        ("symbols", 5, "a valid list"),
        ("lookback_period", "twenty", "a valid integer, unable to parse string as an integer"),
        ("lookback_period", 1, "greater than or equal to 2"),
        ("lookback_period", 2.5, "a valid integer, got a number with a fractional part"),
        ("order_quantity", 0, "greater than 0"),
        ("order_quantity", -5, "greater than 0"),
        ("order_quantity", "lots", "a valid number, unable to parse string as a number"),
        ("order_quantity", math.inf, "a finite number"),
        ("max_position_size", -1, "greater than or equal to 0"),
        ("max_position_size", [100], "a valid number"),
    ],
)
def test_invalid_settings_raise_config_error_naming_the_key(key, value, expected):
    with pytest.raises(ConfigError) as raised:
        Recorder(**{key: value})
    error = raised.value
    assert error.field == f"strategies.rec-1.{key}"
    assert error.value == value
    assert error.expected == expected
    assert str(error) == f"strategies.rec-1.{key}: expected {expected}, was {value!r}"


# ---- hook dispatch --------------------------------------------------------------------------
def test_bars_quotes_and_trades_reach_their_hooks_in_order(make_market):
    market = make_market()
    strategy = Recorder()
    market.start(strategy)

    market.bar(10.0)
    market.quote(9.9, 10.1)
    market.trade(10.05)
    market.bar(10.2, "AAA")

    assert strategy.calls == [
        ("start",),
        ("bar", 10.0),
        ("quote", 10.0),
        ("trade", 10.05),
        ("bar", 10.2),
    ]


def test_data_of_other_instruments_is_not_delivered(make_market):
    market = make_market(symbols=("AAA", "BBB"))
    strategy = Recorder()
    market.start(strategy)

    market.bar(50.0, "BBB")
    market.bar(10.0, "AAA")

    assert _data_calls(strategy) == [("bar", 10.0)]


class SyncMarketData(BaseStrategy):
    def __init__(self, **config: Any) -> None:
        super().__init__({"strategy_id": "md-1", "symbols": ["AAA"], **config})
        self.seen: list[tuple[str, float]] = []

    def on_market_data(self, market_data: Bar | QuoteTick) -> None:
        price = market_data.close if isinstance(market_data, Bar) else market_data.mid
        self.seen.append(("md", price))

    def on_bar(self, bar: Bar) -> None:
        self.seen.append(("bar", bar.close))


class AsyncMarketData(SyncMarketData):
    async def on_market_data(self, market_data: Bar | QuoteTick) -> None:
        await Done(None)  # completes at once, like `await self.place_order(...)`
        price = market_data.close if isinstance(market_data, Bar) else market_data.mid
        self.seen.append(("md", price))


@pytest.mark.parametrize("strategy_class", [SyncMarketData, AsyncMarketData])
def test_on_market_data_gets_bars_and_quotes_before_on_bar(make_market, strategy_class):
    market = make_market()
    strategy = strategy_class()
    market.start(strategy)

    market.bar(10.0)
    market.quote(10.0, 10.5)
    market.trade(11.0)  # trades are not market data for this hook

    assert strategy.seen == [("md", 10.0), ("bar", 10.0), ("md", 10.25)]


def test_order_events_and_fills_reach_their_hooks(make_market):
    market = make_market()
    strategy = Recorder()
    market.start(strategy)
    strategy.do(lambda s: s.buy("AAA", 10))

    market.bar(10.0)  # the market order is sent here and accepted
    market.bar(10.4)  # and fills at this bar's open

    assert [c for c in strategy.calls if c[0] in ("event", "filled")] == [
        ("event", "OrderSubmitted"),
        ("event", "OrderAccepted"),
        ("filled", BUY, 10.0, 10.4),
        ("event", "OrderFilled"),
    ]


def test_set_timer_calls_on_timer_on_kernel_time_before_the_data_at_that_time(make_market):
    market = make_market()

    class Timed(Recorder):
        def on_start(self) -> None:
            self.set_timer("heartbeat", 120)

    strategy = Timed()
    market.start(strategy)

    for close in (1.0, 2.0, 3.0, 4.0, 5.0):
        market.bar(close)

    name = "rec-1.heartbeat"
    assert _data_calls(strategy) == [
        ("bar", 1.0),
        ("timer", name, market.ts(1)),
        ("bar", 2.0),
        ("bar", 3.0),
        ("timer", name, market.ts(3)),
        ("bar", 4.0),
        ("bar", 5.0),
    ]


def test_stop_unsubscribes_and_cancels_timers(make_market):
    market = make_market()

    class Timed(Recorder):
        def on_start(self) -> None:
            self.calls.append(("start",))
            self.set_timer("heartbeat", 60)

    strategy = Timed()
    market.start(strategy)
    market.bar(1.0)
    strategy.do(lambda s: s.buy("AAA", 5, order_type=OrderType.LIMIT, price=0.5))
    market.bar(1.0)
    calls_before_stop = len(strategy.calls)

    market.kernel.stop()
    after_stop = strategy.calls[calls_before_stop:]
    market.bar(2.0)
    market.quote(1.9, 2.1)
    market.trade(2.0)
    market.bar(3.0)

    # The kernel cancels the resting order before stopping the strategy, so the strategy
    # hears the cancel; then on_stop, and nothing more.
    assert after_stop == [
        ("event", "OrderPendingCancel"),
        ("event", "OrderCanceled"),
        ("stop",),
    ]
    assert strategy.calls[calls_before_stop:] == after_stop
    assert not strategy.is_running
    # Only the kernel's own timers remain (the risk manager's mark sampler).
    assert [n for n in market.clock.timer_names if not n.startswith("risk.")] == []


# ---- run_hook -------------------------------------------------------------------------------
async def _sleeps(closed: list[bool]) -> None:
    try:
        await asyncio.sleep(0.01)
    finally:
        closed.append(True)


def test_run_hook_refuses_an_async_hook_that_really_waits():
    closed: list[bool] = []
    with pytest.raises(InvariantViolation, match=r"on_market_data: an async hook awaited"):
        run_hook(_sleeps(closed), "rec-1.on_market_data")
    assert closed == [True]


def test_run_hook_refuses_an_async_hook_that_really_waits_inside_an_event_loop():
    # In a live runner the kernel may be driven from a running loop: the sleep then suspends.
    closed: list[bool] = []

    async def drive() -> None:
        run_hook(_sleeps(closed), "rec-1.on_market_data")

    with pytest.raises(InvariantViolation, match=r"an async hook awaited something that"):
        asyncio.run(drive())
    assert closed == [True]


def test_run_hook_drives_a_hook_that_completes_at_once_and_ignores_plain_values():
    done: list[int] = []

    async def quick() -> int:
        value = await Done(7)
        done.append(value)
        return value

    run_hook(quick(), "quick")
    run_hook(None, "plain")
    run_hook(42, "plain")
    assert done == [7]


def test_run_hook_lets_other_errors_of_the_hook_through():
    async def broken() -> None:
        raise RuntimeError("strategy bug")

    with pytest.raises(RuntimeError, match="strategy bug"):
        run_hook(broken(), "broken")


def test_an_async_on_market_data_that_sleeps_stops_the_kernel_data_path(make_market):
    market = make_market()

    class Sleeper(SyncMarketData):
        async def on_market_data(self, market_data: Bar | QuoteTick) -> None:
            await asyncio.sleep(0.01)

    market.start(Sleeper())
    with pytest.raises(InvariantViolation, match=r"md-1\.on_market_data"):
        market.bar(10.0)


# ---- place_order ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("signal", "quantity", "expected"),
    [
        (1.0, None, (BUY, 100.0)),
        (0.3, None, (BUY, 100.0)),  # the size does not scale with the signal
        (-2.5, None, (SELL, 100.0)),
        (1.0, 40, (BUY, 40.0)),
        (-1.0, 10.7, (SELL, 10.0)),  # rounded down to whole lots
    ],
)
def test_place_order_trades_in_the_direction_of_the_signal(make_market, signal, quantity, expected):
    market = make_market()
    strategy = Recorder()
    market.start(strategy)
    strategy.do(lambda s: s.place_order(signal, "AAA", quantity))

    market.bar(10.0)

    [done] = strategy.results
    assert isinstance(done, Done)
    assert [(o.side, o.quantity) for o in market.orders()] == [expected]
    assert done.value is market.orders()[0]
    assert done.value.order_type is OrderType.MARKET


@pytest.mark.parametrize("signal", [0.0, -0.0])
def test_place_order_with_zero_signal_sends_nothing(make_market, signal):
    market = make_market()
    strategy = Recorder()
    market.start(strategy)
    strategy.do(lambda s: s.place_order(signal, "AAA"))

    market.bar(10.0)

    assert strategy.results[0].value is None
    assert market.orders() == []


@pytest.mark.parametrize("signal", [math.nan, math.inf, -math.inf])
def test_place_order_refuses_a_signal_that_is_not_finite(make_market, signal):
    market = make_market()
    strategy = Recorder()
    market.start(strategy)
    strategy.do(lambda s: s.place_order(signal, "AAA"))

    with pytest.raises(ValueError, match=r"signal: expected a finite number"):
        market.bar(10.0)
    assert market.orders() == []


def test_place_order_clips_to_max_position_size_counting_pending_orders(make_market):
    market = make_market()
    strategy = Recorder(max_position_size=150)
    market.start(strategy)
    # Three buys on one bar: none has filled, so the pending ones count against the cap.
    strategy.do(
        lambda s: s.place_order(1, "AAA"),
        lambda s: s.place_order(1, "AAA"),
        lambda s: s.place_order(1, "AAA"),
    )
    market.bar(10.0)
    assert [(o.side, o.quantity) for o in market.orders()] == [(BUY, 100.0), (BUY, 50.0)]
    assert strategy.results[2].value is None

    # Filled: long 150. Buying is capped at zero; selling may go to -150 (300 of room).
    strategy.do(
        lambda s: s.place_order(1, "AAA"),
        lambda s: s.place_order(-1, "AAA", 250),
        lambda s: s.place_order(-1, "AAA", 250),
    )
    market.bar(10.0)
    assert market.position(strategy) == 150
    assert strategy.results[3].value is None
    assert [(o.side, o.quantity) for o in market.orders()[2:]] == [(SELL, 250.0), (SELL, 50.0)]


def test_place_order_can_be_awaited_in_an_async_on_market_data(make_market):
    market = make_market()

    class Awaiting(SyncMarketData):
        def __init__(self) -> None:
            super().__init__()
            self.sent: list[Any] = []

        async def on_market_data(self, market_data: Bar | QuoteTick) -> None:
            order = await self.place_order(-1.5, market_data.instrument_id.symbol, 25)
            self.sent.append(order)

    strategy = Awaiting()
    market.start(strategy)
    market.bar(10.0)
    market.bar(10.2)

    assert [(o.side, o.quantity) for o in strategy.sent] == [(SELL, 25.0), (SELL, 25.0)]
    assert strategy.sent == market.orders()
    assert market.position(strategy) == -25  # the first one filled at the second bar's open


# ---- order_target and close_position --------------------------------------------------------
def test_order_target_nets_position_and_pending_orders(make_market):
    market = make_market()
    strategy = Recorder()
    market.start(strategy)
    strategy.do(
        lambda s: s.order_target("AAA", 100),
        lambda s: s.order_target("AAA", 100),  # already on its way: no duplicate
        lambda s: s.order_target("AAA.SIM", 30),  # 100 pending: sell 70
    )
    market.bar(10.0)
    assert strategy.results[1] is None
    assert [(o.side, o.quantity) for o in market.orders()] == [(BUY, 100.0), (SELL, 70.0)]

    strategy.do(
        lambda s: s.order_target("AAA", 30),  # both filled: long 30 already
        lambda s: s.order_target("AAA", -50),
    )
    market.bar(10.0)
    assert market.position(strategy) == 30
    assert strategy.results[3] is None
    assert [(o.side, o.quantity) for o in market.orders()[2:]] == [(SELL, 80.0)]

    market.bar(10.0)
    assert market.position(strategy) == -50


def test_close_position_cancels_open_orders_and_flattens(make_market):
    market = make_market()
    strategy = Recorder()
    market.start(strategy)
    strategy.do(lambda s: s.buy("AAA", 100))
    market.bar(10.0)
    strategy.do(lambda s: s.buy("AAA", 50, order_type=OrderType.LIMIT, price=9.0))
    market.bar(10.0)
    [_, resting] = market.orders()
    assert market.position(strategy) == 100
    assert resting.status is OrderStatus.ACCEPTED

    strategy.do(lambda s: s.close_position("AAA"))
    market.bar(10.0)
    market.bar(10.5)

    close = strategy.results[-1]
    assert resting.status is OrderStatus.CANCELED
    assert (close.side, close.quantity, close.reduce_only) == (SELL, 100.0, True)
    assert close.status is OrderStatus.FILLED
    assert market.position(strategy) == 0
    assert market.kernel.cache.open_orders == {}


def test_close_position_when_flat_sends_nothing(make_market):
    market = make_market()
    strategy = Recorder()
    market.start(strategy)
    strategy.do(lambda s: s.close_position("AAA"))
    market.bar(10.0)
    assert strategy.results == [None]
    assert market.orders() == []


# ---- calculate_z_score ----------------------------------------------------------------------
class Scorer(SyncMarketData):
    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.scores: list[float] = []

    def on_market_data(self, market_data: Bar | QuoteTick) -> None:
        self.scores.append(self.calculate_z_score(market_data))


class BarScorer(BaseStrategy):
    """Scores from `on_bar` rather than `on_market_data`."""

    def __init__(self, **config: Any) -> None:
        super().__init__({"strategy_id": "bs-1", "symbols": ["AAA"], **config})
        self.scores: list[float] = []

    def on_bar(self, bar: Bar) -> None:
        self.scores.append(self.calculate_z_score(bar))


def _numpy_scores(prices: np.ndarray, lookback: int) -> list[float]:
    expected = []
    for i in range(len(prices)):
        if i + 1 < lookback:
            expected.append(0.0)
        else:
            window = prices[i + 1 - lookback : i + 1]
            expected.append((window[-1] - window.mean()) / window.std(ddof=1))
    return expected


@pytest.mark.parametrize("strategy_class", [Scorer, BarScorer])
def test_calculate_z_score_matches_numpy_over_the_last_lookback_prices(make_market, strategy_class):
    rng = np.random.default_rng(11)
    closes = np.round(100.0 + rng.normal(0.0, 1.0, 40).cumsum(), 2)
    market = make_market()
    strategy = strategy_class(lookback_period=7)
    market.start(strategy)

    market.bars(closes)

    assert strategy.scores[:6] == [0.0] * 6  # not enough history yet
    np.testing.assert_allclose(strategy.scores, _numpy_scores(closes, 7), rtol=1e-9)


def test_calculate_z_score_uses_quote_mids_and_bar_closes_per_instrument(make_market):
    market = make_market(symbols=("AAA", "BBB"))
    strategy = Scorer(lookback_period=3, symbols=["AAA", "BBB"])
    market.start(strategy)

    market.bar(10.0)
    market.bar(500.0, "BBB")
    market.quote(10.9, 11.1)  # mid 11
    market.bar(500.0, "BBB")
    market.bar(15.0)

    # AAA history (10, 11, 15): mean 12, sample std sqrt(7); BBB's bars never reach it.
    assert strategy.scores[:4] == [0.0, 0.0, 0.0, 0.0]
    assert strategy.scores[4] == pytest.approx(3.0 / np.sqrt(7.0), rel=1e-12)


def test_calculate_z_score_of_a_flat_price_is_zero(make_market):
    market = make_market()
    strategy = Scorer(lookback_period=3)
    market.start(strategy)
    market.bars([100.1] * 6)  # fsum(3 * 100.1) / 3 is an ulp off 100.1
    assert strategy.scores == [0.0] * 6


def test_calculate_z_score_of_a_sequence_scores_its_last_value():
    strategy = BaseStrategy({"lookback_period": 50})
    prices = [1.0, 2.0, 3.0, 4.0, 10.0]
    array = np.array(prices)
    expected = (array[-1] - array.mean()) / array.std(ddof=1)
    assert strategy.calculate_z_score(prices) == pytest.approx(expected, rel=1e-12)
    assert strategy.calculate_z_score([5.0]) == 0.0
    assert strategy.calculate_z_score(iter([2.0, 2.0])) == 0.0


# ---- status ---------------------------------------------------------------------------------
def test_status_reports_identity_state_and_pnl(make_market):
    market = make_market()
    strategy = Recorder()
    assert strategy.status()["pnl"] == {}
    market.start(strategy)
    status = strategy.status()
    assert {k: status[k] for k in ("strategy_id", "name", "running", "instruments")} == {
        "strategy_id": "rec-1",
        "name": "recorder",
        "running": True,
        "instruments": ["AAA.SIM"],
    }
    assert set(status["pnl"]) == {"realized", "unrealized", "fees", "net"}
