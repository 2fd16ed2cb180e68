"""`MarketMakingStrategy` on a real kernel with the simulated venue (queue position on, 10 ms
latency): quote prices worked out by hand from the Avellaneda-Stoikov formulas, the inventory
skew, the one-bid-one-ask invariant across refreshes, the inventory limit and the adverse-selection
kill.

Most tests use ``sigma = 0.1`` (fixed), ``tau = 1``, ``gamma = 1``, ``kappa = 100``, one quote =
10 shares, tick 0.01, so (by hand)::

    inventory risk   gamma * sigma**2 * tau           = 0.01      (one tick per quote held)
    spread           0.01 + (2 / 1) * ln(1 + 1/100)   = 0.0299007 (half 0.0149503)
    flat, mid 100    r = 100     bid 99.98505 -> 99.98   ask 100.01495 -> 100.02
    long 10 (q=1)    r = 99.99   bid 99.97505 -> 99.97   ask 100.00495 -> 100.01
    short 10 (q=-1)  r = 100.01  bid 99.99505 -> 99.99   ask 100.02495 -> 100.03

(the bid rounds down and the ask up to the tick).
"""

from __future__ import annotations

import doctest
import math
from typing import Any

import numpy as np
import pytest
from structlog.testing import capture_logs

import midfreq.strategies.market_making as market_making_module
from midfreq.core.clock import SimulatedClock
from midfreq.core.errors import ConfigError
from midfreq.model.data import QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide, OrderSide, OrderType
from midfreq.model.events import OrderEvent
from midfreq.model.identifiers import InstrumentId
from midfreq.model.orders import Order
from midfreq.strategies.market_making import (
    MarketMakingConfig,
    MarketMakingStrategy,
    avellaneda_stoikov,
)
from midfreq.system.config import InstrumentConfig, parse_system_config
from midfreq.system.kernel import Kernel

T0 = 1_704_205_800_000_000_000  # 2024-01-02 14:30:00 UTC
SECOND = 1_000_000_000
IID = InstrumentId("AAA.SIM")
BUY, SELL = OrderSide.BUY, OrderSide.SELL
SETTINGS: dict[str, Any] = {
    "strategy_id": "mm-1",
    "symbols": ["AAA"],
    "order_quantity": 10,
    "max_inventory": 50,
    "gamma": 1.0,
    "kappa": 100.0,
    "volatility": 0.1,
    "horizon_seconds": 1.0,
    "markout_seconds": 1.0,
    "markout_window": 2,
    "kill_markout_ticks": -1.0,
    "kill_cooldown_seconds": 10.0,
}


class Desk:
    """A kernel (queue position, 10 ms latency) running one `MarketMakingStrategy` on AAA.SIM;
    `quote` and `trade` feed data at ``T0 + at`` seconds, one second after the last by default."""

    def __init__(self, **settings: Any) -> None:
        config = {
            "data_feed": {"symbols": ["AAA"]},
            "venue": {"queue_position": True, "latency_ms": 10.0},
        }
        self.kernel = Kernel(parse_system_config(config), SimulatedClock(T0))
        self.strategy = MarketMakingStrategy({**SETTINGS, **settings})
        self.kernel.add_strategy(self.strategy)
        self.kernel.start()
        self.now = 0.0
        self.events: list[OrderEvent] = []
        self.kernel.bus.subscribe("events.order.*", self.events.append)

    def _ts(self, at: float | None) -> int:
        self.now = self.now + 1.0 if at is None else at
        return T0 + round(self.now * SECOND)

    def quote(self, bid: float, ask: float, at: float | None = None, size: float = 500.0) -> None:
        ts = self._ts(at)
        self.kernel.process_quote(QuoteTick(IID, bid, ask, size, size, ts, ts))

    def trade(self, price: float, size: float, aggressor: AggressorSide, at: float | None = None):
        ts = self._ts(at)
        self.kernel.process_trade(TradeTick(IID, price, size, aggressor, f"T{ts}", ts, ts))

    def sell_into_bid(self, size: float = 10.0, price: float = 99.90) -> None:
        """A seller prints through our bid (below it): the venue fills the bid in full."""
        self.trade(price, size, AggressorSide.SELLER)

    def buy_from_ask(self, size: float = 10.0, price: float = 100.10) -> None:
        self.trade(price, size, AggressorSide.BUYER)

    def open(self, side: OrderSide | None = None) -> list[Order]:
        orders = self.kernel.cache.orders_open(self.strategy.strategy_id, IID)
        return [o for o in orders if side is None or o.side is side]

    def open_prices(self) -> tuple[list[float | None], list[float | None]]:
        return [o.price for o in self.open(BUY)], [o.price for o in self.open(SELL)]

    def position(self) -> float:
        return self.kernel.portfolio_view.quantity(IID, self.strategy.strategy_id)


