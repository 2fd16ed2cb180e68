"""The whole system's configuration: one YAML file composed of each component's config.

`load_system_config` reads and validates it; any mistake is one `ConfigError` naming the key,
the file, the value and what was expected.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, field_validator

from midfreq.core.clock import NANOS_PER_SECOND
from midfreq.core.errors import ConfigError
from midfreq.data.aggregation.live import LiveBarsConfig
from midfreq.data.synthetic import SyntheticMarketConfig
from midfreq.execution.routing.config import SmartOrderRouterConfig
from midfreq.infra.config import ConfigModel, load_yaml, parse_model, substitute_env
from midfreq.model.enums import AssetClass, OptionRight, TradingState
from midfreq.model.identifiers import InstrumentId
from midfreq.model.instruments import CurrencyPair, Future, Instrument, Option
from midfreq.model.values import currency
from midfreq.risk.config import (
    GateChecksConfig,
    RiskGateConfig,
    RiskManagerConfig,
)
from midfreq.simulation.config import SimulatedVenueConfig


def _decimals(value: float) -> int:
    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _currency_code(value: str | None) -> str | None:
    if value is not None:
        try:
            currency(value)
        except ValueError:
            raise ValueError("a currency code like 'USD' (2 to 8 letters or digits)") from None
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("an IANA time zone such as 'America/New_York'") from None
    return value


class AccountConfig(ConfigModel):
    """The trading account."""

    starting_cash: float = Field(default=1_000_000.0, gt=0)
    currency: str = "USD"

    _known_currency = field_validator("currency")(_currency_code)


class InstrumentConfig(ConfigModel):
    """One tradable instrument. Precisions follow from ``tick_size`` and ``lot_size``."""

    symbol: str
    venue: str = "SIM"
    asset_class: Literal["equity", "future", "option", "fx", "crypto"] = "equity"
    currency: str = "USD"
    tick_size: float = Field(default=0.01, gt=0)
    lot_size: float = Field(default=1.0, gt=0)
    multiplier: int = Field(default=1, gt=0)
    min_quantity: float = Field(default=0.0, ge=0)
    max_quantity: float | None = Field(default=None, gt=0)
    underlying: str | None = None
    expiry: dt.date | None = None
    strike: float | None = Field(default=None, gt=0)
    right: Literal["call", "put"] | None = None
    base_currency: str | None = None

    _known_currencies = field_validator("currency", "base_currency")(_currency_code)

    def build(self) -> Instrument:
        """The instrument this entry describes."""
        common: dict[str, Any] = {
            "id": InstrumentId.from_parts(self.symbol, self.venue),
            "currency": currency(self.currency),
            "price_precision": _decimals(self.tick_size),
            "size_precision": _decimals(self.lot_size),
            "tick_size": self.tick_size,
            "lot_size": self.lot_size,
            "multiplier": self.multiplier,
            "min_quantity": self.min_quantity,
            "max_quantity": self.max_quantity,
        }
        where = f"instruments[{self.symbol}]"
        expiry_ns = (
            int(dt.datetime.combine(self.expiry, dt.time(), dt.UTC).timestamp()) * NANOS_PER_SECOND
            if self.expiry
            else None
        )
        if self.asset_class == "future":
            if self.underlying is None or expiry_ns is None:
                raise ConfigError(f"{where}.underlying/expiry", None, "both set for a future")
            return Future(underlying=self.underlying, expiry_ns=expiry_ns, **common)
        if self.asset_class == "option":
            if None in (self.underlying, expiry_ns, self.strike, self.right):
                raise ConfigError(
                    f"{where}.underlying/expiry/strike/right", None, "all set for an option"
                )
            assert self.underlying and self.strike and self.right and expiry_ns is not None
            underlying = (
                InstrumentId(self.underlying)
                if "." in self.underlying
                else InstrumentId.from_parts(self.underlying, self.venue)
            )
            return Option(
                underlying=underlying,
                strike=self.strike,
                expiry_ns=expiry_ns,
                right=OptionRight(self.right.upper()),
                **common,
            )
        if self.asset_class in ("fx", "crypto"):
            base = self.base_currency or self._base_from_symbol()
            return CurrencyPair(
                base_currency=currency(base),
                asset_class=AssetClass(self.asset_class.upper()),
                **common,
            )
        return Instrument(asset_class=AssetClass.EQUITY, **common)

    def _base_from_symbol(self) -> str:
        # "DOGE/USDT" -> DOGE; "DOGEUSDT" quoted in USDT -> DOGE; otherwise the first 3 letters.
        if "/" in self.symbol:
            return self.symbol.split("/")[0]
        quote = self.currency.upper()
        symbol = self.symbol.upper()
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)]
        return self.symbol[:3]


class ReplayConfig(ConfigModel):
    """A catalog range replayed as a live feed.

    ``speed`` is how many seconds of market time pass per wall-clock second (1 = real time),
    or ``max`` for as fast as possible.
    """

    start_date: dt.date
    end_date: dt.date
    speed: float | Literal["max"] = 1.0

    @field_validator("speed")
    @classmethod
    def _positive(cls, value: float | str) -> float | str:
        if value != "max" and not (isinstance(value, int | float) and value > 0):
            raise ValueError("a positive number or 'max'")
        return value

    @field_validator("end_date")
    @classmethod
    def _after_start(cls, value: dt.date, info: Any) -> dt.date:
        start = info.data.get("start_date")
        if start is not None and value < start:
            raise ValueError(f"a date on or after start_date {start}")
        return value


class DataFeedConfig(ConfigModel):
    """Where live market data comes from (paper trading) and which symbols to trade.

    Attributes
    ----------
    provider : "synthetic", "catalog" or "websocket"
        The built-in simulated market in real time, a catalog range replayed (``replay``), or
        a live WebSocket feed at ``url`` speaking midfreq's JSON protocol (subscribe with
        ``{"action": "subscribe", "symbols": [...]}``; quote, trade and bar messages), or
        Alpaca's market data stream (keys in APCA_API_KEY_ID / APCA_API_SECRET_KEY; ``url``
        overrides the address, ``alpaca_feed`` picks ``iex`` or ``sip``).
    stale_after_seconds : float
        A live feed marks an instrument stale (strategies are told) after this long without
        an update.
    update_frequency : int
        Milliseconds between polls of the feed (and refreshes of the console status).
    synthetic : dict
        Settings of the synthetic market (see `SyntheticMarketConfig`), without ``symbols``.
    replay : ReplayConfig
        The range and speed of a catalog replay (``provider: catalog``).
    max_backfill_seconds : float
        Alpaca: after a reconnect, fetch at most this many seconds of missed data from the REST
        history (0 turns gap backfill off).
    rest_url : str or None
        Alpaca: the REST history address for backfill (default Alpaca's).
    bars : LiveBarsConfig or None
        Bars to build on the fly from the feed's trades or quotes (time, tick, volume or
        dollar bars) and deliver to strategies' ``on_bar``, in backtests, paper and live alike.
    """

    provider: Literal["synthetic", "catalog", "websocket", "alpaca"] = "synthetic"
    symbols: list[str] = Field(default_factory=lambda: ["AAPL", "MSFT", "GOOGL"], min_length=1)
    venue: str = "SIM"
    update_frequency: int = Field(default=1000, gt=0)
    synthetic: dict[str, Any] = Field(default_factory=dict)
    replay: ReplayConfig | None = None
    url: str | None = None
    alpaca_feed: Literal["iex", "sip"] = "iex"
    stale_after_seconds: float | None = Field(default=None, gt=0)
    bars: LiveBarsConfig | None = None
    max_backfill_seconds: float = Field(default=300.0, ge=0, allow_inf_nan=False)
    rest_url: str | None = None

    @field_validator("url")
    @classmethod
    def _websocket_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("ws://", "wss://")):
            raise ValueError("a ws:// or wss:// address")
        return value


class RiskManagementConfig(RiskManagerConfig):
    """Limits of both risk layers, in one section: the post-trade keys of `RiskManagerConfig`
    (drawdown tiers, daily loss, VaR ...) plus the pre-trade basics.

    ``max_single_position`` is the largest position value per instrument and
    ``max_portfolio_value`` the largest gross exposure; ``max_order_quantity``,
    ``max_notional_per_order``, ``max_position`` and ``trading_state`` are as in
    `RiskGateConfig`, and ``pre_trade`` holds the further pre-trade checks
    (`GateChecksConfig`: price collar, buying power, order rate, restricted list, ...).
    ``history_days`` seeds the risk manager's marks with that many days of daily closes from
    the catalog (0: build the history from live marks only).
    """

    max_order_quantity: float | None = Field(default=None, gt=0)
    max_notional_per_order: float | None = Field(default=None, gt=0)
    max_position: float | None = Field(default=None, gt=0)
    max_single_position: float | None = Field(default=None, gt=0)
    max_portfolio_value: float | None = Field(default=None, gt=0)
    trading_state: Literal["ACTIVE", "REDUCING", "HALTED"] = "ACTIVE"
    history_days: int = Field(default=0, ge=0)
    pre_trade: GateChecksConfig = GateChecksConfig()

    def gate(self) -> RiskGateConfig:
        """The pre-trade part."""
        return RiskGateConfig(
            max_order_quantity=self.max_order_quantity,
            max_notional_per_order=self.max_notional_per_order,
            max_position=self.max_position,
            max_position_notional=self.max_single_position,
            max_gross_exposure=self.max_portfolio_value,
            trading_state=TradingState(self.trading_state),
            **dict(self.pre_trade),
        )

    def manager(self) -> RiskManagerConfig:
        """The post-trade part."""
        return RiskManagerConfig(
            **{key: getattr(self, key) for key in RiskManagerConfig.model_fields}
        )


class LoggingConfig(ConfigModel):
    """Where logs go. The console shows warnings and errors only while the status line runs."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    file: str | None = "logs/midfreq.log"
    console_format: Literal["text", "json"] = "text"
    max_bytes: int = Field(default=10_000_000, gt=0)
    backup_count: int = Field(default=5, ge=0)


