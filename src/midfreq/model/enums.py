"""Enumerations of the domain model (all `StrEnum` with UPPER_SNAKE members)."""

from __future__ import annotations

from enum import StrEnum


class OrderSide(StrEnum):
    """Side of an order."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for BUY, -1 for SELL."""
        return 1 if self is OrderSide.BUY else -1

    @property
    def opposite(self) -> OrderSide:
        """The other side."""
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY


class OrderType(StrEnum):
    """Order types."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_MARKET = "STOP_MARKET"
    STOP_LIMIT = "STOP_LIMIT"


class TimeInForce(StrEnum):
    """How long an order stays working."""

    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTD = "GTD"


class OrderStatus(StrEnum):
    """Order states (FIX OrdStatus semantics)."""

    INITIALIZED = "INITIALIZED"
    DENIED = "DENIED"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    TRIGGERED = "TRIGGERED"
    PENDING_CANCEL = "PENDING_CANCEL"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


TERMINAL_ORDER_STATUSES = frozenset(
    {
        OrderStatus.DENIED,
        OrderStatus.REJECTED,
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
    }
)


class PositionSide(StrEnum):
    """Direction of a position."""

    FLAT = "FLAT"
    LONG = "LONG"
    SHORT = "SHORT"


class AssetClass(StrEnum):
    """Kinds of instrument."""

    EQUITY = "EQUITY"
    FUTURE = "FUTURE"
    OPTION = "OPTION"
    FX = "FX"
    CRYPTO = "CRYPTO"


class OptionRight(StrEnum):
    """Call or put."""

    CALL = "CALL"
    PUT = "PUT"


class LiquiditySide(StrEnum):
    """Whether a fill added or took liquidity."""

    MAKER = "MAKER"
    TAKER = "TAKER"


class TradingState(StrEnum):
    """What the risk gate lets through: everything, only reducing orders, or nothing."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


class DenialCode(StrEnum):
    """Why the pre-trade risk gate refused an order (one enum for every check)."""

    TRADING_HALTED = "TRADING_HALTED"
    REDUCING_ONLY = "REDUCING_ONLY"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_PRICE = "INVALID_PRICE"
    UNKNOWN_INSTRUMENT = "UNKNOWN_INSTRUMENT"
    QUANTITY_EXCEEDS_MAX_PER_ORDER = "QUANTITY_EXCEEDS_MAX_PER_ORDER"
    NOTIONAL_EXCEEDS_MAX_PER_ORDER = "NOTIONAL_EXCEEDS_MAX_PER_ORDER"
    POSITION_EXCEEDS_MAX = "POSITION_EXCEEDS_MAX"
    GROSS_EXPOSURE_EXCEEDS_MAX = "GROSS_EXPOSURE_EXCEEDS_MAX"
    NO_PRICE_FOR_NOTIONAL = "NO_PRICE_FOR_NOTIONAL"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    DUPLICATE_ORDER = "DUPLICATE_ORDER"
    NET_EXPOSURE_EXCEEDS_MAX = "NET_EXPOSURE_EXCEEDS_MAX"
    OPEN_ORDERS_EXCEED_MAX = "OPEN_ORDERS_EXCEED_MAX"
    PRICE_OUTSIDE_COLLAR = "PRICE_OUTSIDE_COLLAR"
    NO_REFERENCE_PRICE = "NO_REFERENCE_PRICE"
    STALE_REFERENCE_PRICE = "STALE_REFERENCE_PRICE"
    BUYING_POWER_EXCEEDED = "BUYING_POWER_EXCEEDED"
    ORDER_RATE_EXCEEDED = "ORDER_RATE_EXCEEDED"
    STRATEGY_DISABLED = "STRATEGY_DISABLED"
    RESTRICTED_INSTRUMENT = "RESTRICTED_INSTRUMENT"
    SHORT_SALE_NO_LOCATE = "SHORT_SALE_NO_LOCATE"
    SELF_MATCH = "SELF_MATCH"
    CORRELATION_EXCEEDS_MAX = "CORRELATION_EXCEEDS_MAX"
    LIQUIDITY_EXCEEDS_MAX = "LIQUIDITY_EXCEEDS_MAX"
    NO_VOLUME_REFERENCE = "NO_VOLUME_REFERENCE"
    ORDER_NOT_WORKING = "ORDER_NOT_WORKING"
    MODIFY_NOT_SUPPORTED = "MODIFY_NOT_SUPPORTED"


class AggressorSide(StrEnum):
    """Which side initiated a trade."""

    BUYER = "BUYER"
    SELLER = "SELLER"
    NO_AGGRESSOR = "NO_AGGRESSOR"


class BookSide(StrEnum):
    """Side of an order book: resting bids or resting asks."""

    BID = "BID"
    ASK = "ASK"
