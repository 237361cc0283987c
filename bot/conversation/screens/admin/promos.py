"""Console section: promos (being written)."""
