"""One symbol of the live synthetic stream: its quotes, trades and order books, generated in
chunks of events from generators of its own, on the shared common factor of the returns
(`_CommonFactor`) and, with a calendar, on the shared trading hours."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from midfreq.data.synthetic._arithmetic import (
    _NS_PER_SECOND,
    _QUOTES_BOOK,
    _QUOTES_GAP,
    _QUOTES_JUMPS,
    _QUOTES_SPREAD,
    _QUOTES_SYMBOL,
    _QUOTES_VOLATILITY,
    _decimals,
    _gap_moments,
    _generator,
    _recurse,
)
from midfreq.data.synthetic._sessions import _TradingHours
from midfreq.data.synthetic.config import SECONDS_PER_YEAR, SyntheticMarketConfig
from midfreq.model.data import OrderBookSnapshot, QuoteTick, TradeTick
from midfreq.model.enums import AggressorSide
from midfreq.model.identifiers import InstrumentId

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
StreamEvent = QuoteTick | TradeTick | OrderBookSnapshot
# time, bid, ask, bid size, ask size, signed trade size (+ buyer at the ask, - seller, 0 none)
_Row = tuple[int, float, float, float, float, float]

_TRADE_PROBABILITY = 1.0 / 3.0
# The common factor is a Brownian path on this grid of market time, linearly interpolated between
# points and generated lazily in blocks; symbols generate their events in chunks.
_COMMON_STEP_NS = 100_000_000
_COMMON_BLOCK = 4096
_EVENT_CHUNK = 512


class _CommonFactor:
    """A standard Brownian path W(t) (t in seconds of market time since the start), generated
    lazily."""

    def __init__(self, rng: np.random.Generator, start_ns: int) -> None:
        self._rng = rng
        self._start_ns = start_ns
        self._base = 0  # grid index of self._values[0]
        self._values: npt.NDArray[np.float64] = np.zeros(1)
        self._step_std = math.sqrt(_COMMON_STEP_NS / _NS_PER_SECOND)

    def values_at(self, times_ns: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        offset = times_ns - self._start_ns
        index = offset // _COMMON_STEP_NS
        fraction = (offset % _COMMON_STEP_NS) / _COMMON_STEP_NS
        needed = int(index.max()) + 2 - self._base
        if len(self._values) < needed:
            # All missing blocks at once, with the arithmetic of one block at a time: each
            # block's cumulative sum starts from the value at the end of the one before.
            blocks = -(-(needed - len(self._values)) // _COMMON_BLOCK)
            steps = self._rng.standard_normal(blocks * _COMMON_BLOCK) * self._step_std
            partial = np.cumsum(steps.reshape(blocks, _COMMON_BLOCK), axis=1)
            starts = [float(self._values[-1])]
            for end in partial[:-1, -1].tolist():
                starts.append(starts[-1] + end)
            more = np.asarray(starts)[:, None] + partial
            self._values = np.concatenate((self._values, more.reshape(-1)))
        local = index - self._base
        left = self._values[local]
        result: npt.NDArray[np.float64] = left + fraction * (self._values[local + 1] - left)
        return result

    def discard_before(self, time_ns: int) -> None:
        index = (time_ns - self._start_ns) // _COMMON_STEP_NS
        drop = index - self._base
        if drop > 4 * _COMMON_BLOCK:  # copy rarely
            self._values = self._values[drop:].copy()
            self._base = index


class _StreamModel:
    """The constants of the stream's arithmetic, for one config."""

    def __init__(self, config: SyntheticMarketConfig) -> None:
        self.config = config
        self.per_second = config.annual_volatility / math.sqrt(SECONDS_PER_YEAR)
        self.drift = (config.annual_drift - 0.5 * config.annual_volatility**2) / SECONDS_PER_YEAR
        self.common_weight = math.sqrt(config.correlation)
        self.own_weight = math.sqrt(1.0 - config.correlation)
        self.bar_seconds = float(config.bar_interval_seconds)
        self.jumps_per_second = config.jump_intensity / SECONDS_PER_YEAR
        self.spread_sigma = config.cointegration_volatility * math.sqrt(
            config.bar_interval_seconds / SECONDS_PER_YEAR
        )
        self.typical_size = max(config.base_volume * 0.02, 1.0)
        self.decimals = _decimals(config.tick_size)


