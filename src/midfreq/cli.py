"""The ``midfreq`` command: ``backtest``, ``run`` (paper trading) and ``strategies``.

A user mistake (missing file, bad YAML, unknown key or strategy, bad date) prints one line
``error: ...`` on stderr and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import math
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from midfreq import __version__
from midfreq.core.errors import ConfigError, UserError
from midfreq.infra.logging import configure_logging

EXIT_USER_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="midfreq",
        description="Mid-frequency trading: backtest, paper trade and run strategies.",
    )
    parser.add_argument("--version", action="version", version=f"midfreq {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    backtest = commands.add_parser(
        "backtest", help="run a backtest and write its results", description="Run a backtest."
    )
    backtest.add_argument("--config", required=True, help="backtest YAML file")
    backtest.add_argument("--start", help="first day, YYYY-MM-DD (default: from the config)")
    backtest.add_argument("--end", help="last day, YYYY-MM-DD (default: from the config)")
    backtest.add_argument(
        "--strategies", help="comma-separated strategy names (default: enabled in the config)"
    )
    backtest.add_argument("--output", help="results folder (default: backtest.output_dir)")

    run = commands.add_parser(
        "run",
        help="paper trade on the simulated market until Ctrl-C",
        description="Paper trade: the synthetic market streams in real time, strategies trade "
        "through the risk gate against the simulated venue. Ctrl-C stops cleanly.",
    )
    run.add_argument("--config", required=True, help="system YAML file")
    run.add_argument(
        "--duration", type=float, help="stop by itself after this many seconds (default: never)"
    )
    run.add_argument(
        "--pid-file",
        default="midfreq.pid",
        help="where the run records its pid, for `midfreq kill-switch` (default: midfreq.pid)",
    )

    kill = commands.add_parser(
        "kill-switch",
        help="halt a running `midfreq run` and cancel all its working orders",
        description="Fire the kill switch of the run that owns --pid-file: trading halts and "
        "every working order is cancelled; the run logs each order with its strategy.",
    )
    kill.add_argument("--pid-file", default="midfreq.pid", help="the run's pid file")
    kill.add_argument("--reason", default="operator kill switch", help="recorded with the halt")

    commands.add_parser("strategies", help="list the built-in strategies")
    _data_parser(commands)
    return parser


def _data_parser(commands: Any) -> None:
    data = commands.add_parser(
        "data", help="import, list, show and generate market data in the catalog"
    )
    data.add_argument(
        "--catalog",
        default=os.environ.get("MIDFREQ_CATALOG", "catalog"),
        help="catalog folder (default: $MIDFREQ_CATALOG or ./catalog)",
    )
    actions = data.add_subparsers(dest="action", metavar="ACTION", required=True)

    imp = actions.add_parser(
        "import", help="import a CSV or Parquet file of bars, quotes or trades"
    )
    imp.add_argument("path", help="the file (.csv, .csv.gz, .parquet)")
    imp.add_argument("--symbol", required=True, help="symbol, e.g. AAPL (or AAPL.XNAS)")
    imp.add_argument("--venue", default="SIM", help="venue when --symbol has none (default SIM)")
    imp.add_argument(
        "--type", dest="data_type", choices=["bars", "quotes", "trades"], default="bars"
    )
    imp.add_argument(
        "--asset-class",
        default="equity",
        choices=["equity", "future", "option", "fx", "crypto"],
    )
    imp.add_argument("--tz", default="UTC", help="time zone of times without a UTC offset")
    imp.add_argument(
        "--columns",
        help="field=column pairs for layouts not recognised, e.g. ts_event=Date,close='Adj Close'",
    )
    imp.add_argument("--on-error", choices=["stop", "skip"], default="stop")
    imp.add_argument(
        "--rejects", help="rejects file for --on-error skip (default: FILE.rejects.csv)"
    )
    imp.add_argument("--mode", choices=["append", "overwrite"], default="append")
    imp.add_argument(
        "--calendar",
        help="exchange calendar (e.g. XNYS): count and flag rows outside its sessions",
    )
    imp.add_argument(
        "--outside-session",
        choices=["keep", "reject"],
        default="keep",
        help="with --calendar: keep rows outside sessions (default) or treat them as bad rows",
    )
    imp.add_argument(
        "--bar-interval",
        type=float,
        metavar="SECONDS",
        help="with --calendar: the bars' length (default: the median spacing of their times)",
    )

    actions.add_parser("list", help="what the catalog holds")

    show = actions.add_parser("show", help="print a slice of one instrument's data")
    show.add_argument("symbol")
    show.add_argument("--venue", default="SIM")
    show.add_argument(
        "--type", dest="data_type", choices=["bars", "quotes", "trades"], default="bars"
    )
    show.add_argument("--start", help="first day YYYY-MM-DD")
    show.add_argument("--end", help="last day YYYY-MM-DD")
    show.add_argument("--rows", type=int, default=20, help="rows to print (default 20)")

    fetch = actions.add_parser(
        "fetch",
        help="download history from a vendor into the catalog (API key from the environment)",
        description="Alpha Vantage needs ALPHAVANTAGE_API_KEY, Nasdaq Data Link "
        "NASDAQ_DATA_LINK_API_KEY, Alpaca APCA_API_KEY_ID and APCA_API_SECRET_KEY. "
        "MIDFREQ_ALPHAVANTAGE_URL / MIDFREQ_NASDAQ_URL / MIDFREQ_ALPACA_URL override the "
        "service address (proxies, tests).",
    )
    fetch.add_argument("--provider", required=True, choices=["alphavantage", "nasdaq", "alpaca"])
    fetch.add_argument("--symbols", required=True, help="comma-separated symbols or datasets")
    fetch.add_argument("--venue", default="SIM")
    fetch.add_argument("--interval", default="1min", help="alphavantage: 1min, 5min, ... 60min")
    fetch.add_argument("--months", help="alphavantage: comma-separated YYYY-MM months")
    fetch.add_argument("--timeframe", default="1Min", help="alpaca: 1Min, 5Min, 15Min, 1Hour, 1Day")
    fetch.add_argument("--database", help="nasdaq: the database code, e.g. WIKI")
    fetch.add_argument("--start", help="nasdaq, alpaca: first day YYYY-MM-DD")
    fetch.add_argument("--end", help="nasdaq, alpaca: last day YYYY-MM-DD")
    fetch.add_argument("--tz", default="America/New_York", help="nasdaq: exchange time zone")
    fetch.add_argument("--mode", choices=["append", "overwrite"], default="append")

    gen = actions.add_parser("generate", help="write seeded synthetic bars into the catalog")
    gen.add_argument("--symbols", required=True, help="comma-separated, e.g. AAA,BBB")
    gen.add_argument("--start", required=True, help="first day YYYY-MM-DD")
    gen.add_argument("--end", required=True, help="last day YYYY-MM-DD")
    gen.add_argument("--interval", type=int, default=60, help="bar interval in seconds")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--venue", default="SIM")
    gen.add_argument("--mode", choices=["append", "overwrite"], default="append")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``midfreq`` command; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "backtest":
            return _backtest(args)
        if args.command == "run":
            return _run(args)
        if args.command == "data":
            return _data(args)
        if args.command == "kill-switch":
            return _kill_switch(args)
        return _strategies()
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _strategies() -> int:
    from midfreq.strategies.factory import StrategyFactory

    for name in StrategyFactory.get_available_strategies():
        try:
            lines = (StrategyFactory.resolve(name).__doc__ or "").strip().splitlines()
        except ConfigError as exc:  # a broken plugin: say so, list the others
            lines = [f"(cannot be loaded: expected {exc.expected})"]
        print(f"{name:20} {lines[0] if lines else ''}".rstrip())
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from midfreq.backtest.engine import BacktestEngine

    engine = BacktestEngine(args.config)
    config = engine.config
    _logs(config.logging.level, config.logging.file)
    names = (
        [n.strip() for n in args.strategies.split(",") if n.strip()] if args.strategies else None
    )
    result = engine.run_backtest(args.start, args.end, names)
    output = Path(args.output or config.backtest.output_dir)
    result.write(output)
    print(result.table())
    print(
        f"{result.bars_processed:,} bars in {result.elapsed_seconds:.2f}s "
        f"({result.bars_processed / max(result.elapsed_seconds, 1e-9):,.0f} bars/s); "
        f"{len(result.orders):,} orders, {len(result.fills):,} fills; "
        f"strategies: {', '.join(result.strategies)}"
    )
    if result.denials:
        print("denied orders: " + ", ".join(f"{k} {v}" for k, v in result.denials.items()))
    outside = result.data_quality.get("bars_outside_session")
    if outside:
        quality = result.data_quality
        first = quality["first_outside_session"]
        print(
            f"warning: {outside:,} bars outside {quality['calendar']} sessions "
            f"({quality['outside_session_action']}; first {first['instrument_id']} at "
            f"{first['ts']})"
        )
    print(f"results written to {output}/ (orders, trades, round_trips, equity: .parquet and .csv)")
    return 0


def _data(args: argparse.Namespace) -> int:
    from midfreq.data.catalog import ParquetCatalog

    catalog = ParquetCatalog(args.catalog)
    if args.action == "import":
        return _data_import(catalog, args)
    if args.action == "list":
        return _data_list(catalog)
    if args.action == "show":
        return _data_show(catalog, args)
    if args.action == "fetch":
        return _data_fetch(catalog, args)
    return _data_generate(catalog, args)


def _data_fetch(catalog: Any, args: argparse.Namespace) -> int:
    from rich.progress import Progress

    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    if not symbols:
        raise UserError(f"--symbols: expected comma-separated symbols, was {args.symbols!r}")
    written = 0
    with Progress(transient=True) as progress:
        if args.provider == "alphavantage":
            from midfreq.connectors.alphavantage import (
                BASE_URL,
                AlphaVantageClient,
                fetch_intraday_to_catalog,
            )

            months = [m.strip() for m in (args.months or "").split(",") if m.strip()]
            if not months:
                raise UserError(
                    "--months: expected comma-separated YYYY-MM months for alphavantage"
                )
            client = AlphaVantageClient(
                base_url=os.environ.get("MIDFREQ_ALPHAVANTAGE_URL", BASE_URL)
            )
            task = progress.add_task("alphavantage", total=len(symbols) * len(months))
            for symbol in symbols:
                written += fetch_intraday_to_catalog(
                    client,
                    catalog,
                    symbol,
                    args.venue,
                    args.interval,
                    months,
                    lambda done, total: progress.advance(task),
                    mode=args.mode,
                )
                catalog.set_asset_class(f"{symbol}.{args.venue}", "equity")
        elif args.provider == "alpaca":
            from midfreq.connectors.alpaca import (
                BASE_URL as ALPACA_URL,
            )
            from midfreq.connectors.alpaca import (
                AlpacaMarketDataClient,
                fetch_bars_to_catalog,
            )

            if not args.start or not args.end:
                raise UserError("--start/--end: expected both days (YYYY-MM-DD) for alpaca")
            alpaca = AlpacaMarketDataClient(
                base_url=os.environ.get("MIDFREQ_ALPACA_URL", ALPACA_URL)
            )
            task = progress.add_task("alpaca", total=len(symbols))
            written = fetch_bars_to_catalog(
                alpaca,
                catalog,
                symbols,
                args.timeframe,
                f"{args.start}T00:00:00Z",
                f"{args.end}T23:59:59Z",
                args.venue,
                lambda done, total: progress.advance(task),
                mode=args.mode,
            )
        else:
            from midfreq.connectors.nasdaq import (
                BASE_URL as NASDAQ_URL,
            )
            from midfreq.connectors.nasdaq import (
                NasdaqDataLinkClient,
                fetch_timeseries_to_catalog,
            )

            if not args.database:
                raise UserError("--database: expected a database code for nasdaq, e.g. WIKI")
            nasdaq = NasdaqDataLinkClient(base_url=os.environ.get("MIDFREQ_NASDAQ_URL", NASDAQ_URL))
            task = progress.add_task("nasdaq", total=len(symbols))
            written = fetch_timeseries_to_catalog(
                nasdaq,
                catalog,
                args.database,
                symbols,
                args.venue,
                args.tz,
                args.start,
                args.end,
                lambda done, total: progress.advance(task),
                mode=args.mode,
            )
    print(f"fetched {written:,} bars for {', '.join(symbols)} into {catalog.root}/")
    return 0


def _instrument(symbol: str, venue: str) -> Any:
    from midfreq.model.identifiers import InstrumentId

    try:
        if "." in symbol:
            return InstrumentId(symbol)
        return InstrumentId.from_parts(symbol, venue)
    except ValueError as exc:
        raise UserError(f"--symbol: {exc}") from None


def _columns(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    pairs = {}
    for item in text.split(","):
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise UserError(f"--columns: expected field=column pairs, was {item!r}")
        pairs[field.strip()] = column.strip().strip("'\"")
    return pairs


def _data_import(catalog: Any, args: argparse.Namespace) -> int:
    from midfreq.core.errors import ConfigError
    from midfreq.data.calendars import TradingCalendar
    from midfreq.data.importer import import_file

    bar_interval_ns = None
    if args.calendar is None:
        if args.outside_session != "keep":
            raise ConfigError(
                "--outside-session", args.outside_session, "'keep' unless --calendar is given"
            )
        if args.bar_interval is not None:
            raise ConfigError(
                "--bar-interval", args.bar_interval, "none unless --calendar is given"
            )
    else:
        try:
            TradingCalendar.get(args.calendar)
        except ConfigError as exc:
            raise ConfigError("--calendar", args.calendar, exc.expected) from None
        if args.bar_interval is not None:
            seconds = args.bar_interval
            if not (math.isfinite(seconds) and round(seconds * 10**9) > 0):
                raise ConfigError("--bar-interval", seconds, "a positive number of seconds")
            bar_interval_ns = round(seconds * 10**9)
    report = import_file(
        catalog,
        args.path,
        _instrument(args.symbol, args.venue),
        data_type=args.data_type,
        tz=args.tz,
        columns=_columns(args.columns),
        on_error=args.on_error,
        rejects_path=args.rejects,
        mode=args.mode,
        asset_class=args.asset_class,
        calendar=args.calendar,
        outside_session=args.outside_session,
        bar_interval_ns=bar_interval_ns,
    )
    span = ""
    if report.first_ts is not None and report.last_ts is not None:
        span = f" from {_iso(report.first_ts)} to {_iso(report.last_ts)}"
    print(
        f"imported {report.rows_written:,} of {report.rows_read:,} rows of {report.data_type} "
        f"for {report.instrument_id}{span} into {catalog.root}/"
    )
    if report.rows_rejected:
        print(f"skipped {report.rows_rejected:,} bad rows; see {report.rejects_path}")
    if report.rows_outside_session:
        done = "rejected" if report.outside_session == "reject" else "kept"
        first = ", ".join(f"row {row} at {_iso(ts)}" for row, ts in report.outside_session_examples)
        print(
            f"warning: {report.rows_outside_session:,} rows outside {report.calendar} sessions "
            f"({done}); first: {first}",
            file=sys.stderr,
        )
    return 0


def _iso(ts: int) -> str:
    import pandas as pd

    return str(pd.Timestamp(ts, unit="ns", tz="UTC").isoformat())


def _data_list(catalog: Any) -> int:
    entries = catalog.entries()
    if not entries:
        print(f"the catalog at {catalog.root}/ is empty")
        return 0
    header = f"{'instrument':18} {'class':8} {'type':7} {'first':26} {'last':26} {'rows':>12}"
    print(header)
    for e in entries:
        print(
            f"{e.instrument_id:18} {e.asset_class or '-':8} {e.data_type:7} "
            f"{_iso(e.first_ts):26} {_iso(e.last_ts):26} {e.rows:>12,}"
        )
    return 0


def _day_range(start: str | None, end: str | None) -> tuple[int | None, int | None]:
    from midfreq.backtest.engine import parse_date

    first = parse_date(start, "--start")
    last = parse_date(end, "--end")
    day = 86_400 * 10**9
    start_ns = (
        int(dt.datetime.combine(first, dt.time(), dt.UTC).timestamp()) * 10**9 if first else None
    )
    end_ns = (
        int(dt.datetime.combine(last, dt.time(), dt.UTC).timestamp()) * 10**9 + day - 1
        if last
        else None
    )
    if start_ns is not None and end_ns is not None and end_ns < start_ns:
        raise UserError(f"--end: expected a day on or after --start {start}, was {end}")
    return start_ns, end_ns


def _data_show(catalog: Any, args: argparse.Namespace) -> int:
    import pandas as pd

    iid = _instrument(args.symbol, args.venue)
    start_ns, end_ns = _day_range(args.start, args.end)
    if not catalog.partitions(args.data_type, iid):
        known = sorted(
            {e.instrument_id for e in catalog.entries() if e.data_type == args.data_type}
        )
        raise UserError(
            f"symbol: expected one of {', '.join(known) or 'nothing (the catalog is empty)'} "
            f"for {args.data_type}, was {str(iid)!r}"
        )
    if args.rows <= 0:
        raise UserError(f"--rows: expected a positive number, was {args.rows}")
    shown: list[pd.DataFrame] = []
    total = kept = 0
    for frame in catalog.iter_frames(args.data_type, iid, start_ns, end_ns):
        total += len(frame)
        if kept < args.rows:
            shown.append(frame)
            kept += len(frame)
    if not shown:
        print(f"no {args.data_type} for {iid} in that range")
        return 0
    table = pd.concat(shown, ignore_index=True).head(args.rows)
    table.insert(0, "time", pd.to_datetime(table["ts_event"], unit="ns", utc=True))
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.drop(columns="ts_event").to_string(index=False))
    print(f"({len(table)} of {total:,} rows)")
    return 0


def _data_generate(catalog: Any, args: argparse.Namespace) -> int:
    from midfreq.data.synthetic import SyntheticMarketConfig, iter_bar_windows

    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    if not symbols:
        raise UserError(f"--symbols: expected comma-separated symbols, was {args.symbols!r}")
    if args.interval <= 0:
        raise UserError(f"--interval: expected a positive number of seconds, was {args.interval}")
    start_ns, end_ns = _day_range(args.start, args.end)
    assert start_ns is not None and end_ns is not None
    try:
        market = SyntheticMarketConfig(
            symbols=symbols, venue=args.venue, seed=args.seed, bar_interval_seconds=args.interval
        )
    except ValueError as exc:
        raise UserError(f"--symbols/--venue/--seed: {exc}") from None
    count = (end_ns + 1 - start_ns) // (args.interval * 10**9)
    written = 0
    for window in iter_bar_windows(market, start_ns, count):
        for bars in window:
            written += catalog.write_bars(bars, mode=args.mode)
    for iid in market.instrument_ids():
        catalog.set_asset_class(str(iid), "equity")
    print(f"wrote {written:,} synthetic bars for {', '.join(symbols)} into {catalog.root}/")
    return 0


def _logs(level: str, file: str | None) -> None:
    configure_logging(level, console=False, file_path=file)


def _kill_switch(args: argparse.Namespace) -> int:
    from midfreq.system.control import request_kill_switch

    pid = request_kill_switch(args.pid_file, args.reason)
    print(f"kill switch sent to midfreq run (process {pid}): trading halts, orders are cancelled")
    return 0


def _run(args: argparse.Namespace) -> int:
    from midfreq.system.config import load_system_config
    from midfreq.system.control import remove_pid_file, write_pid_file
    from midfreq.system.trading_system import TradingSystem

    if args.duration is not None and not args.duration > 0:
        raise UserError(f"--duration: expected a positive number of seconds, was {args.duration}")
    config = load_system_config(args.config)
    _logs(config.logging.level, config.logging.file)
    system = TradingSystem(config)
    write_pid_file(args.pid_file)
    try:
        summary = asyncio.run(_run_until_stopped(system, args.duration, args.pid_file))
    finally:
        remove_pid_file(args.pid_file)
    print()
    print("Stopped cleanly. Final summary:")
    for key, value in summary.items():
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        print(f"  {key:18} {shown}")
    return 0


async def _run_until_stopped(
    system: object, duration: float | None, pid_file: str | None = None
) -> dict[str, object]:
    from midfreq.system.control import KILL_SIGNAL, take_kill_request
    from midfreq.system.trading_system import TradingSystem

    assert isinstance(system, TradingSystem)
    await system.initialize()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    kills: set[asyncio.Task[None]] = set()

    async def fire_kill_switch() -> None:
        reason, actor = take_kill_request(pid_file or "")
        report = await system.kill_switch(reason, actor)
        print(
            f"\nKILL SWITCH by {actor}: {reason}; {len(report.orders)} working orders cancelled, "
            "trading HALTED",
            flush=True,
        )

    def on_kill_signal() -> None:
        task = loop.create_task(fire_kill_switch())
        kills.add(task)
        task.add_done_callback(kills.discard)

    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(KILL_SIGNAL, on_kill_signal)
    await system.start()
    assert system.config is not None
    interval = max(system.config.data_feed.update_frequency / 1000.0, 0.25)
    tty = sys.stdout.isatty()
    deadline = time.monotonic() + duration if duration is not None else None
    print(
        f"paper trading {', '.join(system.config.data_feed.symbols)} with "
        f"{', '.join(str(s.strategy_id) for s in system.kernel.strategies)} "  # type: ignore[union-attr]
        "(Ctrl-C to stop)",
        flush=True,
    )
    last_print = 0.0
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            if deadline is not None and time.monotonic() >= deadline:
                break
            if system.feed_finished:
                print("\nreplay finished", flush=True)
                break
            now = time.monotonic()
            if tty:
                print("\r" + system.status_line().ljust(120), end="", flush=True)
            elif now - last_print >= 1.0:
                print(system.status_line(), flush=True)
                last_print = now
    finally:
        summary = await system.stop()
    return summary


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
