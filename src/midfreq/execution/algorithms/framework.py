"""The execution algorithm interface: `ExecAlgorithm` (the hooks an algorithm implements),
`AlgoParams` (the settings every algorithm shares), the `SubmitAlgoOrder` command a strategy
sends, and the bus names the `ExecAlgorithmEngine` answers on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import field_validator

from midfreq.core.clock import TimeEvent
from midfreq.infra.config import ConfigModel
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.events import OrderFilled
from midfreq.model.orders import Order

if TYPE_CHECKING:
    from midfreq.execution.algorithms.engine import AlgoRun

SUBMIT_ENDPOINT = "ExecAlgorithm.submit"
"""Takes a `SubmitAlgoOrder`: start an algorithm for its parent order."""
CANCEL_ENDPOINT = "ExecAlgorithm.cancel"
"""Takes a `CancelOrder` naming a parent: stop scheduling and cancel the working children."""
CANCEL_ALL_ENDPOINT = "ExecAlgorithm.cancel_all"
"""Takes a `CancelAllOrders`: cancel every running parent matching its filters."""


def algo_events_topic(strategy_id: str) -> str:
    """Topic on which a strategy's parent-order events are published."""
    return f"events.algo.{strategy_id}"


class ChildRejectPolicy(StrEnum):
    """What an algorithm does when the risk gate denies, or the venue rejects, a child."""

    RETRY = "RETRY"
    """Give the quantity back to the schedule: the next slice or market event sends it again."""
    STOP = "STOP"
    """Cancel the parent (its working children are cancelled)."""


class AlgoParams(ConfigModel):
    """Settings shared by every algorithm (``exec_params`` keys).

    Parameters
    ----------
    on_child_rejected : ChildRejectPolicy, default RETRY
        ``RETRY`` or ``STOP`` (case-insensitive): what a denied or rejected child does.
    """

    on_child_rejected: ChildRejectPolicy = ChildRejectPolicy.RETRY

    @field_validator("on_child_rejected", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitAlgoOrder:
    """Work ``parent`` with the algorithm ``exec_algorithm`` and its ``exec_params``."""

    parent: Order
    exec_algorithm: str
    exec_params: Mapping[str, Any] = field(default_factory=dict)


class ExecAlgorithm:
    """Base of every execution algorithm: override the hooks it needs.

    An algorithm instance works one parent order. It never builds orders itself: it asks its
    `AlgoRun` to ``send_child(quantity)`` (lot-rounded, capped so that filled plus working
    quantity never exceeds the parent), to ``set_alert(ts_ns)`` and to ``finish()`` (no more
    children; the parent closes when the working ones have).
    """

    name: ClassVar[str] = "base"
    params_class: ClassVar[type[AlgoParams]] = AlgoParams
    needs_limit_price: ClassVar[bool] = False
    """Whether the parent must be a LIMIT order (its price is every child's price)."""
    wants_market_data: ClassVar[bool] = False
    """Whether `on_bar`, `on_trade` and `on_quote` are called for the parent's instrument."""

    def __init__(self, params: AlgoParams) -> None:
        self.params = params

    def on_start(self, run: AlgoRun) -> None:
        """Run when the parent is accepted (send the first child, set alerts)."""

    def on_time(self, run: AlgoRun, event: TimeEvent) -> None:
        """Run when an alert set with ``run.set_alert`` fires."""

    def on_bar(self, run: AlgoRun, bar: Bar) -> None:
        """Run on each bar of the parent's instrument (when ``wants_market_data``)."""

    def on_trade(self, run: AlgoRun, trade: TradeTick) -> None:
        """Run on each trade of the parent's instrument (when ``wants_market_data``)."""

    def on_quote(self, run: AlgoRun, quote: QuoteTick) -> None:
        """Run on each quote of the parent's instrument (when ``wants_market_data``)."""

    def on_child_filled(self, run: AlgoRun, child: Order, fill: OrderFilled) -> None:
        """Run after a child's fill was added to the parent."""

    def on_child_rejected(self, run: AlgoRun, child: Order) -> None:
        """Run when a child was denied or rejected and the policy is ``RETRY``."""
