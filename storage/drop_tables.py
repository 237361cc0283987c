"""Tables for drops (broadcasts): the drop and its outbox, one delivery per (drop, chat)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.table_base import _ts, _when, utcnow


class DropRow(SQLModel, table=True):
    __tablename__ = "drop"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=4096)
    media: str = Field(default="none", max_length=8)
    source: str | None = Field(default=None, max_length=1024)
    #: JSON: [[kind, target], ...]
    buttons: str = Field(default="[]", max_length=1000)
    audience: str = Field(max_length=1000)
    paid: bool = False
    status: str = Field(default="draft", max_length=12)
    reason: str | None = Field(default=None, max_length=500)
    #: JSON: {"chat id": message id} of the merchant's progress messages.
    progress: str = Field(default="{}", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    started_at: datetime | None = Field(default=None, sa_column=_when())
    finished_at: datetime | None = Field(default=None, sa_column=_when())
    #: Without Redis: the process sending the drop (``take_runner``) and until when its lease
    #: lasts; one process sends drops at a time.
    runner: str | None = Field(default=None, max_length=64)
    runner_until: datetime | None = Field(default=None, sa_column=_when())


class DropDeliveryRow(SQLModel, table=True):
    __tablename__ = "drop_delivery"
    __table_args__ = (
        UniqueConstraint("drop_id", "chat_id", name="uq_drop_delivery_chat"),
        Index("ix_drop_delivery_due", "drop_id", "status", "next_at"),
        Index("ix_drop_delivery_chat_sent", "chat_id", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    drop_id: int = Field(
        sa_column=Column(ForeignKey("drop.id", ondelete="CASCADE"), nullable=False)
    )
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    next_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    #: While ``sending``: when the attempt's lease runs out.
    lease_until: datetime | None = Field(default=None, sa_column=_when())
    error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = Field(default=None, sa_column=_when())
