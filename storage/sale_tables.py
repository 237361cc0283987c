"""Tables for flash sales: the sale, its claims (reservations), per-buyer counts, watchers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.table_base import _minor, _ts, _when, utcnow


class FlashSaleRow(SQLModel, table=True):
    __tablename__ = "flash_sale"
    __table_args__ = (
        Index("ix_flash_sale_product", "product_id", "ends_at"),
        Index("ix_flash_sale_alerts", "start_alerted", "starts_at"),
        CheckConstraint("claimed >= 0", name="claimed_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    variant_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    product_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    name: str = Field(default="", max_length=260)
    currency: str = Field(max_length=3)
    price_minor: int = Field(sa_column=_minor())
    regular_minor: int = Field(sa_column=_minor())
    stock: int
    claimed: int = 0
    per_buyer: int = 1
    starts_at: datetime = Field(sa_column=_ts())
    ends_at: datetime = Field(sa_column=_ts())
    active: bool = True
    #: The "starts soon" and "live now" alerts went out (each claimed once by one process).
    soon_alerted: bool = False
    start_alerted: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class SaleClaimRow(SQLModel, table=True):
    __tablename__ = "sale_claim"
    __table_args__ = (Index("ix_sale_claim_status_expires", "status", "expires_at"),)

    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(
        sa_column=Column(ForeignKey("flash_sale.id", ondelete="CASCADE"), nullable=False)
    )
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default="reserved", max_length=12)
    expires_at: datetime = Field(sa_column=_ts())
    order_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_when())


class SaleBuyerRow(SQLModel, table=True):
    """Units a buyer holds (reserved or paid) in a sale: the per-buyer limit's counter."""

    __tablename__ = "sale_buyer"

    sale_id: int = Field(
        sa_column=Column(ForeignKey("flash_sale.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    count: int = 0


class SaleWatchRow(SQLModel, table=True):
    """Notify me: ``start`` (alerts before and at the start) or ``restock`` (a unit came back)."""

    __tablename__ = "sale_watch"

    sale_id: int = Field(
        sa_column=Column(ForeignKey("flash_sale.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(primary_key=True, max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class SalePostRow(SQLModel, table=True):
    """A sale's card posted in a group or channel, kept up to date by editing it: the units
    left as last shown (an edit is due when they differ) and when it was last edited (the
    countdown's pace and Telegram's per-chat limits)."""

    __tablename__ = "sale_post"
    __table_args__ = (
        UniqueConstraint("sale_id", "chat_id", name="uq_sale_post_chat"),
        Index("ix_sale_post_due", "closed", "edited_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(
        sa_column=Column(ForeignKey("flash_sale.id", ondelete="CASCADE"), nullable=False)
    )
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    shown_left: int = 0
    #: The phase last shown: upcoming, live or over (the card is final once over).
    shown_phase: str = Field(default="upcoming", max_length=10)
    closed: bool = False
    edited_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
