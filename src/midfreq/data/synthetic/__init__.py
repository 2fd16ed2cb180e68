"""A seeded synthetic market: correlated GBM prices with optional mean reversion, volatility
clustering, jumps, cointegrated pairs and trading-calendar sessions, as historical bars
(`generate_bars`, `generate_session_bars`) or as a live stream of quotes, trades and order book
snapshots (`SyntheticQuoteStream`), both from one `SyntheticMarketConfig`.

Log prices follow ``x <- a * x + drift * h + sigma * sqrt(h) * shock`` with ``a = (1 -
mean_reversion) ** (h / bar_interval)``; every symbol's shock is ``sqrt(rho) * common +
sqrt(1 - rho) * own``. Each symbol draws from its own generators seeded by (seed, symbol), so a
symbol's path does not change when other symbols are added. Every optional feature draws from
generator streams of its own, so with the features off the market is exactly what it was before
they existed.

Modules: `config` (the settings), `bars` (historical bars; `_bar_model` holds their per-window
arithmetic), `stream` (the live stream; `_symbol_stream` generates one symbol's events),
`_sessions` (calendar sessions for both) and `_arithmetic` (recursions, seeds and rounding
shared by both).
"""

from midfreq.data.synthetic._arithmetic import _autoregress as _autoregress
from midfreq.data.synthetic.bars import (
    BAR_WINDOW,
    generate_bars,
    generate_session_bars,
    iter_bar_windows,
    iter_session_bar_windows,
)
from midfreq.data.synthetic.config import SECONDS_PER_YEAR, SyntheticMarketConfig
from midfreq.data.synthetic.stream import SyntheticQuoteStream

__all__ = [
    "BAR_WINDOW",
    "SECONDS_PER_YEAR",
    "SyntheticMarketConfig",
    "SyntheticQuoteStream",
    "generate_bars",
    "generate_session_bars",
    "iter_bar_windows",
    "iter_session_bar_windows",
]
