"""The BacktestEngine: builds the kernel with a simulated clock and venue, replays bars from the
synthetic market or from files in time order, and returns a `BacktestResult`."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from midfreq.backtest.recorder import ExecutionRecorder
from midfreq.backtest.results import BacktestResult
from midfreq.backtest.sessions import SessionCheck
from midfreq.core.clock import NANOS_PER_DAY, NANOS_PER_SECOND, SimulatedClock
from midfreq.core.errors import ConfigError
from midfreq.data.bars import BarArrays, merge_bars
from midfreq.data.catalog import ParquetCatalog
from midfreq.data.loaders import read_bars
from midfreq.data.synthetic import iter_bar_windows, iter_session_bar_windows
from midfreq.infra.logging import get_logger
from midfreq.model.data import Bar, QuoteTick, TradeTick
from midfreq.model.identifiers import InstrumentId
from midfreq.model.values import MONEY_SCALE
from midfreq.portfolio.analytics import compute_performance
from midfreq.system.config import SystemConfig, load_system_config
from midfreq.system.kernel import Kernel
from midfreq.system.risk_history import seed_risk_history


def parse_date(value: str | dt.date | None, field: str) -> dt.date | None:
    """Parse ``YYYY-MM-DD`` (or pass a date through); raise `ConfigError` naming ``field``."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(field, value, "a date as YYYY-MM-DD") from None


def _day_start_ns(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()) * NANOS_PER_SECOND


