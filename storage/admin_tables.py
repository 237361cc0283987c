"""Tables for the merchant console and interest recommendations: the shop's staff, the audit
log of every admin action, and buyers' interactions with products (views, adds, purchases,
shares).

An interaction keeps only what recommendations need: who (a Telegram id), which product, what
kind, when. No message text, no query, no chat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from storage.table_base import _ts, utcnow


class StaffRow(SQLModel, table=True):
    """People the owner (``ADMIN_IDS``) let into the console; owners are not stored here."""

    __tablename__ = "staff"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    added_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    added_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class AdminAuditRow(SQLModel, table=True):
    """One admin action: who did what to which row, with its details (JSON)."""

    __tablename__ = "admin_audit"
    __table_args__ = (Index("ix_admin_audit_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    action: str = Field(sa_column=Column(String(64), nullable=False))
    target: str = Field(default="", sa_column=Column(String(128), nullable=False))
    detail: str = Field(default="{}", sa_column=Column(String(2000), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class InteractionRow(SQLModel, table=True):
    """A buyer viewed, carted, bought or shared a product (the recommender's only input)."""

    __tablename__ = "interaction"
    __table_args__ = (
        Index("ix_interaction_user_at", "user_id", "at"),
        Index("ix_interaction_product_kind", "product_id", "kind"),
        Index("ix_interaction_kind_at", "kind", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    product_id: int = Field(
        sa_column=Column(ForeignKey("product.id", ondelete="CASCADE"), nullable=False)
    )
    #: view, add, purchase or share (``bot.domain.interests.InteractionKind``).
    kind: str = Field(sa_column=Column(String(8), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
