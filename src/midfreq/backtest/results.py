"""What a backtest produced: statistics, orders, fills, round trips, the equity curve, the
simulation models used and (once attached) the transaction cost analysis; `write` saves them as
Parquet and CSV."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from midfreq.data.bars import BarArrays
from midfreq.execution.tca import TcaReport, analyze_costs, bars_frame
from midfreq.portfolio.analytics import PerformanceStats, render_table
from midfreq.portfolio.portfolio import ClosedTrade

_TRIP_COLUMNS = ["instrument_id", "strategy_id", "side", "opened_ns", "closed_ns", "pnl", "fees"]


@dataclass(slots=True, kw_only=True)
class BacktestResult:
    """Everything a backtest produced."""

    stats: PerformanceStats
    start_ns: int
    end_ns: int
    strategies: list[str]
    bars_processed: int
    elapsed_seconds: float
    equity_ts: np.ndarray
    equity: np.ndarray
    orders: pd.DataFrame  # one row per order, in creation order (recorder.ORDER_COLUMNS)
    fills: pd.DataFrame  # one row per execution, in time order (recorder.FILL_COLUMNS)
    round_trips: list[ClosedTrade]
    models: dict[str, Any]
    portfolio: dict[str, float | int]
    denials: dict[str, int] = field(default_factory=dict)
    data_quality: dict[str, Any] = field(default_factory=dict)
    """Findings about the input data, e.g. bars outside sessions (`SessionCheck.report`)."""
    tca: TcaReport | None = None
    """Transaction cost analysis (`attach_tca`), written with the results when present."""
    parent_order_ids: dict[str, str] = field(default_factory=dict)
    """Child order id -> parent id for the orders that have a parent (an execution
    algorithm's children); `attach_tca` groups by it unless told otherwise."""

    @property
    def final_equity(self) -> float:
        """Equity at the end."""
        return float(self.portfolio["equity"])

    def table(self) -> str:
        """The statistics as a printable table."""
        return render_table(self.stats)

    def attach_tca(
        self,
        bars: Sequence[BarArrays] | pd.DataFrame | None = None,
        quotes: pd.DataFrame | None = None,
        **options: Any,
    ) -> TcaReport:
        """Analyse this run's execution costs against the market data it ran on and keep the
        report in ``tca`` (so `summary` and `write` include it).

        Parameters
        ----------
        bars : list of BarArrays or DataFrame, optional
            The bars of the run (or a frame as `midfreq.execution.tca.bars_frame` gives).
        quotes : DataFrame, optional
            instrument_id, ts_event, bid_price, ask_price.
        **options
            Passed to `midfreq.execution.tca.analyze_costs` (``parent_order_ids``, default
            the run's `parent_order_ids`; ``decision_times``, ``multipliers``).

        Returns
        -------
        TcaReport
        """
        frame = bars if bars is None or isinstance(bars, pd.DataFrame) else bars_frame(bars)
        if self.parent_order_ids:
            options.setdefault("parent_order_ids", self.parent_order_ids)
        self.tca = analyze_costs(self.orders, self.fills, bars=frame, quotes=quotes, **options)
        return self.tca

    def round_trips_frame(self) -> pd.DataFrame:
        """One row per closed round trip."""
        rows = [
            {
                "instrument_id": str(t.instrument_id),
                "strategy_id": str(t.strategy_id),
                "side": t.side.value,
                "opened_ns": t.opened_ns,
                "closed_ns": t.closed_ns,
                "pnl": t.pnl,
                "fees": t.fees,
            }
            for t in self.round_trips
        ]
        return pd.DataFrame(rows, columns=_TRIP_COLUMNS)

    def equity_frame(self) -> pd.DataFrame:
        """The equity curve."""
        return pd.DataFrame(
            {
                "ts_event": self.equity_ts,
                "timestamp": pd.to_datetime(self.equity_ts, unit="ns", utc=True),
                "equity": self.equity,
            }
        )

    def summary(self) -> dict[str, Any]:
        """Statistics, portfolio figures, models and run facts (JSON-safe)."""
        return {
            "start": pd.Timestamp(self.start_ns, unit="ns", tz="UTC").isoformat(),
            "end": pd.Timestamp(self.end_ns, unit="ns", tz="UTC").isoformat(),
            "strategies": self.strategies,
            "bars_processed": self.bars_processed,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "orders": len(self.orders),
            "fills": len(self.fills),
            "stats": {k: _json_number(v) for k, v in self.stats.to_dict().items()},
            "portfolio": {k: _json_number(v) for k, v in self.portfolio.items()},
            "denials": self.denials,
            "data_quality": self.data_quality,
            "models": self.models,
            **({"tca": self.tca.summary()} if self.tca is not None else {}),
        }

    def write(self, output_dir: str | Path) -> Path:
        """Write orders, trades (fills), round trips and equity as Parquet and CSV, and a
        ``summary.json``; with a TCA report also ``tca_orders``, ``tca_by_strategy`` and
        ``tca_by_venue``; return the folder."""
        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        frames = {
            "orders": self.orders,
            "trades": self.fills,
            "round_trips": self.round_trips_frame(),
            "equity": self.equity_frame(),
        }
        if self.tca is not None:
            frames["tca_orders"] = self.tca.orders
            frames["tca_by_strategy"] = self.tca.by_strategy
            frames["tca_by_venue"] = self.tca.by_venue
        for name, frame in frames.items():
            frame.to_parquet(folder / f"{name}.parquet", index=False)
            frame.to_csv(folder / f"{name}.csv", index=False)
        (folder / "summary.json").write_text(json.dumps(self.summary(), indent=2) + "\n")
        return folder


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
