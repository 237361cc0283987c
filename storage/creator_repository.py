"""Creators in SQL: codes, invitations, clicks, commissions and payouts. Money moves in
conditional writes: a commission settles once, a payout is marked paid once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.creators import Creator, CreatorInvite, Payout, PayoutStatus
from bot.domain.money import Money
from bot.services.trust_ports import Activity, CreatorCommission, CreatorStats
from storage.order_tables import OrderLineRow, OrderRow
from storage.tables import UserRow
from storage.trust_tables import (
    CreatorClickRow,
    CreatorCommissionRow,
    CreatorInviteRow,
    CreatorPayoutRow,
    CreatorRateRow,
    CreatorRow,
)
from storage.types import rowcount, table_of

_C = table_of(CreatorRow).c
_INV = table_of(CreatorInviteRow).c
_CLICK = table_of(CreatorClickRow).c
_COM = table_of(CreatorCommissionRow).c
_PAY = table_of(CreatorPayoutRow).c
ORD = table_of(OrderRow).c
LINE = table_of(OrderLineRow).c
USER = table_of(UserRow).c

#: Orders a commission or reward may settle on: kept, and not being returned.
_KEPT = ("paid", "shipped", "delivered", "partially_refunded")


def kept_and_received_before(cutoff: datetime) -> ColumnElement[bool]:
    """The order reached the buyer before ``cutoff`` and is kept: delivered, else shipped,
    else (digital goods arrive with the receipt) paid."""
    return and_(
        ORD.status.in_(_KEPT),
        or_(
            and_(ORD.delivered_at.is_not(None), ORD.delivered_at < cutoff),
            and_(ORD.delivered_at.is_(None), ORD.shipped_at < cutoff),
            and_(ORD.delivery == "digital", ORD.paid_at < cutoff),
        ),
    )


def _creator(row: CreatorRow, name: str = "") -> Creator:
    return Creator(
        row.user_id, row.code, row.rate_percent, row.active, row.joined_at, name, row.coupon_id
    )


def _invite(row: CreatorInviteRow) -> CreatorInvite:
    return CreatorInvite(
        row.id or 0, row.token, row.rate_percent, row.created_at, row.opened_by, row.accepted_by
    )


def _payout(row: CreatorPayoutRow) -> Payout:
    return Payout(
        row.id or 0,
        row.creator_id,
        Money(row.amount_minor, row.currency),
        PayoutStatus(row.status),
        row.requested_at,
        row.paid_at,
    )


class SqlCreatorQueries:
    _s: AsyncSession

    # -- creators ----------------------------------------------------------------------------

    async def creator(self, user_id: int) -> Creator | None:
        row = await self._s.get(CreatorRow, user_id, populate_existing=True)
        return _creator(row) if row is not None else None

    async def creator_by_code(self, code: str) -> Creator | None:
        row = await self._s.scalar(select(CreatorRow).where(_C.code == code))
        return _creator(row) if row is not None else None

    async def add_creator(self, user_id: int, code: str, rate: int, now: datetime) -> bool:
        taken = await self._s.scalar(
            select(func.count()).where(or_(_C.user_id == user_id, _C.code == code))
        )
        if taken:
            return False
        self._s.add(CreatorRow(user_id=user_id, code=code, rate_percent=rate, joined_at=now))
        await self._s.flush()
        return True

    async def creators(self) -> list[Creator]:
        rows = await self._s.execute(
            select(CreatorRow, USER.first_name)
            .join(UserRow, USER.id == _C.user_id, isouter=True)
            .order_by(_C.joined_at)
        )
        return [_creator(row, name or "") for row, name in rows]

    async def set_creator_rate(self, user_id: int, rate: int) -> bool:
        done = await self._s.execute(
            update(CreatorRow).where(_C.user_id == user_id).values(rate_percent=rate)
        )
        return bool(rowcount(done))

    async def set_creator_active(self, user_id: int, active: bool) -> bool:
        done = await self._s.execute(
            update(CreatorRow).where(_C.user_id == user_id).values(active=active)
        )
        return bool(rowcount(done))

    async def set_creator_coupon(self, user_id: int, coupon_id: int | None) -> bool:
        done = await self._s.execute(
            update(CreatorRow).where(_C.user_id == user_id).values(coupon_id=coupon_id)
        )
        return bool(rowcount(done))

    async def create_invite(self, token: str, rate: int, now: datetime) -> int:
        row = CreatorInviteRow(token=token, rate_percent=rate, created_at=now)
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        return row.id

    async def invite_by_token(self, token: str) -> CreatorInvite | None:
        row = await self._s.scalar(
            select(CreatorInviteRow)
            .where(_INV.token == token)
            .execution_options(populate_existing=True)
        )
        return _invite(row) if row is not None else None

    async def invite(self, invite_id: int) -> CreatorInvite | None:
        row = await self._s.get(CreatorInviteRow, invite_id, populate_existing=True)
        return _invite(row) if row is not None else None

    async def open_invite(self, invite_id: int, person: int) -> bool:
        done = await self._s.execute(
            update(CreatorInviteRow)
            .where(
                _INV.id == invite_id,
                _INV.accepted_by.is_(None),
                or_(_INV.opened_by.is_(None), _INV.opened_by == person),
            )
            .values(opened_by=person)
        )
        return bool(rowcount(done))

    async def accept_invite(self, invite_id: int, person: int) -> bool:
        done = await self._s.execute(
            update(CreatorInviteRow)
            .where(_INV.id == invite_id, _INV.accepted_by.is_(None), _INV.opened_by == person)
            .values(accepted_by=person)
        )
        return bool(rowcount(done))

    async def product_rate(self, product_id: int) -> int | None:
        row = await self._s.get(CreatorRateRow, product_id)
        return row.rate_percent if row is not None else None

    async def set_product_rate(self, product_id: int, rate: int | None) -> None:
        row = await self._s.get(CreatorRateRow, product_id)
        if rate is None:
            if row is not None:
                await self._s.delete(row)
        elif row is None:
            self._s.add(CreatorRateRow(product_id=product_id, rate_percent=rate))
        else:
            row.rate_percent = rate
        await self._s.flush()

    async def record_click(
        self,
        creator_id: int,
        buyer_id: int,
        product_id: int | None,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        self._s.add(
            CreatorClickRow(
                creator_id=creator_id,
                buyer_id=buyer_id,
                product_id=product_id,
                clicked_at=now,
                expires_at=expires_at,
            )
        )
        await self._s.flush()

    async def last_click(
        self, buyer_id: int, now: datetime
    ) -> tuple[int, datetime, datetime] | None:
        row = (
            await self._s.execute(
                select(_CLICK.creator_id, _CLICK.clicked_at, _CLICK.expires_at)
                .where(_CLICK.buyer_id == buyer_id, _CLICK.clicked_at <= now)
                .order_by(_CLICK.clicked_at.desc(), _CLICK.id.desc())
                .limit(1)
            )
        ).first()
        if row is None or row[2] <= now:  # the last click is out of its window: nobody
            return None
        return (int(row[0]), row[1], row[2])

    async def add_commission(
        self,
        creator_id: int,
        order_id: int,
        buyer_id: int,
        revenue: Money,
        amount: Money,
        rate: int,
        now: datetime,
    ) -> bool:
        if await self.commission_of_order(order_id) is not None:
            return False
        self._s.add(
            CreatorCommissionRow(
                creator_id=creator_id,
                order_id=order_id,
                buyer_id=buyer_id,
                currency=amount.currency,
                revenue_minor=revenue.amount,
                amount_minor=amount.amount,
                rate_percent=rate,
                created_at=now,
            )
        )
        await self._s.flush()
        return True

    async def commission_of_order(self, order_id: int) -> CreatorCommission | None:
        return await self._commission(_COM.order_id == order_id)

    async def commission_by_id(self, commission_id: int) -> CreatorCommission | None:
        return await self._commission(_COM.id == commission_id)

    async def _commission(self, where: Any) -> CreatorCommission | None:
        row = await self._s.scalar(
            select(CreatorCommissionRow).where(where).execution_options(populate_existing=True)
        )
        if row is None:
            return None
        return CreatorCommission(
            row.id or 0,
            row.creator_id,
            row.order_id,
            row.buyer_id,
            Money(row.revenue_minor, row.currency),
            Money(row.amount_minor, row.currency),
            row.reversed_minor,
            row.status,
            row.created_at,
        )

    async def reverse_commission(self, commission_id: int, amount: int) -> None:
        left = _COM.reversed_minor + amount
        await self._s.execute(
            update(CreatorCommissionRow)
            .where(_COM.id == commission_id, _COM.reversed_minor + amount <= _COM.amount_minor)
            .values(
                reversed_minor=left,
                status=case((left >= _COM.amount_minor, "reversed"), else_=_COM.status),
            )
        )

    async def due_commissions(self, received_before: datetime, limit: int) -> list[int]:
        rows = await self._s.execute(
            select(_COM.id)
            .join(OrderRow, ORD.id == _COM.order_id)
            .where(_COM.status == "pending", kept_and_received_before(received_before))
            .order_by(_COM.id)
            .limit(limit)
        )
        return [int(r[0]) for r in rows]

    async def settle_commission(self, commission_id: int, now: datetime) -> bool:
        done = await self._s.execute(
            update(CreatorCommissionRow)
            .where(_COM.id == commission_id, _COM.status == "pending")
            .values(status="settled", settled_at=now)
        )
        return bool(rowcount(done))

    async def clicks(self, creator_id: int) -> int:
        return int(
            await self._s.scalar(select(func.count()).where(_CLICK.creator_id == creator_id)) or 0
        )

    async def creator_stats(self, creator_id: int) -> list[CreatorStats]:
        net = _COM.amount_minor - _COM.reversed_minor
        earned = {
            str(cur): row
            for cur, *row in await self._s.execute(
                select(
                    _COM.currency,
                    func.count(distinct(_COM.buyer_id)),
                    func.count(case((_COM.status != "reversed", 1))),
                    func.sum(case((_COM.status != "reversed", _COM.revenue_minor), else_=0)),
                    func.sum(case((_COM.status == "pending", net), else_=0)),
                    func.sum(case((_COM.status == "settled", net), else_=0)),
                )
                .where(_COM.creator_id == creator_id)
                .group_by(_COM.currency)
            )
        }
        paid = {
            str(cur): row
            for cur, *row in await self._s.execute(
                select(
                    _PAY.currency,
                    func.sum(case((_PAY.status == "paid", _PAY.amount_minor), else_=0)),
                    func.sum(case((_PAY.status == "requested", _PAY.amount_minor), else_=0)),
                )
                .where(_PAY.creator_id == creator_id)
                .group_by(_PAY.currency)
            )
        }
        stats = []
        for currency in sorted(set(earned) | set(paid)):
            e = earned.get(currency) or [0, 0, 0, 0, 0]
            p = paid.get(currency) or [0, 0]
            stats.append(
                CreatorStats(currency, *(int(v or 0) for v in e), *(int(v or 0) for v in p))
            )
        return stats

    async def top_products(self, creator_id: int, limit: int) -> list[tuple[str, int]]:
        rows = await self._s.execute(
            select(func.min(LINE.name), func.sum(LINE.quantity))
            .select_from(CreatorCommissionRow)
            .join(OrderLineRow, LINE.order_id == _COM.order_id)
            .where(_COM.creator_id == creator_id, _COM.status != "reversed")
            .group_by(LINE.product_id)
            .order_by(func.sum(LINE.quantity).desc(), func.min(LINE.name))
            .limit(limit)
        )
        return [(str(name), int(units or 0)) for name, units in rows]

    async def activity(self, creator_id: int, since: datetime) -> Activity:
        clicks = await self._s.scalars(
            select(_CLICK.clicked_at).where(
                _CLICK.creator_id == creator_id, _CLICK.clicked_at >= since
            )
        )
        orders = await self._s.scalars(
            select(_COM.created_at).where(
                _COM.creator_id == creator_id,
                _COM.created_at >= since,
                _COM.status != "reversed",
            )
        )
        return Activity(list(clicks), list(orders))

    async def request_payout(self, creator_id: int, amount: Money, now: datetime) -> int:
        row = CreatorPayoutRow(
            creator_id=creator_id,
            amount_minor=amount.amount,
            currency=amount.currency,
            requested_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        return row.id

    async def payouts(self, status: str | None, limit: int) -> list[Payout]:
        query = select(CreatorPayoutRow).order_by(_PAY.id.desc()).limit(limit)
        if status is not None:
            query = query.where(_PAY.status == status)
        rows = await self._s.scalars(query.execution_options(populate_existing=True))
        return [_payout(r) for r in rows]

    async def mark_payout_paid(self, payout_id: int, now: datetime) -> Payout | None:
        done = await self._s.execute(
            update(CreatorPayoutRow)
            .where(_PAY.id == payout_id, _PAY.status == "requested")
            .values(status="paid", paid_at=now)
        )
        if not rowcount(done):
            return None
        row = await self._s.get(CreatorPayoutRow, payout_id, populate_existing=True)
        return _payout(row) if row is not None else None
