"""`SystemConfig` from YAML files: the two example configs load, and every mistake is one
`ConfigError` naming the key, the file, the value and what was expected. Also instrument
building (precisions, futures, options, currency pairs) and environment substitution."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from midfreq.core.errors import ConfigError
from midfreq.model.enums import AssetClass, OptionRight, TradingState
from midfreq.model.identifiers import InstrumentId
from midfreq.model.instruments import CurrencyPair, Future, Instrument, Option
from midfreq.system.config import (
    InstrumentConfig,
    SystemConfig,
    load_system_config,
    parse_system_config,
)

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"
NS = 1_000_000_000
TOP_LEVEL_KEYS = (
    "trader_id, account, instruments, data_feed, strategies, risk_management, venue, logging, "
    "backtest"
)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write YAML text to ``system.yaml`` in a temporary directory and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "system.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _load_error(write_config: Callable[[str], Path], text: str) -> tuple[ConfigError, Path]:
    path = write_config(text)
    with pytest.raises(ConfigError) as raised:
        load_system_config(path)
    return raised.value, path


# ---- the example files ------------------------------------------------------------------------
def test_backtest_example_loads():
    path = CONFIG_DIR / "backtest.example.yaml"
    config = load_system_config(path)

    assert config.source == str(path)
    assert config.trader_id == "backtest-001"
    assert config.data_feed.symbols == ["AAPL", "MSFT", "GOOGL"]
    assert set(config.enabled_strategies()) == {"mean_reversion", "momentum"}
    assert config.strategies["mean_reversion"]["z_score_threshold"] == 2.0
    assert (config.backtest.start_date, config.backtest.end_date) == (
        dt.date(2023, 1, 1),
        dt.date(2023, 3, 31),
    )
    assert config.backtest.data.bar_interval_seconds == 300
    assert (config.venue.market_fill, config.venue.fees.model, config.venue.fees.rate) == (
        "next_open",
        "per_share",
        0.005,
    )
    synthetic = config.synthetic_market()
    assert (synthetic.seed, synthetic.symbols, synthetic.venue) == (
        7,
        config.data_feed.symbols,
        "SIM",
    )
    assert synthetic.initial_prices["MSFT"] == 370.0


def test_paper_example_loads():
    config = load_system_config(CONFIG_DIR / "config.example.yaml")

    assert config.trader_id == "paper-001"
    assert config.data_feed.symbols == ["AAPL", "MSFT", "GOOGL", "AMZN"]
    assert config.data_feed.update_frequency == 250
    assert config.strategies["momentum"]["slow_period"] == 40
    assert config.venue.latency_ms == 5
    assert config.synthetic_market().quotes_per_second == 4
    gate = config.risk_management.gate()
    assert (gate.max_order_quantity, gate.max_position_notional, gate.max_gross_exposure) == (
        1000,
        150000,
        800000,
    )
    assert config.risk_management.manager().max_drawdown == 0.10
    assert [i.id for i in config.instrument_list()] == [
        InstrumentId(f"{s}.SIM") for s in ("AAPL", "MSFT", "GOOGL", "AMZN")
    ]


def test_an_empty_file_gives_the_defaults(write_config):
    config = load_system_config(write_config(""))
    assert config.model_dump(exclude={"source"}) == SystemConfig().model_dump(exclude={"source"})
    assert config.risk_management.gate().trading_state is TradingState.ACTIVE


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="expected an existing YAML file"):
        load_system_config(tmp_path / "nope.yaml")


# ---- unknown keys -----------------------------------------------------------------------------
def test_unknown_top_level_key_names_key_file_and_known_keys(write_config):
    error, path = _load_error(write_config, "trader_id: t\nstrategys: {}\n")

    assert (error.field, error.value, error.source) == ("strategys", {}, str(path))
    assert error.expected.startswith(f"one of the known keys: {TOP_LEVEL_KEYS}")
    assert str(error).startswith(f"strategys in {path}: expected one of the known keys: ")


@pytest.mark.parametrize(
    ("text", "field", "known"),
    [
        ("risk_management: {max_drawdon: 0.1}", "risk_management.max_drawdon", "max_drawdown"),
        ("venue: {fees: {modle: bps}}", "venue.fees.modle", "model, rate, minimum"),
        ("account: {cash: 5}", "account.cash", "starting_cash, currency"),
        ("instruments: [{symbol: A, tick: 0.5}]", "instruments[0].tick", "tick_size"),
        ("backtest: {data: {sourc: files}}", "backtest.data.sourc", "source, bar_interval"),
        ("logging: {levle: INFO}", "logging.levle", "level, file"),
    ],
)
def test_unknown_nested_key_names_its_dotted_path_file_and_known_keys(
    write_config, text, field, known
):
    error, path = _load_error(write_config, text + "\n")

    assert error.field == field
    assert error.source == str(path)
    assert error.expected.startswith("one of the known keys: ")
    assert known in error.expected
    assert str(error).startswith(f"{field} in {path}: expected one of the known keys")


def test_unknown_synthetic_market_key_is_named_under_data_feed_synthetic(write_config):
    error, path = _load_error(write_config, "data_feed:\n  synthetic: {seeed: 3}\n")

    assert (error.field, error.value, error.source) == ("data_feed.synthetic.seeed", 3, str(path))
    assert "seed, initial_prices" in error.expected


def test_bad_synthetic_market_value_is_named_under_data_feed_synthetic(write_config):
    error, _ = _load_error(write_config, "data_feed:\n  synthetic: {correlation: 2}\n")
    assert (error.field, error.value) == ("data_feed.synthetic.correlation", 2)
    assert error.expected == "less than or equal to 1"


# ---- bad values -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "field", "value", "expected"),
    [
        (
            "account: {starting_cash: lots}",
            "account.starting_cash",
            "lots",
            "a valid number, unable to parse string as a number",
        ),
        ("account: {starting_cash: -5}", "account.starting_cash", -5, "greater than 0"),
        ("data_feed: {symbols: AAPL}", "data_feed.symbols", "AAPL", "a valid list"),
        ("data_feed: {symbols: []}", "data_feed.symbols", [], None),
        ("data_feed: {update_frequency: 0}", "data_feed.update_frequency", 0, "greater than 0"),
        ("risk_management: {max_drawdown: 1.5}", "risk_management.max_drawdown", 1.5, None),
        ("venue: {market_fill: open}", "venue.market_fill", "open", None),
        ("strategies: {momentum: 5}", "strategies.momentum", 5, None),
        ("account: {currency: US D}", "account.currency", "US D", "a currency code like"),
        ("instruments: [{symbol: A, currency: US-D}]", "instruments[0].currency", "US-D", None),
        ("instruments: [{symbol: A, tick_size: 0}]", "instruments[0].tick_size", 0, None),
        ("instruments: [{tick_size: 0.5}]", "instruments[0].symbol", None, "a value (required)"),
    ],
)
def test_bad_values_name_key_file_value_and_expectation(write_config, text, field, value, expected):
    error, path = _load_error(write_config, text + "\n")

    assert error.field == field
    assert error.source == str(path)
    if value is not None:
        assert error.value == value
    if expected is not None:
        assert error.expected.startswith(expected)
    assert str(error).startswith(f"{field} in {path}: expected ")


def test_bad_quoted_date_names_the_key(write_config):
    error, path = _load_error(write_config, "backtest: {start_date: '2023-13-01'}\n")
    assert (error.field, error.value, error.source) == (
        "backtest.start_date",
        "2023-13-01",
        str(path),
    )
    assert error.expected.startswith("a valid date")


def test_bad_unquoted_date_is_a_config_error(write_config):
    error, path = _load_error(write_config, "backtest:\n  start_date: 2023-02-30\n")
    assert error.source == str(path)
    assert (error.field, error.value) == ("backtest.start_date", "2023-02-30")


def test_end_date_before_start_date_is_refused(write_config):
    error, path = _load_error(
        write_config, "backtest:\n  start_date: 2023-03-01\n  end_date: 2023-02-01\n"
    )
    assert (error.field, error.value, error.source) == (
        "backtest.end_date",
        "2023-02-01",  # as written in the file
        str(path),
    )
    assert error.expected == "a date on or after start_date 2023-03-01"


def test_end_date_equal_to_start_date_is_accepted(write_config):
    config = load_system_config(
        write_config("backtest:\n  start_date: 2023-03-01\n  end_date: 2023-03-01\n")
    )
    assert config.backtest.end_date == dt.date(2023, 3, 1)


def test_data_file_for_a_symbol_outside_the_feed_is_refused(write_config):
    error, path = _load_error(
        write_config,
        "data_feed: {symbols: [AAPL, MSFT]}\n"
        "backtest:\n  data:\n    source: files\n    files: {AAPL: a.csv, TSLA: t.csv}\n",
    )
    assert (error.field, error.value, error.source) == (
        "backtest.data.files.TSLA",
        "TSLA",
        str(path),
    )
    assert error.expected == "one of data_feed.symbols (AAPL, MSFT)"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("venue: {day_timezone: Mars/Olympus}", "venue.day_timezone"),
        ("venue: {day_timezone: EST+5}", "venue.day_timezone"),
        ("backtest: {data: {timezone: Mars/Olympus}}", "backtest.data.timezone"),
    ],
)
def test_invalid_time_zone_is_refused(write_config, text, field):
    error, path = _load_error(write_config, text + "\n")
    assert error.field == field
    assert error.source == str(path)
    assert error.expected == "an IANA time zone such as 'America/New_York'"


def test_valid_time_zones_are_accepted():
    config = parse_system_config(
        {
            "venue": {"day_timezone": "America/New_York"},
            "backtest": {"data": {"timezone": "Asia/Tokyo"}},
        }
    )
    assert (config.venue.day_timezone, config.backtest.data.timezone) == (
        "America/New_York",
        "Asia/Tokyo",
    )


# ---- environment variables --------------------------------------------------------------------
def test_environment_variables_fill_secrets_and_values(write_config, monkeypatch):
    monkeypatch.setenv("MIDFREQ_TEST_API_KEY", "k-123")
    monkeypatch.setenv("MIDFREQ_TEST_CASH", "250000")
    monkeypatch.delenv("MIDFREQ_TEST_TRADER", raising=False)
    path = write_config(
        "trader_id: ${MIDFREQ_TEST_TRADER:-paper-env}\n"
        "account: {starting_cash: '${MIDFREQ_TEST_CASH}'}\n"
        "strategies:\n"
        "  custom:\n"
        "    class: pkg.module:Custom\n"
        "    api_key: ${MIDFREQ_TEST_API_KEY}\n"
        "    note: $${NOT_SUBSTITUTED}\n"
    )

    config = load_system_config(path)

    assert config.trader_id == "paper-env"
    assert config.account.starting_cash == 250_000.0
    assert config.strategies["custom"]["api_key"] == "k-123"
    assert config.strategies["custom"]["note"] == "${NOT_SUBSTITUTED}"
    assert "k-123" not in path.read_text()


def test_an_unset_environment_variable_names_the_key_and_file(write_config, monkeypatch):
    monkeypatch.delenv("MIDFREQ_TEST_UNSET", raising=False)
    error, path = _load_error(
        write_config, "strategies:\n  custom:\n    api_secret: ${MIDFREQ_TEST_UNSET}\n"
    )
    assert (error.field, error.value, error.source) == (
        "strategies.custom.api_secret",
        "${MIDFREQ_TEST_UNSET}",
        str(path),
    )
    assert error.expected == "environment variable MIDFREQ_TEST_UNSET to be set"


# ---- instruments ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tick_size", "lot_size", "price_precision", "size_precision"),
    [
        (0.25, 1, 2, 0),
        (0.01, 0.001, 2, 3),
        (0.5, 10, 1, 0),
        (0.00001, 0.0001, 5, 4),
        (5, 100, 0, 0),
        (0.1, 0.5, 1, 1),
    ],
)
def test_precisions_follow_from_tick_and_lot_sizes(
    tick_size, lot_size, price_precision, size_precision
):
    instrument = InstrumentConfig(symbol="X", tick_size=tick_size, lot_size=lot_size).build()
    assert type(instrument) is Instrument
    assert instrument.asset_class is AssetClass.EQUITY
    assert (instrument.price_precision, instrument.size_precision) == (
        price_precision,
        size_precision,
    )
    assert (instrument.tick_size, instrument.lot_size) == (tick_size, lot_size)


def test_future_is_built_with_underlying_expiry_and_multiplier():
    future = InstrumentConfig(
        symbol="ESZ4",
        venue="CME",
        asset_class="future",
        tick_size=0.25,
        multiplier=50,
        underlying="ES",
        expiry="2024-12-20",
    ).build()
    assert isinstance(future, Future)
    assert future.id == InstrumentId("ESZ4.CME")
    assert (future.underlying, future.multiplier, future.price_precision) == ("ES", 50, 2)
    assert future.expiry_ns == 1_734_652_800 * NS  # 2024-12-20T00:00:00Z


@pytest.mark.parametrize("missing", [{"expiry": "2024-12-20"}, {"underlying": "ES"}, {}])
def test_future_needs_underlying_and_expiry(write_config, missing):
    entry = ", ".join(
        f"{k}: {v}" for k, v in {"symbol": "ESZ4", "asset_class": "future", **missing}.items()
    )
    error, path = _load_error(write_config, f"instruments: [{{{entry}}}]\n")
    assert error.field == "instruments[ESZ4].underlying/expiry"
    assert error.expected == "both set for a future"
    assert error.source == str(path)


def test_option_is_built_with_all_its_fields():
    option = InstrumentConfig(
        symbol="AAPL241220C00200000",
        asset_class="option",
        underlying="AAPL",
        expiry="2024-12-20",
        strike=200,
        right="call",
        multiplier=100,
    ).build()
    assert isinstance(option, Option)
    assert option.underlying == InstrumentId("AAPL.SIM")
    assert (option.strike, option.right, option.multiplier) == (200.0, OptionRight.CALL, 100)
    assert option.expiry_ns == 1_734_652_800 * NS


OPTION = {"underlying": "AAPL.XNAS", "expiry": "2024-12-20", "strike": 200, "right": "put"}


@pytest.mark.parametrize("dropped", sorted(OPTION))
def test_option_needs_every_field(write_config, dropped):
    fields = {k: v for k, v in OPTION.items() if k != dropped}
    entry = ", ".join(
        f"{k}: {v}" for k, v in {"symbol": "OPT", "asset_class": "option", **fields}.items()
    )
    error, path = _load_error(write_config, f"instruments: [{{{entry}}}]\n")
    assert error.field == "instruments[OPT].underlying/expiry/strike/right"
    assert error.expected == "all set for an option"
    assert error.source == str(path)


@pytest.mark.parametrize(
    ("entry", "asset_class", "base", "quote"),
    [
        ({"symbol": "BTCUSDT", "currency": "USDT"}, AssetClass.CRYPTO, "BTC", "USDT"),
        ({"symbol": "DOGEUSDT", "currency": "USDT"}, AssetClass.CRYPTO, "DOGE", "USDT"),
        ({"symbol": "DOGE/USDT", "currency": "USDT"}, AssetClass.CRYPTO, "DOGE", "USDT"),
        (
            {"symbol": "XBTUSD", "currency": "USD", "base_currency": "BTC"},
            AssetClass.CRYPTO,
            "BTC",
            "USD",
        ),
        ({"symbol": "EURUSD", "currency": "USD", "asset_class": "fx"}, AssetClass.FX, "EUR", "USD"),
    ],
)
def test_currency_pairs_get_base_and_quote_currencies(entry, asset_class, base, quote):
    pair = InstrumentConfig(**{"asset_class": "crypto", "lot_size": 0.001, **entry}).build()
    assert isinstance(pair, CurrencyPair)
    assert pair.asset_class is asset_class
    assert (pair.base_currency.code, pair.currency.code) == (base, quote)
    assert pair.size_precision == 3


def test_instrument_rules_broken_by_the_config_are_a_config_error(write_config):
    # Ticks of 1e-10 need 10 decimals; instruments allow 9.
    error, path = _load_error(write_config, "instruments: [{symbol: X, tick_size: 0.0000000001}]\n")
    assert error.field == "instruments[0]"
    assert error.source == str(path)
    assert "price_precision and size_precision: expected 0..9" in error.expected


def test_instrument_list_adds_equities_for_feed_symbols_not_configured():
    config = parse_system_config(
        {
            "data_feed": {"symbols": ["ESZ4", "AAPL"], "venue": "XNAS"},
            "instruments": [
                {
                    "symbol": "ESZ4",
                    "venue": "CME",
                    "asset_class": "future",
                    "underlying": "ES",
                    "expiry": "2024-12-20",
                }
            ],
        }
    )
    instruments = config.instrument_list()
    assert [(i.id, i.asset_class) for i in instruments] == [
        (InstrumentId("ESZ4.CME"), AssetClass.FUTURE),
        (InstrumentId("AAPL.XNAS"), AssetClass.EQUITY),
    ]


def test_enabled_strategies_skip_those_disabled():
    config = parse_system_config(
        {"strategies": {"a": {"enabled": False}, "b": {"enabled": True}, "c": {}}}
    )
    assert list(config.enabled_strategies()) == ["b", "c"]


@pytest.mark.parametrize(
    ("key", "value", "instead"),
    [
        ("symbols", ["ZZZ"], "data_feed.symbols"),
        ("venue", "XNAS", "data_feed.venue"),
        ("bar_interval_seconds", 300, "backtest.data.bar_interval_seconds"),
    ],
)
def test_synthetic_settings_that_belong_elsewhere_are_refused(key, value, instead) -> None:
    with pytest.raises(ConfigError) as info:
        parse_system_config({"data_feed": {"synthetic": {key: value}}}, "x.yaml")
    assert info.value.field == f"data_feed.synthetic.{key}"
    assert instead in info.value.expected
    assert info.value.source == "x.yaml"


def test_source_is_not_a_settable_key() -> None:
    with pytest.raises(ConfigError) as info:
        parse_system_config({"source": "evil.yaml"}, "x.yaml")
    assert info.value.field == "source"
    assert "source" not in info.value.expected.split(": ", 1)[1].split(", ")
    assert parse_system_config({}, "real.yaml").source == "real.yaml"
