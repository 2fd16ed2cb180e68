"""The parameters of the synthetic market (`SyntheticMarketConfig`), shared by its historical
bars and its live stream, and validated the way a config file is."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from midfreq.core.errors import ConfigError
from midfreq.model.identifiers import InstrumentId

SECONDS_PER_YEAR = 365 * 24 * 3600
"""The synthetic market trades around the clock, so a year is 365 full days."""


class SyntheticMarketConfig(BaseModel):
    """Parameters of the synthetic market, for its historical bars and its live stream alike.

    Every setting after ``base_volume`` is off (or has no effect) by default, and with all of
    them at their defaults the market is exactly the plain correlated GBM market. The stream
    (`SyntheticQuoteStream`) follows the same dynamics in continuous time: a setting given
    "per bar" applies per ``bar_interval_seconds`` of wall-clock time there.

    Parameters
    ----------
    symbols : list[str]
        At least one, unique; instruments are ``SYMBOL.VENUE``.
    venue : str, default "SIM"
    seed : int, default 42
        Non-negative; the same seed gives the same market.
    initial_prices : dict[str, float], default {}
        Starting price per symbol (100.0 when missing).
    annual_drift, annual_volatility : float, default 0.05, 0.25
        GBM drift and volatility per (365-day) year. With jumps, ``annual_volatility`` is the
        volatility of the continuous part only.
    correlation : float, default 0.3
        Correlation of every pair of symbols' shocks (one common factor), 0..1.
    mean_reversion : float, default 0.0
        Fraction of the log price's distance from its initial level removed per bar, 0..1.
    bar_interval_seconds : int, default 60
    spread_bps : float, default 5.0
        Quoted spread in basis points of the mid (at least one tick); with
        ``volatility_clustering`` the stream's spread is this on average and widens with the
        current volatility.
    quotes_per_second : float, default 5.0
        Poisson rate of quotes per symbol in `SyntheticQuoteStream` (per second the market is
        open, with a calendar).
    tick_size : float, default 0.01
    base_volume : float, default 10000
        Typical (mean) volume of one bar.
    volatility_clustering : float, default 0.0
        Persistence per bar of the variance, 0..0.99; 0 turns clustering off. Each symbol's
        variance is ``annual_volatility**2 * v`` with ``log v`` an AR(1) process of this
        coefficient (a log-normal stochastic volatility model: GARCH(1,1)-like clustering, as
        the autocorrelation of squared returns decays like ``volatility_clustering ** lag``,
        but with its own shocks, so that it can be generated vectorised). ``E[v] = 1``, so the
        unconditional variance, and the meaning of ``annual_volatility``, are unchanged.
        Volume (the stream's trade rate and quoted spread) rises with the current volatility.
    volatility_of_volatility : float, default 0.8
        Standard deviation of ``log v`` (0..3); used only with ``volatility_clustering``.
        Larger values give fatter tails: the kurtosis of returns is ``3 * exp(this ** 2)``.
    jump_intensity : float, default 0.0
        Expected jumps per symbol per (365-day) year; each bar (and each closed stretch between
        sessions, with a calendar) gets a Poisson number of jumps. 0 turns jumps off.
    jump_size : float, default 0.02
        Standard deviation of one jump's log size. Jumps have mean ``-jump_size**2 / 2`` so that
        they leave the expected price unchanged; a bar with a jump trades more, and the
        stream's quote after a jump always trades.
    cointegrated_pairs : list[tuple[str, str]], default []
        Pairs ``(leader, follower)`` of configured symbols. A follower's log price relative to
        its initial price is the leader's plus a stationary spread: ``log(P_f / P_f0) =
        log(P_l / P_l0) + s`` with ``s`` an AR(1) (discrete Ornstein-Uhlenbeck) process
        starting at 0. The follower has no shocks or jumps of its own; its volume follows the
        leader's activity (in the stream: its log price is the leader's as of the leader's
        latest quote plus ``s``, and it keeps its own quote times, sizes and trades). A leader
        may lead several followers; a symbol follows at most one leader and a follower cannot
        lead.
    cointegration_strength : float, default 0.01
        Fraction of the spread removed per bar, in (0, 1]: the spread's half-life is
        ``log(0.5) / log(1 - cointegration_strength)`` bars.
    cointegration_volatility : float, default 0.1
        Annualised volatility of the spread's shocks (per 365-day year, like
        ``annual_volatility``); the spread's stationary standard deviation per bar is this
        times ``sqrt(bar_interval_seconds / SECONDS_PER_YEAR / (1 - (1 -
        cointegration_strength) ** 2))``.
    calendar : str or None, default None
        An exchange-calendars name (``"XNYS"``, ``"XLON"``, ``"CMES"``, ...). Bars are then the
        full bars of each session (`midfreq.data.calendars.session_bar_times`), and prices still
        move in wall-clock time: the first bar of a session opens at a gap that carries the
        move since the previous close (nights, weekends, holidays), so that close-to-close
        returns over a year of sessions have ``annual_volatility``. The stream has no events
        outside sessions (nor in lunch breaks) and its first quote after a closed stretch
        carries that move. None: bars and quotes around the clock.
    intraday_volume_profile : bool, default False
        U-shaped volume over each session: with ``u`` the fraction of the session (open to
        close) elapsed at the middle of a bar, volume is multiplied by ``(1 + 3 * (2u - 1)**2)
        / 2``, which averages 1 over a session, is 2 at the open and the close and 0.5 at
        midday. In the stream, the probability that a quote trades follows the profile.
        Needs ``calendar``.
    book_levels : int, default 0
        Price levels per side of the `OrderBookSnapshot` that `SyntheticQuoteStream` emits
        after each quote (0..100); 0 means no books.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    symbols: list[str] = Field(min_length=1)
    venue: str = "SIM"
    seed: int = Field(default=42, ge=0)
    initial_prices: dict[str, float] = Field(default_factory=dict)
    annual_drift: float = 0.05
    annual_volatility: float = Field(default=0.25, ge=0.0)
    correlation: float = Field(default=0.3, ge=0.0, le=1.0)
    mean_reversion: float = Field(default=0.0, ge=0.0, le=1.0)
    bar_interval_seconds: int = Field(default=60, gt=0)
    spread_bps: float = Field(default=5.0, gt=0.0)
    quotes_per_second: float = Field(default=5.0, gt=0.0)
    tick_size: float = Field(default=0.01, gt=0.0)
    base_volume: float = Field(default=10000.0, gt=0.0)
    volatility_clustering: float = Field(default=0.0, ge=0.0, le=0.99)
    volatility_of_volatility: float = Field(default=0.8, ge=0.0, le=3.0)
    jump_intensity: float = Field(default=0.0, ge=0.0)
    jump_size: float = Field(default=0.02, ge=0.0)
    cointegrated_pairs: list[tuple[str, str]] = Field(default_factory=list)
    cointegration_strength: float = Field(default=0.01, gt=0.0, le=1.0)
    cointegration_volatility: float = Field(default=0.1, ge=0.0)
    calendar: str | None = None
    intraday_volume_profile: bool = False
    book_levels: int = Field(default=0, ge=0, le=100)

    @model_validator(mode="after")
    def _check_symbols(self) -> SyntheticMarketConfig:
        duplicates = sorted({s for s in self.symbols if self.symbols.count(s) > 1})
        if duplicates:
            raise ValueError(f"symbols: expected unique symbols, was {duplicates} repeated")
        for symbol in self.symbols:
            InstrumentId.from_parts(symbol, self.venue)  # raises on a malformed symbol or venue
        return self

    @field_validator("initial_prices")
    @classmethod
    def _check_initial_prices(
        cls, value: dict[str, float], info: ValidationInfo
    ) -> dict[str, float]:
        # The message completes "expected ...": the config loader names the key and the value.
        symbols = info.data.get("symbols", [])
        unknown = sorted(set(value) - set(symbols))
        if unknown:
            raise ValueError(
                f"prices only for the symbols traded ({', '.join(symbols)}); unknown: "
                f"{', '.join(unknown)}"
            )
        if any(not price > 0 for price in value.values()):
            raise ValueError("prices > 0")
        return value

    @field_validator("cointegrated_pairs")
    @classmethod
    def _check_pairs(
        cls, value: list[tuple[str, str]], info: ValidationInfo
    ) -> list[tuple[str, str]]:
        symbols = info.data.get("symbols", [])
        unknown = sorted({s for pair in value for s in pair} - set(symbols))
        if unknown:
            raise ValueError(
                f"(leader, follower) pairs of the symbols traded ({', '.join(symbols)}); "
                f"unknown: {', '.join(unknown)}"
            )
        if any(leader == follower for leader, follower in value):
            raise ValueError("pairs of two different symbols")
        followers = [follower for _, follower in value]
        twice = sorted({s for s in followers if followers.count(s) > 1})
        if twice:
            raise ValueError(f"each symbol to follow one leader at most; {twice} follow several")
        leading = sorted({leader for leader, _ in value} & set(followers))
        if leading:
            raise ValueError(f"followers that do not lead; {leading} both follow and lead")
        return value

    @field_validator("calendar")
    @classmethod
    def _check_calendar(cls, value: str | None) -> str | None:
        if value is not None:
            from midfreq.data.calendars import TradingCalendar  # exchange-calendars is slow to load

            try:
                TradingCalendar.get(value)
            except ConfigError as error:
                raise ValueError(error.expected) from None
        return value

    @field_validator("intraday_volume_profile")
    @classmethod
    def _check_profile(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("calendar") is None:
            raise ValueError("false without a calendar (the profile follows each session)")
        return value

    def instrument_ids(self) -> list[InstrumentId]:
        """Return ``SYMBOL.VENUE`` for every symbol, in the order of ``symbols``."""
        return [InstrumentId.from_parts(symbol, self.venue) for symbol in self.symbols]

    def initial_price(self, symbol: str) -> float:
        """Return the starting price of ``symbol`` (100.0 unless configured)."""
        return self.initial_prices.get(symbol, 100.0)
