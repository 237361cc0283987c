"""Persistence: SQLModel tables, engine factory, repositories and the unit of work.

The only package that speaks SQL. Everything above it sees domain objects and ports.
"""
