"""Portfolio accounting: positions, cash, P&L, equity curve and performance statistics."""
