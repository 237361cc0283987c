"""Webhook mode: POST each pending update to the bot, in order, one at a time.

Telegram keeps an update pending until the webhook answers 2xx, retries after a failure, shows
the last failure in getWebhookInfo, and sends ``X-Telegram-Bot-Api-Secret-Token`` when a secret
was set. A 2xx answer whose JSON body names a ``method`` is executed as a Bot API call (the
"reply in the webhook response" feature aiogram can use).

For tests and benchmarks of several bot processes (none of it is Telegram's own behaviour):
``targets`` sends the deliveries to those URLs instead of the webhook's, as a load balancer in
front of the processes would, without the extra hop; ``fan_out`` says how (``round_robin``: one
target per attempt, so a retry may land on another process; ``all``: every update to every
target at once, delivered only when each answered 2xx; ``in_turn``: to every target one after
the other, the first one taking turns). ``parallel`` lets that many updates be in flight at
once (Telegram does, up to ``max_connections``; then an update may be confirmed before an
older one). ``timings``, when a list, collects ``(update_id, seconds, status)`` per POST.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Literal

import aiohttp

from bot.standin.update_queue import UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_log = logging.getLogger(__name__)

WebhookReply = Callable[[dict[str, object]], Awaitable[None]]


class WebhookDelivery:
    """The background sender that runs while a webhook is set."""

    def __init__(
        self,
        queue: UpdateQueue,
        on_reply: WebhookReply,
        *,
        retry_delay: float = 0.05,
        timeout: float = 10.0,
    ) -> None:
        self._queue = queue
        self._on_reply = on_reply
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.url = ""
        self.secret_token: str | None = None
        self.max_connections = 40
        self.ip_address: str | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.delivered = 0
        self.failures = 0
        self.targets: list[str] = []
        self.fan_out: Literal["round_robin", "all", "in_turn"] = "round_robin"
        self.parallel = 1
        self.timings: list[tuple[int, float, int]] | None = None
        self._turn = 0
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    @property
    def active(self) -> bool:
        """Whether a webhook is set (getUpdates must then answer 409)."""
        return bool(self.url)

    def configure(
        self,
        url: str,
        *,
        secret_token: str | None,
        max_connections: int | None,
        ip_address: str | None,
    ) -> None:
        """setWebhook: remember the target and make sure the sender runs."""
        if url != self.url:
            self.last_error_date = None
            self.last_error_message = None
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections or 40
        self.ip_address = ip_address
        self._closed = False
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        else:
            self._queue.wake_all()

    async def clear(self) -> None:
        """deleteWebhook: stop sending; undelivered updates stay pending for getUpdates."""
        self.url = ""
        self.secret_token = None
        self.last_error_date = None
        self.last_error_message = None
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        """Stop the sender and release its HTTP session (server shutdown)."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    def info(self) -> dict[str, object]:
        """getWebhookInfo's WebhookInfo object."""
        body: dict[str, object] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.url:
            body["max_connections"] = self.max_connections
            if self.ip_address:
                body["ip_address"] = self.ip_address
            allowed = self._queue.allowed_updates
            if allowed is not None:
                body["allowed_updates"] = allowed
        if self.last_error_date is not None:
            body["last_error_date"] = self.last_error_date
            body["last_error_message"] = self.last_error_message or ""
        return body

    async def _run(self) -> None:
        if self.parallel > 1:
            await self._run_parallel()
            return
        while self.url and not self._closed:
            update = self._queue.head()
            if update is None:
                await self._queue.wait_for_push(timeout=1.0)
                continue
            if await self._deliver(update):
                self._queue.acknowledge(update)
                self.delivered += 1
            else:
                self.failures += 1
                await asyncio.sleep(self.retry_delay)

    async def _run_parallel(self) -> None:
        """Up to ``parallel`` (and ``max_connections``) updates in flight, oldest first; a
        failed one is tried again after ``retry_delay`` while the others go on."""
        flying: dict[int, asyncio.Task[None]] = {}

        async def attempt(update: dict[str, object]) -> None:
            while not await self._deliver(update):
                self.failures += 1
                await asyncio.sleep(self.retry_delay)
            self._queue.acknowledge(update)
            self.delivered += 1

        try:
            while self.url and not self._closed:
                for key in [k for k, task in flying.items() if task.done()]:
                    del flying[key]
                limit = max(1, min(self.parallel, self.max_connections))
                for update in self._queue.take(limit + len(flying)):
                    if len(flying) >= limit:
                        break
                    if id(update) not in flying:
                        flying[id(update)] = asyncio.create_task(attempt(update))
                pushed = asyncio.ensure_future(self._queue.wait_for_push(timeout=1.0))
                await asyncio.wait({pushed, *flying.values()}, return_when=asyncio.FIRST_COMPLETED)
                pushed.cancel()
        finally:
            for task in flying.values():
                task.cancel()

    async def _deliver(self, update: dict[str, object]) -> bool:
        """One delivery of ``update`` (to every target, with ``fan_out="all"``/``"in_turn"``)."""
        targets = self.targets
        if not targets:
            return await self._post(self.url, update)
        first = self._turn % len(targets)
        self._turn += 1
        if self.fan_out == "round_robin":
            return await self._post(targets[first], update)
        ordered = targets[first:] + targets[:first]
        if self.fan_out == "all":
            return all(await asyncio.gather(*(self._post(url, update) for url in ordered)))
        answered = [await self._post(url, update) for url in ordered]
        return all(answered)

    async def _post(self, url: str, update: dict[str, object]) -> bool:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers[SECRET_HEADER] = self.secret_token
        started = time.perf_counter()
        status = 0
        try:
            async with self._session.post(
                url,
                data=json.dumps(update, ensure_ascii=False).encode("utf-8"),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                body = await response.read()
                status = response.status
                if not 200 <= response.status < 300:
                    self._fail(
                        f"Wrong response from the webhook: {response.status} "
                        f"{response.reason or ''}".rstrip()
                    )
                    return False
        except aiohttp.ClientConnectorError:
            self._fail("Connection refused")
            return False
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._fail(f"Connection error: {type(exc).__name__}")
            return False
        finally:
            if self.timings is not None:
                update_id = update.get("update_id")
                seconds = time.perf_counter() - started
                self.timings.append(
                    (update_id if isinstance(update_id, int) else 0, seconds, status)
                )
        await self._maybe_reply(body)
        return True

    async def _maybe_reply(self, body: bytes) -> None:
        if not body.strip():
            return
        try:
            decoded = json.loads(body)
        except ValueError:
            return
        if isinstance(decoded, dict) and isinstance(decoded.get("method"), str):
            try:
                await self._on_reply(decoded)
            except Exception:  # a reply that fails must not stop delivery, as in Telegram
                _log.exception("webhook reply %s failed", decoded.get("method"))

    def _fail(self, message: str) -> None:
        self.last_error_date = int(time.time())
        self.last_error_message = message
        _log.debug("webhook delivery failed: %s", message)
