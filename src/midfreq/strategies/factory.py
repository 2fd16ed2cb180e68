"""The StrategyFactory: build strategies by registered name, by import path, or from another
package's ``midfreq.strategies`` entry points.

A package registers its strategies in its ``pyproject.toml``::

    [project.entry-points."midfreq.strategies"]
    breakout = "mypkg.strategies:BreakoutStrategy"

and ``strategies: {breakout: {...}}`` then works in any config once it is installed.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Mapping
from typing import Any

from midfreq.core.errors import ConfigError
from midfreq.strategies.base import BaseStrategy, OrderRouter
from midfreq.strategies.breakout import DonchianBreakoutStrategy
from midfreq.strategies.market_making import MarketMakingStrategy
from midfreq.strategies.mean_reversion import MeanReversionStrategy
from midfreq.strategies.momentum import MomentumStrategy
from midfreq.strategies.stat_arb import StatArbStrategy
from midfreq.strategies.trend import TimeSeriesMomentumStrategy

ENTRY_POINT_GROUP = "midfreq.strategies"
"""The entry point group other packages register strategies in."""


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


class StrategyFactory:
    """A registry of strategy classes by name; import paths load anything else.

    Example
    -------
    >>> StrategyFactory.get_available_strategies()[:3]
    ['donchian_breakout', 'market_making', 'mean_reversion']
    """

    _registry: dict[str, type[BaseStrategy]] = {
        cls.name: cls
        for cls in (
            MeanReversionStrategy,
            MomentumStrategy,
            DonchianBreakoutStrategy,
            TimeSeriesMomentumStrategy,
            StatArbStrategy,
            MarketMakingStrategy,
        )
    }

    @classmethod
    def register(cls, name: str, strategy_class: type[BaseStrategy]) -> None:
        """Make ``strategy_class`` available as ``name``."""
        if not isinstance(strategy_class, type) or not issubclass(strategy_class, BaseStrategy):
            raise ConfigError("strategy class", strategy_class, "a subclass of BaseStrategy")
        cls._registry[name] = strategy_class

    @classmethod
    def get_available_strategies(cls) -> list[str]:
        """Registered and entry-point names, sorted."""
        return sorted(set(cls._registry) | set(_entry_points()))

    @classmethod
    def resolve(cls, name: str, field: str = "strategy") -> type[BaseStrategy]:
        """Return the class for a registered name or a ``package.module:Class`` path."""
        if name in cls._registry:
            return cls._registry[name]
        entry_point = _entry_points().get(name)
        if entry_point is not None:
            return cls._load_entry_point(entry_point, field)
        expected = (
            f"one of {', '.join(cls.get_available_strategies())} or an import path "
            "'package.module:ClassName'"
        )
        if ":" not in name and "." not in name:
            raise ConfigError(field, name, expected)
        module_name, _, class_name = name.rpartition(":") if ":" in name else name.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except (ImportError, ValueError, TypeError) as exc:  # also ':Cls' and '..relative'
            raise ConfigError(field, name, f"an importable module ({exc})") from None
        found = getattr(module, class_name, None)
        if not isinstance(found, type) or not issubclass(found, BaseStrategy):
            raise ConfigError(
                field, name, f"a BaseStrategy subclass named {class_name} in {module_name}"
            )
        return found

    @classmethod
    def _load_entry_point(
        cls, entry_point: importlib.metadata.EntryPoint, field: str
    ) -> type[BaseStrategy]:
        where = f"entry point {entry_point.name} = {entry_point.value} ({ENTRY_POINT_GROUP})"
        try:
            found = entry_point.load()
        except Exception as exc:  # a broken plugin is the user's to fix: name it
            raise ConfigError(field, entry_point.name, f"a loadable {where}: {exc!r}") from None
        if not isinstance(found, type) or not issubclass(found, BaseStrategy):
            raise ConfigError(field, entry_point.name, f"a BaseStrategy subclass at {where}")
        return found

    @classmethod
    def create_strategy(
        cls,
        name: str,
        config: Mapping[str, Any] | None = None,
        order_router: OrderRouter | None = None,
        risk_manager: Any | None = None,
    ) -> BaseStrategy:
        """Instantiate the strategy ``name`` with ``config``.

        Raises
        ------
        ConfigError
            If the name is unknown, the import path fails or the config is invalid.
        """
        strategy_class = cls.resolve(name)
        try:
            return strategy_class(config, order_router, risk_manager)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"strategies.{name}", dict(config or {}), f"valid settings ({exc})"
            ) from None