class BacktestEngine:
    """Run backtests of configured strategies.

    Parameters
    ----------
    config : str, Path or SystemConfig
        A backtest YAML file (see ``config/backtest.example.yaml``) or a loaded config.

    Examples
    --------
    >>> engine = BacktestEngine("config/backtest.example.yaml")  # doctest: +SKIP
    >>> result = engine.run_backtest("2023-01-01", "2023-03-31", ["momentum"])  # doctest: +SKIP
    """

    def __init__(self, config: str | Path | SystemConfig) -> None:
        self.config = config if isinstance(config, SystemConfig) else load_system_config(config)
        self.kernel: Kernel | None = None
        self.session_check: SessionCheck | None = None

    def _period(
        self, start_date: str | dt.date | None, end_date: str | dt.date | None
    ) -> tuple[dt.date | None, dt.date | None]:
        settings = self.config.backtest
        start = parse_date(start_date, "start_date") or settings.start_date
        end = parse_date(end_date, "end_date") or settings.end_date
        if start is not None and end is not None and end < start:
            raise ConfigError("end_date", str(end), f"a date on or after start_date {start}")
        return start, end

    def load_bars(self, start: dt.date | None, end: dt.date | None) -> list[BarArrays]:
        """The bars the config names for the period (end date inclusive), all in memory."""
        windows = list(self.load_bar_windows(start, end))
        if len(windows) == 1:
            return windows[0]
        return [
            BarArrays(
                parts[0].instrument_id,
                np.concatenate([p.ts for p in parts]),
                *(np.concatenate([getattr(p, c) for p in parts]) for c in _PRICE_COLUMNS),
            )
            for parts in zip(*windows, strict=True)
        ]

    def load_bar_windows(
        self, start: dt.date | None, end: dt.date | None
    ) -> Iterator[list[BarArrays]]:
        """The bars for the period as consecutive time windows (one list of per-symbol bars
        each): synthetic data is generated window by window, so memory stays bounded."""
        data = self.config.backtest.data
        # Bars are stamped with their close: a day's bars close in (midnight, next midnight].
        start_ns = _day_start_ns(start) if start else None
        end_ns = _day_start_ns(end) + NANOS_PER_DAY if end else None
        self.session_check = None
        if data.source != "synthetic":
            windows = self._stored_windows(start_ns, end_ns)
            if data.calendar is None:
                return windows
            check = SessionCheck(
                data.calendar,
                data.bar_interval_seconds * NANOS_PER_SECOND,
                data.outside_session,
                tz=data.timezone,
            )
            self.session_check = check
            return check.windows(windows)
        if start_ns is None or end_ns is None:
            raise ConfigError(
                "backtest.start_date/end_date",
                None,
                "both dates for synthetic data (in the config or as arguments)",
                self.config.source,
            )
        market = self.config.synthetic_market().model_copy(
            update={"bar_interval_seconds": data.bar_interval_seconds}
        )
        if market.calendar is not None:
            assert start is not None and end is not None
            return iter_session_bar_windows(market, start, end)  # only bars inside sessions
        interval = data.bar_interval_seconds * NANOS_PER_SECOND
        count = (end_ns - start_ns) // interval
        return iter_bar_windows(market, start_ns, count)

    def _stored_windows(
        self, start_ns: int | None, end_ns: int | None
    ) -> Iterator[list[BarArrays]]:
        """Bars of the period from the configured files or the catalog."""
        data = self.config.backtest.data
        if data.source == "files":
            streams = []
            for symbol in self.config.data_feed.symbols:
                path = data.files.get(symbol)
                if path is None:
                    raise ConfigError(
                        f"backtest.data.files.{symbol}",
                        None,
                        "a CSV or Parquet file for every data_feed symbol",
                        self.config.source,
                    )
                iid = InstrumentId.from_parts(symbol, self.config.data_feed.venue)
                bars = read_bars(path, iid, tz=data.timezone)
                first = start_ns + 1 if start_ns is not None else None
                streams.append(bars.slice_time(first, end_ns))
            return iter([streams])
        return self._catalog_windows(start_ns, end_ns)

    def _catalog_windows(
        self, start_ns: int | None, end_ns: int | None
    ) -> Iterator[list[BarArrays]]:
        catalog = ParquetCatalog(self.config.catalog.path)
        venue = self.config.data_feed.venue
        ids = [InstrumentId.from_parts(s, venue) for s in self.config.data_feed.symbols]
        for iid in ids:
            if not catalog.partitions("bars", iid):
                raise ConfigError(
                    "data_feed.symbols",
                    str(iid),
                    f"bars in the catalog at {catalog.root}/ (import them with "
                    "`midfreq data import` or `midfreq data generate`)",
                    self.config.source,
                )
        first = start_ns + 1 if start_ns is not None else None
        return catalog.iter_bar_windows(ids, first, end_ns)

    def build_kernel(self, strategies: Sequence[str] | None, start_ns: int) -> Kernel:
        """A fresh kernel with a simulated clock at ``start_ns`` and the strategies added."""
        kernel = Kernel(
            self.config,
            SimulatedClock(start_ns),
            purge_closed_orders=self.config.backtest.purge_closed_orders,
        )
        risk = self.config.risk_management
        if risk.history_days:
            seed_risk_history(
                kernel.risk_manager,
                self.config.catalog.path,
                [i.id for i in kernel.cache.instruments.values()],
                start_ns,
                risk.history_days,
            )
        kernel.add_configured_strategies(list(strategies) if strategies is not None else None)
        if not kernel.strategies:
            raise ConfigError(
                "strategies",
                [],
                "at least one enabled strategy (in the config or as an argument)",
                self.config.source,
            )
        return kernel

    def run_backtest(
        self,
        start_date: str | dt.date | None = None,
        end_date: str | dt.date | None = None,
        strategies: Sequence[str] | None = None,
        *,
        bars: Sequence[BarArrays] | None = None,
        bar_windows: Iterable[Sequence[BarArrays]] | None = None,
        data: Iterable[Bar | QuoteTick | TradeTick] | None = None,
    ) -> BacktestResult:
        """Run the configured (or named) strategies over the period and return the result.

        Parameters
        ----------
        start_date, end_date : str or date, optional
            ``YYYY-MM-DD``, inclusive; default from the config's ``backtest`` section.
        strategies : list of str, optional
            Names from the config's ``strategies`` section (or built-in names with defaults);
            default: every enabled configured strategy.
        bars : list of BarArrays, optional
            Bars to use instead of the configured source.
        bar_windows : iterable of lists of BarArrays, optional
            Consecutive time windows of bars (as `load_bar_windows` gives), streamed.
        data : iterable of market data, optional
            Any time-ordered bars, quotes and trades instead of bars (e.g. recorded quotes).
        """
        started = time.perf_counter()
        if data is not None or bars is not None:
            self.session_check = None  # set by `load_bar_windows`, whose windows are not used
        only_bars = data is None
        kept_bars: list[BarArrays] | None = [] if self.config.backtest.tca else None
        if data is None:
            if bar_windows is None:
                if bars is not None:
                    bar_windows = [bars]
                else:
                    bar_windows = self.load_bar_windows(*self._period(start_date, end_date))
            data = _merged(bar_windows, kept_bars)
        iterator = iter(data)
        first = next(iterator, None)
        if first is None:
            period = self._period(start_date, end_date)
            raise ConfigError(
                "backtest period", f"{period[0]} to {period[1]}", "a period that contains data"
            )
        kernel = self.build_kernel(strategies, first.ts_event)
        recorder = ExecutionRecorder(kernel.bus, kernel.cache)
        kernel.start()
        count = 1
        if only_bars:  # the hot path: no type dispatch per bar
            process = kernel.process_bar
            process(first)  # type: ignore[arg-type]
            for bar in iterator:
                process(bar)  # type: ignore[arg-type]
                count += 1
        else:
            kernel.process(first)
            for item in iterator:
                kernel.process(item)
                count += 1
        kernel.finish()
        kernel.stop(cancel_open_orders=False)
        recorder.finish()
        self.kernel = kernel
        result = self._result(kernel, recorder, count, time.perf_counter() - started)
        result.parent_order_ids = recorder.parent_order_ids
        if self.config.backtest.tca and len(result.orders):
            aliases = {str(k): str(v) for k, v in kernel.cache.consolidated.items()}
            result.attach_tca(kept_bars or None, instrument_aliases=aliases or None)
        if self.session_check is not None:
            result.data_quality = self.session_check.report()
            if self.session_check.outside:
                get_logger("backtest").warning("bars outside sessions", **result.data_quality)
        return result

    def _result(
        self, kernel: Kernel, recorder: ExecutionRecorder, count: int, elapsed: float
    ) -> BacktestResult:
        portfolio = kernel.portfolio
        ts = np.frombuffer(portfolio.equity_ts, dtype=np.int64).copy()
        equity = np.frombuffer(portfolio.equity_values, dtype=np.float64).copy()
        exposure = np.frombuffer(bytes(portfolio.exposed_flags), dtype=np.uint8).astype(np.float64)
        if len(ts) == 0:
            ts = np.array([kernel.clock.timestamp_ns()], dtype=np.int64)
            equity = np.array([portfolio.equity()])
            exposure = np.zeros(1)
        stats = compute_performance(
            ts,
            equity,
            trade_pnls=[t.pnl for t in portfolio.closed_trades],
            fees_paid=portfolio.fees_raw / MONEY_SCALE,
            traded_value=portfolio.traded_value_raw / MONEY_SCALE,
            gross_exposure=exposure,
        )
        return BacktestResult(
            stats=stats,
            start_ns=int(ts[0]),
            end_ns=int(ts[-1]),
            strategies=[str(s.strategy_id) for s in kernel.strategies],
            bars_processed=count,
            elapsed_seconds=elapsed,
            equity_ts=ts,
            equity=equity,
            orders=recorder.orders_frame(),
            fills=recorder.fills_frame(),
            round_trips=list(portfolio.closed_trades),
            models=kernel.venue.describe(),
            portfolio=portfolio.summary(),
            denials={code.value: n for code, n in kernel.gate.denials_by_code.items()},
        )


_PRICE_COLUMNS = ("open", "high", "low", "close", "volume")


def _merged(
    windows: Iterable[Sequence[BarArrays]], keep: list[BarArrays] | None = None
) -> Iterator[Bar]:
    for window in windows:
        if keep is not None:  # for transaction cost analysis after the run
            keep.extend(window)
        if len(window) == 1:  # one instrument: already in time order
            yield from window[0].iter_bars()
        else:
            yield from merge_bars(window)
