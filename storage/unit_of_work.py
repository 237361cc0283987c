"""The unit of work: one transaction, the repositories bound to it, rollback unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.catalog_repository import SqlCatalogRepository
from storage.catalog_writer import SqlCatalogWriter
from storage.engine import make_sessionmaker
from storage.repositories import (
    SqlBuyerRepository,
    SqlCartRepository,
    SqlSearchLog,
    SqlUiStateStore,
    SqlUpdateLog,
)


class SqlUnitOfWork:
    catalog: SqlCatalogRepository
    catalog_writer: SqlCatalogWriter
    carts: SqlCartRepository
    buyers: SqlBuyerRepository
    updates: SqlUpdateLog
    searches: SqlSearchLog
    ui_states: SqlUiStateStore

    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        session: AsyncSession = self._sessions()
        self._session = session
        self.catalog = SqlCatalogRepository(session)
        self.catalog_writer = SqlCatalogWriter(session)
        self.carts = SqlCartRepository(session)
        self.buyers = SqlBuyerRepository(session)
        self.updates = SqlUpdateLog(session)
        self.searches = SqlSearchLog(session)
        self.ui_states = SqlUiStateStore(session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None

    async def commit(self) -> None:
        assert self._session is not None
        await self._session.commit()

    async def rollback(self) -> None:
        assert self._session is not None
        await self._session.rollback()


class SqlUnitOfWorkFactory:
    """Makes a fresh unit of work per update; holds the engine for shutdown."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = make_sessionmaker(engine)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)

    async def dispose(self) -> None:
        await self.engine.dispose()
