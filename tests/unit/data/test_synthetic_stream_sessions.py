"""The live synthetic stream on a trading calendar: no events outside the sessions (holidays,
early closes, weekends, lunch breaks), an overnight move at each open that keeps the annual
volatility, and trades that follow the U-shaped intraday volume profile."""

from __future__ import annotations

import math
from datetime import date, time

import numpy as np
import pandas as pd
import pytest

from midfreq.core.errors import DataError
from midfreq.data.calendars import TradingCalendar
from midfreq.data.synthetic import SECONDS_PER_YEAR, SyntheticMarketConfig, SyntheticQuoteStream
from midfreq.model.data import QuoteTick, TradeTick

SECOND = 1_000_000_000
HOUR = 3600 * SECOND
NEW_YORK = "America/New_York"


def utc(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").value)


def stream_events(
    config: SyntheticMarketConfig, start: int, end: int, step: int = HOUR
) -> list[QuoteTick | TradeTick]:
    """Every event from ``start`` to ``end``, advancing ``step`` at a time (as a live feed)."""
    stream = SyntheticQuoteStream(config, start)
    events = [e for t in range(start + step, end, step) for e in stream.advance(t)]
    return events + stream.advance(end)  # type: ignore[return-value]


# --- no events outside the sessions ------------------------------------------------------------

# NYSE hours by New York date, from its published holiday and early-close schedule (an
# independent reference for exchange-calendars): 2023-07-04 is Independence Day and 07-03
# closes at 13:00; 11-23 is Thanksgiving and 11-24 closes at 13:00; weekends are closed.
FULL, EARLY = (time(9, 30), time(16, 0)), (time(9, 30), time(13, 0))
WEEKS = {
    "independence day": (
        "2023-07-01",
        "2023-07-07",
        {date(2023, 7, 3): EARLY, date(2023, 7, 5): FULL, date(2023, 7, 6): FULL},
    ),
    "thanksgiving": (
        "2023-11-22",
        "2023-11-28",
        {date(2023, 11, 22): FULL, date(2023, 11, 24): EARLY, date(2023, 11, 27): FULL},
    ),
}


@pytest.mark.parametrize("week", WEEKS)
def test_no_events_outside_xnys_sessions_on_holidays_early_closes_and_weekends(week: str) -> None:
    first, last, hours = WEEKS[week]
    config = SyntheticMarketConfig(
        symbols=["AAA", "BBB"], calendar="XNYS", quotes_per_second=0.5, seed=3
    )

    events = stream_events(config, utc(first), utc(last))

    times = np.array([e.ts_event for e in events])
    assert np.all(np.diff(times) >= 0)
    assert TradingCalendar.get("XNYS").is_open_array(times).all()
    local = pd.to_datetime(times, utc=True).tz_convert(NEW_YORK)
    frame = pd.DataFrame({"day": local.date, "clock": local.time})
    assert set(frame.day) == set(hours)
    for day, (opens, closes) in hours.items():
        clocks = sorted(frame.clock[frame.day == day])
        assert opens <= clocks[0] < time(9, 31)  # quotes resume at the open ...
        assert time(closes.hour - 1, 59) <= clocks[-1] < closes  # ... and stop at the close
        seconds = (closes.hour - opens.hour) * 3600 + (closes.minute - opens.minute) * 60
        quotes = sum(
            1 for e, d in zip(events, frame.day, strict=True) if d == day and type(e) is QuoteTick
        )
        # Poisson at 0.5 a second per symbol while open: within 4 standard deviations.
        expected = 2 * 0.5 * seconds
        assert abs(quotes - expected) < 4 * math.sqrt(expected)


def test_no_events_in_a_lunch_break() -> None:
    config = SyntheticMarketConfig(symbols=["AAA"], calendar="XHKG", quotes_per_second=0.2)

    events = stream_events(config, utc("2024-03-04"), utc("2024-03-09"))

    times = np.array([e.ts_event for e in events])
    assert TradingCalendar.get("XHKG").is_open_array(times).all()
    local = pd.to_datetime(times, utc=True).tz_convert("Asia/Hong_Kong")
    assert not ((local.time >= time(12, 0)) & (local.time < time(13, 0))).any()
    assert (local.time < time(12, 0)).sum() > 1_000 and (local.time >= time(13, 0)).sum() > 1_000


def test_a_stream_started_while_closed_opens_at_the_initial_prices() -> None:
    config = SyntheticMarketConfig(symbols=["AAA"], calendar="XNYS", tick_size=0.0001)
    stream = SyntheticQuoteStream(config, utc("2023-07-01T12:00"))  # a Saturday

    assert stream.advance(utc("2023-07-03T13:30")) == []  # 09:30 New York on Monday
    first = stream.next_event_ns()
    assert utc("2023-07-03T13:30") < first < utc("2023-07-03T13:31")
    quote = stream.advance(first)[0]
    assert isinstance(quote, QuoteTick)
    # No move over the weekend before the first session: under a second of trading from 100.
    assert abs(math.log(quote.mid / 100.0)) < 0.001


def test_a_round_the_clock_calendar_gives_the_stream_without_a_calendar() -> None:
    config = SyntheticMarketConfig(symbols=["AAA", "BBB"], quotes_per_second=0.01, seed=8)
    # Off the minute grid; 30 days load the calendar's stretches in two parts, which touch.
    start, end = utc("2023-06-30T17:20:31"), utc("2023-07-30T17:20:31")

    plain = stream_events(config, start, end, step=24 * HOUR)
    around_the_clock = config.model_copy(update={"calendar": "24/7"})

    assert stream_events(around_the_clock, start, end, step=24 * HOUR) == plain
    assert len(plain) > 2 * 0.01 * 30 * 86_400 * 0.9


def test_the_stream_refuses_times_outside_the_calendars_days() -> None:
    config = SyntheticMarketConfig(symbols=["AAA"], calendar="XNYS")

    with pytest.raises(DataError, match="expected a start from 2000-01-01"):
        SyntheticQuoteStream(config, utc("1999-06-01"))
    stream = SyntheticQuoteStream(config, utc("2035-12-28"))
    with pytest.raises(DataError, match="was the end of the days it covers"):
        stream.advance(utc("2036-01-10"))


# --- the moves while closed --------------------------------------------------------------------


@pytest.fixture(scope="module")
def year_of_sessions() -> pd.DataFrame:
    """First and last quote of each 2022 session per symbol: time and log mid."""
    config = SyntheticMarketConfig(
        symbols=["A", "B"],
        calendar="XNYS",
        tick_size=0.0001,
        spread_bps=1.0,
        quotes_per_second=0.02,
        annual_drift=0.0,
        correlation=0.6,
        seed=2,
    )
    events = stream_events(config, utc("2022-01-01"), utc("2023-01-01"), step=24 * HOUR)
    quotes = [e for e in events if type(e) is QuoteTick]
    frame = pd.DataFrame(
        {
            "symbol": [q.instrument_id.symbol for q in quotes],
            "ts": [q.ts_event for q in quotes],
            "x": np.log([q.mid for q in quotes]),
        }
    )
    frame["day"] = pd.to_datetime(frame.ts, utc=True).dt.tz_convert(NEW_YORK).dt.date
    return frame.groupby(["symbol", "day"]).agg(
        first_ts=("ts", "first"), last_ts=("ts", "last"), first=("x", "first"), last=("x", "last")
    )


def test_each_open_carries_the_move_since_the_previous_close(
    year_of_sessions: pd.DataFrame,
) -> None:
    scores = {}
    for symbol in ("A", "B"):
        days = year_of_sessions.loc[symbol]
        gaps = days["first"].to_numpy()[1:] - days["last"].to_numpy()[:-1]
        seconds = (days.first_ts.to_numpy()[1:] - days.last_ts.to_numpy()[:-1]) / SECOND
        # Variance accrues in wall-clock time, nights and weekends included: the move from a
        # session's last quote to the next one's first, over sigma sqrt(time between them),
        # is standard normal; 250 of them estimate its std within 4.5 %.
        scores[symbol] = gaps / (0.25 * np.sqrt(seconds / SECONDS_PER_YEAR))
        assert len(gaps) == 250
        assert abs(scores[symbol].std() - 1.0) < 0.15
        assert abs(scores[symbol].mean()) < 0.25
        # A year of sessions has a year's volatility (252 close-to-close returns).
        annualised = np.diff(days["last"].to_numpy()).std() * math.sqrt(252)
        assert abs(annualised / 0.25 - 1.0) < 0.15
    # The moves while closed share the common factor: correlation 0.6, standard error 0.04.
    assert abs(np.corrcoef(scores["A"], scores["B"])[0, 1] - 0.6) < 0.15


# --- the intraday volume profile --------------------------------------------------------------


@pytest.mark.parametrize("profile", [True, False])
def test_trades_follow_the_u_shaped_volume_profile(profile: bool) -> None:
    config = SyntheticMarketConfig(
        symbols=["AAA"],
        calendar="XNYS",
        intraday_volume_profile=profile,
        quotes_per_second=0.2,
        seed=3,
    )

    events = stream_events(config, utc("2024-07-08"), utc("2024-07-20"), step=24 * HOUR)

    def minutes_since_open(kind: type) -> np.ndarray:
        times = np.array([e.ts_event for e in events if type(e) is kind])
        local = pd.to_datetime(times, utc=True).tz_convert(NEW_YORK)
        return np.asarray(local.hour * 60 + local.minute - 570)

    quotes, trades = minutes_since_open(QuoteTick), minutes_since_open(TradeTick)

    def trades_per_quote(lo: int, hi: int) -> float:
        in_trades = ((trades >= lo) & (trades < hi)).sum()
        return float(in_trades / ((quotes >= lo) & (quotes < hi)).sum())

    first, middle, last = (
        trades_per_quote(0, 30),
        trades_per_quote(120, 270),
        trades_per_quote(360, 390),
    )
    # Ten full sessions: about 3,600 quotes in each half hour at the ends, 18,000 in the middle.
    # The profile (1 + 3 (2u - 1)^2) / 2 averages 1.78 over the first and last half hours and
    # 0.57 over the middle 2.5 hours; a third of the quotes trade on average either way.
    if profile:
        assert first > 2.5 * middle and last > 2.5 * middle
        assert abs(first - 1.78 / 3) < 0.04 and abs(middle - 0.57 / 3) < 0.02
    else:
        assert 0.85 < first / middle < 1.15 and 0.85 < last / middle < 1.15
    assert abs(len(trades) / len(quotes) - 1 / 3) < 0.01
