"""Whole-database questions and chores for tools (the sandbox, operators), not for updates."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.tables import MediaRow, ProcessedUpdateRow, ProductRow


async def product_count(engine: AsyncEngine) -> int:
    """Products in the database, archived ones included."""
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(ProductRow))).scalar_one())


async def last_handled_update_id(engine: AsyncEngine) -> int:
    """The highest ``update_id`` the shop remembers handling (0 for none)."""
    async with engine.connect() as conn:
        found = (await conn.execute(select(func.max(ProcessedUpdateRow.update_id)))).scalar_one()
    return int(found or 0)


async def forget_telegram_file_ids(engine: AsyncEngine) -> None:
    """Drop every stored ``file_id``: they belong to one bot (one token) on one Bot API server,
    so a database moved to another (the sandbox's fresh stand-in) must upload teasers again."""
    async with engine.begin() as conn:
        await conn.execute(update(MediaRow).values(file_id=None))


def printable_url(url: str) -> str:
    """A database URL with its password masked, for banners and logs."""
    return make_url(url).render_as_string(hide_password=True)