def _instrument():
    return InstrumentConfig(symbol="AAA").build()


def _quote(bid: float, ask: float) -> QuoteTick:
    return QuoteTick(IID, bid, ask, 500.0, 500.0, T0, T0)


# ---- formulas ------------------------------------------------------------------------------


def test_reservation_price_and_spread_match_hand_computation():
    # r = 100 - 2 * 0.1 * 2**2 * 1 = 99.2; spread = 0.4 + 20 * ln(16/15) = 0.4 + 1.2907704.
    r, spread = avellaneda_stoikov(100.0, 2.0, gamma=0.1, kappa=1.5, sigma=2.0, tau=1.0)
    assert r == pytest.approx(99.2, abs=1e-12)
    assert spread == pytest.approx(1.6907704227514, abs=1e-12)
    assert 20 * np.log(16 / 15) == pytest.approx(1.2907704227514, abs=1e-12)


def test_quote_prices_round_away_from_the_reservation_price():
    strategy = MarketMakingStrategy(
        {**SETTINGS, "gamma": 0.1, "kappa": 1.5, "volatility": 2.0, "horizon_seconds": 1.0}
    )
    wide = _quote(97.00, 103.00)
    # Flat: r = 100, half = 0.8453852 -> 99.1546148 down to 99.15, 100.8453852 up to 100.85.
    assert strategy.quote_prices(_instrument(), wide, 0.0, 2.0) == (99.15, 100.85)
    # Long 20 shares = q 2: r = 99.2 -> 98.3546148 down to 98.35, 100.0453852 up to 100.05.
    assert strategy.quote_prices(_instrument(), wide, 20.0, 2.0) == (98.35, 100.05)


@pytest.mark.parametrize(
    ("inventory", "expected"),
    [(0.0, (99.98, 100.02)), (10.0, (99.97, 100.01)), (-10.0, (99.99, 100.03))],
)
def test_inventory_skews_both_quotes_against_the_position(inventory, expected):
    strategy = MarketMakingStrategy(SETTINGS)
    assert strategy.quote_prices(_instrument(), _quote(99.90, 100.10), inventory, 0.1) == expected


def test_a_quote_that_would_cross_is_pulled_back_to_the_touch():
    strategy = MarketMakingStrategy(SETTINGS)
    # Short 80 (q = -8): r = 100.08, the bid 100.06505 -> 100.06 would cross the 100.02 ask,
    # so it joins the 99.98 best bid; the ask 100.09495 -> 100.10 stays.
    assert strategy.quote_prices(_instrument(), _quote(99.98, 100.02), -80.0, 0.1) == (
        99.98,
        100.10,
    )
    # Long 80 mirrors it: the ask would cross the bid and joins the 100.02 best ask.
    assert strategy.quote_prices(_instrument(), _quote(99.98, 100.02), 80.0, 0.1) == (
        99.90,
        100.02,
    )


