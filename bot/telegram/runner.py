"""Long polling through the inbox, on either framework (``BOT_FRAMEWORK``).

``PollingBot`` is what ``storefront run``, ``storefront sandbox``, the end-to-end tests and the
benchmarks all use, so the path they exercise is the production path. It does not use the
frameworks' own polling loops (they confirm an update to Telegram before it was handled): it
calls ``getUpdates`` itself (``bot.telegram.update_fetcher``), stores each batch in the inbox,
and only then confirms it with the next call; the updates are handled from the inbox
(``bot.telegram.inbox``, whose docstring says what a crash leaves and what a restart does),
each fed to the framework as the webhook server feeds it.

Stopping is in two steps, so that the caller can stop its background work in between:
``finish`` stops fetching (the long poll is cancelled; nothing is fetched after), lets the
updates fetched finish and deliver their replies (at most ``DRAIN_SECONDS``) and marks them
done; ``stop`` then closes the Telegram session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from bot.conversation.storefront import Storefront
from bot.services.ports import StorageUnavailable
from bot.telegram.framework_bots import ALLOWED_UPDATES, Framework, make_framework_bot
from bot.telegram.inbox import Admit, Inbox
from bot.telegram.lanes import DEFAULT_WORKERS
from bot.telegram.metrics import ShopMetrics
from bot.telegram.sending import BotApiSender
from bot.telegram.update_fetcher import FetchFailed, UpdateFetcher, backoff

__all__ = ["ALLOWED_UPDATES", "DRAIN_SECONDS", "Framework", "PollingBot", "make_polling"]

log = logging.getLogger(__name__)

#: How long a stop waits for the updates fetched to finish (as webhook mode does).
DRAIN_SECONDS = 25.0
#: Fetching pauses while this many updates wait in the inbox's lanes (they are stored, so
#: nothing is lost; Telegram keeps the rest), and resumes below ``_RESUME_BELOW``.
_HIGH_WATER = 200
_RESUME_BELOW = 100


class PollingBot(Protocol):
    framework: Framework

    async def start(self) -> None: ...
    async def finish(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Stop fetching; let what was fetched finish and deliver its replies. Whether all
        of it did (what did not stays in the inbox for the next start)."""
        ...

    async def stop(self) -> None:
        """``finish`` (if not done yet), then close the Telegram session."""
        ...

    def sender(self) -> BotApiSender:
        """The bot's Bot API calls, for messages and refunds outside an update."""
        ...


class InboxPolling:
    def __init__(
        self,
        framework: Framework,
        storefront: Storefront,
        token: str,
        api_base: str,
        poll_timeout: int = 30,
        *,
        admit: Admit | None = None,
        metrics: ShopMetrics | None = None,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.bot = make_framework_bot(framework, storefront, token, api_base)
        self.framework: Framework = framework
        # As in webhook mode: an update that met an unreachable database stays in the inbox
        # and is tried again (raised, not apologised for), and its replies commit with it.
        storefront.redelivered = True
        storefront.inbox = True
        self.inbox = Inbox(
            storefront,
            self.bot.process,
            self.bot.sender,
            admit=admit,
            metrics=metrics,
            workers=workers,
        )
        self.fetcher = UpdateFetcher(token, api_base, ALLOWED_UPDATES, poll_timeout)
        self._task: asyncio.Task[None] | None = None
        self._fetch: asyncio.Future[list[dict[str, object]]] | None = None
        self._stopping = asyncio.Event()
        self._finished: bool | None = None

    def sender(self) -> BotApiSender:
        return self.bot.sender()

    async def start(self) -> None:
        await self.bot.start()
        await self.bot.delete_webhook()  # getUpdates is refused while a webhook is set
        await self.inbox.resume()
        self._task = asyncio.create_task(self._poll(), name="inbox-poll")
        log.info("long polling through the inbox on %s", self.framework)

    async def _poll(self) -> None:
        # No offset at first: Telegram sends what it has not had confirmed; what of it was
        # stored already (the last process died before confirming) is recognised as such.
        offset: int | None = None
        failures = 0
        while not self._stopping.is_set():
            if self.inbox.backlog >= _HIGH_WATER:
                while self.inbox.backlog >= _RESUME_BELOW and not self._stopping.is_set():
                    await self._pause(0.05)
                continue
            self._fetch = asyncio.ensure_future(self.fetcher.fetch(offset))
            try:
                updates = await self._fetch
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except FetchFailed as exc:
                failures += 1
                delay = backoff(failures, exc)
                level = logging.ERROR if exc.status in (401, 404, 409) else logging.WARNING
                if failures == 1 or failures % 10 == 0:
                    log.log(level, "%s; asking again in %.1f s", exc, delay)
                await self._pause(delay)
                continue
            finally:
                self._fetch = None
            failures = 0
            if not updates:
                continue
            stored = await self._store(updates)
            if stored is None:  # stopping before they could be stored: Telegram keeps them
                return
            if stored:
                offset = stored[-1] + 1

    async def _store(self, updates: list[dict[str, object]]) -> list[int] | None:
        """Store a batch, trying again while the database is out; None if a stop came first."""
        failures = 0
        while True:
            try:
                return await self.inbox.accept(updates)
            except StorageUnavailable as exc:
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    log.warning(
                        "%d update(s) not stored, the database is unreachable; Telegram keeps "
                        "them until they are: %s",
                        len(updates),
                        exc,
                    )
            except Exception:
                failures += 1
                log.exception("%d update(s) could not be stored; trying again", len(updates))
            if self._stopping.is_set():
                return None
            await self._pause(backoff(failures))

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up for a stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def finish(self, timeout: float = DRAIN_SECONDS) -> bool:
        if self._finished is not None:
            return self._finished
        self._stopping.set()
        if self._fetch is not None:
            self._fetch.cancel()  # the long poll: nothing is fetched after this
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.fetcher.close()
        self._finished = await self.inbox.drain(timeout)
        return self._finished

    async def stop(self) -> None:
        await self.finish()
        await self.bot.stop()


def make_polling(
    framework: Framework,
    storefront: Storefront,
    token: str,
    api_base: str,
    poll_timeout: int = 30,
    *,
    admit: Admit | None = None,
    metrics: ShopMetrics | None = None,
) -> PollingBot:
    if framework not in ("aiogram", "ptb"):
        raise ValueError(f"BOT_FRAMEWORK must be 'aiogram' or 'ptb', not {framework!r}")
    return InboxPolling(
        framework, storefront, token, api_base, poll_timeout, admit=admit, metrics=metrics
    )
