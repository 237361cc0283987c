"""Buyers' conversations with the shop ("💬 Ask the shop"): threads, their messages, and the
staff-chat messages that stand for a thread (a staff member's reply to one of them answers
that thread, whichever process handles it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from storage.table_base import _ts, _when, utcnow


class SupportThreadRow(SQLModel, table=True):
    __tablename__ = "support_thread"
    __table_args__ = (
        Index("ix_support_thread_buyer", "buyer_id", "product_id", "order_id"),
        Index("ix_support_thread_status_waiting", "status", "waiting_since"),
    )

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    #: What it is about: a product, an order, or neither (the shop in general). No foreign
    #: keys: a thread outlives an archived product or an anonymised order.
    product_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    order_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    subject: str = Field(default="", sa_column=Column(String(128), nullable=False, default=""))
    status: str = Field(default="open", sa_column=Column(String(8), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    #: The buyer's oldest message not answered yet (None: nothing waits).
    waiting_since: datetime | None = Field(default=None, sa_column=_when())
    reminded_at: datetime | None = Field(default=None, sa_column=_when())
    closed_at: datetime | None = Field(default=None, sa_column=_when())


class SupportMessageRow(SQLModel, table=True):
    __tablename__ = "support_message"

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(
        sa_column=Column(
            ForeignKey("support_thread.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    #: "buyer" or "staff"; and who (the buyer, or the staff member who answered).
    author: str = Field(sa_column=Column(String(8), nullable=False))
    author_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    text: str = Field(default="", sa_column=Column(String(1000), nullable=False, default=""))
    photo_file_id: str | None = Field(default=None, sa_column=Column(String(256), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class SupportPostRow(SQLModel, table=True):
    """A message the bot posted in a staff chat about a thread (a buyer's message, a
    reminder): replying to it answers the thread."""

    __tablename__ = "support_post"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    message_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    thread_id: int = Field(
        sa_column=Column(
            ForeignKey("support_thread.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    posted_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
