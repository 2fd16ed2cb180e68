"""`midfreq data fetch` downloads vendor history into the catalog (here from a local server
replaying the vendors' documented payloads)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from vendor_server import Reply, VendorServer

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


@pytest.fixture
def server() -> Iterator[VendorServer]:
    with VendorServer() as running:
        yield running


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
