"""Tables for coupons, orders, refunds, Stripe events and outgoing notifications.

Every place money or stock moves has a key the database enforces: an order is paid once per
``telegram_payment_charge_id``, a Stripe event is handled once per event id, a refund is sent
with its own row id as the Stripe idempotency key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from storage.table_base import _minor, _ts, _when, utcnow


class CouponRow(SQLModel, table=True):
    __tablename__ = "coupon"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=16)
    percent: int = 0
    amount_minor: int | None = Field(default=None, sa_column=_minor(nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    min_subtotal_minor: int | None = Field(default=None, sa_column=_minor(nullable=True))
    scope: str = Field(default="all", max_length=16)
    #: Category or product ids, comma-separated.
    scope_ids: str = Field(default="", max_length=1000)
    starts_at: datetime | None = Field(default=None, sa_column=_when())
    expires_at: datetime | None = Field(default=None, sa_column=_when())
    usage_limit: int | None = None
    per_buyer_limit: int | None = None
    first_order_only: bool = False
    stacks: bool = False
    active: bool = True
    #: A personal coupon (an invite reward): only this Telegram user may apply it.
    owner_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    #: Anyone may apply it by a button (a typed code works for anyone who knows it anyway).
    public: bool = False
    #: Uses taken (held at pre-checkout, kept at payment); ``used < usage_limit`` is the
    #: condition of the one UPDATE that takes a use.
    used: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class CouponUseRow(SQLModel, table=True):
    """Uses per buyer, counted by one conditional upsert (the per-buyer limit)."""

    __tablename__ = "coupon_use"

    coupon_id: int = Field(
        sa_column=Column(ForeignKey("coupon.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    uses: int = 0


class CouponCodeRow(SQLModel, table=True):
    """A one-time code of a coupon (``storefront coupons codes``): it redeems its coupon, under
    the coupon's rules, once, for one buyer. ``used_by IS NULL`` is the condition of the one
    UPDATE that takes it (at pre-checkout, with the coupon's use); giving it back clears it."""

    __tablename__ = "coupon_code"

    id: int | None = Field(default=None, primary_key=True)
    coupon_id: int = Field(
        sa_column=Column(ForeignKey("coupon.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    code: str = Field(max_length=32, unique=True)
    used_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    used_at: datetime | None = Field(default=None, sa_column=_when())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class OrderRow(SQLModel, table=True):
    __tablename__ = "shop_order"
    __table_args__ = (
        Index("ix_shop_order_user_status", "user_id", "status"),
        Index("ix_shop_order_status_held", "status", "held_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default="pending", max_length=24)
    #: A random secret in the invoice payload: a forged payload names no order.
    token: str = Field(max_length=32)
    currency: str = Field(max_length=3)
    items_minor: int = Field(sa_column=_minor())
    discount_minor: int = Field(default=0, sa_column=_minor())
    shipping_minor: int = Field(default=0, sa_column=_minor())
    shipping_discount_minor: int = Field(default=0, sa_column=_minor())
    total_minor: int = Field(default=0, sa_column=_minor())
    refunded_minor: int = Field(default=0, sa_column=_minor())
    coupon_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("coupon.id", ondelete="SET NULL"))
    )
    coupon_code: str | None = Field(default=None, max_length=32)
    free_shipping: bool = False
    #: ship, pickup or digital.
    delivery: str = Field(default="ship", max_length=8)
    shipping_option: str | None = Field(default=None, max_length=64)
    #: telegram (a provider such as Stripe), stars, or stripe_link (Checkout Session).
    method: str = Field(default="telegram", max_length=16)
    from_cart: bool = True
    telegram_charge_id: str | None = Field(
        default=None, sa_column=Column(String(128), unique=True, nullable=True)
    )
    provider_charge_id: str | None = Field(default=None, max_length=128)
    stripe_session_id: str | None = Field(
        default=None, sa_column=Column(String(128), unique=True, nullable=True)
    )
    stripe_payment_intent: str | None = Field(default=None, max_length=128)
    #: Set while the pre-checkout holds stock and the coupon use for this order.
    held_until: datetime | None = Field(default=None, sa_column=_when())
    ship_name: str | None = Field(default=None, max_length=256)
    ship_phone: str | None = Field(default=None, max_length=64)
    ship_address: str | None = Field(default=None, max_length=1000)
    tracking: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    paid_at: datetime | None = Field(default=None, sa_column=_when())
    shipped_at: datetime | None = Field(default=None, sa_column=_when())
    delivered_at: datetime | None = Field(default=None, sa_column=_when())
    closed_at: datetime | None = Field(default=None, sa_column=_when())
    #: The group-buy team this order holds a seat in.
    team_id: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))
    #: The flash-sale claim (reservation) this order pays for.
    claim_id: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))


class OrderLineRow(SQLModel, table=True):
    """What was bought, at the price charged: a snapshot that later catalog edits don't touch."""

    __tablename__ = "order_line"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(
            ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    variant_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    product_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    category_id: int | None = None
    name: str = Field(max_length=260)
    unit_minor: int = Field(sa_column=_minor())
    quantity: int
    digital: bool = False


class RefundRow(SQLModel, table=True):
    """A refund to make (an outbox row): written with the order change, sent after commit,
    retried until it succeeds; its id is the idempotency key Stripe sees."""

    __tablename__ = "refund"
    __table_args__ = (Index("ix_refund_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(
            ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    amount_minor: int = Field(sa_column=_minor())
    currency: str = Field(max_length=3)
    #: card (Stripe refund), stars (refundStarPayment) or authorization (Stripe cancel).
    method: str = Field(max_length=16)
    reason: str = Field(default="", max_length=64)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_error: str | None = Field(default=None, max_length=500)
    external_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class StripeEventRow(SQLModel, table=True):
    """Stripe event ids already handled: a replayed webhook changes nothing."""

    __tablename__ = "stripe_event"

    id: str = Field(sa_column=Column(String(255), primary_key=True))
    type: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class NotificationRow(SQLModel, table=True):
    """A message to a buyer from outside a conversation turn (a refund went through, the
    merchant shipped): written with the change that causes it, sent after commit."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    #: What happened (``refund_done``, ``order_shipped``...); worded in the recipient's
    #: language when it is sent, from ``params`` (JSON).
    kind: str = Field(max_length=64)
    params: str = Field(default="{}", max_length=4000)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_when())
    #: A marketing notice held by the buyer's quiet hours: not sent before this.
    not_before: datetime | None = Field(default=None, sa_column=_when())
