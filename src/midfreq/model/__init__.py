"""Pure domain model: identifiers, instruments, values, market data, commands, events and the
Order and Position aggregates. No I/O and no engines."""
