"""Paper trading can replay a catalog range: at full speed it sends exactly the orders a
backtest over the same bars sends, and `midfreq run` stops by itself when the replay ends."""

from __future__ import annotations

import asyncio
import copy
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from golden import GOLDEN_CONFIG

from midfreq.backtest.engine import BacktestEngine
from midfreq.cli import main
from midfreq.core.errors import ConfigError
from midfreq.model.events import OrderEvent, OrderFilled
from midfreq.system.config import parse_system_config
from midfreq.system.trading_system import TradingSystem


@pytest.fixture
def catalog(tmp_path) -> str:
    path = str(tmp_path / "catalog")
    argv = ["data", "--catalog", path, "generate", "--symbols", "AAA,BBB,CCC", "--seed", "2024"]
    assert main([*argv, "--start", "2024-03-04", "--end", "2024-03-06", "--interval", "300"]) == 0
    return path


def _config(catalog: str, speed: object = "max") -> dict:
    data = copy.deepcopy(GOLDEN_CONFIG)
    data["data_feed"]["synthetic"] = {"seed": 2024}
    data["catalog"] = {"path": catalog}
    data["backtest"]["data"]["source"] = "catalog"
    data["data_feed"]["provider"] = "catalog"
    data["data_feed"]["replay"] = {
        "start_date": "2024-03-04",
        "end_date": "2024-03-06",
        "speed": speed,
    }
    return data


def test_replay_at_full_speed_matches_the_backtest(catalog) -> None:
    config = parse_system_config(_config(catalog))
    backtest = BacktestEngine(config).run_backtest()
    system = TradingSystem(config)
    fills: list[OrderFilled] = []

    def record(event: OrderEvent) -> None:
        if isinstance(event, OrderFilled):
            fills.append(event)

    async def session() -> None:
        await system.initialize()
        assert system.kernel is not None
        system.kernel.bus.subscribe("events.order.*", record)
        await system.start()
        await asyncio.wait_for(system.wait_until_done(), timeout=60)
        await system.stop()

    asyncio.run(session())
    assert system.processed == backtest.bars_processed == 3 * 864
    replayed = [(str(f.client_order_id), f.last_qty, f.last_px, f.ts_event) for f in fills]
    expected = list(
        backtest.fills[["client_order_id", "quantity", "price", "ts_event"]].itertuples(
            index=False, name=None
        )
    )
    assert len(expected) > 100
    assert replayed == expected


def test_run_replays_and_stops_by_itself(catalog, tmp_path) -> None:
    data = _config(catalog)
    data["logging"] = {"file": str(tmp_path / "replay.log")}
    path = tmp_path / "replay.yaml"
    path.write_text(yaml.safe_dump(data))
    completed = subprocess.run(
        [sys.executable, "-m", "midfreq", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "replay finished" in completed.stdout
    summary = completed.stdout.split("Final summary:")[1]
    assert "market_data        2592" in summary


@pytest.mark.parametrize(
    ("replay", "field"),
    [
        (None, "data_feed.replay"),
        ({"start_date": "2024-03-04", "end_date": "2024-03-01"}, "data_feed.replay.end_date"),
        (
            {"start_date": "2024-03-04", "end_date": "2024-03-05", "speed": 0},
            "data_feed.replay.speed",
        ),
        (
            {"start_date": "2024-03-04", "end_date": "2024-03-05", "speed": "fast"},
            "data_feed.replay.speed",
        ),
    ],
)
def test_replay_config_mistakes(replay, field) -> None:
    data = {"data_feed": {"provider": "catalog", "symbols": ["AAA"]}}
    if replay is not None:
        data["data_feed"]["replay"] = replay
    with pytest.raises(ConfigError) as info:
        parse_system_config(data, "x.yaml")
    assert info.value.field.startswith(field)


def test_replay_of_a_symbol_missing_from_the_catalog_is_refused(catalog) -> None:
    data = _config(catalog)
    data["data_feed"]["symbols"] = ["AAA", "ZZZ"]
    data["data_feed"]["synthetic"] = {}
    del data["strategies"]
    system = TradingSystem(parse_system_config(data))
    with pytest.raises(ConfigError) as info:
        asyncio.run(system.initialize())
    assert info.value.value == "ZZZ.SIM"


def test_equity_frame_times_follow_the_data(catalog) -> None:
    config = parse_system_config(_config(catalog))
    system = TradingSystem(config)

    async def session() -> None:
        await system.initialize()
        await system.start()
        await asyncio.wait_for(system.wait_until_done(), timeout=60)
        await system.stop()

    asyncio.run(session())
    assert system.kernel is not None
    last = pd.Timestamp(system.kernel.clock.timestamp_ns(), tz="UTC")
    assert last == pd.Timestamp("2024-03-07 00:00", tz="UTC")
