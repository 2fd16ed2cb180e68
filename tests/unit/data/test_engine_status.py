"""Feed status events reach the cache and the strategies of the instrument."""

from __future__ import annotations

from midfreq.core.clock import SimulatedClock
from midfreq.model.data import FreshData, StaleData
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.kernel import Kernel

AAA = InstrumentId("AAA.SIM")


class Watcher(BaseStrategy):
    def on_start(self) -> None:
        self.statuses: list[object] = []

    def on_data_status(self, status: StaleData | FreshData) -> None:
        assert self.cache is not None
        self.statuses.append((type(status).__name__, self.cache.is_stale(status.instrument_id)))


def test_stale_and_fresh_reach_the_cache_and_the_strategy() -> None:
    config = parse_system_config({"data_feed": {"symbols": ["AAA"]}, "logging": {"file": None}})
    kernel = Kernel(config, SimulatedClock(0))
    watcher = kernel.add_strategy(Watcher({"strategy_id": "w-1", "symbols": ["AAA"]}))
    kernel.start()
    kernel.process(StaleData(instrument_id=AAA, last_ts=5, ts_event=10))
    assert kernel.cache_view.is_stale(AAA)
    kernel.process(FreshData(instrument_id=AAA, ts_event=20))
    assert not kernel.cache_view.is_stale(AAA)
    assert watcher.statuses == [("StaleData", True), ("FreshData", False)]
