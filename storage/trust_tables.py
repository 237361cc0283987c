"""Tables for trust commerce: creators, their clicks, commissions and payouts; buyer invites;
verified reviews and the merchant's audit log of them.

The database keeps the promises: one creator per person and per code, one commission per order
(a redelivered payment credits nobody twice), one inviter per invitee and one reward per
friend's order, one review per buyer and product.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.table_base import _minor, _ts, _when, utcnow


class CreatorRow(SQLModel, table=True):
    __tablename__ = "creator"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    code: str = Field(sa_column=Column(String(16), unique=True, nullable=False))
    rate_percent: int = 0
    active: bool = True
    joined_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    #: The coupon offered to whoever opens this creator's link (None: no gift).
    coupon_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("coupon.id", ondelete="SET NULL"), nullable=True),
    )


class CreatorInviteRow(SQLModel, table=True):
    __tablename__ = "creator_invite"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    rate_percent: int = 0
    opened_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    accepted_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class CreatorRateRow(SQLModel, table=True):
    """A product's own rate for creators (instead of each creator's)."""

    __tablename__ = "creator_rate"

    product_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    rate_percent: int


class CreatorClickRow(SQLModel, table=True):
    __tablename__ = "creator_click"
    __table_args__ = (
        Index("ix_creator_click_buyer", "buyer_id", "clicked_at"),
        Index("ix_creator_click_creator", "creator_id", "clicked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    creator_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    buyer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    product_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    clicked_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    #: The click ties an order to the creator until then (the shop's attribution window).
    expires_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class CreatorCommissionRow(SQLModel, table=True):
    """One per attributed order: pending, then settled or reversed (``reversed_minor`` holds
    what refunds took back, so the net is ``amount_minor - reversed_minor``)."""

    __tablename__ = "creator_commission"
    __table_args__ = (
        Index("ix_creator_commission_creator", "creator_id", "created_at"),
        Index("ix_creator_commission_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    creator_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    order_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    buyer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    revenue_minor: int = Field(sa_column=_minor())
    amount_minor: int = Field(sa_column=_minor())
    reversed_minor: int = Field(default=0, sa_column=_minor())
    rate_percent: int = 0
    status: str = Field(default="pending", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    settled_at: datetime | None = Field(default=None, sa_column=_when())


class CreatorPayoutRow(SQLModel, table=True):
    __tablename__ = "creator_payout"
    __table_args__ = (Index("ix_creator_payout_creator", "creator_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    creator_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    amount_minor: int = Field(sa_column=_minor())
    currency: str = Field(max_length=3)
    status: str = Field(default="requested", max_length=16)
    requested_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    paid_at: datetime | None = Field(default=None, sa_column=_when())


class InviteCodeRow(SQLModel, table=True):
    """A buyer's personal invite code (``t.me/<bot>?start=f_<code>``)."""

    __tablename__ = "invite_code"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    code: str = Field(sa_column=Column(String(16), unique=True, nullable=False))


class BuyerInviteRow(SQLModel, table=True):
    __tablename__ = "buyer_invite"
    __table_args__ = (Index("ix_buyer_invite_inviter", "inviter_id", "status"),)

    invitee_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    inviter_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default="pending", max_length=16)
    #: The friend's first paid order: the reward waits for its return window.
    order_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True))
    reason: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    rewarded_at: datetime | None = Field(default=None, sa_column=_when())


class ReviewRow(SQLModel, table=True):
    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id", name="uq_review_buyer_product"),
        Index("ix_review_product", "product_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    order_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    rating: int
    text: str = Field(default="", max_length=500)
    #: The buyer's photo (Telegram's ``file_id``), if they sent one.
    photo_file_id: str | None = Field(default=None, max_length=256)
    status: str = Field(default="visible", max_length=16)
    reply: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ReviewAuditRow(SQLModel, table=True):
    """What the merchant did to a review (hide, show, reply), by whom and when."""

    __tablename__ = "review_audit"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    action: str = Field(max_length=16)
    actor: str = Field(max_length=64)
    detail: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
