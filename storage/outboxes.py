"""Outboxes and small logs: refunds to send, Stripe events seen, notices to deliver, and what
a buyer chose at their last checkout. Rows are written in the transaction of the change that
causes them and acted on after it commits, so a crash in between loses nothing."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.money import Money
from bot.services.order_ports import BACKUP_DELAY, PAYMENT_BACKUP, Notice, RefundTask
from storage.order_tables import NotificationRow, OrderRow, RefundRow, StripeEventRow
from storage.repositories import dialect_insert
from storage.tables import CartLineRow, UserRow


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
                RefundRow.status.in_(["pending", "retrying"]),  # type: ignore[attr-defined]
                RefundRow.next_attempt_at <= now,  # type: ignore[arg-type]
            )
            .order_by(RefundRow.id)
            .limit(limit)
        )
        return [_task(r) for r in rows.scalars()]

    async def claim(self, refund_id: int, attempts: int, until: datetime) -> bool:
        result = await self._s.execute(
            update(RefundRow)
            .where(
                RefundRow.id == refund_id,  # type: ignore[arg-type]
                RefundRow.attempts == attempts,  # type: ignore[arg-type]
                RefundRow.status.in_(["pending", "retrying"]),  # type: ignore[attr-defined]
            )
            .values(attempts=attempts + 1, next_attempt_at=until)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish(self, refund_id: int, external_id: str | None, now: datetime) -> None:
        await self._s.execute(
            update(RefundRow)
            .where(RefundRow.id == refund_id)  # type: ignore[arg-type]
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
            update(RefundRow).where(RefundRow.id == refund_id).values(**values)  # type: ignore[arg-type]
        )

    async def for_order(self, order_id: int) -> list[tuple[RefundTask, str]]:
        rows = await self._s.execute(
            select(RefundRow).where(RefundRow.order_id == order_id).order_by(RefundRow.id)  # type: ignore[arg-type]
        )
        return [(_task(r), r.status) for r in rows.scalars()]


class SqlStripeEventLog:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def claim(self, event_id: str, event_type: str, now: datetime) -> bool:
        stmt = (
            dialect_insert(self._s, StripeEventRow)
            .values(id=event_id, type=event_type[:64], received_at=now)
            .on_conflict_do_nothing(index_elements=["id"])  # type: ignore[attr-defined]
        )
        return bool((await self._s.execute(stmt)).rowcount)  # type: ignore[attr-defined]


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
        query = select(NotificationRow).where(NotificationRow.status == "pending")  # type: ignore[arg-type]
        if now is not None:
            young = and_(
                NotificationRow.kind == PAYMENT_BACKUP,  # type: ignore[arg-type]
                NotificationRow.created_at > now - BACKUP_DELAY,  # type: ignore[arg-type,operator]
            )
            query = query.where(not_(young))
        rows = await self._s.execute(query.order_by(NotificationRow.id).limit(limit))
        out = []
        for r in rows.scalars():
            assert r.id is not None
            out.append(Notice(r.id, r.chat_id, r.kind, json.loads(r.params)))
        return out

    async def cancel_backup(self, chat_id: int, order_id: int) -> bool:
        result = await self._s.execute(
            update(NotificationRow)
            .where(
                NotificationRow.chat_id == chat_id,  # type: ignore[arg-type]
                NotificationRow.kind == PAYMENT_BACKUP,  # type: ignore[arg-type]
                NotificationRow.status == "pending",  # type: ignore[arg-type]
                NotificationRow.params == json.dumps({"order": order_id}),  # type: ignore[arg-type]
            )
            .values(status="cancelled")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim(self, notice_id: int) -> bool:
        result = await self._s.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notice_id, NotificationRow.status == "pending")  # type: ignore[arg-type]
            .values(status="sending")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def done(self, notice_id: int, now: datetime, *, sent: bool | None) -> None:
        table = NotificationRow.__table__  # type: ignore[attr-defined]
        if sent is None:
            values: dict[str, object] = {"status": "pending", "attempts": table.c.attempts + 1}
        else:
            values = {"status": "sent" if sent else "failed", "sent_at": now}
        await self._s.execute(
            update(table)
            .where(table.c.id == notice_id, table.c.status == "sending")
            .values(**values)
        )


class SqlCheckoutPrefs:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def coupon_of(self, user_id: int) -> int | None:
        return await self._s.scalar(select(UserRow.coupon_id).where(UserRow.id == user_id))  # type: ignore[no-any-return]

    async def set_coupon(self, user_id: int, coupon_id: int | None) -> None:
        await self._s.execute(
            update(UserRow).where(UserRow.id == user_id).values(coupon_id=coupon_id)  # type: ignore[arg-type]
        )

    async def delivery_of(self, user_id: int) -> str | None:
        return await self._s.scalar(select(UserRow.delivery).where(UserRow.id == user_id))  # type: ignore[no-any-return]

    async def set_delivery(self, user_id: int, delivery: str) -> None:
        await self._s.execute(
            update(UserRow).where(UserRow.id == user_id).values(delivery=delivery)  # type: ignore[arg-type]
        )

    async def abandoned_carts(self, idle_since: datetime, limit: int) -> list[int]:
        """Buyers whose cart has not changed since ``idle_since``, who were not reminded since
        it last changed, and who ordered nothing since."""
        last_change = (
            select(CartLineRow.user_id, func.max(CartLineRow.updated_at).label("changed"))
            .group_by(CartLineRow.user_id)
            .subquery()
        )
        last_order = (
            select(OrderRow.user_id, func.max(OrderRow.created_at).label("ordered"))
            .group_by(OrderRow.user_id)
            .subquery()
        )
        rows = await self._s.execute(
            select(last_change.c.user_id)
            .join(UserRow, UserRow.id == last_change.c.user_id)  # type: ignore[arg-type]
            .outerjoin(last_order, last_order.c.user_id == last_change.c.user_id)
            .where(
                last_change.c.changed < idle_since,
                (UserRow.cart_reminded_at.is_(None))  # type: ignore[union-attr]
                | (UserRow.cart_reminded_at < last_change.c.changed),  # type: ignore[operator]
                (last_order.c.ordered.is_(None)) | (last_order.c.ordered < last_change.c.changed),
            )
            .limit(limit)
        )
        return [int(r[0]) for r in rows.all()]

    async def mark_reminded(self, user_id: int, now: datetime) -> None:
        await self._s.execute(
            update(UserRow).where(UserRow.id == user_id).values(cart_reminded_at=now)  # type: ignore[arg-type]
        )
