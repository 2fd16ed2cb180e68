"""The simulated venue and its named assumptions (fill, fees, slippage, latency).

It is the embedded broker for backtests and paper trading alike, so it sits below `system`.
"""
