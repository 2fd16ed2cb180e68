"""Strategies: the `BaseStrategy` API, the `StrategyFactory`, indicators and built-in strategies."""
