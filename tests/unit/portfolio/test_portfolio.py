"""The Portfolio ledger against hand-computed books: equity fills with fees (cash, realized,
unrealized, equity, closed round trips net of fees), a futures position that moves cash only by
realized P&L and fees, per-strategy attribution, the equity curve and marks from market data.

Fills and market data arrive on the bus exactly as the OMS and the data engine publish them.
"""

from __future__ import annotations

import pytest

from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import NANOS_PER_MINUTE, SimulatedClock
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide, LiquiditySide, OrderSide, PositionSide
from midfreq.model.events import OrderAccepted, OrderFilled, OrderSubmitted
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId, TradeId, VenueOrderId
from midfreq.model.instruments import Future, equity
from midfreq.model.values import MONEY_SCALE
from midfreq.portfolio.portfolio import ClosedTrade, Portfolio, PortfolioView

T0 = 1_704_205_800_000_000_000
MIN = NANOS_PER_MINUTE
AAA = InstrumentId("AAA.SIM")
BBB = InstrumentId("BBB.SIM")
ES = InstrumentId("ES.SIM")
S1 = StrategyId("s-1")
S2 = StrategyId("s-2")
BUY, SELL = OrderSide.BUY, OrderSide.SELL


class Book:
    """A portfolio on its own bus, fed the way the kernel feeds it."""

    def __init__(self, starting_cash: float) -> None:
        self.bus = MessageBus()
        self.cache = Cache()
        self.cache.add_instrument(equity("AAA"))
        self.cache.add_instrument(equity("BBB"))
        self.cache.add_instrument(
            Future(id=ES, underlying="ES", expiry_ns=0, tick_size=0.25, multiplier=50)
        )
        self.portfolio = Portfolio(self.bus, self.cache, SimulatedClock(T0), starting_cash)
        self.view = PortfolioView(self.portfolio)
        self._count = 0

    def fill(
        self,
        minute: int,
        side: OrderSide,
        quantity: float,
        price: float,
        fee: float,
        *,
        instrument_id: InstrumentId = AAA,
        strategy_id: StrategyId = S1,
    ) -> None:
        self._count += 1
        ts = T0 + minute * MIN
        self.bus.publish(
            f"events.order.{strategy_id}",
            OrderFilled(
                client_order_id=ClientOrderId(f"O-{self._count}"),
                strategy_id=strategy_id,
                instrument_id=instrument_id,
                venue_order_id=VenueOrderId(f"V-{self._count}"),
                trade_id=TradeId(f"T-{self._count}"),
                side=side,
                last_qty=quantity,
                last_px=price,
                commission=fee,
                liquidity_side=LiquiditySide.TAKER,
                ts_event=ts,
                ts_init=ts,
            ),
        )

    def bar(self, close: float, instrument_id: InstrumentId = AAA) -> None:
        bar = Bar(instrument_id, close, close, close, close, 1_000.0, T0, T0)
        self.bus.publish(f"data.bars.{instrument_id}", bar)

    def quote(self, bid: float, ask: float, instrument_id: InstrumentId = AAA) -> None:
        quote = QuoteTick(instrument_id, bid, ask, 100.0, 100.0, T0, T0)
        self.bus.publish(f"data.quotes.{instrument_id}", quote)

    def trade(self, price: float, instrument_id: InstrumentId = AAA) -> None:
        trade = TradeTick(instrument_id, price, 100.0, AggressorSide.BUYER, "X-1", T0, T0)
        self.bus.publish(f"data.trades.{instrument_id}", trade)

    def assert_ledger(
        self, *, cash: float, realized: float, unrealized: float, fees: float
    ) -> None:
        """Check the figures exactly (nano-units) and the ledger identity."""
        p = self.portfolio
        assert p.cash_raw == round(cash * 100) * MONEY_SCALE // 100
        assert p.realized_raw == round(realized * 100) * MONEY_SCALE // 100
        assert p.unrealized_raw() == round(unrealized * 100) * MONEY_SCALE // 100
        assert p.fees_raw == round(fees * 100) * MONEY_SCALE // 100
        assert p.equity_raw() == p.starting_cash_raw + p.realized_raw + p.unrealized_raw() - (
            p.fees_raw
        )
        # the incrementally maintained float agrees with the exact figure
        assert p.equity() == pytest.approx(p.equity_raw() / MONEY_SCALE, abs=1e-6)


