"""Fixtures shared by the vendor connector tests: a local vendor server, a fake clock, and
logging put back as it was."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog
from vendor_server import FakeClock, VendorServer


@pytest.fixture
def server() -> Iterator[VendorServer]:
    """A vendor server on 127.0.0.1, stopped after the test."""
    with VendorServer() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    """A clock that records sleeps instead of sleeping."""
    return FakeClock()


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
