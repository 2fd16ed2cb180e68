"""Transaction cost analysis against a small hand-computed ledger: implementation shortfall and
its parts, VWAP slippage, participation, spread capture, fill rate, per strategy and per venue,
and parent grouping with a decision time (delay cost)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from midfreq.backtest.recorder import FILL_COLUMNS, ORDER_COLUMNS
from midfreq.execution.tca import SUMMARY_COLUMNS, TCA_COLUMNS, analyze_costs


def order(cid, strategy, iid, side, quantity, ts_init, ts_last, status, filled):
    return {
        "client_order_id": cid,
        "strategy_id": strategy,
        "instrument_id": iid,
        "side": side,
        "order_type": "MARKET",
        "quantity": float(quantity),
        "price": math.nan,
        "trigger_price": math.nan,
        "time_in_force": "GTC",
        "status": status,
        "filled_qty": float(filled),
        "avg_px": math.nan,
        "ts_init": ts_init,
        "ts_last": ts_last,
        "denial": None,
    }


def fill(ts, cid, strategy, iid, side, quantity, price, commission, liquidity="TAKER"):
    return dict(
        zip(
            FILL_COLUMNS,
            [
                ts,
                cid,
                strategy,
                iid,
                f"T-{cid}-{ts}",
                side,
                float(quantity),
                price,
                commission,
                liquidity,
            ],
            strict=True,
        )
    )


BARS = pd.DataFrame(
    {
        "instrument_id": ["AAA.SIM"] * 4 + ["BBB.OTHER"] * 2,
        "ts_event": [1, 2, 3, 4, 1, 2],
        "high": [10.2, 10.4, 10.6, 10.7, 20.1, 20.2],
        "low": [9.8, 10.0, 10.2, 10.5, 19.9, 19.9],
        "close": [10.0, 10.3, 10.5, 10.6, 20.0, 20.1],
        "volume": [1_000.0, 2_000.0, 1_000.0, 1_000.0, 800.0, 500.0],
        "vwap": [10.0, 10.2, 10.4, 10.6, 20.0, 20.02],
    }
)
QUOTES = pd.DataFrame(
    {"instrument_id": ["BBB.OTHER"], "ts_event": [2], "bid_price": [20.00], "ask_price": [20.06]}
)


@pytest.fixture
def ledger() -> tuple[pd.DataFrame, pd.DataFrame]:
    orders = pd.DataFrame(
        [
            order("A", "s1", "AAA.SIM", "BUY", 300, 1, 3, "FILLED", 300),
            order("B", "s1", "AAA.SIM", "SELL", 200, 2, 4, "CANCELED", 50),
            order("C", "s1", "AAA.SIM", "BUY", 900, 2, 2, "DENIED", 0),
            order("D", "s2", "BBB.OTHER", "BUY", 100, 1, 2, "FILLED", 100),
        ],
        columns=ORDER_COLUMNS,
    )
    fills = pd.DataFrame(
        [
            fill(2, "A", "s1", "AAA.SIM", "BUY", 100, 10.25, 0.30),
            fill(3, "A", "s1", "AAA.SIM", "BUY", 200, 10.45, -0.40, "MAKER"),
            fill(3, "B", "s1", "AAA.SIM", "SELL", 50, 10.40, 0.15),
            fill(2, "D", "s2", "BBB.OTHER", "BUY", 100, 20.05, 0.50),
        ],
        columns=FILL_COLUMNS,
    )
    return orders, fills


def test_per_order_costs(ledger) -> None:
    report = analyze_costs(*ledger, bars=BARS, quotes=QUOTES)
    assert list(report.orders.columns) == TCA_COLUMNS
    rows = report.orders.set_index("parent_order_id")
    assert list(rows.index) == ["A", "B", "D"]  # the denied order never reached a market

    a = rows.loc["A"]
    # Arrival: the close at creation (t1) = 10.00. Fills 100 @ 10.25 and 200 @ 10.45.
    assert a.arrival_price == 10.0
    assert a.avg_fill_price == pytest.approx(3_115 / 300)
    assert a.delay_cost == 0.0
    assert a.impact_cost == pytest.approx(115.0)  # 3,115 - 300 x 10
    assert a.fees == pytest.approx(-0.10)  # 0.30 taker, 0.40 maker rebate
    assert a.opportunity_cost == 0.0
    assert a.implementation_shortfall == pytest.approx(114.90)
    assert a.shortfall_bps == pytest.approx(114.90 / 3_000 * 1e4)
    # Bars closing in (1, 3]: VWAP (10.2 x 2,000 + 10.4 x 1,000) / 3,000 = 10.2667.
    assert a.interval_vwap == pytest.approx(30_800 / 3_000)
    assert a.vwap_slippage_bps == pytest.approx(
        (3_115 / 300 - 30_800 / 3_000) / (30_800 / 3_000) * 1e4
    )
    assert a.market_volume == 3_000
    assert a.participation_rate == pytest.approx(0.1)
    assert a.maker_fraction == pytest.approx(2 / 3)
    assert a.fill_rate == 1.0
    assert math.isnan(a.spread_capture)  # no quotes for AAA

    b = rows.loc["B"]
    # Sell 200 at arrival 10.30 (close at t2); 50 sold at 10.40; the rest cancelled at t4 (10.60).
    assert b.impact_cost == pytest.approx(-5.0)  # sold 0.10 above arrival: a gain
    assert b.opportunity_cost == pytest.approx(-45.0)  # -(150 x (10.60 - 10.30)): not selling paid
    assert b.implementation_shortfall == pytest.approx(-5.0 + 0.15 - 45.0)
    assert b.fill_rate == 0.25
    # Bars in (2, 4]: VWAP 10.5; sold 0.10 below it: +95.2 bps of cost.
    assert b.interval_vwap == pytest.approx(10.5)
    assert b.vwap_slippage_bps == pytest.approx(0.10 / 10.5 * 1e4)
    assert b.participation_rate == pytest.approx(50 / 2_000)

    d = rows.loc["D"]
    assert d.venue == "OTHER"
    assert d.arrival_price == 20.0
    assert d.implementation_shortfall == pytest.approx(5.0 + 0.5)
    assert d.vwap_slippage_bps == pytest.approx(0.03 / 20.02 * 1e4)
    # Quote 20.00 / 20.06 at the fill: mid 20.03, half spread 0.03; bought 0.02 above the mid.
    assert d.spread_capture == pytest.approx(-0.02 / 0.03)


def test_per_strategy_and_per_venue(ledger) -> None:
    report = analyze_costs(*ledger, bars=BARS, quotes=QUOTES)
    assert list(report.by_strategy.columns) == ["strategy_id", *SUMMARY_COLUMNS]
    s1 = report.by_strategy.set_index("strategy_id").loc["s1"]
    assert s1.parents == 2
    assert s1.fill_rate == pytest.approx(350 / 500)
    assert s1.arrival_notional == pytest.approx(3_000 + 2_060)
    assert s1.implementation_shortfall == pytest.approx(114.90 - 49.85)
    assert s1.shortfall_bps == pytest.approx(65.05 / 5_060 * 1e4)
    # Notional-weighted: (300 x 0.11667 + 50 x 0.10) / (300 x 10.2667 + 50 x 10.5) = 40 / 3,605
    assert s1.vwap_slippage_bps == pytest.approx(40 / 3_605 * 1e4)
    assert s1.participation_rate == pytest.approx(350 / 5_000)
    venues = report.by_venue.set_index("venue")
    assert venues.loc["SIM"].implementation_shortfall == pytest.approx(65.05)
    assert venues.loc["OTHER"].implementation_shortfall == pytest.approx(5.5)
    summary = report.summary()
    assert summary["parents"] == 3
    assert summary["by_strategy"][0]["spread_capture"] is None  # JSON-safe NaN


def test_children_of_one_parent_with_a_decision_time() -> None:
    orders = pd.DataFrame(
        [
            order("C1", "s1", "AAA.SIM", "BUY", 100, 2, 3, "FILLED", 100),
            order("C2", "s1", "AAA.SIM", "BUY", 100, 3, 4, "FILLED", 100),
        ],
        columns=ORDER_COLUMNS,
    ).assign(parent_order_id="P")
    fills = pd.DataFrame(
        [
            fill(3, "C1", "s1", "AAA.SIM", "BUY", 100, 10.45, 0.0),
            fill(4, "C2", "s1", "AAA.SIM", "BUY", 100, 10.65, 0.0),
        ],
        columns=FILL_COLUMNS,
    )
    report = analyze_costs(orders, fills, bars=BARS, decision_times={"P": 1})
    (row,) = report.orders.itertuples()
    assert (row.parent_order_id, row.orders, row.target_qty) == ("P", 2, 200.0)
    # Decided at t1 (10.00), started at t2 (10.30): delay 200 x 0.30; then 2,110 - 200 x 10.30.
    assert row.arrival_price == 10.0
    assert row.start_price == 10.3
    assert row.delay_cost == pytest.approx(60.0)
    assert row.impact_cost == pytest.approx(50.0)
    assert row.implementation_shortfall == pytest.approx(110.0)


def test_children_must_agree_on_side() -> None:
    orders = pd.DataFrame(
        [
            order("C1", "s1", "AAA.SIM", "BUY", 100, 2, 3, "FILLED", 0),
            order("C2", "s1", "AAA.SIM", "SELL", 100, 3, 4, "FILLED", 0),
        ],
        columns=ORDER_COLUMNS,
    )
    fills = pd.DataFrame(columns=FILL_COLUMNS)
    with pytest.raises(ValueError, match="one side, instrument and strategy per parent"):
        analyze_costs(orders, fills, parent_order_ids={"C1": "P", "C2": "P"})
