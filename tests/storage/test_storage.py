"""Storage on SQLite and on PostgreSQL (a real server; skipped with a reason when absent)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select

from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from storage.migrate import alembic_config, head_revision, schema_status
from storage.tables import UserRow, metadata
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BIG_ID = 7_123_456_789  # Telegram ids do not fit 32 bits


async def test_migrations_match_the_tables(uows: SqlUnitOfWorkFactory) -> None:
    status = await schema_status(uows.engine)
    assert status.is_current and status.head is not None

    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with uows.engine.connect() as conn:
        assert await conn.run_sync(diff) == []

    def alembic_reads(connection):  # type: ignore[no-untyped-def]
        return MigrationContext.configure(connection).get_current_revision()

    async with uows.engine.connect() as conn:  # the bot reads the revision as Alembic does
        assert await conn.run_sync(alembic_reads) == status.current


def test_the_head_the_bot_needs_is_the_newest_migration() -> None:
    """``head_revision()`` (what ``storefront run`` compares the database with, read from the
    scripts as text, without importing Alembic) is the one head Alembic finds."""
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [head_revision()]


async def test_big_telegram_ids_and_utc_timestamps(uows: SqlUnitOfWorkFactory) -> None:
    async with uows() as uow:
        profile = await uow.buyers.touch(BIG_ID, "Ann", "ann", "en", NOW)
        await uow.commit()
    assert profile.id == BIG_ID
    async with uows() as uow:
        row = await uow.carts._s.scalar(select(UserRow).where(UserRow.id == BIG_ID))  # noqa: SLF001
        assert row is not None and row.created_at == NOW and row.created_at.tzinfo is not None


async def test_a_redelivered_update_is_claimed_once_even_concurrently(
    uows: SqlUnitOfWorkFactory,
) -> None:
    async def claim() -> bool:
        for _ in range(20):
            try:
                async with uows() as uow:
                    won = await uow.updates.claim(555, NOW)
                    await uow.commit()
                    return won
            except Exception:  # noqa: BLE001 - a serialisation failure means: try again
                await asyncio.sleep(0.01)
        raise AssertionError("claim never completed")

    results = await asyncio.gather(*(claim() for _ in range(10)))
    assert results.count(True) == 1


async def test_cart_adds_never_exceed_the_cap_under_concurrency(
    uows: SqlUnitOfWorkFactory,
) -> None:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        await uow.buyers.touch(BIG_ID, "Ann", None, None, NOW)
        variant_id = (await uow.catalog.search_ids(["tripod"], 5))[0]
        await uow.commit()

    async def add() -> None:
        async with uows() as uow:
            await uow.carts.add(BIG_ID, variant_id, 1, 5, NOW)
            await uow.commit()

    await asyncio.gather(*(add() for _ in range(12)))
    async with uows() as uow:
        assert await uow.carts.quantity(BIG_ID, variant_id) == 5


async def test_reimport_updates_in_place_and_keeps_telegram_file_ids(
    uows: SqlUnitOfWorkFactory,
) -> None:
    draft = read_catalog(demo_catalog_path())
    await import_catalog(uows, draft)
    async with uows() as uow:
        [pid] = await uow.catalog.search_ids(["konjac"], 5)
        product = await uow.catalog.product(pid)
        assert product is not None and product.teaser is not None
        await uow.catalog.remember_file_id(product.teaser.id, "FILE-ID-1")
        await uow.commit()
    report = await import_catalog(uows, draft)
    assert (report.categories, report.products, report.variants) == (4, 8, 11)
    async with uows() as uow:
        again = await uow.catalog.product(pid)
        assert again is not None and again.teaser is not None
        assert again.teaser.file_id == "FILE-ID-1"
        assert len(await uow.catalog.categories()) == 4


async def test_search_is_case_insensitive_in_any_script(uows: SqlUnitOfWorkFactory) -> None:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        assert await uow.catalog.search_ids(["AIR", "runner"], 10)
        assert await uow.catalog.search_ids(["运动鞋"], 10)
        assert await uow.catalog.search_ids(["100%"], 10) == []
        assert await uow.catalog.search_ids(["_"], 10) == []
