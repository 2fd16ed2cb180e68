"""Backtest data outside exchange sessions: `SessionCheck` on hand-picked bars (a holiday, an
early close, after hours) and a catalog backtest that keeps, drops or refuses such bars and
reports them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from midfreq.backtest.engine import BacktestEngine
from midfreq.backtest.sessions import SessionCheck
from midfreq.cli import main
from midfreq.core.errors import ConfigError, DataError
from midfreq.data.bars import BarArrays
from midfreq.model.identifiers import InstrumentId
from midfreq.system.config import parse_system_config

AAA = InstrumentId("AAA.SIM")
MINUTE = 60 * 10**9

# Bar close times (UTC) with whether a 1-minute bar closing then is inside an XNYS session.
CASES = [
    ("2023-07-03 15:00", True),  # Monday before Independence Day, regular session (EDT)
    ("2023-07-03 17:00", True),  # early close day: 13:00 New York = 17:00 UTC, last bar
    ("2023-07-03 17:01", False),  # just after that early close
    ("2023-07-04 15:00", False),  # Independence Day holiday
    ("2023-11-22 14:30", False),  # 09:29-09:30 New York (EST since November 5): before the open
    ("2023-11-22 14:31", True),  # the first minute bar, 09:30-09:31
    ("2023-11-22 21:00", True),  # last bar of a regular day, closes at 16:00 New York
    ("2023-11-22 21:01", False),  # after hours
    ("2023-11-23 15:00", False),  # Thanksgiving
    ("2023-11-24 18:00", True),  # day after Thanksgiving closes at 13:00 New York = 18:00 UTC
    ("2023-11-24 18:01", False),
]


def _bars(stamps: list[str]) -> BarArrays:
    ts = np.array([pd.Timestamp(s, tz="UTC").value for s in stamps], dtype=np.int64)
    one = np.ones(len(ts))
    return BarArrays(AAA, ts, one, one, one, one, one)


def test_keep_flags_the_bars_outside_sessions_and_keeps_them() -> None:
    check = SessionCheck("XNYS", MINUTE, "keep")

    (kept,) = check.apply([_bars([s for s, _ in CASES])])

    assert len(kept) == len(CASES)
    assert check.outside == sum(not inside for _, inside in CASES) == 6
    report = check.report()
    assert report["by_instrument"] == {"AAA.SIM": 6}
    assert report["first_outside_session"] == {
        "instrument_id": "AAA.SIM",
        "ts": "2023-07-03T17:01:00+00:00",
    }


def test_drop_removes_exactly_the_bars_outside_sessions() -> None:
    check = SessionCheck("XNYS", MINUTE, "drop")

    (kept,) = check.apply([_bars([s for s, _ in CASES])])

    expected = [pd.Timestamp(s, tz="UTC").value for s, inside in CASES if inside]
    assert kept.ts.tolist() == expected
    assert check.outside == 6


def test_error_names_the_first_bar_outside_a_session() -> None:
    check = SessionCheck("XNYS", MINUTE, "error")
    check.apply([_bars(["2023-11-22 15:00"])])

    with pytest.raises(DataError, match=r"AAA.SIM: bar at 2023-11-23T15:00:00\+00:00 is outside"):
        check.apply([_bars(["2023-11-22 16:00", "2023-11-23 15:00", "2023-11-23 16:00"])])


# ---- a backtest over the catalog --------------------------------------------------------------
@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("sessions") / "catalog")
    argv = ["data", "--catalog", path, "generate", "--symbols", "AAA", "--seed", "5"]
    # Round-the-clock 5-minute bars, Monday 2024-03-04 to Wednesday 2024-03-06.
    assert main([*argv, "--start", "2024-03-04", "--end", "2024-03-06", "--interval", "300"]) == 0
    return path


def _engine(catalog: str, **data: object) -> BacktestEngine:
    config = parse_system_config(
        {
            "data_feed": {"symbols": ["AAA"]},
            "catalog": {"path": catalog},
            "strategies": {"momentum": {"fast_period": 5, "slow_period": 20}},
            "backtest": {
                "start_date": "2024-03-04",
                "end_date": "2024-03-06",
                "data": {"source": "catalog", "bar_interval_seconds": 300, **data},
            },
            "logging": {"file": None},
        }
    )
    return BacktestEngine(config)


# XNYS is open 14:30-21:00 UTC in early March (EST): 78 five-minute bars a day of 288.
INSIDE_PER_DAY, BARS_PER_DAY = 78, 288


def test_a_catalog_backtest_reports_bars_outside_sessions_and_keeps_them(catalog: str) -> None:
    result = _engine(catalog, calendar="XNYS").run_backtest()

    assert result.bars_processed == 3 * BARS_PER_DAY
    assert result.data_quality["bars_outside_session"] == 3 * (BARS_PER_DAY - INSIDE_PER_DAY)
    assert result.summary()["data_quality"]["outside_session_action"] == "keep"


def test_a_catalog_backtest_can_drop_bars_outside_sessions(catalog: str) -> None:
    result = _engine(catalog, calendar="XNYS", outside_session="drop").run_backtest()

    assert result.bars_processed == 3 * INSIDE_PER_DAY
    assert result.data_quality["bars_outside_session"] == 3 * (BARS_PER_DAY - INSIDE_PER_DAY)
    hours = pd.to_datetime(result.fills["ts_event"], unit="ns", utc=True).dt.hour
    assert hours.between(14, 21).all()


def test_without_a_calendar_nothing_is_checked(catalog: str) -> None:
    result = _engine(catalog).run_backtest()

    assert result.bars_processed == 3 * BARS_PER_DAY
    assert result.data_quality == {}


def test_the_cli_warns_about_bars_outside_sessions_and_errors_in_error_mode(
    catalog: str, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(mode: str) -> int:
        config = {
            "data_feed": {"symbols": ["AAA"]},
            "catalog": {"path": catalog},
            "strategies": {"momentum": {}},
            "backtest": {
                "start_date": "2024-03-04",
                "end_date": "2024-03-06",
                "output_dir": str(tmp_path / "out"),
                "data": {
                    "source": "catalog",
                    "bar_interval_seconds": 300,
                    "calendar": "XNYS",
                    "outside_session": mode,
                },
            },
            "logging": {"file": None},
        }
        path = tmp_path / f"{mode}.yaml"
        path.write_text(yaml.safe_dump(config))
        return main(["backtest", "--config", str(path)])

    assert run("keep") == 0
    out = capsys.readouterr().out
    assert "warning: 630 bars outside XNYS sessions (keep; first AAA.SIM at 2024-03-04T00:05" in out

    assert run("error") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: AAA.SIM: bar at 2024-03-04T00:05:00+00:00 is outside the XNYS")
    assert "Traceback" not in err


def test_an_unknown_calendar_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"backtest.data.calendar.*XNYZ"):
        parse_system_config({"backtest": {"data": {"source": "catalog", "calendar": "XNYZ"}}})


def test_daily_bars_are_inside_on_session_days_only() -> None:
    # Daily bars stamped at 21:00 UTC: a whole day never fits inside one session, so daily
    # bars are judged by their date; 2023-07-04 (holiday) and 2023-07-08 (Saturday) are out.
    check = SessionCheck("XNYS", 86_400 * 10**9, "drop", tz="America/New_York")
    days = ["2023-07-03", "2023-07-04", "2023-07-05", "2023-07-07", "2023-07-08"]

    (kept,) = check.apply([_bars([f"{d} 21:00" for d in days])])

    expected = [
        pd.Timestamp(f"{d} 21:00", tz="UTC").value
        for d in days
        if d not in ("2023-07-04", "2023-07-08")
    ]
    assert kept.ts.tolist() == expected
    assert check.outside == 2


def test_bars_before_the_calendars_default_range_are_checked_not_refused() -> None:
    check = SessionCheck("XNYS", MINUTE, "keep")
    (kept,) = check.apply([_bars(["1995-03-01 15:00", "1995-03-04 15:00"])])  # Wed, Sat

    assert len(kept) == 2 and check.outside == 1
