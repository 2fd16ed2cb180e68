"""The ExecutionEngine: the only component that talks to venue clients. It sends approved orders
and cancels to the right client, and turns client reports into order events for the OMS.

Endpoints: ``ExecutionEngine.submit`` (an approved `Order`) and ``ExecutionEngine.cancel``.
"""

from __future__ import annotations

from typing import Protocol

from midfreq.core.bus import MessageBus
from midfreq.core.clock import Clock
from midfreq.core.errors import ConfigError
from midfreq.model.commands import CancelOrder
from midfreq.model.events import (
    OrderEvent,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
    order_event,
)
from midfreq.model.identifiers import Venue
from midfreq.model.orders import Order


class ExecutionClient(Protocol):
    """A venue or broker adapter (simulated or real)."""

    venue: Venue

    def connect(self, report: ReportHandler) -> None:
        """Start sending order events to ``report``."""
        ...

    def submit_order(self, order: Order) -> None:
        """Send a new order."""
        ...

    def cancel_order(self, command: CancelOrder) -> None:
        """Ask the venue to cancel an order."""
        ...


class ReportHandler(Protocol):
    """Receives order events from a client."""

    def __call__(self, event: OrderEvent) -> None: ...


class ExecutionEngine:
    """Dispatch commands to venue clients by the instrument's venue."""

    def __init__(self, bus: MessageBus, clock: Clock) -> None:
        self._bus = bus
        self._clock = clock
        self._clients: dict[Venue, ExecutionClient] = {}
        self.submitted_count = 0
        self.report_count = 0
        bus.register("ExecutionEngine.submit", self.submit)
        bus.register("ExecutionEngine.cancel", self.cancel)

    def register_client(self, client: ExecutionClient) -> None:
        """Route orders for ``client.venue`` to ``client``."""
        if client.venue in self._clients:
            raise ConfigError("execution.venues", str(client.venue), "each venue once")
        self._clients[client.venue] = client
        client.connect(self.process_report)

    @property
    def clients(self) -> dict[Venue, ExecutionClient]:
        """Registered clients by venue."""
        return dict(self._clients)

    def submit(self, order: Order) -> None:
        """Mark ``order`` submitted, then hand it to its venue's client."""
        now = self._clock.timestamp_ns()
        venue = order.instrument_id.rpartition(".")[2]  # a str key finds the Venue key
        client = self._clients.get(venue)  # type: ignore[call-overload]
        if client is None:
            self.process_report(
                order_event(
                    OrderRejected, order, now, reason=f"no execution client for venue {venue}"
                )
            )
            return
        self.submitted_count += 1
        self.process_report(order_event(OrderSubmitted, order, now))
        client.submit_order(order)

    def cancel(self, command: CancelOrder) -> None:
        """Mark the order pending cancel, then ask its venue to cancel it."""
        client = self._clients.get(command.instrument_id.venue)
        if client is None:
            return
        now = self._clock.timestamp_ns()
        self.process_report(order_event(OrderPendingCancel, command, now))
        client.cancel_order(command)

    def process_report(self, event: OrderEvent) -> None:
        """Pass a client's order event to the OMS."""
        self.report_count += 1
        self._bus.send("OrderManager.process", event)
