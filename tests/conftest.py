"""Fixtures for every test: logging put back as it was after a test configured it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Remove handlers and levels a test installed, and structlog's configuration."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _restore_strategy_registry() -> Iterator[None]:
    """Strategies a test registers by name are forgotten after it."""
    from midfreq.strategies.factory import StrategyFactory

    saved = dict(StrategyFactory._registry)
    yield
    StrategyFactory._registry.clear()
    StrategyFactory._registry.update(saved)
