"""Alembic environment and versions (shipped in the package so `storefront migrate` works)."""
