"""Telling "the database is unreachable" apart from every other database error.

The engine raises ``StorageUnavailable`` (a port the use cases know) in place of the driver's
error when the server cannot be reached, the connection was lost, the server is shutting down
or starting up, or it did not answer in time: a connect, a statement or a pool checkout that
ran out of its time (``DB_CONNECT_TIMEOUT``, ``DB_STATEMENT_TIMEOUT``). Everything else (a
constraint, a bug in a query) stays what it was: a redelivered update would fail the same way
again.

A server that accepts connections and never answers is the hard case: nothing resets the
connection, so without a bound each statement would wait for ever. When a statement or the
pool's pre-ping gets no answer in time (a *stall*), that connection is dropped at once (a
polite goodbye would wait for the silent server too), and every connection made before the
stall is replaced at its next checkout instead of being tried again (``OutageAwarePool``), so
the bot recovers by itself once the database answers again.
"""

from __future__ import annotations

import math
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, PoolProxiedConnection

from bot.services.ports import StorageUnavailable

#: SQLite errors about the file, not the statement ("no such table" is a bug, not an outage).
_SQLITE_OUTAGES = (
    "unable to open database file",
    "disk i/o error",
    "database is locked",
    "database disk image is malformed",
)
#: SQLSTATE classes and codes of PostgreSQL that mean the server went or is not there yet:
#: connection exceptions, admin/crash shutdown (pg_terminate_backend), cannot connect now, too
#: many connections, and a statement cancelled (its ``statement_timeout`` ran out).
_PG_OUTAGE_CLASSES = ("08",)
_PG_OUTAGE_CODES = ("57P01", "57P02", "57P03", "53300", "57014")
#: ``record.info`` key: when (``time.monotonic()``) the pooled connection was made.
_BORN = "storefront_born"


class Stalled(TimeoutError):
    """The connection was made before the database last stopped answering: replaced unused."""


def reason(error: BaseException) -> str:
    """What went wrong, in a few words (a bare ``TimeoutError`` says nothing by itself)."""
    text = str(error).strip()
    if isinstance(error, TimeoutError) and not text:
        return "no answer in time"
    return text or type(error).__name__


def _chain(error: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while error is not None and all(error is not e for e in seen):
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def is_stall(error: BaseException | None) -> bool:
    """The driver gave up waiting for the server (a timeout), as opposed to being told no."""
    return any(isinstance(e, TimeoutError) for e in _chain(error))


def is_outage(error: BaseException | None, dialect_name: str, is_disconnect: bool) -> bool:
    if is_disconnect:
        return True
    for cause in _chain(error):
        if isinstance(cause, (OSError, TimeoutError)):
            return True
        code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(code, str) and (
            code.startswith(_PG_OUTAGE_CLASSES) or code in _PG_OUTAGE_CODES
        ):
            return True
        if dialect_name == "sqlite" and type(cause).__name__ == "OperationalError":
            message = str(cause).lower()
            if any(text in message for text in _SQLITE_OUTAGES):
                return True
    return False


class OutageAwarePool(AsyncAdaptedQueuePool):
    """The engine's pool. A checkout that waited ``pool_timeout`` for a free connection, or
    whose pre-ping got no answer, raises ``StorageUnavailable``; after a stall, connections
    made before it are replaced at checkout rather than pinged (each ping of a connection lost
    in the outage would wait the whole statement timeout)."""

    #: Log as SQLAlchemy's own pool does (the log configuration caps "sqlalchemy" at INFO).
    _sqla_logger_namespace = "sqlalchemy.pool.impl.OutageAwarePool"
    _stalled_at = -math.inf

    def note_stall(self) -> None:
        self._stalled_at = time.monotonic()

    def connect(self) -> PoolProxiedConnection:
        try:
            return super().connect()
        except sa_exc.TimeoutError as exc:  # QueuePool's "limit ... reached, timed out"
            raise StorageUnavailable(
                f"no database connection came free within {self.timeout():g} s"
            ) from exc
        except TimeoutError as exc:  # the pre-ping got no answer (a DBAPI error is retried)
            self.note_stall()
            raise StorageUnavailable("the database did not answer in time") from exc

    def _do_get(self) -> Any:
        record = super()._do_get()
        born = record.info.get(_BORN)
        if born is not None and born <= self._stalled_at:
            record.invalidate(Stalled("made before the database stopped answering"))
        return record


def _born(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_BORN] = time.monotonic()


def _drop_stalled(_dbapi_connection: Any, record: ConnectionPoolEntry, error: Any) -> None:
    """A connection invalidated because the server did not answer is closed at once: the
    driver's graceful close would send a goodbye and wait for the silent server again."""
    if isinstance(error, BaseException) and is_stall(error):
        terminate = getattr(record.driver_connection, "terminate", None)  # asyncpg's
        if callable(terminate):
            terminate()


def _on_error(context: ExceptionContext) -> BaseException | None:
    if context.is_pre_ping:  # the pool reconnects by itself after a failed ping
        return None
    original = context.original_exception
    if is_stall(original):
        # No answer in time: this connection may be lost (invalidate it, and the pool's older
        # ones, rather than send it more statements to wait on).
        context.is_disconnect = True
        pool = context.engine.pool if context.engine is not None else None
        if isinstance(pool, OutageAwarePool):
            pool.note_stall()
    name = context.dialect.name if context.dialect is not None else ""
    if is_outage(original, name, context.is_disconnect):
        return StorageUnavailable(f"the database is unavailable: {reason(original)}")
    return None


def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Open a DBAPI connection; a refused or timed-out socket (asyncpg raises ``OSError``,
    which SQLAlchemy does not wrap) becomes ``StorageUnavailable``."""
    try:
        return dialect.connect(*cargs, **cparams)
    except TimeoutError as exc:
        within = cparams.get("timeout")
        raise StorageUnavailable(
            f"the database did not answer within {within:g} s"
            if isinstance(within, (int, float))
            else f"the database is unreachable: {reason(exc)}"
        ) from exc
    except OSError as exc:
        raise StorageUnavailable(f"the database is unreachable: {reason(exc)}") from exc


def classify_outages(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "handle_error", _on_error)
    event.listen(engine.sync_engine, "do_connect", _connect)
    event.listen(engine.sync_engine, "connect", _born)
    event.listen(engine.sync_engine, "invalidate", _drop_stalled)
