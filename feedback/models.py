"""Voice-of-Customer survey sources and responses (built out with survey imports)."""
