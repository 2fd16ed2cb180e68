"""connectors package.

One folder per external system (market data vendors, brokers, FIX): translation and transport
only, no business logic. `midfreq.connectors.http` is the shared HTTP transport (rate limiting,
retries, redaction of API keys); `alphavantage` and `nasdaq` are market data vendors.
"""
