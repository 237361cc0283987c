"""The port for drops: the drop, its outbox of deliveries (one per chat), and who said /stop.

A delivery is claimed for one attempt with a lease (a conditional UPDATE), so several senders
(processes) never send the same row; rows whose lease lapsed while ``sending`` were in flight
when a sender died and become ``unconfirmed`` instead of being sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.domain.drops import Audience, DeliveryStatus, DropContent, DropStatus, Progress


@dataclass(frozen=True, slots=True)
class Drop:
    id: int
    content: DropContent
    audience: Audience
    status: DropStatus
    created_at: datetime
    #: ``allow_paid_broadcast``: up to 1,000 messages a second, paid in Stars by the merchant.
    paid: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reason: str | None = None
    #: The merchant's progress messages: chat id -> message id.
    progress_messages: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    drop_id: int
    chat_id: int
    attempts: int


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivery_id: int
    status: DeliveryStatus
    #: When to try again (status PENDING), with the attempt counted or not (a 429 is not).
    next_at: datetime | None = None
    counted: bool = True
    error: str | None = None


class Pacer(Protocol):
    """Telegram's broadcast limits as send slots: in one process (``Pace``) or shared by every
    process on one Redis."""

    async def slot(self, chat_id: int) -> float:
        """Seconds to wait before sending into ``chat_id`` (the slot is reserved)."""
        ...


class DropRepository(Protocol):
    async def create(
        self, content: DropContent, audience: Audience, paid: bool, now: datetime
    ) -> int: ...
    async def get(self, drop_id: int) -> Drop | None: ...
    async def recent(self, limit: int) -> list[Drop]: ...
    async def recipients(self, audience: Audience, now: datetime) -> list[int]:
        """The chats in the audience now (buyers who did not /stop or block the bot)."""
        ...

    async def fan_out(
        self,
        drop_id: int,
        audience: Audience,
        per_day: int,
        now: datetime,
        plan: Mapping[int, tuple[DeliveryStatus, datetime]] | None = None,
    ) -> int:
        """One pending delivery per recipient (idempotent); recipients who already had
        ``per_day`` drops in the last 24 hours get a ``capped`` row; ``plan`` gives others
        their status and time (opted out; held until quiet hours end). How many rows."""
        ...

    async def held_due(self, now: datetime) -> list[int]:
        """Drops with rows held by quiet hours that have ended."""
        ...

    async def release_held(self, drop_id: int, now: datetime, relevant: bool) -> int:
        """The drop's held rows whose quiet hours ended: pending again (``relevant``) or
        stale (skipped). How many (a conditional write: each row moves once)."""
        ...

    async def reopen(self, drop_id: int) -> bool:
        """A finished drop sends again (rows released from quiet hours)."""
        ...

    async def audience_size(self, audience: Audience, now: datetime) -> int:
        """How many chats ``fan_out`` would write a row for now (a confirmation's figure)."""
        ...

    async def start(self, drop_id: int, now: datetime) -> bool: ...
    async def sending(self) -> list[int]: ...
    async def claim(
        self, drop_id: int, now: datetime, limit: int, lease_until: datetime
    ) -> list[Delivery]: ...
    async def lapse(self, drop_id: int, now: datetime) -> int:
        """Leases that ran out while ``sending`` (the sender died): unconfirmed, not resent."""
        ...

    async def renew(self, delivery_ids: list[int], lease_until: datetime) -> None:
        """A live sender extends the leases of the rows it is still sending."""
        ...

    async def record(self, results: list[DeliveryResult], now: datetime) -> None: ...
    async def progress(self, drop_id: int) -> Progress: ...
    async def finish(
        self, drop_id: int, status: DropStatus, now: datetime, reason: str | None = None
    ) -> bool: ...
    async def set_source(self, drop_id: int, file_id: str) -> None:
        """Telegram's file_id for the drop's media, reused for every later recipient."""
        ...

    async def set_progress_message(self, drop_id: int, chat_id: int, message_id: int) -> None: ...
    async def stop_drops(self, user_id: int, stop: bool) -> None:
        """/stop (True) and /start again (False)."""
        ...

    async def mark_blocked(self, chat_ids: list[int]) -> None:
        """403: the person blocked the bot (or it left the group): no more drops there."""
        ...

    async def take_runner(self, drop_id: int, runner: str, now: datetime, until: datetime) -> bool:
        """The drop's runner lease, for ``runner`` until ``until``: taken (or renewed) only if
        no other runner holds a live lease on this or any other drop (one process sends drops
        at a time when processes share no pace)."""
        ...

    async def release_runner(self, drop_id: int, runner: str) -> None: ...
