"""The SmartOrderRouter against three real SimulatedVenues (per-venue listings AAPL.V1..V3 in a
shared cache): splits, child addressing, fills and fees, re-routing after a reject and after a
timeout, down venues, cancels, denials, metrics, the spec facade and the seed config keys."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from pydantic import ValidationError

from midfreq.cache import Cache
from midfreq.core.clock import SimulatedClock
from midfreq.execution.router import (
    ParentStatus,
    SmartOrderRouter,
    SmartOrderRouterConfig,
    per_venue_instrument_id,
)
from midfreq.execution.routing import RoutingPolicy
from midfreq.model.commands import CancelOrder
from midfreq.model.data import QuoteTick
from midfreq.model.enums import DenialCode, OrderSide, OrderType
from midfreq.model.events import (
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderInitialized,
    OrderRejected,
    order_event,
)
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId, Venue
from midfreq.model.instruments import equity
from midfreq.model.orders import Order
from midfreq.simulation.models import PerShareFee
from midfreq.simulation.venue import SimulatedVenue

T0 = 1_704_205_800_000_000_000
SECOND = 1_000_000_000
VENUES = ("V1", "V2", "V3")
# Taker fees per share, the same in the router's config and the simulated venues.
FEES = {"V1": 0.003, "V2": 0.0, "V3": 0.001}


class Harness:
    """Three simulated venues sharing one cache and clock; the router's children go to the
    venue their instrument id names and every venue event comes back to the router."""

    def __init__(self, *, listed_in_cache: tuple[str, ...] = VENUES, **config: Any) -> None:
        self.clock = SimulatedClock(T0)
        self.cache = Cache()
        for venue in listed_in_cache:
            self.cache.add_instrument(equity("AAPL", venue))
        settings: dict[str, Any] = {
            "venues": list(VENUES),
            "policy": "FEE_ADJUSTED",
            "fees": {v: {"taker_per_unit": f} for v, f in FEES.items()},
        }
        settings.update(config)
        self.config = SmartOrderRouterConfig.model_validate(settings)
        self.events: list[OrderEvent] = []
        self.sent: list[Order] = []
        self.cancels: list[CancelOrder] = []
        self.venues: dict[str, SimulatedVenue] = {}
        for name in VENUES:
            venue = SimulatedVenue(
                Venue(name), self.cache, self.clock, fee_model=PerShareFee(FEES[name])
            )
            venue.connect(self.report)
            self.venues[name] = venue
        self.router = SmartOrderRouter(
            self.config,
            self.clock,
            [equity("AAPL", v) for v in VENUES],
            self.send,
            self.cancel,
        )

    def report(self, event: OrderEvent) -> None:
        self.events.append(event)
        self.router.on_order_event(event)

    def send(self, order: Order) -> None:
        self.sent.append(order)
        self.cache.add_order(order)  # the venue answers a late cancel from the cache
        self.venues[order.instrument_id.venue].submit_order(order)

    def cancel(self, command: CancelOrder) -> None:
        self.cancels.append(command)
        self.venues[command.instrument_id.venue].cancel_order(command)

    def quote(self, venue: str, bid: float, ask: float, size: float = 1000.0) -> None:
        quote = QuoteTick(
            InstrumentId(f"AAPL.{venue}"),
            bid,
            ask,
            size,
            size,
            self.clock.timestamp_ns(),
            self.clock.timestamp_ns(),
        )
        self.cache.add_quote(quote)
        self.router.on_quote(quote)

    def process(self, rounds: int = 3) -> None:
        """Let orders reach the venues; re-routed children need another round."""
        for _ in range(rounds):
            for venue in self.venues.values():
                venue.process(self.clock.timestamp_ns())

    def advance(self, seconds: float) -> None:
        self.clock.set_time(self.clock.timestamp_ns() + int(seconds * SECOND))


def child_summary(h: Harness) -> list[tuple[str, float]]:
    return [(str(o.instrument_id), o.quantity) for o in h.sent]


@pytest.fixture
def h() -> Harness:
    """Asks V1 300 @ 100.00 (fee 0.3 c), V2 500 @ 100.01 (no fee), V3 1000 @ 100.02 (fee
    0.1 c): after fees V1 100.003 < V2 100.010 < V3 100.021."""
    harness = Harness()
    harness.quote("V1", 99.98, 100.00, 300.0)
    harness.quote("V2", 99.97, 100.01, 500.0)
    harness.quote("V3", 99.99, 100.02, 1000.0)
    return harness


def test_market_buy_is_split_by_fee_adjusted_price_and_filled(h: Harness) -> None:
    parent_id = h.router.submit_order(symbol="AAPL", side="buy", quantity=1000, order_type="market")
    # V1 300 (100.003 after fees), V2 500 (100.01), V3 the last 200 (100.021).
    assert child_summary(h) == [("AAPL.V1", 300.0), ("AAPL.V2", 500.0), ("AAPL.V3", 200.0)]
    h.process()
    parent = h.router.order(parent_id)
    assert parent is not None and parent.status is ParentStatus.FILLED
    assert parent.filled_qty == 1000.0
    expected_value = 300 * 100.00 + 500 * 100.01 + 200 * 100.02
    assert parent.avg_px == pytest.approx(expected_value / 1000.0)
    assert parent.commission == pytest.approx(300 * 0.003 + 0 + 200 * 0.001)
    metrics = h.router.get_performance_metrics()
    assert metrics["fill_rate"] == 1.0 and metrics["filled_orders"] == 1
    # Arrival: the consolidated ask, 100.00.
    expected_bps = (expected_value / 1000.0 - 100.00) / 100.00 * 10_000
    assert metrics["average_slippage_bps"] == pytest.approx(expected_bps)
    assert metrics["venue_performance"]["V2"]["filled_quantity"] == 500.0
    assert metrics["venue_performance"]["V1"]["commission"] == pytest.approx(0.9)


def test_children_name_their_parent_and_venue(h: Harness) -> None:
    parent_id = h.router.submit_order("AAPL", OrderSide.SELL, 200, OrderType.MARKET)
    # Sell: V3 bids 99.99 - 0.001 = 99.989, the best after fees.
    (child,) = h.router.children(parent_id)
    assert child.instrument_id == InstrumentId("AAPL.V3")
    assert child.parent_order_id == parent_id
    assert child.tags == ("sor", "venue=V3")
    assert child.side is OrderSide.SELL and child.order_type is OrderType.MARKET
    assert per_venue_instrument_id("AAPL", Venue("V3")) == child.instrument_id


def test_reject_reroutes_the_remainder_to_the_next_best_venue() -> None:
    # V1 does not list AAPL in its (simulated) reference data, so it rejects every child.
    h = Harness(listed_in_cache=("V2", "V3"))
    h.quote("V1", 99.98, 100.00, 300.0)
    h.quote("V2", 99.97, 100.01, 500.0)
    h.quote("V3", 99.99, 100.02, 1000.0)
    parent_id = h.router.submit_order("AAPL", "buy", 400)
    assert child_summary(h) == [("AAPL.V1", 300.0), ("AAPL.V2", 100.0)]
    h.process()
    # V1's 300 are re-routed without V1: V2 has 400 left at 100.01 after the first fill.
    assert child_summary(h)[2:] == [("AAPL.V2", 300.0)]
    parent = h.router.order(parent_id)
    assert parent is not None and parent.status is ParentStatus.FILLED
    assert parent.reroutes == 1 and parent.failed_venues == {Venue("V1")}
    venue_stats = h.router.get_performance_metrics()["venue_performance"]
    assert venue_stats["V1"]["rejected"] == 1 and venue_stats["V1"]["filled_quantity"] == 0.0
    assert venue_stats["V2"]["filled_quantity"] == 400.0


def test_timeout_cancels_and_reroutes_to_the_next_best_venue() -> None:
    h = Harness(child_timeout_seconds=2.0)
    h.quote("V1", 99.98, 100.00, 300.0)
    h.quote("V2", 99.97, 100.01, 500.0)
    h.quote("V3", 99.99, 100.02, 1000.0)
    # A bid below every ask: nothing is displayed within the limit, all rests on the venue
    # ranked best after fees (V1).
    parent_id = h.router.submit_order("AAPL", "buy", 100, "limit", price=99.50)
    h.process()
    assert child_summary(h) == [("AAPL.V1", 100.0)]
    h.advance(1.0)
    assert h.router.on_timer() == 0
    h.advance(1.0)
    assert h.router.on_timer() == 1
    assert [str(c.instrument_id) for c in h.cancels] == ["AAPL.V1"]
    h.process()
    assert child_summary(h) == [("AAPL.V1", 100.0), ("AAPL.V2", 100.0)]
    parent = h.router.order(parent_id)
    assert parent is not None and parent.status is ParentStatus.WORKING and parent.reroutes == 1
    assert h.router.get_performance_metrics()["venue_performance"]["V1"]["timeouts"] == 1
    # The market comes down to the re-routed child's venue and fills it there.
    h.advance(0.5)
    h.quote("V2", 99.40, 99.50, 500.0)
    h.venues["V2"].on_quote(h.cache.quotes[InstrumentId("AAPL.V2")])
    assert parent.status is ParentStatus.FILLED and parent.avg_px == 99.50


def test_venue_marked_down_gets_nothing(h: Harness) -> None:
    h.router.mark_venue_down("V1")
    h.router.submit_order("AAPL", "buy", 600)
    assert child_summary(h) == [("AAPL.V2", 500.0), ("AAPL.V3", 100.0)]
    h.router.mark_venue_up("V1")
    h.router.submit_order("AAPL", "buy", 100)
    assert child_summary(h)[-1] == ("AAPL.V1", 100.0)


def test_exhausted_when_every_venue_failed() -> None:
    h = Harness(listed_in_cache=())
    for venue in VENUES:
        h.quote(venue, 99.0, 100.0)
    parent_id = h.router.submit_order("AAPL", "buy", 100)
    h.process(rounds=4)
    parent = h.router.order(parent_id)
    assert parent is not None and parent.status is ParentStatus.EXHAUSTED
    # Same prices everywhere: tried in fee order (V2 none, V3 0.1 c, V1 0.3 c), each rejects.
    assert [str(o.instrument_id) for o in h.sent] == ["AAPL.V2", "AAPL.V3", "AAPL.V1"]
    assert "no eligible venue left" in parent.reason


def test_no_eligible_venue_rejects_the_parent(h: Harness) -> None:
    for venue in VENUES:
        h.router.mark_venue_down(venue)
    parent_id = h.router.submit_order("AAPL", "buy", 100)
    parent = h.router.order(parent_id)
    assert parent is not None and parent.status is ParentStatus.REJECTED and not h.sent
    assert h.router.get_performance_metrics()["fill_rate"] == 0.0


def test_stale_prices_are_not_routed_on() -> None:
    h = Harness(stale_after_seconds=5.0)
    h.quote("V1", 99.98, 100.00)
    h.advance(10)
    h.quote("V2", 99.97, 100.01)
    h.router.submit_order("AAPL", "buy", 100)
    assert child_summary(h) == [("AAPL.V2", 100.0)]


def test_cancel_order_cancels_open_children(h: Harness) -> None:
    parent_id = h.router.submit_order("AAPL", "sell", 300, "limit", price=101.0)
    h.process()
    assert h.router.cancel_order(parent_id) is True
    assert h.router.cancel_order(parent_id) is False  # already being cancelled
    assert [str(c.client_order_id) for c in h.cancels] == [str(o.client_order_id) for o in h.sent]
    h.process()
    parent = h.router.order(parent_id)
    assert parent is not None and parent.status is ParentStatus.CANCELED
    assert len(h.sent) == 1  # a cancelled parent is not re-routed
    assert h.router.cancel_order(parent_id) is False
    assert h.router.cancel_order("nope") is False


def test_denied_child_stops_routing() -> None:
    clock = SimulatedClock(T0)
    config = SmartOrderRouterConfig(venues=["V1", "V2"], policy=RoutingPolicy.BEST_PRICE)
    sent: list[Order] = []
    router: SmartOrderRouter

    def deny(order: Order) -> None:
        sent.append(order)
        router.on_order_event(
            order_event(
                OrderDenied, order, T0, code=DenialCode.POSITION_EXCEEDS_MAX, reason="too big"
            )
        )

    router = SmartOrderRouter(config, clock, [equity("AAPL", "V1"), equity("AAPL", "V2")], deny)
    for venue in ("V1", "V2"):
        router.on_quote(QuoteTick(InstrumentId(f"AAPL.{venue}"), 9.0, 10.0, 50.0, 50.0, T0, T0))
    parent_id = router.submit_order("AAPL", "buy", 100)
    parent = router.order(parent_id)
    assert parent is not None and parent.status is ParentStatus.EXHAUSTED
    assert parent.reroutes == 0 and parent.reason.startswith("denied: POSITION_EXCEEDS_MAX")
    # Both children of the first split were sent (each denied); nothing was re-routed.
    assert [str(o.instrument_id) for o in sent] == ["AAPL.V1", "AAPL.V2"]


def test_synchronous_partial_fill_and_cancel_reroutes_only_the_rest() -> None:
    """A venue that answers inside ``send_child``: fills 30 of 100, cancels the rest."""
    clock = SimulatedClock(T0)
    config = SmartOrderRouterConfig(venues=["V1", "V2"], policy=RoutingPolicy.BEST_PRICE)
    sent: list[Order] = []
    router: SmartOrderRouter

    def venue(order: Order) -> None:
        sent.append(order)
        if order.instrument_id.venue == "V1":
            router.on_order_event(
                order_event(
                    OrderFilled,
                    order,
                    T0,
                    venue_order_id="X",
                    trade_id="T",
                    side=order.side,
                    last_qty=30.0,
                    last_px=10.0,
                    commission=0.0,
                )
            )
            router.on_order_event(order_event(OrderCanceled, order, T0))
        else:
            router.on_order_event(
                order_event(
                    OrderFilled,
                    order,
                    T0,
                    venue_order_id="Y",
                    trade_id="U",
                    side=order.side,
                    last_qty=order.quantity,
                    last_px=10.01,
                    commission=0.0,
                )
            )

    router = SmartOrderRouter(config, clock, [equity("AAPL", "V1"), equity("AAPL", "V2")], venue)
    router.on_quote(QuoteTick(InstrumentId("AAPL.V1"), 9.0, 10.00, 100.0, 100.0, T0, T0))
    router.on_quote(QuoteTick(InstrumentId("AAPL.V2"), 9.0, 10.01, 100.0, 100.0, T0, T0))
    parent_id = router.submit_order("AAPL", "buy", 100)
    assert [(str(o.instrument_id), o.quantity) for o in sent] == [
        ("AAPL.V1", 100.0),
        ("AAPL.V2", 70.0),
    ]
    parent = router.order(parent_id)
    assert parent is not None and parent.status is ParentStatus.FILLED
    assert parent.avg_px == pytest.approx((30 * 10.0 + 70 * 10.01) / 100)


def test_events_of_other_orders_are_ignored(h: Harness) -> None:
    order = h.router.children(h.router.submit_order("AAPL", "buy", 100))[0]
    foreign = msgspec.structs.replace(
        order_event(OrderRejected, order, T0, reason="x"), client_order_id=ClientOrderId("OTHER")
    )
    assert h.router.on_order_event(foreign) is False
    assert h.router.order(order.parent_order_id).status is ParentStatus.WORKING  # type: ignore[arg-type,union-attr]


# ---- spec facade and configuration ------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"symbol": "MSFT", "side": "buy", "quantity": 1}, "symbol: expected one of AAPL"),
        ({"symbol": "AAPL", "side": "hold", "quantity": 1}, "side: expected one of buy, sell"),
        (
            {"symbol": "AAPL", "side": "buy", "quantity": 1, "order_type": "stop_market"},
            "MARKET or LIMIT",
        ),
        ({"symbol": "AAPL", "side": "buy", "quantity": 1, "order_type": "limit"}, "price"),
        ({"symbol": "AAPL", "side": "buy", "quantity": 1, "price": 10.0}, "price"),
        ({"symbol": "AAPL", "side": "buy", "quantity": 1.5}, "whole number of lots"),
    ],
)
def test_submit_order_validates_its_arguments(
    h: Harness, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        h.router.submit_order(**kwargs)
    assert not h.sent


def test_route_an_existing_parent_order(h: Harness) -> None:
    parent = Order(
        OrderInitialized(
            client_order_id=ClientOrderId("P-1"),
            strategy_id=StrategyId("mr-1"),
            instrument_id=InstrumentId("AAPL.SIM"),
            side=OrderSide.BUY,
            order_type=OrderType.MARKET,
            quantity=100.0,
            ts_event=T0,
            ts_init=T0,
        )
    )
    routed = h.router.route(parent)
    assert routed.strategy_id == "mr-1" and h.sent[0].parent_order_id == "P-1"
    assert h.sent[0].strategy_id == "mr-1"
    with pytest.raises(ValueError, match="already routed"):
        h.router.route(parent)


def test_seed_config_keys_keep_working() -> None:
    seed = {
        "venues": ["simulation"],
        "transaction_cost": 0.001,
        "slippage": 0.0005,
        "venue_weights": {"simulation": 1.0},
    }
    config = SmartOrderRouterConfig.model_validate(seed)
    assert config.venue_fees("simulation").taker_rate == 0.001
    assert config.policy is RoutingPolicy.FEE_ADJUSTED
    router = SmartOrderRouter(
        config, SimulatedClock(T0), [equity("AAPL", "simulation")], lambda o: None
    )
    assert router.describe()["expected_slippage"] == 0.0005


@pytest.mark.parametrize(
    "bad",
    [
        {"venues": ["A"], "venue_weights": {"B": 1.0}},
        {"venues": ["A"], "venue_weights": {"A": -1.0}},
        {"venues": ["A", "A"]},
        {"venues": []},
        {"venues": ["A"], "fees": {"B": {"taker_rate": 0.001}}},
        {"venues": ["A"], "routing": "fast"},
    ],
)
def test_bad_config_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SmartOrderRouterConfig.model_validate(bad)


def test_listings_must_agree_on_lot_size() -> None:
    from midfreq.core.errors import ConfigError

    config = SmartOrderRouterConfig(venues=["V1", "V2"])
    with pytest.raises(ConfigError, match="lot_size"):
        SmartOrderRouter(
            config,
            SimulatedClock(T0),
            [equity("AAPL", "V1"), equity("AAPL", "V2", lot_size=100.0)],
            lambda o: None,
        )
