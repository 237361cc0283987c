"""Webhook mode: POST each pending update to the bot, in order, one at a time.

Telegram keeps an update pending until the webhook answers 2xx, retries after a failure, shows
the last failure in getWebhookInfo, and sends ``X-Telegram-Bot-Api-Secret-Token`` when a secret
was set. A 2xx answer whose JSON body names a ``method`` is executed as a Bot API call (the
"reply in the webhook response" feature aiogram can use).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable

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

    async def _deliver(self, update: dict[str, object]) -> bool:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers[SECRET_HEADER] = self.secret_token
        try:
            async with self._session.post(
                self.url,
                data=json.dumps(update, ensure_ascii=False).encode("utf-8"),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                body = await response.read()
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
