"""Per-seller HTML reports: results computed once, a view per seller, the batch runner."""
