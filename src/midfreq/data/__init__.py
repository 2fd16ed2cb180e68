"""Market data in, normalised domain data out: the DataEngine, loaders and the synthetic market."""
