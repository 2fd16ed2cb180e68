"""Infrastructure: YAML config loading into typed models, structured logging."""
