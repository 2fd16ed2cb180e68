"""Paper trade for a few seconds with the original spec's `TradingSystem` API and print status.

Run: python examples/system_monitoring.py [SECONDS]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from midfreq.main import TradingSystem

ROOT = Path(__file__).resolve().parents[1]


async def monitor(seconds: float) -> dict[str, object]:
    """Start the system, report its status every second, then stop it cleanly."""
    system = TradingSystem(ROOT / "config" / "config.example.yaml")
    await system.initialize()
    await system.start()
    for _ in range(int(seconds)):
        await asyncio.sleep(1.0)
        status = system.get_system_status()
        print(f"System running: {status['is_running']}")
        print(f"Active strategies: {len(status['strategies'])}")
        print(f"Risk: {status['risk_metrics']['trading_state']}, {system.status_line()}")
    return await system.stop()


if __name__ == "__main__":
    summary = asyncio.run(monitor(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0))
    print(summary)
