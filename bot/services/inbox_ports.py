"""The polling inbox's port: updates stored before Telegram is told they arrived.

Long polling confirms an update to Telegram with the next ``getUpdates``; the bot stores each
update first (``store``), so a process that dies never loses one. An update is then handled from
its row; the row records that its transaction committed together with its replies
(``handled``, in that transaction), and is closed once the replies reached Telegram (``done``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """An update not done yet, as stored."""

    update_id: int
    #: The update as Telegram sent it (JSON text).
    payload: str
    #: Attempts that failed so far.
    attempts: int
    #: Its replies (``bot.conversation.reply_codec``) when its transaction committed and they
    #: may not have been delivered; None when it was not handled yet.
    replies: str | None


@dataclass(frozen=True, slots=True)
class InboxDone:
    """How an update ended: delivered (no error), dropped, or given up on (``error``)."""

    update_id: int
    error: str | None = None
    attempts: int | None = None


class UpdateInbox(Protocol):
    async def store(self, updates: Sequence[tuple[int, str]], now: datetime) -> list[int]:
        """Store (update_id, JSON) pairs; the ids that were new (an update stored before, by an
        earlier fetch or process, is left as it is)."""
        ...

    async def pending(self, limit: int, *, after: int | None = None) -> list[InboxEntry]:
        """Updates not done, oldest ``update_id`` first (those after ``after``)."""
        ...

    async def handled(self, update_id: int, replies: str, now: datetime) -> None:
        """In the update's own transaction: it committed, and these are its replies."""
        ...

    async def done(self, outcomes: Sequence[InboxDone], now: datetime) -> None: ...
    async def failed(self, update_id: int, error: str) -> None:
        """One more failed attempt (the update stays to be tried again)."""
        ...

    async def forget_done_before(self, cutoff: datetime) -> int:
        """Delete rows done before ``cutoff``; how many."""
        ...
