"""The polling inbox: every update fetched by long polling, stored before Telegram is told.

A row is written when the update arrives (``received_at``), before ``getUpdates`` confirms it;
``handled_at`` and ``replies`` are written in the update's own transaction when that
transaction commits (its replies, so a process that dies before sending them sends them at its
next start); ``done_at`` once its replies went out (or it was dropped, or could never be
handled: ``error``). Done rows are pruned after a day by the housekeeping job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class InboxUpdateRow(SQLModel, table=True):
    __tablename__ = "inbox_update"
    __table_args__ = (Index("ix_inbox_update_done_at", "done_at"),)

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    #: The update exactly as Telegram sent it (JSON).
    payload: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    #: The update's transaction committed (with its replies below).
    handled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    #: Its replies (``bot.conversation.reply_codec``), kept until they were delivered.
    replies: str | None = Field(default=None, sa_column=Column(Text))
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    #: Attempts that failed (the database out, or an error).
    attempts: int = Field(default=0)
    error: str | None = Field(default=None, max_length=500)
