"""The polling inbox (``bot.services.inbox_ports.UpdateInbox``) in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.inbox_ports import InboxDone, InboxEntry
from storage.inbox_tables import InboxUpdateRow
from storage.repositories import dialect_insert

_TABLE = InboxUpdateRow.__table__  # type: ignore[attr-defined]
#: Rows per INSERT (SQLite allows 32,766 parameters; getUpdates returns at most 100 anyway).
_CHUNK = 500


class SqlUpdateInbox:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def store(self, updates: Sequence[tuple[int, str]], now: datetime) -> list[int]:
        new: list[int] = []
        for start in range(0, len(updates), _CHUNK):
            chunk = updates[start : start + _CHUNK]
            stmt = (
                dialect_insert(self._s, InboxUpdateRow)
                .values(
                    [
                        {"update_id": i, "payload": p, "received_at": now, "attempts": 0}
                        for i, p in chunk
                    ]
                )
                .on_conflict_do_nothing(index_elements=["update_id"])
                .returning(_TABLE.c.update_id)
            )
            new.extend(int(i) for i in (await self._s.execute(stmt)).scalars())
        return sorted(new)

    async def pending(self, limit: int, *, after: int | None = None) -> list[InboxEntry]:
        query = select(
            _TABLE.c.update_id, _TABLE.c.payload, _TABLE.c.attempts, _TABLE.c.replies
        ).where(_TABLE.c.done_at.is_(None))
        if after is not None:
            query = query.where(_TABLE.c.update_id > after)
        rows = await self._s.execute(query.order_by(_TABLE.c.update_id).limit(limit))
        return [InboxEntry(int(i), p, int(a), r) for i, p, a, r in rows]

    async def handled(self, update_id: int, replies: str, now: datetime) -> None:
        await self._s.execute(
            update(_TABLE)
            .where(_TABLE.c.update_id == update_id, _TABLE.c.done_at.is_(None))
            .values(handled_at=now, replies=replies)
        )

    async def done(self, outcomes: Sequence[InboxDone], now: datetime) -> None:
        plain = [o.update_id for o in outcomes if o.error is None and o.attempts is None]
        for start in range(0, len(plain), _CHUNK):
            await self._s.execute(
                update(_TABLE)
                .where(_TABLE.c.update_id.in_(plain[start : start + _CHUNK]))
                .values(done_at=now, replies=None)
            )
        for outcome in outcomes:
            if outcome.error is None and outcome.attempts is None:
                continue
            values: dict[str, object] = {"done_at": now, "replies": None}
            if outcome.error is not None:
                values["error"] = outcome.error[:500]
            if outcome.attempts is not None:
                values["attempts"] = outcome.attempts
            await self._s.execute(
                update(_TABLE).where(_TABLE.c.update_id == outcome.update_id).values(**values)
            )

    async def failed(self, update_id: int, error: str) -> None:
        await self._s.execute(
            update(_TABLE)
            .where(_TABLE.c.update_id == update_id)
            .values(attempts=_TABLE.c.attempts + 1, error=error[:500])
        )

    async def forget_done_before(self, cutoff: datetime) -> int:
        result = await self._s.execute(
            delete(_TABLE).where(_TABLE.c.done_at.is_not(None), _TABLE.c.done_at < cutoff)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
