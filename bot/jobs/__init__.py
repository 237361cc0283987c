"""APScheduler wiring: timed work that calls services. The database row is always the truth."""
