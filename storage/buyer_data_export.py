"""A buyer's own data read out (``/mydata``): every row the shop keeps about one person.

The export names only the buyer: rows keyed by their id, and, where a row also names another
person (the friend who invited them, the creator whose link they followed, the members of a
team they lead), that other id is left out. Part of ``SqlBuyerDataRepository``
(``storage/buyer_data_repository.py``), with the erasure in ``storage/buyer_data_erasure.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select

from storage.admin_tables import InteractionRow, StaffRow
from storage.alert_tables import AlertCountRow, AlertPrefsRow
from storage.drop_tables import DropDeliveryRow
from storage.group_tables import CommissionRow, LeaderRow, TeamRow, TeamSeatRow
from storage.order_tables import (
    CouponCodeRow,
    CouponRow,
    CouponUseRow,
    NotificationRow,
    OrderLineRow,
    OrderRow,
    RefundRow,
)
from storage.sale_tables import SaleClaimRow, SaleWatchRow
from storage.tables import (
    CartLineRow,
    ConversationStateRow,
    SearchRow,
    UserRow,
    VariantRow,
    WrongGuessRow,
)
from storage.trust_tables import (
    BuyerInviteRow,
    CreatorClickRow,
    CreatorCommissionRow,
    CreatorPayoutRow,
    CreatorRow,
    InviteCodeRow,
    ReviewRow,
)

Row = dict[str, object]


def _plain(row: SQLModel, leave_out: Iterable[str] = ()) -> Row:
    """A row as JSON-ready values (times as ISO 8601), without the columns left out."""
    out: Row = {}
    for name, value in row.model_dump().items():
        if name in leave_out:
            continue
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


class SqlBuyerDataExport:
    """``export``: every row about one buyer, as JSON-ready values (part of
    ``SqlBuyerDataRepository``, which holds the session)."""

    _s: AsyncSession

    async def _rows(self, query: Any, leave_out: Iterable[str] = ()) -> list[Row]:
        rows = (await self._s.execute(query)).scalars().all()
        return [_plain(r, leave_out) for r in rows]

    async def export(self, user_id: int) -> dict[str, list[Row]]:
        s = self._s
        u = user_id
        orders = (
            (
                await s.execute(
                    select(OrderRow).where(col(OrderRow.user_id) == u).order_by(col(OrderRow.id))
                )
            )
            .scalars()
            .all()
        )
        order_ids = [o.id for o in orders if o.id is not None]
        lines = (
            (
                await s.execute(
                    select(OrderLineRow)
                    .where(col(OrderLineRow.order_id).in_(order_ids))
                    .order_by(col(OrderLineRow.id))
                )
            )
            .scalars()
            .all()
            if order_ids
            else []
        )
        by_order: dict[int, list[Row]] = {}
        for line in lines:
            by_order.setdefault(line.order_id, []).append(_plain(line, ("order_id",)))
        order_rows = []
        for o in orders:
            row = _plain(o)
            row["lines"] = by_order.get(o.id or 0, [])
            order_rows.append(row)
        refunds = (
            await self._rows(select(RefundRow).where(col(RefundRow.order_id).in_(order_ids)))
            if order_ids
            else []
        )
        cart = (
            await s.execute(
                select(CartLineRow, VariantRow.name, VariantRow.sku)
                .join(VariantRow, col(VariantRow.id) == col(CartLineRow.variant_id))
                .where(col(CartLineRow.user_id) == u)
                .order_by(col(CartLineRow.id))
            )
        ).all()
        coupons = (
            await s.execute(
                select(CouponUseRow, CouponRow.code)
                .join(CouponRow, col(CouponRow.id) == col(CouponUseRow.coupon_id))
                .where(col(CouponUseRow.user_id) == u)
            )
        ).all()
        one_time = (
            await s.execute(
                select(CouponCodeRow.code, CouponCodeRow.used_at, CouponRow.code)
                .join(CouponRow, col(CouponRow.id) == col(CouponCodeRow.coupon_id))
                .where(col(CouponCodeRow.used_by) == u)
                .order_by(col(CouponCodeRow.id))
            )
        ).all()
        led = await self._rows(select(TeamRow).where(col(TeamRow.leader_id) == u))
        return {
            "profile": await self._rows(select(UserRow).where(col(UserRow.id) == u)),
            "orders": order_rows,
            "refunds": refunds,
            "cart": [
                {**_plain(line, ("user_id",)), "variant": name, "sku": sku}
                for line, name, sku in cart
            ],
            "coupons_used": [{"code": code, "uses": use.uses} for use, code in coupons],
            "one_time_codes_used": [
                {
                    "code": code,
                    "coupon": parent,
                    "used_at": used_at.isoformat() if used_at else None,
                }
                for code, used_at, parent in one_time
            ],
            "coupons_owned": await self._rows(
                select(CouponRow).where(col(CouponRow.owner_id) == u)
            ),
            "reviews": await self._rows(select(ReviewRow).where(col(ReviewRow.user_id) == u)),
            "group_buy_seats": await self._rows(
                select(TeamSeatRow).where(col(TeamSeatRow.user_id) == u)
            ),
            "group_buy_leader": await self._rows(
                select(LeaderRow).where(col(LeaderRow.user_id) == u)
            ),
            "group_buy_teams_led": led,
            "group_buy_commissions": await self._rows(
                select(CommissionRow).where(col(CommissionRow.leader_id) == u)
            ),
            "flash_sale_claims": await self._rows(
                select(SaleClaimRow).where(col(SaleClaimRow.user_id) == u)
            ),
            "flash_sale_alerts": await self._rows(
                select(SaleWatchRow).where(col(SaleWatchRow.user_id) == u)
            ),
            "interests": await self._rows(
                select(InteractionRow)
                .where(col(InteractionRow.user_id) == u)
                .order_by(col(InteractionRow.id))
            ),
            "searches": await self._rows(select(SearchRow).where(col(SearchRow.user_id) == u)),
            "invite_code": await self._rows(
                select(InviteCodeRow).where(col(InviteCodeRow.user_id) == u)
            ),
            # Who invited them, and whom they invited, without the other person's id.
            "invited_by": await self._rows(
                select(BuyerInviteRow).where(col(BuyerInviteRow.invitee_id) == u),
                ("inviter_id",),
            ),
            "invited": await self._rows(
                select(BuyerInviteRow).where(col(BuyerInviteRow.inviter_id) == u),
                ("invitee_id",),
            ),
            "creator": await self._rows(select(CreatorRow).where(col(CreatorRow.user_id) == u)),
            "creator_commissions": await self._rows(
                select(CreatorCommissionRow).where(col(CreatorCommissionRow.creator_id) == u),
                ("buyer_id",),
            ),
            "creator_payouts": await self._rows(
                select(CreatorPayoutRow).where(col(CreatorPayoutRow.creator_id) == u)
            ),
            "creator_links_followed": await self._rows(
                select(CreatorClickRow).where(col(CreatorClickRow.buyer_id) == u),
                ("creator_id",),
            ),
            "wrong_codes": await self._rows(
                select(WrongGuessRow).where(col(WrongGuessRow.user_id) == u)
            ),
            "conversation_state": await self._rows(
                select(ConversationStateRow).where(col(ConversationStateRow.user_id) == u)
            ),
            "messages_queued": await self._rows(
                select(NotificationRow).where(col(NotificationRow.chat_id) == u)
            ),
            "broadcasts_received": await self._rows(
                select(DropDeliveryRow).where(col(DropDeliveryRow.chat_id) == u)
            ),
            "alert_settings": await self._rows(
                select(AlertPrefsRow).where(col(AlertPrefsRow.user_id) == u)
            ),
            "alert_counts": await self._rows(
                select(AlertCountRow).where(col(AlertCountRow.user_id) == u)
            ),
            "staff": await self._rows(select(StaffRow).where(col(StaffRow.user_id) == u)),
        }
