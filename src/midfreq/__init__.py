"""midfreq: a modular platform for mid-frequency algorithmic trading.

Research, backtest, paper and live trading run one deterministic kernel; only the clock, the data
client and the venue client change between modes.
"""

__version__ = "0.1.0"
