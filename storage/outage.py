"""Telling "the database is unreachable" apart from every other database error.

The engine raises ``StorageUnavailable`` (a port the use cases know) in place of the driver's
error when the server cannot be reached, the connection was lost, or the server is shutting
down or starting up. Everything else (a constraint, a bug in a query) stays what it was: a
redelivered update would fail the same way again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.ports import StorageUnavailable

#: SQLite errors about the file, not the statement ("no such table" is a bug, not an outage).
_SQLITE_OUTAGES = (
    "unable to open database file",
    "disk i/o error",
    "database is locked",
    "database disk image is malformed",
)
#: SQLSTATE classes and codes of PostgreSQL that mean the server went or is not there yet:
#: connection exceptions, admin/crash shutdown (pg_terminate_backend), cannot connect now.
_PG_OUTAGE_CLASSES = ("08",)
_PG_OUTAGE_CODES = ("57P01", "57P02", "57P03", "53300")


def is_outage(error: BaseException | None, dialect_name: str, is_disconnect: bool) -> bool:
    if is_disconnect:
        return True
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (OSError, TimeoutError)):
            return True
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(code, str) and (
            code.startswith(_PG_OUTAGE_CLASSES) or code in _PG_OUTAGE_CODES
        ):
            return True
        if dialect_name == "sqlite" and type(error).__name__ == "OperationalError":
            message = str(error).lower()
            if any(text in message for text in _SQLITE_OUTAGES):
                return True
        error = error.__cause__ or error.__context__
    return False


def _on_error(context: ExceptionContext) -> BaseException | None:
    if context.is_pre_ping:  # the pool reconnects by itself after a failed ping
        return None
    name = context.dialect.name if context.dialect is not None else ""
    if is_outage(context.original_exception, name, context.is_disconnect):
        return StorageUnavailable(f"the database is unreachable: {context.original_exception}")
    return None


def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Open a DBAPI connection; a refused or timed-out socket (asyncpg raises ``OSError``,
    which SQLAlchemy does not wrap) becomes ``StorageUnavailable``."""
    try:
        return dialect.connect(*cargs, **cparams)
    except (OSError, TimeoutError) as exc:
        raise StorageUnavailable(f"the database is unreachable: {exc}") from exc


def classify_outages(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "handle_error", _on_error)
    event.listen(engine.sync_engine, "do_connect", _connect)
