"""Console section: products (being written)."""