def test_min_spread_widens_a_tight_model_spread():
    # kappa 1e6: spread = 0.01 + 2 * ln(1 + 1e-6) = 0.010002 -> 99.99 / 100.01 (2 ticks).
    strategy = MarketMakingStrategy({**SETTINGS, "kappa": 1e6})
    assert strategy.quote_prices(_instrument(), _quote(99.90, 100.10), 0.0, 0.1) == (99.99, 100.01)
    wider = MarketMakingStrategy({**SETTINGS, "kappa": 1e6, "min_spread_ticks": 6})
    assert wider.quote_prices(_instrument(), _quote(99.90, 100.10), 0.0, 0.1) == (99.97, 100.03)


def test_docstring_examples_run():
    result = doctest.testmod(market_making_module)
    assert result.attempted >= 1 and result.failed == 0


# ---- configuration -------------------------------------------------------------------------


def test_config_refuses_a_quote_larger_than_the_inventory_limit_and_unknown_keys():
    with pytest.raises(ConfigError, match="max_inventory"):
        MarketMakingStrategy({**SETTINGS, "order_quantity": 60, "max_inventory": 50})
    with pytest.raises(ConfigError, match="gama"):
        MarketMakingStrategy({**SETTINGS, "gama": 1.0})
    assert MarketMakingConfig(gamma="0.5").gamma == 0.5


# ---- quoting on the kernel -----------------------------------------------------------------


def test_sends_one_bid_and_one_ask_at_the_formula_prices():
    desk = Desk()
    desk.quote(99.90, 100.10)
    assert desk.open_prices() == ([99.98], [100.02])
    orders = desk.open()
    assert all(o.order_type is OrderType.LIMIT and o.quantity == 10 for o in orders)


def test_a_locked_or_crossed_book_places_nothing():
    desk = Desk()
    desk.quote(100.00, 100.00)
    desk.quote(100.02, 99.98)
    assert desk.open() == []
    desk.quote(99.90, 100.10)
    assert desk.open_prices() == ([99.98], [100.02])


def test_a_fill_skews_the_refreshed_quotes_down_by_a_tick():
    desk = Desk()
    desk.quote(99.90, 100.10)
    desk.quote(99.90, 100.10)  # the quotes arrive at the venue
    desk.sell_into_bid()
    assert desk.position() == 10
    desk.quote(99.90, 100.10)  # the ask's cancel is confirmed; the new ask goes out
    assert desk.open_prices() == ([99.97], [100.01])
    desk.buy_from_ask()  # back to flat: the quotes return to the symmetric ones
    desk.quote(99.90, 100.10)
    assert desk.position() == 0
    assert desk.open_prices() == ([99.98], [100.02])


def test_never_more_than_one_bid_and_one_ask_across_refreshes():
    desk = Desk(max_inventory=30)
    rng = np.random.default_rng(7)
    counts: list[tuple[int, int]] = []
    desk.kernel.bus.subscribe(
        "events.order.*", lambda _: counts.append((len(desk.open(BUY)), len(desk.open(SELL))))
    )
    # A 20-tick wide market our quotes sit inside; prints 12 ticks out go through them. Events
    # come 1-500 ms apart, so many arrive while a quote or a cancel is still in flight (10 ms).
    mid = 10_000
    for _ in range(400):
        if rng.random() < 0.5:
            mid += int(rng.choice((-1, 1)))
            bid, ask = round((mid - 10) / 100, 2), round((mid + 10) / 100, 2)
            desk.quote(bid, ask, at=desk.now + rng.uniform(0.001, 0.5))
        else:
            buyer = bool(rng.random() < 0.5)
            price = round((mid + 12 if buyer else mid - 12) / 100, 2)
            aggressor = AggressorSide.BUYER if buyer else AggressorSide.SELLER
            desk.trade(price, 10.0, aggressor, at=desk.now + rng.uniform(0.001, 0.5))
        counts.append((len(desk.open(BUY)), len(desk.open(SELL))))
    canceled = sum(1 for o in desk.kernel.cache.orders.values() if o.status.value == "CANCELED")
    filled = sum(1 for o in desk.kernel.cache.orders.values() if o.status.value == "FILLED")
    assert canceled > 50 and filled > 20  # it refreshed and traded a lot ...
    assert max(b for b, _ in counts) == 1 and max(a for _, a in counts) == 1  # ... one per side
    assert desk.strategy.pnl_breakdown("AAA")["max_abs_inventory"] <= 30