class CatalogConfig(ConfigModel):
    """Where the Parquet catalog lives (``midfreq data import`` writes there)."""

    path: str = "catalog"


class BacktestDataConfig(ConfigModel):
    """Bars for a backtest: generated by the synthetic market, read from the catalog, or read
    from files.

    ``files`` maps a symbol to a CSV or Parquet file of bars. With ``calendar`` (an
    exchange-calendars name such as ``XNYS``) every catalog or file bar is checked against the
    exchange's sessions, taking ``bar_interval_seconds`` as the bars' length: bars outside a
    session are flagged (counted, reported in the results and logged) and, by
    ``outside_session``, kept, dropped (still counted) or refused with an error naming the
    first one.
    """

    source: Literal["synthetic", "catalog", "files"] = "synthetic"
    bar_interval_seconds: int = Field(default=60, gt=0)
    files: dict[str, str] = Field(default_factory=dict)
    timezone: str = "UTC"
    calendar: str | None = None
    outside_session: Literal["keep", "drop", "error"] = "keep"

    _known_zone = field_validator("timezone")(_time_zone)

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, value: str | None) -> str | None:
        if value is not None:
            from midfreq.data.calendars import TradingCalendar  # slow to import: only if used

            try:
                TradingCalendar.get(value)
            except ConfigError as error:
                raise ValueError(error.expected) from None
        return value


