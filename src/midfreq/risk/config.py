"""Configuration of the risk layer: the pre-trade gate's limits (one small model per check)
and the post-trade manager's."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from midfreq.infra.config import ConfigModel
from midfreq.model.enums import AssetClass, TradingState
from midfreq.model.identifiers import InstrumentId


def _instrument_keys(value: dict[str, float]) -> dict[str, float]:
    for key in value:
        try:
            InstrumentId(key)
        except ValueError:
            raise ValueError(f"instrument ids 'SYMBOL.VENUE' as keys, was {key!r}") from None
    return value


def _instrument_list(value: list[str]) -> list[str]:
    _instrument_keys(dict.fromkeys(value, 0.0))
    return value


class PriceCollarConfig(ConfigModel):
    """Limit and stop prices must lie within a band around the latest reference price (the
    latest quote mid, trade or bar close), and that reference must exist and be fresh.

    Attributes
    ----------
    max_deviation : float
        Half-width of the band as a fraction of the reference (0.05: within +-5%).
    by_instrument : dict[str, float]
        Fat-finger bands per instrument (``SYMBOL.VENUE``), replacing ``max_deviation``.
    max_age_seconds : float
        A reference older than this (or flagged stale by the live feed) is refused.
    """

    max_deviation: float = Field(gt=0, lt=1)
    by_instrument: dict[str, float] = Field(default_factory=dict)
    max_age_seconds: float = Field(default=60.0, gt=0)

    _ids = field_validator("by_instrument")(_instrument_keys)

    @field_validator("by_instrument")
    @classmethod
    def _fractions(cls, value: dict[str, float]) -> dict[str, float]:
        for key, band in value.items():
            if not 0 < band < 1:
                raise ValueError(f"bands between 0 and 1 (exclusive), was {band!r} for {key}")
        return value


class BuyingPowerConfig(ConfigModel):
    """Margin of positions plus margin reserved by working orders plus the order's own may not
    exceed the buying power: ``limit`` when set, else equity times ``leverage``.

    Attributes
    ----------
    limit : float, optional
        Fixed buying power in the account currency.
    leverage : float
        Multiple of equity available when ``limit`` is unset (1: a cash account).
    margin_rates : dict[AssetClass, float]
        Margin as a fraction of notional per asset class (default 1.0: fully paid).
    """

    limit: float | None = Field(default=None, gt=0)
    leverage: float = Field(default=1.0, gt=0)
    margin_rates: dict[AssetClass, float] = Field(default_factory=dict)

    @field_validator("margin_rates")
    @classmethod
    def _rates(cls, value: dict[AssetClass, float]) -> dict[AssetClass, float]:
        for key, rate in value.items():
            if not 0 < rate <= 1:
                raise ValueError(f"rates in (0, 1], was {rate!r} for {key}")
        return value


class OrderRateConfig(ConfigModel):
    """At most so many submits and modifies in any sliding window; cancels are never counted.

    Attributes
    ----------
    max_per_strategy, max_per_venue : int, optional
        Limits per strategy and per venue (at least one).
    window_seconds : float
        Length of the sliding window.
    """

    max_per_strategy: int | None = Field(default=None, gt=0)
    max_per_venue: int | None = Field(default=None, gt=0)
    window_seconds: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _one_limit(self) -> OrderRateConfig:
        if self.max_per_strategy is None and self.max_per_venue is None:
            raise ValueError("max_per_strategy or max_per_venue (or both)")
        return self


class ExecutionThrottleConfig(ConfigModel):
    """A strategy with ``max_fills`` fills within ``window_seconds`` is disabled (its new
    orders denied) until re-enabled by `RiskGate.enable_strategy`."""

    max_fills: int = Field(gt=0)
    window_seconds: float = Field(gt=0)


class DuplicateOrderConfig(ConfigModel):
    """Refuse reused client order ids and, within ``identical_window_seconds``, an order
    identical to one the same strategy sent (same instrument, side, type, quantity, prices and
    time in force). Algorithm children (orders with a parent) are exempt from the second rule:
    slicing legitimately repeats them."""

    client_order_ids: bool = True
    identical_window_seconds: float | None = Field(default=1.0, gt=0)


class RestrictedListConfig(ConfigModel):
    """Instruments (``SYMBOL.VENUE``) in which no order may be sent; updatable at run time."""

    instruments: list[str] = Field(default_factory=list)

    _ids = field_validator("instruments")(_instrument_list)


class ShortSaleConfig(ConfigModel):
    """No short position in these asset classes beyond the located quantity (none without a
    locate); locates are updatable at run time.

    Attributes
    ----------
    asset_classes : list[AssetClass]
        Where the rule applies (default: equities).
    locates : dict[str, float]
        Located (borrowable) quantity per instrument.
    """

    asset_classes: list[AssetClass] = Field(default_factory=lambda: [AssetClass.EQUITY])
    locates: dict[str, float] = Field(default_factory=dict)

    _ids = field_validator("locates")(_instrument_keys)


class SelfMatchMode(StrEnum):
    """What to do with an order that would trade against our own resting order."""

    REFUSE = "REFUSE"
    CANCEL_RESTING = "CANCEL_RESTING"


class SelfMatchConfig(ConfigModel):
    """Self-match prevention: refuse the incoming order, or cancel the resting ones it would
    cross and let it through."""

    mode: SelfMatchMode = SelfMatchMode.REFUSE


class CorrelationConfig(ConfigModel):
    """Refuse an order that opens or adds to a position whose returns correlate with the rest
    of the book by more than ``max_correlation`` (rolling estimate over ``window`` bar returns,
    at least ``min_periods`` shared ones)."""

    max_correlation: float = Field(gt=0, le=1)
    window: int = Field(default=60, ge=3)
    min_periods: int = Field(default=20, ge=3)

    @model_validator(mode="after")
    def _periods(self) -> CorrelationConfig:
        if self.min_periods > self.window:
            raise ValueError(f"min_periods <= window ({self.window}), was {self.min_periods}")
        return self


class LiquidityConfig(ConfigModel):
    """An order's quantity may be at most ``max_volume_share`` of the volume of the last
    ``window_bars`` bars, or of the instrument's average daily volume when ``adv`` gives one."""

    max_volume_share: float = Field(gt=0, le=1)
    window_bars: int = Field(default=20, gt=0)
    adv: dict[str, float] = Field(default_factory=dict)

    _ids = field_validator("adv")(_instrument_keys)