def test_equity_ledger_through_a_long_round_trip_and_a_short_flipped_long():
    book = Book(100_000.0)
    p = book.portfolio

    # Buy 100 @ 10.00, fee 1: cash 100,000 - 1,000 - 1; marked at the fill price.
    book.fill(1, BUY, 100, 10.00, 1.00)
    book.assert_ledger(cash=98_999.00, realized=0, unrealized=0, fees=1)
    assert p.equity() == pytest.approx(99_999.00)

    # Buy 50 @ 11.00, fee 1: cost 1,550 for 150 (avg 10.3333); still marked at 10.00.
    book.fill(2, BUY, 50, 11.00, 1.00)
    book.assert_ledger(cash=98_448.00, realized=0, unrealized=-50.00, fees=2)
    assert book.view.avg_px(AAA, S1) == pytest.approx(1_550 / 150)

    # A bar closes at 12.00: 150 x 12 - 1,550 = 250 unrealized.
    book.bar(12.00)
    book.assert_ledger(cash=98_448.00, realized=0, unrealized=250.00, fees=2)
    assert p.equity() == pytest.approx(100_248.00)

    # Sell 60 @ 12.50, fee 1: removes 60/150 of the cost (620); realized 750 - 620 = 130.
    book.fill(4, SELL, 60, 12.50, 1.00)
    book.assert_ledger(cash=99_197.00, realized=130.00, unrealized=150.00, fees=3)
    assert book.view.quantity(AAA, S1) == 90
    assert book.view.avg_px(AAA, S1) == pytest.approx(1_550 / 150)
    assert p.equity() == pytest.approx(100_277.00)

    # Sell 90 @ 9.00, fee 1: realized 810 - 930 = -120; flat. The trip made 10 - 4 fees = 6.
    book.fill(5, SELL, 90, 9.00, 1.00)
    book.assert_ledger(cash=100_006.00, realized=10.00, unrealized=0, fees=4)
    assert p.closed_trades == [
        ClosedTrade(
            instrument_id=AAA,
            strategy_id=S1,
            side=PositionSide.LONG,
            opened_ns=T0 + 1 * MIN,
            closed_ns=T0 + 5 * MIN,
            pnl=6.00,
            fees=4.00,
        )
    ]

    # Short 100 @ 20.00, fee 2; marks: quote mid 20.00, then a print at 19.50.
    book.fill(6, SELL, 100, 20.00, 2.00)
    book.quote(19.99, 20.01)
    book.assert_ledger(cash=102_004.00, realized=10.00, unrealized=0, fees=6)
    book.trade(19.50)
    book.assert_ledger(cash=102_004.00, realized=10.00, unrealized=50.00, fees=6)
    assert p.equity() == pytest.approx(100_054.00)

    # Buy 150 @ 19.00, fee 2: covers 100 (realized 2,000 - 1,900 = 100) and opens 50 long at
    # 19.00 (cost 950); marked at 19.50: unrealized 25. The short trip made 100 - 4 = 96.
    book.fill(8, BUY, 150, 19.00, 2.00)
    book.assert_ledger(cash=99_152.00, realized=110.00, unrealized=25.00, fees=8)
    assert p.closed_trades[1] == ClosedTrade(
        instrument_id=AAA,
        strategy_id=S1,
        side=PositionSide.SHORT,
        opened_ns=T0 + 6 * MIN,
        closed_ns=T0 + 8 * MIN,
        pnl=96.00,
        fees=4.00,
    )
    assert book.view.quantity(AAA, S1) == 50
    assert book.view.avg_px(AAA, S1) == pytest.approx(19.00)
    assert p.summary() == {
        "equity": pytest.approx(100_127.00),
        "cash": pytest.approx(99_152.00),
        "realized_pnl": pytest.approx(110.00),
        "unrealized_pnl": pytest.approx(25.00),
        "fees": pytest.approx(8.00),
        "total_pnl": pytest.approx(127.00),
        "open_positions": 1,
        "fills": 6,
    }


def test_futures_move_cash_only_by_realized_pnl_and_fees():
    # ES: multiplier 50, tick 0.25.
    book = Book(100_000.0)
    p = book.portfolio

    book.fill(1, BUY, 2, 4_000.00, 4.50, instrument_id=ES)
    book.assert_ledger(cash=99_995.50, realized=0, unrealized=0, fees=4.50)
    assert p.gross_exposure() == pytest.approx(400_000.00)  # 2 x 50 x 4,000

    book.bar(4_010.25, instrument_id=ES)  # 2 x 50 x 10.25 = 1,025 unrealized, cash unchanged
    book.assert_ledger(cash=99_995.50, realized=0, unrealized=1_025.00, fees=4.50)
    assert p.equity() == pytest.approx(101_020.50)
    assert p.gross_exposure() == pytest.approx(401_025.00)

    book.fill(2, SELL, 1, 4_020.00, 2.25, instrument_id=ES)  # realized 1 x 50 x 20 = 1,000
    book.assert_ledger(cash=100_993.25, realized=1_000.00, unrealized=512.50, fees=6.75)
    assert p.equity() == pytest.approx(101_505.75)

    book.fill(3, SELL, 1, 3_990.00, 2.25, instrument_id=ES)  # realized 1 x 50 x -10 = -500
    book.assert_ledger(cash=100_491.00, realized=500.00, unrealized=0, fees=9.00)
    assert p.equity() == pytest.approx(100_491.00)
    assert p.gross_exposure() == 0
    assert [(t.side, t.pnl, t.fees) for t in p.closed_trades] == [(PositionSide.LONG, 491.0, 9.0)]


