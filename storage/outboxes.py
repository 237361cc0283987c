"""Outboxes and small logs: refunds to send, Stripe events seen, notices to deliver, and what
a buyer chose at their last checkout. Rows are written in the transaction of the change that
causes them and acted on after it commits, so a crash in between loses nothing."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, not_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import and_, col, or_, select

from bot.domain.money import Money
from bot.services.order_ports import BACKUP_DELAY, PAYMENT_BACKUP, Notice, RefundTask
from storage.order_tables import NotificationRow, OrderRow, RefundRow, StripeEventRow
from storage.repositories import dialect_insert
from storage.tables import CartLineRow, UserRow
from storage.types import rowcount, table_of


def _task(row: RefundRow) -> RefundTask:
    assert row.id is not None
    return RefundTask(
        row.id, row.order_id, Money(row.amount_minor, row.currency), row.method, row.attempts
    )


class SqlRefundOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(
        self, order_id: int, amount: Money, method: str, reason: str, now: datetime
    ) -> int:
        row = RefundRow(
            order_id=order_id,
            amount_minor=amount.amount,
            currency=amount.currency,
            method=method,
            reason=reason[:64],
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        return row.id

    async def due(self, now: datetime, limit: int) -> list[RefundTask]:
        rows = await self._s.execute(
            select(RefundRow)
            .where(
                col(RefundRow.status).in_(["pending", "retrying"]),
                RefundRow.next_attempt_at <= now,
            )
            .order_by(col(RefundRow.id))
            .limit(limit)
        )
        return [_task(r) for r in rows.scalars()]

    async def claim(self, refund_id: int, attempts: int, until: datetime) -> bool:
        result = await self._s.execute(
            update(RefundRow)
            .where(
                col(RefundRow.id) == refund_id,
                col(RefundRow.attempts) == attempts,
                col(RefundRow.status).in_(["pending", "retrying"]),
            )
            .values(attempts=attempts + 1, next_attempt_at=until)
        )
        return bool(rowcount(result))

    async def finish(self, refund_id: int, external_id: str | None, now: datetime) -> None:
        await self._s.execute(
            update(RefundRow)
            .where(col(RefundRow.id) == refund_id)
            .values(status="succeeded", external_id=external_id, updated_at=now, last_error=None)
        )

    async def fail(
        self, refund_id: int, error: str, next_at: datetime | None, now: datetime
    ) -> None:
        values: dict[str, object] = {"last_error": error[:500], "updated_at": now}
        if next_at is None:
            values["status"] = "failed"
        else:
            values.update(status="retrying", next_attempt_at=next_at)
        await self._s.execute(
            update(RefundRow).where(col(RefundRow.id) == refund_id).values(**values)
        )

    async def for_order(self, order_id: int) -> list[tuple[RefundTask, str]]:
        rows = await self._s.execute(
            select(RefundRow)
            .where(col(RefundRow.order_id) == order_id)
            .order_by(col(RefundRow.id))
        )
        return [(_task(r), r.status) for r in rows.scalars()]


class SqlStripeEventLog:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def claim(self, event_id: str, event_type: str, now: datetime) -> bool:
        stmt = (
            dialect_insert(self._s, StripeEventRow)
            .values(id=event_id, type=event_type[:64], received_at=now)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        return bool(rowcount(await self._s.execute(stmt)))


class SqlNoticeOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, chat_id: int, kind: str, params: dict[str, object], now: datetime) -> None:
        self._s.add(
            NotificationRow(
                chat_id=chat_id, kind=kind, params=json.dumps(params)[:4000], created_at=now
            )
        )
        await self._s.flush()

    async def pending(self, limit: int, now: datetime | None = None) -> list[Notice]:
        query = select(NotificationRow).where(NotificationRow.status == "pending")
        if now is not None:
            young = and_(
                NotificationRow.kind == PAYMENT_BACKUP,
                NotificationRow.created_at > now - BACKUP_DELAY,
            )
            query = query.where(not_(young))
            waiting = col(NotificationRow.not_before)
            query = query.where(or_(waiting.is_(None), waiting <= now))
        rows = await self._s.execute(query.order_by(col(NotificationRow.id)).limit(limit))
        out = []
        for r in rows.scalars():
            assert r.id is not None
            out.append(
                Notice(
                    r.id,
                    r.chat_id,
                    r.kind,
                    json.loads(r.params),
                    r.created_at,
                    r.not_before is not None,
                )
            )
        return out

    async def cancel_backup(self, chat_id: int, order_id: int) -> bool:
        result = await self._s.execute(
            update(NotificationRow)
            .where(
                col(NotificationRow.chat_id) == chat_id,
                col(NotificationRow.kind) == PAYMENT_BACKUP,
                col(NotificationRow.status) == "pending",
                col(NotificationRow.params) == json.dumps({"order": order_id}),
            )
            .values(status="cancelled")
        )
        return bool(rowcount(result))

    async def claim(self, notice_id: int) -> bool:
        result = await self._s.execute(
            update(NotificationRow)
            .where(col(NotificationRow.id) == notice_id, col(NotificationRow.status) == "pending")
            .values(status="sending")
        )
        return bool(rowcount(result))

    async def done(self, notice_id: int, now: datetime, *, sent: bool | None) -> None:
        table = table_of(NotificationRow)
        if sent is None:
            values: dict[str, object] = {"status": "pending", "attempts": table.c.attempts + 1}
        else:
            values = {"status": "sent" if sent else "failed", "sent_at": now}
        await self._s.execute(
            update(table)
            .where(table.c.id == notice_id, table.c.status == "sending")
            .values(**values)
        )

    async def hold(self, notice_id: int, until: datetime) -> None:
        await self._s.execute(
            update(NotificationRow)
            .where(col(NotificationRow.id) == notice_id, col(NotificationRow.status) == "sending")
            .values(status="pending", not_before=until)
        )

    async def skip(self, notice_id: int, now: datetime) -> None:
        await self._s.execute(
            update(NotificationRow)
            .where(col(NotificationRow.id) == notice_id, col(NotificationRow.status) == "sending")
            .values(status="skipped", sent_at=now)
        )


class SqlCheckoutPrefs:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def coupon_of(self, user_id: int) -> int | None:
        return await self._s.scalar(select(UserRow.coupon_id).where(UserRow.id == user_id))

    async def coupon_code_of(self, user_id: int) -> str | None:
        return await self._s.scalar(select(UserRow.coupon_code).where(UserRow.id == user_id))

    async def set_coupon(
        self, user_id: int, coupon_id: int | None, code: str | None = None
    ) -> None:
        await self._s.execute(
            update(UserRow)
            .where(col(UserRow.id) == user_id)
            .values(coupon_id=coupon_id, coupon_code=code if coupon_id is not None else None)
        )

    async def delivery_of(self, user_id: int) -> str | None:
        return await self._s.scalar(select(UserRow.delivery).where(UserRow.id == user_id))

    async def set_delivery(self, user_id: int, delivery: str) -> None:
        await self._s.execute(
            update(UserRow).where(col(UserRow.id) == user_id).values(delivery=delivery)
        )

    async def abandoned_carts(self, idle_since: datetime, limit: int) -> list[int]:
        """Buyers whose cart has not changed since ``idle_since``, who were not reminded since
        it last changed, and who ordered nothing since."""
        last_change = (
            select(CartLineRow.user_id, func.max(CartLineRow.updated_at).label("changed"))
            .group_by(col(CartLineRow.user_id))
            .subquery()
        )
        last_order = (
            select(OrderRow.user_id, func.max(OrderRow.created_at).label("ordered"))
            .group_by(col(OrderRow.user_id))
            .subquery()
        )
        rows = await self._s.execute(
            select(last_change.c.user_id)
            .join(UserRow, col(UserRow.id) == last_change.c.user_id)
            .outerjoin(last_order, last_order.c.user_id == last_change.c.user_id)
            .where(
                last_change.c.changed < idle_since,
                (col(UserRow.cart_reminded_at).is_(None))
                | (UserRow.cart_reminded_at < last_change.c.changed),
                (last_order.c.ordered.is_(None)) | (last_order.c.ordered < last_change.c.changed),
            )
            .limit(limit)
        )
        return [int(r[0]) for r in rows.all()]

    async def mark_reminded(self, user_id: int, now: datetime) -> None:
        await self._s.execute(
            update(UserRow).where(col(UserRow.id) == user_id).values(cart_reminded_at=now)
        )
