"""The sandbox session's waiting and showing: after each update the person causes, wait until
the bot has finished with it (or a timeout), then print what changed; between updates, print
what arrives on its own. ``Session`` (``bot/sandbox/session.py``) builds on this with what the
person types.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from typing import TypeVar

from bot.sandbox.console import Console
from bot.sandbox.media import MediaFolder
from bot.sandbox.people import People, Person
from bot.sandbox.shop import SandboxShop
from bot.standin import RecordedCall
from bot.standin.json_types import JsonObject

T = TypeVar("T")

#: How long one update may take before the prompt comes back anyway (a bug must not hang us).
UPDATE_TIMEOUT = 15.0
#: How often to look for changes that arrive late, while the person is typing.
WATCH_INTERVAL = 0.25
#: ``:wait`` is over once the bot has made no call for this long.
QUIET_SECONDS = 0.4


class Settling:
    """The demo people's chats with the bot, and the waiting until an update is settled."""

    def __init__(
        self,
        shop: SandboxShop,
        console: Console,
        stop: asyncio.Event,
        language: str,
        media: MediaFolder,
    ) -> None:
        self.shop = shop
        self.console = console
        self.stop = stop
        self.media = media
        self.people = People.create(shop.standin, language, media)
        console.who = self.person.key
        self._done: dict[int, asyncio.Event] = {}
        shop.app.storefront.on_update_done.append(self._update_done)
        shop.on_dropped.append(self._dropped)
        #: True while an update is in flight: its changes are shown when it is done, not before.
        self._busy = False
        #: How many of the stand-in's rule violations were shown.
        self._violations = len(shop.standin.violations)

    @property
    def person(self) -> Person:
        return self.people.current

    async def _bounded(self, awaitable: Awaitable[None], deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(awaitable, left)

    async def _quiet(self, limit: float) -> None:
        """Return once no Bot API call came for ``QUIET_SECONDS`` (or after ``limit``)."""
        end = time.monotonic() + limit
        calls = self.shop.standin.calls
        count, since = len(calls), time.monotonic()
        while time.monotonic() < end:
            await asyncio.sleep(0.05)
            now_count = len(self.shop.standin.calls)
            if _busy_calls(self.shop.standin.calls[count:now_count]):
                since = time.monotonic()
            count = now_count
            if time.monotonic() - since >= QUIET_SECONDS:
                return

    async def _settle(self, update: JsonObject, *, blank: bool = True) -> None:
        """Wait until the bot is done with ``update`` (or the timeout), then show the changes
        (and a blank line after them, unless more is to come)."""
        update_id = int(str(update["update_id"]))
        busy, self._busy = self._busy, True
        try:
            finished = self._done.setdefault(update_id, asyncio.Event())
            done = await self._unless_stopped(finished.wait(), timeout=UPDATE_TIMEOUT)
            self._done.pop(update_id, None)
            if done is None and not self.stop.is_set():
                self.console.say(
                    f"! The bot has not finished after {UPDATE_TIMEOUT:g} s; "
                    "here is what it did so far."
                )
            self._show_changes(blank=False)
        finally:
            self._busy = busy
        if blank:
            self.console.say("")

    def _show_changes(self, *, blank: bool = True) -> None:
        """The current person's new lines in full, a count for each of the others, and any
        Bot API rule the bot broke."""
        violations = self.shop.standin.violations[self._violations :]
        self._violations += len(violations)
        items = [*self.person.feed.drain_items(), *self.people.group.feed.drain_items()]
        items.sort(key=lambda item: (item[0], item[1]))
        lines = [
            *(line for _, _, chunk in items for line in chunk),
            *self.people.notifications(),
            *(f"! the stand-in says the bot broke a Bot API rule: {v}" for v in violations),
        ]
        if lines:
            self.console.show([*lines, ""] if blank else lines)

    def _update_done(self, update_id: int) -> None:
        self._done.setdefault(update_id, asyncio.Event()).set()

    def _dropped(self, update_id: int) -> None:
        """The flood gate dropped an update, as it would in production: say so, and stop
        waiting for replies that will not come."""
        self.console.say(
            "\u00bb The shop's flood gate dropped that: more than FLOOD_RATE updates from one "
            "chat within FLOOD_WINDOW_SECONDS (FLOOD_RATE=0 turns it off)."
        )
        self._update_done(update_id)

    async def _watch(self) -> None:
        """Show what arrives between updates (a drop, a notice, a timed-out update finishing)."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            if not self._busy:
                self._show_changes()

    async def _unless_stopped(
        self, awaitable: Awaitable[T], timeout: float | None = None
    ) -> T | None:
        """``awaitable``'s result, or None when Ctrl-C (or the timeout) comes first."""
        task = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            done, _ = await asyncio.wait(
                {task, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopper.cancel()
        if task in done:
            return task.result()
        task.cancel()
        return None


def _busy_calls(calls: list[RecordedCall]) -> bool:
    """Whether any of ``calls`` is the bot doing something (a long poll is just waiting)."""
    return any(call.method != "getUpdates" for call in calls)
