"""Iceberg: a LIMIT parent shown ``display_quantity`` at a time. One child of at most the
display quantity works at the parent's price; when it is completely filled the next one is sent
(the refill), until the parent is filled or cancelled. A refused child is sent again on the next
market data of the instrument (``RETRY``) or stops the parent (``STOP``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from midfreq.execution.algorithms.framework import AlgoParams, ExecAlgorithm
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.events import OrderFilled
from midfreq.model.orders import Order

if TYPE_CHECKING:
    from midfreq.execution.algorithms.engine import AlgoRun


class IcebergParams(AlgoParams):
    """Iceberg settings (``exec_params``).

    Parameters
    ----------
    display_quantity : float
        The most shown at once (rounded down to the lot; at least one lot).
    """

    display_quantity: float = Field(gt=0.0)


class IcebergAlgorithm(ExecAlgorithm):
    """Show a slice, refill it when it fills (see the module)."""

    name: ClassVar[str] = "iceberg"
    params_class: ClassVar[type[AlgoParams]] = IcebergParams
    needs_limit_price: ClassVar[bool] = True
    wants_market_data: ClassVar[bool] = True
    params: IcebergParams

    def on_start(self, run: AlgoRun) -> None:
        self.refill(run)

    def refill(self, run: AlgoRun) -> None:
        """Show the next slice if nothing is working."""
        if not run.working:
            run.send_child(max(self.params.display_quantity, run.instrument.lot_size))

    def on_child_filled(self, run: AlgoRun, child: Order, fill: OrderFilled) -> None:
        if child.is_closed:
            self.refill(run)

    def on_bar(self, run: AlgoRun, bar: Bar) -> None:
        self.refill(run)

    def on_trade(self, run: AlgoRun, trade: TradeTick) -> None:
        self.refill(run)

    def on_quote(self, run: AlgoRun, quote: QuoteTick) -> None:
        self.refill(run)
