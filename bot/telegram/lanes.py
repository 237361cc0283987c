"""Fair dispatch of updates: one chat's updates in order, different chats side by side.

Polling and webhook mode both hand every update to one ``ChatLanes``:

- an update waits in its chat's lane (keyed by ``lane_key``), so one chat's updates are handled
  one at a time, in the order they arrived (a cart edit never overtakes the press before it);
- a fixed number of workers take the lanes round robin: a lane that has more waiting goes to the
  back of the line after each update, so a chat with a thousand queued updates holds one worker
  at most and a quiet chat waits for one turn of the round, never for the flood.

``submit`` returns a future that resolves when the update was handled (or with its exception),
which is what the webhook answers on and what the polling inbox marks done on. Given an
``order`` (the ``update_id``), an item that arrives late overtakes the lane's waiting items
with a higher one: webhook requests on parallel connections may reach the server out of order,
and the lane still handles them in Telegram's order (an item already being handled is never
overtaken).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Workers by default: enough to overlap Telegram round trips and database waits, few enough
#: that SQLite's single writer is not fought over by dozens of transactions at once.
DEFAULT_WORKERS = 16


def lane_key(update: dict[str, Any]) -> Hashable:
    """The chat an update belongs to (its lane); a person for queries outside any chat; the
    update itself when it names neither (it then waits for nobody)."""
    body = next((v for k, v in update.items() if k != "update_id"), None)
    if isinstance(body, dict):
        message = body.get("message") if "data" in body or "game_short_name" in body else body
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return ("chat", chat["id"])
        sender = body.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            # An inline query, a pre-checkout or shipping query, a press on an inline message:
            # the person's private chat is where their other updates queue.
            return ("chat", sender["id"])
    return ("update", update.get("update_id"))


#: The update types the shop asks Telegram for (``runner.ALLOWED_UPDATES``, which a test keeps
#: equal; not imported, as the polling runner imports this module).
UPDATE_KINDS = frozenset(
    {
        "message",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "inline_query",
        "chosen_inline_result",
    }
)


def update_kind(update: dict[str, Any]) -> str:
    """The update's type (``message``, ``callback_query``...), for metrics; ``other`` for a
    type the shop does not ask for (so the label's values stay few)."""
    for key in update:
        if key != "update_id":
            return key if key in UPDATE_KINDS else "other"
    return "other"


class _Entry(Generic[T]):
    __slots__ = ("done", "item", "order")

    def __init__(self, item: T, done: asyncio.Future[None], order: int | None) -> None:
        self.item = item
        self.done = done
        self.order = order


class ChatLanes(Generic[T]):
    """Per-key FIFO lanes served round robin by ``workers`` tasks."""

    def __init__(
        self,
        handle: Callable[[T], Awaitable[None]],
        *,
        workers: int = DEFAULT_WORKERS,
        name: str = "lanes",
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._handle = handle
        self._workers_wanted = workers
        self._name = name
        self._lanes: dict[Hashable, deque[_Entry[T]]] = {}
        #: Lanes a worker is on (their first item is being handled).
        self._busy: set[Hashable] = set()
        #: Keys with waiting items and no worker on them, in turn order.
        self._ready: asyncio.Queue[Hashable] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._queued = 0
        self._running = 0
        self._idle: asyncio.Event | None = None
        self._closed = False

    # -- submitting -------------------------------------------------------------------------

    def submit(self, key: Hashable, item: T, order: int | None = None) -> asyncio.Future[None]:
        """Queue ``item`` in lane ``key`` (before the waiting items of a higher ``order``); the
        future resolves once it was handled."""
        if self._closed:
            raise RuntimeError(f"{self._name} is closed")
        self._start()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        entry = _Entry(item, done, order)
        lane = self._lanes.get(key)
        if lane is None:
            # A new lane (no worker on this key, nothing waiting): it joins the line.
            self._lanes[key] = deque([entry])
            assert self._ready is not None
            self._ready.put_nowait(key)
        else:
            # Waiting in line or being worked on: the item waits behind the lane's others
            # (of a lower order, when orders are given).
            at = len(lane)
            first = 1 if key in self._busy else 0
            if order is not None:
                while at > first and (ahead := lane[at - 1].order) is not None and ahead > order:
                    at -= 1
            lane.insert(at, entry)
        self._queued += 1
        assert self._idle is not None
        self._idle.clear()
        return done

    @property
    def waiting(self) -> int:
        """Items queued and not yet started."""
        return self._queued

    @property
    def in_flight(self) -> int:
        """Items being handled now."""
        return self._running

    def waiting_in(self, key: Hashable) -> int:
        """Items of one lane queued or being handled."""
        lane = self._lanes.get(key)
        return len(lane) if lane is not None else 0

    # -- stopping ---------------------------------------------------------------------------

    async def join(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted was handled; False if ``timeout`` ran out first."""
        if self._idle is None or (self._queued == 0 and self._running == 0):
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self) -> list[T]:
        """Stop the workers; every item not finished (queued, or being handled and cancelled
        now) is returned, its future cancelled. Call ``join`` first to let them finish."""
        self._closed = True
        left: list[T] = []
        for lane in self._lanes.values():
            for entry in lane:
                if not entry.done.done():
                    left.append(entry.item)
                    entry.done.cancel()
        self._lanes.clear()
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()
        return left

    # -- the workers ------------------------------------------------------------------------

    def _start(self) -> None:
        if self._workers:
            return
        self._ready = asyncio.Queue()
        self._idle = asyncio.Event()
        self._idle.set()
        self._workers = [
            asyncio.create_task(self._work(), name=f"{self._name}-{n}")
            for n in range(self._workers_wanted)
        ]

    async def _work(self) -> None:
        ready = self._ready
        assert ready is not None
        while True:
            key = await ready.get()
            lane = self._lanes.get(key)
            if not lane:
                continue
            item, done = lane[0].item, lane[0].done
            self._queued -= 1
            self._running += 1
            self._busy.add(key)
            try:
                if not done.cancelled():
                    try:
                        await self._handle(item)
                    except asyncio.CancelledError:
                        if not done.done():
                            done.cancel()
                        raise
                    except BaseException as exc:  # handed to whoever waits on the future
                        if not done.done():
                            done.set_exception(exc)
                    else:
                        if not done.done():
                            done.set_result(None)
            finally:
                self._running -= 1
                self._busy.discard(key)
                lane.popleft()
                if lane:
                    ready.put_nowait(key)  # the back of the line: the others go first
                else:
                    del self._lanes[key]
                if self._queued == 0 and self._running == 0 and self._idle is not None:
                    self._idle.set()