def test_stale_quote_is_replaced_after_refresh_seconds_even_below_the_threshold():
    desk = Desk(refresh_threshold_ticks=5, refresh_seconds=3.0)
    desk.quote(99.90, 100.10, at=0.0)
    desk.quote(99.91, 100.11, at=1.0)  # targets move 1 tick: below the threshold, kept
    assert desk.open_prices() == ([99.98], [100.02])
    desk.quote(99.91, 100.11, at=3.5)  # 3.5 s old and off target: cancel ...
    desk.quote(99.91, 100.11, at=4.0)  # ... confirmed, replaced
    assert desk.open_prices() == ([99.99], [100.03])


def test_inventory_limit_stops_the_side_that_would_increase_it():
    desk = Desk(max_inventory=20)
    desk.quote(99.90, 100.10)
    desk.quote(99.90, 100.10)
    desk.sell_into_bid()  # long 10; a new bid of 10 fits (10 + 10 <= 20)
    desk.quote(99.90, 100.10)
    desk.sell_into_bid()  # long 20: no room to buy
    for _ in range(3):
        desk.quote(99.90, 100.10)
    assert desk.position() == 20
    assert desk.open(BUY) == [] and len(desk.open(SELL)) == 1
    desk.buy_from_ask()  # long 10 again: the bid comes back
    desk.quote(99.90, 100.10)
    assert desk.position() == 10 and len(desk.open(BUY)) == 1


def test_a_quote_is_cut_to_the_room_left_under_the_limit():
    desk = Desk(max_inventory=20)
    desk.quote(99.90, 100.10)
    desk.quote(99.90, 100.10)
    desk.sell_into_bid()  # long 10; new bid 10 @ 99.97 inside the 99.90 market: front of queue
    desk.quote(99.90, 100.10)
    desk.trade(99.97, 5.0, AggressorSide.SELLER)  # 5 of it fill at its price: long 15
    assert desk.position() == 15
    desk.quote(100.00, 100.20)  # the mid rises 10 ticks: the bid is cancelled ...
    desk.quote(100.00, 100.20)  # ... and replaced by 5, the room left (20 - 15)
    bids = desk.open(BUY)
    assert [(o.price, o.quantity) for o in bids] == [(100.07, 5.0)]


def test_estimates_volatility_as_realized_variance_per_second():
    desk = Desk(volatility=None, volatility_window=4)
    times = [0.0, 1.0, 1.5, 3.5, 4.0, 6.0]
    mids = [100.00, 100.02, 100.01, 100.05, 100.04, 100.00]
    for at, mid in zip(times, mids, strict=True):
        desk.quote(round(mid - 0.10, 2), round(mid + 0.10, 2), at=at)
        if at < 4.0:  # fewer than 4 changes: no estimate, no quotes
            assert desk.strategy.volatility("AAA") is None and desk.open() == []
    # The last 4 changes: (-0.01)^2 over 0.5 s, 0.04^2 over 2 s, (-0.01)^2 over 0.5, (-0.04)^2 / 2.
    dm, dt = np.diff(mids)[-4:], np.diff(times)[-4:]
    expected = math.sqrt(float(np.sum(dm**2) / np.sum(dt)))
    assert expected == pytest.approx(math.sqrt(0.0034 / 5.0))
    assert desk.strategy.volatility("AAA") == pytest.approx(expected, rel=1e-9)
    assert len(desk.open()) == 2


# ---- adverse-selection kill ----------------------------------------------------------------


