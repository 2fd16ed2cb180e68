"""Window-by-window synthetic bars: the same data as one call, continuous across windows."""

from __future__ import annotations

import numpy as np
import pytest

from midfreq.data.synthetic import (
    BAR_WINDOW,
    SyntheticMarketConfig,
    generate_bars,
    iter_bar_windows,
)


@pytest.fixture
def config() -> SyntheticMarketConfig:
    return SyntheticMarketConfig(
        symbols=["AAA", "BBB"], seed=9, mean_reversion=0.01, annual_volatility=0.4
    )


def test_windows_put_together_equal_generate_bars(config) -> None:
    count = 2 * BAR_WINDOW + 17
    whole = generate_bars(config, 0, count)
    windows = list(iter_bar_windows(config, 0, count))
    assert [len(w[0]) for w in windows] == [BAR_WINDOW, BAR_WINDOW, 17]
    for i, bars in enumerate(whole):
        assert len(bars) == count
        for column in ("ts", "open", "high", "low", "close", "volume"):
            joined = np.concatenate([getattr(w[i], column) for w in windows])
            assert np.array_equal(getattr(bars, column), joined)


def test_prices_are_continuous_across_window_boundaries(config) -> None:
    aaa = generate_bars(config, 0, BAR_WINDOW + 10)[0]
    assert np.array_equal(aaa.open[1:], aaa.close[:-1])
    log_returns = np.diff(np.log(aaa.close))
    boundary = abs(log_returns[BAR_WINDOW - 1])
    # The step across the boundary is an ordinary step, not a jump back to the start price.
    assert boundary < 6 * log_returns.std()
    assert (aaa.high >= np.maximum(aaa.open, aaa.close)).all()
    assert (aaa.low <= np.minimum(aaa.open, aaa.close)).all()


def test_mean_reversion_state_carries_over(config) -> None:
    # With strong mean reversion prices stay near the start in every window.
    strong = config.model_copy(update={"mean_reversion": 0.2})
    aaa = generate_bars(strong, 0, 3 * BAR_WINDOW)[0]
    for k in range(3):
        window = aaa.close[k * BAR_WINDOW : (k + 1) * BAR_WINDOW]
        assert abs(np.log(window.mean() / 100.0)) < 0.01


def test_zero_bars_gives_empty_arrays(config) -> None:
    assert [len(b) for b in generate_bars(config, 0, 0)] == [0, 0]
    assert list(iter_bar_windows(config, 0, 0)) == []


REALISTIC = {
    "volatility_clustering": {"volatility_clustering": 0.9},
    "jumps": {"jump_intensity": 2_000.0},
    "pairs": {"cointegrated_pairs": [("BBB", "AAA")], "cointegration_strength": 0.05},
    "calendar": {"calendar": "XNYS", "intraday_volume_profile": True},
    "all": {
        "volatility_clustering": 0.9,
        "jump_intensity": 2_000.0,
        "cointegrated_pairs": [("BBB", "AAA")],
        "calendar": "XNYS",
        "intraday_volume_profile": True,
    },
}


@pytest.mark.parametrize("settings", REALISTIC.values(), ids=REALISTIC.keys())
def test_realism_settings_are_continuous_across_windows(config, settings) -> None:
    market = config.model_copy(update=settings)
    start = 1_719_840_600 * 10**9  # 2024-07-01T13:30Z, the NYSE open
    count = 2 * BAR_WINDOW + 17
    whole = generate_bars(market, start, count)
    windows = list(iter_bar_windows(market, start, count))

    assert [len(w[0]) for w in windows] == [BAR_WINDOW, BAR_WINDOW, 17]
    for i, bars in enumerate(whole):
        bars.validate(str(bars.instrument_id))
        for column in ("ts", "open", "high", "low", "close", "volume"):
            joined = np.concatenate([getattr(w[i], column) for w in windows])
            assert np.array_equal(getattr(bars, column), joined)
        # No step back to the start price at a window boundary: an ordinary (or jump-sized) move.
        returns = np.diff(np.log(bars.close))
        for boundary in (BAR_WINDOW - 1, 2 * BAR_WINDOW - 1):
            assert abs(returns[boundary]) < 8 * np.median(np.abs(returns)) / 0.6745
    # Deterministic per seed, different for another seed.
    again = generate_bars(market, start, count)
    other = generate_bars(market.model_copy(update={"seed": 10}), start, count)
    for a, b, c in zip(whole, again, other, strict=True):
        for column in ("ts", "open", "high", "low", "close", "volume"):
            assert np.array_equal(getattr(a, column), getattr(b, column))
        assert not np.array_equal(a.close, c.close)
    # And different from the plain market.
    plain = generate_bars(config, start, count)
    assert not all(np.array_equal(a.volume, p.volume) for a, p in zip(whole, plain, strict=True))
