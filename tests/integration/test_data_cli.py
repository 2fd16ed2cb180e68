"""`midfreq data import|list|show|generate` and backtests that read the catalog."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from golden import GOLDEN_CONFIG

from midfreq.backtest.engine import BacktestEngine
from midfreq.cli import main
from midfreq.core.errors import ConfigError
from midfreq.data.calendars import TradingCalendar
from midfreq.data.catalog import ParquetCatalog
from midfreq.system.config import parse_system_config

CSV = """Date,Open,High,Low,Close,Volume
2024-01-02 09:31,100.0,101.0,99.5,100.5,1000
2024-01-02 09:32,100.5,101.2,100.1,101.0,1200
2024-01-02 09:33,notaprice,101.2,100.1,101.0,1200
2024-01-02 09:34,101.0,100.0,100.5,100.8,900
2024-01-02 09:35,101.0,101.5,100.5,100.8,900
"""


def test_import_stops_on_a_bad_row_and_writes_nothing(tmp_path, capsys) -> None:
    source = tmp_path / "aapl.csv"
    source.write_text(CSV)
    catalog = tmp_path / "catalog"
    code = main(["data", "--catalog", str(catalog), "import", str(source), "--symbol", "AAPL"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "row 2 (line 4): open: expected a number" in err
    assert "2 of 5 rows have problems" in err
    assert ParquetCatalog(catalog).entries() == []


def test_import_skip_writes_good_rows_and_a_rejects_file(tmp_path, capsys) -> None:
    source = tmp_path / "aapl.csv"
    source.write_text(CSV)
    catalog = tmp_path / "catalog"
    rejects = tmp_path / "rejects.csv"
    argv = ["data", "--catalog", str(catalog), "import", str(source), "--symbol", "AAPL"]
    argv += ["--tz", "America/New_York", "--on-error", "skip", "--rejects", str(rejects)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "imported 3 of 5 rows of bars for AAPL.SIM" in out
    assert "skipped 2 bad rows" in out
    bad = pd.read_csv(rejects)
    assert bad.row.tolist() == [2, 3]
    assert bad.problem.tolist()[1] == "high: expected high >= low"
    bars = ParquetCatalog(catalog).read("bars", "AAPL.SIM")
    # 09:31 New York (EST) is 14:31 UTC.
    assert pd.Timestamp(int(bars.ts_event[0]), tz="UTC") == pd.Timestamp("2024-01-02 14:31Z")
    assert bars.close.tolist() == [100.5, 101.0, 100.8]


SESSION_CSV = """time,open,high,low,close
2023-07-03 13:00,100.0,101.0,99.5,100.5
2023-07-03 13:01,100.5,101.2,100.1,101.0
2023-07-04 10:00,100.5,101.2,100.1,101.0
2023-07-05 09:31,100.5,101.2,100.1,101.0
2023-07-05 09:32,100.5,101.2,100.1,101.0
2023-07-05 16:01,100.5,101.2,100.1,101.0
"""


def test_import_with_a_calendar_warns_of_rows_outside_sessions(tmp_path, capsys) -> None:
    source = tmp_path / "aapl.csv"
    source.write_text(SESSION_CSV)
    argv = ["data", "--catalog", str(tmp_path / "catalog"), "import", str(source)]
    argv += ["--symbol", "AAPL", "--tz", "America/New_York", "--calendar", "XNYS"]
    argv += ["--bar-interval", "60"]

    assert main(argv) == 0

    captured = capsys.readouterr()
    assert "imported 6 of 6 rows of bars for AAPL.SIM" in captured.out
    # 13:01 after the early close, the Independence Day holiday, and after hours (EDT is UTC-4).
    assert captured.err.splitlines() == [
        "warning: 3 rows outside XNYS sessions (kept); first: "
        "row 1 at 2023-07-03T17:01:00+00:00, row 2 at 2023-07-04T14:00:00+00:00, "
        "row 5 at 2023-07-05T20:01:00+00:00"
    ]


def test_import_can_reject_rows_outside_sessions(tmp_path, capsys) -> None:
    source = tmp_path / "aapl.csv"
    source.write_text(SESSION_CSV)
    catalog = tmp_path / "catalog"
    argv = ["data", "--catalog", str(catalog), "import", str(source), "--symbol", "AAPL"]
    argv += ["--tz", "America/New_York", "--calendar", "XNYS", "--outside-session", "reject"]
    argv += ["--bar-interval", "60"]

    assert main(argv) == 2
    assert "row 1 (line 3): time: outside XNYS session" in capsys.readouterr().err
    assert main([*argv, "--on-error", "skip"]) == 0

    out = capsys.readouterr().out
    assert "imported 3 of 6 rows" in out
    assert "skipped 3 bad rows" in out
    assert pd.read_csv(f"{source}.rejects.csv").row.tolist() == [1, 2, 5]
    assert len(ParquetCatalog(catalog).read("bars", "AAPL.SIM")) == 3


def test_generate_list_and_show(tmp_path, capsys) -> None:
    catalog = str(tmp_path / "catalog")
    argv = ["data", "--catalog", catalog, "generate", "--symbols", "AAA,BBB"]
    assert main([*argv, "--start", "2024-01-01", "--end", "2024-01-02", "--interval", "600"]) == 0
    assert "wrote 576 synthetic bars for AAA, BBB" in capsys.readouterr().out
    assert main(["data", "--catalog", catalog, "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[1].split()[:3] == ["AAA.SIM", "equity", "bars"]
    assert listing[1].split()[-1] == "288"
    assert main(["data", "--catalog", catalog, "show", "BBB", "--rows", "4"]) == 0
    shown = capsys.readouterr().out
    assert "(4 of 288 rows)" in shown
    assert "2024-01-01 00:10:00+00:00" in shown


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["show", "NOPE"], "symbol: expected one of"),
        (["show", "AAA", "--start", "2024-13-01"], "--start"),
        (
            ["generate", "--symbols", "", "--start", "2024-01-01", "--end", "2024-01-01"],
            "--symbols",
        ),
        (["import", "missing.csv", "--symbol", "AAA"], "no such file"),
        (["import", "x.txt", "--symbol", "AAA"], "expected a file ending in"),
        (["import", "{csv}", "--symbol", "AAA", "--columns", "close"], "--columns"),
        (["import", "{csv}", "--symbol", "AAA", "--tz", "Mars/Base"], "tz"),
        (
            ["import", "{csv}", "--symbol", "AAA", "--calendar", "XNYZ"],
            "--calendar: expected an exchange-calendars name such as XNYS",
        ),
        (
            ["import", "{csv}", "--symbol", "AAA", "--outside-session", "reject"],
            "--outside-session: expected 'keep' unless --calendar is given, was 'reject'",
        ),
        (
            ["import", "{csv}", "--symbol", "AAA", "--calendar", "XNYS", "--bar-interval", "0"],
            "--bar-interval: expected a positive number of seconds, was 0.0",
        ),
        (
            ["import", "{csv}", "--symbol", "AAA", "--calendar", "XNYS", "--bar-interval", "nan"],
            "--bar-interval: expected a positive number of seconds",
        ),
    ],
)
def test_data_command_mistakes_give_one_line(tmp_path, capsys, argv, expected) -> None:
    source = tmp_path / "aapl.csv"
    source.write_text(CSV)
    (tmp_path / "x.txt").write_text("x")
    catalog = str(tmp_path / "catalog")
    main(
        [
            "data",
            "--catalog",
            catalog,
            "generate",
            "--symbols",
            "AAA",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-01",
            "--interval",
            "3600",
        ]
    )
    capsys.readouterr()
    argv = [a.replace("{csv}", str(source)) for a in argv]
    if argv[0] == "import" and not argv[1].startswith("/"):
        argv[1] = str(tmp_path / argv[1])
    assert main(["data", "--catalog", catalog, *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: ")
    assert expected in err[0]


def test_backtest_from_the_catalog_equals_the_same_bars_generated(tmp_path) -> None:
    catalog = str(tmp_path / "catalog")
    settings = GOLDEN_CONFIG["backtest"]
    code = main(
        [
            "data",
            "--catalog",
            catalog,
            "generate",
            "--symbols",
            "AAA,BBB,CCC",
            "--start",
            settings["start_date"],
            "--end",
            settings["end_date"],
            "--interval",
            str(settings["data"]["bar_interval_seconds"]),
            "--seed",
            "2024",
        ]
    )
    assert code == 0
    synthetic = copy.deepcopy(GOLDEN_CONFIG)
    # The generated data uses the default market (initial prices 100), like the catalog.
    synthetic["data_feed"]["synthetic"] = {"seed": 2024}
    from_catalog = copy.deepcopy(synthetic)
    from_catalog["backtest"]["data"]["source"] = "catalog"
    from_catalog["catalog"] = {"path": catalog}
    expected = BacktestEngine(parse_system_config(synthetic)).run_backtest()
    actual = BacktestEngine(parse_system_config(from_catalog)).run_backtest()
    assert actual.bars_processed == expected.bars_processed == 3 * 864
    pd.testing.assert_frame_equal(actual.fills, expected.fills)
    assert actual.portfolio == expected.portfolio


def test_backtest_from_an_empty_catalog_names_the_missing_symbol(tmp_path) -> None:
    data = copy.deepcopy(GOLDEN_CONFIG)
    data["backtest"]["data"]["source"] = "catalog"
    data["catalog"] = {"path": str(tmp_path / "empty")}
    with pytest.raises(ConfigError) as info:
        BacktestEngine(parse_system_config(data)).run_backtest()
    assert info.value.field == "data_feed.symbols"
    assert info.value.value == "AAA.SIM"
    assert "midfreq data import" in info.value.expected


def test_backtest_on_a_synthetic_exchange_calendar_trades_only_in_sessions() -> None:
    data = copy.deepcopy(GOLDEN_CONFIG)
    data["data_feed"]["synthetic"]["calendar"] = "XNYS"
    data["backtest"]["start_date"] = "2024-07-01"
    data["backtest"]["end_date"] = "2024-07-05"
    result = BacktestEngine(parse_system_config(data)).run_backtest()
    # Jul 1, 2, 3 (early close), 5; Jul 4 closed: (78 + 78 + 42 + 78) five-minute bars x 3.
    assert result.bars_processed == 3 * (78 + 78 + 42 + 78)
    calendar = TradingCalendar.get("XNYS")
    fills = result.fills
    assert len(fills) > 0
    ts = fills.ts_event.to_numpy()
    assert calendar.is_open_array(ts - 1).all()  # every fill lands on a bar inside a session