class GateChecksConfig(ConfigModel):
    """The pre-trade checks beyond the basic limits; each is off unless configured.

    Attributes
    ----------
    max_net_exposure : float
        Largest absolute signed exposure (positions and working orders on the order's side).
    max_open_orders : int
        Most working orders at once (all strategies).
    max_open_orders_per_instrument : int
        Most working orders in one instrument.
    price_collar, buying_power, order_rate, execution_throttle, duplicate_orders,
    restricted_list, short_sale, self_match, correlation, liquidity
        One section per check (see each model).
    decision_log_size : int
        How many recent gate decisions `RiskGate.decisions` keeps.
    account_id : str
        The account the kernel trades, named in kill-switch reports.
    """

    max_net_exposure: float | None = Field(default=None, gt=0)
    max_open_orders: int | None = Field(default=None, gt=0)
    max_open_orders_per_instrument: int | None = Field(default=None, gt=0)
    price_collar: PriceCollarConfig | None = None
    buying_power: BuyingPowerConfig | None = None
    order_rate: OrderRateConfig | None = None
    execution_throttle: ExecutionThrottleConfig | None = None
    duplicate_orders: DuplicateOrderConfig | None = None
    restricted_list: RestrictedListConfig | None = None
    short_sale: ShortSaleConfig | None = None
    self_match: SelfMatchConfig | None = None
    correlation: CorrelationConfig | None = None
    liquidity: LiquidityConfig | None = None
    decision_log_size: int = Field(default=10_000, ge=0)
    account_id: str = "default"


