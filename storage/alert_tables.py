"""Tables for the alerts a buyer controls: their choices, and the marketing messages each got
on each local day (the daily cap, counted in the database so every process agrees)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class AlertPrefsRow(SQLModel, table=True):
    __tablename__ = "alert_prefs"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    #: Comma-separated: the kinds turned off (``drops,flash``) and the categories' ids.
    kinds_off: str = Field(default="", max_length=200)
    categories_off: str = Field(default="", max_length=2000)
    #: The buyer's own daily cap (None: the merchant's).
    cap: int | None = None
    #: An IANA zone or ``UTC+08:00`` (None: guessed from the language).
    zone: str | None = Field(default=None, max_length=64)
    #: Quiet hours, minutes after local midnight; both None with ``quiet_off``: turned off.
    quiet_start: int | None = None
    quiet_end: int | None = None
    quiet_off: bool = False


class AlertCountRow(SQLModel, table=True):
    """Marketing messages a buyer was sent on one of their local days (``YYYY-MM-DD``)."""

    __tablename__ = "alert_count"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    day: str = Field(primary_key=True, max_length=10)
    sent: int = 0
