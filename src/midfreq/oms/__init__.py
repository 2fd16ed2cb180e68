"""oms package."""
