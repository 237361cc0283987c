"""Console section: orders (being written)."""
