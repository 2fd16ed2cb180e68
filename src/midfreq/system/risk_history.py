"""Seed the RiskManager's mark history from the catalog, so that VaR, volatility and hedge
ratios are available from the first minute of a run or a backtest (``risk_management.
history_days``): one mark per instrument and UTC day, the day's last bar close."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from midfreq.data.catalog import ParquetCatalog
from midfreq.model.identifiers import InstrumentId
from midfreq.risk.manager import RiskManager

_NS_PER_DAY = 86_400 * 10**9


def daily_closes(
    catalog: ParquetCatalog, instrument_ids: Iterable[InstrumentId], start_ns: int, end_ns: int
) -> list[tuple[int, dict[InstrumentId, float]]]:
    """``(day end, {instrument: last close that day})`` for each UTC day with bars in
    ``[start_ns, end_ns)``, oldest first, reading one day's partition at a time."""
    by_day: dict[int, dict[InstrumentId, float]] = {}
    for iid in instrument_ids:
        for frame in catalog.iter_frames("bars", iid, start_ns, end_ns - 1):
            days = frame["ts_event"].to_numpy() // _NS_PER_DAY
            closes = frame["close"].to_numpy()
            # Rows are in time order: the last row of each day holds its close.
            ends = np.flatnonzero(np.diff(days, append=days[-1] + 1))
            for day, close in zip(days[ends].tolist(), closes[ends].tolist(), strict=True):
                by_day.setdefault((day + 1) * _NS_PER_DAY, {})[iid] = close
    return sorted(by_day.items())


def seed_risk_history(
    manager: RiskManager,
    catalog_path: str | Path,
    instrument_ids: Iterable[InstrumentId],
    end_ns: int,
    days: int,
) -> int:
    """Give ``manager`` the daily closes of the ``days`` days before ``end_ns`` from the
    catalog; returns how many marks it now holds (0 when the catalog has none)."""
    if days <= 0 or not Path(catalog_path).exists():
        return 0
    catalog = ParquetCatalog(catalog_path)
    marks = daily_closes(catalog, instrument_ids, end_ns - days * _NS_PER_DAY, end_ns)
    return manager.seed_history(marks) if marks else 0
