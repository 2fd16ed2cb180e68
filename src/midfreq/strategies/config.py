"""Strategy settings as pydantic models: `StrategyConfig` holds what every strategy has; a
strategy declares its own subclass (``config_class``) and gets its parameters validated, with
unknown keys refused and every mistake reported as ``strategies.<strategy_id>.<key>``.

Example
-------
>>> class BreakoutConfig(StrategyConfig):
...     channel_period: int = Field(default=20, ge=2)
>>> BreakoutConfig(symbols=["AAPL"], channel_period=55).channel_period
55
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator

from midfreq.infra.config import ConfigModel


class StrategyConfig(ConfigModel):
    """Settings shared by every strategy. Subclass it to add a strategy's own parameters.

    Numbers and booleans may be given as text (``"20"``, ``"false"``), as environment
    substitution produces.

    Attributes
    ----------
    strategy_id : str or None
        Unique id (orders, positions and P&L are tagged with it); default ``<name>-001``.
    symbols : list of str
        Instruments traded (``AAPL`` or ``AAPL.SIM``); default: every feed symbol.
    venue : str
        Venue of symbols given without one.
    lookback_period : int
        Prices kept per instrument for `BaseStrategy.calculate_z_score` (and the default window
        of strategies that have one), >= 2.
    order_quantity : float
        Default order (and position) size, > 0.
    max_position_size : float or None
        Absolute position cap applied by `BaseStrategy.place_order`.
    """

    strategy_id: str | None = None
    symbols: list[str] = Field(default_factory=list)
    venue: str = "SIM"
    lookback_period: int = Field(default=20, ge=2)
    order_quantity: float = Field(default=100.0, gt=0, allow_inf_nan=False)
    max_position_size: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @field_validator("symbols", mode="before")
    @classmethod
    def _symbol_list(cls, value: object) -> object:
        if isinstance(value, str):
            raise ValueError("a list of symbols, not one string")
        return value


class OpenStrategyConfig(StrategyConfig):
    """The shared settings of a strategy that declares no ``config_class``: other keys are kept
    as given (in ``BaseStrategy.config``) for the strategy to read itself."""

    model_config = ConfigDict(frozen=True, extra="allow")
