"""A buyer's own data erased (``/deleteme``), and what holds the erasure back.

The erasure deletes what is only about the person and, in what the merchant's accounts need
(orders with their lines and amounts, refunds, commissions, coupon counts, ratings), puts an
anonymous marker in place of their id and drops the shipping details and the review text. The
conversation's UI step kept in Redis, if any, is cleared by the service through the UI-state
port. Part of ``SqlBuyerDataRepository`` (``storage/buyer_data_repository.py``), with the
export in ``storage/buyer_data_export.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.privacy import Hold, HoldKind, order_hold
from storage.admin_tables import InteractionRow, StaffRow
from storage.alert_tables import AlertCountRow, AlertPrefsRow
from storage.drop_tables import DropDeliveryRow
from storage.group_tables import CommissionRow, LeaderRow, TeamRow, TeamSeatRow
from storage.order_tables import (
    CouponCodeRow,
    CouponRow,
    CouponUseRow,
    NotificationRow,
    OrderRow,
    RefundRow,
)
from storage.read_cache import RecentBuyers
from storage.sale_tables import SaleBuyerRow, SaleClaimRow, SaleWatchRow
from storage.tables import CartLineRow, ConversationStateRow, SearchRow, UserRow
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


class SqlBuyerDataErasure:
    """``holds`` and ``erase`` (part of ``SqlBuyerDataRepository``, which holds the session
    and the recent buyers' cache)."""

    _s: AsyncSession
    _recent: RecentBuyers | None

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
                col(NotificationRow.status).in_(["sent", "failed", "cancelled", "skipped"]),
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
        await run("alert_settings", delete(AlertPrefsRow).where(col(AlertPrefsRow.user_id) == u))
        await run("alert_counts", delete(AlertCountRow).where(col(AlertCountRow.user_id) == u))
        await run("cart", delete(CartLineRow).where(col(CartLineRow.user_id) == u))
        await run("profile", delete(UserRow).where(col(UserRow.id) == u))
        if self._recent is not None:  # the next message makes a fresh row
            self._recent.forget(u)
        return done
