"""The ``midfreq`` command: ``backtest``, ``run`` (paper trading) and ``strategies``.

A user mistake (missing file, bad YAML, unknown key or strategy, bad date) prints one line
``error: ...`` on stderr and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from midfreq import __version__
from midfreq.core.errors import UserError
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

    commands.add_parser("strategies", help="list the built-in strategies")
    return parser


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
        lines = (StrategyFactory.resolve(name).__doc__ or "").strip().splitlines()
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
    print(f"results written to {output}/ (orders, trades, round_trips, equity: .parquet and .csv)")
    return 0


def _logs(level: str, file: str | None) -> None:
    configure_logging(level, console=False, file_path=file)


def _run(args: argparse.Namespace) -> int:
    from midfreq.system.config import load_system_config
    from midfreq.system.trading_system import TradingSystem

    if args.duration is not None and not args.duration > 0:
        raise UserError(f"--duration: expected a positive number of seconds, was {args.duration}")
    config = load_system_config(args.config)
    _logs(config.logging.level, config.logging.file)
    system = TradingSystem(config)
    summary = asyncio.run(_run_until_stopped(system, args.duration))
    print()
    print("Stopped cleanly. Final summary:")
    for key, value in summary.items():
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        print(f"  {key:18} {shown}")
    return 0


async def _run_until_stopped(system: object, duration: float | None) -> dict[str, object]:
    from midfreq.system.trading_system import TradingSystem

    assert isinstance(system, TradingSystem)
    await system.initialize()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
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
