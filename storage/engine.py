"""Engines and sessions, made by a factory at start-up (never at import time)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session

from storage.outage import OutageAwarePool, classify_outages
from storage.private_files import private_database

#: Seconds to get a connection: a new one (TCP, TLS, log-in) or a free one from the pool.
#: The defaults of ``DB_CONNECT_TIMEOUT`` and ``DB_STATEMENT_TIMEOUT`` (``bot.config``).
CONNECT_TIMEOUT = 5.0
#: Seconds one statement may take, waiting for locks included (PostgreSQL's
#: ``statement_timeout``; SQLite's busy timeout, how long a writer waits for the file lock).
#: The slowest statement a shop runs is the stats funnel's count of distinct viewers: 1.3 to
#: 3 s for 3 million card views in 90 days on a busy 2-core machine; everything an update
#: does takes milliseconds.
STATEMENT_TIMEOUT = 10.0
#: The driver waits this much longer than the server's ``statement_timeout`` before it gives
#: up on a statement itself: a server that answers cancels the statement first (and keeps
#: the connection); one that cannot answer at all is caught by the driver's own bound.
DRIVER_MARGIN = 1.0
#: SQLite's busy timeout with no statement timeout (``storefront migrate``).
UNBOUNDED_SQLITE_WAIT = 60.0


def _sqlite_pragmas(busy_ms: int, dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the one writer; NORMAL sync is safe with WAL and much faster;
    the busy timeout makes a second writer wait (at most that long) instead of failing at once
    with "database is locked"."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={busy_ms:d}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(
    url: str,
    *,
    echo: bool = False,
    connect_timeout: float = CONNECT_TIMEOUT,
    statement_timeout: float | None = STATEMENT_TIMEOUT,
) -> AsyncEngine:
    """An async engine for ``sqlite+aiosqlite://`` or ``postgresql+asyncpg://`` URLs.

    Statement parameters stay out of error messages (they hold addresses and phone numbers),
    and an unreachable database raises ``StorageUnavailable`` (``storage.outage``), as does one
    that does not answer in time: ``connect_timeout`` bounds getting a connection (a new one,
    or a free one from the pool), ``statement_timeout`` each statement (None: no bound, for
    migrations, which may rewrite large tables)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            private_database(Path(parsed.database))
        busy = statement_timeout if statement_timeout is not None else UNBOUNDED_SQLITE_WAIT
        file_pool: dict[str, Any] = (
            {"poolclass": OutageAwarePool, "pool_timeout": connect_timeout}
            if parsed.database and parsed.database != ":memory:"
            else {}
        )
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
            # sqlite3's ``timeout`` is the busy timeout from the first statement on (the
            # pragmas themselves may wait for the lock).
            connect_args={"timeout": busy},
            **file_pool,
        )
        event.listen(engine.sync_engine, "connect", partial(_sqlite_pragmas, round(busy * 1000)))
    else:
        connect_args: dict[str, Any] = {"timeout": connect_timeout}
        if statement_timeout is not None:
            connect_args["command_timeout"] = statement_timeout + DRIVER_MARGIN
            connect_args["server_settings"] = {
                "statement_timeout": str(round(statement_timeout * 1000))
            }
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args=connect_args,
            poolclass=OutageAwarePool,
            pool_timeout=connect_timeout,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=10,
        )
    classify_outages(engine)
    return engine


class WriteTrackingSession(Session):
    """A session that notes in ``info["wrote"]`` whether it changed anything.

    The storefront claims an update's id only when handling it wrote something or sent
    something new; a press that only pages through cached cards costs no write at all.
    """


@event.listens_for(WriteTrackingSession, "do_orm_execute")
def _note_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


@event.listens_for(WriteTrackingSession, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info["wrote"] = True


@event.listens_for(WriteTrackingSession, "after_commit")
@event.listens_for(WriteTrackingSession, "after_soft_rollback")
def _forget_writes(session: Session, *_: Any) -> None:
    session.info.pop("wrote", None)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Plain SQLAlchemy sessions: SQLModel tables work with them, and repositories use
    ``execute`` for the conditional writes that SQLModel's ``exec`` does not cover."""
    return async_sessionmaker(
        engine,
        class_=AsyncSession,
        sync_session_class=WriteTrackingSession,
        expire_on_commit=False,
    )


def database_label(url: str) -> str:
    """Which database a URL names, for people: its host and port or its file, never the
    password (nor the user)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite file {parsed.database or ':memory:'}"
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    name = f", database {parsed.database}" if parsed.database else ""
    return f"PostgreSQL at {where}{name}"


def why_unreachable(url: str, error: BaseException) -> str:
    """One line for the terminal when the database cannot be used at start: which database,
    what happened, what to check."""
    what = str(error)
    for prefix in ("the database is unreachable: ", "the database is unavailable: "):
        what = what.removeprefix(prefix)
    if make_url(url).get_backend_name() == "sqlite":
        check = "Check that its folder exists and is writable, and DATABASE_URL"
    else:
        check = (
            "Check that the server is running and reachable from here (host, port, "
            "firewall), and DATABASE_URL"
        )
    return f"cannot use the database ({database_label(url)}): {what}. {check}."
