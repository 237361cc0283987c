"""Column types shared by the tables, and typed access to what SQLModel and SQLAlchemy type
loosely (a table class's Core ``Table``, the row count of an UPDATE or DELETE)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import DateTime, Table
from sqlalchemy.engine import CursorResult, Dialect, Result
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL keeps the offset (``timestamptz``); SQLite keeps text without one, so values are
    normalised to UTC on the way in and tagged as UTC on the way out. Naive datetimes are refused:
    they are always a bug (``datetime.utcnow()`` somewhere).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def table_of(row: type[SQLModel]) -> Table:
    """The Core ``Table`` of a SQLModel table class (SQLModel does not declare ``__table__``)."""
    table: Table = row.__table__  # type: ignore[attr-defined]
    return table


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE, DELETE or INSERT matched. ``AsyncSession.execute`` is typed as returning
    a plain ``Result``; for these statements it is a ``CursorResult``, which has the count."""
    return cast(CursorResult[Any], result).rowcount
