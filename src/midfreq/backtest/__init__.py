"""Backtesting: the BacktestEngine, its results and their files."""
