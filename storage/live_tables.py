"""Live selling: the product card a merchant keeps pinned in a group or channel during a
stream, one row per chat while the show is on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from storage.table_base import _ts, utcnow


class LiveShowRow(SQLModel, table=True):
    __tablename__ = "live_show"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    #: The pinned card: edited in place when the featured product changes.
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    product_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    started_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