@dataclass(slots=True)
class _Chunk:
    rows: list[_Row]
    books: list[OrderBookSnapshot] | None


@dataclass(slots=True)
class _Moves:
    """A chunk's log prices and what else the path decides: the volatility multiplier of the
    quoted spread and the trade rate (mean 1; None without clustering) and the quotes at which a
    jump happened (None without jumps)."""

    x: FloatArray
    activity: FloatArray | None = None
    jumped: npt.NDArray[np.bool_] | None = None


class _SymbolQuotes:
    """One symbol's events in time order, generated a chunk at a time: the same draws in the same
    order whenever and however often it is asked, so its events depend only on the config."""

    def __init__(
        self,
        model: _StreamModel,
        symbol: str,
        instrument_id: InstrumentId,
        start_ns: int,
        common: _CommonFactor,
        hours: _TradingHours | None,
    ) -> None:
        config = model.config
        self.instrument_id = instrument_id
        self.symbol = symbol
        self.generated_until = start_ns  # wall-clock time of the last event generated
        self.market_until = start_ns  # its market time (= wall-clock time without a calendar)
        self._model = model
        self._config = config
        self._common = common
        self._hours = hours
        self._rng = _generator(config.seed, _QUOTES_SYMBOL, symbol)
        self._p0 = config.initial_price(symbol)
        self._x = 0.0  # log price relative to p0 at the last event generated
        self._w = 0.0  # the common factor there
        self._stretch = 0  # its stretch of trading hours
        self._trades = 0
        self._pending: deque[_Chunk] = deque()
        self._rows: list[_Row] = []  # the chunk being returned
        self._books: list[OrderBookSnapshot] | None = None
        self._cursor = 0
        self._last_book: OrderBookSnapshot | None = None
        self._leader: _SymbolQuotes | None = None
        self._followers: list[_SymbolQuotes] = []
        self._history_ns: IntArray = np.empty(0, dtype=np.int64)  # a leader's recent quotes
        self._history_x: FloatArray = np.empty(0)
        self._spread = 0.0  # a follower's log price minus its leader's
        self._volatility_rng = _generator(config.seed, _QUOTES_VOLATILITY, symbol)
        # The log variance starts in its stationary distribution: no burn-in.
        self._log_variance = config.volatility_of_volatility * float(
            self._volatility_rng.standard_normal()
        )
        self._jump_rng = _generator(config.seed, _QUOTES_JUMPS, symbol)
        self._gap_rng = _generator(config.seed, _QUOTES_GAP, symbol)
        self._spread_rng = _generator(config.seed, _QUOTES_SPREAD, symbol)
        self._book_rng = _generator(config.seed, _QUOTES_BOOK, symbol)

    def follow(self, leader: _SymbolQuotes) -> None:
        """Track ``leader`` from now on (before either generates anything)."""
        self._leader = leader
        leader._followers.append(self)

    def next_event_ns(self) -> int:
        if self._cursor == len(self._rows):
            if not self._pending:
                self._generate()
            self._take_chunk()
        return self._rows[self._cursor][0]

    def latest_book(self) -> OrderBookSnapshot | None:
        return self._last_book

    def take_until(self, to_ns: int) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        iid = self.instrument_id
        while True:
            if self._cursor == len(self._rows):
                if not self._pending:
                    if self.generated_until >= to_ns:
                        return events  # every event up to to_ns has been returned
                    self._generate()
                self._take_chunk()
            rows, books, cursor = self._rows, self._books, self._cursor
            while cursor < len(rows) and rows[cursor][0] <= to_ns:
                t, bid, ask, bid_size, ask_size, trade_size = rows[cursor]
                events.append(QuoteTick(iid, bid, ask, bid_size, ask_size, t, t))
                if books is not None:
                    events.append(books[cursor])
                if trade_size > 0:
                    self._trades += 1
                    trade_id = f"{self.symbol}-{self._trades}"
                    side = AggressorSide.BUYER
                    events.append(TradeTick(iid, ask, trade_size, side, trade_id, t, t))
                elif trade_size < 0:
                    self._trades += 1
                    trade_id = f"{self.symbol}-{self._trades}"
                    side = AggressorSide.SELLER
                    events.append(TradeTick(iid, bid, -trade_size, side, trade_id, t, t))
                cursor += 1
            if books is not None and cursor > self._cursor:
                self._last_book = books[cursor - 1]
            self._cursor = cursor
            if cursor < len(rows):
                return events

    def log_prices_at(self, times_ns: IntArray) -> FloatArray:
        """A leader's log price (relative to its initial price) as of its latest quote at or
        before each of these increasing wall-clock times (0 before its first quote)."""
        while self.generated_until < int(times_ns[-1]):
            self._generate()
        index = np.searchsorted(self._history_ns, times_ns, side="right") - 1
        values: FloatArray = np.where(index >= 0, self._history_x[np.maximum(index, 0)], 0.0)
        # Later lookups come after every follower's last event: older quotes are not needed.
        oldest = min(follower.generated_until for follower in self._followers)
        keep = int(np.searchsorted(self._history_ns, oldest, side="right")) - 1
        if keep > 2 * _EVENT_CHUNK:  # copy rarely
            self._history_ns = self._history_ns[keep:].copy()
            self._history_x = self._history_x[keep:].copy()
        return values

    def _take_chunk(self) -> None:
        chunk = self._pending.popleft()
        self._rows, self._books, self._cursor = chunk.rows, chunk.books, 0

    def _generate(self) -> None:
        """Draw the next chunk of events (always the same draws in the same order)."""
        config, model, rng, n = self._config, self._model, self._rng, _EVENT_CHUNK
        gaps_ns = np.maximum(
            np.round(rng.exponential(1.0 / config.quotes_per_second, n) * _NS_PER_SECOND), 1
        ).astype(np.int64)
        own = rng.standard_normal(n)
        sizes = np.exp(0.5 * rng.standard_normal((2, n)))
        trade_draws = rng.random((3, n))
        market = self.market_until + np.cumsum(gaps_ns)
        seconds = gaps_ns / _NS_PER_SECOND
        hours = self._hours
        # Seconds the market was closed before each event, and the common factor of the moves
        # then (with a calendar).
        closed: FloatArray | None = None
        closed_common: FloatArray | None = None
        if hours is None:
            times = market
        else:
            times, stretch = hours.locate(market)
            previous = np.concatenate(([self._stretch], stretch[:-1]))
            closed = (hours.closed[stretch] - hours.closed[previous]) / _NS_PER_SECOND
            closed_common = hours.common[stretch] - hours.common[previous]
            self._stretch = int(stretch[-1])
        elapsed = seconds if closed is None else seconds + closed
        if self._leader is None:
            moves = self._own_moves(market, seconds, own, elapsed, closed, closed_common)
        else:
            moves = _Moves(x=self._leader.log_prices_at(times) + self._spread_path(elapsed))
        if self._followers:
            self._history_ns = np.concatenate((self._history_ns, times))
            self._history_x = np.concatenate((self._history_x, moves.x))
        mid = self._p0 * np.exp(moves.x)
        half_spread = mid * (config.spread_bps / 20_000.0)
        if moves.activity is not None:
            half_spread = half_spread * moves.activity
        tick = config.tick_size
        bid_ticks = np.maximum(np.floor((mid - half_spread) / tick), 1.0)
        ask_ticks = np.maximum(np.ceil((mid + half_spread) / tick), bid_ticks + 1.0)
        bid = np.round(bid_ticks * tick, model.decimals)
        ask = np.round(ask_ticks * tick, model.decimals)
        typical_size = model.typical_size
        bid_size = np.maximum(np.round(typical_size * sizes[0]), 1.0)
        ask_size = np.maximum(np.round(typical_size * sizes[1]), 1.0)
        buy = trade_draws[1] < 0.5
        trade_size = np.maximum(np.round(trade_draws[2] * np.where(buy, ask_size, bid_size)), 1.0)
        probability: float | FloatArray = _TRADE_PROBABILITY
        if hours is not None and config.intraday_volume_profile:
            probability = probability * hours.volume_profile(times)
        if moves.activity is not None:
            probability = probability * moves.activity
        trades = trade_draws[0] < probability
        if moves.jumped is not None:
            trades = trades | moves.jumped
        # Sign encodes the aggressor: + buyer (at the ask), - seller (at the bid), 0 no trade.
        trade_size = np.where(trades, 1.0, 0.0) * np.where(buy, trade_size, -trade_size)
        books = None
        if config.book_levels > 0:
            books = self._books_of(times, bid_ticks, ask_ticks, bid_size, ask_size)
        rows = list(
            zip(
                times.tolist(),
                bid.tolist(),
                ask.tolist(),
                bid_size.tolist(),
                ask_size.tolist(),
                trade_size.tolist(),
                strict=True,
            )
        )
        self._pending.append(_Chunk(rows, books))
        self.market_until = int(market[-1])
        self.generated_until = int(times[-1])

    def _own_moves(
        self,
        market: IntArray,
        seconds: FloatArray,
        own: FloatArray,
        elapsed: FloatArray,
        closed: FloatArray | None,
        closed_common: FloatArray | None,
    ) -> _Moves:
        """The log prices of a symbol that follows no leader, and what they decide."""
        config, model, n = self._config, self._model, len(seconds)
        w = self._common.values_at(market)
        common_steps = np.diff(w, prepend=self._w)
        self._w = float(w[-1])
        scale: float | FloatArray = model.per_second
        activity = None
        if config.volatility_clustering > 0.0:
            log_variance = self._log_variances(elapsed)
            spread = config.volatility_of_volatility
            # E[exp(l - s**2 / 2)] = 1 for l ~ N(0, s**2): the mean variance stays sigma**2.
            scale = model.per_second * np.exp(0.5 * log_variance - 0.25 * spread**2)
            # sqrt(v) over its mean exp(-s**2 / 8): widens the spread and speeds up trading.
            activity = np.exp(0.5 * log_variance - 0.125 * spread**2)
        steps = model.drift * seconds + scale * (
            model.common_weight * common_steps + model.own_weight * np.sqrt(seconds) * own
        )
        pull = (1.0 - config.mean_reversion) ** (seconds / config.bar_interval_seconds)
        coefficients = pull
        if closed is not None and closed_common is not None and bool((closed > 0.0).any()):
            # The move while the market was closed, then the move since it opened.
            persistence = 1.0 - config.mean_reversion
            bars = closed / model.bar_seconds
            mean, variance = _gap_moments(persistence, bars)
            gapped = closed > 0.0
            common_shock = np.zeros(n)
            common_shock[gapped] = closed_common[gapped] / np.sqrt(closed[gapped])
            own_shock = np.zeros(n)
            own_shock[gapped] = self._gap_rng.standard_normal(int(gapped.sum()))
            shocks = model.common_weight * common_shock + model.own_weight * own_shock
            gap_steps = (
                model.drift * model.bar_seconds * mean
                + scale * np.sqrt(model.bar_seconds * variance) * shocks
            )
            coefficients = pull * persistence**bars
            steps = steps + pull * gap_steps
        jumped = None
        if config.jump_intensity > 0.0:
            counts = self._jump_rng.poisson(model.jumps_per_second * elapsed)
            normals = self._jump_rng.standard_normal(n)
            size = config.jump_size
            # A sum of k N(-s**2/2, s**2) jumps is N(-k s**2/2, k s**2); E[exp(jump)] = 1.
            steps = steps + counts * (-0.5 * size**2) + np.sqrt(counts) * size * normals
            jumped = counts > 0
        x, self._x = _recurse(coefficients.tolist(), steps.tolist(), self._x)
        return _Moves(x=x, activity=activity, jumped=jumped)

    def _log_variances(self, elapsed: FloatArray) -> FloatArray:
        """Advance the log variance ``log v`` (an AR(1) of ``volatility_clustering`` per bar in
        wall-clock time, stationary N(0, volatility_of_volatility**2)) to each event."""
        config = self._config
        coefficients = config.volatility_clustering ** (elapsed / self._model.bar_seconds)
        # Innovations keep log v ~ N(0, s**2) however long a step is.
        innovations = config.volatility_of_volatility * np.sqrt(1.0 - coefficients**2)
        innovations = innovations * self._volatility_rng.standard_normal(len(elapsed))
        log_variance, self._log_variance = _recurse(
            coefficients.tolist(), innovations.tolist(), self._log_variance
        )
        return log_variance

    def _spread_path(self, elapsed: FloatArray) -> FloatArray:
        """Advance a follower's spread to its leader (a discrete Ornstein-Uhlenbeck process of
        ``cointegration_strength`` per bar in wall-clock time) to each event."""
        persistence = 1.0 - self._config.cointegration_strength
        bars = elapsed / self._model.bar_seconds
        _, variance = _gap_moments(persistence, bars)
        steps = self._model.spread_sigma * np.sqrt(variance)
        steps = steps * self._spread_rng.standard_normal(len(elapsed))
        spread, self._spread = _recurse((persistence**bars).tolist(), steps.tolist(), self._spread)
        return spread

    def _books_of(
        self,
        times: IntArray,
        bid_ticks: FloatArray,
        ask_ticks: FloatArray,
        bid_size: FloatArray,
        ask_size: FloatArray,
    ) -> list[OrderBookSnapshot]:
        """The order book at each quote: levels one tick apart from the quote outwards, each
        deeper level holding more, bids stopping at one tick."""
        config, model, n = self._config, self._model, len(times)
        levels, tick = config.book_levels, config.tick_size
        increments = np.ceil(
            model.typical_size * (0.25 + 0.5 * self._book_rng.random((2, n, levels - 1)))
        )
        start = np.zeros((n, 1))
        bid_sizes = bid_size[:, None] + np.concatenate((start, np.cumsum(increments[0], 1)), 1)
        ask_sizes = ask_size[:, None] + np.concatenate((start, np.cumsum(increments[1], 1)), 1)
        depth = np.arange(levels, dtype=np.float64)
        bid_prices = np.round((bid_ticks[:, None] - depth) * tick, model.decimals)
        ask_prices = np.round((ask_ticks[:, None] + depth) * tick, model.decimals)
        bid_depths = np.minimum(levels, bid_ticks).astype(np.int64).tolist()  # none below a tick
        iid = self.instrument_id
        # Rows of equal length: zip needs no strict check (it costs a third of a book here).
        return [
            OrderBookSnapshot(
                iid,
                tuple(zip(bid_price, bid_sizes_row, strict=False))
                if depth == levels
                else tuple(zip(bid_price[:depth], bid_sizes_row[:depth], strict=False)),
                tuple(zip(ask_price, ask_sizes_row, strict=False)),
                t,
                t,
            )
            for t, depth, bid_price, bid_sizes_row, ask_price, ask_sizes_row in zip(
                times.tolist(),
                bid_depths,
                bid_prices.tolist(),
                bid_sizes.tolist(),
                ask_prices.tolist(),
                ask_sizes.tolist(),
                strict=True,
            )
        ]
