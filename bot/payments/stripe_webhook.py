"""Stripe webhooks over HTTP: the signature is checked with the SDK (``Stripe-Signature``,
HMAC-SHA256 with the endpoint secret) before anything is read, and its timestamp must lie
within five minutes of now, either way: the SDK refuses only old ones, and a signature made
for the future would otherwise be replayable for as long as it reaches ahead.

A bad or missing signature, or one out of time, gets 400 and changes nothing; a verified event
is handled once per event id (``stripe_payments.handle_event``); a failure answers 500 so
Stripe sends it again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime

import stripe
from aiohttp import web

from bot.services import stripe_payments
from bot.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

PATH = "/stripe/webhook"
#: Stripe events are small; anything bigger is not from Stripe.
MAX_BODY = 512 * 1024
#: Seconds a signature's timestamp may differ from now, in the past or the future (Stripe's
#: own default tolerance).
TOLERANCE = 300


def signed_at(header: str | None) -> int | None:
    """The ``t=`` timestamp of a ``Stripe-Signature`` header, or None if it has none."""
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def stripe_routes(
    uows: UnitOfWorkFactory,
    secret: str,
    clock: Callable[[], datetime],
    on_handled: Callable[[], None] | None = None,
    *,
    on_anomaly: Callable[[str], None] | None = None,
) -> list[web.RouteDef]:
    """``on_anomaly`` is told the kind of each anomaly an event showed (metrics)."""

    async def receive(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "too large"}, status=413)
        payload = await request.read()
        header = request.headers.get("Stripe-Signature")
        try:
            stripe.Webhook.construct_event(payload, header, secret, tolerance=TOLERANCE)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            log.warning("stripe webhook refused: %s", exc)
            return web.json_response({"error": "bad signature"}, status=400)
        stamp = signed_at(header)
        # Wall-clock time, as the SDK's own check: the signature's freshness is the real world's.
        if stamp is None or abs(time.time() - stamp) > TOLERANCE:
            log.warning(
                "stripe webhook refused: signed at %s, more than %d s from now", stamp, TOLERANCE
            )
            return web.json_response({"error": "bad signature"}, status=400)
        event = json.loads(payload)
        try:
            result = await stripe_payments.handle_event(uows, event, clock(), on_anomaly)
        except Exception:
            log.exception("stripe event %s failed; Stripe will send it again", event.get("id"))
            return web.json_response({"error": "not handled"}, status=500)
        if result == "handled" and on_handled is not None:
            on_handled()
        return web.json_response({"received": True, "result": result})

    return [web.post(PATH, receive)]


class StripeWebhookServer:
    """A small aiohttp server for Stripe's webhooks beside long polling (``storefront run``)."""

    def __init__(self, routes: list[web.RouteDef], host: str, port: int) -> None:
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.add_routes(routes)
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        log.info("stripe webhooks on http://%s:%s%s", self.host, self.port, PATH)

    @property
    def url(self) -> str:
        assert self._runner is not None
        address = self._runner.addresses[0]
        return f"http://{address[0]}:{address[1]}{PATH}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
