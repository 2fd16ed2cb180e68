"""The synthetic market's historical bars: `generate_bars` around the clock or over a calendar's
sessions, `generate_session_bars` by session day, and the same bars in bounded-memory windows
(`iter_bar_windows`, `iter_session_bar_windows`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np

from midfreq.data.bars import BarArrays
from midfreq.data.synthetic._arithmetic import (
    _BARS_COMMON,
    _BARS_GAP_COMMON,
    _NS_PER_SECOND,
    _generator,
    _volume_profile,
)
from midfreq.data.synthetic._bar_model import _BarModel, _Path, _SymbolBarState, _Window
from midfreq.data.synthetic._sessions import _calendar, _SessionBarClock
from midfreq.data.synthetic.config import SyntheticMarketConfig

BAR_WINDOW = 8_192
"""Bars per symbol in one window of `iter_bar_windows` (fixed, so the data never depends on
how it is consumed)."""


def generate_bars(config: SyntheticMarketConfig, start_ns: int, count: int) -> list[BarArrays]:
    """Generate ``count`` bars per symbol, closing every ``bar_interval_seconds`` after start.

    Bar ``i`` closes at ``start_ns + (i + 1) * interval``; its open is the previous close (the
    initial price for the first bar); high and low are drawn as the extremes of a Brownian
    bridge between open and close; prices are rounded to ``tick_size`` and never below one
    tick; volume is lognormal around ``base_volume``, larger on bigger moves. The result
    depends only on ``(config, start_ns, count)`` and equals the windows of
    `iter_bar_windows` put together.

    With ``config.calendar`` the bars are instead the first ``count`` full session bars that
    open at or after ``start_ns`` (see `generate_session_bars`), and the first bar of each
    session after the first opens where the price has moved to while the market was closed.

    Parameters
    ----------
    config : SyntheticMarketConfig
        The market.
    start_ns : int
        UTC nanoseconds at which the first bar opens (with a calendar: no bar opens before).
    count : int
        Bars per symbol, >= 0.

    Returns
    -------
    list[BarArrays]
        One per symbol, in the order of ``config.symbols``.

    Raises
    ------
    ValueError
        If ``count`` is negative.
    DataError
        With a calendar, if ``start_ns`` is before the days it covers or it has fewer than
        ``count`` session bars after ``start_ns``.

    Examples
    --------
    >>> config = SyntheticMarketConfig(symbols=["AAA", "BBB"], seed=7)
    >>> aaa, bbb = generate_bars(config, start_ns=0, count=3)
    >>> str(aaa.instrument_id), aaa.ts.tolist()
    ('AAA.SIM', [60000000000, 120000000000, 180000000000])
    >>> bool((aaa.high >= aaa.close).all() and (aaa.low <= aaa.open).all())
    True
    """
    return _join_windows(config, list(iter_bar_windows(config, start_ns, count)))


def generate_session_bars(config: SyntheticMarketConfig, start: date, end: date) -> list[BarArrays]:
    """Generate the bars of every session of ``config.calendar`` from ``start`` to ``end``.

    The bars are those of `midfreq.data.calendars.session_bar_times` (whole bars of
    ``bar_interval_seconds`` aligned to each session's open, early closes respected), and
    equal `generate_bars` from the first session's open with that many bars.

    Parameters
    ----------
    config : SyntheticMarketConfig
        The market; its ``calendar`` must be set.
    start, end : datetime.date
        Session days, inclusive.

    Returns
    -------
    list[BarArrays]
        One per symbol, in the order of ``config.symbols``.

    Raises
    ------
    ValueError
        If ``config.calendar`` is None.
    DataError
        If a day is outside the days the calendar covers.

    Examples
    --------
    >>> from datetime import date
    >>> config = SyntheticMarketConfig(symbols=["AAA"], calendar="XNYS")
    >>> (aaa,) = generate_session_bars(config, date(2024, 7, 3), date(2024, 7, 5))
    >>> len(aaa)  # 2024-07-03 closes at 13:00, 07-04 is a holiday, 07-05 a full day
    600
    """
    return _join_windows(config, list(iter_session_bar_windows(config, start, end)))


def iter_session_bar_windows(
    config: SyntheticMarketConfig, start: date, end: date
) -> Iterator[list[BarArrays]]:
    """Yield the bars of `generate_session_bars` in windows of `BAR_WINDOW` bars per symbol
    (as `iter_bar_windows`), with bounded memory.

    Raises
    ------
    ValueError
        If ``config.calendar`` is None.
    DataError
        If a day is outside the days the calendar covers.
    """
    calendar = _calendar(config)
    interval_ns = config.bar_interval_seconds * _NS_PER_SECOND
    count = len(calendar.bar_times(start, end, interval_ns))
    if count == 0:
        return iter(())
    first_open = calendar.session_bounds(calendar.sessions(start, end)[0])[0]
    return iter_bar_windows(config, first_open, count)


def _join_windows(config: SyntheticMarketConfig, windows: list[list[BarArrays]]) -> list[BarArrays]:
    if len(windows) == 1:
        return windows[0]
    if not windows:
        empty_ts = np.empty(0, dtype=np.int64)
        empty = np.empty(0, dtype=np.float64)
        return [
            BarArrays(iid, empty_ts, empty, empty, empty, empty, empty)
            for iid in config.instrument_ids()
        ]
    ts = np.concatenate([w[0].ts for w in windows])
    ts.flags.writeable = False  # shared by every symbol's BarArrays
    result = []
    for i, instrument_id in enumerate(config.instrument_ids()):
        parts = [w[i] for w in windows]
        result.append(
            BarArrays(
                instrument_id,
                ts,
                np.concatenate([p.open for p in parts]),
                np.concatenate([p.high for p in parts]),
                np.concatenate([p.low for p in parts]),
                np.concatenate([p.close for p in parts]),
                np.concatenate([p.volume for p in parts]),
            )
        )
    return result


def iter_bar_windows(
    config: SyntheticMarketConfig, start_ns: int, count: int
) -> Iterator[list[BarArrays]]:
    """Yield the bars of `generate_bars` in consecutive time windows of `BAR_WINDOW` bars per
    symbol, carrying each symbol's state across windows: memory stays bounded however many
    bars are asked for.

    Raises
    ------
    ValueError
        If ``count`` is negative.
    DataError
        With a calendar, as `generate_bars`.
    """
    if count < 0:
        raise ValueError(f"count: expected >= 0, was {count}")
    interval_ns = config.bar_interval_seconds * _NS_PER_SECOND
    market = _BarModel(config)
    common_rng = _generator(config.seed, _BARS_COMMON)
    gap_common_rng = _generator(config.seed, _BARS_GAP_COMMON)
    leaders = {follower: leader for leader, follower in config.cointegrated_pairs}
    symbols = [
        _SymbolBarState.create(config, symbol, instrument_id, leaders.get(symbol))
        for symbol, instrument_id in zip(config.symbols, config.instrument_ids(), strict=True)
    ]
    clock: _SessionBarClock | None = None
    last_ts: int | None = None
    for offset in range(0, count, BAR_WINDOW):
        n = min(BAR_WINDOW, count - offset)
        window = _Window(n=n, ts=np.empty(0, dtype=np.int64))
        if config.calendar is None:
            window.ts = start_ns + interval_ns * np.arange(
                offset + 1, offset + n + 1, dtype=np.int64
            )
        else:
            if clock is None:
                clock = _SessionBarClock(_calendar(config), start_ns, interval_ns, BAR_WINDOW)
            window.ts, opens, closes = clock.take(n)
            previous = window.ts[0] - interval_ns if last_ts is None else last_ts
            elapsed = np.diff(window.ts, prepend=np.int64(previous))
            window.gaps = (elapsed - interval_ns) / interval_ns
            window.common_gap = gap_common_rng.standard_normal(n)
            if config.intraday_volume_profile:
                middle = window.ts - interval_ns / 2.0
                window.profile = _volume_profile((middle - opens) / (closes - opens))
            last_ts = int(window.ts[-1])
        window.ts.flags.writeable = False  # shared by every symbol's BarArrays
        common = common_rng.standard_normal(n)
        draws = {state.symbol: state.draw(n) for state in symbols}
        paths: dict[str, _Path] = {}
        for state in symbols:
            if state.leader is None:
                paths[state.symbol] = market.own_path(state, draws[state.symbol], common, window)
        for state in symbols:
            if state.leader is not None:
                paths[state.symbol] = market.follower_path(state, paths[state.leader], window)
        yield [
            market.bars(state, paths[state.symbol], draws[state.symbol], window)
            for state in symbols
        ]
