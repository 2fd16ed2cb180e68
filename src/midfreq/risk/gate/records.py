"""What the gate records and accepts besides orders: its decision for every submit, modify and
cancel, the modify command it checks, kill-switch reports and strategy enable/disable notices."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from midfreq.model.enums import DenialCode
from midfreq.model.identifiers import ClientOrderId, InstrumentId, StrategyId

DECISIONS_TOPIC = "events.risk.decisions"
KILL_SWITCH_TOPIC = "events.risk.kill_switch"
STRATEGY_TRADING_TOPIC = "events.risk.strategy_trading"
RESTRICTIONS_TOPIC = "events.risk.restrictions"


class GateAction(StrEnum):
    """What a decision was about."""

    SUBMIT = "SUBMIT"
    MODIFY = "MODIFY"
    CANCEL = "CANCEL"


class GateDecision(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One decision of the gate: approved, or denied with the code and the failing figures."""

    ts_event: int
    action: GateAction
    client_order_id: ClientOrderId
    strategy_id: StrategyId
    instrument_id: InstrumentId
    approved: bool
    code: DenialCode | None = None
    reason: str = ""


class ModifyOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Change a working order's quantity and/or prices (None keeps the current value).

    It belongs with the other commands in `midfreq.model.commands`; it lives here until the OMS
    and the venue clients carry modifies (the gate checks them and forwards approved ones to the
    ``OrderManager.modify`` endpoint when one is registered).
    """

    client_order_id: ClientOrderId
    instrument_id: InstrumentId
    strategy_id: StrategyId
    quantity: float | None = None
    price: float | None = None
    trigger_price: float | None = None
    ts_init: int


class ActivateKillSwitch(msgspec.Struct, frozen=True, kw_only=True):
    """Cancel every working order and halt trading."""

    reason: str
    actor: str = "operator"


class KillSwitchOrder(msgspec.Struct, frozen=True, kw_only=True):
    """One working order the kill switch cancelled, and who was responsible for it."""

    client_order_id: ClientOrderId
    strategy_id: StrategyId
    account_id: str
    instrument_id: InstrumentId
    venue: str


class KillSwitchActivated(msgspec.Struct, frozen=True, kw_only=True):
    """The kill switch fired: trading halted and these orders were sent cancels."""

    ts_event: int
    actor: str
    reason: str
    orders: tuple[KillSwitchOrder, ...]


class StrategyTradingChanged(msgspec.Struct, frozen=True, kw_only=True):
    """A strategy was disabled (by the execution throttle) or enabled again."""

    ts_event: int
    strategy_id: StrategyId
    enabled: bool
    reason: str