def test_two_strategies_in_one_instrument_are_attributed_separately():
    book = Book(100_000.0)
    p = book.portfolio
    book.fill(1, BUY, 100, 10.00, 1.00, strategy_id=S1)
    book.fill(2, SELL, 40, 10.50, 1.00, strategy_id=S2)
    book.bar(11.00)

    # s-1: 100 x (11 - 10) = 100 unrealized; s-2: 40 x (10.50 - 11) = -20 unrealized.
    assert p.strategy_pnl(S1) == pytest.approx(
        {"realized": 0.0, "unrealized": 100.0, "fees": 1.0, "net": 99.0}
    )
    assert p.strategy_pnl(S2) == pytest.approx(
        {"realized": 0.0, "unrealized": -20.0, "fees": 1.0, "net": -21.0}
    )
    assert book.view.net_quantity(AAA) == 60
    assert p.gross_exposure() == pytest.approx(660.0)  # the account is net long 60 at 11

    book.fill(3, SELL, 100, 12.00, 1.00, strategy_id=S1)

    assert book.view.strategy_pnl(S1) == pytest.approx(
        {"realized": 200.0, "unrealized": 0.0, "fees": 2.0, "net": 198.0}
    )
    assert p.strategy_pnl(S2)["net"] == pytest.approx(-21.0)
    assert book.view.quantity(AAA, S1) == 0
    assert book.view.quantity(AAA, S2) == -40
    assert book.view.avg_px(AAA, S2) == pytest.approx(10.50)
    assert book.view.net_quantity(AAA) == -40
    assert [(t.strategy_id, t.pnl) for t in p.closed_trades] == [(S1, 198.0)]
    # cash: 100,000 - 1,001 + 419 + 1,199; equity adds s-2's short marked at 11: -440
    book.assert_ledger(cash=100_617.00, realized=200.00, unrealized=-20.00, fees=3.00)
    assert p.equity() == pytest.approx(100_177.00)


def test_equity_curve_records_points_peak_and_exposure():
    book = Book(10_000.0)
    p = book.portfolio
    alerts = []
    p.set_drawdown_alert(0.01, lambda equity, peak: alerts.append((equity, peak)))

    p.record_equity(T0)
    book.fill(1, BUY, 100, 10.00, 0.0)
    book.bar(11.00)
    p.record_equity(T0 + MIN)
    book.bar(9.00)
    p.record_equity(T0 + 2 * MIN)
    book.fill(3, SELL, 100, 9.50, 0.0)
    p.record_equity(T0 + 3 * MIN)

    assert list(p.equity_ts) == [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]
    assert list(p.equity_values) == pytest.approx([10_000.0, 10_100.0, 9_900.0, 9_950.0])
    assert list(p.exposed_flags) == [0, 1, 1, 0]
    assert p.peak_equity == pytest.approx(10_100.0)
    # 1% below the 10,100 peak is 9,999: both later points are below it.
    assert alerts == [
        (pytest.approx(9_900.0), pytest.approx(10_100.0)),
        (pytest.approx(9_950.0), pytest.approx(10_100.0)),
    ]


@pytest.mark.parametrize(
    ("feed", "mark"),
    [
        (lambda book: book.bar(10.40), 10.40),
        (lambda book: book.quote(10.39, 10.43), 10.41),
        (lambda book: book.trade(10.37), 10.37),
    ],
)
def test_marks_follow_bars_quotes_and_trades(feed, mark):
    book = Book(100_000.0)
    book.fill(1, BUY, 100, 10.00, 0.0)
    book.bar(10.00, instrument_id=BBB)  # another instrument's data does not move AAA

    feed(book)

    assert book.portfolio.mark(AAA) == pytest.approx(mark)
    assert book.portfolio.unrealized_raw() == round((mark - 10.00) * 100 * MONEY_SCALE)
    assert book.portfolio.equity() == pytest.approx(100_000.0 + (mark - 10.00) * 100)


def test_market_data_before_any_fill_sets_the_mark_and_the_fill_does_not_override_it():
    book = Book(100_000.0)
    book.bar(10.20)

    book.fill(1, BUY, 100, 10.00, 0.0)

    assert book.portfolio.mark(AAA) == 10.20
    book.assert_ledger(cash=99_000.00, realized=0, unrealized=20.00, fees=0)


def test_non_fill_order_events_change_nothing():
    book = Book(100_000.0)
    common = {
        "client_order_id": ClientOrderId("O-1"),
        "strategy_id": S1,
        "instrument_id": AAA,
        "ts_event": T0,
        "ts_init": T0,
    }

    book.bus.publish("events.order.s-1", OrderSubmitted(**common))
    book.bus.publish(
        "events.order.s-1", OrderAccepted(venue_order_id=VenueOrderId("V-1"), **common)
    )

    assert book.portfolio.mark(AAA) is None
    assert book.portfolio.positions == {}
    assert book.portfolio.fill_count == 0
    book.assert_ledger(cash=100_000.00, realized=0, unrealized=0, fees=0)
