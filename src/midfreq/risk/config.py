"""Configuration of the risk layer."""

from __future__ import annotations

from pydantic import Field

from midfreq.infra.config import ConfigModel
from midfreq.model.enums import TradingState


class RiskGateConfig(ConfigModel):
    """Pre-trade limits. A limit left unset is not checked.

    Attributes
    ----------
    max_order_quantity : float
        Largest quantity of one order.
    max_notional_per_order : float
        Largest ``quantity * price * multiplier`` of one order (limit price, else last price).
    max_position : float
        Largest absolute net position per instrument, counting open orders on the same side.
    max_position_notional : float
        Largest absolute net position value per instrument at the order's price.
    max_gross_exposure : float
        Largest sum of absolute position values across instruments after the order.
    """

    max_order_quantity: float | None = Field(default=None, gt=0)
    max_notional_per_order: float | None = Field(default=None, gt=0)
    max_position: float | None = Field(default=None, gt=0)
    max_position_notional: float | None = Field(default=None, gt=0)
    max_gross_exposure: float | None = Field(default=None, gt=0)
    trading_state: TradingState = TradingState.ACTIVE


class RiskManagerConfig(ConfigModel):
    """Post-trade controls.

    Attributes
    ----------
    max_drawdown : float
        Fall from peak equity (fraction) at which the manager acts.
    drawdown_action : TradingState
        State to move to when ``max_drawdown`` is breached (REDUCING or HALTED).
    """

    max_drawdown: float | None = Field(default=None, gt=0, lt=1)
    drawdown_action: TradingState = TradingState.HALTED
