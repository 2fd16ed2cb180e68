"""Order, refusal and trading-state events reach the structured log file."""

from __future__ import annotations

import json

from midfreq.core.clock import SimulatedClock
from midfreq.infra.logging import configure_logging
from midfreq.model.data import Bar
from midfreq.model.enums import TradingState
from midfreq.model.identifiers import InstrumentId
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import parse_system_config
from midfreq.system.event_log import EventLogger
from midfreq.system.kernel import Kernel

MINUTE = 60_000_000_000
AAA = InstrumentId("AAA.SIM")


class BuyTwice(BaseStrategy):
    def on_bar(self, bar: Bar) -> None:
        if not self.cache.orders():
            self.buy(bar.instrument_id, 100)
            self.buy(bar.instrument_id, 5000)  # over max_order_quantity: denied


def test_fills_denials_and_state_changes_are_logged(tmp_path) -> None:
    log_file = tmp_path / "events.log"
    configure_logging("INFO", console=False, file_path=log_file)
    config = parse_system_config(
        {
            "data_feed": {"symbols": ["AAA"]},
            "risk_management": {"max_order_quantity": 1000},
            "logging": {"file": None},
        }
    )
    kernel = Kernel(config, SimulatedClock(0))
    EventLogger(kernel.bus)
    kernel.add_strategy(BuyTwice({"strategy_id": "b-1", "symbols": ["AAA"]}))
    kernel.start()
    for i in range(3):
        kernel.process_bar(Bar(AAA, 10.0, 10.1, 9.9, 10.0, 1e6, (i + 1) * MINUTE, (i + 1) * MINUTE))
    kernel.gate.set_trading_state(TradingState.HALTED, "test halt")
    configure_logging("INFO", console=False)  # closes the file handler
    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    by_event = {r["event"]: r for r in records}
    assert by_event["order denied"]["code"] == "QUANTITY_EXCEEDS_MAX_PER_ORDER"
    assert by_event["order denied"]["level"] == "warning"
    assert by_event["order filled"]["quantity"] == 100.0
    assert by_event["order filled"]["price"] == 10.0
    assert by_event["trading state changed"]["state"] == "HALTED"


def test_refused_events_are_logged_as_errors(tmp_path) -> None:
    from midfreq.model.events import OrderAccepted
    from midfreq.model.identifiers import ClientOrderId, StrategyId, VenueOrderId

    log_file = tmp_path / "refused.log"
    configure_logging("INFO", console=False, file_path=log_file)
    config = parse_system_config({"data_feed": {"symbols": ["AAA"]}, "logging": {"file": None}})
    kernel = Kernel(config, SimulatedClock(0))
    EventLogger(kernel.bus)
    kernel.oms.process(
        OrderAccepted(
            client_order_id=ClientOrderId("nope-1"),
            strategy_id=StrategyId("s-1"),
            instrument_id=AAA,
            venue_order_id=VenueOrderId("V-1"),
            ts_event=1,
            ts_init=1,
        )
    )
    configure_logging("INFO", console=False)
    record = json.loads(log_file.read_text().splitlines()[-1])
    assert record["event"] == "order event refused"
    assert record["level"] == "error"
    assert record["event_type"] == "OrderAccepted"
    assert record["client_order_id"] == "nope-1"
