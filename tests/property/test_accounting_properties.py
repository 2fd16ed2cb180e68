"""Property tests of the Portfolio ledger: exact in integer nano-units after any fill sequence.

Random fills (buys and sells, partial closes, flips, fees in cents, prices on each instrument's
tick grid) and bar marks go through a real `Portfolio`. After every step:

- the accounting identity holds exactly:
  ``cash + positions value == starting cash + realized + unrealized - fees``;
- an independent ledger kept here with `fractions.Fraction` (cash from the fills, realized P&L by
  average cost) agrees: exactly for fees, quantities, equity and fully paid cash; within the
  documented rounding of the removed cost basis (half a nano-unit per partial close since the
  position was last flat or flipped) for realized and unrealized P&L and futures cash;
- the float `equity()` is within 1e-6 relative of the exact ``equity_raw() / 1e9``.

A long seeded run of 200,000 fills checks the same to the cent at the end.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stubs
from midfreq.cache import Cache
from midfreq.core.bus import MessageBus
from midfreq.core.clock import SimulatedClock
from midfreq.model.enums import OrderSide
from midfreq.model.identifiers import InstrumentId, StrategyId
from midfreq.model.instruments import Instrument
from midfreq.model.values import USD
from midfreq.portfolio.portfolio import Portfolio

NANO = 10**9
STARTING_CASH = 100_000_000
STRATEGIES = (StrategyId("S-A"), StrategyId("S-B"))


@dataclass(frozen=True)
class Market:
    """One tradable instrument and the ranges random steps draw from."""

    instrument: Instrument
    max_lots: int  # largest fill, in lots
    lot_units: int  # size units (10**-size_precision) per lot
    min_ticks: int
    max_ticks: int
    tick_units: int  # price units (10**-price_precision) per tick


MARKETS = (
    # AAPL: cents, whole shares.
    Market(stubs.equity_instrument("AAPL"), 500, 1, 1_000, 50_000, 1),
    # ES: quarter-point ticks (25 price units at precision 2), multiplier 50.
    Market(stubs.future_instrument(), 20, 1, 16_000, 20_000, 25),
    # BTCUSD: cents, 6-decimal quantities in lots of 0.000001 (priced in USD: one account currency).
    Market(stubs.crypto_instrument("BTCUSD", currency=USD), 5_000_000, 1, 2_000_000, 7_000_000, 1),
)


def price_of(market: Market, ticks: int) -> tuple[float, Fraction]:
    """The fill price as the float the venue sends, and its exact decimal value."""
    units = ticks * market.tick_units
    scale = 10**market.instrument.price_precision
    return units / scale, Fraction(units, scale)


def qty_of(market: Market, lots: int) -> tuple[float, Fraction]:
    units = lots * market.lot_units
    scale = 10**market.instrument.size_precision
    return units / scale, Fraction(units, scale)


# ---- the independent ledger ----------------------------------------------------------------
@dataclass
class Book:
    """Average-cost book of one (instrument, strategy), in exact fractions of dollars."""

    multiplier: int
    paid_in_full: bool
    qty: Fraction = Fraction(0)
    cost: Fraction = Fraction(0)  # signed cost basis of the open quantity
    realized: Fraction = Fraction(0)
    flows: Fraction = Fraction(0)  # sells minus buys (traded value)
    rounding_steps: int = 0  # partial closes since the cost basis was last exactly reset

    def fill(self, side: OrderSide, qty: Fraction, px: Fraction) -> None:
        signed = qty if side is OrderSide.BUY else -qty
        value = qty * px * self.multiplier
        self.flows += -value if side is OrderSide.BUY else value
        if self.qty == 0 or (self.qty > 0) == (signed > 0):
            self.cost += value if signed > 0 else -value
            self.qty += signed
            return
        closing = min(qty, abs(self.qty))
        avg = self.cost / self.qty  # per unit, times multiplier
        removed = avg * closing * (1 if self.qty > 0 else -1)
        closing_value = closing * px * self.multiplier
        self.realized += (closing_value if self.qty > 0 else -closing_value) - removed
        self.cost -= removed
        self.qty += signed
        if qty > closing:  # flip: the rest opens at the fill price
            rest = (qty - closing) * px * self.multiplier
            self.cost = rest if signed > 0 else -rest
            self.rounding_steps = 0
        elif self.qty == 0:
            self.cost = Fraction(0)
            self.rounding_steps = 0
        else:
            self.rounding_steps += 1

    def marked_value(self, mark: Fraction) -> Fraction:
        return self.qty * mark * self.multiplier

    def unrealized(self, mark: Fraction) -> Fraction:
        return self.marked_value(mark) - self.cost if self.qty else Fraction(0)


@dataclass
class Ledger:
    """Cash, fees, marks and books, computed from the fills alone."""

    fees: Fraction = Fraction(0)
    marks: dict[InstrumentId, Fraction] = field(default_factory=dict)
    books: dict[tuple[InstrumentId, StrategyId], Book] = field(default_factory=dict)

    def fill(
        self,
        market: Market,
        strategy: StrategyId,
        side: OrderSide,
        qty: Fraction,
        px: Fraction,
        fee: Fraction,
    ) -> None:
        instrument = market.instrument
        book = self.books.setdefault(
            (instrument.id, strategy),
            Book(instrument.multiplier, paid_in_full=not instrument.settles_pnl_only),
        )
        book.fill(side, qty, px)
        self.fees += fee
        self.marks.setdefault(instrument.id, px)  # marked at the first fill until a bar arrives

    def mark(self, iid: InstrumentId, px: Fraction) -> None:
        self.marks[iid] = px

    @property
    def cash(self) -> Fraction:
        total = Fraction(STARTING_CASH) - self.fees
        for book in self.books.values():
            total += book.flows if book.paid_in_full else book.realized
        return total

    @property
    def realized(self) -> Fraction:
        return sum((b.realized for b in self.books.values()), Fraction(0))

    def unrealized(self) -> Fraction:
        return sum(
            (b.unrealized(self.marks[iid]) for (iid, _), b in self.books.items()), Fraction(0)
        )

    def equity(self) -> Fraction:
        """Cash plus positions: market value if paid in full, unrealized P&L if not."""
        total = self.cash
        for (iid, _), book in self.books.items():
            mark = self.marks[iid]
            total += book.marked_value(mark) if book.paid_in_full else book.unrealized(mark)
        return total

    def rounding_tolerance(self, *, futures_only: bool = False) -> Fraction:
        """Nano-units the portfolio may differ by: half a unit per partial close, per book."""
        steps = sum(
            b.rounding_steps for b in self.books.values() if not (futures_only and b.paid_in_full)
        )
        return Fraction(steps, 2)


# ---- harness -------------------------------------------------------------------------------
def new_portfolio() -> Portfolio:
    cache = Cache()
    for market in MARKETS:
        cache.add_instrument(market.instrument)
    return Portfolio(MessageBus(), cache, SimulatedClock(), starting_cash=STARTING_CASH)


class Harness:
    """A portfolio and the ledger, fed the same fills and marks."""

    def __init__(self) -> None:
        self.portfolio = new_portfolio()
        self.ledger = Ledger()
        self.ts = 0

    def fill(
        self,
        market: Market,
        strategy: StrategyId,
        side: OrderSide,
        lots: int,
        ticks: int,
        cents: int,
    ) -> None:
        self.ts += 1
        qty, exact_qty = qty_of(market, lots)
        px, exact_px = price_of(market, ticks)
        self.portfolio.apply_fill(
            stubs.fill_event(
                market.instrument.id,
                side,
                qty,
                px,
                commission=cents / 100,
                strategy_id=strategy,
                ts=self.ts,
                trade_id=f"T-{self.ts}",
            )
        )
        self.ledger.fill(market, strategy, side, exact_qty, exact_px, Fraction(cents, 100))

    def bar(self, market: Market, ticks: int) -> None:
        self.ts += 1
        px, exact_px = price_of(market, ticks)
        self.portfolio.on_bar(stubs.make_bar(market.instrument.id, px, ts=self.ts))
        self.ledger.mark(market.instrument.id, exact_px)

    def check_identity(self) -> None:
        p = self.portfolio
        left = p.cash_raw + p.positions_value_raw()
        right = p.starting_cash_raw + p.realized_raw + p.unrealized_raw() - p.fees_raw
        assert left == right, f"identity off by {left - right} nano-units"
        assert p.equity_raw() == left

    def check_against_ledger(self) -> None:
        p, ledger = self.portfolio, self.ledger
        assert p.starting_cash_raw == STARTING_CASH * NANO
        assert p.fees_raw == ledger.fees * NANO
        assert p.equity_raw() == ledger.equity() * NANO
        for (iid, strategy), book in ledger.books.items():
            position = p.position(iid, strategy)
            assert position is not None
            scale = 10**position.instrument.size_precision
            assert position.quantity_raw == book.qty * scale
        tolerance = ledger.rounding_tolerance()
        assert abs(p.realized_raw - ledger.realized * NANO) <= tolerance
        assert abs(p.unrealized_raw() - ledger.unrealized() * NANO) <= tolerance
        futures_tolerance = ledger.rounding_tolerance(futures_only=True)
        assert abs(p.cash_raw - ledger.cash * NANO) <= futures_tolerance

    def check_float_equity(self) -> None:
        exact = self.portfolio.equity_raw() / NANO
        assert math.isclose(self.portfolio.equity(), exact, rel_tol=1e-6)


# ---- hypothesis ----------------------------------------------------------------------------
@dataclass(frozen=True)
class FillStep:
    market: Market
    strategy: StrategyId
    side: OrderSide
    lots: int
    ticks: int
    cents: int  # fee


@dataclass(frozen=True)
class BarStep:
    market: Market
    ticks: int


@st.composite
def fill_steps(draw: st.DrawFn) -> FillStep:
    market = draw(st.sampled_from(MARKETS))
    return FillStep(
        market=market,
        strategy=draw(st.sampled_from(STRATEGIES)),
        side=draw(st.sampled_from(OrderSide)),
        lots=draw(st.integers(1, market.max_lots)),
        ticks=draw(st.integers(market.min_ticks, market.max_ticks)),
        cents=draw(st.integers(0, 500)),
    )


@st.composite
def bar_steps(draw: st.DrawFn) -> BarStep:
    market = draw(st.sampled_from(MARKETS))
    return BarStep(market=market, ticks=draw(st.integers(market.min_ticks, market.max_ticks)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(fill_steps(), fill_steps(), bar_steps()), min_size=1, max_size=80))
def test_ledger_is_exact_after_every_step(steps: list[FillStep | BarStep]) -> None:
    harness = Harness()
    for step in steps:
        if isinstance(step, FillStep):
            harness.fill(step.market, step.strategy, step.side, step.lots, step.ticks, step.cents)
        else:
            harness.bar(step.market, step.ticks)
        harness.check_identity()
        harness.check_against_ledger()
        harness.check_float_equity()


@settings(max_examples=200, deadline=None)
@given(
    lots=st.lists(st.integers(1, 7), min_size=2, max_size=12),
    ticks=st.lists(st.integers(1_000, 2_000), min_size=12, max_size=12),
)
def test_partial_closes_then_flat_give_exactly_sells_minus_buys(
    lots: list[int], ticks: list[int]
) -> None:
    """Build a long position, close it in odd-sized pieces: realized == sells - buys exactly."""
    harness = Harness()
    aapl = MARKETS[0]
    total = sum(lots)
    harness.fill(aapl, STRATEGIES[0], OrderSide.BUY, total, ticks[0], 0)
    harness.fill(aapl, STRATEGIES[0], OrderSide.BUY, 1, ticks[1], 0)  # uneven cost basis
    for piece, tick in zip([*lots[:-1], lots[-1] + 1], ticks[2:] + ticks, strict=False):
        harness.fill(aapl, STRATEGIES[0], OrderSide.SELL, piece, tick, 0)
        harness.check_identity()
    position = harness.portfolio.position(aapl.instrument.id, STRATEGIES[0])
    assert position is not None and position.is_flat
    book = harness.ledger.books[(aapl.instrument.id, STRATEGIES[0])]
    assert harness.portfolio.realized_raw == book.flows * NANO
    assert harness.portfolio.realized_raw == book.realized * NANO
    assert harness.portfolio.cash_raw == harness.ledger.cash * NANO


# ---- the long run --------------------------------------------------------------------------
LONG_RUN_FILLS = 200_000


def _random_walk(rng: random.Random, ticks: int, market: Market) -> int:
    step = rng.randint(-3, 3)
    if not market.min_ticks <= ticks + step <= market.max_ticks:
        step = -step
    return ticks + step


@pytest.mark.slow
def test_two_hundred_thousand_fills_stay_exact_to_the_cent() -> None:
    rng = random.Random(20_240_101)
    harness = Harness()
    ticks = [(m.min_ticks + m.max_ticks) // 2 for m in MARKETS]
    # Keep positions bounded so equity stays far from zero and the relative check means something.
    limits = [2_000, 40, 10_000_000]
    net = {(i, s): 0 for i in range(len(MARKETS)) for s in range(len(STRATEGIES))}
    for n in range(LONG_RUN_FILLS):
        index = rng.randrange(len(MARKETS))
        market = MARKETS[index]
        ticks[index] = _random_walk(rng, ticks[index], market)
        if n % 4 == 0:
            harness.bar(market, ticks[index])
        strategy = rng.randrange(len(STRATEGIES))
        lots = rng.randint(1, market.max_lots // 4)
        position = net[(index, strategy)]
        if position > limits[index]:
            side = OrderSide.SELL
        elif position < -limits[index]:
            side = OrderSide.BUY
        else:
            side = rng.choice((OrderSide.BUY, OrderSide.SELL))
        net[(index, strategy)] += lots if side is OrderSide.BUY else -lots
        harness.fill(
            market,
            STRATEGIES[strategy],
            side,
            lots,
            ticks[index] + rng.randint(-2, 2),
            rng.randint(0, 300),
        )
        if n % 20_000 == 0:
            harness.check_identity()
            harness.check_float_equity()
    p = harness.portfolio
    assert p.fill_count == LONG_RUN_FILLS
    harness.check_identity()
    harness.check_float_equity()
    harness.check_against_ledger()  # exact equity and fees; P&L within the rounding bound
    cent = NANO // 100
    ledger = harness.ledger
    assert abs(p.realized_raw - ledger.realized * NANO) < cent / 2
    assert abs(p.cash_raw - ledger.cash * NANO) < cent / 2
    assert round(Fraction(p.equity_raw(), NANO), 2) == round(ledger.equity(), 2)
