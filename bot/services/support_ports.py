"""The port for buyers' conversations with the shop: threads, their messages, and which
staff-chat message stands for which thread (so a staff member's reply finds its thread in any
process)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.support import Author, ThreadStatus, Topic


@dataclass(frozen=True, slots=True)
class SupportThread:
    id: int
    buyer_id: int
    topic: Topic
    #: The product's name when the thread began (products get renamed; "" for other topics).
    subject: str
    status: ThreadStatus
    created_at: datetime
    updated_at: datetime
    #: The buyer's first message the staff have not answered yet (None: nothing waits).
    waiting_since: datetime | None = None
    reminded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SupportMessage:
    id: int
    thread_id: int
    author: Author
    author_id: int
    text: str
    photo_file_id: str | None
    created_at: datetime


class SupportRepository(Protocol):
    async def thread(self, thread_id: int) -> SupportThread | None: ...
    async def latest_thread(self, buyer_id: int, topic: Topic) -> SupportThread | None:
        """The buyer's newest thread about ``topic``, open or closed."""
        ...

    async def open_thread(
        self, buyer_id: int, topic: Topic, subject: str, now: datetime
    ) -> SupportThread: ...
    async def add_message(
        self,
        thread_id: int,
        author: Author,
        author_id: int,
        text: str,
        photo_file_id: str | None,
        now: datetime,
    ) -> SupportMessage:
        """Store a message; a buyer's reopens a closed thread and makes it wait (if it was not
        already), a staff member's answers it (nothing waits, no reminder pending)."""
        ...

    async def message(self, message_id: int) -> SupportMessage | None: ...
    async def messages(self, thread_id: int, limit: int) -> list[SupportMessage]:
        """The thread's newest ``limit`` messages, oldest first."""
        ...

    async def close(self, thread_id: int, now: datetime) -> bool:
        """Close an open thread; False if it was closed already (or is gone)."""
        ...

    async def buyer_threads(self, buyer_id: int, limit: int) -> list[SupportThread]:
        """The buyer's threads, open ones first, newest first."""
        ...

    async def open_threads(self, limit: int) -> list[SupportThread]:
        """Open threads for the staff: the waiting ones first (longest waiting first), then
        the rest by their last activity."""
        ...

    async def remember_post(self, chat_id: int, message_id: int, thread_id: int) -> None:
        """``message_id`` in the staff chat ``chat_id`` stands for the thread (its replies go
        there)."""
        ...

    async def thread_of_post(self, chat_id: int, message_id: int) -> int | None: ...
    async def claim_reminders(self, now: datetime, every: timedelta, limit: int) -> list[int]:
        """Threads waiting for ``every`` that were not reminded of in the last ``every``,
        each marked reminded by a conditional write (one process reminds of each)."""
        ...

    async def export(self, buyer_id: int) -> list[dict[str, object]]:
        """The buyer's threads with their messages, for ``/mydata``."""
        ...

    async def erase(self, buyer_id: int, marker: int) -> dict[str, int]:
        """``/deleteme``: the buyer's threads get the anonymous ``marker`` and are closed; the
        texts and photos of their messages are erased."""
        ...
