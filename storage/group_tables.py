"""Tables for group buys: deals, teams, seats, leaders and the commission ledger.

The team row is the truth about a team: its ``deadline`` is what every process's scheduler
looks at, its ``status`` changes once (open -> filled or expired) by a conditional UPDATE, and
``taken``/``paid`` count seats under ``CHECK`` constraints, so the database itself refuses a
seat beyond the team's size.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.table_base import _minor, _ts, _when, utcnow


class GroupDealRow(SQLModel, table=True):
    __tablename__ = "group_deal"

    variant_id: int = Field(
        sa_column=Column(
            ForeignKey("variant.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
        )
    )
    price_minor: int = Field(sa_column=_minor())
    currency: str = Field(max_length=3)
    team_size: int
    limit_minutes: int
    max_teams: int | None = None
    commission_percent: int = 0
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class TeamRow(SQLModel, table=True):
    __tablename__ = "team"
    __table_args__ = (
        Index("ix_team_status_deadline", "status", "deadline"),
        Index("ix_team_leader", "leader_id", "id"),
        Index("ix_team_board", "board_dirty", "board_chat_id"),
        CheckConstraint("taken >= 0 AND taken <= size", name="seats_taken"),
        CheckConstraint("paid >= 0 AND paid <= taken", name="seats_paid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    variant_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    product_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    leader_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default="open", max_length=16)
    size: int
    taken: int = 0
    paid: int = 0
    currency: str = Field(max_length=3)
    price_minor: int = Field(sa_column=_minor())
    regular_minor: int = Field(sa_column=_minor())
    commission_percent: int = 0
    name: str = Field(default="", max_length=260)
    deadline: datetime = Field(sa_column=_ts())
    pickup_name: str | None = Field(default=None, max_length=128)
    pickup_address: str | None = Field(default=None, max_length=256)
    pickup_hours: int | None = None
    board_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    board_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    board_edited_at: datetime | None = Field(default=None, sa_column=_when())
    #: Set when seats or the status changed: the progress message needs an edit.
    board_dirty: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    settled_at: datetime | None = Field(default=None, sa_column=_when())


class TeamSeatRow(SQLModel, table=True):
    """One seat per person and team (the unique key), held or paid by one order."""

    __tablename__ = "team_seat"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_team_seat_member"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(
        sa_column=Column(ForeignKey("team.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    order_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    status: str = Field(default="held", max_length=8)
    number: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class LeaderRow(SQLModel, table=True):
    """People the merchant made group-buy leaders, with their pickup point if they have one."""

    __tablename__ = "leader"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    pickup_name: str | None = Field(default=None, max_length=128)
    pickup_address: str | None = Field(default=None, max_length=256)
    pickup_hours: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class CommissionRow(SQLModel, table=True):
    """The leaders' ledger: earned when a team fills, reversed (negative) by a refund."""

    __tablename__ = "commission"
    __table_args__ = (Index("ix_commission_leader", "leader_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    leader_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    team_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    order_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    amount_minor: int = Field(sa_column=_minor())
    currency: str = Field(max_length=3)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
