"""Transaction cost analysis: from recorded orders and fills plus the market data of the period,
each parent order's arrival price, implementation shortfall (delay, impact, fees, opportunity
cost), slippage against the interval VWAP, spread capture, fill and participation rates, then
the same figures per strategy and per venue.

A *parent* is the decision being executed. Until execution algorithms exist every order is its
own parent; orders sharing a ``parent_order_id`` (a column of the orders frame, or the
``parent_order_ids`` mapping) are analysed together as the children of one parent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from midfreq.data.bars import BarArrays

TCA_COLUMNS = [
    "parent_order_id",
    "strategy_id",
    "instrument_id",
    "venue",
    "side",
    "orders",
    "target_qty",
    "filled_qty",
    "fill_rate",
    "decision_ts",
    "start_ts",
    "end_ts",
    "arrival_price",
    "start_price",
    "avg_fill_price",
    "end_price",
    "interval_vwap",
    "market_volume",
    "participation_rate",
    "maker_fraction",
    "delay_cost",
    "impact_cost",
    "fees",
    "opportunity_cost",
    "implementation_shortfall",
    "shortfall_bps",
    "vwap_slippage_bps",
    "spread_capture",
]
SUMMARY_COLUMNS = [
    "parents",
    "target_qty",
    "filled_qty",
    "fill_rate",
    "arrival_notional",
    "delay_cost",
    "impact_cost",
    "fees",
    "opportunity_cost",
    "implementation_shortfall",
    "shortfall_bps",
    "vwap_slippage_bps",
    "participation_rate",
    "spread_capture",
]
# Per-parent numerators and denominators the aggregations add up.
_PARTS = [
    "_arrival_notional",
    "_vwap_num",
    "_vwap_den",
    "_volume",
    "_volume_filled",
    "_capture_num",
    "_capture_den",
]


@dataclass(frozen=True, slots=True)
class TcaReport:
    """Costs per parent order (`TCA_COLUMNS`), per strategy and per venue (`SUMMARY_COLUMNS`).

    Costs are in the instrument's currency (price x quantity x multiplier) and positive when they
    hurt: buying above (selling below) the reference. ``*_bps`` figures are basis points of the
    reference; ``spread_capture`` is 1 for fills at the near touch (buying at the bid), 0 at the
    mid and -1 at the far touch.
    """

    orders: pd.DataFrame
    by_strategy: pd.DataFrame
    by_venue: pd.DataFrame

    def summary(self) -> dict[str, Any]:
        """The per-strategy and per-venue figures, JSON-safe (NaN as None)."""
        return {
            "parents": len(self.orders),
            "by_strategy": _records(self.by_strategy),
            "by_venue": _records(self.by_venue),
        }


def bars_frame(streams: Iterable[BarArrays]) -> pd.DataFrame:
    """Bars as the frame `analyze_costs` reads (instrument_id, ts_event, high, low, close,
    volume)."""
    frames = [
        pd.DataFrame(
            {
                "instrument_id": str(s.instrument_id),
                "ts_event": s.ts,
                "high": s.high,
                "low": s.low,
                "close": s.close,
                "volume": s.volume,
            }
        )
        for s in streams
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def analyze_costs(
    orders: pd.DataFrame,
    fills: pd.DataFrame,
    *,
    bars: pd.DataFrame | None = None,
    quotes: pd.DataFrame | None = None,
    parent_order_ids: Mapping[str, str] | None = None,
    decision_times: Mapping[str, int] | None = None,
    multipliers: Mapping[str, float] | None = None,
    instrument_aliases: Mapping[str, str] | None = None,
) -> TcaReport:
    """Analyse the costs of ``orders`` (recorder.ORDER_COLUMNS) filled by ``fills``
    (recorder.FILL_COLUMNS).

    Definitions, per parent, with ``s`` = +1 for buys and -1 for sells:

    - market price at time t: the mid of the latest quote at or before t, else the close of the
      latest bar at or before t.
    - decision time: ``decision_times[parent]`` if given, else the first child's creation;
      arrival price = market price then. Start of execution: the first child's creation.
    - delay = s x filled x (start price - arrival price);
      impact = s x sum(fill qty x (fill price - start price)), i.e. everything the market moved
      while executing as well as our own impact; fees = sum of commissions (rebates negative);
      opportunity = s x (target - filled) x (end price - arrival price), the end being when the
      last child closed. Implementation shortfall = delay + impact + fees + opportunity, and in
      bps of target x arrival price.
    - interval VWAP: bars closing after the start and at or before the end, each weighted by its
      volume at its ``vwap`` column if the bars have one, else its typical price
      (high + low + close) / 3; VWAP slippage = s x (average fill price - VWAP) / VWAP in bps.
      Participation = filled / the same bars' volume. NaN when no bar closed in the interval
      (an order filled on the bar it was sent in).
    - spread capture (quotes only): sum(q x s x (mid - price)) / sum(q x half spread) over fills,
      against the latest quote at or before each fill.

    Denied orders never reached a market and are left out.

    Parameters
    ----------
    orders, fills : DataFrame
        The backtest's recorded frames; an orders column ``parent_order_id`` groups children.
    bars : DataFrame, optional
        instrument_id, ts_event (bar close), high, low, close, volume (and optionally vwap).
    quotes : DataFrame, optional
        instrument_id, ts_event, bid_price, ask_price.
    parent_order_ids : mapping, optional
        client_order_id -> parent id (overrides the column).
    decision_times : mapping, optional
        parent id -> decision time in UTC nanoseconds.
    multipliers : mapping, optional
        instrument_id -> contract multiplier (default 1).
    instrument_aliases : mapping, optional
        Per-venue listing -> the instrument it is a listing of (smart order routing: a
        parent's children on ``AAPL.V1`` and ``AAPL.V2`` are one parent in ``AAPL.SIM``,
        priced against its market data). A parent whose children went to several venues is
        counted under the venue ``ROUTED`` in the per-venue figures.

    Returns
    -------
    TcaReport

    Raises
    ------
    ValueError
        If the children of one parent differ in side, instrument or strategy.
    """
    live = orders[orders["status"] != "DENIED"]
    parents = live["client_order_id"].astype(str)
    if "parent_order_id" in live.columns:
        parents = live["parent_order_id"].where(live["parent_order_id"].notna(), parents)
    if parent_order_ids:
        mapped = live["client_order_id"].astype(str).map(parent_order_ids)
        parents = mapped.where(mapped.notna(), parents)
    instruments = live["instrument_id"].astype(str)
    venues = instruments.str.rsplit(".", n=1).str[-1]
    if instrument_aliases:
        aliased = instruments.map(instrument_aliases)
        instruments = aliased.where(aliased.notna(), instruments)
    frame = pd.DataFrame(
        {
            "parent_order_id": parents.astype(str).to_numpy(),
            "client_order_id": live["client_order_id"].astype(str).to_numpy(),
            "strategy_id": live["strategy_id"].astype(str).to_numpy(),
            "instrument_id": instruments.to_numpy(),
            "venue": venues.to_numpy(),
            "side": live["side"].astype(str).to_numpy(),
            "quantity": live["quantity"].to_numpy(dtype=float),
            "ts_init": live["ts_init"].to_numpy(dtype=np.int64),
            "ts_last": live["ts_last"].to_numpy(dtype=np.int64),
        }
    )
    grouped = frame.groupby("parent_order_id", sort=False)
    mixed = grouped[["side", "instrument_id", "strategy_id"]].nunique().max(axis=1) > 1
    if mixed.any():
        raise ValueError(
            "parent orders: expected one side, instrument and strategy per parent, "
            f"was several for {list(mixed[mixed].index)[:5]}"
        )
    per = grouped.agg(
        strategy_id=("strategy_id", "first"),
        instrument_id=("instrument_id", "first"),
        side=("side", "first"),
        orders=("client_order_id", "size"),
        target_qty=("quantity", "sum"),
        start_ts=("ts_init", "min"),
        end_ts=("ts_last", "max"),
        venue=("venue", "first"),
        venues=("venue", "nunique"),
    ).reset_index()
    per["venue"] = per["venue"].where(per.pop("venues") == 1, "ROUTED")
    per["decision_ts"] = per["start_ts"]
    if decision_times:
        given = per["parent_order_id"].map(decision_times)
        per["decision_ts"] = given.where(given.notna(), per["start_ts"]).astype(np.int64)
    sign = np.where(per["side"].to_numpy() == "BUY", 1.0, -1.0)
    multiplier = per["instrument_id"].map(lambda i: (multipliers or {}).get(i, 1.0)).to_numpy()

    prices = _price_tape(bars, quotes)
    iids = per["instrument_id"].to_numpy()
    arrival = _lookup(prices, iids, per["decision_ts"].to_numpy())
    start = _lookup(prices, iids, per["start_ts"].to_numpy())
    end = _lookup(prices, iids, per["end_ts"].to_numpy())

    # Fills, each with its parent and (with quotes) the prevailing quote.
    by_order = dict(zip(frame["client_order_id"], frame["parent_order_id"], strict=True))
    f = fills[fills["client_order_id"].astype(str).isin(by_order.keys())]
    fill_parent = f["client_order_id"].astype(str).map(by_order).to_numpy()
    qty = f["quantity"].to_numpy(dtype=float)
    px = f["price"].to_numpy(dtype=float)
    fill_sign = np.where(f["side"].astype(str).to_numpy() == "BUY", 1.0, -1.0)
    mids, half = _quote_at(quotes, f["instrument_id"].astype(str).to_numpy(), f["ts_event"])
    has_quote = np.isfinite(mids) & (half > 0)
    fill_parts = pd.DataFrame(
        {
            "parent_order_id": fill_parent,
            "filled_qty": qty,
            "value": qty * px,
            "fees": f["commission"].to_numpy(dtype=float),
            "maker_qty": np.where(f["liquidity_side"].astype(str).to_numpy() == "MAKER", qty, 0),
            "_capture_num": np.where(has_quote, qty * fill_sign * (mids - px), 0.0),
            "_capture_den": np.where(has_quote, qty * half, 0.0),
        }
    )
    sums = fill_parts.groupby("parent_order_id", sort=False).sum()
    sums = sums.reindex(per["parent_order_id"]).fillna(0.0)
    filled = sums["filled_qty"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        average = np.where(filled > 0, sums["value"].to_numpy() / filled, np.nan)
        vwap, volume = _interval_vwap(bars, iids, per["start_ts"].to_numpy(), per["end_ts"])
        per["target_qty"] = per["target_qty"].astype(float)
        per["filled_qty"] = filled
        per["fill_rate"] = filled / per["target_qty"].to_numpy()
        per["arrival_price"] = arrival
        per["start_price"] = start
        per["avg_fill_price"] = average
        per["end_price"] = end
        per["interval_vwap"] = vwap
        per["market_volume"] = volume
        per["participation_rate"] = np.where(volume > 0, filled / volume, np.nan)
        per["maker_fraction"] = np.where(filled > 0, sums["maker_qty"].to_numpy() / filled, np.nan)
        executed = np.where(filled > 0, sign * (sums["value"].to_numpy() - filled * start), 0.0)
        per["delay_cost"] = sign * filled * (start - arrival) * multiplier
        per["impact_cost"] = executed * multiplier
        per["fees"] = sums["fees"].to_numpy()
        unfilled = per["target_qty"].to_numpy() - filled
        per["opportunity_cost"] = np.where(
            unfilled > 0, sign * unfilled * (end - arrival) * multiplier, 0.0
        )
        per["implementation_shortfall"] = (
            per["delay_cost"] + per["impact_cost"] + per["fees"] + per["opportunity_cost"]
        )
        per["_arrival_notional"] = per["target_qty"].to_numpy() * arrival * multiplier
        per["shortfall_bps"] = per["implementation_shortfall"] / per["_arrival_notional"] * 10_000.0
        per["vwap_slippage_bps"] = sign * (average - vwap) / vwap * 10_000.0
        valid_vwap = (filled > 0) & np.isfinite(vwap)
        per["_vwap_num"] = np.where(valid_vwap, sign * filled * (average - vwap) * multiplier, 0.0)
        per["_vwap_den"] = np.where(valid_vwap, filled * vwap * multiplier, 0.0)
        valid_volume = volume > 0
        per["_volume"] = np.where(valid_volume, volume, 0.0)
        per["_volume_filled"] = np.where(valid_volume, filled, 0.0)
        per["_capture_num"] = sums["_capture_num"].to_numpy()
        per["_capture_den"] = sums["_capture_den"].to_numpy()
        per["spread_capture"] = per["_capture_num"] / per["_capture_den"]
    return TcaReport(
        orders=per[TCA_COLUMNS].reset_index(drop=True),
        by_strategy=_aggregate(per, "strategy_id"),
        by_venue=_aggregate(per, "venue"),
    )


def _aggregate(per: pd.DataFrame, key: str) -> pd.DataFrame:
    sums = per.groupby(key, sort=True)[
        [
            "target_qty",
            "filled_qty",
            "delay_cost",
            "impact_cost",
            "fees",
            "opportunity_cost",
            "implementation_shortfall",
            *_PARTS,
        ]
    ].sum()
    out = pd.DataFrame(index=sums.index)
    out["parents"] = per.groupby(key, sort=True).size()
    for column in ("target_qty", "filled_qty"):
        out[column] = sums[column]
    out["fill_rate"] = sums["filled_qty"] / sums["target_qty"]
    out["arrival_notional"] = sums["_arrival_notional"]
    for column in ("delay_cost", "impact_cost", "fees", "opportunity_cost"):
        out[column] = sums[column]
    out["implementation_shortfall"] = sums["implementation_shortfall"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["shortfall_bps"] = sums["implementation_shortfall"] / sums["_arrival_notional"] * 1e4
        out["vwap_slippage_bps"] = sums["_vwap_num"] / sums["_vwap_den"] * 10_000.0
        out["participation_rate"] = sums["_volume_filled"] / sums["_volume"]
        out["spread_capture"] = sums["_capture_num"] / sums["_capture_den"]
    return out[SUMMARY_COLUMNS].reset_index()


# ---- market data lookups ----------------------------------------------------------------------
_Tape = dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]


def _price_tape(bars: pd.DataFrame | None, quotes: pd.DataFrame | None) -> _Tape:
    """Per instrument: times and market prices (bar closes and quote mids, a quote winning a
    tie), in time order."""
    parts = []
    if bars is not None and len(bars):
        parts.append(
            pd.DataFrame(
                {
                    "instrument_id": bars["instrument_id"].astype(str),
                    "ts": bars["ts_event"].astype(np.int64),
                    "price": bars["close"].astype(float),
                    "rank": 0,
                }
            )
        )
    if quotes is not None and len(quotes):
        parts.append(
            pd.DataFrame(
                {
                    "instrument_id": quotes["instrument_id"].astype(str),
                    "ts": quotes["ts_event"].astype(np.int64),
                    "price": (quotes["bid_price"] + quotes["ask_price"]) / 2.0,
                    "rank": 1,
                }
            )
        )
    if not parts:
        return {}
    data = pd.concat(parts, ignore_index=True).sort_values(["ts", "rank"], kind="stable")
    return {
        str(iid): (g["ts"].to_numpy(np.int64), g["price"].to_numpy(float))
        for iid, g in data.groupby("instrument_id", sort=False)
    }


def _lookup(tape: _Tape, iids: npt.NDArray[Any], ts: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """The tape's latest value at or before each time (NaN before the first)."""
    out = np.full(len(iids), np.nan)
    ts = np.asarray(ts, dtype=np.int64)
    for iid in np.unique(iids):
        series = tape.get(str(iid))
        if series is None:
            continue
        mask = iids == iid
        index = np.searchsorted(series[0], ts[mask], side="right") - 1
        out[mask] = np.where(index >= 0, series[1][np.maximum(index, 0)], np.nan)
    return out


