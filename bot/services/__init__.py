"""Use cases: browsing, carts, buyers, catalog import. They know ports, never vendors."""
