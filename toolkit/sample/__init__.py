"""A deterministic synthetic data directory: the sample personas, or millions of orders."""
