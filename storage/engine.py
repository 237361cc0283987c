"""Engines and sessions, made by a factory at start-up (never at import time)."""

from __future__ import annotations

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

from storage.outage import classify_outages
from storage.private_files import private_database


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the one writer; NORMAL sync is safe with WAL and much faster;
    the busy timeout makes a second writer wait instead of failing with "database is locked"."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for ``sqlite+aiosqlite://`` or ``postgresql+asyncpg://`` URLs.

    Statement parameters stay out of error messages (they hold addresses and phone numbers),
    an SQLite database file is readable by its owner only (``storage.private_files``), and an
    unreachable database raises ``StorageUnavailable`` (``storage.outage``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_database(Path(parsed.database))
        engine = create_async_engine(url, echo=echo, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
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
