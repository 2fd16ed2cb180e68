"""Live bar building: bars made on the fly from the trades or quotes a running system receives.

A `LiveBarAggregator` keeps one streaming builder per instrument (`TimeBarBuilder`,
`TickBarBuilder`, `VolumeBarBuilder` or `DollarBarBuilder`), is fed every trade or quote after
the data engine has published it, and hands each completed bar to a callback (the kernel sends
it through `DataEngine.process_bar`, so it is cached and published on ``data.bars.<id>`` like any
bar, and never matched by the simulated venue, which already saw the ticks).

Time bars close on time: a clock timer fires at each bar end (plus ``late_grace_ms``) and
flushes the bars that ended, so a bar is published even when no tick follows it. A tick that
arrives after its bar was published is counted in ``refused_events`` and logged, never silently
folded into another bar.

Example
-------
>>> from midfreq.core.clock import SimulatedClock
>>> from midfreq.model.identifiers import InstrumentId
>>> clock = SimulatedClock(0)
>>> bars = []
>>> agg = LiveBarAggregator(LiveBarsConfig(kind="time", interval_seconds=60), clock, bars.append)
>>> agg.on_trade_values(InstrumentId("AAA.SIM"), 10.0, 5.0, 1_000_000_000)
>>> clock.advance_time(60_000_000_000)  # fires the flush timer
1
>>> [(bar.close, bar.volume, bar.ts_event) for bar in bars]
[(10.0, 5.0, 60000000000)]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import Field, model_validator

from midfreq.core.clock import Clock, TimeEvent
from midfreq.core.errors import DataError
from midfreq.data.aggregation.builders import (
    DollarBarBuilder,
    TickBarBuilder,
    TimeBarBuilder,
    VolumeBarBuilder,
)
from midfreq.infra.config import ConfigModel
from midfreq.infra.logging import get_logger
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.identifiers import InstrumentId

_NS = 1_000_000_000
_TIMER = "data.live_bars.flush"


class LiveBarsConfig(ConfigModel):
    """Which bars to build on the fly (``data_feed.bars`` in the system config).

    Attributes
    ----------
    kind : "time", "tick", "volume" or "dollar"
        Time bars of ``interval_seconds``; or threshold bars closing on the trade that brings
        the count of trades, traded volume or traded value to ``threshold``.
    interval_seconds : float or None
        Length of time bars (required for ``time``), a whole number of nanoseconds.
    threshold : float or None
        Trades per bar (``tick``, an integer), volume per bar (``volume``) or traded value per
        bar (``dollar``); required for those kinds.
    source : "trades" or "quotes"
        What the bars aggregate. Quote bars (time and tick only) use the mid price and count
        quotes as volume, as `quote_time_bars` does.
    fill_empty : bool
        Time bars only: publish a flat bar (OHLC = previous close, volume 0) for an interval
        without ticks.
    late_grace_ms : float
        Time bars only: close a bar this long after its end, so ticks stamped just before the
        end that arrive a little late still count.
    """

    kind: Literal["time", "tick", "volume", "dollar"] = "time"
    interval_seconds: float | None = Field(default=None, gt=0)
    threshold: float | None = Field(default=None, gt=0)
    source: Literal["trades", "quotes"] = "trades"
    fill_empty: bool = False
    late_grace_ms: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> LiveBarsConfig:
        if self.kind == "time":
            if self.interval_seconds is None:
                raise ValueError("interval_seconds: expected a number > 0 for time bars")
            if self.threshold is not None:
                raise ValueError("threshold: expected no threshold for time bars")
            if round(self.interval_seconds * _NS) <= 0:
                raise ValueError("interval_seconds: expected at least one nanosecond")
        else:
            if self.threshold is None:
                raise ValueError(f"threshold: expected a number > 0 for {self.kind} bars")
            if self.interval_seconds is not None:
                raise ValueError(f"interval_seconds: expected none for {self.kind} bars")
            if self.kind == "tick" and self.threshold != int(self.threshold):
                raise ValueError(
                    f"threshold: expected a whole number of trades, was {self.threshold}"
                )
            if self.fill_empty or self.late_grace_ms:
                raise ValueError("fill_empty/late_grace_ms: expected only for time bars")
        if self.source == "quotes" and self.kind in ("volume", "dollar"):
            raise ValueError(
                f"source: expected trades for {self.kind} bars (quotes have no traded size)"
            )
        return self

    @property
    def interval_ns(self) -> int:
        """Time bar length in nanoseconds."""
        if self.interval_seconds is None:
            raise DataError(f"{self.kind} bars have no interval")
        return round(self.interval_seconds * _NS)


Builder = TimeBarBuilder | TickBarBuilder | VolumeBarBuilder | DollarBarBuilder


class LiveBarAggregator:
    """Build bars from live ticks per instrument and hand each completed bar to ``on_bar``.

    Parameters
    ----------
    config : LiveBarsConfig
        The kind of bar and its size.
    clock : Clock
        The system clock; time bars set a timer on it to close on time.
    on_bar : callable
        Called with each completed `Bar`, in time order per instrument.
    """

    def __init__(self, config: LiveBarsConfig, clock: Clock, on_bar: Callable[[Bar], None]) -> None:
        self.config = config
        self._clock = clock
        self._on_bar = on_bar
        self._builders: dict[InstrumentId, Builder] = {}
        self._timer_set = False
        self._grace_ns = round(config.late_grace_ms * 1_000_000)
        self._quotes = config.source == "quotes"
        self._time_bars = config.kind == "time"
        self.bars_built = 0
        self.refused_events = 0
        """Events a builder refused: late (before the end of a published bar) or not finite."""
        self._log = get_logger("data.live_bars")

    # ---- inputs -------------------------------------------------------------------------------
    def on_trade(self, trade: TradeTick) -> None:
        """Add a trade (ignored when the bars aggregate quotes)."""
        if not self._quotes:
            self.on_trade_values(trade.instrument_id, trade.price, trade.size, trade.ts_event)

    def on_quote(self, quote: QuoteTick) -> None:
        """Add a quote at its mid, counting 1 (ignored when the bars aggregate trades)."""
        if self._quotes:
            mid = (quote.bid_price + quote.ask_price) / 2.0
            self.on_trade_values(quote.instrument_id, mid, 1.0, quote.ts_event)

    def on_trade_values(
        self, instrument_id: InstrumentId, price: float, size: float, ts: int
    ) -> None:
        """Add one event given by its price, size and time."""
        builder = self._builders.get(instrument_id)
        if builder is None:
            builder = self._builders[instrument_id] = self._new_builder(instrument_id)
        if not self._timer_set and self._time_bars:
            self._set_timer(ts)
        try:
            done = builder.update(price, size, ts)
        except DataError as exc:
            self.refused_events += 1
            self._log.warning(
                "live bar event refused", instrument_id=str(instrument_id), error=str(exc)
            )
            return
        if done is None:
            return
        if isinstance(done, Bar):
            self._publish(done)
        else:
            for bar in done:
                self._publish(bar)

    # ---- outputs ------------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel the flush timer."""
        self._clock.cancel_timer(_TIMER)
        self._timer_set = False

    def _new_builder(self, instrument_id: InstrumentId) -> Builder:
        config = self.config
        if config.kind == "time":
            return TimeBarBuilder(instrument_id, config.interval_ns, fill_empty=config.fill_empty)
        threshold = config.threshold
        assert threshold is not None  # checked by the config
        if config.kind == "tick":
            return TickBarBuilder(instrument_id, int(threshold))
        if config.kind == "volume":
            return VolumeBarBuilder(instrument_id, threshold)
        return DollarBarBuilder(instrument_id, threshold)

    def _set_timer(self, ts: int) -> None:
        interval = self.config.interval_ns
        floor = ts - ts % interval
        self._clock.set_timer(_TIMER, interval, self._on_timer, start_ns=floor + self._grace_ns)
        self._timer_set = True

    def _on_timer(self, event: TimeEvent) -> None:
        cutoff = event.ts_event - self._grace_ns
        for builder in self._builders.values():
            if isinstance(builder, TimeBarBuilder):
                for bar in builder.flush(cutoff):
                    self._publish(bar)

    def _publish(self, bar: Bar) -> None:
        self.bars_built += 1
        self._on_bar(bar)
