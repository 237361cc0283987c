"""The port for trust commerce: creators (codes, clicks, commissions, payouts), buyer invites,
and verified reviews with the standing a card shows ("★ 4.8 · 126 sold")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.creators import Creator, CreatorInvite, Payout
from bot.domain.invites import Invite, InviteStatus
from bot.domain.money import Money
from bot.domain.reviews import ProductStanding, Review, ReviewStatus


@dataclass(frozen=True, slots=True)
class CreatorCommission:
    id: int
    creator_id: int
    order_id: int
    buyer_id: int
    revenue: Money
    amount: Money
    reversed: int
    status: str
    created_at: datetime

    @property
    def net(self) -> int:
        return self.amount.amount - self.reversed


@dataclass(frozen=True, slots=True)
class CreatorStats:
    currency: str
    unique_buyers: int
    orders: int
    revenue: int
    pending: int
    settled: int
    #: Requested or paid out already.
    paid_out: int
    requested: int

    @property
    def available(self) -> int:
        """Settled commission not yet asked for."""
        return max(self.settled - self.paid_out - self.requested, 0)


@dataclass(frozen=True, slots=True)
class Activity:
    """A creator's clicks and attributed orders over time (for the chart)."""

    clicks: list[datetime]
    orders: list[datetime]


class TrustRepository(Protocol):
    # Creators
    async def creator(self, user_id: int) -> Creator | None: ...
    async def creator_by_code(self, code: str) -> Creator | None: ...
    async def add_creator(self, user_id: int, code: str, rate: int, now: datetime) -> bool:
        """False when the person is a creator already or the code is taken."""
        ...

    async def creators(self) -> list[Creator]: ...
    async def set_creator_rate(self, user_id: int, rate: int) -> bool: ...
    async def set_creator_active(self, user_id: int, active: bool) -> bool: ...
    async def set_creator_coupon(self, user_id: int, coupon_id: int | None) -> bool: ...
    async def create_invite(self, token: str, rate: int, now: datetime) -> int: ...
    async def invite_by_token(self, token: str) -> CreatorInvite | None: ...
    async def invite(self, invite_id: int) -> CreatorInvite | None: ...
    async def open_invite(self, invite_id: int, person: int) -> bool:
        """Bind the invitation to the first person who opens it (one conditional write)."""
        ...

    async def accept_invite(self, invite_id: int, person: int) -> bool: ...
    async def product_rate(self, product_id: int) -> int | None: ...
    async def set_product_rate(self, product_id: int, rate: int | None) -> None: ...
    async def record_click(
        self,
        creator_id: int,
        buyer_id: int,
        product_id: int | None,
        now: datetime,
        expires_at: datetime,
    ) -> None: ...
    async def last_click(
        self, buyer_id: int, now: datetime
    ) -> tuple[int, datetime, datetime] | None:
        """The buyer's last click, (creator, when, open until), if still open ``now``."""
        ...

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
        """False if the order already has one (a redelivered payment)."""
        ...

    async def commission_of_order(self, order_id: int) -> CreatorCommission | None: ...
    async def commission_by_id(self, commission_id: int) -> CreatorCommission | None: ...
    async def reverse_commission(self, commission_id: int, amount: int) -> None:
        """Take back ``amount`` of it; reversed in full, its status becomes ``reversed``."""
        ...

    async def due_commissions(self, received_before: datetime, limit: int) -> list[int]:
        """Pending commissions whose order was received (delivered, shipped or, digital, paid)
        before ``received_before`` and is not being returned or refunded."""
        ...

    async def settle_commission(self, commission_id: int, now: datetime) -> bool:
        """pending -> settled, once (a conditional UPDATE: two processes settle it once)."""
        ...

    async def clicks(self, creator_id: int) -> int: ...
    async def creator_stats(self, creator_id: int) -> list[CreatorStats]:
        """One per currency the creator has earned or been paid in."""
        ...

    async def top_products(self, creator_id: int, limit: int) -> list[tuple[str, int]]: ...
    async def activity(self, creator_id: int, since: datetime) -> Activity: ...
    async def request_payout(self, creator_id: int, amount: Money, now: datetime) -> int: ...
    async def payouts(self, status: str | None, limit: int) -> list[Payout]: ...
    async def mark_payout_paid(self, payout_id: int, now: datetime) -> Payout | None: ...

    # Buyer invites
    async def invite_code_of(self, user_id: int) -> str | None: ...
    async def set_invite_code(self, user_id: int, code: str) -> bool: ...
    async def inviter_by_code(self, code: str) -> int | None: ...
    async def buyer_invite(self, invitee_id: int) -> Invite | None: ...
    async def add_buyer_invite(self, invitee_id: int, inviter_id: int, now: datetime) -> bool: ...
    async def attach_first_order(self, invitee_id: int, order_id: int) -> bool: ...
    async def due_buyer_invites(self, received_before: datetime, limit: int) -> list[Invite]: ...
    async def close_buyer_invite(
        self, invitee_id: int, status: InviteStatus, reason: str | None, now: datetime
    ) -> bool: ...
    async def rewards_of(self, inviter_id: int) -> int: ...
    async def invites_of(self, inviter_id: int) -> dict[str, int]: ...

    # Reviews
    async def add_review(
        self, product_id: int, user_id: int, order_id: int, rating: int, now: datetime
    ) -> int | None:
        """None when this buyer reviewed this product already (unique in the database)."""
        ...

    async def review(self, review_id: int) -> Review | None: ...
    async def review_by(self, user_id: int, product_id: int) -> Review | None: ...
    async def set_review_text(self, review_id: int, text: str) -> None: ...
    async def set_review_photo(self, review_id: int, file_id: str) -> None: ...
    async def set_review_status(self, review_id: int, status: ReviewStatus) -> bool: ...
    async def set_review_reply(self, review_id: int, reply: str) -> None: ...
    async def audit_review(
        self, review_id: int, action: str, actor: str, detail: str, now: datetime
    ) -> None: ...
    async def reviews(self, product_id: int | None, limit: int) -> list[Review]: ...
    async def standing(self, product_id: int) -> ProductStanding:
        """Rating and units sold for a card; cached for a few seconds like other card reads."""
        ...
