"""Tests of the synthetic market: config and bar generation (the live stream is tested in
`test_synthetic_stream*.py`)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midfreq.data.bars import BarArrays
from midfreq.data.synthetic import (
    SECONDS_PER_YEAR,
    SyntheticMarketConfig,
    _autoregress,
    generate_bars,
)
from midfreq.data.synthetic import bars as bars_module
from midfreq.data.synthetic import config as config_module
from midfreq.model.identifiers import InstrumentId

SECOND = 1_000_000_000
START = 1_704_067_200 * SECOND  # 2024-01-01T00:00:00Z


def columns(bars: BarArrays) -> dict[str, np.ndarray]:
    return {n: getattr(bars, n) for n in ("ts", "open", "high", "low", "close", "volume")}


# --- config -----------------------------------------------------------------------------------


def test_config_defaults_and_instrument_ids() -> None:
    config = SyntheticMarketConfig(symbols=["AAA", "BRK.B"], initial_prices={"AAA": 50.0})

    assert config.instrument_ids() == [InstrumentId("AAA.SIM"), InstrumentId("BRK.B.SIM")]
    assert config.initial_price("AAA") == 50.0
    assert config.initial_price("BRK.B") == 100.0
    assert (config.seed, config.bar_interval_seconds, config.correlation) == (42, 60, 0.3)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"symbols": []}, "at least 1 item"),
        ({"symbols": ["A", "B", "A"]}, "expected unique symbols, was ['A'] repeated"),
        ({"symbols": ["A B"]}, "SYMBOL.VENUE"),
        ({"symbols": ["A"], "initial_prices": {"B": 1.0}}, "prices only for the symbols traded"),
        ({"symbols": ["A"], "initial_prices": {"A": 0.0}}, "prices > 0"),
        ({"symbols": ["A"], "correlation": 1.5}, "less than or equal to 1"),
        ({"symbols": ["A"], "mean_reversion": -0.1}, "greater than or equal to 0"),
        ({"symbols": ["A"], "annual_volatility": float("nan")}, "finite number"),
        ({"symbols": ["A"], "tick_size": 0.0}, "greater than 0"),
        ({"symbols": ["A"], "seed": -1}, "greater than or equal to 0"),
        ({"symbols": ["A"], "volatility": 0.2}, "Extra inputs are not permitted"),
    ],
)
def test_config_rejects_bad_values(fields: dict[str, object], message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message.replace("[", r"\[")):
        SyntheticMarketConfig(**fields)  # type: ignore[arg-type]


def test_config_is_frozen() -> None:
    config = SyntheticMarketConfig(symbols=["A"])

    with pytest.raises(pydantic.ValidationError):
        config.seed = 1  # type: ignore[misc]


# --- generate_bars ------------------------------------------------------------------------------


def test_bars_close_every_interval_after_start_for_each_symbol() -> None:
    config = SyntheticMarketConfig(symbols=["AAA", "BBB"], bar_interval_seconds=300)

    bars = generate_bars(config, START, 4)

    assert [str(b.instrument_id) for b in bars] == ["AAA.SIM", "BBB.SIM"]
    for b in bars:
        assert b.ts.tolist() == [START + k * 300 * SECOND for k in (1, 2, 3, 4)]


def test_open_is_previous_close_and_first_open_is_initial_price() -> None:
    config = SyntheticMarketConfig(symbols=["AAA"], initial_prices={"AAA": 123.456})

    (bars,) = generate_bars(config, START, 500)

    assert bars.open[0] == 123.46
    assert np.array_equal(bars.open[1:], bars.close[:-1])


def test_same_config_gives_identical_bars_and_another_seed_different_ones() -> None:
    config = SyntheticMarketConfig(symbols=["AAA", "BBB"], mean_reversion=0.02)

    first = generate_bars(config, START, 1000)
    second = generate_bars(config, START, 1000)
    other = generate_bars(config.model_copy(update={"seed": 43}), START, 1000)

    for a, b in zip(first, second, strict=True):
        for name, column in columns(a).items():
            assert np.array_equal(column, getattr(b, name)), name
    for a, c in zip(first, other, strict=True):
        assert not np.array_equal(a.close, c.close)


def test_a_symbols_path_does_not_depend_on_the_other_symbols() -> None:
    alone = generate_bars(SyntheticMarketConfig(symbols=["AAA"]), START, 300)[0]
    together = generate_bars(SyntheticMarketConfig(symbols=["ZZZ", "AAA"]), START, 300)[1]

    assert np.array_equal(alone.close, together.close)
    assert np.array_equal(alone.volume, together.volume)


def test_zero_count_gives_empty_bars_and_negative_count_is_refused() -> None:
    (bars,) = generate_bars(SyntheticMarketConfig(symbols=["AAA"]), START, 0)

    assert len(bars) == 0
    with pytest.raises(ValueError, match="count: expected >= 0, was -1"):
        generate_bars(SyntheticMarketConfig(symbols=["AAA"]), START, -1)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    volatility=st.floats(min_value=0.0, max_value=5.0),
    drift=st.floats(min_value=-1.0, max_value=1.0),
    correlation=st.floats(min_value=0.0, max_value=1.0),
    mean_reversion=st.floats(min_value=0.0, max_value=1.0),
    tick_size=st.sampled_from([0.0001, 0.01, 0.05, 0.25, 1.0, 5.0]),
    price=st.floats(min_value=0.01, max_value=50_000.0),
    interval=st.sampled_from([1, 60, 3600, 86_400]),
    base_volume=st.floats(min_value=0.001, max_value=1e7),
    count=st.integers(min_value=1, max_value=300),
)
def test_bars_are_always_consistent(
    seed: int,
    volatility: float,
    drift: float,
    correlation: float,
    mean_reversion: float,
    tick_size: float,
    price: float,
    interval: int,
    base_volume: float,
    count: int,
) -> None:
    config = SyntheticMarketConfig(
        symbols=["AAA", "BBB"],
        seed=seed,
        initial_prices={"AAA": price},
        annual_volatility=volatility,
        annual_drift=drift,
        correlation=correlation,
        mean_reversion=mean_reversion,
        tick_size=tick_size,
        bar_interval_seconds=interval,
        base_volume=base_volume,
    )

    for bars in generate_bars(config, START, count):
        bars.validate(str(bars.instrument_id))
        assert np.all(bars.high >= np.maximum(bars.open, bars.close))
        assert np.all(bars.low <= np.minimum(bars.open, bars.close))
        assert np.all(bars.low >= tick_size)
        assert np.all(bars.volume > 0)
        for prices in (bars.open, bars.high, bars.low, bars.close):
            ticks = prices / tick_size
            assert np.allclose(ticks, np.round(ticks), rtol=0, atol=1e-6)


def _log_returns(bars: BarArrays) -> np.ndarray:
    return np.diff(np.log(bars.close))


@pytest.mark.parametrize("correlation", [0.0, 0.3, 0.8])
def test_returns_have_the_configured_correlation_and_volatility(correlation: float) -> None:
    config = SyntheticMarketConfig(
        symbols=["A", "B", "C"], correlation=correlation, tick_size=0.0001, seed=2024
    )

    returns = [_log_returns(b) for b in generate_bars(config, START, 20_000)]

    matrix = np.corrcoef(returns)
    pairs = matrix[np.triu_indices(3, k=1)]
    # Standard error of a correlation over 20,000 samples is below 0.01.
    assert np.all(np.abs(pairs - correlation) < 0.03), pairs
    expected_std = 0.25 * math.sqrt(60 / SECONDS_PER_YEAR)
    for r in returns:
        assert abs(np.std(r) / expected_std - 1.0) < 0.03


def test_mean_reversion_pulls_log_price_back_at_the_configured_rate() -> None:
    config = SyntheticMarketConfig(
        symbols=["A"], mean_reversion=0.05, annual_drift=0.0, tick_size=0.0001, seed=9
    )

    (bars,) = generate_bars(config, START, 20_000)

    x = np.log(bars.close / 100.0)
    slope, _ = np.polyfit(x[:-1], x[1:], 1)
    assert abs(slope - 0.95) < 0.01
    # A random walk with these settings wanders about 10x further than the OU process.
    assert np.std(x) < 0.25 * math.sqrt(60 / SECONDS_PER_YEAR) / math.sqrt(1 - 0.95**2) * 1.2


@pytest.mark.parametrize("a", [0.0, 1e-300, 0.3, 0.9, 0.999, 1.0 - 1e-9, 1.0])
@pytest.mark.parametrize("n", [0, 1, 7, 5_000])
def test_autoregression_matches_the_plain_recursion(a: float, n: int) -> None:
    steps = np.random.default_rng(1).standard_normal(n)
    expected = np.empty(n)
    level = 0.0
    for i, step in enumerate(steps):
        level = a * level + step
        expected[i] = level

    assert np.allclose(_autoregress(steps, a), expected, rtol=1e-9, atol=1e-12)


def test_docstring_examples_run() -> None:
    attempted = failed = 0
    for module in (bars_module, config_module):
        result = doctest.testmod(module)
        attempted += result.attempted
        failed += result.failed

    assert attempted >= 7
    assert failed == 0