class BacktestSettings(ConfigModel):
    """Period, data and output of a backtest.

    ``purge_closed_orders``: the kernel forgets orders once they closed and were recorded for
    the results, so memory stays flat over millions of orders; set it to false if a strategy
    looks up its old closed orders through the cache. ``tca``: analyse execution costs against
    the bars (kept while the backtest runs) and save them with the
    results.
    """

    start_date: dt.date | None = None
    end_date: dt.date | None = None
    data: BacktestDataConfig = BacktestDataConfig()
    output_dir: str = "output/backtest"
    purge_closed_orders: bool = True
    tca: bool = True

    @field_validator("end_date")
    @classmethod
    def _after_start(cls, value: dt.date | None, info: Any) -> dt.date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and value < start:
            raise ValueError(f"a date on or after start_date {start}")
        return value


class VenueMarketConfig(ConfigModel):
    """How a routed venue's market data is derived from the consolidated feed (the kernel's
    venue fan-out; docs/execution.md, "Routing in the kernel").

    Attributes
    ----------
    spread_bps : float
        Added to the consolidated spread, in basis points of the venue's mid (negative
        narrows it); the venue's spread is at least one tick. Bars have no spread: the router
        prices a venue from its bar's close +/- half of ``spread_bps`` (at least one tick).
    depth_fraction : float
        Scales displayed quote sizes, trade sizes and bar volumes (> 0).
    quote_offset_bps : float
        Shifts the venue's mid (and every bar and trade price) by this many basis points.
    """

    spread_bps: float = 0.0
    depth_fraction: float = Field(default=1.0, gt=0)
    quote_offset_bps: float = Field(default=0.0, gt=-10_000, lt=10_000)