def _two_adversely_selected_bid_fills(desk: Desk) -> None:
    desk.quote(99.90, 100.10, at=0.0)
    desk.quote(99.90, 100.10, at=1.0)
    desk.sell_into_bid()  # t=2: bought 10 @ 99.98
    desk.quote(99.80, 100.00, at=2.5)  # the mid falls to 99.90; the new bid goes out at 99.87
    desk.quote(99.80, 100.00, at=3.0)  # markout of fill 1: 99.90 - 99.98 = -8 ticks
    desk.sell_into_bid(price=99.80)  # t=4: bought 10 @ 99.87
    desk.quote(99.70, 99.90, at=4.5)


def test_kill_engages_on_adverse_markouts_cancels_flattens_and_cools_down():
    desk = Desk()
    with capture_logs() as logs:
        _two_adversely_selected_bid_fills(desk)
        assert not desk.strategy.is_killed("AAA")
        desk.quote(99.70, 99.90, at=5.0)  # markout of fill 2: 99.80 - 99.87 = -7: average -7.5
    assert desk.strategy.is_killed("AAA") and desk.strategy.kill_count("AAA") == 1
    assert desk.strategy.average_markout("AAA", BUY) == pytest.approx(-7.5)
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert warnings[0]["event"] == "adverse selection: quoting stopped"
    assert warnings[0]["side"] == "BUY" and warnings[0]["average_markout_ticks"] == -7.5
    desk.quote(99.70, 99.90, at=5.5)  # cancels confirmed: flatten the 20 at market
    desk.quote(99.70, 99.90, at=6.0)
    assert desk.position() == 0 and desk.open() == []
    flatten = [o for o in desk.kernel.cache.orders.values() if o.order_type is OrderType.MARKET]
    assert [(o.side, o.quantity, o.avg_px) for o in flatten] == [(SELL, 20.0, 99.70)]
    desk.quote(99.70, 99.90, at=14.9)  # cooldown (10 s from t=5) not over: no quotes
    assert desk.open() == []
    desk.quote(99.70, 99.90, at=15.0)
    assert not desk.strategy.is_killed("AAA")
    assert desk.open_prices() == ([99.78], [99.82])
    assert desk.strategy.average_markout("AAA", BUY) is None  # the window starts afresh


def test_kill_without_cooldown_waits_for_resume_quoting():
    desk = Desk(kill_cooldown_seconds=None, flatten_on_kill=False)
    _two_adversely_selected_bid_fills(desk)
    desk.quote(99.70, 99.90, at=5.0)
    for at in (6.0, 100.0, 1000.0):
        desk.quote(99.70, 99.90, at=at)
        assert desk.strategy.is_killed("AAA") and desk.open() == []
    assert desk.position() == 20  # not flattened
    desk.strategy.resume_quoting("AAA")
    desk.quote(99.70, 99.90, at=1001.0)
    # Long 20 (q = 2): r = 99.80 - 0.02 = 99.78 -> bid 99.76505 -> 99.76, ask 99.79495 -> 99.80.
    assert desk.open_prices() == ([99.76], [99.80])


def test_no_kill_when_fills_are_followed_by_favourable_moves():
    desk = Desk()
    desk.quote(99.90, 100.10, at=0.0)
    desk.quote(99.90, 100.10, at=1.0)
    desk.sell_into_bid()  # t=2: bought 10 @ 99.98
    desk.quote(100.00, 100.20, at=2.5)  # the mid rises to 100.10: the bid moves up to 100.07
    desk.quote(100.00, 100.20, at=3.0)  # markout of fill 1: 100.10 - 99.98 = +12 ticks
    desk.sell_into_bid(price=100.00)  # t=4: bought 10 @ 100.07
    desk.quote(100.10, 100.30, at=4.5)
    desk.quote(100.10, 100.30, at=5.0)  # markout of fill 2: 100.20 - 100.07 = +13 ticks
    assert desk.position() == 20
    assert desk.strategy.average_markout("AAA", BUY) == pytest.approx(12.5)
    assert desk.strategy.average_markout("AAA", SELL) is None
    assert not desk.strategy.is_killed("AAA") and len(desk.open()) == 2
