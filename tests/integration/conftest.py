"""Fixtures shared by the vendor connector tests: a local vendor server and a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
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
