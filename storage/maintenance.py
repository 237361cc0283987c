"""Whole-database questions and chores for tools (the sandbox, operators), not for updates."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from storage.inbox_tables import InboxUpdateRow
from storage.tables import MediaRow, ProcessedUpdateRow, ProductRow
from storage.types import table_of


async def product_count(engine: AsyncEngine) -> int:
    """Products in the database, archived ones included."""
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(ProductRow))).scalar_one())


async def last_handled_update_id(engine: AsyncEngine) -> int:
    """The highest ``update_id`` the shop remembers handling or storing in the polling inbox
    (0 for none): a stand-in numbering its updates from 1 again would have them ignored."""
    async with engine.connect() as conn:
        handled = (await conn.execute(select(func.max(ProcessedUpdateRow.update_id)))).scalar_one()
        stored = (await conn.execute(select(func.max(InboxUpdateRow.update_id)))).scalar_one()
    return max(int(handled or 0), int(stored or 0))


async def forget_telegram_file_ids(engine: AsyncEngine) -> None:
    """Drop every stored ``file_id``: they belong to one bot (one token) on one Bot API server,
    so a database moved to another (the sandbox's fresh stand-in) must upload teasers again."""
    async with engine.begin() as conn:
        await conn.execute(update(MediaRow).values(file_id=None))


def printable_url(url: str) -> str:
    """A database URL with its password masked, for banners and logs."""
    return make_url(url).render_as_string(hide_password=True)


async def raw_sale_claim(engine: AsyncEngine, sale_id: int) -> bool:
    """The bare conditional write a flash-sale claim rests on, in its own transaction: the
    baseline ``storefront bench flash-sale`` measures the service against."""
    from storage.sale_tables import FlashSaleRow

    sale = table_of(FlashSaleRow).c
    async with engine.begin() as conn:
        result = await conn.execute(
            update(table_of(FlashSaleRow))
            .where(sale.id == sale_id, sale.claimed < sale.stock)
            .values(claimed=sale.claimed + 1)
        )
        return bool(result.rowcount)


async def reset_sale(engine: AsyncEngine, sale_id: int) -> None:
    """Put a benchmark's sale back to nothing claimed."""
    from storage.sale_tables import FlashSaleRow

    sale = table_of(FlashSaleRow).c
    async with engine.begin() as conn:
        await conn.execute(
            update(table_of(FlashSaleRow)).where(sale.id == sale_id).values(claimed=0)
        )


async def set_variant_stock(engine: AsyncEngine, sku: str, stock: int) -> None:
    """Set a variant's stock outright (benchmarks and tools; the shop itself never does)."""
    from storage.tables import VariantRow

    async with engine.begin() as conn:
        await conn.execute(
            update(VariantRow).where(col(VariantRow.sku) == sku).values(stock=stock)
        )


async def drop_delivery_counts(
    engine: AsyncEngine, drop_id: int, first_user: int, end_user: int
) -> dict[str, int]:
    """A drop's deliveries by status, and ``blocked_users``: buyers with ids in
    ``[first_user, end_user)`` marked as having blocked the bot (``bench broadcast``)."""
    from storage.drop_tables import DropDeliveryRow
    from storage.tables import UserRow

    d = table_of(DropDeliveryRow).c
    u = table_of(UserRow).c
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(d.status, func.count()).where(d.drop_id == drop_id).group_by(d.status)
        )
        counts = {str(status): int(n) for status, n in rows}
        blocked = await conn.scalar(
            select(func.count()).where(u.id >= first_user, u.id < end_user, u.blocked.is_(True))
        )
    return {**counts, "blocked_users": int(blocked or 0)}


async def unblock_users(engine: AsyncEngine, first_user: int, end_user: int) -> None:
    """Buyers with ids in ``[first_user, end_user)`` take drops again (a benchmark's own
    buyers, before a rerun on the same database)."""
    from storage.tables import UserRow

    u = table_of(UserRow).c
    async with engine.begin() as conn:
        await conn.execute(
            update(table_of(UserRow))
            .where(u.id >= first_user, u.id < end_user)
            .values(blocked=False, drops_off=False)
        )