class RiskGateConfig(GateChecksConfig):
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
        Largest sum of absolute position values across instruments after the order, counting
        working orders that add exposure.

    The other checks are described in `GateChecksConfig`.
    """

    max_order_quantity: float | None = Field(default=None, gt=0)
    max_notional_per_order: float | None = Field(default=None, gt=0)
    max_position: float | None = Field(default=None, gt=0)
    max_position_notional: float | None = Field(default=None, gt=0)
    max_gross_exposure: float | None = Field(default=None, gt=0)
    trading_state: TradingState = TradingState.ACTIVE


class DrawdownTier(ConfigModel):
    """One drawdown control: at ``drawdown`` below peak equity, ``action``.

    Attributes
    ----------
    drawdown : float
        Fall from peak equity, a fraction in (0, 1).
    action : "warn", "reduce" or "halt"
        Report a breach; cut every position by ``reduce_fraction`` (reduce-only orders through
        the gate, which moves to REDUCING); or halt (only cancels pass).
    reduce_fraction : float
        Share of each position closed by ``reduce``, in (0, 1].
    """

    drawdown: float = Field(gt=0, lt=1)
    action: Literal["warn", "reduce", "halt"]
    reduce_fraction: float = Field(default=0.5, gt=0, le=1)


class RiskManagerConfig(ConfigModel):
    """Post-trade controls and measures.

    Attributes
    ----------
    max_drawdown : float
        Shorthand for one tier: at this drawdown move to ``drawdown_action``.
    drawdown_action : TradingState
        REDUCING (``reduce`` by ``reduce_fraction``) or HALTED, for ``max_drawdown``.
    drawdown_tiers : list of DrawdownTier
        Warn, reduce and halt levels, in any order.
    daily_loss_limit : float
        Money: act when equity is this far below the day's opening equity.
    daily_loss_action : "reduce" or "halt"
    day_timezone : str
        Where days start for the daily loss (an IANA zone).
    reduce_fraction : float
        Share of each position closed by a ``reduce`` that has no tier of its own.
    max_var, max_var_confidence, max_var_action
        A VaR limit (money) at that confidence, and what to do above it.
    var_method : "historical", "parametric", "cornish_fisher" or "monte_carlo"
    var_horizon_days : int
        Horizon of VaR, in sampling periods (days with the default sampling).
    var_lookback : int
        Sampled returns kept for VaR.
    sample_interval_seconds : float
        How often marks are sampled for VaR, volatility and the metrics' Sharpe ratio.
    check_interval_seconds : float
        How often the daily loss and VaR limits are checked between fills.
    sectors : dict[str, str]
        Sector of each symbol for the exposure report (others are ``UNCLASSIFIED``).
    """

    max_drawdown: float | None = Field(default=None, gt=0, lt=1)
    drawdown_action: TradingState = TradingState.HALTED
    drawdown_tiers: list[DrawdownTier] = Field(default_factory=list)
    daily_loss_limit: float | None = Field(default=None, gt=0)
    daily_loss_action: Literal["reduce", "halt"] = "halt"
    day_timezone: str = "UTC"
    reduce_fraction: float = Field(default=0.5, gt=0, le=1)
    max_var: float | None = Field(default=None, gt=0)
    max_var_confidence: float = Field(default=0.99, gt=0.5, lt=1)
    max_var_action: Literal["warn", "reduce", "halt"] = "warn"
    var_method: Literal["historical", "parametric", "cornish_fisher", "monte_carlo"] = "historical"
    var_horizon_days: int = Field(default=1, ge=1)
    var_lookback: int = Field(default=250, ge=20)
    sample_interval_seconds: float = Field(default=86_400.0, gt=0)
    check_interval_seconds: float = Field(default=60.0, gt=0)
    sectors: dict[str, str] = Field(default_factory=dict)

    @field_validator("day_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"an IANA time zone such as America/New_York, was {value!r}") from None
        return value

    @field_validator("drawdown_action")
    @classmethod
    def _acting_state(cls, value: TradingState) -> TradingState:
        if value is TradingState.ACTIVE:
            raise ValueError("REDUCING or HALTED")
        return value

    def effective_tiers(self) -> list[DrawdownTier]:
        """The drawdown tiers, ``max_drawdown`` included, shallowest first."""
        tiers = list(self.drawdown_tiers)
        if self.max_drawdown is not None:
            action = "halt" if self.drawdown_action is TradingState.HALTED else "reduce"
            tiers.append(
                DrawdownTier(
                    drawdown=self.max_drawdown,
                    action=action,
                    reduce_fraction=self.reduce_fraction,
                )
            )
        return sorted(tiers, key=lambda tier: tier.drawdown)
