"""Console section: team (being written)."""
