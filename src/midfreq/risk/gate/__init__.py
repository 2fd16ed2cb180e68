"""The RiskGate: the last hop before any venue. Every order, including algorithm children and
router slices, is checked here; a refusal is an `OrderDenied` event with a `DenialCode`.

Checks share one signature, ``check(order, context) -> Denial | None``, and run in the order
of `CHECK_ORDER`; the trading state (ACTIVE, REDUCING, HALTED) is enforced first. Every
submit, modify and cancel leaves a `GateDecision`. See docs/risk.md, "Pre-trade checks".
"""

from midfreq.risk.gate.build import CHECK_ORDER, checks_from_config
from midfreq.risk.gate.context import Denial, PortfolioReader, PreTradeCheck, RiskContext
from midfreq.risk.gate.flow import (
    DuplicateOrder,
    ExecutionThrottle,
    OrderRateLimit,
    RestrictedList,
    SelfMatch,
    ShortSale,
)
from midfreq.risk.gate.limits import (
    BuyingPower,
    InstrumentKnown,
    MaxGrossExposure,
    MaxNetExposure,
    MaxNotionalPerOrder,
    MaxOpenOrders,
    MaxOpenOrdersPerInstrument,
    MaxOrderQuantity,
    MaxPosition,
    MaxPositionNotional,
    PrecisionValid,
)
from midfreq.risk.gate.market import CorrelationSource, MarketHistory, RollingCorrelation
from midfreq.risk.gate.market_checks import (
    MaxCorrelation,
    MaxVolumeShare,
    PriceCollar,
    book_correlation,
)
from midfreq.risk.gate.records import (
    DECISIONS_TOPIC,
    KILL_SWITCH_TOPIC,
    RESTRICTIONS_TOPIC,
    STRATEGY_TRADING_TOPIC,
    ActivateKillSwitch,
    GateAction,
    GateDecision,
    KillSwitchActivated,
    KillSwitchOrder,
    ModifyOrder,
    StrategyTradingChanged,
)
from midfreq.risk.gate.restrictions import (
    RestrictionAction,
    RestrictionBook,
    RestrictionChanged,
    RestrictionUpdate,
)
from midfreq.risk.gate.risk_gate import MODIFY_ENDPOINT, TRADING_STATE_TOPIC, RiskGate
from midfreq.risk.gate.working import WorkingOrders

__all__ = [
    "CHECK_ORDER",
    "DECISIONS_TOPIC",
    "KILL_SWITCH_TOPIC",
    "MODIFY_ENDPOINT",
    "RESTRICTIONS_TOPIC",
    "STRATEGY_TRADING_TOPIC",
    "TRADING_STATE_TOPIC",
    "ActivateKillSwitch",
    "BuyingPower",
    "CorrelationSource",
    "Denial",
    "DuplicateOrder",
    "ExecutionThrottle",
    "GateAction",
    "GateDecision",
    "InstrumentKnown",
    "KillSwitchActivated",
    "KillSwitchOrder",
    "MarketHistory",
    "MaxCorrelation",
    "MaxGrossExposure",
    "MaxNetExposure",
    "MaxNotionalPerOrder",
    "MaxOpenOrders",
    "MaxOpenOrdersPerInstrument",
    "MaxOrderQuantity",
    "MaxPosition",
    "MaxPositionNotional",
    "MaxVolumeShare",
    "ModifyOrder",
    "OrderRateLimit",
    "PortfolioReader",
    "PreTradeCheck",
    "PrecisionValid",
    "PriceCollar",
    "RestrictedList",
    "RestrictionAction",
    "RestrictionBook",
    "RestrictionChanged",
    "RestrictionUpdate",
    "RiskContext",
    "RiskGate",
    "RollingCorrelation",
    "SelfMatch",
    "ShortSale",
    "StrategyTradingChanged",
    "WorkingOrders",
    "book_correlation",
    "checks_from_config",
]
