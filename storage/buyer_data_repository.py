"""A buyer's own data: every row the shop keeps about one person, read out (``/mydata``) and
erased (``/deleteme``).

The export names only the buyer: rows keyed by their id, and, where a row also names another
person (the friend who invited them, the creator whose link they followed, the members of a
team they lead), that other id is left out. The erasure deletes what is only about the person
and, in what the merchant's accounts need (orders with their lines and amounts, refunds,
commissions, coupon counts, ratings), puts an anonymous marker in place of their id and drops
the shipping details and the review text. The conversation's UI step kept in Redis, if any, is
cleared by the service through the UI-state port.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select

from bot.domain.privacy import Hold, HoldKind, order_hold
from storage.admin_tables import InteractionRow, StaffRow
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
from storage.read_cache import RecentBuyers
from storage.sale_tables import SaleBuyerRow, SaleClaimRow, SaleWatchRow
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
    CreatorInviteRow,
    CreatorPayoutRow,
    CreatorRow,
    InviteCodeRow,
    ReviewRow,
)
from storage.types import rowcount

Row = dict[str, object]


def _plain(row: SQLModel, leave_out: Iterable[str] = ()) -> Row:
    """A row as JSON-ready values (times as ISO 8601), without the columns left out."""
    out: Row = {}
    for name, value in row.model_dump().items():
        if name in leave_out:
            continue
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


class SqlBuyerDataRepository:
    def __init__(self, session: AsyncSession, recent: RecentBuyers | None = None) -> None:
        self._s = session
        self._recent = recent

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
            "staff": await self._rows(select(StaffRow).where(col(StaffRow.user_id) == u)),
        }

    async def holds(self, user_id: int) -> list[Hold]:
        s = self._s
        u = user_id
        found: list[Hold] = []
        orders = (
            await s.execute(
                select(
                    OrderRow.id, OrderRow.status, OrderRow.held_until, OrderRow.stripe_session_id
                )
                .where(col(OrderRow.user_id) == u)
                .order_by(col(OrderRow.id))
            )
        ).all()
        # A group-buy seat held for an order counts in its team until paid or released.
        seats = set(
            (
                await s.execute(
                    select(TeamSeatRow.order_id).where(
                        col(TeamSeatRow.user_id) == u, col(TeamSeatRow.status) == "held"
                    )
                )
            ).scalars()
        )
        for order_id, status, held_until, session in orders:
            paying = held_until is not None or session is not None or order_id in seats
            hold = order_hold(order_id, status, paying)
            if hold is not None:
                found.append(hold)
        refunding = (
            await s.execute(
                select(RefundRow.order_id)
                .join(OrderRow, col(OrderRow.id) == col(RefundRow.order_id))
                .where(
                    col(OrderRow.user_id) == u,
                    col(RefundRow.status).in_(["pending", "retrying"]),
                )
                .distinct()
            )
        ).scalars()
        found += [Hold(HoldKind.REFUND, order_id) for order_id in refunding]
        claims = (
            await s.execute(
                select(SaleClaimRow.id).where(
                    col(SaleClaimRow.user_id) == u, col(SaleClaimRow.status) == "reserved"
                )
            )
        ).scalars()
        found += [Hold(HoldKind.CLAIM, claim) for claim in claims]
        teams = (
            await s.execute(
                select(TeamRow.id).where(
                    col(TeamRow.leader_id) == u, col(TeamRow.status) == "open"
                )
            )
        ).scalars()
        found += [Hold(HoldKind.TEAM, team) for team in teams]
        payouts = (
            await s.execute(
                select(CreatorPayoutRow.id).where(
                    col(CreatorPayoutRow.creator_id) == u,
                    col(CreatorPayoutRow.status) == "requested",
                )
            )
        ).scalars()
        found += [Hold(HoldKind.PAYOUT, payout) for payout in payouts]
        if await s.get(StaffRow, u) is not None:
            found.append(Hold(HoldKind.STAFF))
        return found

    async def erase(self, user_id: int, marker: int, now: datetime) -> dict[str, int]:
        s = self._s
        u = user_id
        done: dict[str, int] = {}

        async def run(name: str, statement: Any) -> None:
            done[name] = done.get(name, 0) + rowcount(await s.execute(statement))

        # An invoice not paid (or replaced by a newer one) can still be paid in the chat:
        # cancelled first (nothing is held for it), and a payment of it afterwards names an
        # order that is no longer the payer's, so it is refunded (``payment_received``).
        await run(
            "orders_cancelled",
            update(OrderRow)
            .where(
                col(OrderRow.user_id) == u,
                col(OrderRow.status).in_(["pending", "expired"]),
                col(OrderRow.held_until).is_(None),
                col(OrderRow.stripe_session_id).is_(None),
            )
            .values(status="cancelled", closed_at=now, updated_at=now),
        )
        await run(
            "orders",
            update(OrderRow)
            .where(col(OrderRow.user_id) == u)
            .values(
                user_id=marker,
                chat_id=marker,
                ship_name=None,
                ship_phone=None,
                ship_address=None,
            ),
        )
        await run(
            "coupons_used",
            update(CouponUseRow).where(col(CouponUseRow.user_id) == u).values(user_id=marker),
        )
        # A one-time code they used stays used (clearing it would let it be redeemed again).
        await run(
            "one_time_codes_used",
            update(CouponCodeRow).where(col(CouponCodeRow.used_by) == u).values(used_by=marker),
        )
        # A personal coupon (an invite reward) is only its owner's: nobody's from now on.
        await run(
            "coupons_owned",
            update(CouponRow)
            .where(col(CouponRow.owner_id) == u)
            .values(owner_id=marker, active=False),
        )
        await run(
            "reviews",
            update(ReviewRow)
            .where(col(ReviewRow.user_id) == u)
            .values(user_id=marker, text="", photo_file_id=None),
        )
        await run(
            "group_buy_seats",
            update(TeamSeatRow).where(col(TeamSeatRow.user_id) == u).values(user_id=marker),
        )
        await run(
            "group_buy_teams_led",
            update(TeamRow)
            .where(col(TeamRow.leader_id) == u)
            .values(leader_id=marker, pickup_name=None, pickup_address=None),
        )
        await run(
            "group_buy_commissions",
            update(CommissionRow)
            .where(col(CommissionRow.leader_id) == u)
            .values(leader_id=marker),
        )
        await run("group_buy_leader", delete(LeaderRow).where(col(LeaderRow.user_id) == u))
        await run(
            "flash_sale_claims",
            update(SaleClaimRow).where(col(SaleClaimRow.user_id) == u).values(user_id=marker),
        )
        await run(
            "flash_sale_counts",
            update(SaleBuyerRow).where(col(SaleBuyerRow.user_id) == u).values(user_id=marker),
        )
        await run("flash_sale_alerts", delete(SaleWatchRow).where(col(SaleWatchRow.user_id) == u))
        await run(
            "creator_commissions",
            update(CreatorCommissionRow)
            .where(col(CreatorCommissionRow.buyer_id) == u)
            .values(buyer_id=marker),
        )
        await run(
            "creator_commissions",
            update(CreatorCommissionRow)
            .where(col(CreatorCommissionRow.creator_id) == u)
            .values(creator_id=marker),
        )
        await run(
            "creator_payouts",
            update(CreatorPayoutRow)
            .where(col(CreatorPayoutRow.creator_id) == u)
            .values(creator_id=marker),
        )
        await run(
            "creator_links_followed",
            delete(CreatorClickRow).where(col(CreatorClickRow.buyer_id) == u),
        )
        await run(
            "creator_clicks",
            update(CreatorClickRow)
            .where(col(CreatorClickRow.creator_id) == u)
            .values(creator_id=marker),
        )
        await run(
            "creator_invitations",
            update(CreatorInviteRow)
            .where(col(CreatorInviteRow.opened_by) == u)
            .values(opened_by=None),
        )
        await run(
            "creator_invitations",
            update(CreatorInviteRow)
            .where(col(CreatorInviteRow.accepted_by) == u)
            .values(accepted_by=None),
        )
        await run("creator", delete(CreatorRow).where(col(CreatorRow.user_id) == u))
        await run("invite_code", delete(InviteCodeRow).where(col(InviteCodeRow.user_id) == u))
        await run(
            "invited_by",
            update(BuyerInviteRow)
            .where(col(BuyerInviteRow.invitee_id) == u)
            .values(invitee_id=marker),
        )
        await run(
            "invited",
            update(BuyerInviteRow)
            .where(col(BuyerInviteRow.inviter_id) == u)
            .values(inviter_id=marker),
        )
        await run("interests", delete(InteractionRow).where(col(InteractionRow.user_id) == u))
        await run("searches", delete(SearchRow).where(col(SearchRow.user_id) == u))
        await run(
            "conversation_state",
            delete(ConversationStateRow).where(col(ConversationStateRow.user_id) == u),
        )
        await run(
            "messages_queued", delete(NotificationRow).where(col(NotificationRow.chat_id) == u)
        )
        # The staff's copies of notices about the buyer (a return asked for...) name them in
        # their parameters; those already sent or given up are of no further use.
        await run(
            "notices_about",
            delete(NotificationRow).where(
                col(NotificationRow.status).in_(["sent", "failed", "cancelled"]),
                or_(
                    col(NotificationRow.params).like(f'%"user": {u},%'),
                    col(NotificationRow.params).like(f'%"user": {u}}}%'),
                ),
            ),
        )
        await run(
            "broadcasts_received",
            delete(DropDeliveryRow).where(col(DropDeliveryRow.chat_id) == u),
        )
        await run("cart", delete(CartLineRow).where(col(CartLineRow.user_id) == u))
        await run("profile", delete(UserRow).where(col(UserRow.id) == u))
        if self._recent is not None:  # the next message makes a fresh row
            self._recent.forget(u)
        return done
