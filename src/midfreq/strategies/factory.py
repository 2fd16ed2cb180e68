"""The StrategyFactory: build strategies by registered name or by import path."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from midfreq.core.errors import ConfigError
from midfreq.strategies.base import BaseStrategy, OrderRouter
from midfreq.strategies.mean_reversion import MeanReversionStrategy
from midfreq.strategies.momentum import MomentumStrategy


class StrategyFactory:
    """A registry of strategy classes by name; import paths load anything else.

    Example
    -------
    >>> StrategyFactory.get_available_strategies()[:2]
    ['mean_reversion', 'momentum']
    """

    _registry: dict[str, type[BaseStrategy]] = {
        MeanReversionStrategy.name: MeanReversionStrategy,
        MomentumStrategy.name: MomentumStrategy,
    }

    @classmethod
    def register(cls, name: str, strategy_class: type[BaseStrategy]) -> None:
        """Make ``strategy_class`` available as ``name``."""
        if not isinstance(strategy_class, type) or not issubclass(strategy_class, BaseStrategy):
            raise ConfigError("strategy class", strategy_class, "a subclass of BaseStrategy")
        cls._registry[name] = strategy_class

    @classmethod
    def get_available_strategies(cls) -> list[str]:
        """Registered names, sorted."""
        return sorted(cls._registry)

    @classmethod
    def resolve(cls, name: str, field: str = "strategy") -> type[BaseStrategy]:
        """Return the class for a registered name or a ``package.module:Class`` path."""
        if name in cls._registry:
            return cls._registry[name]
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
