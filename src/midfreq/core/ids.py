"""Deterministic id generation: the same inputs and clock give the same ids on every run."""

from __future__ import annotations

import time as _time

from midfreq.core.clock import NANOS_PER_SECOND, Clock


class IdGenerator:
    """Generate ids ``{prefix}-{YYYYMMDD-HHMMSS}-{tag}-{n}`` from the injected clock.

    The timestamp part comes from the clock (simulated in backtests), so two runs of a backtest
    give identical ids; the counter keeps ids unique within one run.
    """

    def __init__(self, clock: Clock, prefix: str, tag: str) -> None:
        self._clock = clock
        self._prefix = prefix
        self._tag = tag
        self.count = 0
        self._second: int | None = None
        self._stamp = ""

    def generate(self) -> str:
        """Return the next id."""
        self.count += 1
        second = self._clock.timestamp_ns() // NANOS_PER_SECOND
        if second != self._second:
            self._second = second
            self._stamp = _time.strftime("%Y%m%d-%H%M%S", _time.gmtime(second))
        return f"{self._prefix}-{self._stamp}-{self._tag}-{self.count}"

    def reset(self) -> None:
        """Restart the counter."""
        self.count = 0
