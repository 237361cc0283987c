"""Webhook mode: an aiohttp server that Telegram POSTs updates to, on either framework.

- ``POST <path>``: the ``X-Telegram-Bot-Api-Secret-Token`` header must equal the secret given
  to ``setWebhook`` (401 otherwise, nothing read); the body is bounded (413) and must be an
  update (400). An update over its chat's rate (``admit``, ``bot.telegram.throttle``) is
  answered 200 at once, unhandled. Every other one waits in its chat's lane
  (``bot.telegram.lanes``: one chat's updates in order, chats side by side, no chat ahead of
  the others) and is answered once handled: 200 after its transaction committed and its
  replies were delivered; 500 only if the database was unreachable (``StorageUnavailable``),
  so Telegram sends it again and its ``update_id`` claim makes it count once. An update that
  can never be handled (malformed, refused by the framework's validation, a bug) is answered
  200 too — Telegram would resend it forever — logged with its update_id and counted as
  ``poison``.
- ``GET /healthz``: 200 with the database reachable and the outbox backlog, 503 without it.
- ``GET /metrics``: Prometheus text (``ShopMetrics``).
- Whatever other routes the composition root mounts (Stripe's webhook).

Stopping stops accepting, waits (bounded) for the updates in flight, then closes.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from bot.conversation.storefront import Storefront
from bot.logs import log_context
from bot.services.ports import StorageUnavailable
from bot.telegram.framework_bots import (
    Framework,
    FrameworkBot,
    make_framework_bot,
)
from bot.telegram.lanes import DEFAULT_WORKERS, ChatLanes, lane_key, update_kind
from bot.telegram.metrics import ShopMetrics

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Updates are a few kilobytes; a megabyte is generous and bounds what a stranger can send.
MAX_UPDATE_BYTES = 1024 * 1024
#: How long a stop waits for updates in flight (Telegram waits about a minute for an answer).
DRAIN_SECONDS = 25.0

Health = Callable[[], Awaitable[dict[str, object]]]
#: ``Throttle.admit``: False drops the update (answered 200 unhandled).
Admit = Callable[[dict[str, Any]], Awaitable[bool]]


#: The framework's bot as the webhook server feeds it (the same one long polling feeds).
WebhookBot = FrameworkBot


def make_webhook_bot(
    framework: Framework, storefront: Storefront, token: str, api_base: str
) -> WebhookBot:
    return make_framework_bot(framework, storefront, token, api_base)


def _chat_id(update: dict[str, Any]) -> int | None:
    body = next((v for k, v in update.items() if k != "update_id"), None)
    if not isinstance(body, dict):
        return None
    message = body.get("message") if "data" in body else body
    chat = message.get("chat") if isinstance(message, dict) else None
    if isinstance(chat, dict) and isinstance(chat.get("id"), int):
        return int(chat["id"])
    sender = body.get("from")
    if isinstance(sender, dict) and isinstance(sender.get("id"), int):
        return int(sender["id"])  # queries come from a person, in no chat
    return None


def _retrieve(done: asyncio.Future[None]) -> None:
    """Read a lane future's outcome, so one whose request went away is not reported as an
    exception never retrieved (the request's handler logged it, or was cancelled)."""
    if not done.cancelled():
        done.exception()


class WebhookServer:
    def __init__(
        self,
        bot: WebhookBot,
        secret: str,
        *,
        path: str = "/telegram",
        health: Health | None = None,
        metrics: ShopMetrics | None = None,
        routes: Sequence[web.RouteDef] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        drain_seconds: float = DRAIN_SECONDS,
        admit: Admit | None = None,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        self.bot = bot
        self._secret = secret.encode()
        self.path = path or "/"
        self.health = health
        self.metrics = metrics or ShopMetrics()
        self.host, self.port = host, port
        self.drain_seconds = drain_seconds
        #: The flood gate (``Throttle.admit``); None admits everything.
        self.admit = admit
        #: Updates being handled now (what a stop waits for).
        self.in_flight = 0
        self.lanes: ChatLanes[dict[str, Any]] = ChatLanes(
            self._handle, workers=workers, name="webhook-lanes"
        )
        self.app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        self.app.add_routes(
            [
                web.post(self.path, self._update),
                web.get("/healthz", self._healthz),
                web.get("/metrics", self._metrics),
                *routes,
            ]
        )
        self._runner: web.AppRunner | None = None
        self._errors: logging.Handler | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(
            self.app, access_log=None, shutdown_timeout=self.drain_seconds
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self._errors = self.metrics.error_counter()
        logging.getLogger().addHandler(self._errors)
        log.info("webhook server on %s (updates at %s)", self.local_url, self.path)

    @property
    def local_url(self) -> str:
        """``http://host:port`` the server listens on (port 0 picks a free one)."""
        assert self._runner is not None
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop accepting, let the updates in flight finish (at most ``drain_seconds``)."""
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        waiting = self.in_flight
        await runner.cleanup()  # the requests in flight wait for their lanes (bounded)
        await self.lanes.close()
        if waiting:
            log.info("webhook stopped after %d update(s) in flight finished", waiting)
        if self.in_flight:
            log.warning("webhook stopped with %d update(s) unfinished", self.in_flight)
        if self._errors is not None:
            logging.getLogger().removeHandler(self._errors)
            self._errors = None

    def _refuse(self, status: int, reason: str) -> web.Response:
        self.metrics.refused.labels(reason).inc()
        return web.json_response({"ok": False, "error": reason}, status=status)

    async def _update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook request without the right secret token refused")
            return self._refuse(401, "unauthorized")
        if request.content_length is not None and request.content_length > MAX_UPDATE_BYTES:
            return self._refuse(413, "too_large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, "too_large")
        try:
            update = json.loads(body)
        except ValueError:
            return self._refuse(400, "bad_request")
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return self._refuse(400, "bad_request")
        update_id: int = update["update_id"]
        self.in_flight += 1
        try:
            with log_context(update_id, _chat_id(update)):
                if self.admit is not None and not await self.admit(update):
                    return web.json_response({"ok": True})  # dropped, counted by the throttle
                return await self._handled(update, update_id)
        finally:
            self.in_flight -= 1

    async def _handled(self, update: dict[str, Any], update_id: int) -> web.Response:
        """Queue the update in its chat's lane and answer once it was handled."""
        kind = update_kind(update)
        started = time.perf_counter()
        try:
            done = self.lanes.submit(lane_key(update), update, update_id)
        except RuntimeError:  # stopping: Telegram will deliver it again (to us or another)
            return web.json_response({"ok": False}, status=503)
        done.add_done_callback(_retrieve)
        try:
            # Shielded: a request Telegram gave up on still has its update handled (the
            # redelivery then finds it claimed).
            await asyncio.shield(done)
        except StorageUnavailable as exc:
            log.warning("update not handled (%s); answering 500 so Telegram resends", exc)
            self.metrics.updates.labels(kind, "unavailable").inc()
            return web.json_response({"ok": False}, status=500)
        except Exception:
            log.exception(
                "update %s can never be handled; answering 200 so Telegram stops sending it",
                update_id,
            )
            self.metrics.updates.labels(kind, "poison").inc()
            return web.json_response({"ok": True})
        finally:
            self.metrics.latency.labels(kind).observe(time.perf_counter() - started)
        self.metrics.updates.labels(kind, "ok").inc()
        log.debug("%s handled in %.1f ms", kind, (time.perf_counter() - started) * 1000)
        message = update.get("message")
        payment = message.get("successful_payment") if isinstance(message, dict) else None
        if isinstance(payment, dict) and isinstance(payment.get("total_amount"), int):
            self.metrics.payment(str(payment.get("currency")), payment["total_amount"])
        return web.json_response({"ok": True})

    async def _handle(self, update: dict[str, Any]) -> None:
        """One update, in its lane's worker (which logs with the update's context too)."""
        with log_context(update["update_id"], _chat_id(update)):
            await self.bot.process(update)

    async def _healthz(self, _request: web.Request) -> web.Response:
        """200 with the database's report; 503 if the check failed, or did not finish within
        ``HEALTH_WITHIN`` (1.5 s: a probe must not hang on a database that never answers)."""
        from bot.services.housekeeping import HealthProbe

        if self.health is None:
            return web.json_response({"ok": True})
        if not isinstance(self.health, HealthProbe):
            self.health = HealthProbe(self.health)  # bounded, one check at a time
        try:
            report = await self.health()
        except TimeoutError as exc:
            log.warning("health check failed: %s", exc)
            return web.json_response({"ok": False, "database": "no answer"}, status=503)
        except Exception as exc:
            log.warning("health check failed: %s", exc)
            return web.json_response({"ok": False, "database": "unreachable"}, status=503)
        return web.json_response({"ok": True, "database": "ok", **report})

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=self.metrics.render(), headers={"Content-Type": ShopMetrics.content_type}
        )
