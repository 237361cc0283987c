"""Card views written in batches (``storage.view_buffer``), on SQLite and PostgreSQL: a
committed turn's views wait in the process's buffer until it is due, a rolled-back turn's
never arrive, the same card seen again within half an hour is one view (in the process and
across processes), a failed commit loses nothing, and disposing the factory writes the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.interests import InteractionKind
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from storage.admin_tables import InteractionRow
from storage.unit_of_work import SqlUnitOfWorkFactory
from storage.view_buffer import ViewBuffer

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
V = InteractionKind.VIEW


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _count(uows: SqlUnitOfWorkFactory) -> int:
    async with uows.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(InteractionRow)) or 0)


async def _view(uows: SqlUnitOfWorkFactory, user: int, product: int, at: datetime) -> None:
    async with uows() as uow:
        await uow.interests.record(user, [product], V, at)
        await uow.commit()


async def test_views_wait_until_due_and_count_once(uows: SqlUnitOfWorkFactory) -> None:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    ticks = Ticks()
    buffered = SqlUnitOfWorkFactory(uows.engine, cache_ttl=0)
    buffered.views = ViewBuffer(2.0, clock=ticks)
    async with buffered() as uow:
        [p1, p2] = (await uow.catalog.search_ids(["konjac"], 5)) + (
            await uow.catalog.search_ids(["tripod"], 5)
        )
    async with buffered() as uow:  # rolled back: that card was never shown
        await uow.interests.record(1, [p1], V, NOW)
    assert buffered.views.pending == 0
    await _view(buffered, 1, p1, NOW)
    await _view(buffered, 1, p1, NOW + timedelta(minutes=5))  # the same card again
    await _view(buffered, 2, p1, NOW)
    assert (buffered.views.pending, await _count(buffered)) == (2, 0)
    ticks.now = 2.5
    await _view(buffered, 1, p2, NOW + timedelta(minutes=6))  # due: all three go together
    assert (buffered.views.pending, await _count(buffered)) == (0, 3)

    # Another process (its own buffer) showed user 1 the same card: the database says so.
    other = SqlUnitOfWorkFactory(uows.engine, cache_ttl=0)
    await _view(other, 1, p1, NOW + timedelta(minutes=10))
    assert await _count(buffered) == 3
    await _view(other, 1, p1, NOW + timedelta(minutes=45))  # half an hour on: a new view
    assert await _count(buffered) == 4

    await _view(buffered, 3, p2, NOW)
    await buffered.flush_views()  # the scheduler's tick (and shutdown) writes the rest
    assert (buffered.views.pending, await _count(buffered)) == (0, 5)


async def test_a_failed_commit_keeps_the_batch(
    uows: SqlUnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        [product] = await uow.catalog.search_ids(["konjac"], 5)
    boom = RuntimeError("connection lost at commit")

    async def failing_commit(self: object) -> None:
        raise boom

    from sqlalchemy.ext.asyncio import AsyncSession

    with monkeypatch.context() as patch:
        patch.setattr(AsyncSession, "commit", failing_commit)
        with pytest.raises(RuntimeError):
            await _view(uows, 7, product, NOW)
    assert (uows.views.pending, await _count(uows)) == (1, 0)
    await uows.dispose()  # writes what is left before closing
    assert await _count(SqlUnitOfWorkFactory(uows.engine)) == 1
