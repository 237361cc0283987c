"""Wrong codes buyers typed or opened, for the guessing limit (``bot.domain.guesses``).

The database is the truth, so the limit holds across every bot process on one PostgreSQL. A
buyer's check ("may they try a code?") and the record of a wrong one must not interleave with
another of their attempts, or a burst from many chats at once would all pass the check: on
PostgreSQL the check takes a transaction-scoped advisory lock keyed on the buyer (released at
commit or rollback, no row needed, nothing else blocked); on SQLite the units of work of a
process already take turns (``SqlUnitOfWorkFactory.writer_lock``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import WrongGuessRow
from storage.types import rowcount

#: The advisory lock's first key (``pg_advisory_xact_lock(int, int)``): "guess" locks only
#: ever meet each other.
_LOCK_SPACE = 0x67756573  # "gues"


def _lock_key(user_id: int) -> int:
    """A 64-bit Telegram id folded into the lock's signed 32-bit second key (two buyers that
    share a key only wait for each other a moment)."""
    return (user_id ^ (user_id >> 31)) & 0x7FFFFFFF


class SqlGuessLog:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def recent(self, user_id: int, since: datetime, limit: int) -> list[datetime]:
        if self._s.get_bind().dialect.name == "postgresql":
            lock = func.pg_advisory_xact_lock(_LOCK_SPACE, _lock_key(user_id))
            await self._s.execute(select(lock))
        rows = await self._s.execute(
            select(WrongGuessRow.at)
            .where(WrongGuessRow.user_id == user_id, WrongGuessRow.at > since)
            .order_by(col(WrongGuessRow.at).desc())
            .limit(limit)
        )
        return list(rows.scalars())

    async def record(self, user_id: int, kind: str, at: datetime) -> None:
        self._s.add(WrongGuessRow(user_id=user_id, kind=kind[:16], at=at))
        await self._s.flush()

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self._s.execute(delete(WrongGuessRow).where(col(WrongGuessRow.at) < cutoff))
        return int(rowcount(result) or 0)
