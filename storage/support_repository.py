"""Buyers' conversations with the shop in SQL (``bot/services/support_ports.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.support import Author, ThreadStatus, Topic
from bot.services.support_ports import SupportMessage, SupportThread
from storage.repositories import dialect_insert
from storage.support_tables import SupportMessageRow, SupportPostRow, SupportThreadRow
from storage.types import rowcount, table_of

_T = table_of(SupportThreadRow).c
_M = table_of(SupportMessageRow).c
_P = table_of(SupportPostRow).c
_OPEN = ThreadStatus.OPEN.value


def _thread(row: Any) -> SupportThread:
    return SupportThread(
        id=int(row.id),
        buyer_id=int(row.buyer_id),
        topic=Topic(row.product_id, row.order_id),
        subject=row.subject,
        status=ThreadStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        waiting_since=row.waiting_since,
        reminded_at=row.reminded_at,
    )


def _message(row: Any) -> SupportMessage:
    return SupportMessage(
        id=int(row.id),
        thread_id=int(row.thread_id),
        author=Author(row.author),
        author_id=int(row.author_id),
        text=row.text,
        photo_file_id=row.photo_file_id,
        created_at=row.created_at,
    )


def _same(column: Any, value: int | None) -> Any:
    return column.is_(None) if value is None else column == value


class SqlSupportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def thread(self, thread_id: int) -> SupportThread | None:
        row = (
            await self._s.execute(select(table_of(SupportThreadRow)).where(_T.id == thread_id))
        ).first()
        return _thread(row) if row is not None else None

    async def latest_thread(self, buyer_id: int, topic: Topic) -> SupportThread | None:
        row = (
            await self._s.execute(
                select(table_of(SupportThreadRow))
                .where(
                    _T.buyer_id == buyer_id,
                    _same(_T.product_id, topic.product_id),
                    _same(_T.order_id, topic.order_id),
                )
                .order_by(_T.id.desc())
                .limit(1)
            )
        ).first()
        return _thread(row) if row is not None else None

    async def open_thread(
        self, buyer_id: int, topic: Topic, subject: str, now: datetime
    ) -> SupportThread:
        row = SupportThreadRow(
            buyer_id=buyer_id,
            product_id=topic.product_id,
            order_id=topic.order_id,
            subject=subject[:128],
            status=_OPEN,
            created_at=now,
            updated_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return _thread(row)

    async def add_message(
        self,
        thread_id: int,
        author: Author,
        author_id: int,
        text: str,
        photo_file_id: str | None,
        now: datetime,
    ) -> SupportMessage:
        row = SupportMessageRow(
            thread_id=thread_id,
            author=author.value,
            author_id=author_id,
            text=text,
            photo_file_id=photo_file_id,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        values: dict[str, Any] = {"updated_at": now}
        if author is Author.BUYER:  # reopens; waits from the first unanswered message
            values |= {
                "status": _OPEN,
                "closed_at": None,
                "waiting_since": case((_T.waiting_since.is_(None), now), else_=_T.waiting_since),
            }
        else:
            values |= {"waiting_since": None, "reminded_at": None}
        await self._s.execute(
            update(table_of(SupportThreadRow)).where(_T.id == thread_id).values(**values)
        )
        return _message(row)

    async def message(self, message_id: int) -> SupportMessage | None:
        row = (
            await self._s.execute(select(table_of(SupportMessageRow)).where(_M.id == message_id))
        ).first()
        return _message(row) if row is not None else None

    async def messages(self, thread_id: int, limit: int) -> list[SupportMessage]:
        rows = await self._s.execute(
            select(table_of(SupportMessageRow))
            .where(_M.thread_id == thread_id)
            .order_by(_M.id.desc())
            .limit(limit)
        )
        return [_message(r) for r in reversed(rows.all())]

    async def close(self, thread_id: int, now: datetime) -> bool:
        result = await self._s.execute(
            update(table_of(SupportThreadRow))
            .where(_T.id == thread_id, _T.status == _OPEN)
            .values(
                status=ThreadStatus.CLOSED.value,
                closed_at=now,
                updated_at=now,
                waiting_since=None,
                reminded_at=None,
            )
        )
        return bool(rowcount(result))

    async def buyer_threads(self, buyer_id: int, limit: int) -> list[SupportThread]:
        rows = await self._s.execute(
            select(table_of(SupportThreadRow))
            .where(_T.buyer_id == buyer_id)
            .order_by(case((_T.status == _OPEN, 0), else_=1), _T.updated_at.desc(), _T.id.desc())
            .limit(limit)
        )
        return [_thread(r) for r in rows]

    async def open_threads(self, limit: int) -> list[SupportThread]:
        rows = await self._s.execute(
            select(table_of(SupportThreadRow))
            .where(_T.status == _OPEN)
            .order_by(
                case((_T.waiting_since.is_(None), 1), else_=0),
                _T.waiting_since,
                _T.updated_at.desc(),
                _T.id,
            )
            .limit(limit)
        )
        return [_thread(r) for r in rows]

    async def remember_post(self, chat_id: int, message_id: int, thread_id: int) -> None:
        stmt = dialect_insert(self._s, SupportPostRow).values(
            chat_id=chat_id, message_id=message_id, thread_id=thread_id
        )
        await self._s.execute(
            stmt.on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
        )

    async def thread_of_post(self, chat_id: int, message_id: int) -> int | None:
        found = await self._s.scalar(
            select(_P.thread_id).where(_P.chat_id == chat_id, _P.message_id == message_id)
        )
        return int(found) if found is not None else None

    async def claim_reminders(self, now: datetime, every: timedelta, limit: int) -> list[int]:
        cutoff = now - every
        due = and_(
            _T.status == _OPEN,
            _T.waiting_since.is_not(None),
            _T.waiting_since <= cutoff,
            or_(_T.reminded_at.is_(None), _T.reminded_at <= cutoff),
        )
        candidates = (
            await self._s.execute(select(_T.id).where(due).order_by(_T.waiting_since).limit(limit))
        ).scalars()
        claimed: list[int] = []
        for thread_id in list(candidates):
            result = await self._s.execute(
                update(table_of(SupportThreadRow))
                .where(_T.id == thread_id, due)
                .values(reminded_at=now)
            )
            if rowcount(result):
                claimed.append(int(thread_id))
        return claimed

    async def export(self, buyer_id: int) -> list[dict[str, object]]:
        threads = await self.buyer_threads(buyer_id, 10_000)
        out: list[dict[str, object]] = []
        for t in threads:
            messages = await self.messages(t.id, 10_000)
            out.append(
                {
                    "id": t.id,
                    "product_id": t.topic.product_id,
                    "order_id": t.topic.order_id,
                    "subject": t.subject,
                    "status": t.status.value,
                    "created_at": t.created_at.isoformat(),
                    "updated_at": t.updated_at.isoformat(),
                    # Who of the staff answered is the shop's business, not the buyer's.
                    "messages": [
                        {
                            "from": m.author.value,
                            "text": m.text,
                            "photo": m.photo_file_id is not None,
                            "at": m.created_at.isoformat(),
                        }
                        for m in messages
                    ],
                }
            )
        return out

    async def erase(self, buyer_id: int, marker: int) -> dict[str, int]:
        ids = select(_T.id).where(_T.buyer_id == buyer_id).scalar_subquery()
        messages = await self._s.execute(
            update(table_of(SupportMessageRow))
            .where(_M.thread_id.in_(ids))
            .values(text="", photo_file_id=None)
        )
        await self._s.execute(
            update(table_of(SupportMessageRow))
            .where(_M.thread_id.in_(ids), _M.author == Author.BUYER.value)
            .values(author_id=marker)
        )
        # Replying to the staff's old copies reaches nobody any more.
        await self._s.execute(delete(table_of(SupportPostRow)).where(_P.thread_id.in_(ids)))
        threads = await self._s.execute(
            update(table_of(SupportThreadRow))
            .where(_T.buyer_id == buyer_id)
            .values(
                buyer_id=marker,
                subject="",
                status=ThreadStatus.CLOSED.value,
                waiting_since=None,
                reminded_at=None,
            )
        )
        return {
            "support_threads": rowcount(threads),
            "support_messages": rowcount(messages),
        }