def _quote_at(
    quotes: pd.DataFrame | None, iids: npt.NDArray[Any], ts: Any
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mid and half spread of the latest quote at or before each time."""
    if quotes is None or not len(quotes) or not len(iids):
        nan = np.full(len(iids), np.nan)
        return nan, nan
    iid = quotes["instrument_id"].astype(str)
    bid = quotes["bid_price"].astype(float)
    ask = quotes["ask_price"].astype(float)
    frame = pd.DataFrame({"instrument_id": iid, "ts_event": quotes["ts_event"]})
    mid = _lookup(_tape(frame, (bid + ask) / 2.0), iids, np.asarray(ts))
    half = _lookup(_tape(frame, (ask - bid) / 2.0), iids, np.asarray(ts))
    return mid, half


def _tape(frame: pd.DataFrame, values: pd.Series) -> _Tape:
    data = frame.assign(value=values.to_numpy()).sort_values("ts_event", kind="stable")
    return {
        str(i): (g["ts_event"].to_numpy(np.int64), g["value"].to_numpy(float))
        for i, g in data.groupby("instrument_id", sort=False)
    }


def _interval_vwap(
    bars: pd.DataFrame | None, iids: npt.NDArray[Any], start: Any, end: Any
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Volume-weighted price and volume of the bars closing in (start, end]."""
    vwap = np.full(len(iids), np.nan)
    volume = np.full(len(iids), np.nan)
    if bars is None or not len(bars):
        return vwap, volume
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    if "vwap" in bars.columns:
        typical = bars["vwap"].astype(float)
    else:
        typical = (bars["high"] + bars["low"] + bars["close"]) / 3.0
    data = pd.DataFrame(
        {
            "instrument_id": bars["instrument_id"].astype(str),
            "ts": bars["ts_event"].astype(np.int64),
            "volume": bars["volume"].astype(float),
            "pv": (typical * bars["volume"]).astype(float),
        }
    ).sort_values("ts", kind="stable")
    for iid, g in data.groupby("instrument_id", sort=False):
        mask = iids == iid
        if not mask.any():
            continue
        ts = g["ts"].to_numpy(np.int64)
        cum_volume = np.concatenate([[0.0], np.cumsum(g["volume"].to_numpy())])
        cum_pv = np.concatenate([[0.0], np.cumsum(g["pv"].to_numpy())])
        first = np.searchsorted(ts, start[mask], side="right")
        last = np.searchsorted(ts, end[mask], side="right")
        v = cum_volume[last] - cum_volume[first]
        volume[mask] = np.where(last > first, v, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            vwap[mask] = np.where(v > 0, (cum_pv[last] - cum_pv[first]) / v, np.nan)
    return vwap, volume


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): v for k, v in row.items()} for row in rows]
