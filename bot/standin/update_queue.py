"""Pending updates with getUpdates' documented semantics.

* An update stays pending until confirmed: ``getUpdates`` called with an ``offset`` higher than
  its ``update_id`` (or a successful webhook delivery) confirms it; a call without an offset
  returns the same updates again.
* A negative offset keeps only the last ``-offset`` updates and forgets the rest.
* Long polling answers as soon as something arrives, or with ``[]`` after ``timeout`` seconds;
  a second poller terminates the first with 409, as Telegram does when two instances run.
* ``allowed_updates`` is remembered when omitted; its empty list means "everything except
  chat_member, message_reaction and message_reaction_count". Updates of other types are dropped
  when they reach the head of the queue, which keeps tests deterministic.

An update pushed with an explicit ``update_id`` at or below the confirmed mark is a simulated
redelivery (what Telegram does after a bot crashed before confirming): it is delivered once
before the offset can confirm it again, so idempotency tests can replay an ``update_id``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from bot.standin.errors import POLL_CONFLICT, ApiError

DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(slots=True)
class _Pending:
    update: dict[str, object]
    update_id: int
    redelivery: bool = False


def update_type(update: dict[str, object]) -> str:
    """The kind of an update: its one key besides ``update_id``."""
    for key in update:
        if key != "update_id":
            return key
    return ""


class UpdateQueue:
    """The updates waiting for the bot, shared by long polling and webhook delivery."""

    def __init__(self, first_update_id: int = 1) -> None:
        self._pending: deque[_Pending] = deque()
        self._next_id = first_update_id
        self._redeliveries = 0
        self.confirmed = first_update_id - 1
        self._allowed: frozenset[str] | None = None
        self._wakeups: set[asyncio.Future[None]] = set()
        self._poller: asyncio.Future[None] | None = None
        self._confirm_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.pushed = 0
        self.closing = False

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def last_id(self) -> int:
        """The highest ``update_id`` pushed so far (0 before the first)."""
        return self._next_id - 1

    @property
    def allowed_updates(self) -> list[str] | None:
        """The remembered filter (None = Telegram's default)."""
        return sorted(self._allowed) if self._allowed is not None else None

    def set_allowed(self, allowed: object) -> None:
        """Remember a new ``allowed_updates`` value (ignored when not a list)."""
        if isinstance(allowed, list):
            self._allowed = frozenset(str(item) for item in allowed) if allowed else None

    def is_allowed(self, kind: str) -> bool:
        """Whether the current filter lets an update of this type through."""
        if self._allowed is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self._allowed

    def push(self, update: dict[str, object]) -> dict[str, object]:
        """Queue an update; assign the next ``update_id`` unless the dict carries one."""
        given = update.get("update_id")
        redelivery = False
        if isinstance(given, int) and not isinstance(given, bool):
            update_id = given
            redelivery = update_id <= self.confirmed
        else:
            update_id = self._next_id
            update = {"update_id": update_id, **update}
        self._next_id = max(self._next_id, update_id + 1)
        self._pending.append(_Pending(update, update_id, redelivery))
        self._redeliveries += redelivery
        self.pushed += 1
        self._wake()
        return update

    def drop_all(self) -> None:
        """Forget every pending update (``drop_pending_updates``)."""
        if self._pending:
            self._mark_confirmed(max(item.update_id for item in self._pending))
        self._pending.clear()
        self._redeliveries = 0

    def confirm_offset(self, offset: int) -> None:
        """Apply getUpdates' ``offset``: forget what it confirms (see module docstring)."""
        if offset < 0:
            keep = -offset
            while len(self._pending) > keep:
                dropped = self._pending.popleft()
                self._redeliveries -= dropped.redelivery
                self._mark_confirmed(dropped.update_id)
            return
        if offset == 0:
            return
        self._next_id = max(self._next_id, offset)
        if self._redeliveries:
            kept = deque(
                item for item in self._pending if item.update_id >= offset or item.redelivery
            )
            self._pending = kept
        else:
            while self._pending and self._pending[0].update_id < offset:
                self._pending.popleft()
        self._mark_confirmed(offset - 1)

    def take(self, limit: int) -> list[dict[str, object]]:
        """Up to ``limit`` deliverable updates from the head, without removing them."""
        result: list[dict[str, object]] = []
        rejected = False
        for item in self._pending:
            if len(result) >= limit:
                break
            if not self.is_allowed(update_type(item.update)):
                rejected = True
                continue
            if item.redelivery:
                item.redelivery = False
                self._redeliveries -= 1
            result.append(item.update)
        if rejected:
            self._drop_rejected()
        return result

    def head(self) -> dict[str, object] | None:
        """The next deliverable update for the webhook, or None."""
        batch = self.take(1)
        return batch[0] if batch else None

    def acknowledge(self, update: dict[str, object]) -> None:
        """A webhook accepted ``update``: remove it and count it as confirmed."""
        for index, item in enumerate(self._pending):
            if item.update is update:
                del self._pending[index]
                self._redeliveries -= item.redelivery
                self._mark_confirmed(item.update_id)
                return

    async def get_updates(
        self, offset: int | None, limit: int, timeout: float
    ) -> list[dict[str, object]]:
        """getUpdates: confirm by offset, then answer now or when something arrives."""
        if offset is not None:
            self.confirm_offset(offset)
        if self._poller is not None and not self._poller.done():
            self._poller.set_exception(ApiError(409, POLL_CONFLICT))
            self._poller = None
        batch = self.take(limit)
        if batch or timeout <= 0:
            return batch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not batch and not self.closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            waiter: asyncio.Future[None] = loop.create_future()
            self._poller = waiter
            self._wakeups.add(waiter)
            try:
                # asyncio.wait, unlike wait_for on 3.11, never swallows a cancellation.
                await asyncio.wait({waiter}, timeout=remaining)
                if waiter.done() and not waiter.cancelled():
                    error = waiter.exception()
                    if error is not None:
                        raise error
            finally:
                self._wakeups.discard(waiter)
                if self._poller is waiter:
                    self._poller = None
                if not waiter.done():
                    waiter.cancel()
            batch = self.take(limit)
        return batch

    async def wait_for_push(self, timeout: float | None = None) -> None:
        """Sleep until something is pushed (used by webhook delivery)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._wakeups.add(waiter)
        try:
            await asyncio.wait({waiter}, timeout=timeout)
        finally:
            self._wakeups.discard(waiter)
            if not waiter.done():
                waiter.cancel()

    async def wait_confirmed(self, update_id: int, timeout: float) -> None:
        """Return once every update up to ``update_id`` is confirmed; TimeoutError otherwise."""
        if self.confirmed >= update_id:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirm_waiters.append((update_id, waiter))
        try:
            await asyncio.wait_for(waiter, timeout)
        finally:
            self._confirm_waiters = [w for w in self._confirm_waiters if w[1] is not waiter]

    def wake_all(self) -> None:
        """Wake every waiter so it re-checks the queue."""
        self._wake()

    def close(self) -> None:
        """Server shutdown: answer waiting polls with what is there (usually ``[]``)."""
        self.closing = True
        self._wake()

    def pending_ids(self) -> Iterable[int]:
        """The ids still waiting, in delivery order."""
        return (item.update_id for item in self._pending)

    def _drop_rejected(self) -> None:
        kept: deque[_Pending] = deque()
        for item in self._pending:
            if self.is_allowed(update_type(item.update)):
                kept.append(item)
            else:
                self._redeliveries -= item.redelivery
        self._pending = kept

    def _mark_confirmed(self, update_id: int) -> None:
        if update_id <= self.confirmed:
            return
        self.confirmed = update_id
        if self._confirm_waiters:
            for wanted, waiter in self._confirm_waiters:
                if wanted <= update_id and not waiter.done():
                    waiter.set_result(None)

    def _wake(self) -> None:
        if not self._wakeups:
            return
        for waiter in list(self._wakeups):
            if not waiter.done():
                waiter.set_result(None)
        self._wakeups.clear()
