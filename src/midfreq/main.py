"""Entry points in the original spec's shape: ``from midfreq.main import TradingSystem`` and
``python -m midfreq.main`` (same as ``midfreq run --config config/config.yaml``)."""

from __future__ import annotations

import sys

from midfreq.cli import main as cli_main
from midfreq.system.trading_system import TradingSystem

__all__ = ["TradingSystem", "main"]


def main() -> int:
    """Paper trade with ``config/config.yaml`` (or the example config if it is absent)."""
    from pathlib import Path

    config = (
        "config/config.yaml"
        if Path("config/config.yaml").exists()
        else ("config/config.example.yaml")
    )
    return cli_main(["run", "--config", config, *sys.argv[1:]])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
