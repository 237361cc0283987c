"""Console section: stats (being written)."""