# `venue_settings` keys that shape a venue's derived market data rather than its simulation.
VENUE_MARKET_KEYS = frozenset(VenueMarketConfig.model_fields)


class ExecutionConfig(SmartOrderRouterConfig):
    """The ``execution`` section: the SmartOrderRouter's settings (`SmartOrderRouterConfig`:
    ``venues``, ``policy``, ``venue_weights``, ``transaction_cost``, ``slippage``, ``fees``,
    ``child_timeout_seconds`` ...) plus how each venue is simulated.

    Attributes
    ----------
    venue_settings : dict of str to dict
        Per venue, keys of the ``venue`` section (`SimulatedVenueConfig`: ``fees``,
        ``latency_ms``, ``slippage_bps`` ...) that override it for that venue, and the keys of
        `VenueMarketConfig` (``spread_bps``, ``depth_fraction``, ``quote_offset_bps``) that
        shape the market data the kernel derives for it; a venue not named here is simulated
        with the ``venue`` section as it is and sees the consolidated data unchanged. ``fees``
        here is what the simulated venue charges; the router prices venues by
        ``execution.fees``.
    """

    venue_settings: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("venue_settings")
    @classmethod
    def _valid_markets(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for venue, settings in value.items():
            market = {k: v for k, v in settings.items() if k in VENUE_MARKET_KEYS}
            try:
                VenueMarketConfig.model_validate(market)
            except ValueError as error:
                raise ValueError(f"venue_settings.{venue}: {error}") from None
        return value

    def simulated_venues(self, base: SimulatedVenueConfig) -> list[SimulatedVenueConfig]:
        """One `SimulatedVenueConfig` per routed venue: ``base`` with the venue's overrides.

        Raises
        ------
        ValueError
            If ``venue_settings`` names a venue not routed to, or holds an invalid setting.
        """
        unknown = sorted(set(self.venue_settings) - set(self.venues))
        if unknown:
            raise ValueError(f"venue_settings: expected venues among {self.venues}, was {unknown}")
        built = []
        inherited = base.model_dump(exclude={"name"}, exclude_unset=True)
        for venue in self.venues:
            own = self.venue_settings.get(venue, {})
            simulated = {k: v for k, v in own.items() if k not in VENUE_MARKET_KEYS}
            settings = {**inherited, **simulated, "name": venue}
            built.append(SimulatedVenueConfig.model_validate(settings))
        return built

    def venue_market(self, venue: str) -> VenueMarketConfig:
        """How ``venue``'s market data is derived from the consolidated feed."""
        own = self.venue_settings.get(venue, {})
        return VenueMarketConfig.model_validate(
            {k: v for k, v in own.items() if k in VENUE_MARKET_KEYS}
        )


class SystemConfig(ConfigModel):
    """Everything the kernel needs, for every mode.

    Without an ``execution`` section orders go to the one simulated venue of the ``venue``
    section; with one, the kernel simulates every routed venue and strategies' orders go
    through the SmartOrderRouter (docs/execution.md, "Routing in the kernel").
    """

    trader_id: str = "midfreq-001"
    account: AccountConfig = AccountConfig()
    instruments: list[InstrumentConfig] = Field(default_factory=list)
    data_feed: DataFeedConfig = DataFeedConfig()
    strategies: dict[str, dict[str, Any]] = Field(default_factory=dict)
    risk_management: RiskManagementConfig = RiskManagementConfig()
    venue: SimulatedVenueConfig = SimulatedVenueConfig()
    logging: LoggingConfig = LoggingConfig()
    backtest: BacktestSettings = BacktestSettings()
    catalog: CatalogConfig = CatalogConfig()
    execution: ExecutionConfig | None = None
    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str | None:
        """The file this config was read from, for error messages."""
        return self._source

    def instrument_list(self) -> list[Instrument]:
        """Configured instruments, plus an equity for every feed symbol not configured."""
        built = [entry.build() for entry in self.instruments]
        known = {i.id.symbol for i in built}
        for symbol in self.data_feed.symbols:
            if symbol not in known:
                built.append(InstrumentConfig(symbol=symbol, venue=self.data_feed.venue).build())
        return built

    def synthetic_market(self) -> SyntheticMarketConfig:
        """The synthetic market for the feed's symbols."""
        data = {
            **self.data_feed.synthetic,
            "symbols": list(self.data_feed.symbols),
            "venue": self.data_feed.venue,
        }
        return parse_model(SyntheticMarketConfig, data, self.source, prefix="data_feed.synthetic")

    def enabled_strategies(self) -> dict[str, dict[str, Any]]:
        """Strategy sections with ``enabled`` not false."""
        return {
            name: settings
            for name, settings in self.strategies.items()
            if settings.get("enabled", True) is not False
        }


def parse_system_config(data: dict[str, Any], source: str | None = None) -> SystemConfig:
    """Validate a config mapping (already read and environment-substituted)."""
    config = parse_model(SystemConfig, data, source)
    config._source = source
    if config.data_feed.provider == "websocket" and config.data_feed.url is None:
        raise ConfigError(
            "data_feed.url", None, "a ws:// or wss:// address for provider websocket", source
        )
    if config.data_feed.provider == "catalog" and config.data_feed.replay is None:
        raise ConfigError(
            "data_feed.replay", None, "start_date, end_date and speed for provider catalog", source
        )
    synthetic = config.data_feed.synthetic
    for key, instead in (
        ("symbols", "data_feed.symbols"),
        ("venue", "data_feed.venue"),
        ("bar_interval_seconds", "backtest.data.bar_interval_seconds"),
    ):
        if key in synthetic:
            raise ConfigError(
                f"data_feed.synthetic.{key}",
                synthetic[key],
                f"no value here (set {instead})",
                source,
            )
    for name, settings in config.strategies.items():
        if not isinstance(settings, dict):
            raise ConfigError(f"strategies.{name}", settings, "a mapping of settings", source)
    for symbol in config.backtest.data.files:
        if symbol not in config.data_feed.symbols:
            raise ConfigError(
                f"backtest.data.files.{symbol}",
                symbol,
                f"one of data_feed.symbols ({', '.join(config.data_feed.symbols)})",
                source,
            )
    config.synthetic_market()
    if config.execution is not None:
        try:
            config.execution.simulated_venues(config.venue)
        except ValueError as exc:
            raise ConfigError(
                "execution.venue_settings", config.execution.venue_settings, str(exc), source
            ) from None
    for index, entry in enumerate(config.instruments):
        try:
            entry.build()
        except ConfigError as exc:
            raise ConfigError(exc.field, exc.value, exc.expected, source) from None
        except ValueError as exc:  # the instrument's own checks (precisions, strike)
            raise ConfigError(
                f"instruments[{index}]",
                entry.model_dump(exclude_defaults=True),
                f"a valid instrument ({exc})",
                source,
            ) from None
    return config


def load_system_config(path: str | Path) -> SystemConfig:
    """Read, substitute and validate a system config file."""
    source = str(path)
    return parse_system_config(substitute_env(load_yaml(path), source), source)
