"""`StrategyFactory`: registered names, registration, ``module:Class`` and ``module.Class`` import
paths (from a real package written to a temporary directory), and the `ConfigError`s for
unknown names, non-strategy classes, bad modules and invalid settings."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from midfreq.core.errors import ConfigError
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.factory import StrategyFactory
from midfreq.strategies.mean_reversion import MeanReversionStrategy
from midfreq.strategies.momentum import MomentumStrategy

PACKAGE = "factory_user_strategies"

MODULE = """
from midfreq.strategies.base import BaseStrategy


class Breakout(BaseStrategy):
    name = "breakout"

    def __init__(self, config=None, order_router=None, risk_manager=None):
        super().__init__(config, order_router, risk_manager)
        self.level = float(self.config.get("level", 1.0))


class NeedsArguments(BaseStrategy):
    def __init__(self, config, order_router, risk_manager, extra):
        super().__init__(config)


class NotAStrategy:
    pass


helper = 3
"""


@pytest.fixture
def user_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A package ``factory_user_strategies.trend`` importable for this test only."""
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "trend.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in (PACKAGE, f"{PACKAGE}.trend"):
        monkeypatch.delitem(sys.modules, name, raising=False)  # removed again afterwards
    return f"{PACKAGE}.trend"


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, type[BaseStrategy]]:
    """A private copy of the registry, so registrations do not leak into other tests."""
    copy = dict(StrategyFactory._registry)
    monkeypatch.setattr(StrategyFactory, "_registry", copy)
    return copy


# ---- names ----------------------------------------------------------------------------------
def test_built_in_strategies_are_registered_by_name():
    names = StrategyFactory.get_available_strategies()
    assert names == sorted(names)
    assert {"mean_reversion", "momentum"} <= set(names)
    assert StrategyFactory.resolve("mean_reversion") is MeanReversionStrategy
    assert StrategyFactory.resolve("momentum") is MomentumStrategy


def test_create_strategy_by_name_passes_config_router_and_risk_manager():
    router, risk = object(), object()
    strategy = StrategyFactory.create_strategy(
        "momentum", {"symbols": ["AAA"], "fast_period": 3, "slow_period": 9}, router, risk
    )
    assert isinstance(strategy, MomentumStrategy)
    assert (strategy.fast_period, strategy.slow_period) == (3, 9)
    assert strategy.order_router is router
    assert strategy.risk_manager is risk


def test_register_makes_a_class_available_by_name(registry, user_package):
    breakout = StrategyFactory.resolve(f"{user_package}:Breakout")
    StrategyFactory.register("breakout", breakout)

    assert "breakout" in StrategyFactory.get_available_strategies()
    strategy = StrategyFactory.create_strategy("breakout", {"level": 2.5})
    assert type(strategy) is breakout
    assert strategy.level == 2.5


@pytest.mark.parametrize("not_a_strategy", [dict, "momentum", MomentumStrategy({})])
def test_register_refuses_what_is_not_a_strategy_class(registry, not_a_strategy):
    with pytest.raises(ConfigError, match=r"expected a subclass of BaseStrategy"):
        StrategyFactory.register("bad", not_a_strategy)
    assert "bad" not in registry


# ---- import paths ---------------------------------------------------------------------------
@pytest.mark.parametrize("separator", [":", "."])
def test_import_path_loads_a_strategy_class(user_package, separator):
    path = f"{user_package}{separator}Breakout"
    strategy = StrategyFactory.create_strategy(path, {"symbols": ["AAA"], "level": 3})
    assert type(strategy).__name__ == "Breakout"
    assert type(strategy).__module__ == user_package
    assert strategy.level == 3.0
    assert str(strategy.strategy_id) == "breakout-001"


def test_unknown_name_lists_the_available_names():
    with pytest.raises(ConfigError) as raised:
        StrategyFactory.resolve("meanreversion")
    error = raised.value
    assert (error.field, error.value) == ("strategy", "meanreversion")
    names = ", ".join(StrategyFactory.get_available_strategies())
    assert error.expected == f"one of {names} or an import path 'package.module:ClassName'"
    assert "mean_reversion, momentum" in str(error)


@pytest.mark.parametrize("attribute", ["NotAStrategy", "helper", "Missing"])
def test_import_path_to_something_else_than_a_strategy_is_refused(user_package, attribute):
    path = f"{user_package}:{attribute}"
    with pytest.raises(ConfigError) as raised:
        StrategyFactory.create_strategy(path)
    assert raised.value.value == path
    assert raised.value.expected == (f"a BaseStrategy subclass named {attribute} in {user_package}")


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        (f"{PACKAGE}.nothere:Breakout", f"No module named '{PACKAGE}.nothere'"),
        ("no_such_package_xyz.Strategy", "No module named 'no_such_package_xyz'"),
        (":Breakout", "Empty module name"),
        (".Breakout", "Empty module name"),
        ("..relative:Breakout", "relative import"),
    ],
)
def test_import_path_to_a_bad_module_is_refused(user_package, path, detail):
    with pytest.raises(ConfigError, match=r"expected an importable module \(") as raised:
        StrategyFactory.resolve(path, field="strategies.custom.class")
    assert raised.value.field == "strategies.custom.class"
    assert raised.value.value == path
    assert detail in raised.value.expected


# ---- invalid settings -----------------------------------------------------------------------
def test_invalid_settings_of_a_built_in_raise_its_config_error():
    with pytest.raises(ConfigError) as raised:
        StrategyFactory.create_strategy(
            "momentum", {"strategy_id": "m", "fast_period": 20, "slow_period": 5}
        )
    assert raised.value.field == "strategies.m.slow_period"
    assert raised.value.expected == "an integer above fast_period (20)"


@pytest.mark.parametrize(
    ("attribute", "config", "detail"),
    [
        ("Breakout", {"level": "high"}, "could not convert string to float"),  # ValueError
        ("NeedsArguments", {}, "missing 1 required positional argument"),  # TypeError
    ],
)
def test_errors_of_a_user_strategy_constructor_become_config_errors(
    user_package, attribute, config, detail
):
    path = f"{user_package}:{attribute}"
    with pytest.raises(ConfigError) as raised:
        StrategyFactory.create_strategy(path, config)
    error = raised.value
    assert error.field == f"strategies.{path}"
    assert error.value == config
    assert error.expected.startswith("valid settings (")
    assert detail in error.expected
