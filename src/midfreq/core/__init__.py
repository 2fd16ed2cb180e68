"""Primitives with no trading knowledge: clocks, the message bus, lifecycle, errors and ids."""
