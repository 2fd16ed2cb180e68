"""`checks_from_config`: the gate's checks in their declared order, each present only when its
part of `RiskGateConfig` is set (the instrument and precision checks always run)."""

from __future__ import annotations

from midfreq.model.identifiers import InstrumentId
from midfreq.risk.config import RiskGateConfig
from midfreq.risk.gate.context import PreTradeCheck
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
from midfreq.risk.gate.market_checks import MaxCorrelation, MaxVolumeShare, PriceCollar

NANOS_PER_SECOND = 1_000_000_000

CHECK_ORDER: tuple[str, ...] = (
    "execution_throttle",
    "duplicate_orders",
    "instrument_known",
    "precision",
    "restricted_list",
    "order_rate",
    "max_order_quantity",
    "max_notional_per_order",
    "price_collar",
    "liquidity",
    "max_open_orders",
    "max_open_orders_per_instrument",
    "max_position",
    "max_position_notional",
    "max_gross_exposure",
    "max_net_exposure",
    "short_sale",
    "buying_power",
    "self_match",
    "correlation",
)
"""The order checks run in (after the trading state and reduce-only rules): cheap refusals of
whole strategies and malformed orders first, then per-order limits, then market references,
then what the account would hold, and the costliest (correlation) last."""


def _ns(seconds: float) -> int:
    return round(seconds * NANOS_PER_SECOND)


def checks_from_config(config: RiskGateConfig) -> list[PreTradeCheck]:
    """Build the ordered check list for ``config`` (see `CHECK_ORDER`)."""
    built: dict[str, PreTradeCheck] = {
        "instrument_known": InstrumentKnown(),
        "precision": PrecisionValid(),
    }
    if config.execution_throttle is not None:
        throttle = config.execution_throttle
        built["execution_throttle"] = ExecutionThrottle(
            throttle.max_fills, _ns(throttle.window_seconds)
        )
    if config.duplicate_orders is not None:
        duplicates = config.duplicate_orders
        window = duplicates.identical_window_seconds
        built["duplicate_orders"] = DuplicateOrder(
            duplicates.client_order_ids, None if window is None else _ns(window)
        )
    if config.restricted_list is not None:
        built["restricted_list"] = RestrictedList()
    if config.order_rate is not None:
        rate = config.order_rate
        built["order_rate"] = OrderRateLimit(
            rate.max_per_strategy, rate.max_per_venue, _ns(rate.window_seconds)
        )
    if config.max_order_quantity is not None:
        built["max_order_quantity"] = MaxOrderQuantity(config.max_order_quantity)
    if config.max_notional_per_order is not None:
        built["max_notional_per_order"] = MaxNotionalPerOrder(config.max_notional_per_order)
    if config.price_collar is not None:
        collar = config.price_collar
        built["price_collar"] = PriceCollar(
            collar.max_deviation,
            _ns(collar.max_age_seconds),
            {InstrumentId(k): v for k, v in collar.by_instrument.items()},
        )
    if config.liquidity is not None:
        liquidity = config.liquidity
        built["liquidity"] = MaxVolumeShare(
            liquidity.max_volume_share, {InstrumentId(k): v for k, v in liquidity.adv.items()}
        )
    if config.max_open_orders is not None:
        built["max_open_orders"] = MaxOpenOrders(config.max_open_orders)
    if config.max_open_orders_per_instrument is not None:
        built["max_open_orders_per_instrument"] = MaxOpenOrdersPerInstrument(
            config.max_open_orders_per_instrument
        )
    if config.max_position is not None:
        built["max_position"] = MaxPosition(config.max_position)
    if config.max_position_notional is not None:
        built["max_position_notional"] = MaxPositionNotional(config.max_position_notional)
    if config.max_gross_exposure is not None:
        built["max_gross_exposure"] = MaxGrossExposure(config.max_gross_exposure)
    if config.max_net_exposure is not None:
        built["max_net_exposure"] = MaxNetExposure(config.max_net_exposure)
    if config.short_sale is not None:
        built["short_sale"] = ShortSale(frozenset(config.short_sale.asset_classes))
    if config.buying_power is not None:
        power = config.buying_power
        built["buying_power"] = BuyingPower(power.limit, power.leverage, dict(power.margin_rates))
    if config.self_match is not None:
        built["self_match"] = SelfMatch(config.self_match.mode)
    if config.correlation is not None:
        built["correlation"] = MaxCorrelation(config.correlation.max_correlation)
    return [built[name] for name in CHECK_ORDER if name in built]
