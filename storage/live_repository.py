"""Live shows in SQL: one row per chat while its show is on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.live_ports import LiveShow, ProductMatch
from storage.live_tables import LiveShowRow
from storage.repositories import dialect_insert
from storage.tables import ProductRow, VariantRow
from storage.types import rowcount, table_of

_SHOW = table_of(LiveShowRow).c
_PRODUCT = table_of(ProductRow).c
_VARIANT = table_of(VariantRow).c
_MAX_ID = 2**63 - 1


_COLUMNS = (
    _SHOW.chat_id,
    _SHOW.message_id,
    _SHOW.product_id,
    _SHOW.started_by,
    _SHOW.started_at,
    _SHOW.updated_at,
)


def _show(row: Any) -> LiveShow:
    return LiveShow(
        chat_id=int(row.chat_id),
        message_id=int(row.message_id),
        product_id=int(row.product_id),
        started_by=int(row.started_by),
        started_at=row.started_at,
        updated_at=row.updated_at,
    )


class SqlLiveRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def show(self, chat_id: int) -> LiveShow | None:
        row = (await self._s.execute(select(*_COLUMNS).where(_SHOW.chat_id == chat_id))).first()
        return _show(row) if row is not None else None

    async def shows(self) -> list[LiveShow]:
        rows = await self._s.execute(select(*_COLUMNS).order_by(_SHOW.started_at, _SHOW.chat_id))
        return [_show(row) for row in rows]

    async def start(
        self, chat_id: int, message_id: int, product_id: int, by: int, now: datetime
    ) -> None:
        stmt = dialect_insert(self._s, LiveShowRow).values(
            chat_id=chat_id,
            message_id=message_id,
            product_id=product_id,
            started_by=by,
            started_at=now,
            updated_at=now,
        )
        fresh = {"message_id": message_id, "product_id": product_id, "started_by": by}
        stmt = stmt.on_conflict_do_update(
            index_elements=["chat_id"], set_={**fresh, "started_at": now, "updated_at": now}
        )
        await self._s.execute(stmt)

    async def swap(self, chat_id: int, message_id: int, product_id: int, now: datetime) -> bool:
        result = await self._s.execute(
            update(LiveShowRow)
            .where(_SHOW.chat_id == chat_id)
            .values(message_id=message_id, product_id=product_id, updated_at=now)
        )
        return bool(rowcount(result))

    async def end(self, chat_id: int) -> bool:
        result = await self._s.execute(delete(LiveShowRow).where(_SHOW.chat_id == chat_id))
        return bool(rowcount(result))

    async def find_product(self, ref: str) -> ProductMatch | None:
        if ref.isdigit() and 0 < int(ref) <= _MAX_ID:
            active = await self._s.scalar(select(_PRODUCT.active).where(_PRODUCT.id == int(ref)))
            if active is not None:
                return ProductMatch(int(ref), bool(active))
        found = (
            await self._s.execute(
                select(_PRODUCT.id, _PRODUCT.active)
                .join(VariantRow, _VARIANT.product_id == _PRODUCT.id)
                .where(_VARIANT.sku == ref)
            )
        ).first()
        return ProductMatch(int(found[0]), bool(found[1])) if found is not None else None
