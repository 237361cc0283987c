"""The shop's rules: money, catalog, cart. Pure Python: no I/O, no framework, no ORM."""
