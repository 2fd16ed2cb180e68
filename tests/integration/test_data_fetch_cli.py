"""`midfreq data fetch` downloads vendor history into the catalog (here from a local server
replaying the vendors' documented payloads)."""

from __future__ import annotations

from vendor_server import Reply

from midfreq.cli import main
from midfreq.data.catalog import ParquetCatalog

SERIES = {
    "2024-03-08 09:31:00": {
        "1. open": "100.0",
        "2. high": "100.5",
        "3. low": "99.9",
        "4. close": "100.2",
        "5. volume": "1500",
    },
    "2024-03-08 09:30:00": {
        "1. open": "99.8",
        "2. high": "100.1",
        "3. low": "99.7",
        "4. close": "100.0",
        "5. volume": "2500",
    },
}
INTRADAY = {
    "Meta Data": {
        "1. Information": "Intraday (1min) open, high, low, close prices and volume",
        "2. Symbol": "IBM",
        "3. Last Refreshed": "2024-03-08 09:31:00",
        "4. Interval": "1min",
        "5. Output Size": "Full size",
        "6. Time Zone": "US/Eastern",
    },
    "Time Series (1min)": SERIES,
}
SERIES_DATA = {
    "dataset_data": {
        "column_names": ["Date", "Open", "High", "Low", "Close", "Volume"],
        "data": [
            ["2024-01-03", 184.2, 185.9, 183.4, 184.3, 58414460.0],
            ["2024-01-02", 187.2, 188.4, 183.9, 185.6, 82488700.0],
        ],
    }
}


def test_fetch_alphavantage_into_the_catalog(server, tmp_path, monkeypatch, capsys) -> None:
    server.route("/query", {"function": "TIME_SERIES_INTRADAY"}, Reply(200, INTRADAY))
    monkeypatch.setenv("ALPHAVANTAGE_API_KEY", "AVKEY-secret-1")
    monkeypatch.setenv("MIDFREQ_ALPHAVANTAGE_URL", server.url)
    catalog = tmp_path / "catalog"
    argv = ["data", "--catalog", str(catalog), "fetch", "--provider", "alphavantage"]
    assert main([*argv, "--symbols", "IBM", "--months", "2024-03"]) == 0
    assert "fetched 2 bars for IBM" in capsys.readouterr().out
    bars = ParquetCatalog(catalog).read("bars", "IBM.SIM")
    # Bar starts 09:30 and 09:31 EST, stamped at their closes in UTC, oldest first.
    assert bars.ts_event.tolist() == [1709908260 * 10**9, 1709908320 * 10**9]
    assert bars.close.tolist() == [100.0, 100.2]
    assert server.requests[0].query["month"] == "2024-03"


def test_fetch_nasdaq_into_the_catalog(server, tmp_path, monkeypatch, capsys) -> None:
    server.route("/api/v3/datasets/EOD/AAPL/data.json", {}, Reply(200, SERIES_DATA))
    monkeypatch.setenv("NASDAQ_DATA_LINK_API_KEY", "NDLKEY-secret-2")
    monkeypatch.setenv("MIDFREQ_NASDAQ_URL", server.url + "/api/v3")
    catalog = tmp_path / "catalog"
    argv = ["data", "--catalog", str(catalog), "fetch", "--provider", "nasdaq", "--database"]
    assert main([*argv, "EOD", "--symbols", "AAPL", "--start", "2024-01-01"]) == 0
    assert "fetched 2 bars for AAPL" in capsys.readouterr().out
    bars = ParquetCatalog(catalog).read("bars", "AAPL.SIM")
    assert bars.close.tolist() == [185.6, 184.3]


def test_fetch_without_a_key_names_the_variable(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("ALPHAVANTAGE_API_KEY", raising=False)
    argv = ["data", "--catalog", str(tmp_path), "fetch", "--provider", "alphavantage"]
    assert main([*argv, "--symbols", "IBM", "--months", "2024-03"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ")
    assert "ALPHAVANTAGE_API_KEY" in err


ALPACA_PAGE = {
    "bars": [
        {"t": "2024-01-02T14:30:00Z", "o": 187.15, "h": 187.2, "l": 187.0, "c": 187.1, "v": 2000},
        {"t": "2024-01-02T14:31:00Z", "o": 187.1, "h": 187.3, "l": 187.05, "c": 187.25, "v": 900},
    ],
    "symbol": "AAPL",
    "next_page_token": None,
}


def test_fetch_alpaca_into_the_catalog(server, tmp_path, monkeypatch, capsys) -> None:
    server.route("/v2/stocks/AAPL/bars", {"timeframe": "1Min"}, Reply(200, ALPACA_PAGE))
    monkeypatch.setenv("APCA_API_KEY_ID", "AKID-secret-3")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "SECRET-secret-4")
    monkeypatch.setenv("MIDFREQ_ALPACA_URL", server.url)
    catalog = tmp_path / "catalog"
    argv = ["data", "--catalog", str(catalog), "fetch", "--provider", "alpaca", "--symbols"]
    assert main([*argv, "AAPL", "--start", "2024-01-02", "--end", "2024-01-02"]) == 0
    assert "fetched 2 bars for AAPL" in capsys.readouterr().out
    bars = ParquetCatalog(catalog).read("bars", "AAPL.SIM")
    # Alpaca stamps bars at their start; ours close one minute later.
    assert bars.ts_event.tolist() == [1704205860 * 10**9, 1704205920 * 10**9]
    assert server.requests[0].query["start"] == "2024-01-02T00:00:00Z"


def test_fetch_alpaca_needs_both_days(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("APCA_API_KEY_ID", "a")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "b")
    argv = ["data", "--catalog", str(tmp_path), "fetch", "--provider", "alpaca"]
    assert main([*argv, "--symbols", "AAPL", "--start", "2024-01-02"]) == 2
    assert "--start/--end" in capsys.readouterr().err
