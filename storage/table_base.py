"""What every table module shares: the metadata with its constraint naming convention, the UTC
clock of the row defaults and the column factories.

Each ``*_tables.py`` module imports this one and no other table module (foreign keys name their
table as a string, which SQLAlchemy resolves lazily), so the table modules form no import circle;
``storage.tables`` imports them all, so importing it registers every table on ``metadata``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, MetaData
from sqlmodel import SQLModel

from storage.types import UTCDateTime

# Constraint names that are the same on SQLite and PostgreSQL, so migrations can refer to them
# (batch mode on SQLite needs named constraints). Set here, before any table is declared.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts() -> Column[datetime]:
    return Column(UTCDateTime(), nullable=False, default=utcnow)


def _when(index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=True, index=index)


def _minor(nullable: bool = False) -> Column[int]:
    return Column(BigInteger, nullable=nullable, default=None if nullable else 0)
