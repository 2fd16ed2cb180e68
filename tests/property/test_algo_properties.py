"""Execution algorithm invariants on random markets: children never commit more than the
parent, the parent's fills are exactly its children's, an iceberg never shows more than its
display quantity, POV never runs ahead of its participation, cancelling the parent leaves no
child working."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.core.clock import NANOS_PER_MINUTE, SimulatedClock
from midfreq.model.data import Bar
from midfreq.model.enums import OrderSide, OrderType
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

T0 = 1_704_205_800_000_000_000
MIN = NANOS_PER_MINUTE
AAA = InstrumentId("AAA.SIM")

bars_strategy = st.lists(
    st.tuples(
        st.sampled_from([99.0, 100.0, 101.0]),  # low: whether a limit at 100 fills
        st.integers(min_value=0, max_value=3000),  # volume
    ),
    min_size=1,
    max_size=15,
)


@st.composite
def requests(draw: Any) -> dict[str, Any]:
    algo = draw(st.sampled_from(["twap", "vwap", "pov", "iceberg"]))
    lot = draw(st.sampled_from([1.0, 10.0]))
    lots = draw(st.integers(min_value=1, max_value=300))
    limit = algo == "iceberg" or draw(st.booleans())
    if algo in ("twap", "vwap"):
        interval = draw(st.sampled_from([20, 60, 90]))
        params: dict[str, Any] = {
            "horizon_seconds": interval * draw(st.integers(min_value=1, max_value=8)),
            "interval_seconds": interval,
        }
        if algo == "twap":
            params["size_jitter"] = draw(st.sampled_from([0.0, 0.4]))
    elif algo == "pov":
        params = {
            "participation": draw(st.sampled_from([0.05, 0.2, 1.0])),
            "min_child_quantity": draw(st.sampled_from([0.0, 20.0])),
        }
    else:
        params = {"display_quantity": lot * draw(st.integers(min_value=1, max_value=40))}
    params["on_child_rejected"] = draw(st.sampled_from(["retry", "stop"]))
    return {
        "algo": algo,
        "lot": lot,
        "quantity": lot * lots,
        "price": 100.0 if limit else None,
        "params": params,
        "max_order_quantity": draw(st.sampled_from([None, 150])),
        "cancel_at": draw(st.one_of(st.none(), st.integers(min_value=0, max_value=10))),
    }


@settings(max_examples=200, deadline=None)
@given(request=requests(), bars=bars_strategy)
def test_children_never_exceed_the_parent_and_fills_add_up(
    request: dict[str, Any], bars: list[tuple[float, int]]
) -> None:
    config: dict[str, Any] = {
        "data_feed": {"symbols": ["AAA"]},
        "instruments": [{"symbol": "AAA", "lot_size": request["lot"]}],
    }
    if request["max_order_quantity"] is not None:
        config["risk_management"] = {"max_order_quantity": request["max_order_quantity"]}
    clock = SimulatedClock(T0)
    kernel = Kernel(parse_system_config(config), clock)
    trader = BaseStrategy({"strategy_id": "p-001", "symbols": ["AAA"]})
    kernel.add_strategy(trader)
    kernel.start()
    ts = T0 + MIN
    kernel.process_bar(Bar(AAA, 100.0, 100.0, 100.0, 100.0, 1000.0, ts, ts))
    price = request["price"]
    order = trader.make_order(
        "AAA",
        OrderSide.BUY,
        request["quantity"],
        order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
        price=price,
    )
    parent = trader.submit_order(
        order, exec_algorithm=request["algo"], exec_params=request["params"]
    )
    run = kernel.algorithms.run(parent.client_order_id)
    observed = 0.0
    for step, (low, volume) in enumerate([*bars, (99.0, 0), (99.0, 0)]):
        if step == request["cancel_at"]:
            trader.cancel_order(parent)
        ts += MIN
        kernel.process_bar(Bar(AAA, 100.0, 101.0, low, 100.0, float(volume), ts, ts))
        observed += volume
        children = run.children
        committed = sum(c.filled_qty + c.leaves_qty for c in children)
        assert committed <= parent.quantity + 1e-9
        assert all(c.quantity <= parent.quantity for c in children)
        assert parent.filled_qty == round(sum(c.filled_qty for c in children), 9)
        assert all(c.parent_order_id == parent.client_order_id for c in children)
        if request["algo"] == "iceberg":
            assert run.displayed <= request["params"]["display_quantity"]
        if request["algo"] == "pov":
            assert run.committed <= request["params"]["participation"] * observed + 1e-9
    if parent.filled_qty > 0:
        fills = [
            (e.last_qty, e.last_px) for c in run.children for e in c.events if hasattr(e, "last_px")
        ]
        notional = sum(q * p for q, p in fills)
        assert abs(parent.avg_px - notional / parent.filled_qty) < 1e-9
    if request["cancel_at"] is not None and request["cancel_at"] < len(bars) + 1:
        assert parent.is_closed
        assert not any(c.is_open for c in run.children)
    if parent.is_closed:
        assert not run.working
