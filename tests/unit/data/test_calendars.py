"""Tests of trading calendars on hand-known exchange facts (holidays, early closes, daylight
saving, lunch breaks), boundary conventions, bar grids and the vectorised bar checks."""

from __future__ import annotations

import calendar as stdlib_calendar
from datetime import date

import exchange_calendars as xc
import numpy as np
import pandas as pd
import pytest

from midfreq.core.errors import ConfigError, DataError
from midfreq.data.bars import BarArrays
from midfreq.data.calendars import TradingCalendar, session_bar_times
from midfreq.model.identifiers import InstrumentId

MINUTE = 60 * 10**9
HOUR = 60 * MINUTE


def utc_ns(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """UTC nanoseconds by the standard library, independent of pandas and exchange-calendars."""
    return stdlib_calendar.timegm((year, month, day, hour, minute, 0)) * 10**9


def bars_at(ts: list[int]) -> BarArrays:
    ones = np.ones(len(ts))
    return BarArrays(InstrumentId("AAA.SIM"), np.array(ts, dtype=np.int64), *([ones] * 5))


@pytest.fixture(scope="module")
def nyse() -> TradingCalendar:
    return TradingCalendar.get("XNYS")


@pytest.fixture(scope="module")
def hkex() -> TradingCalendar:
    return TradingCalendar.get("XHKG")


def test_independence_day_2024_is_a_holiday_between_sessions(nyse: TradingCalendar) -> None:
    assert not nyse.is_session(date(2024, 7, 4))
    assert nyse.is_session(date(2024, 7, 3))
    assert nyse.sessions(date(2024, 7, 1), date(2024, 7, 8)) == [
        date(2024, 7, 1),
        date(2024, 7, 2),
        date(2024, 7, 3),
        date(2024, 7, 5),
        date(2024, 7, 8),
    ]


@pytest.mark.parametrize(
    ("day", "open_utc", "close_utc"),
    [
        # Regular day in summer (EDT, UTC-4): 09:30-16:00 New York.
        (date(2024, 7, 2), (13, 30), (20, 0)),
        # Eve of Independence Day: closes at 13:00 New York.
        (date(2024, 7, 3), (13, 30), (17, 0)),
        # Day after Thanksgiving 2023 (EST, UTC-5): closes at 13:00 New York.
        (date(2023, 11, 24), (14, 30), (18, 0)),
        # Christmas Eve 2024: closes at 13:00 New York.
        (date(2024, 12, 24), (14, 30), (18, 0)),
        # Last Friday of EST, then the Monday after the 2024-03-10 switch to EDT.
        (date(2024, 3, 8), (14, 30), (21, 0)),
        (date(2024, 3, 11), (13, 30), (20, 0)),
    ],
)
def test_nyse_session_bounds_in_utc(
    nyse: TradingCalendar, day: date, open_utc: tuple[int, int], close_utc: tuple[int, int]
) -> None:
    expected = (
        utc_ns(day.year, day.month, day.day, *open_utc),
        utc_ns(day.year, day.month, day.day, *close_utc),
    )
    assert nyse.session_bounds(day) == expected


def test_early_closes_and_holidays_of_2023_and_2024(nyse: TradingCalendar) -> None:
    assert nyse.early_closes(date(2023, 11, 1), date(2024, 12, 31)) == [
        date(2023, 11, 24),
        date(2024, 7, 3),
        date(2024, 11, 29),
        date(2024, 12, 24),
    ]
    assert nyse.holidays(date(2024, 1, 1), date(2024, 12, 31)) == [
        date(2024, 1, 1),  # New Year's Day
        date(2024, 1, 15),  # Martin Luther King Jr. Day
        date(2024, 2, 19),  # Washington's Birthday
        date(2024, 3, 29),  # Good Friday
        date(2024, 5, 27),  # Memorial Day
        date(2024, 6, 19),  # Juneteenth
        date(2024, 7, 4),  # Independence Day
        date(2024, 9, 2),  # Labor Day
        date(2024, 11, 28),  # Thanksgiving
        date(2024, 12, 25),  # Christmas
    ]


def test_good_friday_and_christmas_are_not_sessions(nyse: TradingCalendar) -> None:
    assert not nyse.is_session(date(2024, 3, 29))
    assert not nyse.is_session(date(2024, 12, 25))
    assert nyse.is_session(date(2024, 3, 28))
    with pytest.raises(DataError, match=r"expected a session day, was 2024-12-25"):
        nyse.session_bounds(date(2024, 12, 25))


def test_weekends_are_neither_sessions_nor_holidays(nyse: TradingCalendar) -> None:
    assert not nyse.is_session(date(2024, 7, 6))
    assert nyse.holidays(date(2024, 7, 6), date(2024, 7, 7)) == []


def test_london_easter_and_british_summer_time() -> None:
    lse = TradingCalendar.get("XLON")

    # Good Friday and Easter Monday 2024 are closed; BST starts 2024-03-31.
    assert lse.sessions(date(2024, 3, 27), date(2024, 4, 3)) == [
        date(2024, 3, 27),
        date(2024, 3, 28),
        date(2024, 4, 2),
        date(2024, 4, 3),
    ]
    assert lse.holidays(date(2024, 3, 27), date(2024, 4, 3)) == [
        date(2024, 3, 29),
        date(2024, 4, 1),
    ]
    # 08:00-16:30 London: GMT (UTC) before, BST (UTC+1) after.
    assert lse.session_bounds(date(2024, 3, 28)) == (
        utc_ns(2024, 3, 28, 8),
        utc_ns(2024, 3, 28, 16, 30),
    )
    assert lse.session_bounds(date(2024, 4, 2)) == (
        utc_ns(2024, 4, 2, 7),
        utc_ns(2024, 4, 2, 15, 30),
    )
    # Christmas Eve closes at 12:30 London.
    assert lse.session_bounds(date(2024, 12, 24))[1] == utc_ns(2024, 12, 24, 12, 30)
    assert lse.tz == "Europe/London"


def test_is_open_includes_the_open_and_excludes_the_close(nyse: TradingCalendar) -> None:
    open_ns, close_ns = utc_ns(2024, 7, 2, 13, 30), utc_ns(2024, 7, 2, 20)

    assert not nyse.is_open(open_ns - 1)
    assert nyse.is_open(open_ns)
    assert nyse.is_open(close_ns - 1)
    assert not nyse.is_open(close_ns)
    # Early close: 13:00 New York on 2024-07-03; the holiday after it is closed all day.
    assert nyse.is_open(utc_ns(2024, 7, 3, 16, 59))
    assert not nyse.is_open(utc_ns(2024, 7, 3, 17))
    assert not nyse.is_open(utc_ns(2024, 7, 4, 15))


def test_is_open_array_matches_is_open_in_any_order(nyse: TradingCalendar) -> None:
    ts = np.array([utc_ns(2024, 7, 4, 15), utc_ns(2024, 7, 2, 13, 30), utc_ns(2024, 7, 2, 20)])

    assert nyse.is_open_array(ts).tolist() == [nyse.is_open(int(t)) for t in ts]
    assert nyse.is_open_array(ts).tolist() == [False, True, False]
    assert nyse.is_open_array(np.array([], dtype=np.int64)).tolist() == []


def test_next_open_and_previous_close_across_a_weekend_and_a_holiday(
    nyse: TradingCalendar,
) -> None:
    friday_close = utc_ns(2024, 7, 5, 20)
    monday_open = utc_ns(2024, 7, 8, 13, 30)

    assert nyse.next_open(friday_close) == monday_open
    assert nyse.previous_close(monday_open) == friday_close
    # Strictly after: at an open the next open is the next session's.
    assert nyse.next_open(utc_ns(2024, 7, 5, 13, 30)) == monday_open
    # At or before: at a close, that close.
    assert nyse.previous_close(friday_close) == friday_close
    assert nyse.previous_close(friday_close - 1) == utc_ns(2024, 7, 3, 17)
    # From the holiday: back to the early close, forward to Friday's open.
    assert nyse.previous_close(utc_ns(2024, 7, 4, 15)) == utc_ns(2024, 7, 3, 17)
    assert nyse.next_open(utc_ns(2024, 7, 4, 15)) == utc_ns(2024, 7, 5, 13, 30)


def test_one_minute_bars_per_day_390_regular_210_early_close(nyse: TradingCalendar) -> None:
    regular = session_bar_times(nyse, date(2024, 7, 2), date(2024, 7, 2), MINUTE)
    early = session_bar_times("XNYS", date(2024, 7, 3), date(2024, 7, 3), MINUTE)
    week = session_bar_times(nyse, date(2024, 7, 1), date(2024, 7, 7), MINUTE)

    assert len(regular) == 390
    assert len(early) == 210
    # Bars are stamped at their close: the first one minute after the open, the last at close.
    assert regular[0] == utc_ns(2024, 7, 2, 13, 31)
    assert regular[-1] == utc_ns(2024, 7, 2, 20)
    assert early[-1] == utc_ns(2024, 7, 3, 17)
    assert np.all(np.diff(regular) == MINUTE)
    # Mon, Tue regular, Wed early close, Thu holiday, Fri regular, weekend.
    assert len(week) == 390 + 390 + 210 + 390
    assert week.dtype == np.int64
    assert np.all(np.diff(week) > 0)


def test_bar_grid_keeps_only_whole_bars(nyse: TradingCalendar) -> None:
    times = session_bar_times(nyse, date(2024, 7, 2), date(2024, 7, 2), 7 * MINUTE)

    # 390 // 7 = 55 bars; the last 5 minutes of the session hold no whole bar.
    assert len(times) == 55
    assert times[-1] == utc_ns(2024, 7, 2, 13, 30) + 55 * 7 * MINUTE


def test_bar_grid_skips_the_lunch_break(hkex: TradingCalendar) -> None:
    times = session_bar_times(hkex, date(2024, 12, 23), date(2024, 12, 24), MINUTE)

    # 09:30-12:00 and 13:00-16:00 Hong Kong (UTC+8), then a half day to 12:00 on Christmas Eve.
    assert len(times) == 150 + 180 + 150
    assert utc_ns(2024, 12, 23, 4) in times
    assert utc_ns(2024, 12, 23, 4, 1) not in times
    assert times[150] == utc_ns(2024, 12, 23, 5, 1)
    assert times[-1] == utc_ns(2024, 12, 24, 4)


def test_is_open_during_a_lunch_break(hkex: TradingCalendar) -> None:
    assert hkex.has_breaks
    assert hkex.is_open(utc_ns(2024, 12, 23, 3, 59))
    assert not hkex.is_open(utc_ns(2024, 12, 23, 4))  # break starts 12:00 Hong Kong
    assert not hkex.is_open(utc_ns(2024, 12, 23, 4, 30))
    assert hkex.is_open(utc_ns(2024, 12, 23, 5))  # break ends 13:00 Hong Kong
    # Breaks are not opens or closes for next_open / previous_close.
    assert hkex.next_open(utc_ns(2024, 12, 23, 4, 30)) == utc_ns(2024, 12, 24, 1, 30)
    assert hkex.previous_close(utc_ns(2024, 12, 23, 4, 30)) == utc_ns(2024, 12, 20, 8)


def test_flag_bars_outside_sessions_on_a_mixed_array(nyse: TradingCalendar) -> None:
    bars = bars_at(
        [
            utc_ns(2024, 7, 3, 13, 30),  # 0: covers 09:29-09:30 New York, before the open
            utc_ns(2024, 7, 3, 13, 31),  # 1: first bar of the day
            utc_ns(2024, 7, 3, 17),  # 2: last bar of the early close
            utc_ns(2024, 7, 3, 17, 1),  # 3: after the early close
            utc_ns(2024, 7, 4, 15),  # 4: Independence Day
            utc_ns(2024, 7, 5, 13, 45),  # 5: mid-morning
            utc_ns(2024, 7, 5, 20),  # 6: last bar of a regular day
            utc_ns(2024, 7, 6, 15),  # 7: Saturday
        ]
    )

    mask = nyse.session_mask_for_bars(bars, MINUTE)
    flagged = nyse.flag_bars_outside_sessions(bars, MINUTE)

    assert mask.tolist() == [False, True, True, False, False, True, True, False]
    assert flagged.tolist() == [0, 3, 4, 7]
    assert flagged.dtype == np.int64


def test_bar_interval_decides_whether_a_bar_starts_before_the_open(nyse: TradingCalendar) -> None:
    bars = bars_at([utc_ns(2024, 7, 2, 14)])  # 10:00 New York

    assert nyse.session_mask_for_bars(bars, 30 * MINUTE).tolist() == [True]  # from 09:30
    assert nyse.session_mask_for_bars(bars, 31 * MINUTE).tolist() == [False]  # from 09:29


def test_a_bar_across_a_lunch_break_is_outside(hkex: TradingCalendar) -> None:
    bars = bars_at([utc_ns(2024, 12, 23, 4), utc_ns(2024, 12, 23, 5, 30)])

    assert hkex.session_mask_for_bars(bars, HOUR).tolist() == [True, False]


def test_always_open_calendar_counts_bars_across_midnight_as_inside() -> None:
    always = TradingCalendar.get("24/7")
    bars = bars_at([utc_ns(2024, 7, 6, 0, 30), utc_ns(2024, 7, 6, 12)])

    assert always.is_open(utc_ns(2024, 7, 6, 0))
    assert always.session_mask_for_bars(bars, HOUR).tolist() == [True, True]
    assert len(session_bar_times(always, date(2024, 7, 6), date(2024, 7, 7), MINUTE)) == 2 * 1440
    assert always.holidays(date(2024, 1, 1), date(2024, 12, 31)) == []


# exchange-calendars 4.13 warns about pandas 3.1 deprecations in its own code.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_vectorised_checks_agree_with_exchange_calendars_minutes(hkex: TradingCalendar) -> None:
    # Reference: exchange-calendars' own trading minutes (open inclusive, close exclusive,
    # breaks excluded). A bar of k minutes is inside iff its k minutes all trade.
    reference = xc.get_calendar("XHKG", start="2024-12-01", end="2024-12-31")
    trading = reference.minutes_in_range(
        pd.Timestamp("2024-12-20", tz="UTC"), pd.Timestamp("2024-12-28", tz="UTC")
    )
    trading_ns = set(pd.DatetimeIndex(trading).as_unit("ns").asi8.tolist())
    rng = np.random.default_rng(7)
    ts = np.sort(
        rng.choice(np.arange(utc_ns(2024, 12, 20, 1), utc_ns(2024, 12, 27, 9), MINUTE), 4000)
    )
    ts = np.unique(ts)

    is_open = hkex.is_open_array(ts)
    mask = hkex.session_mask_for_bars(bars_at(ts.tolist()), 5 * MINUTE)

    assert is_open.tolist() == [int(t) in trading_ns for t in ts]
    expected_mask = [all(int(t) - k * MINUTE in trading_ns for k in range(1, 6)) for t in ts]
    assert mask.tolist() == expected_mask
    assert 0 < mask.sum() < len(ts)  # the sample holds bars of both kinds


def test_every_grid_time_is_inside_a_session(hkex: TradingCalendar) -> None:
    times = session_bar_times(hkex, date(2024, 12, 2), date(2024, 12, 31), 15 * MINUTE)

    assert len(times) > 0
    assert hkex.flag_bars_outside_sessions(bars_at(times.tolist()), 15 * MINUTE).size == 0


def test_unknown_calendar_names_the_field_value_and_valid_names() -> None:
    with pytest.raises(ConfigError) as caught:
        TradingCalendar.get("XNYZ")

    assert caught.value.field == "calendar"
    assert caught.value.value == "XNYZ"
    assert "XNYS" in caught.value.expected and "XLON" in caught.value.expected
    assert "'XNYZ'" in str(caught.value)


def test_get_caches_and_accepts_aliases() -> None:
    assert TradingCalendar.get("XNYS") is TradingCalendar.get("XNYS")
    alias = TradingCalendar.get("NYSE")
    assert alias.session_bounds(date(2024, 7, 3)) == TradingCalendar.get("XNYS").session_bounds(
        date(2024, 7, 3)
    )
    assert alias.name == "NYSE"


def test_explicit_bounds_limit_what_can_be_asked() -> None:
    small = TradingCalendar.get("XNYS", start=date(2024, 1, 1), end=date(2024, 12, 31))

    assert (small.first_day, small.last_day) == (date(2024, 1, 1), date(2024, 12, 31))
    assert small.is_session(date(2024, 12, 31))
    with pytest.raises(DataError, match=r"expected a day from 2024-01-01 to 2024-12-31"):
        small.is_session(date(2025, 1, 2))
    with pytest.raises(DataError, match=r"expected instants from"):
        small.is_open(utc_ns(2023, 12, 29, 15))
    with pytest.raises(DataError, match=r"no session opens after"):
        small.next_open(utc_ns(2024, 12, 31, 15))
    with pytest.raises(DataError, match=r"expected instants from"):
        small.session_mask_for_bars(bars_at([utc_ns(2025, 1, 2, 15)]), MINUTE)
    with pytest.raises(ConfigError, match=r"calendar.start"):
        TradingCalendar.get("XNYS", start=date(2024, 2, 1), end=date(2024, 1, 1))


def test_bad_intervals_and_day_types_are_refused(nyse: TradingCalendar) -> None:
    with pytest.raises(ValueError, match="interval_ns: expected a positive integer"):
        session_bar_times(nyse, date(2024, 7, 2), date(2024, 7, 2), 0)
    with pytest.raises(ValueError, match="bar_interval_ns: expected a positive integer"):
        nyse.session_mask_for_bars(bars_at([utc_ns(2024, 7, 2, 14)]), -MINUTE)
    with pytest.raises(ValueError, match=r"start: expected a day on or before end"):
        nyse.sessions(date(2024, 7, 5), date(2024, 7, 1))
    with pytest.raises(TypeError, match=r"expected a datetime\.date"):
        nyse.is_session(pd.Timestamp("2024-07-02"))  # a datetime, not a date
