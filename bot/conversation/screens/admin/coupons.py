"""Console section: coupons (being written)."""
