"""Buyer invites and verified reviews in SQL: one inviter per invitee and one reward per
friend's order (conditional UPDATEs), one review per buyer and product (a unique key), and the
standing a card shows, read through the process's short read cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import or_, select

from bot.domain.invites import Invite, InviteStatus
from bot.domain.reviews import ProductStanding, Review, ReviewStatus
from storage.creator_repository import LINE as _LINE
from storage.creator_repository import ORD as _ORD
from storage.creator_repository import USER as _USER
from storage.creator_repository import kept_and_received_before
from storage.order_tables import OrderRow
from storage.read_cache import ReadCache
from storage.tables import UserRow
from storage.trust_tables import BuyerInviteRow, InviteCodeRow, ReviewAuditRow, ReviewRow
from storage.types import rowcount, table_of

_BI = table_of(BuyerInviteRow).c
_REV = table_of(ReviewRow).c
#: Orders whose goods count as sold (paid and not given back in full).
_SOLD = ("paid", "shipped", "delivered", "return_requested", "partially_refunded")


def _buyer_invite(row: BuyerInviteRow) -> Invite:
    return Invite(
        row.invitee_id, row.inviter_id, InviteStatus(row.status), row.created_at, row.order_id
    )


def _review(row: ReviewRow, author: str = "") -> Review:
    return Review(
        row.id or 0,
        row.product_id,
        row.user_id,
        row.order_id,
        row.rating,
        row.text,
        ReviewStatus(row.status),
        row.created_at,
        author,
        row.reply,
        row.photo_file_id,
    )


class SqlInviteReviewQueries:
    _s: AsyncSession
    _cache: ReadCache | None
    _after_commit: list[Callable[[], None]]

    # -- buyer invites -----------------------------------------------------------------------

    async def invite_code_of(self, user_id: int) -> str | None:
        row = await self._s.get(InviteCodeRow, user_id)
        return row.code if row is not None else None

    async def set_invite_code(self, user_id: int, code: str) -> bool:
        taken = await self._s.scalar(
            select(func.count()).where(
                or_(InviteCodeRow.user_id == user_id, InviteCodeRow.code == code)
            )
        )
        if taken:
            return False
        self._s.add(InviteCodeRow(user_id=user_id, code=code))
        await self._s.flush()
        return True

    async def inviter_by_code(self, code: str) -> int | None:
        found = await self._s.scalar(
            select(InviteCodeRow.user_id).where(InviteCodeRow.code == code)
        )
        return int(found) if found is not None else None

    async def buyer_invite(self, invitee_id: int) -> Invite | None:
        row = await self._s.get(BuyerInviteRow, invitee_id, populate_existing=True)
        return _buyer_invite(row) if row is not None else None

    async def add_buyer_invite(self, invitee_id: int, inviter_id: int, now: datetime) -> bool:
        if await self._s.get(BuyerInviteRow, invitee_id) is not None:
            return False
        try:
            async with self._s.begin_nested():
                self._s.add(
                    BuyerInviteRow(invitee_id=invitee_id, inviter_id=inviter_id, created_at=now)
                )
        except IntegrityError:  # another process recorded an inviter first
            return False
        return True

    async def attach_first_order(self, invitee_id: int, order_id: int) -> bool:
        done = await self._s.execute(
            update(BuyerInviteRow)
            .where(
                _BI.invitee_id == invitee_id,
                _BI.status == "pending",
                _BI.order_id.is_(None),
            )
            .values(order_id=order_id)
        )
        return bool(rowcount(done))

    async def due_buyer_invites(self, received_before: datetime, limit: int) -> list[Invite]:
        rows = await self._s.scalars(
            select(BuyerInviteRow)
            .join(OrderRow, _ORD.id == _BI.order_id)
            .where(_BI.status == "pending", kept_and_received_before(received_before))
            .order_by(_BI.created_at)
            .limit(limit)
        )
        return [_buyer_invite(r) for r in rows]

    async def close_buyer_invite(
        self, invitee_id: int, status: InviteStatus, reason: str | None, now: datetime
    ) -> bool:
        done = await self._s.execute(
            update(BuyerInviteRow)
            .where(_BI.invitee_id == invitee_id, _BI.status == "pending")
            .values(status=status.value, reason=reason, rewarded_at=now)
        )
        return bool(rowcount(done))

    async def rewards_of(self, inviter_id: int) -> int:
        return int(
            await self._s.scalar(
                select(func.count()).where(
                    _BI.inviter_id == inviter_id, _BI.status == "rewarded", _BI.reason.is_(None)
                )
            )
            or 0
        )

    async def invites_of(self, inviter_id: int) -> dict[str, int]:
        rows = await self._s.execute(
            select(_BI.status, func.count())
            .where(_BI.inviter_id == inviter_id)
            .group_by(_BI.status)
        )
        return {str(status): int(n) for status, n in rows}

    # -- reviews -----------------------------------------------------------------------------

    def _changed(self, product_id: int) -> None:
        if self._cache is not None:
            cache = self._cache
            self._after_commit.append(lambda: cache.discard(("standing", product_id)))

    async def add_review(
        self, product_id: int, user_id: int, order_id: int, rating: int, now: datetime
    ) -> int | None:
        if await self.review_by(user_id, product_id) is not None:
            return None
        row = ReviewRow(
            product_id=product_id,
            user_id=user_id,
            order_id=order_id,
            rating=rating,
            created_at=now,
        )
        try:
            async with self._s.begin_nested():
                self._s.add(row)
        except IntegrityError:
            return None
        self._changed(product_id)
        assert row.id is not None
        return row.id

    async def review(self, review_id: int) -> Review | None:
        row = await self._s.get(ReviewRow, review_id, populate_existing=True)
        return _review(row) if row is not None else None

    async def review_by(self, user_id: int, product_id: int) -> Review | None:
        row = await self._s.scalar(
            select(ReviewRow).where(_REV.user_id == user_id, _REV.product_id == product_id)
        )
        return _review(row) if row is not None else None

    async def _update(self, review_id: int, **values: object) -> bool:
        done = await self._s.execute(
            update(ReviewRow).where(_REV.id == review_id).values(**values)
        )
        product = await self._s.scalar(select(_REV.product_id).where(_REV.id == review_id))
        if product is not None:
            self._changed(int(product))
        return bool(rowcount(done))

    async def set_review_text(self, review_id: int, text: str) -> None:
        await self._update(review_id, text=text)

    async def set_review_photo(self, review_id: int, file_id: str) -> None:
        await self._update(review_id, photo_file_id=file_id[:256])

    async def set_review_status(self, review_id: int, status: ReviewStatus) -> bool:
        return await self._update(review_id, status=status.value)

    async def set_review_reply(self, review_id: int, reply: str) -> None:
        await self._update(review_id, reply=reply)

    async def audit_review(
        self, review_id: int, action: str, actor: str, detail: str, now: datetime
    ) -> None:
        self._s.add(
            ReviewAuditRow(
                review_id=review_id,
                action=action,
                actor=actor[:64],
                detail=detail[:500],
                created_at=now,
            )
        )
        await self._s.flush()

    async def reviews(self, product_id: int | None, limit: int) -> list[Review]:
        query = (
            select(ReviewRow, _USER.first_name)
            .join(UserRow, _USER.id == _REV.user_id, isouter=True)
            .order_by(_REV.id.desc())
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        if product_id is not None:
            query = query.where(_REV.product_id == product_id)
        return [_review(row, name or "") for row, name in await self._s.execute(query)]

    async def standing(self, product_id: int) -> ProductStanding:
        key = ("standing", product_id)
        hit: ProductStanding | None = self._cache.get(key) if self._cache is not None else None
        if hit is not None:
            return hit
        visible = and_(_REV.product_id == product_id, _REV.status == "visible")
        count, total = (
            await self._s.execute(select(func.count(), func.sum(_REV.rating)).where(visible))
        ).one()
        sold = await self._s.scalar(
            select(func.sum(_LINE.quantity))
            .join(OrderRow, _ORD.id == _LINE.order_id)
            .where(_LINE.product_id == product_id, _ORD.status.in_(_SOLD))
        )
        latest = (
            await self._s.execute(
                select(ReviewRow, _USER.first_name)
                .join(UserRow, _USER.id == _REV.user_id, isouter=True)
                .where(visible, or_(_REV.text != "", _REV.photo_file_id.is_not(None)))
                .order_by(_REV.id.desc())
                .limit(1)
            )
        ).first()
        standing = ProductStanding(
            int(count or 0),
            int(total or 0),
            int(sold or 0),
            _review(latest[0], latest[1] or "") if latest is not None else None,
        )
        if self._cache is not None:
            self._cache.put(key, standing)
        return standing
