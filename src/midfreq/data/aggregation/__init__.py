"""Bar aggregation: trades and quotes into time, tick, volume and dollar bars, and bars into
longer bars. Vectorised batch functions work on NumPy columns and return `BarArrays`; streaming
builders take one event at a time and emit the same `Bar`s, for live data.

Semantics shared by every function here:

- Time bars cover left-closed intervals ``[start, end)`` aligned on ``origin_ns`` and are stamped
  with ``end`` (pandas ``resample(closed="left", label="right")``): a trade exactly at ``end``
  opens the next bar, so a bar stamped ``t`` holds only events before ``t``.
- Threshold bars (tick, volume, dollar) close on the trade that reaches the threshold and are
  stamped with that trade's timestamp. A trade that crosses the threshold is kept whole in the
  bar it completes (never split); the excess does not carry over, the next bar starts from zero.
- Volume is the float64 sum of sizes added in trade order (``v += size``), so batch and streaming
  agree to the bit. Quote bars have no traded size: their volume is the number of quotes.
- Timestamps are int UTC nanoseconds and must not decrease; prices and sizes must be finite,
  sizes >= 0. Bad arguments raise ``ValueError``, bad data raises `DataError`, both saying
  "expected X, was Y".
"""

from midfreq.data.aggregation.batch import (
    QuotePrice,
    dollar_bars,
    quote_time_bars,
    resample_bars,
    tick_bars,
    time_bars,
    volume_bars,
)
from midfreq.data.aggregation.builders import (
    DollarBarBuilder,
    TickBarBuilder,
    TimeBarBuilder,
    VolumeBarBuilder,
)
from midfreq.data.aggregation.live import LiveBarAggregator, LiveBarsConfig

__all__ = [
    "DollarBarBuilder",
    "LiveBarAggregator",
    "LiveBarsConfig",
    "QuotePrice",
    "TickBarBuilder",
    "TimeBarBuilder",
    "VolumeBarBuilder",
    "dollar_bars",
    "quote_time_bars",
    "resample_bars",
    "tick_bars",
    "time_bars",
    "volume_bars",
]
