"""`TradingSystem`: paper (and later live) trading. asyncio lives only here at the edges: data
clients put market data on one queue, and a single consumer hands each item to the kernel.

Example
-------
>>> system = TradingSystem("config/config.example.yaml")   # doctest: +SKIP
>>> await system.initialize(); await system.start()        # doctest: +SKIP
>>> system.get_system_status()["is_running"]               # doctest: +SKIP
True
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from midfreq.connectors.alpaca import AlpacaStreamClient
from midfreq.connectors.alpaca.client import BASE_URL as ALPACA_DATA_URL
from midfreq.core.clock import Clock, LiveClock, SimulatedClock
from midfreq.core.errors import ConfigError, InvariantViolation
from midfreq.data.bars import BarArrays, merge_bars
from midfreq.data.catalog import ParquetCatalog
from midfreq.data.live import WebSocketFeedClient
from midfreq.data.synthetic import SyntheticQuoteStream
from midfreq.infra.logging import configure_logging, get_logger
from midfreq.model.data import (
    Bar,
    FreshData,
    OrderBookDelta,
    OrderBookSnapshot,
    QuoteTick,
    StaleData,
    TradeTick,
)
from midfreq.model.enums import TradingState
from midfreq.model.identifiers import InstrumentId
from midfreq.risk.gate.records import KillSwitchActivated
from midfreq.strategies.base import BaseStrategy
from midfreq.strategies.factory import StrategyFactory
from midfreq.system.config import SystemConfig, load_system_config
from midfreq.system.event_log import EventLogger
from midfreq.system.kernel import Kernel
from midfreq.system.risk_history import seed_risk_history

MarketData = (
    Bar | QuoteTick | TradeTick | OrderBookSnapshot | OrderBookDelta | StaleData | FreshData
)


class LiveDataClient(Protocol):
    """A source of market data running at the asyncio edge."""

    name: str

    def stream(self) -> AsyncIterator[Sequence[MarketData]]:
        """Yield batches of time-ordered market data until cancelled or exhausted."""
        ...


class SyntheticLiveDataClient:
    """The synthetic market in real time: every ``interval`` seconds, the events up to now."""

    name = "synthetic"

    def __init__(self, stream: SyntheticQuoteStream, clock: Clock, interval: float) -> None:
        self._stream = stream
        self._clock = clock
        self._interval = interval

    async def stream(self) -> AsyncIterator[list[MarketData]]:
        """Yield the synthetic events that happened since the last batch."""
        while True:
            await asyncio.sleep(self._interval)
            events = self._stream.advance(self._clock.timestamp_ns())
            if events:
                yield list(events)


class ReplayDataClient:
    """Recorded market data handed over in batches (for replays and parity tests)."""

    name = "replay"

    def __init__(self, data: Iterable[MarketData], batch_size: int = 100) -> None:
        self._data = list(data)
        self._batch = batch_size

    async def stream(self) -> AsyncIterator[list[MarketData]]:
        """Yield the recorded data in batches, then stop."""
        for i in range(0, len(self._data), self._batch):
            yield self._data[i : i + self._batch]
            await asyncio.sleep(0)


class CatalogReplayClient:
    """Bars from the catalog replayed at ``speed`` times real time (or as fast as possible),
    stamped with their own times: run it with a `SimulatedClock` so the kernel's time follows
    the data."""

    name = "catalog"

    def __init__(self, windows: Iterable[Sequence[BarArrays]], speed: float | str) -> None:
        self._windows = windows
        self._speed = speed

    async def stream(self) -> AsyncIterator[list[MarketData]]:
        """Yield bars in time order, paced against the wall clock."""
        loop = asyncio.get_running_loop()
        wall_start: float | None = None
        data_start = 0
        for window in self._windows:
            bars: list[MarketData] = list(merge_bars(window))
            if self._speed == "max":
                for i in range(0, len(bars), 1000):
                    yield bars[i : i + 1000]
                    await asyncio.sleep(0)
                continue
            speed = float(self._speed)
            i = 0
            while i < len(bars):
                if wall_start is None:
                    wall_start, data_start = loop.time(), bars[0].ts_event
                due = wall_start + (bars[i].ts_event - data_start) / 1e9 / speed
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                now_data = data_start + int((loop.time() - wall_start) * speed * 1e9)
                j = i
                while j < len(bars) and bars[j].ts_event <= now_data:
                    j += 1
                yield bars[i : max(j, i + 1)]
                i = max(j, i + 1)


_END = object()


class TradingSystem:
    """Paper trading on the synthetic market (or a replay) through the full kernel.

    Parameters
    ----------
    config_path : str or Path or SystemConfig
        The YAML config (``config/config.example.yaml``) or a loaded config.
    clock : Clock, optional
        Defaults to the wall clock; a `SimulatedClock` makes a replay deterministic.
    data_client : LiveDataClient, optional
        Defaults to the synthetic market named by ``data_feed``.
    """

    def __init__(
        self,
        config_path: str | Path | SystemConfig,
        *,
        clock: Clock | None = None,
        data_client: LiveDataClient | None = None,
        configure_logs: bool = False,
    ) -> None:
        self.config_path = config_path
        self.config: SystemConfig | None = None
        self.clock: Clock = clock or LiveClock()
        self.data_client = data_client
        self.kernel: Kernel | None = None
        self.is_running = False
        self._configure_logs = configure_logs
        self._queue: asyncio.Queue[Any] | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._started_at: float | None = None
        self._done = asyncio.Event()
        self._cancelled_on_stop = 0
        self.processed = 0
        self.feed_error: BaseException | None = None
        self._log = get_logger("system")

    # ---- lifecycle -----------------------------------------------------------------------
    async def initialize(self) -> None:
        """Load the config and build the kernel with its strategies (no data flows yet)."""
        config = (
            self.config_path
            if isinstance(self.config_path, SystemConfig)
            else load_system_config(self.config_path)
        )
        self.config = config
        if self._configure_logs:
            configure_logging(
                config.logging.level,
                console=True,
                console_format=config.logging.console_format,
                file_path=config.logging.file,
                max_bytes=config.logging.max_bytes,
                backup_count=config.logging.backup_count,
            )
        windows = None
        if config.data_feed.provider == "catalog" and self.data_client is None:
            windows, start_ns = self._replay_windows(config)
            if isinstance(self.clock, LiveClock):
                self.clock = SimulatedClock(start_ns)
        kernel = Kernel(config, self.clock)
        if config.risk_management.history_days:
            seed_risk_history(
                kernel.risk_manager,
                config.catalog.path,
                [i.id for i in kernel.cache.instruments.values()],
                self.clock.timestamp_ns(),
                config.risk_management.history_days,
            )
        EventLogger(kernel.bus)
        kernel.add_configured_strategies()
        self.kernel = kernel
        if windows is not None:
            assert config.data_feed.replay is not None
            self.data_client = CatalogReplayClient(windows, config.data_feed.replay.speed)
        if self.data_client is None and config.data_feed.provider == "alpaca":
            self.data_client = AlpacaStreamClient(
                config.data_feed.symbols,
                feed=config.data_feed.alpaca_feed,
                url=config.data_feed.url,
                clock=self.clock,
                venue=config.data_feed.venue,
                stale_after_seconds=config.data_feed.stale_after_seconds,
                poll_interval_seconds=0.25 if config.data_feed.stale_after_seconds else None,
                max_backfill_seconds=config.data_feed.max_backfill_seconds,
                rest_url=config.data_feed.rest_url or ALPACA_DATA_URL,
            )
        if self.data_client is None and config.data_feed.provider == "websocket":
            assert config.data_feed.url is not None
            self.data_client = WebSocketFeedClient(
                config.data_feed.url,
                config.data_feed.symbols,
                clock=self.clock,
                venue=config.data_feed.venue,
                stale_after_seconds=config.data_feed.stale_after_seconds,
                poll_interval_seconds=0.25 if config.data_feed.stale_after_seconds else None,
            )
        if self.data_client is None:
            stream = SyntheticQuoteStream(config.synthetic_market(), self.clock.timestamp_ns())
            self.data_client = SyntheticLiveDataClient(
                stream, self.clock, config.data_feed.update_frequency / 1000.0
            )
        self._log.info(
            "initialized",
            strategies=[str(s.strategy_id) for s in kernel.strategies],
            symbols=config.data_feed.symbols,
            data_feed=self.data_client.name,
        )

    @staticmethod
    def _replay_windows(config: SystemConfig) -> tuple[Iterator[list[BarArrays]], int]:
        replay = config.data_feed.replay
        assert replay is not None
        catalog = ParquetCatalog(config.catalog.path)
        venue = config.data_feed.venue
        ids = [InstrumentId.from_parts(s, venue) for s in config.data_feed.symbols]
        for iid in ids:
            if not catalog.partitions("bars", iid):
                raise ConfigError(
                    "data_feed.symbols",
                    str(iid),
                    f"bars in the catalog at {catalog.root}/ to replay",
                    config.source,
                )
        day = 86_400 * 10**9
        start_ns = int(pd.Timestamp(replay.start_date, tz="UTC").value)
        end_ns = int(pd.Timestamp(replay.end_date, tz="UTC").value) + day
        return catalog.iter_bar_windows(ids, start_ns + 1, end_ns), start_ns

    @property
    def feed_finished(self) -> bool:
        """Whether a finite feed (a replay) has delivered everything."""
        return self._done.is_set()

    async def start(self) -> None:
        """Start strategies, the data feed and the kernel consumer."""
        kernel = self._require_kernel()
        if self.is_running:
            return
        kernel.start()
        self._queue = asyncio.Queue()
        self._done = asyncio.Event()
        self._started_at = time.monotonic()
        self.is_running = True
        self._tasks = [
            asyncio.create_task(self._pump(), name="midfreq-feed"),
            asyncio.create_task(self._consume(), name="midfreq-kernel"),
        ]
        if not isinstance(self.clock, SimulatedClock):
            self._tasks.append(asyncio.create_task(self._ticker(), name="midfreq-ticker"))
        self._log.info("started")

    async def wait_until_done(self) -> None:
        """Wait until the data client is exhausted and every item was processed."""
        await self._done.wait()

    async def stop(self) -> dict[str, Any]:
        """Stop the feed, cancel open orders, stop strategies; return the final summary."""
        kernel = self._require_kernel()
        if self.is_running:
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._tasks = []
            self._run_pending_commands(kernel)
            close = getattr(self.data_client, "close", None)
            if close is not None:  # a live feed: close its connection
                result = close()
                if inspect.isawaitable(result):
                    await result
            open_before = len(kernel.cache.open_orders)
            kernel.stop(cancel_open_orders=True)
            kernel.finish()
            self.is_running = False
            self._log.info("stopped", cancelled_orders=open_before)
            self._cancelled_on_stop = open_before
        return self.summary()

    # ---- strategies at run time -------------------------------------------------------------
    async def add_strategy(
        self, strategy: str | BaseStrategy, settings: Mapping[str, Any] | None = None
    ) -> str:
        """Add a strategy while the system runs (started at once) or before it starts.

        Parameters
        ----------
        strategy : str or BaseStrategy
            A registered name (``"mean_reversion"``), an import path
            (``"mypkg.strategies:MyStrategy"``) or an instance.
        settings : mapping, optional
            Its settings, validated by its config model; ``symbols`` defaults to the feed
            symbols and ``strategy_id`` to ``<name>-NNN``, the first number not in use.

        Returns
        -------
        str
            The strategy id.

        Raises
        ------
        ConfigError
            If the name, a setting or the id is invalid.
        """
        kernel = self._require_kernel()
        if isinstance(strategy, BaseStrategy):
            instance = strategy
        else:
            config = dict(settings or {})
            name = StrategyFactory.resolve(strategy).name
            if not config.get("strategy_id"):
                taken = {str(s.strategy_id) for s in kernel.strategies}
                number = next(n for n in range(1, len(taken) + 2) if f"{name}-{n:03d}" not in taken)
                config["strategy_id"] = f"{name}-{number:03d}"
            assert self.config is not None
            config.setdefault("symbols", list(self.config.data_feed.symbols))
            config.setdefault("venue", self.config.data_feed.venue)
            instance = StrategyFactory.create_strategy(strategy, config)
        await self._in_kernel(lambda k: k.add_strategy(instance))
        self._log.info("strategy added", strategy_id=str(instance.strategy_id))
        return str(instance.strategy_id)

    async def start_strategy(self, strategy_id: str) -> None:
        """Start a stopped strategy again (see `Kernel.start_strategy`)."""
        await self._in_kernel(lambda k: k.start_strategy(strategy_id))
        self._log.info("strategy started", strategy_id=strategy_id)

    async def stop_strategy(self, strategy_id: str, *, close_positions: bool = False) -> None:
        """Stop a strategy, cancelling its working orders and, with ``close_positions``,
        flattening its positions (see `Kernel.stop_strategy`)."""
        await self._in_kernel(
            lambda k: k.stop_strategy(strategy_id, close_positions=close_positions)
        )
        self._log.info("strategy stopped", strategy_id=strategy_id, closed=close_positions)

    async def remove_strategy(self, strategy_id: str) -> None:
        """Remove a stopped, flat strategy (see `Kernel.remove_strategy`)."""
        await self._in_kernel(lambda k: k.remove_strategy(strategy_id))
        self._log.info("strategy removed", strategy_id=strategy_id)

    async def kill_switch(self, reason: str, actor: str = "operator") -> KillSwitchActivated:
        """Halt trading and cancel every working order (see `RiskGate.kill_switch`); the
        report names each order's strategy and account. Resume with `resume_trading`."""
        report: KillSwitchActivated = await self._in_kernel(
            lambda k: k.gate.kill_switch(reason, actor)
        )
        return report

    async def resume_trading(self, reason: str, actor: str = "operator") -> None:
        """Set the trading state back to ACTIVE (after a halt, a kill switch or a breach)."""
        await self._in_kernel(
            lambda k: k.gate.set_trading_state(TradingState.ACTIVE, f"{reason} ({actor})")
        )

    async def _in_kernel(self, action: Callable[[Kernel], Any]) -> Any:
        """Run ``action`` on the kernel between two pieces of market data (in the consumer,
        so it is ordered with the data), or at once when the system is not running."""
        kernel = self._require_kernel()
        if not self.is_running or self._queue is None:
            return action(kernel)
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def run(k: Kernel) -> None:
            try:
                done.set_result(action(k))
            except Exception as exc:  # handed to the caller, the consumer goes on
                done.set_exception(exc)

        self._queue.put_nowait(run)
        return await done

    def _run_pending_commands(self, kernel: Kernel) -> None:
        # Commands queued behind data when the consumer stopped still run (their callers are
        # waiting); the market data left in the queue is not processed after a stop.
        queue = self._queue
        while queue is not None and not queue.empty():
            item = queue.get_nowait()
            if callable(item) and item is not Kernel.tick:
                item(kernel)

    # ---- edges ------------------------------------------------------------------------------
    async def _pump(self) -> None:
        assert self._queue is not None and self.data_client is not None
        try:
            async for batch in self.data_client.stream():
                self._queue.put_nowait(batch)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a feed failure must not kill the kernel silently
            self.feed_error = exc
            self._log.error("data feed failed", error=repr(exc))
        self._queue.put_nowait(_END)

    async def _consume(self) -> None:
        assert self._queue is not None
        kernel = self._require_kernel()
        process = kernel.process
        while True:
            batch = await self._queue.get()
            if batch is _END:
                self._done.set()
                return
            if callable(batch):
                batch(kernel)
                continue
            for item in batch:
                process(item)
            self.processed += len(batch)

    async def _ticker(self) -> None:
        assert self._queue is not None
        tick: Callable[[Kernel], None] = Kernel.tick
        while True:
            await asyncio.sleep(0.1)
            self._queue.put_nowait(tick)

    def _require_kernel(self) -> Kernel:
        if self.kernel is None:
            raise InvariantViolation("TradingSystem: call `await initialize()` first")
        return self.kernel

    # ---- status -----------------------------------------------------------------------------
    def events_per_second(self) -> float:
        """Market data items handled per second since start."""
        if self._started_at is None:
            return 0.0
        elapsed = time.monotonic() - self._started_at
        return self.processed / elapsed if elapsed > 0 else 0.0

    def get_system_status(self) -> dict[str, Any]:
        """``is_running``, ``strategies``, ``data_feed``, ``risk_metrics`` and more."""
        kernel = self._require_kernel()
        status = kernel.status()
        return {
            "is_running": self.is_running,
            "strategies": status["strategies"],
            "data_feed": {
                "provider": self.data_client.name if self.data_client else None,
                "symbols": list(self.config.data_feed.symbols) if self.config else [],
                "messages": status["messages"],
                "events_per_second": round(self.events_per_second(), 1),
                "stale": sorted(str(i) for i in kernel.cache.stale_instruments),
                "error": repr(self.feed_error) if self.feed_error else None,
            },
            "risk_metrics": status["risk_metrics"],
            "portfolio": status["portfolio"],
            "orders": status["orders"],
        }

    def status_line(self) -> str:
        """One line: equity, P&L, open orders, positions, events/s."""
        kernel = self._require_kernel()
        p = kernel.portfolio.summary()
        return (
            f"equity {p['equity']:,.2f} | P&L {p['total_pnl']:+,.2f} "
            f"(realized {p['realized_pnl']:+,.2f}) | open orders {len(kernel.cache.open_orders)} "
            f"| positions {p['open_positions']} | fills {p['fills']} "
            f"| {self.events_per_second():,.0f} events/s | {kernel.gate.trading_state.value}"
        )

    def summary(self) -> dict[str, Any]:
        """Final figures of the session."""
        kernel = self._require_kernel()
        return {
            **kernel.portfolio.summary(),
            "orders": len(kernel.cache.orders),
            "open_orders": len(kernel.cache.open_orders),
            "cancelled_on_stop": self._cancelled_on_stop,
            "market_data": self.processed,
            "trading_state": kernel.gate.trading_state.value,
        }
